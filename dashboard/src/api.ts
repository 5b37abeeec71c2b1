// The one way the dashboard talks to the backend: same-origin fetches of the JSON APIs, authenticated by the session
// cookie the browser sends by itself, with the CSRF token on every state change. Failures become ApiError with the
// problem document's code and detail (RFC 9457), so pages can say what went wrong.

/** A failed API call. `code` is the problem's stable code (`not_found`, `csrf_failed`, …) or `network`. */
export class ApiError extends Error {
	override readonly name = "ApiError";
	constructor(
		readonly status: number,
		readonly code: string,
		detail: string,
	) {
		super(detail);
	}
}

let csrfToken = "";

/** Set once at start from the page's meta tag. */
export function setCsrfToken(token: string): void {
	csrfToken = token;
}

/** Where the login form sends the user back to after a session ended mid-use. */
function toLogin(): never {
	const here = `${location.pathname}${location.search}`;
	location.assign(`/login?next=${encodeURIComponent(here)}`);
	throw new ApiError(401, "unauthorized", "The session ended: signing in again.");
}

async function failure(res: Response): Promise<ApiError> {
	try {
		const problem = (await res.json()) as { code?: string; detail?: string };
		return new ApiError(res.status, problem.code ?? "unknown", problem.detail ?? res.statusText);
	} catch {
		return new ApiError(res.status, "unknown", `The server answered ${res.status}.`);
	}
}

async function call(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
	const headers: Record<string, string> = { Accept: "application/json" };
	if (method !== "GET") headers["X-CSRF-Token"] = csrfToken;
	if (body !== undefined) headers["Content-Type"] = "application/json";
	let res: Response;
	try {
		res = await fetch(path, {
			method,
			headers,
			credentials: "same-origin",
			signal,
			...(body === undefined ? {} : { body: JSON.stringify(body) }),
		});
	} catch (error) {
		if (error instanceof DOMException && error.name === "AbortError") throw error;
		throw new ApiError(0, "network", "The server could not be reached. Is it running?");
	}
	if (res.status === 401) toLogin();
	if (!res.ok) throw await failure(res);
	return res;
}

/**
 * GET a JSON document.
 *
 * @example
 * const { games } = await getJson<GamesAnswer>("/v1/admin/games");
 */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
	return (await (await call("GET", path, undefined, signal)).json()) as T;
}

/**
 * A state change (POST, PUT, PATCH, DELETE) with a JSON body; sends the CSRF token.
 *
 * @example
 * await sendJson("PATCH", `/v1/admin/games/${id}/settings`, { timeZone: "Europe/Berlin" });
 */
export async function sendJson<T>(
	method: "POST" | "PUT" | "PATCH" | "DELETE",
	path: string,
	body?: unknown,
): Promise<T> {
	const res = await call(method, path, body);
	return (res.status === 204 ? undefined : await res.json()) as T;
}

/**
 * A metrics API path: `/v1/games/{game}/metrics/{metric}?…` with the parameters given (repeated for arrays).
 *
 * @example
 * metricPath("1818", "active-users", { from: "2025-01-01", to: "2025-01-30", filter: ["platform:phone"] });
 */
export function metricPath(
	game: string,
	metric: string,
	params: Record<string, string | readonly string[] | undefined>,
): string {
	const query = new URLSearchParams();
	for (const [name, value] of Object.entries(params)) {
		if (value === undefined) continue;
		for (const one of typeof value === "string" ? [value] : value) query.append(name, one);
	}
	const text = query.toString();
	return `/v1/games/${encodeURIComponent(game)}/metrics/${metric}${text ? `?${text}` : ""}`;
}
