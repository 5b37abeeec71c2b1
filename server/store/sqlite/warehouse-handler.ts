// One connection's warehouse: answers WarehouseCalls and runs the rollup job in short slices. The worker thread and
// the in-process variant share it.
import type BetterSqlite3 from "better-sqlite3";
import { computeMetric } from "../../metrics/engine.js";
import type { WarehouseCall, WarehouseStatus } from "../../domain/warehouse.js";
import { ExperimentSums } from "./experiment-sums.js";
import { SqliteMetricsReader } from "./metrics-reader.js";
import { SqliteWarehouse } from "./warehouse.js";
import type { WriteLock } from "./write-lock.js";

/** Longest the job folds before it lets queued calls run. */
const SLICE_MS = 100;
/** Longest time between WAL checkpoints while the job has work left (it checkpoints whenever it runs out). */
const CHECKPOINT_EVERY_MS = 1000;
/** How often raw events past their retention are purged. */
const PURGE_EVERY_MS = 10 * 60_000;

export class WarehouseHandler {
	readonly warehouse: SqliteWarehouse;
	readonly #reader: SqliteMetricsReader;
	readonly #sums: ExperimentSums;
	#folded = 0;
	#lastPurge = 0;
	#lastCheckpoint = 0;

	readonly #db: BetterSqlite3.Database;
	readonly #checkpoints: boolean;

	/**
	 * @param checkpoints - whether this connection copies the WAL back into the database (the worker does, so the
	 *   ingest connection, which then has auto-checkpoints off, never pays for it)
	 */
	constructor(db: BetterSqlite3.Database, lock?: WriteLock, checkpoints = false) {
		this.#db = db;
		this.#checkpoints = checkpoints;
		this.warehouse = new SqliteWarehouse(db, lock ? { lock } : {});
		this.#reader = new SqliteMetricsReader(db);
		this.#sums = new ExperimentSums(db);
	}

	handle(call: WarehouseCall): unknown {
		switch (call.op) {
			case "metric":
				return computeMetric(this.#reader, call.gameId, call.request, call.now);
			case "experimentMetricSums":
				return this.#sums.sums(call.query);
			case "experimentUnits":
				return this.#sums.units(call.query);
			case "eventNames":
				return this.#reader.eventNames(call.gameId, call.range);
			case "catchUp": {
				const out = this.warehouse.catchUp();
				this.#folded += out.events;
				return out;
			}
			case "rebuild":
				return this.warehouse.rebuild(call.gameId);
			case "purge":
				return this.warehouse.purgeExpired(call.now);
			case "status":
				return this.status();
		}
	}

	status(): WarehouseStatus {
		return {
			pendingBatches: this.warehouse.pending(),
			rebuilding: this.warehouse.rebuildingGames(),
			foldedEvents: this.#folded,
		};
	}

	/** One run of the job: folds for at most SLICE_MS, purges now and then. Returns whether work is left. */
	tick(now: number): boolean {
		const started = performance.now();
		let more = false;
		for (;;) {
			const out = this.warehouse.step();
			this.#folded += out.events;
			more = out.batches > 0 || out.rebuilding > 0;
			if (!more || performance.now() - started > SLICE_MS) break;
		}
		// PASSIVE never waits for readers or writers: it copies what it can now and the rest next time. While work piles
		// up, at most once a second: the hot rollup pages change in every slice, and copying them ten times a second
		// cost the fold about a tenth of its time.
		if (this.#checkpoints && (!more || now - this.#lastCheckpoint >= CHECKPOINT_EVERY_MS)) {
			this.#lastCheckpoint = now;
			this.#db.pragma("wal_checkpoint(PASSIVE)");
		}
		if (!more && now - this.#lastPurge >= PURGE_EVERY_MS) {
			this.#lastPurge = now;
			this.warehouse.purgeExpired(now);
		}
		return more;
	}
}
