// The shapes of the results API (GET …/experiments/:key/results, …/breakdown, /experiment-alerts): plain data, shared
// by the analysis (results.ts, breakdown.ts, decision.ts), the worker and the dashboard. Numbers that cannot be
// computed are NaN here and null in JSON.
import type {
	BetaBinomialResult,
	CorrectionResult,
	DifferenceType,
	FrequentistResult,
	GaussianBayesianResult,
	Interval,
	SequentialResult,
	SrmResult,
	StoppingDecision,
} from "../stats/index.js";
import type { MetricDefinition, MetricDirection } from "./metric.js";
import type { BreakdownDimension } from "./units.js";

export const CORRECTIONS = ["holm", "bh", "none"] as const;
export type Correction = (typeof CORRECTIONS)[number];

/** Whether the metric is the one the experiment is judged on, or one watched for harm. */
export type ResultRole = "primary" | "guardrail";

export interface ResultsWarning {
	code: string;
	message: string;
}

/**
 * One arm's units and sums. `sum`/`sumSquares` are of the per-unit values (a ratio's numerators); `value` is what the
 * metric reads for the arm: the conversion rate, the mean, Σ numerator / Σ denominator, or the quantile.
 */
export interface VariationTotals {
	index: number;
	key: string;
	n: number;
	sum: number;
	sumSquares: number;
	/** sum / n: the mean per-unit value (for a ratio metric, of the numerator). */
	mean: number;
	/** The arm's metric value: rate, mean, ratio or quantile. */
	value: number;
	/** Ratio metrics: Σ denominators; null otherwise. */
	denominatorSum: number | null;
}

/** One effect (absolute or relative) of a treatment against control: fixed-horizon and always-valid. */
export interface EffectView {
	/** treatment − control (absolute, in the metric's unit) or treatment / control − 1 (relative). */
	effect: number;
	stdError: number;
	/** Fixed-horizon (1 − alpha) interval: valid when read once, at the planned end. */
	ci: Interval;
	/** Fixed-horizon two-sided p-value. */
	pValue: number;
	significant: boolean;
	/** Always-valid confidence sequence and p-value: may be read at any time. */
	sequential: { ci: Interval; pValue: number; significant: boolean };
}

/** The relative effect, with a check of its delta-method interval and an interval that holds when it does not. */
export interface RelativeEffectView extends EffectView {
	/** False when the delta-method interval (`ci`) is unreliable (e.g. few control conversions): read `robustCi`. */
	reliable: boolean;
	/** Why the delta-method interval is (un)reliable, for people. */
	reliabilityNote: string;
	/**
	 * An interval of treatment / control − 1 that holds where the delta method's does not: Fieller's (may be
	 * unbounded: ±Infinity, null in JSON) or, when Fieller's is unbounded, the log-ratio interval. Null when the control
	 * value is 0 or the arms have no variance.
	 */
	robustCi: { method: "fieller" | "log-ratio"; ci: Interval } | null;
}

/** CUPED on one comparison: the adjustment and the same comparison without it. */
export interface ComparisonCuped {
	/** θ of Y − θ(X − X̄), from both arms pooled. */
	theta: number;
	/** Share of the variance removed, 1 − Var(adjusted)/Var(raw) (≈ ρ² of metric and covariate). */
	varianceReduction: number;
	/** The comparison without the adjustment. */
	unadjusted: { absolute: EffectView; relative: RelativeEffectView };
}

export interface Comparison {
	variation: string;
	/** The fixed-horizon test on the primary difference (CUPED-adjusted when `cuped` is set). */
	frequentist: FrequentistResult;
	/** Beta-binomial (binary metrics without CUPED) or the Gaussian effect model; null for quantile metrics. */
	bayesian: BetaBinomialResult | GaussianBayesianResult | null;
	/** Always-valid confidence sequence and p-value on the primary difference: safe to read at every look. */
	sequential: SequentialResult;
	/** The frequentist p-value after the correction across comparisons (equal to it with one treatment). */
	adjustedPValue: number;
	/** The absolute effect (CUPED-adjusted when `cuped` is set). */
	absolute: EffectView;
	/** The relative effect (CUPED-adjusted when `cuped` is set). */
	relative: RelativeEffectView;
	/** Null when CUPED is off, not possible for the metric type, or no covariate was read. */
	cuped: ComparisonCuped | null;
	/** A significant (always-valid) change in the bad direction for this metric: the treatment harms it. */
	regression: boolean;
	/** Power to detect the experiment's target effect at the current standard error; null without a target. */
	power: number | null;
	/** The early-stopping rule on the always-valid absolute effect, direction-aware. */
	stopping: StoppingDecision;
}

/** Cumulative by first-exposure day: the units exposed up to that day, each with its value over the window. */
export interface DailyPoint {
	date: string;
	variations: { key: string; units: number; mean: number }[];
	/** On the primary difference, with the headline's method (CUPED-adjusted when it is). */
	comparisons: { variation: string; effect: number; ci: Interval; pValue: number }[];
}

/** CUPED for the metric as a whole. */
export interface CupedSummary {
	/** Whether the comparisons are CUPED-adjusted. */
	applied: boolean;
	/** Days before each unit's first exposure the covariate covers (0: none read). */
	lookbackDays: number;
	/** Variance removed over all arms pooled; null when not applied. */
	varianceReduction: number | null;
	/** Why CUPED is not applied, for people; null when it is. */
	reason: string | null;
}

/** The experiment's plan as the results read it. */
export interface PlanStatus {
	/** The relative effect worth detecting (0.05 = 5%); null when the experiment has none. */
	targetEffect: number | null;
	/** ISO 8601 end of the fixed horizon (start + plannedDays); null without one. */
	plannedEnd: string | null;
	/** Whether these data end before the planned end (fixed-horizon numbers are then a peek). */
	beforePlannedEnd: boolean;
	/** Lowest power over the comparisons to detect the target effect now; null without a target. */
	power: number | null;
}

export const DECISION_ACTIONS = ["ship", "stop", "keep-running"] as const;
export type DecisionAction = (typeof DECISION_ACTIONS)[number];
export const DECISION_REASONS = [
	"winner",
	"loser",
	"futility",
	"guardrail-regression",
	"srm",
	"too-few-units",
	"planned-end",
	"keep-collecting",
	"no-data",
] as const;
export type DecisionReason = (typeof DECISION_REASONS)[number];

/** What to do with the experiment now, from the always-valid results of the primary metric and the guardrails. */
export interface Decision {
	action: DecisionAction;
	/** ship: the variation to ship; stop on a regression or loss: the variation at fault; otherwise null. */
	variation: string | null;
	reason: DecisionReason;
	/** The recommendation in plain words, with the numbers behind it. */
	message: string;
	method: string;
}

/** A guardrail metric harmed by a treatment, significantly (always-valid, so it can be read at any time). */
export interface GuardrailAlert {
	code: "guardrail-regression";
	experiment: string;
	/** The guardrail metric's key and name. */
	metric: string;
	metricName: string;
	direction: MetricDirection;
	variation: string;
	/** Absolute and relative effects with their always-valid intervals. */
	absolute: { effect: number; ci: Interval };
	relative: { effect: number; ci: Interval };
	/** Always-valid p-value. */
	pValue: number;
	message: string;
}

/** A guardrail metric's comparisons, as the primary metric's results summarize them. */
export interface GuardrailResult {
	metric: MetricDefinition;
	variations: VariationTotals[];
	comparisons: {
		variation: string;
		absolute: EffectView;
		relative: RelativeEffectView;
		regression: boolean;
	}[];
	cuped: CupedSummary;
	warnings: ResultsWarning[];
}

export interface ExperimentResults {
	experiment: string;
	metric: MetricDefinition;
	role: ResultRole;
	from: string;
	to: string;
	/** Which effect `frequentist`/`bayesian`/`sequential` and the daily series are on (both are always given). */
	difference: DifferenceType;
	cuped: CupedSummary;
	variations: VariationTotals[];
	/** Against the planned weights; null for adaptive experiments (their weights move), quantile metrics, no units. */
	srm: SrmResult | null;
	comparisons: Comparison[];
	correction: (CorrectionResult & { name: Correction }) | null;
	/** Units left out: exposures naming several variations, or a variation the experiment does not have. */
	excluded: { multipleVariations: number; unknownVariation: number };
	warnings: ResultsWarning[];
	plan: PlanStatus;
	/** The recommendation; null unless this is the primary metric. */
	decision: Decision | null;
	/** With the primary metric: every guardrail metric's comparisons; empty otherwise. */
	guardrails: GuardrailResult[];
	/** Guardrail regressions (with the primary metric: of every guardrail; else of this metric if a guardrail). */
	alerts: GuardrailAlert[];
	timeSeries: DailyPoint[];
}

/** One cell of a breakdown: the units with one value of the dimension. */
export interface BreakdownCell {
	/** The dimension's value; null for units where it is unknown, or for the merged "other" cell. */
	value: string | null;
	/** "value": one value; "unknown": the value is not known; "other": the smaller cells merged. */
	kind: "value" | "unknown" | "other";
	/** How many values the "other" cell merges (1 otherwise). */
	merged: number;
	units: number;
	variations: VariationTotals[];
	comparisons: {
		variation: string;
		absolute: EffectView;
		relative: RelativeEffectView;
		/** The primary difference's fixed-horizon p-value, Holm-adjusted across every cell × comparison. */
		adjustedPValue: number;
		/** adjustedPValue < alpha. */
		significant: boolean;
	}[];
	/** small-cell (an arm under the threshold), and what the comparisons warn of. */
	warnings: ResultsWarning[];
}

export interface BreakdownResults {
	experiment: string;
	metric: MetricDefinition;
	dimension: BreakdownDimension;
	from: string;
	to: string;
	difference: DifferenceType;
	cuped: CupedSummary;
	/** Fewest units per arm a cell needs not to be flagged small. */
	minUnitsPerArm: number;
	/** Cells kept apart, largest first; the rest are merged into one "other" cell. */
	maxCells: number;
	/** Holm–Bonferroni over every cell × comparison (the family-wise error stays at alpha). */
	correction: { method: string; comparisons: number; alpha: number };
	/** Largest first; "other" last. */
	cells: BreakdownCell[];
	excluded: { multipleVariations: number; unknownVariation: number };
	warnings: ResultsWarning[];
}

/** What the dashboard overview reads: guardrail regressions of the game's running experiments. */
export interface ExperimentAlerts {
	at: string;
	alerts: GuardrailAlert[];
	/** Each running experiment looked at, and why one could not be checked. */
	experiments: { key: string; guardrails: number; error: string | null }[];
}
