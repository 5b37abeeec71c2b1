// Spilling to DataStore and draining it back: on a long outage, at shutdown, under memory pressure; two servers
// draining at once; leases that lapse and leases renewed during a long drain. Several "servers" here are several
// pipelines in the Jest VM with distinct server ids, sharing its DataStore (the e2e test uses separate VMs).
import { afterEach, beforeEach, describe, expect, it } from "@rbxts/jest-globals";
import { DataStoreService, HttpService } from "@rbxts/services";
import { MAX_CHUNK_BYTES } from "../../../../src/server/delivery/spill-store";
import {
	batchRequests,
	countIds,
	deliveryOptions,
	deliveredIds,
	exactlyOnceProblems,
	expectDeliveredExactlyOnce,
	spilledEventCount,
	spillKeys,
	startPipeline,
	stopAll,
	track,
	trackSteadily,
} from "./helpers";

const MINUTE_MS = 60 * 1000;

beforeEach(() => HarnessBackend.reset());
afterEach(() => {
	stopAll();
	HarnessBackend.dataStore.clearFailures();
});

/** Parks `batches` batches of 10 events in `store` the way a server does at shutdown with the backend down. */
function parkChunk(store: string, batches: number): string[] {
	HarnessBackend.setDown(true);
	const { pipeline } = startPipeline(
		deliveryOptions({ spillStore: store, flushSeconds: 60, maxBatchEvents: 10, spillAfterSeconds: 3600 }),
	);
	const ids = track(pipeline, batches * 10);
	pipeline.shutdown();
	HarnessBackend.setDown(false);
	return ids;
}

/** Batch ids of the requests made with one token (one pipeline: each gets its own token). */
function batchIdsSentWith(token: string): string[] {
	return batchRequests()
		.filter((r) => r.authorization === `Bearer ${token}`)
		.map((r) => r.batchId!);
}

describe("spill on outage", () => {
	it(
		"moves batches to DataStore after spillAfterSeconds of outage, then sends them once the backend is back",
		() => {
			HarnessBackend.setDown(true);
			const options = deliveryOptions({ flushSeconds: 5, maxBatchEvents: 10, spillAfterSeconds: 60 });
			const { pipeline } = startPipeline(options, { random: () => 1, backoffCapSeconds: 30 });
			const ids = trackSteadily(pipeline, 12, 10, 5);
			// One minute in: nothing in DataStore yet.
			expect(spillKeys(options.spillStore).chunks.size()).toBe(0);
			for (const id of trackSteadily(pipeline, 24, 10, 5)) ids.push(id);
			const stats = pipeline.stats();
			expect(stats.spilled > 200).toBe(true);
			expect(spilledEventCount(options.spillStore)).toBe(stats.spilled);
			// Memory holds only what came since the last spill; nothing is lost.
			expect(stats.queued < 100).toBe(true);
			expect(stats.spilled + stats.queued).toBe(ids.size());
			expect(stats.dropped).toBe(0);

			HarnessBackend.setDown(false);
			task.wait(240);
			expectDeliveredExactlyOnce(ids);
			expect(pipeline.stats()).toMatchObject({ queued: 0, dropped: 0, drained: pipeline.stats().spilled });
			expect(spillKeys(options.spillStore)).toEqual({ chunks: [], leases: [] });
		},
		15 * MINUTE_MS,
	);

	it(
		"spills in a live game whose HTTP requests are disabled, and sends once they are enabled",
		() => {
			HarnessBackend.setHttpEnabled(false);
			const options = deliveryOptions({ flushSeconds: 5, maxBatchEvents: 10, spillAfterSeconds: 30 });
			const { pipeline } = startPipeline(options, { isStudio: false });
			const ids = trackSteadily(pipeline, 16, 10, 5);
			expect(HarnessBackend.requests().size()).toBe(0);
			expect(pipeline.stats().spilled > 0).toBe(true);
			HarnessBackend.setHttpEnabled(true);
			task.wait(180);
			expectDeliveredExactlyOnce(ids);
			expect(spillKeys(options.spillStore).chunks).toEqual([]);
		},
		10 * MINUTE_MS,
	);
});

describe("spill at shutdown", () => {
	it(
		"sends everything at shutdown while the backend answers, and spills nothing",
		() => {
			const options = deliveryOptions({ flushSeconds: 60, maxBatchEvents: 10 });
			const { pipeline } = startPipeline(options);
			const ids = track(pipeline, 35);
			const started = os.clock();
			pipeline.shutdown();
			expect(os.clock() - started < 5).toBe(true);
			expectDeliveredExactlyOnce(ids);
			expect(pipeline.stats()).toMatchObject({ queued: 0, spilled: 0, dropped: 0 });
			expect(HarnessBackend.dataStore.keys(options.spillStore)).toEqual([]);
		},
		MINUTE_MS,
	);

	it(
		"spills what is left within the 30 s of BindToClose when the backend is down; another server sends it once",
		() => {
			HarnessBackend.setDown(true);
			const options = deliveryOptions({ flushSeconds: 5, maxBatchEvents: 10, spillAfterSeconds: 3600 });
			const { pipeline } = startPipeline(options, { random: () => 1 });
			const ids = track(pipeline, 55);
			task.wait(8);
			const started = os.clock();
			pipeline.shutdown();
			expect(os.clock() - started < 30).toBe(true);
			expect(pipeline.stats()).toMatchObject({ queued: 0, spilled: 55, dropped: 0 });
			expect(spilledEventCount(options.spillStore)).toBe(55);
			// Late events (after the shutdown finished) can go nowhere: they are counted.
			track(pipeline, 2);
			expect(pipeline.stats().dropped).toBe(2);

			HarnessBackend.setDown(false);
			const successor = startPipeline(options, { serverId: "next-server", drainIntervalSeconds: 10 });
			task.wait(30);
			expectDeliveredExactlyOnce(ids);
			expect(successor.pipeline.stats().drained).toBe(55);
			expect(spillKeys(options.spillStore)).toEqual({ chunks: [], leases: [] });
		},
		2 * MINUTE_MS,
	);

	it(
		"parks a real-size chunk (3.5 MB, under DataStore's 4 MB) at shutdown; another server drains it exactly once",
		() => {
			HarnessBackend.setDown(true);
			// The default chunk size; batches of 256 KiB, so one chunk holds a dozen of them.
			const options = deliveryOptions({
				flushSeconds: 60,
				maxBatchBytes: 256 * 1024,
				maxBatchEvents: 1000,
				maxQueuedEvents: 10000,
				spillAfterSeconds: 3600,
			});
			const { pipeline } = startPipeline(options, { random: () => 1 });
			// ~1.1 KB of JSON per event: 3,400 events are ~3.8 MB, more than one chunk holds.
			const ids = track(pipeline, 3400, 1000);
			pipeline.shutdown();
			expect(pipeline.stats()).toMatchObject({ queued: 0, spilled: 3400, dropped: 0 });
			const chunks = spillKeys(options.spillStore).chunks;
			expect(chunks.size()).toBe(2);
			// Read back as the drain will: the chunk's serialized size, as DataStore measures it against its 4 MB.
			const store = DataStoreService.GetDataStore(options.spillStore);
			const sizes = chunks.map((key) => HttpService.JSONEncode(store.GetAsync(key)[0]).size());
			expect(sizes[0] >= 3000000 && sizes[0] <= MAX_CHUNK_BYTES).toBe(true);

			HarnessBackend.setDown(false);
			const successor = startPipeline(options, { serverId: "next-server", drainIntervalSeconds: 10 });
			task.wait(60);
			expectDeliveredExactlyOnce(ids);
			expect(successor.pipeline.stats()).toMatchObject({ drained: 3400, dropped: 0 });
			expect(spillKeys(options.spillStore)).toEqual({ chunks: [], leases: [] });
		},
		5 * MINUTE_MS,
	);

	it(
		"waits for DataStore write budget instead of queueing, and never takes the game's reserve",
		() => {
			// 11 writes per minute: with Vantage's reserve of 10, one write now, the others as the budget refills.
			DataStoreService.SetRateLimitForRequestType(Enum.DataStoreRequestType.StandardWrite, 11, 0);
			const lowest = { budget: math.huge };
			let watching = true;
			task.spawn(() => {
				while (watching) {
					const budget = DataStoreService.GetRequestBudgetForRequestType(Enum.DataStoreRequestType.StandardWrite);
					lowest.budget = math.min(lowest.budget, budget);
					task.wait(0.1);
				}
			});
			HarnessBackend.setDown(true);
			const options = deliveryOptions({ flushSeconds: 60, maxBatchEvents: 500, maxQueuedEvents: 10000 });
			// Chunks of 200 KB: ~470 KB of events need three or more, each written when the budget allows.
			const { pipeline } = startPipeline(options, { maxChunkBytes: 200000 });
			const ids = track(pipeline, 3500);
			const started = os.clock();
			pipeline.shutdown();
			const took = os.clock() - started;
			watching = false;
			DataStoreService.SetRateLimitForRequestType(Enum.DataStoreRequestType.StandardWrite, 60, 40);
			const chunks = spillKeys(options.spillStore).chunks.size();
			expect(chunks >= 3).toBe(true);
			expect(spilledEventCount(options.spillStore)).toBe(ids.size());
			// A wait of about 60/11 s for the budget to refill before each chunk after the first.
			expect(took > (chunks - 1) * 5 && took < 27).toBe(true);
			expect(lowest.budget >= 10).toBe(true);
		},
		2 * MINUTE_MS,
	);
});

describe("memory bound", () => {
	it(
		"spills past half of maxQueuedEvents, so nothing is dropped while DataStore works",
		() => {
			HarnessBackend.setDown(true);
			const options = deliveryOptions({
				flushSeconds: 1,
				maxBatchEvents: 10,
				maxQueuedEvents: 40,
				spillAfterSeconds: 3600,
			});
			const { pipeline } = startPipeline(options, { random: () => 1, backoffCapSeconds: 30 });
			const ids = trackSteadily(pipeline, 30, 5, 1);
			const stats = pipeline.stats();
			expect(stats.dropped).toBe(0);
			expect(stats.queued <= 40).toBe(true);
			expect(stats.spilled + stats.queued).toBe(ids.size());
		},
		5 * MINUTE_MS,
	);

	it(
		"drops the oldest events past maxQueuedEvents when the spill fails, after trying it, and reports them",
		() => {
			HarnessBackend.setDown(true);
			HarnessBackend.dataStore.fail("SetAsync");
			const options = deliveryOptions({
				flushSeconds: 1,
				maxBatchEvents: 10,
				maxQueuedEvents: 40,
				spillAfterSeconds: 3600,
			});
			const { pipeline, seen } = startPipeline(options, { random: () => 1, backoffCapSeconds: 30 });
			let firstDropAt: number | undefined;
			pipeline.signals.eventsDropped.Connect(() => (firstDropAt ??= DateTime.now().UnixTimestampMillis));
			trackSteadily(pipeline, 30, 5, 1);
			const stats = pipeline.stats();
			expect(stats.queued <= 40).toBe(true);
			expect(stats.dropped).toBe(150 - stats.queued);
			expect(seen.dropped[0].reason).toBe("the in-memory queue was full (maxQueuedEvents)");
			const spillAttempts = HarnessBackend.dataStore
				.requests(options.spillStore)
				.filter((r) => r.method === "SetAsync");
			expect(spillAttempts.size() > 0).toBe(true);
			expect(spillAttempts[0].error).never.toBe("");
			expect(firstDropAt).never.toBeUndefined();
			expect(spillAttempts[0].at <= firstDropAt!).toBe(true);
		},
		5 * MINUTE_MS,
	);
});

describe("draining", () => {
	it(
		"looks for spilled batches every spillDrainSeconds (one listing each)",
		() => {
			const listings = (spillDrainSeconds?: number) => {
				const options = deliveryOptions(spillDrainSeconds === undefined ? {} : { spillDrainSeconds });
				const { pipeline } = startPipeline(options);
				task.wait(1200);
				pipeline.stop();
				return HarnessBackend.dataStore
					.requests(options.spillStore)
					.filter((r) => r.method === "ListKeysAsync")
					.size();
			};
			const byDefault = listings();
			expect(byDefault >= 9 && byDefault <= 11).toBe(true); // every 120 s for 20 minutes
			const rarely = listings(600);
			expect(rarely >= 2 && rarely <= 3).toBe(true);
		},
		60 * MINUTE_MS,
	);

	it(
		"two servers draining at the same time send every batch exactly once",
		() => {
			const store = deliveryOptions().spillStore;
			const ids = new Array<string>();
			for (let i = 0; i < 4; i++) for (const id of parkChunk(store, 3)) ids.push(id);
			expect(spillKeys(store).chunks.size()).toBe(4);
			HarnessBackend.reset();

			// Both servers list at once (the specs share one VM's listing budget of 5 a minute: let it refill first).
			while (DataStoreService.GetRequestBudgetForRequestType(Enum.DataStoreRequestType.StandardList) < 4) task.wait(1);
			const options = deliveryOptions({ spillStore: store });
			const b = startPipeline(options, { serverId: "server-B", drainIntervalSeconds: 5 });
			const c = startPipeline(options, { serverId: "server-C", drainIntervalSeconds: 5 });
			task.wait(60);
			const sent = batchRequests().map((r) => r.batchId!);
			expect(sent.size()).toBe(12);
			for (const [, n] of countIds(sent)) expect(n).toBe(1);
			expectDeliveredExactlyOnce(ids);
			// Both servers took part: each claimed chunks the other did not.
			expect(b.pipeline.stats().drained > 0).toBe(true);
			expect(c.pipeline.stats().drained > 0).toBe(true);
			expect(b.pipeline.stats().drained + c.pipeline.stats().drained).toBe(120);
			expect(spillKeys(store)).toEqual({ chunks: [], leases: [] });
		},
		5 * MINUTE_MS,
	);

	it(
		"leaves a chunk to its lease holder until the lease lapses; the next server re-sends idempotently",
		() => {
			const store = deliveryOptions().spillStore;
			const ids = parkChunk(store, 3);
			const [chunk] = spillKeys(store).chunks;
			HarnessBackend.reset();
			// Server A claims the chunk, sends one batch (its budget then runs dry), and dies holding the lease.
			const options = deliveryOptions({ spillStore: store, maxRequestsPerMinute: 2 });
			const a = startPipeline(options, { serverId: "server-A", leaseSeconds: 60, drainIntervalSeconds: 5 });
			for (let i = 0; i < 60 && batchIdsSentWith("tok-1").size() === 0; i++) task.wait(1);
			a.pipeline.stop();
			const lease = HarnessBackend.dataStore.get(store, `l/${chunk.sub(3)}`) as { owner: string; until: number };
			expect(lease.owner).toBe("server-A");
			expect(batchIdsSentWith("tok-1").size()).toBe(1);

			const b = startPipeline(deliveryOptions({ spillStore: store }), {
				serverId: "server-B",
				leaseSeconds: 60,
				drainIntervalSeconds: 5,
			});
			task.wait(120);
			const bRequests = batchRequests().filter((r) => r.authorization === "Bearer tok-2");
			expect(bRequests.size()).toBe(3);
			// Not before A's lease lapsed (virtual seconds → unix ms on the same clock).
			const firstAtMs = DateTime.now().UnixTimestampMillis - (os.clock() - bRequests[0].at) * 1000;
			expect(firstAtMs >= lease.until).toBe(true);
			// B re-sent the batch A had sent (same batchId): the backend answered from its first answer.
			expect(bRequests.map((r) => r.batchId!).includes(batchIdsSentWith("tok-1")[0])).toBe(true);
			// Counted at the transport: the batch A had sent went over the wire twice (A's, then B's after the lapse),
			// every other event once; the backend stored each once.
			const resent = new Set(batchRequests(true).find((r) => r.authorization === "Bearer tok-1")!.eventIds!);
			expect(resent.size()).toBe(10);
			const delivered = countIds(deliveredIds());
			expect(ids.filter((id) => delivered.get(id) !== (resent.has(id) ? 2 : 1))).toEqual([]);
			expect(delivered.size()).toBe(ids.size());
			expect(exactlyOnceProblems(ids, HarnessBackend.storedEventIds())).toEqual([]);
			expect(b.pipeline.stats().drained).toBe(30);
			expect(spillKeys(store).chunks).toEqual([]);
		},
		5 * MINUTE_MS,
	);

	it(
		"renews its lease during a drain that outlasts it, so no other server takes the chunk",
		() => {
			const store = deliveryOptions().spillStore;
			const ids = parkChunk(store, 5);
			HarnessBackend.reset();
			// Two requests a minute: five batches take more than two minutes, against a 20 s lease.
			const slow = deliveryOptions({ spillStore: store, maxRequestsPerMinute: 2 });
			const a = startPipeline(slow, { serverId: "server-A", leaseSeconds: 20, drainIntervalSeconds: 5 });
			task.wait(1);
			const b = startPipeline(deliveryOptions({ spillStore: store }), {
				serverId: "server-B",
				leaseSeconds: 20,
				drainIntervalSeconds: 5,
			});
			task.wait(240);
			const sent = batchRequests().map((r) => r.batchId!);
			expect(sent.size()).toBe(5);
			for (const [, n] of countIds(sent)) expect(n).toBe(1);
			expect(a.pipeline.stats().drained).toBe(50);
			expect(b.pipeline.stats().drained).toBe(0);
			expectDeliveredExactlyOnce(ids);
			expect(spillKeys(store)).toEqual({ chunks: [], leases: [] });
		},
		10 * MINUTE_MS,
	);
});
