// Fixed-horizon frequentist comparisons: Welch's t-test for means and the two-proportion z-test, each for the
// absolute or the relative effect (delta method), as GrowthBook's gbstats computes them.
import { normalQuantile, normalSf, studentTQuantile, studentTSf } from "./distributions.js";
import { degenerateEffect, effectLabel, estimateEffect, symmetricInterval, type EffectEstimate } from "./effect.js";
import { proportionSummary } from "./summary.js";
import type { DifferenceType, Interval, ProportionCounts, ResultBase, SampleSummary } from "./types.js";
import { contextWarnings, type AnalysisContext } from "./warnings.js";

/** Options of the fixed-horizon tests. */
export interface FrequentistOptions {
	/** @default "relative" (GrowthBook's default) */
	difference?: DifferenceType;
	/** Significance level; the interval has coverage 1 − alpha. @default 0.05 */
	alpha?: number;
	/** What is known about the experiment, for warnings. */
	context?: AnalysisContext;
}

/** Options of {@link twoProportionZTest}. */
export interface ZTestOptions extends FrequentistOptions {
	/**
	 * For the absolute effect, standardize by the pooled standard error under H0 (p̂ = (x_A + x_B)/(n_A + n_B)), as
	 * statsmodels' proportions_ztest does; the interval always uses the unpooled (Wald) error. @default true
	 */
	pooled?: boolean;
}

/** A fixed-horizon comparison of treatment with control. */
export interface FrequentistResult extends ResultBase {
	difference: DifferenceType;
	/** Point estimate: μ_B − μ_A or μ_B/μ_A − 1. */
	effect: number;
	stdError: number;
	/** Two-sided (1 − alpha) confidence interval for the effect. */
	ci: Interval;
	/** Two-sided p-value for H0: no effect. */
	pValue: number;
	/** The t or z statistic. */
	statistic: number;
	/** Degrees of freedom of the t reference distribution (Infinity for z). */
	df: number;
	alpha: number;
	significant: boolean;
	control: SampleSummary;
	treatment: SampleSummary;
}

const FIXED_HORIZON_ASSUMPTIONS = [
	"units are independent and randomly assigned",
	"the sample size was fixed in advance and the result is read once (no peeking)",
	"the sampling distribution of the effect estimate is close to normal (large samples)",
];

/**
 * Welch's two-sample t-test (unequal variances) with Welch–Satterthwaite degrees of freedom.
 * Statistic t = Δ/se, p = 2·P(T_df > |t|), CI = Δ ± t_{1−α/2, df}·se, with Δ and se from {@link estimateEffect}
 * (absolute difference, or relative by the delta method). Source: Welch (1947), Biometrika 34; GrowthBook gbstats
 * `frequentist/tests.py` (TwoSidedTTest), whose published values the tests reproduce.
 *
 * @example
 * welchTTest(meanSummary({ n: 3407, sum: 1396.87, sumSquares: 52377.9767 }),
 *            meanSummary({ n: 3461, sum: 2422.7, sumSquares: 134698.29 }), { difference: "absolute" });
 * // { effect: 0.29, ci: { lower: 0.04538, upper: 0.53462 }, pValue: 0.02016, … }
 */
export function welchTTest(
	control: SampleSummary,
	treatment: SampleSummary,
	options: FrequentistOptions = {},
): FrequentistResult {
	const alpha = options.alpha ?? 0.05;
	const effect = estimateEffect(control, treatment, options.difference ?? "relative");
	const method = `Welch t-test (unequal variances, Welch–Satterthwaite df), ${effectLabel(effect.difference)}`;
	return fixedHorizonResult(method, effect, control, treatment, alpha, options.context, {
		statistic: effect.estimate / effect.stdError,
		df: effect.df,
		tail: (t) => studentTSf(t, effect.df),
		quantile: (p) => studentTQuantile(p, effect.df),
	});
}

/**
 * Two-proportion z-test. Absolute: z = (p_B − p_A)/√(p̂(1 − p̂)(1/n_A + 1/n_B)) with the pooled p̂ (or the unpooled
 * error when `pooled` is false), CI = Δ ± z_{1−α/2}·√(p_A(1 − p_A)/n_A + p_B(1 − p_B)/n_B) (Wald). Relative: z and CI
 * from the delta-method error of p_B/p_A − 1. p = 2·Φ(−|z|). Source: Fleiss, Levin & Paik, "Statistical Methods
 * for Rates and Proportions" (3rd ed., 2003) §2.4 (statsmodels proportions_ztest, confint_proportions_2indep
 * method "wald").
 *
 * @example
 * twoProportionZTest({ n: 10000, conversions: 1000 }, { n: 10000, conversions: 1100 }, { difference: "absolute" });
 * // { effect: 0.01, statistic: 2.31, pValue: 0.021, … }
 */
export function twoProportionZTest(
	control: ProportionCounts,
	treatment: ProportionCounts,
	options: ZTestOptions = {},
): FrequentistResult {
	const alpha = options.alpha ?? 0.05;
	const a = proportionSummary(control);
	const b = proportionSummary(treatment);
	const effect = estimateEffect(a, b, options.difference ?? "relative");
	const pooled = effect.difference === "absolute" && (options.pooled ?? true);
	const testError = pooled ? pooledError(control, treatment) : effect.stdError;
	const method = `two-proportion z-test (${pooled ? "pooled" : "unpooled"} standard error; Wald interval), ${effectLabel(effect.difference)}`;
	return fixedHorizonResult(method, effect, a, b, alpha, options.context, {
		statistic: effect.estimate / testError,
		df: Infinity,
		tail: normalSf,
		quantile: normalQuantile,
	});
}

/**
 * A fixed-horizon test of an effect estimated elsewhere (ratio metrics, CUPED, quantiles): statistic Δ/se, two-sided
 * p and a symmetric interval from Student's t with the effect's Welch–Satterthwaite df (`"t"`) or from the normal
 * (`"normal"`), with the same warnings and degenerate cases as {@link welchTTest}.
 *
 * @example
 * effectTest("Welch t-test on delta-method ratios", estimateEffect(a, b, "absolute"), a, b, {}, "t");
 */
export function effectTest(
	method: string,
	effect: EffectEstimate,
	control: SampleSummary,
	treatment: SampleSummary,
	options: FrequentistOptions,
	reference: "t" | "normal",
): FrequentistResult {
	const alpha = options.alpha ?? 0.05;
	const df = reference === "t" ? effect.df : Infinity;
	return fixedHorizonResult(method, effect, control, treatment, alpha, options.context, {
		statistic: effect.estimate / effect.stdError,
		df,
		tail: reference === "t" ? (t) => studentTSf(t, df) : normalSf,
		quantile: reference === "t" ? (p) => studentTQuantile(p, df) : normalQuantile,
	});
}

/** How one test turns its statistic into p-values and intervals. */
interface ReferenceDistribution {
	statistic: number;
	df: number;
	/** Upper tail P(X > x). */
	tail: (x: number) => number;
	quantile: (p: number) => number;
}

function fixedHorizonResult(
	method: string,
	effect: EffectEstimate,
	control: SampleSummary,
	treatment: SampleSummary,
	alpha: number,
	context: AnalysisContext = {},
	reference: ReferenceDistribution,
): FrequentistResult {
	const warnings = contextWarnings(context, {
		units: [control.n, treatment.n],
		stdError: effect.stdError,
		alpha,
		sequential: false,
	});
	const base = { method, assumptions: [...FIXED_HORIZON_ASSUMPTIONS], warnings, alpha, control, treatment };
	const { difference, estimate, stdError } = effect;
	// 1. The effect cannot be estimated or has no sampling error: an uninformative result (as gbstats' default).
	const problem = degenerateEffect(effect, control);
	if (problem) {
		warnings.push(problem);
		const ci = { lower: Number.NaN, upper: Number.NaN };
		return {
			...base,
			difference,
			effect: estimate,
			stdError,
			ci,
			pValue: 1,
			statistic: 0,
			df: reference.df,
			significant: false,
		};
	}
	// 2. The test proper.
	const statistic = reference.statistic;
	const pValue = Math.min(1, 2 * reference.tail(Math.abs(statistic)));
	const ci = symmetricInterval(estimate, stdError, reference.quantile(1 - alpha / 2));
	return {
		...base,
		difference,
		effect: estimate,
		stdError,
		ci,
		pValue,
		statistic,
		df: reference.df,
		significant: pValue < alpha,
	};
}

function pooledError(a: ProportionCounts, b: ProportionCounts): number {
	const p = (a.conversions + b.conversions) / (a.n + b.n);
	return Math.sqrt(p * (1 - p) * (1 / a.n + 1 / b.n));
}
