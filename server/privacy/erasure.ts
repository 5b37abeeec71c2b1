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
import { randomUUID } from "node:crypto";
import type { Logger } from "../logger.js";
import type { Store } from "../store/types.js";
import { AUDIT_ACTIONS, recordAudit } from "./audit.js";
import { ErasureGuard } from "./erasure-guard.js";
import type { PrivacyJobRecord, PrivacyJobSource } from "./privacy-store.js";
import { subjectOf } from "./subject.js";

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

	constructor(deps: ErasureJobsDeps) {
		this.#deps = deps;
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

	/** Runs the jobs left pending or running by a previous process (call once at server start). */
	async resume(): Promise<number> {
		const unfinished = await this.#deps.store.privacy.unfinishedJobs();
		for (const { job, userId } of unfinished) this.#enqueue(job, userId);
		return unfinished.length;
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
		// A job's failure is recorded on the job; the queue itself never rejects.
		this.#queue = this.#queue.then(() => this.#run(job, userId)).catch(() => {});
	}

	async #run(job: PrivacyJobRecord, userId: number): Promise<void> {
		const { store, clock, logger } = this.#deps;
		await store.privacy.updateJob(job.id, { status: "running", startedAt: clock() });
		const result: Record<string, unknown> = {};
		let current = "";
		try {
			for (const gameId of job.gameIds) {
				current = gameId;
				result[gameId] = await this.#eraseFromGame(job, gameId, userId);
			}
			await store.privacy.updateJob(job.id, { status: "completed", finishedAt: clock(), result });
			logger.info("erasure job completed", { jobId: job.id, games: job.gameIds.length });
		} catch (error) {
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

	async #eraseFromGame(job: PrivacyJobRecord, gameId: string, userId: number): Promise<Record<string, unknown>> {
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
