// The erasure job's ordering guarantees: it waits for batches ingest admitted before the tombstone, for the warehouse
// to fold the game's events, and it resumes (or retries) jobs a previous process left unfinished.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { memoryLogger } from "../testing/fixtures.js";
import { createErasure, erasureLease } from "./erasure.js";
import { openPrivacyBackend, scanForUserId, type PrivacyBackend } from "./privacy-harness.js";

const USER = 918_273_645;
const OTHER = 55_501_234;
const G1 = "7770001";

let backend: PrivacyBackend;
beforeEach(async () => {
	backend = await openPrivacyBackend();
	await backend.ingest(G1, "b1", [event("e1", USER), event("e2", OTHER)]);
});
afterEach(() => backend.close());

function event(id: string, userId: number) {
	return {
		id,
		time: backend.clock.now - 1000,
		userId,
		sessionId: `s-${userId}`,
		type: "custom" as const,
		name: "x",
		props: {},
	};
}

describe("erasure jobs", () => {
	it("wait for a batch ingest admitted before the tombstone and erase its events too", async () => {
		// A batch of the player passed ingest's check just before the erasure, and is stored only after it started.
		const late = [event("e3", USER), event("e4", OTHER)];
		const admission = await backend.erasure.guard.admit(G1, late);
		expect(admission.kept).toHaveLength(2);
		const { job } = await backend.erasure.jobs.request({
			source: "admin",
			gameIds: [G1],
			userId: USER,
			requestedBy: "admin:test",
		});
		await new Promise((resolve) => setTimeout(resolve, 50));
		// The job is waiting for that batch.
		expect((await backend.store.privacy.getJob(job.id))?.status).toBe("running");
		await backend.store.ingestBatch(G1, { batchId: "b2", sentAt: 0, events: late, rejected: [] }, backend.clock.now);
		admission.done();
		await backend.erasure.jobs.idle();
		expect((await backend.store.privacy.getJob(job.id))?.status).toBe("completed");
		expect(scanForUserId(backend.databaseFiles, USER)).toEqual([]);
		expect(await backend.store.listEvents({ gameId: G1, limit: 10 })).toHaveLength(2);
	});

	it("stop at the next step, neither completed nor failed, when another instance took the job's lease", async () => {
		const log = memoryLogger("info");
		const runner = createErasure({
			store: backend.store,
			clock: () => backend.clock.now,
			logger: log.logger,
			instanceId: "runner",
			leaseTtlMs: 300,
		});
		const admission = await runner.guard.admit(G1, [event("e3", USER)]);
		const { job } = await runner.jobs.request({ source: "admin", gameIds: [G1], userId: USER, requestedBy: "admin:t" });
		// The job waits for the admitted batch; meanwhile its lease passes to another instance (as after a long pause).
		await expect.poll(async () => (await backend.store.privacy.getJob(job.id))?.status).toBe("running");
		await backend.store.leases.release(erasureLease(job.id), "runner");
		expect(await backend.store.leases.acquire(erasureLease(job.id), "other", Date.now(), Date.now() + 60_000)).toBe(
			true,
		);
		await new Promise((resolve) => setTimeout(resolve, 250));
		admission.done();
		await runner.jobs.idle();
		expect(log.lines.map((line) => line["msg"])).toContain("erasure job stopped: its lease was lost");
		expect(await backend.store.privacy.getJob(job.id)).toMatchObject({ status: "running", error: null });
		expect(await backend.store.listEvents({ gameId: G1, userId: USER, limit: 10 })).toHaveLength(1);
		expect(await backend.store.leases.holder(erasureLease(job.id), Date.now())).toBe("other");
	});

	it("leave a game whose events are not folded yet untouched until the warehouse has them", async () => {
		// Stored but not folded: subtracting now would take from rollups that do not hold the events yet.
		expect(await backend.store.privacy.erasePlayer(G1, USER, backend.clock.now)).toEqual({
			done: false,
			reason: "unfolded_events",
		});
		await backend.store.warehouse.catchUp();
		await backend.store.warehouse.rebuild(G1);
		expect(await backend.store.privacy.erasePlayer(G1, USER, backend.clock.now)).toEqual({
			done: false,
			reason: "rebuilding",
		});
		expect(await backend.store.listEvents({ gameId: G1, userId: USER, limit: 10 })).toHaveLength(1);
		await backend.store.warehouse.catchUp();
		expect(await backend.store.privacy.erasePlayer(G1, USER, backend.clock.now)).toMatchObject({
			done: true,
			deleted: { events: 1 },
		});
	});

	it("resume a job left pending by a previous process, and clear its UserId when done", async () => {
		await backend.store.privacy.createJob(
			{
				id: "0f8e2c1a-0000-4000-8000-000000000001",
				kind: "erasure",
				source: "admin",
				status: "pending",
				gameIds: [G1],
				requestedBy: "admin:test",
				createdAt: backend.clock.now,
				startedAt: null,
				finishedAt: null,
				result: null,
				error: null,
			},
			USER,
		);
		expect(scanForUserId(backend.databaseFiles, USER).map((t) => t.table)).toContain("privacy_jobs");
		// A new process: its own job runner finds the job and runs it.
		const restarted = createErasure({
			store: backend.store,
			clock: () => backend.clock.now,
			logger: memoryLogger().logger,
		});
		expect(await restarted.jobs.resume()).toBe(1);
		await restarted.jobs.idle();
		expect(await backend.store.privacy.getJob("0f8e2c1a-0000-4000-8000-000000000001")).toMatchObject({
			status: "completed",
			result: { [G1]: { status: "erased" } },
		});
		expect(await backend.store.privacy.unfinishedJobs()).toEqual([]);
		// No keyring in this runner: the player's key row is the only trace left, and it belongs to player-keys.db.
		expect(scanForUserId(backend.databaseFiles.slice(0, 1), USER)).toEqual([]);
	});

	it("records a failure on the job, keeps the UserId for the retry, and retries it at the next resume", async () => {
		const failing = createErasure({
			store: backend.store,
			clock: () => backend.clock.now,
			logger: memoryLogger("error").logger,
			shredPlayerKey: () => {
				throw new Error("key database unavailable");
			},
		});
		const { job } = await failing.jobs.request({
			source: "admin",
			gameIds: [G1],
			userId: USER,
			requestedBy: "admin:t",
		});
		await failing.jobs.idle();
		expect(await backend.store.privacy.getJob(job.id)).toMatchObject({
			status: "failed",
			error: "key database unavailable",
		});
		expect((await backend.store.privacy.unfinishedJobs()).map((j) => j.userId)).toEqual([USER]);
		expect(await backend.erasure.jobs.resume()).toBe(1);
		await backend.erasure.jobs.idle();
		expect(await backend.store.privacy.getJob(job.id)).toMatchObject({ status: "completed", error: null });
		expect(scanForUserId(backend.databaseFiles, USER)).toEqual([]);
	});
});
