// Plain data shared by every statistic in this folder: inputs (per-arm summaries), intervals, and the fields every
// result carries (method, assumptions, warnings).

/** A closed interval; either side may be ±Infinity for one-sided bounds. */
export interface Interval {
	lower: number;
	upper: number;
}

/** How a treatment is compared with control: `treatment − control`, or `treatment / control − 1`. */
export type DifferenceType = "absolute" | "relative";

/**
 * One arm's sufficient statistics for a mean: units, mean and variance of one unit's value. Build it with
 * {@link meanSummary} (sums of values and of squares; variance with n − 1) or {@link proportionSummary}.
 */
export interface SampleSummary {
	n: number;
	mean: number;
	variance: number;
}

/** Units and conversions of one arm of a binary metric. */
export interface ProportionCounts {
	n: number;
	conversions: number;
}

/** Units, sum and sum of squares of one arm's per-unit values (what rollups store). */
export interface MeanSums {
	n: number;
	sum: number;
	sumSquares: number;
}

/** Why a result should be read with care. Codes are stable; messages are for humans. */
export type StatWarningCode =
	"srm" | "underpowered" | "peeking" | "too-few-units" | "zero-variance" | "zero-baseline" | "approximation";

export interface StatWarning {
	code: StatWarningCode;
	message: string;
}

/** The fields every result object carries. */
export interface ResultBase {
	/** The test or procedure that produced the numbers, with its source. */
	method: string;
	/** What must hold for the numbers to mean what they say. */
	assumptions: string[];
	warnings: StatWarning[];
}

/** A seeded source of uniform numbers in [0, 1); see {@link mulberry32}. */
export type Prng = () => number;
