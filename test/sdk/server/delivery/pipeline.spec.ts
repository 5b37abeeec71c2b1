// The delivery pipeline against the scripted backend (real HTTP through the emulated HttpService): batching, gzip,
// tokens, every answer the contract defines, backoff timing and the request budget. Time is virtual.
import { afterEach, beforeEach, describe, expect, it } from "@rbxts/jest-globals";
import { HttpService } from "@rbxts/services";
import {
	batchRequests,
	deliveryOptions,
	expectDeliveredExactlyOnce,
	startPipeline,
	stopAll,
	tokenRequests,
	track,
	trackSteadily,
} from "./helpers";
import { fakePlayer, fakeTracking } from "../tracking/fakes";

const MINUTE_MS = 60 * 1000;

beforeEach(() => HarnessBackend.reset());
afterEach(() => stopAll());

describe("batching", () => {
	it(
		"sends queued events on the flush interval as one gzip request with a bearer token",
		() => {
			const { pipeline } = startPipeline(deliveryOptions({ flushSeconds: 10 }));
			const ids = track(pipeline, 3);
			task.wait(5);
			expect(batchRequests().size()).toBe(0);
			task.wait(6);
			const batches = batchRequests(true);
			expect(batches.size()).toBe(1);
			expect(batches[0].contentEncoding).toBe("gzip");
			expect(batches[0].wireBytes < batches[0].bodyBytes).toBe(true);
			expect(batches[0].authorization).toBe("Bearer tok-1");
			expect(batches[0].eventIds).toEqual(ids);
			expect(tokenRequests()[0].authorization).toBe(`Bearer ${HarnessBackend.gameKey}`);
			expect(pipeline.stats()).toMatchObject({ queued: 0, sent: 3, failedRequests: 0, dropped: 0 });
		},
		MINUTE_MS,
	);

	it(
		"sends a batch as soon as it is full, without waiting for the interval",
		() => {
			const { pipeline } = startPipeline(
				deliveryOptions({ flushSeconds: 60, maxBatchEvents: 10, maxQueuedEvents: 100 }),
			);
			track(pipeline, 25);
			task.wait(1);
			expect(batchRequests().map((r) => r.eventCount)).toEqual([10, 10]);
			expect(pipeline.stats().queued).toBe(5);
		},
		MINUTE_MS,
	);

	it(
		"under steady load sends only full batches, so requests per minute follow events per batch",
		() => {
			const { pipeline } = startPipeline(deliveryOptions({ flushSeconds: 10, maxBatchEvents: 100 }));
			// 25 events a second: a full batch every 4 s, 15 a minute (the interval never sends a small one).
			trackSteadily(pipeline, 120, 25, 1);
			const sizes = batchRequests().map((r) => r.eventCount);
			expect(sizes.size() >= 29 && sizes.size() <= 30).toBe(true);
			for (const n of sizes) expect(n).toBe(100);
		},
		5 * MINUTE_MS,
	);

	it(
		"keeps every request body within maxBatchBytes",
		() => {
			const maxBatchBytes = 64 * 1024;
			const { pipeline } = startPipeline(deliveryOptions({ flushSeconds: 5, maxBatchBytes }));
			// ~1.1 KB per event: 200 events need four requests of at most 64 KiB.
			const ids = track(pipeline, 200, 1000);
			task.wait(30);
			const batches = batchRequests();
			expect(batches.size() >= 4).toBe(true);
			for (const b of batches) expect(b.bodyBytes <= maxBatchBytes).toBe(true);
			expectDeliveredExactlyOnce(ids);
		},
		MINUTE_MS,
	);

	it(
		"writes events without props as an empty JSON object, which the backend accepts",
		() => {
			const { pipeline } = startPipeline(deliveryOptions({ flushSeconds: 1 }));
			pipeline.enqueue({
				id: "0000000000EMPTYPROPS0000",
				time: 1,
				userId: 1,
				sessionId: "S",
				type: "custom",
				name: "x",
				props: {},
			});
			task.wait(3);
			expect(HarnessBackend.storedEventIds()).toEqual(["0000000000EMPTYPROPS0000"]);
			expect(pipeline.stats().rejected).toBe(0);
		},
		MINUTE_MS,
	);

	it(
		"flush() sends what is queued and returns once it is delivered",
		() => {
			const { pipeline } = startPipeline(deliveryOptions({ flushSeconds: 600 }));
			const ids = track(pipeline, 5);
			const before = os.clock();
			expect(pipeline.flush()).toBe(true);
			expect(os.clock() - before < 1).toBe(true);
			expectDeliveredExactlyOnce(ids);
			expect(HarnessBackend.storedEventIds()).toEqual(ids);
		},
		MINUTE_MS,
	);
});

describe("tracking's deferred records", () => {
	it(
		"counts them as queued, wakes for a full batch, and builds them (validation, ids) only when sealing",
		() => {
			const { pipeline } = startPipeline(
				deliveryOptions({ flushSeconds: 60, maxBatchEvents: 10, maxQueuedEvents: 1000 }),
			);
			const { tracking } = fakeTracking({}, { sink: pipeline });
			const ada = fakePlayer(1001);
			tracking.track(ada, "warmup");
			for (let i = 0; i < 23; i++) expect(tracking.track(ada, "tick", { i })).toBe(true);
			expect(tracking.track(ada, "bad", { nested: { a: 1 } })).toBe(true);
			// Nothing built yet: no refusal, all 25 counted as queued.
			expect(tracking.stats().invalidCalls).toBe(0);
			expect(pipeline.stats().queued).toBe(25);
			task.wait(1);
			// The worker built them: 24 valid (two full batches sent), one refused.
			expect(tracking.stats().invalidCalls).toBe(1);
			expect(batchRequests().map((r) => r.eventCount)).toEqual([10, 10]);
			expect(pipeline.flush()).toBe(true);
			const stored = HarnessBackend.storedEventIds();
			expect(stored.size()).toBe(24);
			expect(new Set(stored).size()).toBe(24);
			for (let i = 1; i < stored.size(); i++) expect(stored[i - 1] < stored[i]).toBe(true);
		},
		MINUTE_MS,
	);

	it(
		"drops records tracked after shutdown, counted",
		() => {
			const { pipeline, seen } = startPipeline(deliveryOptions({ flushSeconds: 1 }), { isStudio: true });
			const { tracking } = fakeTracking({}, { sink: pipeline });
			const ada = fakePlayer(1001);
			tracking.track(ada, "before");
			pipeline.shutdown();
			expect(tracking.track(ada, "after", { late: true })).toBe(true);
			expect(tracking.track(ada, "later")).toBe(true);
			expect(pipeline.stats()).toMatchObject({ sent: 1, dropped: 2, queued: 0 });
			task.wait();
			expect(seen.dropped.map((d) => d.reason)).toContain("the server had already shut down");
		},
		MINUTE_MS,
	);
});

describe("answers from the backend", () => {
	it(
		"retries a batch with the same batchId and events but a new sentAt",
		() => {
			HarnessBackend.script("POST /v1/batches", [{ status: 500, json: { code: "internal" } }]);
			const { pipeline } = startPipeline(deliveryOptions({ flushSeconds: 5 }), { random: () => 1 });
			const ids = track(pipeline, 4);
			task.wait(20);
			const [first, second] = batchRequests(true);
			expect(second.batchId).toBe(first.batchId);
			expect(second.eventIds).toEqual(first.eventIds);
			expect(second.sentAt! > first.sentAt!).toBe(true);
			expectDeliveredExactlyOnce(ids);
			expect(HarnessBackend.storedEventIds()).toEqual(ids);
			expect(pipeline.stats()).toMatchObject({ sent: 4, retried: 1, failedRequests: 1 });
		},
		MINUTE_MS,
	);

	it(
		"on 413 sends the batch again as two halves, and loses nothing",
		() => {
			HarnessBackend.script("POST /v1/batches", [{ status: 413, json: { code: "payload_too_large" } }]);
			const { pipeline, seen } = startPipeline(deliveryOptions({ flushSeconds: 5 }));
			const ids = track(pipeline, 20);
			task.wait(10);
			const batches = batchRequests();
			expect(batches.map((b) => b.eventCount)).toEqual([20, 10, 10]);
			expect(batches[1].batchId).toBe(`${batches[0].batchId}-0`);
			expect(batches[2].batchId).toBe(`${batches[0].batchId}-1`);
			expectDeliveredExactlyOnce(ids);
			expect(pipeline.stats().dropped).toBe(0);
			expect(seen.dropped.size()).toBe(0);
		},
		MINUTE_MS,
	);

	it(
		"halves again and again until a batch fits, and drops only a single event that never fits",
		() => {
			const tooLarge = { status: 413, json: { code: "payload_too_large" } };
			HarnessBackend.script("POST /v1/batches", [tooLarge, tooLarge, tooLarge]);
			const { pipeline, seen } = startPipeline(deliveryOptions({ flushSeconds: 5 }));
			const ids = track(pipeline, 2);
			task.wait(10);
			// [a, b] → 413; [a] → 413 (dropped: a single event); [b] → 413 (dropped).
			expect(batchRequests().map((b) => b.eventCount)).toEqual([2, 1, 1]);
			expect(pipeline.stats().dropped).toBe(2);
			expect(seen.dropped.map((d) => d.count)).toEqual([1, 1]);
			expect(HarnessBackend.storedEventIds().size()).toBe(0);
			expect(ids.size()).toBe(2);
		},
		MINUTE_MS,
	);

	it(
		"splits a batch with more events than the backend takes (400 on `events`) instead of dropping it",
		() => {
			HarnessBackend.setMaxEvents(8);
			const { pipeline } = startPipeline(deliveryOptions({ flushSeconds: 5 }));
			const ids = track(pipeline, 20);
			task.wait(10);
			expectDeliveredExactlyOnce(ids);
			expect(pipeline.stats().dropped).toBe(0);
		},
		MINUTE_MS,
	);

	for (const [status, header, seconds] of [
		[429, "Retry-After", 30],
		[503, "retry-after", 45],
	] as const) {
		it(
			`waits exactly Retry-After on ${status}, then sends the same batch`,
			() => {
				HarnessBackend.script("POST /v1/batches", [{ status, headers: { [header]: `${seconds}` }, json: {} }]);
				const { pipeline } = startPipeline(deliveryOptions({ flushSeconds: 5 }), { random: () => 0 });
				const ids = track(pipeline, 3);
				task.wait(seconds + 30);
				const [first, second] = batchRequests();
				expect(second.batchId).toBe(first.batchId);
				const gap = second.at - first.at;
				// Times are sums of 1/60 s frames: allow their rounding, never an early send.
				expect(gap >= seconds - 1e-9 && gap < seconds + 0.1).toBe(true);
				expectDeliveredExactlyOnce(ids);
				expect(HarnessBackend.storedEventIds()).toEqual(ids);
			},
			2 * MINUTE_MS,
		);
	}

	it(
		"drops only the events the backend rejects, counts them and reports them by id",
		() => {
			HarnessBackend.script("POST /v1/batches", [
				{
					json: {
						accepted: 3,
						duplicates: 0,
						rejected: [
							{ index: 1, code: "invalid_event", message: "props.x: bad" },
							{ index: 3, code: "invalid_event", message: "name: too long" },
						],
					},
				},
			]);
			const { pipeline, seen } = startPipeline(deliveryOptions({ flushSeconds: 5 }));
			const ids = track(pipeline, 5);
			task.wait(30);
			expect(batchRequests().size()).toBe(1);
			expect(pipeline.stats()).toMatchObject({ sent: 3, rejected: 2, dropped: 0, queued: 0 });
			expect(seen.rejected.map((r) => r.id)).toEqual([ids[1], ids[3]]);
			expect(seen.rejected[0]).toMatchObject({ name: "spec_event", code: "invalid_event" });
		},
		MINUTE_MS,
	);

	it(
		"drops a batch the backend refuses (400 invalid envelope) and reports it",
		() => {
			HarnessBackend.script("POST /v1/batches", [
				{ status: 400, json: { code: "validation_failed", detail: "The batch envelope is invalid.", errors: [] } },
			]);
			const { pipeline, seen } = startPipeline(deliveryOptions({ flushSeconds: 5 }));
			track(pipeline, 4);
			task.wait(30);
			expect(batchRequests().size()).toBe(1);
			expect(pipeline.stats()).toMatchObject({ dropped: 4, sent: 0, queued: 0 });
			expect(seen.dropped[0].count).toBe(4);
			expect(seen.errors[0]).toMatchObject({ kind: "refused", status: 400, willRetry: false });
		},
		MINUTE_MS,
	);

	it(
		"refreshes the token once on 401 and repeats the request",
		() => {
			HarnessBackend.script("POST /v1/batches", [{ status: 401, json: { code: "invalid_token" } }]);
			const { pipeline } = startPipeline(deliveryOptions({ flushSeconds: 5 }));
			const ids = track(pipeline, 2);
			task.wait(10);
			const log = HarnessBackend.requests().map((r) => `${r.path} ${r.authorization} ${r.outcome}`);
			expect(log).toEqual([
				`/v1/oauth/token Bearer ${HarnessBackend.gameKey} 200`,
				"/v1/batches Bearer tok-1 401",
				`/v1/oauth/token Bearer ${HarnessBackend.gameKey} 200`,
				"/v1/batches Bearer tok-2 200",
			]);
			expectDeliveredExactlyOnce(ids);
			expect(HarnessBackend.storedEventIds()).toEqual(ids);
			expect(pipeline.stats().failedRequests).toBe(0);
		},
		MINUTE_MS,
	);

	it(
		"replaces the token before it expires, so no batch meets a 401",
		() => {
			HarnessBackend.setTokenTtl(120);
			const { pipeline } = startPipeline(deliveryOptions({ flushSeconds: 10 }));
			const ids = trackSteadily(pipeline, 30, 1, 10);
			task.wait(15);
			expect(
				batchRequests()
					.filter((r) => r.outcome !== 200)
					.size(),
			).toBe(0);
			const tokens = tokenRequests();
			expect(tokens.size() >= 5).toBe(true);
			for (let i = 1; i < tokens.size(); i++) expect(tokens[i].at - tokens[i - 1].at < 120).toBe(true);
			expectDeliveredExactlyOnce(ids);
		},
		10 * MINUTE_MS,
	);

	it(
		"keeps events through network errors, never throws, and reports each failure",
		() => {
			HarnessBackend.script("POST /v1/batches", [{ networkError: true }, { networkError: true }]);
			const { pipeline, seen } = startPipeline(deliveryOptions({ flushSeconds: 5 }), { random: () => 1 });
			const ids = track(pipeline, 6);
			task.wait(40);
			expect(batchRequests().map((r) => r.outcome)).toEqual(["network", "network", 200]);
			expectDeliveredExactlyOnce(ids);
			expect(HarnessBackend.storedEventIds()).toEqual(ids);
			expect(pipeline.stats()).toMatchObject({ sent: 6, failedRequests: 2, retried: 2, dropped: 0 });
			expect(seen.errors.size()).toBe(2);
			expect(seen.errors[0]).toMatchObject({ kind: "network", willRetry: true });
			expect(seen.errors[0].message).toBe("HttpError: NetFail");
			// One line for the outage, not one per failure.
			expect(seen.warnings.lines).toEqual([
				"cannot deliver events to the backend right now; they are kept and retried",
			]);
		},
		MINUTE_MS,
	);

	it(
		"treats a response lost after the backend stored the batch as a retry the backend answers idempotently",
		() => {
			HarnessBackend.script("POST /v1/batches", [{ process: true, networkError: true }]);
			const { pipeline } = startPipeline(deliveryOptions({ flushSeconds: 5 }), { random: () => 1 });
			const ids = track(pipeline, 5);
			task.wait(20);
			const batches = batchRequests();
			expect(batches.size()).toBe(2);
			expect(batches[1].batchId).toBe(batches[0].batchId);
			expectDeliveredExactlyOnce(ids);
			expect(pipeline.stats().sent).toBe(5);
		},
		MINUTE_MS,
	);
});

describe("backoff", () => {
	it(
		"waits base × 2^(n-1) after the n-th failure, capped (upper bound of the jitter)",
		() => {
			const failure = { status: 500, json: { code: "internal" } };
			HarnessBackend.script("POST /v1/batches", [failure, failure, failure, failure, failure, failure]);
			const { pipeline } = startPipeline(deliveryOptions({ flushSeconds: 5, spillAfterSeconds: 3600 }), {
				random: () => 1,
				backoffBaseSeconds: 2,
				backoffCapSeconds: 20,
			});
			track(pipeline, 1);
			task.wait(120);
			const at = batchRequests().map((r) => r.at);
			expect(at.size()).toBe(7);
			const gaps = new Array<number>();
			for (let i = 1; i < at.size(); i++) gaps.push(math.round(at[i] - at[i - 1]));
			expect(gaps).toEqual([2, 4, 8, 16, 20, 20]);
			expect(pipeline.stats()).toMatchObject({ sent: 1, failedRequests: 6, retried: 6 });
		},
		5 * MINUTE_MS,
	);

	it(
		"draws each wait uniformly below that bound (full jitter)",
		() => {
			const failure = { status: 502, json: { code: "internal" } };
			HarnessBackend.script("POST /v1/batches", [failure, failure, failure, failure]);
			const draws = [0.5, 0.25, 0.75, 0.1];
			let draw = 0;
			const { pipeline } = startPipeline(deliveryOptions({ flushSeconds: 5, spillAfterSeconds: 3600 }), {
				random: () => draws[draw++],
				backoffBaseSeconds: 4,
				backoffCapSeconds: 300,
			});
			track(pipeline, 1);
			task.wait(60);
			const at = batchRequests().map((r) => r.at);
			const gaps = new Array<number>();
			for (let i = 1; i < at.size(); i++) gaps.push(math.round((at[i] - at[i - 1]) * 10) / 10);
			// bounds 4, 8, 16, 32 × the draws
			expect(gaps).toEqual([2, 2, 12, 3.2]);
		},
		5 * MINUTE_MS,
	);
});

describe("request budget", () => {
	it(
		"never makes more than maxRequestsPerMinute requests in any minute, and still delivers everything",
		() => {
			const { pipeline } = startPipeline(
				deliveryOptions({ flushSeconds: 1, maxBatchEvents: 10, maxQueuedEvents: 1000, maxRequestsPerMinute: 4 }),
			);
			const ids = track(pipeline, 100);
			task.wait(60);
			expect(pipeline.stats().requestsLastMinute <= 4).toBe(true);
			task.wait(150);
			const times = HarnessBackend.requests().map((r) => r.at);
			// A request leaves the window at its send time + 60 s (the budget's own sum, exact for these doubles).
			for (let i = 4; i < times.size(); i++) expect(times[i - 4] + 60 <= times[i]).toBe(true);
			expectDeliveredExactlyOnce(ids);
			expect(pipeline.stats().dropped).toBe(0);
		},
		10 * MINUTE_MS,
	);

	it(
		"backs off without throwing when the game has used up HttpService's 500 requests per minute",
		() => {
			// The game spends Roblox's whole budget.
			for (let i = 0; i < 500; i++) HttpService.RequestAsync({ Url: `${HarnessBackend.url}/ping`, Method: "GET" });
			const { pipeline, seen } = startPipeline(deliveryOptions({ flushSeconds: 1 }), { random: () => 1 });
			const ids = track(pipeline, 3);
			task.wait(90);
			expect(seen.errors.some((e) => e.kind === "roblox-budget")).toBe(true);
			expectDeliveredExactlyOnce(ids);
			expect(HarnessBackend.storedEventIds()).toEqual(ids);
			expect(pipeline.stats().dropped).toBe(0);
			// Leave Roblox's window empty for the specs that follow (they share this VM).
			task.wait(60);
		},
		5 * MINUTE_MS,
	);
});

describe("Studio and configuration problems", () => {
	it(
		"in Studio with HTTP requests disabled: one warning, no requests, nothing thrown, bounded memory, no spill",
		() => {
			HarnessBackend.setHttpEnabled(false);
			const options = deliveryOptions({ flushSeconds: 5, maxBatchEvents: 10, maxQueuedEvents: 40 });
			const { pipeline, seen } = startPipeline(options, { isStudio: true });
			trackSteadily(pipeline, 10, 10, 5);
			expect(HarnessBackend.requests().size()).toBe(0);
			expect(seen.warnings.lines.size()).toBe(1);
			expect(seen.warnings.lines[0].find("Allow HTTP Requests", 1, true)[0] !== undefined).toBe(true);
			expect(seen.errors.map((e) => e.kind)).toEqual(["disabled"]);
			const stats = pipeline.stats();
			expect(stats.queued <= 40).toBe(true);
			expect(stats.dropped).toBe(100 - stats.queued);
			expect(stats.spilled).toBe(0);
			// flush() and shutdown() return instead of waiting for requests that cannot be made.
			expect(pipeline.flush()).toBe(false);
			pipeline.shutdown();
			expect(pipeline.stats()).toMatchObject({ queued: 0, dropped: 100, spilled: 0 });
			expect(HarnessBackend.dataStore.keys(options.spillStore)).toEqual([]);
			expect(seen.warnings.lines.size()).toBe(1);
		},
		5 * MINUTE_MS,
	);

	it(
		"keeps events and warns once when the game key secret is missing or refused",
		() => {
			const missing = startPipeline(deliveryOptions({ flushSeconds: 5, gameKeySecret: "no_such_secret" }));
			track(missing.pipeline, 3);
			HarnessBackend.script("POST /v1/oauth/token", [{ status: 401, json: { code: "invalid_client" } }]);
			const refused = startPipeline(deliveryOptions({ flushSeconds: 5 }), { backoffCapSeconds: 60 });
			const ids = track(refused.pipeline, 3);
			task.wait(30);
			expect(missing.pipeline.stats()).toMatchObject({ queued: 3, dropped: 0 });
			expect(missing.seen.errors[0].kind).toBe("auth");
			// Missing: said once where to add it, and no request tried (the token endpoint never heard of it).
			expect(missing.seen.warnings.lines).toEqual([
				'no game key: the secret "no_such_secret" was not found. Add it in the Creator Hub (your experience > Secrets); running servers keep the secrets they started with. Events are kept and saved to DataStore; a server started after the fix sends them.',
			]);
			expect(missing.pipeline.stats()).toMatchObject({ failedRequests: 0, requestsLastMinute: 0 });
			expect(refused.pipeline.stats()).toMatchObject({ queued: 3, dropped: 0 });
			expect(refused.seen.errors[0]).toMatchObject({ kind: "auth" });
			// The key works again (e.g. the secret was fixed): after the capped wait, the events go out.
			task.wait(60);
			expectDeliveredExactlyOnce(ids);
			expect(HarnessBackend.storedEventIds()).toEqual(ids);
		},
		5 * MINUTE_MS,
	);
});
