// CUPED: variance reduction with a pre-experiment covariate (usually the same metric before exposure), for means,
// proportions (0/1 values are means) and, in ratio.ts, ratio metrics.
import { estimateEffect, type EffectEstimate } from "./effect.js";
import { effectTest, type FrequentistOptions, type FrequentistResult } from "./frequentist.js";
import type { SampleSummary } from "./types.js";

/**
 * One arm's sums of the metric Y (during the experiment) and the covariate X (the pre-period), per unit. Units
 * with no pre-period data count with X = 0. For a binary metric Y (and/or X) is 0/1, so ΣY² = ΣY.
 */
export interface CupedSums {
	n: number;
	sumY: number;
	sumY2: number;
	sumX: number;
	sumX2: number;
	sumXY: number;
}

/** Covariate-adjusted arm summaries. */
export interface CupedAdjustment {
	/** θ = Cov(X, Y)/Var(X) over both arms pooled (ratio metrics: of the linearized ratios, pooled within arms). */
	theta: number;
	control: SampleSummary;
	treatment: SampleSummary;
	/** 1 − Var(Y − θX)/Var(Y) over both arms pooled: the share of variance removed (≈ ρ²_XY). */
	varianceReduction: number;
}

/**
 * CUPED adjustment: Y′ = Y − θ(X − X̄) with θ = Cov(X, Y)/Var(X) from the pooled sample and X̄ the pooled covariate
 * mean. Each arm keeps n, gets mean Ȳ − θ(X̄_arm − X̄) and variance Var(Y) − 2θ·Cov(X, Y) + θ²·Var(X) (within the
 * arm, n − 1). X is pre-treatment, so the adjustment is unbiased for the effect. Source: Deng, Xu, Kohavi & Walker
 * (2013), "Improving the Sensitivity of Online Controlled Experiments by Utilizing Pre-Experiment Data", WSDM.
 *
 * @example
 * cupedAdjust(controlSums, treatmentSums); // { theta: 0.8, varianceReduction: 0.64, control: {…}, treatment: {…} }
 */
export function cupedAdjust(control: CupedSums, treatment: CupedSums): CupedAdjustment {
	const pooled = addSums(control, treatment);
	const n = pooled.n;
	const meanX = pooled.sumX / n;
	const varX = centered(pooled.sumX2, pooled.sumX, pooled.sumX, n);
	const covXY = centered(pooled.sumXY, pooled.sumX, pooled.sumY, n);
	const varY = centered(pooled.sumY2, pooled.sumY, pooled.sumY, n);
	const theta = varX > 0 ? covXY / varX : 0;
	const adjustedVar = varY - 2 * theta * covXY + theta * theta * varX;
	return {
		theta,
		control: adjustArm(armMoments(control), theta, meanX),
		treatment: adjustArm(armMoments(treatment), theta, meanX),
		varianceReduction: varY > 0 ? 1 - adjustedVar / varY : 0,
	};
}

/** The result of {@link cupedTest}: Welch's test on adjusted summaries plus the adjustment itself. */
export interface CupedResult extends FrequentistResult {
	adjustment: CupedAdjustment;
}

/**
 * Welch's t-test on CUPED-adjusted arms ({@link cupedAdjust}): same estimand, narrower interval. Works for means and
 * for proportions (binary Y, with a binary or numeric covariate: the sums are the same).
 * - absolute: Δ = μ′_B − μ′_A with Var = Var′_A/n_A + Var′_B/n_B (adjusted variances), Welch df from them.
 * - relative: Δ = μ′_B/μ′_A − 1 (adjusted means). Its variance is the first-order delta method over the arm means
 *   (Ȳ_A, X̄_A, Ȳ_B, X̄_B) with θ held fixed, counting that both adjusted means move with the pooled X̄ (see
 *   {@link adjustedRelativeEffect}); it reduces to the plain ratio-of-means variance when θ = 0.
 *
 * @example
 * cupedTest(controlSums, treatmentSums, { difference: "absolute" }); // { effect, ci, pValue, adjustment, … }
 */
export function cupedTest(control: CupedSums, treatment: CupedSums, options: FrequentistOptions = {}): CupedResult {
	const adjustment = cupedAdjust(control, treatment);
	const a = armMoments(control);
	const b = armMoments(treatment);
	return adjustedTest(
		"CUPED (θ from the pooled pre-period covariate; Deng et al. 2013)",
		adjustment,
		{ a, b, weightA: control.n / (control.n + treatment.n) },
		options,
	);
}

/**
 * One arm's estimate of the metric (`y`: a mean or a ratio) and of the covariate (`x`), with the per-unit variances
 * and covariance whose /n are the variances of those estimates (for a ratio, of its linearization).
 */
export interface ArmMoments {
	n: number;
	y: number;
	x: number;
	varY: number;
	varX: number;
	covXY: number;
}

/** Both arms' moments and the weight of control in the pooled covariate mean (X̄ = w·X̄_A + (1 − w)·X̄_B). */
export interface AdjustedPair {
	a: ArmMoments;
	b: ArmMoments;
	weightA: number;
}

/**
 * The test shared by {@link cupedTest} and cupedRatioTest: absolute by Welch on the adjusted summaries, relative by
 * {@link adjustedRelativeEffect}.
 *
 * @example
 * adjustedTest("CUPED", cupedAdjust(a, b), { a: momentsA, b: momentsB, weightA: 0.5 }, { difference: "relative" });
 */
export function adjustedTest(
	label: string,
	adjustment: CupedAdjustment,
	pair: AdjustedPair,
	options: FrequentistOptions,
): CupedResult {
	const difference = options.difference ?? "relative";
	const effect =
		difference === "absolute"
			? estimateEffect(adjustment.control, adjustment.treatment, "absolute")
			: adjustedRelativeEffect(pair, adjustment.theta, adjustment.control, adjustment.treatment);
	const how =
		difference === "absolute"
			? "absolute effect (difference of adjusted means)"
			: "relative effect (ratio of adjusted means, delta method with the pooled covariate mean)";
	const result = effectTest(
		`${label} + Welch t-test (Welch–Satterthwaite df), ${how}`,
		effect,
		adjustment.control,
		adjustment.treatment,
		options,
		"t",
	);
	return {
		...result,
		assumptions: [...result.assumptions, "the covariate is measured before exposure, so treatment cannot move it"],
		adjustment,
	};
}

/**
 * Relative effect of adjusted means r = μ′_B/μ′_A − 1, where μ′_A = Y_A − θ·w_B·(X_A − X_B) and
 * μ′_B = Y_B + θ·w_A·(X_A − X_B) (the adjustment towards the pooled X̄ = w_A·X_A + w_B·X_B). With arms independent
 * and θ fixed, Var(r) = Σ_arm g_Y²·Var(Y)/n + 2·g_Y·g_X·Cov(X, Y)/n + g_X²·Var(X)/n with the gradients
 * g_{Y_A} = −μ′_B/μ′_A², g_{Y_B} = 1/μ′_A, g_{X_A} = θ(w_A/μ′_A + w_B·μ′_B/μ′_A²) = −g_{X_B}. The df is Welch's on
 * the adjusted variances. NaN when μ′_A = 0.
 *
 * @example
 * adjustedRelativeEffect({ a, b, weightA: 0.5 }, 0.8, adjusted.control, adjusted.treatment).estimate;
 */
export function adjustedRelativeEffect(
	pair: AdjustedPair,
	theta: number,
	control: SampleSummary,
	treatment: SampleSummary,
): EffectEstimate {
	const { df } = estimateEffect(control, treatment, "absolute");
	const ma = control.mean;
	const mb = treatment.mean;
	if (ma === 0) return { difference: "relative", estimate: Number.NaN, variance: Number.NaN, stdError: Number.NaN, df };
	const wA = pair.weightA;
	const wB = 1 - wA;
	const gYA = -mb / (ma * ma);
	const gYB = 1 / ma;
	const gXA = theta * (wA / ma + (wB * mb) / (ma * ma));
	const gXB = -gXA;
	const part = (m: ArmMoments, gY: number, gX: number) =>
		(gY * gY * m.varY + 2 * gY * gX * m.covXY + gX * gX * m.varX) / m.n;
	const variance = Math.max(0, part(pair.a, gYA, gXA) + part(pair.b, gYB, gXB));
	return { difference: "relative", estimate: mb / ma - 1, variance, stdError: Math.sqrt(variance), df };
}

/**
 * An arm adjusted by θ towards the pooled covariate estimate: mean y − θ(x − pooledX), per-unit variance
 * Var(Y) − 2θ·Cov(X, Y) + θ²·Var(X).
 *
 * @example
 * adjustArm({ n: 100, y: 10, x: 9, varY: 4, varX: 4, covXY: 2 }, 0.5, 9.5); // { n: 100, mean: 10.25, variance: 3 }
 */
export function adjustArm(arm: ArmMoments, theta: number, pooledX: number): SampleSummary {
	return {
		n: arm.n,
		mean: arm.y - theta * (arm.x - pooledX),
		variance: Math.max(0, arm.varY - 2 * theta * arm.covXY + theta * theta * arm.varX),
	};
}

function armMoments(arm: CupedSums): ArmMoments {
	const { n } = arm;
	return {
		n,
		y: arm.sumY / n,
		x: arm.sumX / n,
		varY: centered(arm.sumY2, arm.sumY, arm.sumY, n),
		varX: centered(arm.sumX2, arm.sumX, arm.sumX, n),
		covXY: centered(arm.sumXY, arm.sumX, arm.sumY, n),
	};
}

/**
 * Sample (co)variance from sums: (Σuv − Σu·Σv/n)/(n − 1); 0 with fewer than 2 units.
 *
 * @example
 * centered(14, 6, 6, 3); // 1: the variance of 1, 2, 3
 */
export function centered(sumUV: number, sumU: number, sumV: number, n: number): number {
	return n > 1 ? (sumUV - (sumU * sumV) / n) / (n - 1) : 0;
}

function addSums(a: CupedSums, b: CupedSums): CupedSums {
	return {
		n: a.n + b.n,
		sumY: a.sumY + b.sumY,
		sumY2: a.sumY2 + b.sumY2,
		sumX: a.sumX + b.sumX,
		sumX2: a.sumX2 + b.sumX2,
		sumXY: a.sumXY + b.sumXY,
	};
}
