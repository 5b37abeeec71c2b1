// Posting a JSON message to a webhook, the way Discord asks clients to: retries with capped exponential backoff and
// jitter for transient failures, Retry-After (header, or Discord's `retry_after` JSON member) on 429, and no retry
// for a request the webhook refused. The decision of each step is the pure `nextStep`; `deliverWebhook` wires it to
// fetch and timers.
import { setTimeout as delay } from "node:timers/promises";

export interface DeliveryOptions {
	/** Requests at most, the first included. @default 5 */
	maxAttempts: number;
	/** How long one request may take, answer body included. @default 10000 */
	timeoutMs: number;
	/** Backoff before the second attempt; doubles each time. @default 2000 */
	baseDelayMs: number;
	/** Longest backoff. @default 60000 */
	maxDelayMs: number;
	/** Longest Retry-After honoured; asked to wait longer, the delivery gives up. @default 300000 */
	maxRetryAfterMs: number;
}

export const DEFAULT_DELIVERY: Readonly<DeliveryOptions> = Object.freeze({
	maxAttempts: 5,
	timeoutMs: 10_000,
	baseDelayMs: 2_000,
	maxDelayMs: 60_000,
	maxRetryAfterMs: 300_000,
});

/** Waits `ms`, or less if `signal` aborts; never rejects. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** Timer-based {@link Sleep}; the timer does not keep the process alive. */
export const timerSleep: Sleep = (ms, signal) =>
	delay(ms, undefined, { signal, ref: false }).then(
		() => undefined,
		() => undefined,
	);

export interface DeliveryDeps {
	fetch: typeof fetch;
	sleep: Sleep;
	/** Uniform in [0, 1): the jitter. */
	random: () => number;
	/** Aborts the request in flight and any wait (shutdown). */
	signal: AbortSignal;
}

/** What one request came back with. */
export type AttemptResult =
	| {
			kind: "response";
			status: number;
			/** Retry-After of a 429 in ms (the longer of the header and the JSON `retry_after`); null when absent. */
			retryAfterMs: number | null;
			/** The start of the answer body, on one line (the webhook's reason for refusing). */
			detail: string;
	  }
	| { kind: "error"; message: string };

export type DeliveryOutcome = "delivered" | "rejected" | "gave_up";

export type NextStep = { retry: true; delayMs: number } | { retry: false; outcome: DeliveryOutcome; reason?: string };

/**
 * What to do after attempt number `attempt` (1-based).
 * 1. a 2xx answer → delivered;
 * 2. any other answer below 500 except 408 and 429 (a 4xx, or a redirect, which is not followed) → rejected: the
 *    same request would be refused again;
 * 3. `maxAttempts` made → gave up;
 * 4. a 429 with Retry-After → wait exactly that long, or give up when it is over `maxRetryAfterMs`;
 * 5. otherwise (5xx, 408, 429 without Retry-After, network error, timeout) → wait a backoff of
 *    min(maxDelayMs, baseDelayMs × 2^(attempt−1)), its upper half drawn at random so many retries spread out.
 *
 * @example
 * nextStep({ kind: "response", status: 503, retryAfterMs: null, detail: "" }, 1, DEFAULT_DELIVERY, () => 0.5);
 * // { retry: true, delayMs: 1500 }
 */
export function nextStep(
	result: AttemptResult,
	attempt: number,
	options: DeliveryOptions,
	random: () => number,
): NextStep {
	if (result.kind === "response" && result.status >= 200 && result.status < 300) {
		return { retry: false, outcome: "delivered" };
	}
	if (result.kind === "response" && result.status < 500 && result.status !== 408 && result.status !== 429) {
		return { retry: false, outcome: "rejected" };
	}
	if (attempt >= options.maxAttempts) return { retry: false, outcome: "gave_up" };
	if (result.kind === "response" && result.status === 429 && result.retryAfterMs !== null) {
		if (result.retryAfterMs > options.maxRetryAfterMs) {
			const reason = `asked to wait ${Math.ceil(result.retryAfterMs / 1000)} s, more than ${options.maxRetryAfterMs / 1000} s`;
			return { retry: false, outcome: "gave_up", reason };
		}
		return { retry: true, delayMs: result.retryAfterMs };
	}
	const backoff = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
	return { retry: true, delayMs: Math.round(backoff / 2 + (random() * backoff) / 2) };
}

/**
 * How long a 429 asks to wait, in ms: the longer of the `Retry-After` header (seconds) and the JSON body's
 * `retry_after` (seconds, Discord's, with a fraction); null when neither is a number ≥ 0. (An HTTP-date Retry-After is
 * not read: webhooks send seconds; without one the backoff applies.)
 *
 * @example
 * retryAfterMs("2", '{"retry_after": 1.5}'); // 2000
 */
export function retryAfterMs(header: string | null, body: string): number | null {
	const waits: number[] = [];
	if (header !== null && /^\s*\d+(\.\d+)?\s*$/.test(header)) waits.push(Number(header) * 1000);
	try {
		const parsed: unknown = JSON.parse(body);
		if (parsed && typeof parsed === "object" && "retry_after" in parsed) {
			const seconds = parsed.retry_after;
			if (typeof seconds === "number" && Number.isFinite(seconds) && seconds >= 0) waits.push(seconds * 1000);
		}
	} catch {
		// Not JSON: the header (or the backoff) decides.
	}
	return waits.length === 0 ? null : Math.ceil(Math.max(...waits));
}

export interface DeliveryResult {
	/** `aborted`: stopped by `signal` (shutdown) before an outcome. */
	outcome: DeliveryOutcome | "aborted";
	/** Requests made. */
	attempts: number;
	/** HTTP status of the last answer; null when none came. */
	status: number | null;
	/** Why it was not delivered (never the URL, which holds a secret); null when delivered. */
	error: string | null;
	/** Aborted with a request in flight and no answer: the message may have arrived. */
	mayHaveArrived: boolean;
}

/** Answer bodies are read up to this many bytes: enough for a reason or a retry_after, never a flood. */
const MAX_ANSWER_BYTES = 4096;
/** Characters of the answer body kept in an error. */
const MAX_DETAIL = 200;

/**
 * POSTs `payload` as JSON to `url` until it is delivered, refused or the attempts run out (see {@link nextStep}).
 * Never throws; the result says what happened.
 *
 * @example
 * const result = await deliverWebhook(url, payload, { fetch, sleep: timerSleep, random: Math.random, signal });
 * if (result.outcome !== "delivered") logger.warn("digest not delivered", { error: result.error });
 */
export async function deliverWebhook(
	url: string,
	payload: unknown,
	deps: DeliveryDeps,
	options: DeliveryOptions = DEFAULT_DELIVERY,
): Promise<DeliveryResult> {
	const body = JSON.stringify(payload);
	let last: AttemptResult | undefined;
	for (let attempt = 1; ; attempt++) {
		if (deps.signal.aborted) return result("aborted", attempt - 1, last, "aborted by shutdown");
		last = await attemptOnce(url, body, deps, options.timeoutMs);
		const step = nextStep(last, attempt, options, deps.random);
		if (deps.signal.aborted && (step.retry || last.kind === "error")) {
			return { ...result("aborted", attempt, last, "aborted by shutdown"), mayHaveArrived: last.kind === "error" };
		}
		if (!step.retry) return result(step.outcome, attempt, last, step.reason);
		await deps.sleep(step.delayMs, deps.signal);
	}
}

function result(
	outcome: DeliveryResult["outcome"],
	attempts: number,
	last: AttemptResult | undefined,
	reason?: string,
): DeliveryResult {
	const status = last?.kind === "response" ? last.status : null;
	if (outcome === "delivered") return { outcome, attempts, status, error: null, mayHaveArrived: false };
	const described =
		last === undefined
			? undefined
			: last.kind === "error"
				? last.message
				: `HTTP ${last.status}${last.detail ? `: ${last.detail}` : ""}`;
	const error = [described, reason].filter(Boolean).join("; ") || outcome;
	return { outcome, attempts, status, error, mayHaveArrived: false };
}

async function attemptOnce(url: string, body: string, deps: DeliveryDeps, timeoutMs: number): Promise<AttemptResult> {
	try {
		const res = await deps.fetch(url, {
			method: "POST",
			headers: { "Content-Type": "application/json", "User-Agent": "Vantage-Digest/1" },
			body,
			// A redirect would turn the POST into a GET elsewhere; a webhook that moved is refused instead.
			redirect: "manual",
			signal: AbortSignal.any([deps.signal, AbortSignal.timeout(timeoutMs)]),
		});
		if (res.status >= 200 && res.status < 300) {
			await res.body?.cancel().catch(() => undefined);
			return { kind: "response", status: res.status, retryAfterMs: null, detail: "" };
		}
		const text = await readStart(res, MAX_ANSWER_BYTES);
		return {
			kind: "response",
			status: res.status,
			retryAfterMs: res.status === 429 ? retryAfterMs(res.headers.get("retry-after"), text) : null,
			detail: text.replace(/\s+/g, " ").trim().slice(0, MAX_DETAIL),
		};
	} catch (error) {
		return { kind: "error", message: describeError(error, timeoutMs) };
	}
}

/**
 * The first `maxBytes` of a response body as text; the rest is not downloaded. A body that fails or times out midway
 * gives what arrived: the status is what counts.
 */
async function readStart(res: Response, maxBytes: number): Promise<string> {
	if (!res.body) return "";
	const reader = res.body.getReader();
	const chunks: Uint8Array[] = [];
	let total = 0;
	try {
		while (total < maxBytes) {
			const { done, value } = await reader.read();
			if (done) break;
			chunks.push(value);
			total += value.byteLength;
		}
	} catch {
		// Keep what arrived.
	}
	await reader.cancel().catch(() => undefined);
	return Buffer.concat(chunks).subarray(0, maxBytes).toString("utf8");
}

function describeError(error: unknown, timeoutMs: number): string {
	if (!(error instanceof Error)) return String(error);
	if (error.name === "TimeoutError") return `no answer within ${timeoutMs} ms`;
	if (error.name === "AbortError") return "aborted";
	// undici puts the reason (ECONNREFUSED, ENOTFOUND…) in `cause`; its message never holds the URL's path.
	const cause: unknown = error.cause;
	const code = cause && typeof cause === "object" && "code" in cause ? String(cause.code) : undefined;
	return code ? `${error.message} (${code})` : error.message;
}
