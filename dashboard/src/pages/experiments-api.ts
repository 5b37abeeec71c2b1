// Writes whose validation errors the form shows next to each field. api.ts's sendJson keeps only a problem's code
// and detail; a form needs its `errors` list too, so this sends the same request (same-origin, CSRF token, JSON) and
// keeps the whole problem document.
import { ApiError } from "../api.js";

/** A refused write: the problem's status, code and detail, and its per-field errors (validation_failed). */
export class WriteError extends ApiError {
	constructor(
		status: number,
		code: string,
		detail: string,
		readonly errors: readonly { path: string; message: string }[],
	) {
		super(status, code, detail);
	}
}

/**
 * POST, PUT, PATCH or DELETE a JSON body with the session's CSRF token; throws {@link WriteError} when refused. A lapsed
 * session goes to the login page, which brings the user back here.
 *
 * @example
 * await writeJson("POST", `/v1/admin/games/${game}/experiments`, body, session.csrfToken);
 */
export async function writeJson<T>(
	method: "POST" | "PUT" | "PATCH" | "DELETE",
	path: string,
	body: unknown,
	csrfToken: string,
): Promise<T> {
	let res: Response;
	try {
		res = await fetch(path, {
			method,
			credentials: "same-origin",
			headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRF-Token": csrfToken },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
	} catch {
		throw new WriteError(0, "network", "The server could not be reached. Is it running?", []);
	}
	if (res.status === 401) {
		location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search + location.hash)}`);
		throw new WriteError(401, "unauthorized", "The session ended: signing in again.", []);
	}
	if (!res.ok) {
		let problem: { code?: string; detail?: string; errors?: { path: string; message: string }[] } = {};
		try {
			problem = (await res.json()) as typeof problem;
		} catch {
			// Not a problem document: the status says enough.
		}
		throw new WriteError(
			res.status,
			problem.code ?? "unknown",
			problem.detail ?? `The server answered ${res.status}.`,
			problem.errors ?? [],
		);
	}
	return (res.status === 204 ? undefined : await res.json()) as T;
}

/** The API paths of a game's experiments and flags. */
export function experimentsPath(game: string, ...rest: string[]): string {
	return [`/v1/admin/games/${encodeURIComponent(game)}/experiments`, ...rest.map(encodeURIComponent)].join("/");
}

export function flagsPath(game: string, ...rest: string[]): string {
	return [`/v1/admin/games/${encodeURIComponent(game)}/flags`, ...rest.map(encodeURIComponent)].join("/");
}

/** A write failure in words: the server's detail, or what a 403 means for the user's role. */
export function failureText(error: unknown): string {
	if (error instanceof ApiError) {
		if (error.status === 403) return "Your role may not change this: an analyst or owner can.";
		return error.message;
	}
	return error instanceof Error ? error.message : String(error);
}
