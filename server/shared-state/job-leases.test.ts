// Job leases on the SQLite engine's LeaseStore (the same one two processes on one data directory share): two
// JobLeases stand for two instances, on a clock the test moves.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startAdaptiveUpdates } from "../experiments/adaptive.js";
import { startBatchPruning } from "../ingest/batch-pruning.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import { memoryLogger } from "../testing/fixtures.js";
import { JobLeases, newInstanceId } from "./job-leases.js";

type Engine = ReturnType<typeof openSqliteStore>;

/** How often a timer of `intervalMs` started now fires in `forMs` (the jobs' timers, started alongside, fire as often). */
async function countTicks(intervalMs: number, forMs: number): Promise<number> {
	let ticks = 0;
	const timer = setInterval(() => ticks++, intervalMs);
	await new Promise((resolve) => setTimeout(resolve, forMs));
	clearInterval(timer);
	return ticks;
}

describe("JobLeases", () => {
	let store: Engine;
	let now: number;
	const clock = () => now;
	const instance = (id: string, logger = memoryLogger().logger) =>
		new JobLeases({ leases: store.leases, instanceId: id, ttlMs: 1_000, clock, logger });

	beforeEach(() => {
		store = openSqliteStore({ path: ":memory:" });
		now = 1_000_000;
	});
	afterEach(async () => {
		await store.close();
	});

	it("gives each job to one instance, which keeps it by renewing", async () => {
		const a = instance("a");
		const b = instance("b");
		const [aJob, bJob] = [a.lease("job"), b.lease("job")];
		await a.renew();
		await b.renew();
		expect([aJob.held(), bJob.held()]).toEqual([true, false]);
		for (let i = 0; i < 5; i++) {
			now += 300;
			await a.renew();
			await b.renew();
			expect([aJob.held(), bJob.held()]).toEqual([true, false]);
		}
		expect(await store.leases.holder("job", now)).toBe("a");
	});

	it("moves a job whose holder stopped renewing (a crash) only after the TTL", async () => {
		const a = instance("a");
		const { logger, lines } = memoryLogger();
		const b = instance("b", logger);
		const [aJob, bJob] = [a.lease("job"), b.lease("job")];
		await a.renew();
		// a dies here: no renewal, no release.
		now += 950;
		await b.renew();
		expect(bJob.held()).toBe(false);
		// a, were it only paused, would have stopped running the job a tenth of the TTL before its lease ran out.
		expect(aJob.held()).toBe(false);
		now += 51;
		await b.renew();
		expect(bJob.held()).toBe(true);
		expect(lines).toContainEqual(expect.objectContaining({ msg: "job lease acquired", job: "job", instanceId: "b" }));
	});

	it("hands a job over at once when its holder stops cleanly", async () => {
		const a = instance("a");
		const b = instance("b");
		const bJob = b.lease("job");
		a.lease("job");
		await a.renew();
		await b.renew();
		expect(bJob.held()).toBe(false);
		await a.stop();
		await b.renew();
		expect(bJob.held()).toBe(true);
	});

	it("keeps a lease until its own deadline while the store fails, with a warning", async () => {
		const { logger, lines } = memoryLogger();
		const a = instance("a", logger);
		const job = a.lease("job");
		await a.renew();
		await store.close();
		now += 500;
		await a.renew();
		expect(job.held()).toBe(true);
		expect(lines).toContainEqual(expect.objectContaining({ level: "warn", msg: "job lease renewal failed" }));
		now += 450;
		expect(job.held()).toBe(false);
		store = openSqliteStore({ path: ":memory:" });
	});

	it("runs the batch pruning job's timer passes only where the lease is held", async () => {
		let passes = 0;
		const prune = store.security.pruneBatches.bind(store.security);
		store.security.pruneBatches = async (before, limit) => {
			passes++;
			return prune(before, limit);
		};
		const a = instance("a");
		const b = instance("b");
		const leases = [a.lease("batch-pruning"), b.lease("batch-pruning")];
		now = Date.now();
		await a.renew();
		await b.renew();
		const jobs = leases.map((lease) => startBatchPruning({ store, clock: Date.now, intervalMs: 20, lease }));
		const ticks = await countTicks(20, 100);
		await Promise.all(jobs.map((job) => job.stop()));
		// a ran its start pass and a pass per tick; b ran none (each pass is one slice on an empty table).
		expect(ticks).toBeGreaterThanOrEqual(2);
		expect(passes).toBeGreaterThanOrEqual(ticks);
		expect(passes).toBeLessThanOrEqual(ticks + 2);
	});

	it("runs the adaptive updates' timer passes only where the lease is held", async () => {
		let passes = 0;
		const list = store.allocation.listAdaptiveRuns.bind(store.allocation);
		store.allocation.listAdaptiveRuns = async () => {
			passes++;
			return list();
		};
		const a = instance("a");
		const b = instance("b");
		const leases = [a.lease("adaptive-updates"), b.lease("adaptive-updates")];
		now = Date.now();
		await a.renew();
		await b.renew();
		const { logger } = memoryLogger();
		const jobs = leases.map((lease) => startAdaptiveUpdates({ store, logger, clock: Date.now, tickMs: 20, lease }));
		const ticks = await countTicks(20, 100);
		await Promise.all(jobs.map((job) => job.stop()));
		// a's timer ran a pass per tick; b's none.
		expect(ticks).toBeGreaterThanOrEqual(2);
		expect(passes).toBeGreaterThanOrEqual(ticks - 1);
		expect(passes).toBeLessThanOrEqual(ticks + 1);
	});

	it("names instances uniquely, by host and process", () => {
		const id = newInstanceId();
		expect(id).toContain(`:${process.pid}:`);
		expect(newInstanceId()).not.toBe(id);
	});
});
