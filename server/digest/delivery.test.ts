import { afterEach, describe, expect, it } from "vitest";
import { hang, reply, sequence, startWebhookServer, type WebhookServer } from "../testing/webhook-server.js";
import {
	DEFAULT_DELIVERY,
	deliverWebhook,
	nextStep,
	retryAfterMs,
	type AttemptResult,
	type DeliveryDeps,
} from "./delivery.js";

let hook: WebhookServer | undefined;
afterEach(async () => {
	await hook?.close();
	hook = undefined;
});

const PAYLOAD = { username: "Vantage", content: "hello", embeds: [] };
const SECRET_PATH = "/api/webhooks/42/secret-token";

/** Deps whose waits return at once and are recorded, so retries cost no real time. */
function deps(signal: AbortSignal = new AbortController().signal): DeliveryDeps & { waits: number[] } {
	const waits: number[] = [];
	return {
		fetch,
		sleep: async (ms) => {
			waits.push(ms);
		},
		random: () => 0.5,
		signal,
		waits,
	};
}

const response = (status: number, retryAfter: number | null = null): AttemptResult => ({
	kind: "response",
	status,
	retryAfterMs: retryAfter,
	detail: "",
});

describe("nextStep", () => {
	const options = { ...DEFAULT_DELIVERY, baseDelayMs: 1000, maxDelayMs: 8000 };
	it.each([
		["2xx is delivered", response(204), 1, { retry: false, outcome: "delivered" }],
		["200 is delivered", response(200), 5, { retry: false, outcome: "delivered" }],
		["400 is final", response(400), 1, { retry: false, outcome: "rejected" }],
		["404 (webhook deleted) is final", response(404), 1, { retry: false, outcome: "rejected" }],
		["a redirect is final", response(301), 1, { retry: false, outcome: "rejected" }],
		["500 backs off (half to all of 1 s)", response(500), 1, { retry: true, delayMs: 750 }],
		["408 backs off, doubling", response(408), 2, { retry: true, delayMs: 1500 }],
		["backoff is capped", response(503), 4, { retry: true, delayMs: 6000 }],
		["a network error backs off", { kind: "error", message: "ECONNRESET" }, 3, { retry: true, delayMs: 3000 }],
		["429 waits Retry-After exactly", response(429, 7000), 1, { retry: true, delayMs: 7000 }],
		["429 without Retry-After backs off", response(429), 1, { retry: true, delayMs: 750 }],
		["the last attempt gives up", response(500), 5, { retry: false, outcome: "gave_up" }],
		["a 429 on the last attempt gives up", response(429, 1000), 5, { retry: false, outcome: "gave_up" }],
	] as const)("%s", (_, result, attempt, expected) => {
		expect(nextStep(result, attempt, options, () => 0.5)).toEqual(expected);
	});

	it("gives up when asked to wait longer than maxRetryAfterMs", () => {
		expect(nextStep(response(429, 3_600_000), 1, options, () => 0.5)).toMatchObject({
			retry: false,
			outcome: "gave_up",
			reason: expect.stringMatching(/3600 s/),
		});
	});

	it("draws the jitter from the upper half of the backoff", () => {
		expect(nextStep(response(500), 3, options, () => 0)).toEqual({ retry: true, delayMs: 2000 });
		expect(nextStep(response(500), 3, options, () => 0.999)).toEqual({ retry: true, delayMs: 3998 });
	});
});

describe("retryAfterMs", () => {
	it.each([
		[null, "", null],
		["3", "", 3000],
		[" 2 ", "not json", 2000],
		[null, '{"message":"You are being rate limited.","retry_after":1.234,"global":false}', 1234],
		["2", '{"retry_after":3.5}', 3500],
		["5", '{"retry_after":0.5}', 5000],
		["Wed, 21 Oct 2015 07:28:00 GMT", "", null],
		["-1", '{"retry_after":-2}', null],
	])("Retry-After %j with body %j → %j ms", (header, body, expected) => {
		expect(retryAfterMs(header, body)).toBe(expected);
	});
});

describe("deliverWebhook to a local HTTP server", () => {
	it("POSTs the payload as JSON once", async () => {
		hook = await startWebhookServer(reply(204));
		const d = deps();
		const result = await deliverWebhook(hook.url + SECRET_PATH, PAYLOAD, d);
		expect(result).toEqual({ outcome: "delivered", attempts: 1, status: 204, error: null, mayHaveArrived: false });
		expect(hook.requests).toHaveLength(1);
		const [req] = hook.requests;
		expect(req).toMatchObject({ method: "POST", path: SECRET_PATH });
		expect(req!.headers["content-type"]).toBe("application/json");
		expect(JSON.parse(req!.body)).toEqual(PAYLOAD);
		expect(d.waits).toEqual([]);
	});

	it("retries 500s with backoff and delivers once", async () => {
		hook = await startWebhookServer(sequence(reply(500), reply(500), reply(204)));
		const d = deps();
		const result = await deliverWebhook(hook.url + SECRET_PATH, PAYLOAD, d);
		expect(result).toMatchObject({ outcome: "delivered", attempts: 3, status: 204, error: null });
		expect(hook.requests).toHaveLength(3);
		expect(new Set(hook.requests.map((r) => r.body)).size).toBe(1);
		expect(d.waits).toEqual([1500, 3000]);
	});

	it("waits as long as a 429's Retry-After says, then delivers", async () => {
		hook = await startWebhookServer(sequence(reply(429, { "Retry-After": "7" }), reply(204)));
		const d = deps();
		const result = await deliverWebhook(hook.url + SECRET_PATH, PAYLOAD, d);
		expect(result).toMatchObject({ outcome: "delivered", attempts: 2 });
		expect(d.waits).toEqual([7000]);
	});

	it("reads Discord's retry_after JSON when it asks for longer than the header", async () => {
		const body = { message: "You are being rate limited.", retry_after: 2.5, global: false };
		hook = await startWebhookServer(sequence(reply(429, { "Retry-After": "2" }, body), reply(200)));
		const d = deps();
		expect(await deliverWebhook(hook.url + SECRET_PATH, PAYLOAD, d)).toMatchObject({ outcome: "delivered" });
		expect(d.waits).toEqual([2500]);
	});

	it("does not retry a 4xx, and reports the webhook's reason without the URL", async () => {
		hook = await startWebhookServer(reply(404, {}, { message: "Unknown Webhook", code: 10015 }));
		const d = deps();
		const result = await deliverWebhook(hook.url + SECRET_PATH, PAYLOAD, d);
		expect(result).toEqual({
			outcome: "rejected",
			attempts: 1,
			status: 404,
			error: 'HTTP 404: {"message":"Unknown Webhook","code":10015}',
			mayHaveArrived: false,
		});
		expect(hook.requests).toHaveLength(1);
		expect(d.waits).toEqual([]);
	});

	it("gives up after maxAttempts transient failures", async () => {
		hook = await startWebhookServer(reply(503, {}, "down for maintenance"));
		const d = deps();
		const result = await deliverWebhook(hook.url + SECRET_PATH, PAYLOAD, d, { ...DEFAULT_DELIVERY, maxAttempts: 3 });
		expect(result).toMatchObject({
			outcome: "gave_up",
			attempts: 3,
			status: 503,
			error: "HTTP 503: down for maintenance",
		});
		expect(hook.requests).toHaveLength(3);
	});

	it("does not follow a redirect", async () => {
		hook = await startWebhookServer(reply(307, { Location: "/elsewhere" }));
		const result = await deliverWebhook(hook.url + SECRET_PATH, PAYLOAD, deps());
		expect(result).toMatchObject({ outcome: "rejected", status: 307 });
		expect(hook.requests.map((r) => r.path)).toEqual([SECRET_PATH]);
	});

	it("times out a webhook that never answers and retries", async () => {
		hook = await startWebhookServer(hang);
		const options = { ...DEFAULT_DELIVERY, maxAttempts: 2, timeoutMs: 100 };
		const result = await deliverWebhook(hook.url + SECRET_PATH, PAYLOAD, deps(), options);
		expect(result).toMatchObject({ outcome: "gave_up", attempts: 2, status: null, error: "no answer within 100 ms" });
		expect(hook.requests).toHaveLength(2);
	});

	it("reports a refused connection without the URL", async () => {
		hook = await startWebhookServer();
		const url = hook.url + SECRET_PATH;
		await hook.close();
		hook = undefined;
		const result = await deliverWebhook(url, PAYLOAD, deps(), { ...DEFAULT_DELIVERY, maxAttempts: 1 });
		expect(result).toMatchObject({ outcome: "gave_up", attempts: 1, status: null });
		expect(result.error).toMatch(/ECONNREFUSED/);
		expect(result.error).not.toContain("secret");
	});

	it("stops at once when aborted during a request, saying it may have arrived", async () => {
		hook = await startWebhookServer(hang);
		const stop = new AbortController();
		const started = Date.now();
		const delivery = deliverWebhook(hook.url + SECRET_PATH, PAYLOAD, deps(stop.signal), {
			...DEFAULT_DELIVERY,
			timeoutMs: 60_000,
		});
		await expect.poll(() => hook!.requests.length).toBe(1);
		stop.abort();
		expect(await delivery).toMatchObject({ outcome: "aborted", attempts: 1, mayHaveArrived: true });
		expect(Date.now() - started).toBeLessThan(5000);
	});

	it("stops at once when aborted while waiting to retry, knowing nothing arrived", async () => {
		hook = await startWebhookServer(reply(500));
		const stop = new AbortController();
		const d: DeliveryDeps = {
			...deps(stop.signal),
			// A long wait that only the abort ends.
			sleep: (_ms, signal) => new Promise((resolve) => signal.addEventListener("abort", () => resolve())),
		};
		const delivery = deliverWebhook(hook.url + SECRET_PATH, PAYLOAD, d);
		await expect.poll(() => hook!.requests.length).toBe(1);
		stop.abort();
		expect(await delivery).toMatchObject({ outcome: "aborted", attempts: 1, status: 500, mayHaveArrived: false });
		expect(hook.requests).toHaveLength(1);
	});
});
