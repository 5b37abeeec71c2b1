// Sequential testing: always-valid confidence sequences and p-values, so results can be read at any time (peeking)
// without inflating the false-positive rate, and the early-stopping rules built on them.
import { degenerateEffect, effectLabel, estimateEffect } from "./effect.js";
import type { DifferenceType, Interval, ResultBase, SampleSummary } from "./types.js";
import { contextWarnings, SRM_P_THRESHOLD, type AnalysisContext } from "./warnings.js";

/** Options of {@link sequentialTest}. */
export interface SequentialOptions {
	/** @default "relative" */
	difference?: DifferenceType;
	/** The probability that the sequence ever misses the true effect, over all looks. @default 0.05 */
	alpha?: number;
	/**
	 * Total units (both arms) at which the confidence sequence is tightest; set it near the planned sample size.
	 * @default 5000 (GrowthBook's default)
	 */
	tuningParameter?: number;
	context?: AnalysisContext;
}

/** An always-valid comparison: the interval and p-value hold simultaneously at every look. */
export interface SequentialResult extends ResultBase {
	difference: DifferenceType;
	effect: number;
	stdError: number;
	/** The confidence sequence at the current sample size. */
	ci: Interval;
	/** Always-valid p-value: 1/e-value, capped at 1. */
	pValue: number;
	alpha: number;
	significant: boolean;
	tuningParameter: number;
	/** Mixing parameter ρ of the normal mixture. */
	rho: number;
	control: SampleSummary;
	treatment: SampleSummary;
}

const DEFAULT_TUNING = 5000;

/**
 * Asymptotic confidence sequence from a normal mixture (Howard, Ramdas, McAuliffe & Sekhon 2021, "Time-uniform,
 * nonparametric, nonasymptotic confidence sequences", Ann. Statist.; Waudby-Smith et al. 2023, arXiv:2103.06476,
 * eq. 9 and 161), as GrowthBook's gbstats SequentialTwoSidedTTest. With N the tuning parameter, n = n_A + n_B and
 * σ̂² = n·se² (per-unit variance of the effect estimate):
 * - ρ² = (−2 ln α + ln(1 − 2 ln α))/N
 * - half-width = σ̂·√(2(nρ² + 1)·ln(√(nρ² + 1)/α)/(nρ)²)
 * - p = min(1, √(nρ² + 1)·exp(−nρ²·z²/(2(nρ² + 1)))) with z = Δ̂/se: the inverse of the mixture martingale
 *   (e-value), dual to the interval (p < α exactly when the sequence excludes 0).
 *
 * @example
 * sequentialTest(proportionSummary({ n: 3000, conversions: 1396 }), proportionSummary({ n: 3461, conversions: 2422 }));
 * // { effect: 0.50386, ci: { lower: 0.40098, upper: 0.60675 }, … }
 */
export function sequentialTest(
	control: SampleSummary,
	treatment: SampleSummary,
	options: SequentialOptions = {},
): SequentialResult {
	const alpha = options.alpha ?? 0.05;
	const tuningParameter = options.tuningParameter ?? DEFAULT_TUNING;
	const effect = estimateEffect(control, treatment, options.difference ?? "relative");
	const rho = mixtureRho(alpha, tuningParameter);
	const warnings = contextWarnings(options.context ?? {}, {
		units: [control.n, treatment.n],
		stdError: effect.stdError,
		alpha,
		sequential: true,
	});
	const base = {
		method: `normal-mixture confidence sequence (always valid; Howard et al. 2021, gbstats SequentialTwoSidedTTest), ${effectLabel(effect.difference)}`,
		assumptions: [
			"units are independent and randomly assigned; results may be read at any time",
			"the effect estimate is asymptotically normal (the sequence is asymptotically valid)",
			`tightest near ${tuningParameter} total units`,
		],
		warnings,
		difference: effect.difference,
		effect: effect.estimate,
		stdError: effect.stdError,
		alpha,
		tuningParameter,
		rho,
		control,
		treatment,
	};
	// 1. No usable estimate.
	const problem = degenerateEffect(effect, control);
	if (problem) {
		warnings.push(problem);
		return { ...base, ci: { lower: Number.NaN, upper: Number.NaN }, pValue: 1, significant: false };
	}
	// 2. The confidence sequence and its dual p-value at the current sample size.
	const n = control.n + treatment.n;
	const nr2 = n * rho * rho;
	const half = effect.stdError * Math.sqrt((2 * (nr2 + 1) * Math.log(Math.sqrt(nr2 + 1) / alpha)) / nr2);
	const z = effect.estimate / effect.stdError;
	const pValue = Math.min(1, Math.sqrt(nr2 + 1) * Math.exp((-nr2 * z * z) / (2 * (nr2 + 1))));
	const ci = { lower: effect.estimate - half, upper: effect.estimate + half };
	return { ...base, ci, pValue, significant: pValue < alpha };
}

/**
 * ρ of the two-sided normal mixture for level α and tuning parameter N (Waudby-Smith et al. 2023, eq. 161):
 * ρ = √((−2 ln α + ln(1 − 2 ln α))/N).
 *
 * @example
 * mixtureRho(0.05, 5000); // 0.03984
 */
export function mixtureRho(alpha: number, tuningParameter: number): number {
	const logAlpha = Math.log(alpha);
	return Math.sqrt((-2 * logAlpha + Math.log(1 - 2 * logAlpha)) / tuningParameter);
}

/** Options of {@link stoppingDecision}. */
export interface StoppingOptions {
	/** Never stop (except for SRM) before every arm has this many units. @default 100 */
	minUnitsPerArm?: number;
	/** Stop, inconclusive, once every arm has this many units. */
	maxUnitsPerArm?: number;
	/**
	 * Stop for futility once the whole confidence sequence lies within (−margin, +margin): no effect as large as the
	 * margin (e.g. the minimum detectable effect) is still plausible.
	 */
	futilityMargin?: number;
	/** Which direction is good for this metric. @default "increase" */
	goal?: "increase" | "decrease";
	/** p-value of the experiment's SRM check. */
	srmPValue?: number;
}

export type StopReason = "too-few-units" | "srm" | "winner" | "loser" | "futility" | "max-units" | "keep-collecting";

/** What to do with an experiment now. */
export interface StoppingDecision {
	stop: boolean;
	reason: StopReason;
	method: string;
	message: string;
}

/**
 * Early-stopping rule on an always-valid result (safe to evaluate at every look):
 * 1. SRM (p < 0.001) → stop: the data are broken;
 * 2. any arm below the minimum units → keep collecting;
 * 3. the sequence excludes 0 → stop: treatment wins (or loses, by `goal`);
 * 4. the sequence lies within ±futilityMargin → stop for futility;
 * 5. every arm reached maxUnitsPerArm → stop, inconclusive;
 * 6. otherwise keep collecting.
 * Because the confidence sequence is time-uniform, stopping at the first look where 3 holds keeps the false-positive
 * rate ≤ alpha (Howard et al. 2021); the futility rule can only lower it.
 *
 * @example
 * stoppingDecision(sequentialTest(a, b), { futilityMargin: 0.02 }); // { stop: false, reason: "keep-collecting", … }
 */
export function stoppingDecision(result: SequentialResult, options: StoppingOptions = {}): StoppingDecision {
	const method = "early stopping on an always-valid confidence sequence";
	const fewest = Math.min(result.control.n, result.treatment.n);
	const { lower, upper } = result.ci;
	if (options.srmPValue !== undefined && options.srmPValue < SRM_P_THRESHOLD) {
		return { stop: true, reason: "srm", method, message: "Sample ratio mismatch: fix assignment before reading." };
	}
	if (fewest < (options.minUnitsPerArm ?? 100)) {
		return { stop: false, reason: "too-few-units", method, message: `Only ${fewest} units in an arm so far.` };
	}
	if (lower > 0 || upper < 0) {
		const good = lower > 0 === ((options.goal ?? "increase") === "increase");
		const message = `The ${Math.round((1 - result.alpha) * 100)}% confidence sequence [${lower}, ${upper}] excludes 0.`;
		return { stop: true, reason: good ? "winner" : "loser", method, message };
	}
	const margin = options.futilityMargin;
	if (margin !== undefined && lower > -margin && upper < margin) {
		return { stop: true, reason: "futility", method, message: `No effect beyond ±${margin} remains plausible.` };
	}
	if (options.maxUnitsPerArm !== undefined && fewest >= options.maxUnitsPerArm) {
		return { stop: true, reason: "max-units", method, message: "Reached the maximum sample size without a result." };
	}
	return { stop: false, reason: "keep-collecting", method, message: "No decision yet; keep collecting." };
}
