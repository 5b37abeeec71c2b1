// Erasure jobs on the scale path (PostgreSQL metadata, ClickHouse events) with two instances on the same stores: each
// resumes the unfinished jobs at start, and a job must still run once, on one of them; a job whose holder died is taken
// over once its lease expires.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PrivacyJobRecord } from "./privacy-store.js";
import type { PlayerPseudonyms } from "./pseudonyms.js";
import { openStores } from "../store/open-stores.js";
import { openPostgresPlayerVault } from "../store/postgres/player-vault.js";
import type { Store } from "../store/types.js";
import { memoryLogger } from "../testing/fixtures.js";
import { serviceRequired } from "../testing/services.js";
import { sharedClickHouseEventsUrl, sharedPostgresDatabase } from "../testing/shared-services.js";
import { AUDIT_ACTIONS } from "./audit.js";
import { createErasure, erasureLease } from "./erasure.js";

const GAME = "4242001";
const USER = 918_273_645;
const OTHER = 55_501_234;

interface Instance {
	store: Store;
	close(): Promise<void>;
}

const scalePath = serviceRequired("postgres") && serviceRequired("clickhouse");

describe.skipIf(!scalePath)("erasure jobs on two instances (PostgreSQL + ClickHouse)", () => {
	const closers: (() => Promise<void>)[] = [];
	let a: Instance;
	let b: Instance;

	beforeEach(async () => {
		const dataDir = mkdtempSync(join(tmpdir(), "vantage-erasure-"));
		closers.push(async () => rmSync(dataDir, { recursive: true, force: true }));
		const metadataUrl = await sharedPostgresDatabase("erasure");
		const eventsUrl = sharedClickHouseEventsUrl("erasure");
		const masterKey = randomBytes(32);
		const open = async (): Promise<Instance> => {
			const vault = await openPostgresPlayerVault({ url: metadataUrl, masterKey });
			const store = await openStores(
				{ dataDir, metadataUrl, eventsUrl, masterKey },
				{ players: vault as unknown as PlayerPseudonyms, sqlite: { autoFold: false } },
			);
			const instance = {
				store,
				close: async () => {
					await store.close();
					await vault.close();
				},
			};
			closers.push(instance.close);
			return instance;
		};
		a = await open();
		b = await open();
		const at = Date.now();
		await a.store.createGame({ id: GAME, name: "Erasure", createdAt: at });
		const event = (id: string, userId: number) => ({
			id,
			time: at - 1000,
			userId,
			sessionId: `s-${userId}`,
			type: "custom" as const,
			name: "x",
			props: {},
		});
		await a.store.ingestBatch(
			GAME,
			{ batchId: "b1", sentAt: at, events: [event("e1", USER), event("e2", OTHER)], rejected: [] },
			at,
		);
	});
	afterEach(async () => {
		for (const close of closers.splice(0).reverse()) await close();
	});

	/** A job a previous process stored and never finished. */
	async function leftJob(id: string): Promise<PrivacyJobRecord> {
		const job: PrivacyJobRecord = {
			id,
			kind: "erasure",
			source: "admin",
			status: "pending",
			gameIds: [GAME],
			requestedBy: "admin:test",
			createdAt: Date.now(),
			startedAt: null,
			finishedAt: null,
			result: null,
			error: null,
		};
		await a.store.privacy.createJob(job, USER);
		return job;
	}

	/** The audit entries saying the job erased the player: one per run that got to the end of a game. */
	async function completions(jobId: string): Promise<number> {
		const rows = await a.store.privacy.listAudit(0, 1000);
		return rows.filter((row) => row.action === AUDIT_ACTIONS.erasureCompleted && row.details.includes(jobId)).length;
	}

	function runner(instance: Instance, instanceId: string) {
		const log = memoryLogger("info");
		const erasure = createErasure({ store: instance.store, clock: Date.now, logger: log.logger, instanceId });
		return { jobs: erasure.jobs, messages: () => log.lines.map((line) => String(line["msg"] ?? line["message"])) };
	}

	it("runs a job both instances resume at once on exactly one of them; the other skips it", async () => {
		const job = await leftJob("0f8e2c1a-0000-4000-8000-0000000000a1");
		const one = runner(a, "instance-a");
		const two = runner(b, "instance-b");
		// Both start at the same time and both find the job unfinished.
		expect(await Promise.all([one.jobs.resume(), two.jobs.resume()])).toEqual([1, 1]);
		await Promise.all([one.jobs.idle(), two.jobs.idle()]);

		expect(await a.store.privacy.getJob(job.id)).toMatchObject({ status: "completed" });
		expect(await completions(job.id)).toBe(1);
		const ran = [one, two].filter((r) => r.messages().includes("erasure job completed"));
		const skipped = [one, two].filter((r) => r.messages().some((m) => m.startsWith("erasure job skipped")));
		expect(ran).toHaveLength(1);
		expect(skipped).toHaveLength(1);
		expect(await a.store.listEvents({ gameId: GAME, userId: USER, limit: 10 })).toEqual([]);
		expect(await a.store.listEvents({ gameId: GAME, limit: 10 })).toHaveLength(1);
		// The lease is given up once the job is done.
		expect(await a.store.leases.holder(erasureLease(job.id), Date.now())).toBeNull();
	});

	it("leaves a job to the live holder of its lease, and takes it over once a crashed holder's lease expires", async () => {
		const job = await leftJob("0f8e2c1a-0000-4000-8000-0000000000a2");
		// An instance took the job, marked it running and died (kill -9): its lease runs out 1.5 s from now.
		const crashedAt = Date.now();
		expect(await a.store.leases.acquire(erasureLease(job.id), "crashed", crashedAt, crashedAt + 1500)).toBe(true);
		await a.store.privacy.updateJob(job.id, { status: "running", startedAt: crashedAt });

		const survivor = runner(b, "instance-b");
		expect(await survivor.jobs.resume()).toBe(1);
		await survivor.jobs.idle();
		expect(survivor.messages()).toContain("erasure job skipped: another instance runs it");
		expect(await a.store.privacy.getJob(job.id)).toMatchObject({ status: "running" });
		expect(await completions(job.id)).toBe(0);

		// The survivor's sweep finds the job again once the lease expired, and runs it.
		const stop = survivor.jobs.resumeEvery(200);
		try {
			await expect
				.poll(async () => (await a.store.privacy.getJob(job.id))?.status, { timeout: 20_000, interval: 100 })
				.toBe("completed");
		} finally {
			stop();
		}
		await survivor.jobs.idle();
		expect(Date.now()).toBeGreaterThanOrEqual(crashedAt + 1500);
		expect(await completions(job.id)).toBe(1);
		expect(await a.store.listEvents({ gameId: GAME, userId: USER, limit: 10 })).toEqual([]);
	});
});
