// Experiments, feature flags and metric definitions as plain data: what the metadata store keeps and the event store
// measures (server/store). The zod schemas that validate them, the lifecycle rules and the routes live in
// server/experiments, whose schemas are checked at compile time to produce exactly these types (SameType).
import type { EventType } from "./ingest.js";

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

// ---- Targeting conditions ----

/** An attribute value a condition can compare with. */
export type Scalar = string | number | boolean;

/** Tests on one attribute; every operator present must hold. */
export interface AttributeOperators {
	$eq?: Scalar;
	$ne?: Scalar;
	$in?: Scalar[];
	$nin?: Scalar[];
	$gt?: number;
	$gte?: number;
	$lt?: number;
	$lte?: number;
	$exists?: boolean;
}

/** A bare scalar is shorthand for `{ $eq: scalar }`. */
export type AttributeTest = Scalar | AttributeOperators;

/** Every member must hold: attribute tests by attribute name, and the logical operators. */
export interface Condition {
	$and?: Condition[];
	$or?: Condition[];
	$not?: Condition;
	[attribute: string]: AttributeTest | Condition[] | Condition | undefined;
}

// ---- Metric definitions ----

/** Which way is good: an increase (default) or a decrease (errors, load time, churn). */
export const METRIC_DIRECTIONS = ["higher", "lower"] as const;
export type MetricDirection = (typeof METRIC_DIRECTIONS)[number];

/** Winsorization of per-unit values: a fixed cap, or the pooled percentile of all arms' units (e.g. 0.99). */
export type MetricCap = { value: number } | { percentile: number };

/** One side of a ratio: events counted, or a numeric prop summed, per unit (event, eventType or both given). */
export interface RatioPart {
	event?: string | undefined;
	eventType?: EventType | undefined;
	valueProp?: string | undefined;
}

/** An intersection written as one object type (so a zod schema's output can be checked to be the same type). */
type Flat<T> = { [K in keyof T]: T[K] };

/** Fields every metric type carries. */
interface MetricCommon {
	key: string;
	name?: string | undefined;
	description?: string | undefined;
	direction?: MetricDirection | undefined;
}

/**
 * One metric, per unit, from the unit's first exposure to the end of the analysis window (or `windowHours`); the
 * meaning of each type is documented on `metricSchema` (server/experiments/metric.ts), which validates it.
 */
export type MetricDefinition =
	| Flat<
			MetricCommon & {
				type: "conversion";
				event: string;
				eventType?: EventType | undefined;
				windowHours?: number | undefined;
			}
	  >
	| Flat<
			MetricCommon & {
				type: "count";
				event: string;
				eventType?: EventType | undefined;
				windowHours?: number | undefined;
				cap?: MetricCap | undefined;
			}
	  >
	| Flat<
			MetricCommon & {
				type: "sum";
				event: string;
				eventType?: EventType | undefined;
				valueProp: string;
				windowHours?: number | undefined;
				cap?: MetricCap | undefined;
			}
	  >
	| Flat<
			MetricCommon & {
				type: "revenue";
				event?: string | undefined;
				valueProp: string;
				windowHours?: number | undefined;
				cap?: MetricCap | undefined;
			}
	  >
	| Flat<MetricCommon & { type: "retention"; day: number }>
	| Flat<
			MetricCommon & {
				type: "ratio";
				numerator: RatioPart;
				denominator: RatioPart;
				windowHours?: number | undefined;
				cap?: MetricCap | undefined;
			}
	  >
	| Flat<
			MetricCommon & {
				type: "quantile";
				event: string;
				eventType?: EventType | undefined;
				valueProp: string;
				quantile: number;
				aggregate: "mean" | "sum" | "max";
				windowHours?: number | undefined;
			}
	  >;
export type MetricType = MetricDefinition["type"];

/** Whether each unit's value is 0 or 1 (analysed as a proportion) rather than any number (analysed as a mean). */
export function isBinaryMetric(metric: MetricDefinition): boolean {
	return metric.type === "conversion" || metric.type === "retention";
}

/** Which way is good for the metric: its `direction`, "higher" when unset. */
export function metricDirection(metric: MetricDefinition): MetricDirection {
	return metric.direction ?? "higher";
}

/** Whether the metric is a per-unit mean (or proportion) — the kinds Welch, z-tests, CUPED and bandits take as is. */
export function isMeanMetric(metric: MetricDefinition): boolean {
	return metric.type !== "ratio" && metric.type !== "quantile";
}

/** A library metric's default role: what an experiment picks it as (its goal, or a guardrail watched for harm). */
export const METRIC_ROLES = ["goal", "guardrail"] as const;
export type MetricRole = (typeof METRIC_ROLES)[number];

/** Where a metric of an experiment came from, when it came from the library (version; pinned or following). */
export interface LibraryPin {
	key: string;
	version: number;
	pinned: boolean;
}

/** A metric as an experiment stores it: the definition itself (a library one copied, with where it came from). */
export type ExperimentMetric = MetricDefinition & { library?: LibraryPin };

// ---- Experiments and flags ----

export const EXPERIMENT_STATUSES = ["draft", "running", "stopped"] as const;
export type ExperimentStatus = (typeof EXPERIMENT_STATUSES)[number];

/** How the SDK assigns units (see `assignmentSchema` in server/experiments/experiment.ts). */
export type AssignmentMode =
	| { mode: "deterministic" }
	| { mode: "random" }
	| { mode: "stratified"; strata: string[] }
	| { mode: "adaptive"; updateIntervalMinutes?: number | undefined };

/** An experiment as stored (besides its key, status and bookkeeping): every default filled in. */
export interface ExperimentDefinition {
	name: string;
	description: string;
	/** Weights always present and summing to 1. */
	variations: { key: string; name: string; weight: number }[];
	coverage: number;
	hashAttribute: string;
	seed: string;
	hashVersion: 1 | 2;
	namespace: { id: string; start: number; end: number } | null;
	condition: Condition | null;
	assignment: AssignmentMode;
	/** Unix ms. */
	startAt: number | null;
	endAt: number | null;
	/** Library metrics are stored as the version they resolved to (see metric-library.ts), with `library` set. */
	primaryMetric: ExperimentMetric | null;
	guardrailMetrics: ExperimentMetric[];
	/** Relative effect worth detecting; null: none. Absent in definitions stored before it existed (read as null). */
	targetEffect?: number | null;
	/** Planned fixed-horizon length in days from startAt; null: none (absent in older definitions: null). */
	plannedDays?: number | null;
	/** UserId (decimal) → variation key. */
	forcedVariations: Record<string, string>;
}

/** A flag value: any JSON value. */
export type FlagValue = string | number | boolean | null | FlagValue[] | { [key: string]: FlagValue };

/** A flag as stored: every default filled in, weights summing to 1. */
export interface FlagDefinition {
	name: string;
	description: string;
	enabled: boolean;
	defaultValue: FlagValue;
	variations: { key: string; value: FlagValue; weight: number }[];
	coverage: number;
	hashAttribute: string;
	seed: string;
	hashVersion: 1 | 2;
	condition: Condition | null;
}

// ---- What the event store answers about an experiment ----
// The unit-level answer for one experiment and one metric: every unit (player) first exposed in the analysed range,
// with its arm, its metric value, its pre-exposure covariate (CUPED) and its breakdown dimensions. Results,
// breakdowns, quantiles, ratios and CUPED all read this one shape; engines only fill it.

/**
 * A dimension results can be broken down by, per unit (null when unknown):
 * - `platform`: the `device` prop (desktop, phone, tablet, console, vr; the SDK's "unknown" is null) and
 * - `country`: the `country` prop (ISO 3166-1 alpha-2) of the player's session profile at first exposure: the latest
 *   `session_start` at or before it (a prop it lacks is taken from the same session's `session_end`, which carries
 *   facts the SDK learned late); without one in the range read, the player's first `session_start` ever;
 * - `newVsReturning`: "new" when the player's first event in the game is less than 24 hours before first exposure,
 *   else "returning";
 * - `attr:<name>`: an attribute the game set with `Vantage.setAttributes`, as the unit's first exposure carried it
 *   (`attr.<name>` prop; the SDK adds up to 32, with personalization consent), else any other prop of that profile
 *   (accountAge, premium, locale, join data, server props...), as text ("true"/"false" for booleans).
 */
export type BreakdownDimension = "platform" | "country" | "newVsReturning" | `attr:${string}`;

/** The units of an experiment and the metric measured on them (with `excludeUserIds` as stored player ids). */
export interface ExperimentUnitsQuery extends ExperimentMetricQuery {
	/**
	 * CUPED covariate: the same metric measured over this many days before each unit's first exposure (for ratio
	 * metrics both parts; for retention, whether the unit was active in the lookback before the last 24 hours, which
	 * nearly every unit spends in the session it is exposed in). 0: no covariate.
	 */
	covariateLookbackDays: number;
	/** Dimensions to attach to each unit (for breakdowns); empty for none. */
	dimensions: readonly BreakdownDimension[];
}

/**
 * Columnar, one entry per unit, in the same order in every array. Per-unit values are already capped (winsorized)
 * as the metric's `cap` says; `cap` reports the cap applied.
 */
export interface ExperimentUnits {
	count: number;
	/** The `variation` prop of the unit's first exposure as sent (index or key); null when `multipleVariations`. */
	variation: (string | number | null)[];
	/** 1 when the unit's exposures named more than one variation (it belongs to no arm). */
	multipleVariations: Uint8Array;
	/** Unix ms of the unit's first exposure. */
	firstExposure: Float64Array;
	/**
	 * The unit's metric value: 0/1 (conversion, retention), a count, a sum, the ratio's numerator, or the quantile
	 * metric's per-unit aggregate (units with no matching event are not units of a quantile metric).
	 */
	value: Float64Array;
	/** Ratio metrics: the unit's denominator; null otherwise. */
	denominator: Float64Array | null;
	/** The same metric over the lookback before first exposure (0 when the unit has no data then); null: none asked. */
	covariate: Float64Array | null;
	/** Ratio metrics with a covariate: the pre-exposure denominator; null otherwise. */
	covariateDenominator: Float64Array | null;
	/** Per requested dimension, the unit's value (null when unknown). */
	dimensions: Partial<Record<BreakdownDimension, (string | null)[]>>;
	/** The winsorization cap applied to `value` (and `covariate`), or null when the metric has none. */
	cap: number | null;
}

/** Which units and which metric `Store.experimentMetricSums` aggregates. */
export interface ExperimentMetricQuery {
	gameId: string;
	experimentKey: string;
	/**
	 * Units are users whose FIRST EVER exposure (event type `exposure`, name = the key) is in [from, to), unix ms: a
	 * user first exposed before `from` is not a unit of this range, even if exposed again inside it.
	 */
	from: number;
	to: number;
	/** Metric events count from the unit's first exposure until `to` (or the metric's own window, if shorter). */
	metric: MetricDefinition;
	/** Users left out (forced QA users). */
	excludeUserIds: readonly number[];
}

/** Sums of one metric over the units of one variation first exposed on one UTC day. */
export interface ExperimentMetricRow {
	/** The `variation` prop of the unit's first exposure as sent (index or key); null when `multipleVariations`. */
	variation: string | number | null;
	/** The units' exposures named more than one variation: they belong to no arm. */
	multipleVariations: boolean;
	/** UTC day of the first exposure, in days since the Unix epoch. */
	day: number;
	units: number;
	/** Σ of the per-unit values (converted units, for binary metrics). */
	sum: number;
	sumSquares: number;
}
