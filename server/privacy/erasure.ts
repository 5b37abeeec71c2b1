// Erasure jobs (GDPR Art. 17): a request (the admin route, or Roblox's Right-to-Erasure webhook) becomes a stored job
// that runs in the background, one job at a time, and is resumed after a restart. What a job does per game:
// 1. a tombstone (the player's pseudonym) is stored and ingest starts dropping the player's events; batches that
//    passed ingest's check before that are waited for;
// 2. the warehouse folds everything pending, so the rollups hold exactly what the raw events hold;
// 3. one transaction subtracts the player from every aggregate and deletes every row keyed by the player
//    (PrivacyStore.erasePlayer); it is retried while new events of other players are still being folded;
// 4. the player's vault row is shredded: their pseudonym, under which vantage.db held every row of theirs, resolves to
//    nobody, and what was sealed with their data key (consent details) is unreadable, in backups too;
// 5. the audit log records the erasure under the player's pseudonym: the proof that stays.
// The job's row holds the UserId only until it completes.
// With several instances, every instance resumes the unfinished jobs at start and sweeps for orphaned ones, so a job
// runs only under its lease `erasure:<jobId>` in the metadata store (LeaseStore), renewed while it runs: an instance
// that cannot take it skips the job (another runs it), and one that takes it runs it only if the job is still as it was
// listed (another instance did not run it in between). A holder that dies stops renewing; the lease expires and the
// next sweep, or the next start, takes the job over.
import { randomUUID } from "node:crypto";
import type { Logger } from "../logger.js";
import { newInstanceId } from "../shared-state/job-leases.js";
import type { Store } from "../store/types.js";
import { AUDIT_ACTIONS, recordAudit } from "./audit.js";
import { ErasureGuard } from "./erasure-guard.js";
import type { PrivacyJobRecord, PrivacyJobSource } from "./privacy-store.js";
import { subjectOf } from "./subject.js";

/**
 * How long a running job's lease holds; renewed every third of it. A holder that dies delays its job this long (then
 * the next sweep, {@link ErasureJobs.resumeEvery}, or start takes it over).
 */
export const ERASURE_LEASE_TTL_MS = 60_000;

/** The lease a job runs under (one per job: two jobs may run on two instances at once). */
export const erasureLease = (jobId: string): string => `erasure:${jobId}`;

/** How often a game's erasure is tried while the warehouse still has its events to fold. */
const MAX_ATTEMPTS = 50;
const RETRY_MS = 100;

export interface ErasureJobsDeps {
	store: Store;
	guard: ErasureGuard;
	clock: () => number;
	logger: Logger;
	/**
	 * Deletes the player's data key (player-keys.db, or the PostgreSQL vault's row: a Promise); returns whether one
	 * existed. @default none (no keyring)
	 */
	shredPlayerKey?: (gameId: string, userId: number) => boolean | Promise<boolean>;
	/**
	 * Where other instances ingest too: how long a job waits after storing the tombstone, so every instance's guard
	 * has read it again (ERASURE_TOMBSTONE_REFRESH_MS, erasure-guard.ts) and stored the batches it admitted before. @default 0
	 */
	peerWaitMs?: number;
	/** This instance's name in job leases. @default a new {@link newInstanceId} */
	instanceId?: string;
	/** @default {@link ERASURE_LEASE_TTL_MS} */
	leaseTtlMs?: number;
}

/** Thrown at a step boundary when the job's lease was lost (another instance may run the job now). */
class ErasureLeaseLostError extends Error {
	override readonly name = "ErasureLeaseLostError";
}

/** A job's lease while this instance runs it. */
interface JobClaim {
	/** Throws ErasureLeaseLostError when the lease was not renewed in time. */
	check(): void;
	/** Stops renewing and gives the lease up. */
	end(): Promise<void>;
}

export interface ErasureRequest {
	source: PrivacyJobSource;
	gameIds: string[];
	userId: number;
	/** `admin:<user id>` or `webhook:roblox:<NotificationId>`. */
	requestedBy: string;
	/** The Roblox NotificationId: a second request with it returns the first job. */
	notificationId?: string;
}

export class ErasureJobs {
	readonly #deps: ErasureJobsDeps;
	/** Jobs run one after the other: two erasures never interleave their transactions and folds. */
	#queue: Promise<void> = Promise.resolve();
	/** Jobs queued or running here: a sweep does not queue them twice. */
	readonly #queued = new Set<string>();
	readonly #instanceId: string;
	readonly #leaseTtlMs: number;

	constructor(deps: ErasureJobsDeps) {
		this.#deps = deps;
		this.#instanceId = deps.instanceId ?? newInstanceId();
		this.#leaseTtlMs = deps.leaseTtlMs ?? ERASURE_LEASE_TTL_MS;
		if (!(this.#leaseTtlMs >= 300)) throw new Error("an erasure job's lease lasts at least 300 ms");
	}

	/**
	 * Stores a pending job and starts it in the background; returns at once. With a notificationId seen before,
	 * returns that request's job (`created: false`) and starts nothing.
	 */
	async request(request: ErasureRequest): Promise<{ job: PrivacyJobRecord; created: boolean }> {
		const { store, clock } = this.#deps;
		const at = clock();
		const job: PrivacyJobRecord = {
			id: randomUUID(),
			kind: "erasure",
			source: request.source,
			status: "pending",
			gameIds: [...new Set(request.gameIds)],
			requestedBy: request.requestedBy,
			createdAt: at,
			startedAt: null,
			finishedAt: null,
			result: null,
			error: null,
		};
		const outcome = await store.privacy.createJob(job, request.userId, request.notificationId);
		if (!outcome.created) return outcome;
		for (const gameId of job.gameIds) {
			await recordAudit(
				store,
				{
					action: AUDIT_ACTIONS.erasureRequested,
					actor: request.requestedBy,
					gameId,
					userId: request.userId,
					details: { jobId: job.id, source: job.source },
				},
				at,
			);
		}
		this.#enqueue(job, request.userId);
		return outcome;
	}

	/**
	 * Queues the jobs left pending, running or failed by a previous process (call once at server start); returns how
	 * many. A job another instance runs now is skipped when its turn comes (its lease is held).
	 */
	async resume(): Promise<number> {
		return await this.#resume(() => true);
	}

	/**
	 * Every `intervalMs`, queues the pending and running jobs no instance holds the lease of (their holder died):
	 * failed jobs wait for the next start, as on one instance. Returns a function that stops the sweeps.
	 *
	 * @example
	 * const stopSweeps = erasure.jobs.resumeEvery(ERASURE_LEASE_TTL_MS);
	 * // shutdown: stopSweeps(); await erasure.jobs.idle();
	 */
	resumeEvery(intervalMs: number): () => void {
		const timer = setInterval(() => {
			this.#resume((job) => job.status === "pending" || job.status === "running").catch((error: unknown) =>
				this.#deps.logger.warn("erasure job sweep failed", { error }),
			);
		}, intervalMs);
		timer.unref();
		return () => clearInterval(timer);
	}

	async #resume(wanted: (job: PrivacyJobRecord) => boolean): Promise<number> {
		const unfinished = await this.#deps.store.privacy.unfinishedJobs();
		let queued = 0;
		for (const { job, userId } of unfinished) {
			if (!wanted(job) || this.#queued.has(job.id)) continue;
			this.#enqueue(job, userId);
			queued++;
		}
		return queued;
	}

	/** Resolves when every job queued so far has finished (tests; shutdown). */
	async idle(): Promise<void> {
		let current: Promise<void>;
		do {
			current = this.#queue;
			await current;
		} while (current !== this.#queue);
	}

	#enqueue(job: PrivacyJobRecord, userId: number): void {
		this.#queued.add(job.id);
		// A job's failure is recorded on the job; the queue itself never rejects.
		this.#queue = this.#queue
			.then(async () => {
				const claim = await this.#claim(job);
				if (!claim) return;
				try {
					await this.#run(job, userId, claim);
				} finally {
					await claim.end();
				}
			})
			.catch((error: unknown) => this.#deps.logger.error("erasure job not run", { jobId: job.id, error }))
			.finally(() => this.#queued.delete(job.id));
	}

	/**
	 * 1. the job's lease held by another instance → skipped (it runs there);
	 * 2. the job changed since it was listed (another instance ran it, or runs it again after a failure) → skipped;
	 * 3. otherwise → ours: the lease is renewed every third of its ttl until {@link JobClaim.end}.
	 */
	async #claim(listed: PrivacyJobRecord): Promise<JobClaim | undefined> {
		const { store, logger } = this.#deps;
		// Leases run on the wall clock whatever `deps.clock` says: they time real work across instances.
		const clock = Date.now;
		const name = erasureLease(listed.id);
		const holder = this.#instanceId;
		const ttl = this.#leaseTtlMs;
		const start = clock();
		if (!(await store.leases.acquire(name, holder, start, start + ttl))) {
			logger.info("erasure job skipped: another instance runs it", { jobId: listed.id });
			return undefined;
		}
		const stored = await store.privacy.getJob(listed.id);
		if (!stored || stored.status !== listed.status || stored.startedAt !== listed.startedAt) {
			await store.leases.release(name, holder);
			logger.info("erasure job skipped: another instance ran it", { jobId: listed.id, status: stored?.status });
			return undefined;
		}
		// This instance's deadline: a tenth of the ttl before the lease's, so it stops before another may start. A renewal
		// refused once (another instance took the lease) is final, even if the lease were free again later.
		let deadline = start + ttl - Math.ceil(ttl / 10);
		let lost = false;
		let renewing = Promise.resolve();
		const timer = setInterval(
			() => {
				renewing = renewing.then(async () => {
					const now = clock();
					try {
						if (await store.leases.acquire(name, holder, now, now + ttl)) {
							if (!lost) deadline = now + ttl - Math.ceil(ttl / 10);
						} else lost = true;
					} catch (error) {
						// The lease may still be ours: the deadline decides.
						logger.warn("erasure job lease renewal failed", { jobId: listed.id, error });
					}
				});
			},
			Math.max(100, Math.floor(ttl / 3)),
		);
		timer.unref();
		return {
			check() {
				if (lost || clock() >= deadline) {
					throw new ErasureLeaseLostError(`lost the lease of erasure job ${listed.id}`);
				}
			},
			async end() {
				clearInterval(timer);
				// A renewal still running lands before the release, never after it.
				await renewing;
				await store.leases.release(name, holder).catch((error: unknown) => {
					logger.warn("erasure job lease not released", { jobId: listed.id, error });
				});
			},
		};
	}

	async #run(job: PrivacyJobRecord, userId: number, claim: JobClaim): Promise<void> {
		const { store, clock, logger } = this.#deps;
		await store.privacy.updateJob(job.id, { status: "running", startedAt: clock() });
		const result: Record<string, unknown> = {};
		let current = "";
		try {
			for (const gameId of job.gameIds) {
				current = gameId;
				claim.check();
				result[gameId] = await this.#eraseFromGame(job, gameId, userId, claim);
			}
			claim.check();
			await store.privacy.updateJob(job.id, { status: "completed", finishedAt: clock(), result });
			logger.info("erasure job completed", { jobId: job.id, games: job.gameIds.length });
		} catch (error) {
			if (error instanceof ErasureLeaseLostError) {
				// Not a failure of the job: the instance that took the lease over runs it (every step is idempotent).
				logger.warn("erasure job stopped: its lease was lost", { jobId: job.id, gameId: current });
				return;
			}
			const message = error instanceof Error ? error.message : String(error);
			logger.error("erasure job failed", { jobId: job.id, gameId: current, error });
			await recordAudit(
				store,
				{
					action: AUDIT_ACTIONS.erasureFailed,
					actor: "system",
					gameId: current || null,
					userId: current ? userId : null,
					details: { jobId: job.id, error: message.slice(0, 500) },
				},
				clock(),
			).catch(() => {});
			await store.privacy
				.updateJob(job.id, { status: "failed", finishedAt: clock(), result, error: message.slice(0, 500) })
				.catch((e: unknown) => logger.error("erasure job state not saved", { jobId: job.id, error: e }));
		}
	}

	async #eraseFromGame(
		job: PrivacyJobRecord,
		gameId: string,
		userId: number,
		claim: JobClaim,
	): Promise<Record<string, unknown>> {
		const { store, guard, clock } = this.#deps;
		// A GameId of the webhook this backend never registered: nothing is held, nothing is written.
		if (!(await store.getGame(gameId))) return { status: "unknown_game" };
		const subject = await subjectOf(store, gameId, userId);
		await store.privacy.addTombstone(gameId, subject, clock());
		guard.add(gameId, subject);
		await guard.drain();
		const peerWaitMs = this.#deps.peerWaitMs ?? 0;
		if (peerWaitMs > 0) await new Promise((resolve) => setTimeout(resolve, peerWaitMs));

		for (let attempt = 1; ; attempt++) {
			await store.warehouse.catchUp();
			claim.check();
			const outcome = await store.privacy.erasePlayer(gameId, userId, clock());
			if (outcome.done) {
				const keyShredded = (await this.#deps.shredPlayerKey?.(gameId, userId)) ?? false;
				const details = {
					jobId: job.id,
					deletedRows: outcome.deleted,
					experimentsUpdated: outcome.experimentsUpdated,
					keyShredded,
				};
				await recordAudit(
					store,
					{ action: AUDIT_ACTIONS.erasureCompleted, actor: "system", gameId, userId, details },
					clock(),
				);
				return { status: "erased", ...details };
			}
			if (attempt >= MAX_ATTEMPTS) {
				throw new Error(`the warehouse did not catch up with game "${gameId}" (${outcome.reason})`);
			}
			await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
		}
	}
}

/** Ingest's guard and the job runner, wired to each other (one pair per app). */
export interface Erasure {
	guard: ErasureGuard;
	jobs: ErasureJobs;
}

/**
 * @example
 * const erasure = createErasure({ store, clock: Date.now, logger, shredPlayerKey: (g, u) => keyring.shred(g, u) });
 * const app = createApp({ ..., erasure });
 * await erasure.jobs.resume(); // after listen: jobs a previous process left unfinished
 */
export function createErasure(deps: Omit<ErasureJobsDeps, "guard">): Erasure {
	const guard = new ErasureGuard(deps.store);
	return { guard, jobs: new ErasureJobs({ ...deps, guard }) };
}
