// The unit-level answer of the event store for one experiment and one metric: every unit (player) first exposed in
// the analysed range, with its arm, its metric value, its pre-exposure covariate (CUPED) and its breakdown
// dimensions. Results, breakdowns, quantiles, ratios and CUPED all read this one shape; engines only fill it.
import type { MetricDefinition } from "./metric.js";

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

export interface ExperimentUnitsQuery {
	gameId: string;
	experimentKey: string;
	/**
	 * Units are users whose FIRST EVER exposure to the experiment (event type `exposure`, name = the key) is in
	 * [from, to), unix ms: a user first exposed before `from` is not a unit of this range, whatever it did later.
	 */
	from: number;
	to: number;
	/** Metric events count from the unit's first exposure until `to` (or the metric's own window, if shorter). */
	metric: MetricDefinition;
	/** Users left out (forced QA users), as stored player ids. */
	excludeUserIds: readonly number[];
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
