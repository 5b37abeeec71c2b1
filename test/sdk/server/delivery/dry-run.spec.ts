// A dry run (the `dryRun` option, or an unpublished place): the pipeline builds, seals and settles every batch
// without a request, counts it, and never touches the spill DataStore — above all, it never drains (and so never
// settles without sending) the batches other servers parked there.
import { afterEach, beforeEach, describe, expect, it } from "@rbxts/jest-globals";
import { batchRequests, deliveryOptions, spillKeys, startPipeline, stopAll, tokenRequests, track } from "./helpers";

const MINUTE_MS = 60 * 1000;

beforeEach(() => HarnessBackend.reset());
afterEach(() => stopAll());

describe("dry run", () => {
	it(
		"seals and counts every batch, sends nothing, and leaves other servers' spilled batches alone",
		() => {
			// Another server of the experience parked batches (HTTP off in a live game, then shut down).
			HarnessBackend.setHttpEnabled(false);
			const options = deliveryOptions({ flushSeconds: 5, maxBatchEvents: 10 });
			const parked = startPipeline(options, { isStudio: false });
			track(parked.pipeline, 25);
			parked.pipeline.shutdown();
			const chunks = spillKeys(options.spillStore).chunks;
			expect(chunks.size() > 0).toBe(true);
			HarnessBackend.setHttpEnabled(true);

			const dry = startPipeline({ ...options, dryRun: true }, { isStudio: false, drainIntervalSeconds: 10 });
			track(dry.pipeline, 25);
			task.wait(60);
			const stats = dry.pipeline.stats();
			expect(stats).toMatchObject({ queued: 0, sent: 0, dropped: 0, spilled: 0, drained: 0, dryRunEvents: 25 });
			expect(stats.dryRunBatches >= 3).toBe(true);
			expect(stats.requestsLastMinute).toBe(0);
			expect(batchRequests().size()).toBe(0);
			expect(tokenRequests().size()).toBe(0);
			expect(spillKeys(options.spillStore).chunks).toEqual(chunks);
			expect(dry.seen.warnings.lines).toEqual([]);
			// The shutdown settles what is left locally too: nothing dropped, nothing saved.
			track(dry.pipeline, 5);
			dry.pipeline.shutdown();
			expect(dry.pipeline.stats()).toMatchObject({ queued: 0, dropped: 0, spilled: 0, dryRunEvents: 30 });
			expect(spillKeys(options.spillStore).chunks).toEqual(chunks);
		},
		5 * MINUTE_MS,
	);
});
