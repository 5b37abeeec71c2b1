// The warehouse as the rest of the backend sees it: metric queries, experiment sums and the rollup job, all behind
// one async interface so an engine can run them in a worker thread (SQLite files), in-process (":memory:" in tests)
// or on a server (ClickHouse). The Store exposes it (server/store/types.ts); server/warehouse/service.ts re-exports it.
import type {
	ExperimentMetricQuery,
	ExperimentMetricRow,
	ExperimentUnits,
	ExperimentUnitsQuery,
} from "./experiments.js";
import type { MetricEnvelope, MetricRequest } from "./metrics.js";
import type { DayRange, EventNameRow } from "./metrics-reader.js";

export interface WarehouseStatus {
	/** Stored batches whose events are not folded into the rollups yet. */
	pendingBatches: number;
	/** Games whose rollups are being rebuilt from raw events. */
	rebuilding: number;
	/** Events folded since the process started. */
	foldedEvents: number;
}

export interface FoldResult {
	events: number;
	batches: number;
	rebuilding: number;
}

export interface WarehouseService {
	/** Computes a metric from the rollups (raw events where none fits); `now` fixes "today". */
	metric(gameId: string, request: MetricRequest, now: number): Promise<MetricEnvelope>;
	experimentMetricSums(query: ExperimentMetricQuery): Promise<ExperimentMetricRow[]>;
	/** Every unit of an experiment with its metric value, covariate and dimensions (see Store.experimentUnits). */
	experimentUnits(query: ExperimentUnitsQuery): Promise<ExperimentUnits>;
	/** The event kinds a game sent in `range` (all history when null), from the rollups. */
	eventNames(gameId: string, range: DayRange | null): Promise<EventNameRow[]>;
	/** Folds every pending batch and finishes every rebuild now (the job does this continuously on its own). */
	catchUp(): Promise<FoldResult>;
	/** Clears one game's rollups and rebuilds them from its raw events (backfill). */
	rebuild(gameId: string): Promise<void>;
	/** Deletes raw events past each game's retention (rollups kept). */
	purge(now: number): Promise<{ gameId: string; deleted: number }[]>;
	status(): Promise<WarehouseStatus>;
	close(): Promise<void>;
}

/** Messages between the main thread and a warehouse worker. */
export type WarehouseCall =
	| { op: "metric"; gameId: string; request: MetricRequest; now: number }
	| { op: "experimentMetricSums"; query: ExperimentMetricQuery }
	| { op: "experimentUnits"; query: ExperimentUnitsQuery }
	| { op: "eventNames"; gameId: string; range: DayRange | null }
	| { op: "catchUp" }
	| { op: "rebuild"; gameId: string }
	| { op: "purge"; now: number }
	| { op: "status" };

export type WarehouseReply =
	{ id: number; ok: true; value: unknown } | { id: number; ok: false; error: { message: string; request: boolean } };
