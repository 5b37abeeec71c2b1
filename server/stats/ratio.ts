// Ratio metrics (Σ numerator / Σ denominator per arm, e.g. Robux per session) by the delta method, with and without
// CUPED. The unit of randomization is the player, not the session, so the per-session values are not independent:
// the delta method turns each arm's ratio into a mean-like summary whose variance/n is the ratio's variance, and the
// mean tests (Welch, Bayesian, sequential) then apply unchanged.
import { adjustArm, adjustedTest, centered, type ArmMoments, type CupedAdjustment, type CupedResult } from "./cuped.js";
import { estimateEffect } from "./effect.js";
import { effectTest, type FrequentistOptions, type FrequentistResult } from "./frequentist.js";
import type { SampleSummary } from "./types.js";

/**
 * One arm's per-unit sums of a ratio metric's numerator M and denominator D: n units, ΣM, ΣM², ΣD, ΣD², ΣM·D.
 * A unit with D = 0 still counts (it adds to n and the cross sums).
 */
export interface RatioSums {
	n: number;
	sumNum: number;
	sumNum2: number;
	sumDen: number;
	sumDen2: number;
	sumNumDen: number;
}

/**
 * A ratio arm as a {@link SampleSummary}: mean = R = ΣM/ΣD and variance = Var(M − R·D)/D̄², the per-unit variance
 * of the ratio's linearization, so variance/n is the first-order delta-method variance of R:
 * Var(R) ≈ (σ²_M − 2R·σ_MD + R²·σ²_D)/(n·D̄²) (sample moments with n − 1). Source: Deng, Knoblich & Lu (2018),
 * "Applying the Delta Method in Metric Analytics", KDD, §3; GrowthBook gbstats RatioStatistic.
 * An arm with ΣD = 0 has mean and variance NaN (the ratio is undefined); an empty arm is { n: 0, mean: 0, variance: 0 }.
 *
 * @example
 * ratioSummary({ n: 3, sumNum: 12, sumNum2: 56, sumDen: 6, sumDen2: 14, sumNumDen: 28 });
 * // { n: 3, mean: 2, variance: 0 }  (every unit has M = 2·D)
 */
export function ratioSummary(s: RatioSums): SampleSummary {
	const { n } = s;
	if (n <= 0) return { n: 0, mean: 0, variance: 0 };
	if (s.sumDen === 0) return { n, mean: Number.NaN, variance: Number.NaN };
	const moments = ratioMoments(s);
	return { n, mean: moments.ratio, variance: moments.variance };
}

/**
 * Welch's t-test of a ratio metric: {@link ratioSummary} per arm, then the absolute (R_B − R_A) or relative
 * (R_B/R_A − 1, delta method over both ratios) effect as {@link welchTTest} computes it for means, with Welch df
 * from the linearized variances. An arm whose denominators sum to 0 gives an uninformative result with a
 * "zero-baseline" warning.
 *
 * @example
 * ratioTest(controlSums, treatmentSums, { difference: "absolute" }); // { effect: R_B − R_A, ci, pValue, … }
 */
export function ratioTest(
	control: RatioSums,
	treatment: RatioSums,
	options: FrequentistOptions = {},
): FrequentistResult {
	const a = ratioSummary(control);
	const b = ratioSummary(treatment);
	const effect = estimateEffect(a, b, options.difference ?? "relative");
	const result = effectTest(
		`Welch t-test on ratio metrics (delta method; Deng et al. 2018), ${
			effect.difference === "absolute" ? "absolute effect (difference of ratios)" : "relative effect (ratio of ratios)"
		}`,
		effect,
		a,
		b,
		options,
		"t",
	);
	if (control.sumDen === 0 || treatment.sumDen === 0) {
		result.warnings.unshift({
			code: "zero-baseline",
			message: "An arm's denominators sum to 0, so its ratio (and the comparison) is undefined.",
		});
	}
	return {
		...result,
		assumptions: [...result.assumptions, "the ratio's denominator mean is far from 0 in each arm (delta method)"],
	};
}

/**
 * A ratio metric with its CUPED covariate: the same ratio's numerator M′ and denominator D′ over the pre-exposure
 * lookback, and every cross product between the two periods.
 */
export interface CupedRatioSums extends RatioSums {
	sumPreNum: number;
	sumPreNum2: number;
	sumPreDen: number;
	sumPreDen2: number;
	sumPreNumDen: number;
	/** Σ M·M′ */
	sumNumPreNum: number;
	/** Σ M·D′ */
	sumNumPreDen: number;
	/** Σ D·M′ */
	sumDenPreNum: number;
	/** Σ D·D′ */
	sumDenPreDen: number;
}

/**
 * CUPED for a ratio metric (regression adjustment of the linearized ratio): per unit, L = (M − R·D)/D̄ and
 * L′ = (M′ − R′·D′)/D̄′ are the influence values of the post ratio R and the pre ratio R′ (mean 0 in each arm).
 * θ = Σ_arms Σ L·L′ / Σ_arms Σ L′² (pooled within arms); each arm's adjusted ratio is R − θ(R′ − R′_pooled) with
 * per-unit variance Var(L − θL′), where R′_pooled = w_A·R′_A + w_B·R′_B with w = n_arm/n (any constant centre keeps
 * the absolute effect; this one is the units' mean). The absolute effect is Welch's test on those; the relative effect
 * uses the delta method over (R_A, R′_A, R_B, R′_B) with θ fixed ({@link adjustedRelativeEffect}). Source: Deng, Knoblich & Lu (2018), "Applying the Delta Method in Metric Analytics", KDD, §4
 * (CUPED on the linearized ratio); GrowthBook gbstats RegressionAdjustedRatioStatistic. Units without pre-period data
 * count with M′ = D′ = 0. When either arm's pre denominators sum to 0, θ = 0 (no adjustment).
 *
 * @example
 * cupedRatioTest(controlSums, treatmentSums, { difference: "absolute" }); // { effect, ci, adjustment: { theta, … } }
 */
export function cupedRatioTest(
	control: CupedRatioSums,
	treatment: CupedRatioSums,
	options: FrequentistOptions = {},
): CupedResult {
	const a = cupedRatioMoments(control);
	const b = cupedRatioMoments(treatment);
	const usable = a !== undefined && b !== undefined && control.sumPreDen !== 0 && treatment.sumPreDen !== 0;
	if (!a || !b) {
		// A post ratio is undefined: ratioTest's uninformative result, without adjustment.
		const result = ratioTest(control, treatment, options);
		const none = { theta: 0, control: result.control, treatment: result.treatment, varianceReduction: 0 };
		return { ...result, adjustment: none };
	}
	const weightA = control.n / (control.n + treatment.n);
	const pooledPre = weightA * a.x + (1 - weightA) * b.x;
	const within = (m: ArmMoments) => (m.n > 1 ? m.n - 1 : 0);
	const preVariance = within(a) * a.varX + within(b) * b.varX;
	const theta = usable && preVariance > 0 ? (within(a) * a.covXY + within(b) * b.covXY) / preVariance : 0;
	const adjusted = { control: adjustArm(a, theta, pooledPre), treatment: adjustArm(b, theta, pooledPre) };
	const before = within(a) * a.varY + within(b) * b.varY;
	const after = within(a) * adjusted.control.variance + within(b) * adjusted.treatment.variance;
	const adjustment: CupedAdjustment = {
		theta,
		...adjusted,
		varianceReduction: before > 0 ? 1 - after / before : 0,
	};
	const result = adjustedTest(
		"CUPED for ratio metrics (θ on the linearized pre-period ratio; Deng et al. 2018)",
		adjustment,
		{ a, b, weightA },
		options,
	);
	return {
		...result,
		assumptions: [...result.assumptions, "the ratio's denominator mean is far from 0 in each arm (delta method)"],
	};
}

/** Ratio, linearized per-unit variance and the denominator mean of one arm's sums (ΣD ≠ 0, n > 0). */
function ratioMoments(s: RatioSums): { ratio: number; variance: number; meanDen: number } {
	const { n } = s;
	const ratio = s.sumNum / s.sumDen;
	const meanDen = s.sumDen / n;
	const varNum = centered(s.sumNum2, s.sumNum, s.sumNum, n);
	const varDen = centered(s.sumDen2, s.sumDen, s.sumDen, n);
	const cov = centered(s.sumNumDen, s.sumNum, s.sumDen, n);
	const variance = Math.max(0, (varNum - 2 * ratio * cov + ratio * ratio * varDen) / (meanDen * meanDen));
	return { ratio, variance, meanDen };
}

/**
 * The post ratio (y, varY from L) and the pre ratio (x, varX from L′) with Cov(L, L′); undefined when the post ratio
 * is undefined. With ΣD′ = 0 the pre part is 0 (no covariate).
 */
function cupedRatioMoments(s: CupedRatioSums): ArmMoments | undefined {
	const { n } = s;
	if (n <= 0 || s.sumDen === 0) return undefined;
	const post = ratioMoments(s);
	if (s.sumPreDen === 0) return { n, y: post.ratio, x: 0, varY: post.variance, varX: 0, covXY: 0 };
	const pre = ratioMoments({
		n,
		sumNum: s.sumPreNum,
		sumNum2: s.sumPreNum2,
		sumDen: s.sumPreDen,
		sumDen2: s.sumPreDen2,
		sumNumDen: s.sumPreNumDen,
	});
	const r = post.ratio;
	const rPre = pre.ratio;
	// Cov(M − R·D, M′ − R′·D′) from the four cross covariances.
	const cross =
		centered(s.sumNumPreNum, s.sumNum, s.sumPreNum, n) -
		rPre * centered(s.sumNumPreDen, s.sumNum, s.sumPreDen, n) -
		r * centered(s.sumDenPreNum, s.sumDen, s.sumPreNum, n) +
		r * rPre * centered(s.sumDenPreDen, s.sumDen, s.sumPreDen, n);
	return {
		n,
		y: r,
		x: rPre,
		varY: post.variance,
		varX: pre.variance,
		covXY: cross / (post.meanDen * pre.meanDen),
	};
}
