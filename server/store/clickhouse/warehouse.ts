// The ClickHouse warehouse: the WarehouseService of the ClickHouse event store. Metric queries run the engine-neutral
// metrics engine (metrics/engine.ts) on the ClickHouse reader; experiment units and sums run the pure per-unit module
// on rows read from the shards; the rollup job (rollups.ts) folds new events into the fact table.
import { computeMetric, type MetricEnvelope, type MetricRequest } from "../../metrics/engine.js";
import type { DayRange, EventNameRow } from "../../domain/metrics-reader.js";
import type { ExperimentUnits, ExperimentUnitsQuery } from "../../domain/experiments.js";
import type { FoldResult, WarehouseService, WarehouseStatus } from "../../domain/warehouse.js";
import type { LeaseStore } from "../contracts.js";
import type { ExperimentMetricQuery, ExperimentMetricRow } from "../types.js";
import type { ClickHouseContext, ClickHouseWarehouseParts } from "./events-store.js";
import { ClickHouseExperimentUnits } from "./experiment-units.js";
import { ClickHouseMetricsReader } from "./metrics-reader.js";
import { ClickHouseRollups, type CompactionOptions } from "./rollups.js";
import { WAREHOUSE_MIGRATIONS } from "./rollups-schema.js";
import type { ClickHouseMigration } from "./schema.js";

/** How often the job purges raw events past their retention (as the SQLite warehouse's). */
const PURGE_EVERY_MS = 10 * 60_000;

export interface ClickHouseWarehouseOptions {
	/**
	 * Whether the rollup job runs by itself on a timer; false leaves folding to `catchUp()` (tests, tools).
	 * @default false
	 */
	autoFold?: boolean | undefined;
	/** Pause between job runs while there is nothing to fold. @default 1000 */
	intervalMs?: number | undefined;
	/** Leases across instances (the metadata store's): the job folds on one instance at a time. @default none */
	leases?: LeaseStore | undefined;
	/** Told of failures of the background job. @default none */
	onError?: ((error: Error) => void) | undefined;
	/** @default Date.now */
	clock?: (() => number) | undefined;
	/** When the job compacts the fact table (rollups.ts). @default see {@link CompactionOptions} */
	compaction?: CompactionOptions | undefined;
}

export class ClickHouseWarehouse implements WarehouseService {
	readonly rollups: ClickHouseRollups;
	readonly #reader: ClickHouseMetricsReader;
	readonly #units: ClickHouseExperimentUnits;
	#timer: NodeJS.Timeout | undefined;
	#lastPurge = 0;
	#closed = false;

	constructor(ctx: ClickHouseContext, options: ClickHouseWarehouseOptions = {}) {
		this.rollups = new ClickHouseRollups(ctx, {
			leases: options.leases,
			clock: options.clock,
			compaction: options.compaction,
		});
		this.#reader = new ClickHouseMetricsReader(ctx, (gameId) => this.rollups.zoneOf(gameId));
		this.#units = new ClickHouseExperimentUnits(ctx);
		if (options.autoFold) this.#schedule(0, options.intervalMs ?? 1000, options.onError);
	}

	#schedule(delay: number, intervalMs: number, onError?: (error: Error) => void): void {
		this.#timer = setTimeout(() => {
			this.#run().then(
				(more) => {
					if (!this.#closed) this.#schedule(more ? 0 : intervalMs, intervalMs, onError);
				},
				(error: unknown) => {
					onError?.(error instanceof Error ? error : new Error(String(error)));
					if (!this.#closed) this.#schedule(intervalMs, intervalMs, onError);
				},
			);
		}, delay);
		this.#timer.unref();
	}

	/** One run of the job: a fold step; raw events past their retention purged now and then once nothing is left. */
	async #run(): Promise<boolean> {
		const more = await this.rollups.tick();
		const now = Date.now();
		if (!more && now - this.#lastPurge >= PURGE_EVERY_MS) {
			this.#lastPurge = now;
			await this.rollups.purge(now);
		}
		return more;
	}

	metric(gameId: string, request: MetricRequest, now: number): Promise<MetricEnvelope> {
		return computeMetric(this.#reader, gameId, request, now);
	}

	experimentMetricSums(query: ExperimentMetricQuery): Promise<ExperimentMetricRow[]> {
		return this.#units.sums(query);
	}

	experimentUnits(query: ExperimentUnitsQuery): Promise<ExperimentUnits> {
		return this.#units.units(query);
	}

	async eventNames(gameId: string, range: DayRange | null): Promise<EventNameRow[]> {
		return await this.#reader.eventNames(gameId, range);
	}

	catchUp(): Promise<FoldResult> {
		return this.rollups.catchUp();
	}

	rebuild(gameId: string): Promise<void> {
		return this.rollups.rebuild(gameId);
	}

	purge(now: number): Promise<{ gameId: string; deleted: number }[]> {
		return this.rollups.purge(now);
	}

	async status(): Promise<WarehouseStatus> {
		return {
			pendingBatches: await this.rollups.pendingBatches(),
			rebuilding: this.rollups.rebuildingGames,
			foldedEvents: this.rollups.foldedEvents,
		};
	}

	async close(): Promise<void> {
		this.#closed = true;
		clearTimeout(this.#timer);
	}
}

/**
 * The warehouse as openClickHouseEvents takes it (`warehouse:` option): its migrations and a factory that opens it on
 * the event store's shards, with the erasure hook.
 *
 * @example
 * const events = await openClickHouseEvents({ ...options, warehouse: clickHouseWarehouse({ autoFold: true, leases }) });
 */
export function clickHouseWarehouse(options: ClickHouseWarehouseOptions = {}): {
	migrations: readonly ClickHouseMigration[];
	open: (context: ClickHouseContext) => ClickHouseWarehouseParts;
} {
	return {
		migrations: WAREHOUSE_MIGRATIONS,
		open: (context) => {
			const warehouse = new ClickHouseWarehouse(context, options);
			return {
				warehouse,
				erasePlayer: (gameId, pseudonym) => warehouse.rollups.erasePlayer(gameId, pseudonym),
			};
		},
	};
}
