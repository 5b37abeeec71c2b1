// The Settings page's building blocks: a section, a form's feedback line, and a resource the page loads and changes.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { getJson } from "../api.js";
import type { Loaded } from "../use-api.js";

/**
 * A JSON resource the page also changes: loads it, and lets a form put the server's answer in place (no refetch).
 *
 * @example
 * const [keys, setKeys] = useResource<{ keys: ApiKey[] }>(`/v1/admin/games/${game}/keys`);
 */
export function useResource<T>(path: string): [Loaded<T>, (update: (value: T) => T) => void] {
	const [state, setState] = useState<Loaded<T>>({ status: "loading" });
	const [attempt, setAttempt] = useState(0);
	useEffect(() => {
		const abort = new AbortController();
		setState({ status: "loading" });
		getJson<T>(path, abort.signal).then(
			(data) => setState({ status: "done", data }),
			(error: unknown) => {
				if (!abort.signal.aborted) setState({ status: "failed", error, retry: () => setAttempt((n) => n + 1) });
			},
		);
		return () => abort.abort();
	}, [path, attempt]);
	const update = (fn: (value: T) => T) =>
		setState((current) => (current.status === "done" ? { status: "done", data: fn(current.data) } : current));
	return [state, update];
}

/** A form's outcome, said where the form is: errors as alerts, successes as polite status. */
export type Feedback = { kind: "ok" | "error"; text: string } | undefined;

export function FeedbackLine(props: { feedback: Feedback }) {
	const { feedback } = props;
	// Both live regions stay in the page, so screen readers announce a message as it appears.
	return (
		<>
			<p class="feedback error" role="alert">
				{feedback?.kind === "error" ? feedback.text : ""}
			</p>
			<p class="feedback ok" role="status">
				{feedback?.kind === "ok" ? feedback.text : ""}
			</p>
		</>
	);
}

/** The server's explanation of a refused change (problem detail), or a generic one. */
export function errorText(error: unknown): string {
	return error instanceof Error ? error.message : "The change failed.";
}

export function SettingsSection(props: { id: string; title: string; children: ComponentChildren; lead?: string }) {
	return (
		<section class="panel settings-section" aria-labelledby={props.id} id={`section-${props.id}`}>
			<h2 id={props.id}>{props.title}</h2>
			{props.lead ? <p class="muted small">{props.lead}</p> : null}
			{props.children}
		</section>
	);
}
