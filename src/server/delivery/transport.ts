import { HttpService } from "@rbxts/services";
import { headerValue, parseRetryAfter } from "./backoff";
import { RequestBudget } from "./request-budget";
import { isHttpDisabledError, MAX_RETRY_AFTER_SECONDS, TokenProvider } from "./token-provider";

/** One event the backend refused, by its index in the batch. */
export interface RejectedByIndex {
	index: number;
	code: string;
	message: string;
}

/**
 * What to do with a batch after one send:
 * - `accepted`: done (some events may have been refused as invalid: `rejected`, by index);
 * - `split`: the batch is too large for the backend (413): send its halves instead;
 * - `drop`: the backend will never take this batch (400, 403, 415): drop it and report it;
 * - `retry`: keep it and retry later: after `retryAfter` seconds if the backend said so, else with backoff.
 *   `cause` says why: `network` (RequestAsync threw), `server` (5xx, 429, other statuses), `auth` (the game key is
 *   refused or missing: retrying soon will not help), `roblox-budget` (HttpService's 500/min was used up by the game);
 * - `wait`: nothing was sent: Vantage's own request budget is used up for `retryAfter` seconds;
 * - `disabled`: HttpService requests are disabled (Studio, or the experience's setting);
 * - `dryRun`: nothing was sent: the batch was kept local (the `dryRun` option, or an unpublished place).
 */
export type SendOutcome =
	| { kind: "accepted"; status: number; accepted: number; duplicates: number; rejected: RejectedByIndex[] }
	| { kind: "split"; status: number; message: string }
	| { kind: "drop"; status: number; message: string }
	| {
			kind: "retry";
			cause: "network" | "server" | "auth" | "roblox-budget";
			status?: number;
			message: string;
			retryAfter?: number;
	  }
	| { kind: "wait"; retryAfter: number }
	| { kind: "disabled"; message: string }
	| { kind: "dryRun"; events: number };

function problemSummary(body: string): { code?: string; eventsTooMany: boolean; detail: string } {
	const [ok, decoded] = pcall(() => HttpService.JSONDecode(body));
	if (!ok || !typeIs(decoded, "table")) return { eventsTooMany: false, detail: body.sub(1, 200) };
	const problem = decoded as { code?: unknown; detail?: unknown; errors?: unknown };
	let eventsTooMany = false;
	if (typeIs(problem.errors, "table")) {
		for (const issue of problem.errors as { path?: unknown }[]) {
			// An issue on the `events` array itself (not on one event, "events.3.name") is about its length.
			if (typeIs(issue, "table") && issue.path === "events") eventsTooMany = true;
		}
	}
	return {
		code: typeIs(problem.code, "string") ? problem.code : undefined,
		eventsTooMany,
		detail: typeIs(problem.detail, "string") ? problem.detail : body.sub(1, 200),
	};
}

/**
 * Classifies the backend's answer to `POST /v1/batches` (pure apart from JSON decoding).
 * 1. 2xx with a readable body → accepted (with the rejected events by index);
 * 2. 413 → split; a 400 about the `events` array itself (more events than this backend takes) → split too;
 * 3. other 400, 403, 415 → drop (the same batch would be refused again);
 * 4. 429 and 503 → retry after `Retry-After` if given;
 * 5. anything else (5xx, 2xx with an unreadable body, 404, 408, ...) → retry with backoff: the data is kept.
 *
 * @example
 * classifyBatchResponse(413, {}, "") // → { kind: "split", status: 413, ... }
 */
export function classifyBatchResponse(status: number, headers: unknown, body: string): SendOutcome {
	if (status >= 200 && status <= 299) {
		const [ok, decoded] = pcall(() => HttpService.JSONDecode(body));
		const answer = decoded as { accepted?: unknown; duplicates?: unknown; rejected?: unknown };
		if (ok && typeIs(answer, "table") && typeIs(answer.accepted, "number")) {
			const rejected = new Array<RejectedByIndex>();
			if (typeIs(answer.rejected, "table")) {
				for (const r of answer.rejected as Partial<RejectedByIndex>[]) {
					if (typeIs(r, "table") && typeIs(r.index, "number")) {
						rejected.push({
							index: r.index,
							code: typeIs(r.code, "string") ? r.code : "invalid_event",
							message: typeIs(r.message, "string") ? r.message : "",
						});
					}
				}
			}
			return {
				kind: "accepted",
				status,
				accepted: answer.accepted,
				duplicates: typeIs(answer.duplicates, "number") ? answer.duplicates : 0,
				rejected,
			};
		}
		return { kind: "retry", cause: "server", status, message: `HTTP ${status} with an unreadable body` };
	}
	const problem = problemSummary(body);
	const message = `HTTP ${status}${problem.code !== undefined ? ` ${problem.code}` : ""}: ${problem.detail}`;
	if (status === 413 || (status === 400 && problem.eventsTooMany)) return { kind: "split", status, message };
	if (status === 400 || status === 403 || status === 415) return { kind: "drop", status, message };
	const retryAfter =
		status === 429 || status === 503
			? parseRetryAfter(headerValue(headers, "Retry-After"), MAX_RETRY_AFTER_SECONDS)
			: undefined;
	return { kind: "retry", cause: "server", status, message, retryAfter };
}

/** Classifies an error thrown by RequestAsync (network errors, timeouts, HttpService refusing to send). */
export function classifyRequestError(message: string): SendOutcome {
	if (isHttpDisabledError(message)) return { kind: "disabled", message };
	// HttpService: 500 requests per minute per server, shared with the game ("Number of requests exceeded limit").
	if (message.find("exceeded limit", 1, true)[0] !== undefined) {
		return { kind: "retry", cause: "roblox-budget", message };
	}
	return { kind: "retry", cause: "network", message };
}

/**
 * Posts batch bodies to the backend: gzip-compressed JSON over HttpService with a bearer token; on a 401 the token is
 * refreshed once and the request repeated (the batch id makes that safe). Every request (tokens included) is
 * counted against the request budget first. Never throws.
 * HttpService: RequestAsync yields, throws on network errors only, and counts against 500 requests/min per server.
 */
export class BatchTransport {
	constructor(
		private readonly url: string,
		private readonly tokens: TokenProvider,
		private readonly budget: RequestBudget,
	) {}

	/**
	 * Sends one batch. `body` builds the request body right before each request (so `sentAt` is that attempt's);
	 * `onRequest` runs before each batch request (to count it).
	 */
	send(body: () => string, onRequest?: () => void): SendOutcome {
		for (let attempt = 1; attempt <= 2; attempt++) {
			const token = this.tokens.get();
			if (!token.ok) {
				if (token.reason === "budget") return { kind: "wait", retryAfter: token.retryAfter ?? 1 };
				if (token.reason === "disabled") return { kind: "disabled", message: token.message };
				if (token.reason === "rejected") return { kind: "retry", cause: "auth", message: token.message };
				const outcome = classifyRequestError(token.message);
				return outcome.kind === "retry" ? { ...outcome, retryAfter: token.retryAfter } : outcome;
			}
			const wait = this.budget.waitSeconds();
			if (wait > 0) return { kind: "wait", retryAfter: wait };
			this.budget.spend();
			onRequest?.();
			const payload = body();
			const [ok, result] = pcall(() =>
				HttpService.RequestAsync({
					Url: this.url,
					Method: "POST",
					Headers: { "Content-Type": "application/json", Authorization: `Bearer ${token.token}` },
					Body: payload,
					Compress: Enum.HttpCompression.Gzip,
				}),
			);
			if (!ok) return classifyRequestError(tostring(result));
			const response = result as RequestAsyncResponse;
			if (response.StatusCode === 401 && attempt === 1) {
				this.tokens.invalidate();
				continue;
			}
			if (response.StatusCode === 401) {
				return { kind: "retry", cause: "auth", status: 401, message: "the backend refused a fresh token (401)" };
			}
			return classifyBatchResponse(response.StatusCode, response.Headers, response.Body);
		}
		return { kind: "retry", cause: "auth", status: 401, message: "the backend refused a fresh token (401)" };
	}
}
