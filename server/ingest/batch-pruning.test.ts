import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeEvent } from "../testing/fixtures.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import {
	BATCH_IDEMPOTENCY_DAYS,
	BATCH_IDEMPOTENCY_MS,
	batchIdempotencyMs,
	LEASE_PRUNE_MARGIN_MS,
	startBatchPruning,
	type BatchPruning,
} from "./batch-pruning.js";
import { MAX_EVENT_AGE_DAYS } from "./event-time-window.js";

const DAY = 86_400_000;
let t: TestApp | undefined;
let pruning: BatchPruning | undefined;
afterEach(async () => {
	await pruning?.stop();
	pruning = undefined;
	await t?.close();
});

/** Stores a batch as ingest does, received at `at`. */
async function ingest(app: TestApp, batchId: string, at: number) {
	await app.store.createGame({ id: "g1", name: "g1", createdAt: 0 });
	const event = makeEvent({ id: `e-${batchId}`, time: at });
	return app.store.ingestBatch("g1", { batchId, sentAt: at, events: [event], rejected: [] }, at);
}

describe("the batches idempotency window", () => {
	it("is longer than any resend ingest would still accept (the oldest event time it takes), and documented", () => {
		expect(BATCH_IDEMPOTENCY_DAYS).toBeGreaterThan(MAX_EVENT_AGE_DAYS);
		const readme = readFileSync(join(import.meta.dirname, "..", "..", "README.md"), "utf8");
		expect(readme).toContain(`${BATCH_IDEMPOTENCY_DAYS} days`);
	});

	it("is a day on the scale path (answers in PostgreSQL's batch ledger; ClickHouse dedups by event id), documented", () => {
		expect(batchIdempotencyMs({})).toBe(BATCH_IDEMPOTENCY_MS);
		expect(batchIdempotencyMs({ eventsUrl: "clickhouse://127.0.0.1:8123/vantage" })).toBe(DAY);
		const readme = readFileSync(join(import.meta.dirname, "..", "..", "README.md"), "utf8");
		expect(readme).toMatch(/scale path \(`VANTAGE_EVENTS_URL` set\) the answers are kept for 1 day/);
	});

	it("prunes rows older than the window on a timer; a batch within it is still answered as a replay", async () => {
		t = await createTestApp();
		const now = t.clock.now + 500 * DAY;
		await ingest(t, "old", now - BATCH_IDEMPOTENCY_MS - DAY);
		await ingest(t, "edge", now - BATCH_IDEMPOTENCY_MS + DAY);
		await ingest(t, "recent", now - DAY);
		const app = t;
		// A short interval stands in for the hourly timer: the first pass runs at start, the next on the timer.
		pruning = startBatchPruning({ store: app.store, clock: () => now, intervalMs: 20 });
		await expect.poll(async () => (await ingest(app, "old", now)).replayed, { timeout: 5000 }).toBe(false);
		expect((await ingest(app, "edge", now)).replayed).toBe(true);
		expect((await ingest(app, "recent", now)).replayed).toBe(true);
	});

	it("deletes in slices until nothing older is left", async () => {
		t = await createTestApp();
		const now = t.clock.now + 500 * DAY;
		const old = now - BATCH_IDEMPOTENCY_MS - DAY;
		for (let i = 0; i < 4500; i++) await ingest(t, `b${i}`, old + i);
		await ingest(t, "keep", now);
		pruning = startBatchPruning({ store: t.store, clock: () => now, intervalMs: 3_600_000 });
		// The pass begun at start (runOnce joins it) deletes all 4500, slice by slice; the next finds nothing.
		expect(await pruning.runOnce()).toBe(4500);
		expect(await pruning.runOnce()).toBe(0);
		expect(await t.store.security.pruneBatches(now + 1, 10_000)).toBe(1);
	});

	it("prunes leases expired longer than the margin ago (claims whose release was lost), and only those", async () => {
		t = await createTestApp();
		const now = t.clock.now + 500 * DAY;
		const { leases } = t.store;
		const lostAt = now - 2 * LEASE_PRUNE_MARGIN_MS;
		// A batch claim a crashed instance never released, one that lapsed a minute ago, one held now.
		expect(await leases.acquire("batch:g1:lost", "dead", lostAt, now - LEASE_PRUNE_MARGIN_MS - 1)).toBe(true);
		expect(await leases.acquire("batch:g1:lapsed", "dead", now - 120_000, now - 60_000)).toBe(true);
		expect(await leases.acquire("batch:g1:held", "alive", now, now + 60_000)).toBe(true);
		// `holder` at a time the lease was held tells whether its row is still there.
		expect(await leases.holder("batch:g1:lost", lostAt)).toBe("dead");
		pruning = startBatchPruning({ store: t.store, clock: () => now, intervalMs: 3_600_000 });
		await pruning.runOnce();
		expect(await leases.holder("batch:g1:lost", lostAt)).toBeNull();
		expect(await leases.holder("batch:g1:lapsed", now - 90_000)).toBe("dead");
		expect(await leases.holder("batch:g1:held", now)).toBe("alive");
		// The pruned claim is free, as the expired one was: the batch's resend claims it again.
		expect(await leases.acquire("batch:g1:lost", "next", now, now + 60_000)).toBe(true);
	});
});
