// Metric queries as plain data: what a caller asks the warehouse (a metric over a day range, broken down and filtered
// by segments) and the envelope it answers. The engine that computes them (server/metrics/engine.ts) and the segment
// parsing (server/metrics/segments.ts) re-export these; the stores take and return them.
import type { DayRange, EventRef } from "./metrics-reader.js";

// ---- Segments ----

/** A dimension by which players (or player-days) are grouped or filtered. */
export type Dimension =
	| { kind: "attr"; name: string; label: string }
	| { kind: "variant"; experiment: string; label: string }
	| { kind: "newVsReturning"; label: string };

export interface SegmentFilter {
	dimension: Dimension;
	value: string;
}

/** What a query groups and filters by; the engine adds a `segment` value to every row it returns. */
export interface SegmentSpec {
	breakdown?: Dimension;
	filters: SegmentFilter[];
}

// ---- Metric requests ----

export const METRIC_NAMES = [
	"active-users",
	"sessions",
	"retention",
	"funnel",
	"revenue",
	"economy",
	"progression",
	"kpi",
	"trends",
	"overview",
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** A condition on an event prop (raw-event KPIs): `=`/`!=` compare as text, `>`/`<`/`>=`/`<=` as numbers. */
export interface PropFilter {
	prop: string;
	op: "=" | "!=" | ">" | "<" | ">=" | "<=";
	value: string;
}

interface Common {
	range: DayRange;
	spec: SegmentSpec;
}

export type MetricRequest =
	| ({ metric: "active-users" } & Common)
	| ({ metric: "sessions" } & Common)
	| ({ metric: "retention"; mode: "classic" | "rolling"; days: number[] } & Common)
	| ({ metric: "funnel"; funnel?: string; steps?: EventRef[]; windowDays: number } & Common)
	| ({ metric: "revenue"; usdPerRobux: number; developerShare: number; ltvDays: number[] } & Common)
	| ({ metric: "economy" } & Common)
	| ({ metric: "progression" } & Common)
	| ({
			metric: "kpi";
			event: EventRef;
			measure: "count" | "users" | "sum" | "mean";
			property?: string;
			where: PropFilter[];
			groupBy?: string;
	  } & Common)
	| ({ metric: "trends"; events: EventRef[]; measure: "count" | "users"; interval: "day" | "hour" } & Common)
	| ({ metric: "overview" } & Common);

/** A metric request the engine cannot answer as asked (a 400 for the caller). */
export class MetricRequestError extends Error {}

export interface MetricEnvelope {
	metric: MetricName;
	gameId: string;
	timeZone: string;
	from: string;
	to: string;
	breakdown: string | null;
	filters: string[];
	/** "rollups" when every row came from rollup tables, "raw" when raw events were read. */
	source: "rollups" | "raw";
	segments: Record<string, unknown>[];
	[extra: string]: unknown;
}
