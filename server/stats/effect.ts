// The effect of treatment over control and its sampling variance, shared by the frequentist, Bayesian and
// sequential tests: difference of means, or ratio of means by the delta method (GrowthBook gbstats).
import type { DifferenceType, Interval, SampleSummary, StatWarning } from "./types.js";

/** A point estimate of the effect with its (asymptotic) variance and Welch–Satterthwaite degrees of freedom. */
export interface EffectEstimate {
	difference: DifferenceType;
	estimate: number;
	variance: number;
	stdError: number;
	/** Welch–Satterthwaite degrees of freedom of the difference of means (used for the relative effect too). */
	df: number;
}

/**
 * Effect of `treatment` over `control`.
 * - absolute: Δ = μ_B − μ_A, Var = σ²_A/n_A + σ²_B/n_B.
 * - relative: Δ = μ_B/μ_A − 1, Var = σ²_B/(μ_A² n_B) + σ²_A μ_B²/(μ_A⁴ n_A) (first-order delta method on the
 *   ratio of means; gbstats `frequentist/tests.py`, TTest.variance).
 * - df = (σ²_A/n_A + σ²_B/n_B)² / [(σ²_A/n_A)²/(n_A − 1) + (σ²_B/n_B)²/(n_B − 1)] (Welch 1947; Satterthwaite 1946).
 *
 * A relative effect needs μ_A ≠ 0; with μ_A = 0 the estimate and variance are NaN (callers warn "zero-baseline").
 *
 * @example
 * estimateEffect({ n: 3407, mean: 0.41, variance: 15.21 }, { n: 3461, mean: 0.7, variance: 38.44 }, "relative");
 * // { estimate: 0.70732, stdError: 0.37879, df: 5841.7, … }
 */
export function estimateEffect(
	control: SampleSummary,
	treatment: SampleSummary,
	difference: DifferenceType,
): EffectEstimate {
	const va = control.variance / control.n;
	const vb = treatment.variance / treatment.n;
	const df = welchDf(va, control.n, vb, treatment.n);
	if (difference === "absolute") {
		const variance = va + vb;
		return { difference, estimate: treatment.mean - control.mean, variance, stdError: Math.sqrt(variance), df };
	}
	const ma = control.mean;
	const mb = treatment.mean;
	if (ma === 0) return { difference, estimate: Number.NaN, variance: Number.NaN, stdError: Number.NaN, df };
	const variance = vb / (ma * ma) + (va * mb * mb) / (ma * ma * ma * ma);
	return { difference, estimate: mb / ma - 1, variance, stdError: Math.sqrt(variance), df };
}

/** Welch–Satterthwaite df from the two squared standard errors; Infinity when both are 0. */
function welchDf(va: number, na: number, vb: number, nb: number): number {
	const numerator = (va + vb) * (va + vb);
	const denominator = (va * va) / (na - 1) + (vb * vb) / (nb - 1);
	return denominator > 0 ? numerator / denominator : Infinity;
}

/**
 * The warning that makes an effect unusable, if any: a zero control mean for a relative effect, or no variance.
 *
 * @example
 * degenerateEffect(estimateEffect(a, a, "absolute"), a); // undefined unless a has no variance
 */
export function degenerateEffect(effect: EffectEstimate, control: SampleSummary): StatWarning | undefined {
	if (effect.difference === "relative" && control.mean === 0) {
		return { code: "zero-baseline", message: "The control mean is 0, so a relative effect is undefined." };
	}
	if (!(effect.stdError > 0)) {
		return { code: "zero-variance", message: "The effect has no sampling variance (constant values or empty arms)." };
	}
	return undefined;
}

/**
 * estimate ± multiplier·stdError.
 *
 * @example
 * symmetricInterval(0.29, 0.1248, 1.96); // { lower: 0.0454, upper: 0.5346 }
 */
export function symmetricInterval(estimate: number, stdError: number, multiplier: number): Interval {
	const half = multiplier * stdError;
	return { lower: estimate - half, upper: estimate + half };
}

/**
 * How the method text names the effect.
 *
 * @example
 * effectLabel("absolute"); // "absolute effect (difference of means)"
 */
export function effectLabel(difference: DifferenceType): string {
	return difference === "absolute"
		? "absolute effect (difference of means)"
		: "relative effect (ratio of means, delta method)";
}
