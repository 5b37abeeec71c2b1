// Loading JSON for a component: refetches when the path changes, cancels a request the view no longer needs, and
// tells loading, data and error apart.
import { useEffect, useState } from "preact/hooks";
import { getJson } from "./api.js";

export type Loaded<T> =
	{ status: "loading" } | { status: "done"; data: T } | { status: "failed"; error: unknown; retry: () => void };

/**
 * Fetches every path (in parallel) and answers once all have arrived; `null` paths wait (nothing to ask yet).
 *
 * @example
 * const games = useApi<[GamesAnswer]>(["/v1/admin/games"]);
 */
export function useApi<T extends unknown[]>(paths: { [K in keyof T]: string } | null): Loaded<T> {
	const [state, setState] = useState<Loaded<T>>({ status: "loading" });
	const [attempt, setAttempt] = useState(0);
	const key = paths ? paths.join("\n") : "";
	useEffect(() => {
		if (!paths) return;
		const abort = new AbortController();
		setState({ status: "loading" });
		Promise.all(paths.map((path) => getJson<unknown>(path, abort.signal))).then(
			(data) => setState({ status: "done", data: data as T }),
			(error: unknown) => {
				if (abort.signal.aborted) return;
				setState({ status: "failed", error, retry: () => setAttempt((n) => n + 1) });
			},
		);
		return () => abort.abort();
		// `key` stands for the paths' contents (a new array each render would refetch forever).
	}, [key, attempt]);
	return state;
}
