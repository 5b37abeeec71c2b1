// The batches table remembers each batchId's answer so a resent batch is answered, not stored twice. It cannot grow
// forever, and it need not: a batch is only ever resent by the SDK's retries (minutes) or after sitting in a DataStore
// spill, which has no expiry (src/server/delivery/spill-store.ts) — but ingest refuses events older than
// MAX_EVENT_AGE_DAYS (event-time-window.ts), and a batch's events are never newer than its arrival. A batch resent
// after that window is refused event by event, whatever the table says, so its row can go. The window below adds a
// margin for clock-skew correction on top.
import type { Logger } from "../logger.js";
import type { JobLease } from "../shared-state/job-leases.js";
import type { Store } from "../store/types.js";
import { MAX_EVENT_AGE_DAYS } from "./event-time-window.js";

const DAY_MS = 86_400_000;

/** Days a batch's idempotency row is kept after it arrived: longer than any resend ingest would still accept. */
export const BATCH_IDEMPOTENCY_DAYS = MAX_EVENT_AGE_DAYS + 7;
export const BATCH_IDEMPOTENCY_MS = BATCH_IDEMPOTENCY_DAYS * DAY_MS;

/**
 * On the scale path the answers are rows of PostgreSQL's batch ledger, one per batch, about 470 bytes each with its
 * indexes (measured): at 200 batches/s, 407 days would be 7 billion rows. They are kept a day there (17M rows, 8 GB at
 * that rate). Nothing is counted twice after that: ClickHouse's ingest looks every event id up before it inserts
 * (events-store.ts), so a batch resent later stores nothing and is answered as duplicates (`replayed: false`) rather
 * than with its first answer. A day covers the SDK's retries (minutes), a DataStore spill sent on the next server start,
 * and the rollup job's need (an answer marks a batch complete, for an hour at most).
 */
export const LEDGER_IDEMPOTENCY_MS = DAY_MS;

/** How long a deployment keeps batch answers: a day on the scale path (events in ClickHouse), else 407 days. */
export function batchIdempotencyMs(config: { eventsUrl?: string | undefined }): number {
	return config.eventsUrl !== undefined ? LEDGER_IDEMPOTENCY_MS : BATCH_IDEMPOTENCY_MS;
}

/**
 * Leases (LeaseStore) are pruned by the same pass once they expired this long ago (a job whose holder died; and the
 * `batch:` leases older versions took per batch, before the claims moved into the batch ledger, whose claims that died
 * unanswered go with its answers). An expired lease is free whether its row is there or not, so the margin only has to
 * cover the instances' clocks disagreeing (each passes its own `now` to acquire): an hour is far beyond any skew.
 */
export const LEASE_PRUNE_MARGIN_MS = 3_600_000;

/** Rows deleted per transaction: a short write, so ingest waits at most a few milliseconds for the lock. */
const PRUNE_SLICE = 2_000;

export interface BatchPruningOptions {
	store: Store;
	/** Unix ms. */
	clock: () => number;
	logger?: Logger;
	/** How often the table is pruned. @default 3600000 (hourly) */
	intervalMs?: number;
	/** @default {@link BATCH_IDEMPOTENCY_MS} */
	keepMs?: number;
	/**
	 * With several instances: the job's lease (shared-state/job-leases.ts); the timer's passes run only while this
	 * instance holds it. @default none: every pass runs
	 */
	lease?: JobLease;
}

export interface BatchPruning {
	/**
	 * One pass: deletes, slice by slice, every row older than the window, then every lease expired more than
	 * {@link LEASE_PRUNE_MARGIN_MS} ago; resolves with how many batch rows.
	 */
	runOnce(): Promise<number>;
	/** Stops the timer and waits for a pass in progress. */
	stop(): Promise<void>;
}

/**
 * Prunes the batches idempotency table and the expired leases every `intervalMs` (and once at start). The timer does
 * not keep the process alive; a pass never overlaps another.
 *
 * @example
 * const pruning = startBatchPruning({ store, clock: Date.now, logger });
 * await pruning.stop();
 */
export function startBatchPruning(options: BatchPruningOptions): BatchPruning {
	const keepMs = options.keepMs ?? BATCH_IDEMPOTENCY_MS;
	let running: Promise<number> | undefined;
	const runOnce = (): Promise<number> => {
		running ??= (async () => {
			try {
				const before = options.clock() - keepMs;
				let total = 0;
				for (;;) {
					const deleted = await options.store.security.pruneBatches(before, PRUNE_SLICE);
					total += deleted;
					if (deleted < PRUNE_SLICE) break;
					// Let requests run between slices.
					await new Promise((resolve) => setImmediate(resolve));
				}
				if (total > 0)
					options.logger?.info("batch idempotency rows pruned", { deleted: total, keepDays: keepMs / DAY_MS });
				// The leases whose holder never released them: a crash, a lost release.
				const expiredBefore = options.clock() - LEASE_PRUNE_MARGIN_MS;
				let leases = 0;
				for (;;) {
					const deleted = await options.store.leases.pruneExpired(expiredBefore, PRUNE_SLICE);
					leases += deleted;
					if (deleted < PRUNE_SLICE) break;
					await new Promise((resolve) => setImmediate(resolve));
				}
				if (leases > 0) options.logger?.info("expired leases pruned", { deleted: leases });
				return total;
			} finally {
				running = undefined;
			}
		})();
		return running;
	};
	const pass = () => {
		if (options.lease && !options.lease.held()) return;
		runOnce().catch((error: unknown) => options.logger?.error("batch pruning failed", { error }));
	};
	const timer = setInterval(pass, options.intervalMs ?? 3_600_000);
	timer.unref();
	pass();
	return {
		runOnce,
		async stop() {
			clearInterval(timer);
			await running?.catch(() => 0);
		},
	};
}
