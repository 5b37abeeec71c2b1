// Bayesian comparisons: the Beta-binomial model for conversion metrics (exact chance to win and expected loss) and
// the Gaussian effect model GrowthBook's gbstats uses for any metric (flat prior unless one is given).
import { betaCdf, betaPdf, betaQuantile, betaSf, normalCdf, normalPdf, normalQuantile } from "./distributions.js";
import { degenerateEffect, effectLabel, estimateEffect, symmetricInterval } from "./effect.js";
import { logBeta } from "./special.js";
import type { DifferenceType, Interval, ProportionCounts, ResultBase, SampleSummary, StatWarning } from "./types.js";
import { contextWarnings, type AnalysisContext } from "./warnings.js";

/** A Beta(alpha, beta) prior on a conversion rate; alpha and beta are pseudo-counts (positive integers). */
export interface BetaPrior {
	alpha: number;
	beta: number;
}

/** Options of {@link betaBinomialTest}. */
export interface BetaBinomialOptions {
	/** Same prior for both arms. @default { alpha: 1, beta: 1 } (uniform: no information) */
	prior?: BetaPrior;
	/** Credible intervals have mass 1 − alpha. @default 0.05 */
	alpha?: number;
	context?: AnalysisContext;
}

/** One arm's posterior Beta(alpha, beta). */
export interface BetaPosterior {
	alpha: number;
	beta: number;
	mean: number;
	/** Equal-tailed credible interval (exact Beta quantiles). */
	ci: Interval;
}

/** A posterior summary of an effect: mean, standard deviation and equal-tailed credible interval. */
export interface EffectPosterior {
	mean: number;
	stdDev: number;
	ci: Interval;
}

/** Expected loss ("risk" in GrowthBook) of shipping each arm: what is given up if the other one is better. */
export interface ExpectedLoss {
	/** E[max(θ_B − θ_A, 0)]: the loss of keeping control. */
	control: number;
	/** E[max(θ_A − θ_B, 0)]: the loss of shipping treatment. */
	treatment: number;
}

export interface BetaBinomialResult extends ResultBase {
	/** P(p_B > p_A | data). */
	chanceToWin: number;
	/** In conversion-rate units. */
	expectedLoss: ExpectedLoss;
	control: BetaPosterior;
	treatment: BetaPosterior;
	/** p_B − p_A, normal approximation to the two posteriors. */
	absolute: EffectPosterior;
	/** p_B/p_A − 1, delta method on the two posteriors. */
	relative: EffectPosterior;
	alpha: number;
}

/** Up to this many terms the closed-form sums are used; past it (large counts) quadrature is faster. */
const MAX_EXACT_TERMS = 20_000;
const QUADRATURE_INTERVALS = 2_000;
const QUADRATURE_HALF_WIDTH_SD = 12;

/**
 * Beta-binomial A/B comparison. Posterior p ~ Beta(α₀ + x, β₀ + n − x) per arm. Chance to win P(p_B > p_A) is
 * exact: Evan Miller's closed form h = Σ_{i<α_B} B(α_A + i, β_A + β_B)/((β_B + i)·B(1 + i, β_B)·B(α_A, β_A))
 * (summed over whichever of α_A, α_B, β_A, β_B is smallest, by symmetry), or, for very large counts, Simpson
 * quadrature of ∫ f_A(x)·P(p_B > x) dx. Expected loss E[max(p_A − p_B, 0)] = m_A·P(p′_A > p_B) − m_B·P(p_A > p′_B)
 * with p′ ~ Beta(α + 1, β) (Chris Stucchio, "Bayesian A/B Testing at VWO", 2015). Sources: Evan Miller,
 * "Formulas for Bayesian A/B Testing" (2015); GrowthBook gbstats (chance to win, risk).
 *
 * @example
 * betaBinomialTest({ n: 1000, conversions: 100 }, { n: 1000, conversions: 120 });
 * // { chanceToWin: 0.92, expectedLoss: { control: 0.0205, treatment: 0.0005 }, … }
 */
export function betaBinomialTest(
	control: ProportionCounts,
	treatment: ProportionCounts,
	options: BetaBinomialOptions = {},
): BetaBinomialResult {
	const prior = options.prior ?? { alpha: 1, beta: 1 };
	if (!isPseudoCount(prior.alpha) || !isPseudoCount(prior.beta)) {
		throw new RangeError("betaBinomialTest: prior alpha and beta must be positive integers");
	}
	const alpha = options.alpha ?? 0.05;
	const a = { alpha: prior.alpha + control.conversions, beta: prior.beta + control.n - control.conversions };
	const b = { alpha: prior.alpha + treatment.conversions, beta: prior.beta + treatment.n - treatment.conversions };
	const ma = a.alpha / (a.alpha + a.beta);
	const mb = b.alpha / (b.alpha + b.beta);
	const chanceToWin = probabilityGreater(a, b);
	const lossOfTreatment = Math.max(
		0,
		ma * probabilityGreater(b, { alpha: a.alpha + 1, beta: a.beta }) -
			mb * probabilityGreater({ alpha: b.alpha + 1, beta: b.beta }, a),
	);
	const warnings = contextWarnings(options.context ?? {}, {
		units: [control.n, treatment.n],
		stdError: Math.sqrt(betaVariance(a) + betaVariance(b)),
		alpha,
		sequential: false,
	});
	return {
		method: "Beta-binomial posterior comparison (exact chance to win and expected loss)",
		assumptions: [
			`Beta(${prior.alpha}, ${prior.beta}) prior on each arm's conversion rate`,
			"units convert independently with a constant per-arm rate",
			"absolute and relative intervals use a normal approximation to the posteriors",
		],
		warnings,
		chanceToWin,
		expectedLoss: { control: Math.max(0, lossOfTreatment + mb - ma), treatment: lossOfTreatment },
		control: betaPosterior(a, alpha),
		treatment: betaPosterior(b, alpha),
		absolute: approximateEffect(mb - ma, betaVariance(a) + betaVariance(b), alpha),
		relative: approximateEffect(
			mb / ma - 1,
			betaVariance(b) / (ma * ma) + (betaVariance(a) * mb * mb) / (ma * ma * ma * ma),
			alpha,
		),
		alpha,
	};
}

function isPseudoCount(x: number): boolean {
	return Number.isInteger(x) && x > 0;
}

function betaVariance(d: BetaPrior): number {
	const s = d.alpha + d.beta;
	return (d.alpha * d.beta) / (s * s * (s + 1));
}

function betaPosterior(d: BetaPrior, alpha: number): BetaPosterior {
	return {
		alpha: d.alpha,
		beta: d.beta,
		mean: d.alpha / (d.alpha + d.beta),
		ci: { lower: betaQuantile(alpha / 2, d.alpha, d.beta), upper: betaQuantile(1 - alpha / 2, d.alpha, d.beta) },
	};
}

function approximateEffect(mean: number, variance: number, alpha: number): EffectPosterior {
	const stdDev = Math.sqrt(variance);
	return { mean, stdDev, ci: symmetricInterval(mean, stdDev, normalQuantile(1 - alpha / 2)) };
}

/**
 * P(X_b > X_a) for X_a ~ Beta(a), X_b ~ Beta(b) with integer parameters. Four closed forms exist (sum over α_b,
 * α_a, β_a or β_b terms, using 1 − X ~ Beta(β, α)); the shortest is used, or quadrature when all are long.
 */
function probabilityGreater(a: BetaPrior, b: BetaPrior): number {
	const cost = Math.min(a.alpha, a.beta, b.alpha, b.beta);
	if (cost > MAX_EXACT_TERMS) return quadratureGreater(a, b);
	if (cost === b.alpha) return millerSum(a.alpha, a.beta, b.alpha, b.beta);
	if (cost === a.alpha) return 1 - millerSum(b.alpha, b.beta, a.alpha, a.beta);
	// X_b > X_a ⇔ 1 − X_a > 1 − X_b.
	if (cost === a.beta) return millerSum(b.beta, b.alpha, a.beta, a.alpha);
	return 1 - millerSum(a.beta, a.alpha, b.beta, b.alpha);
}

/** Evan Miller's h(a1, b1, a2, b2) = P(Beta(a2, b2) > Beta(a1, b1)), a2 a positive integer: a2 terms. */
function millerSum(a1: number, b1: number, a2: number, b2: number): number {
	const base = logBeta(a1, b1);
	let sum = 0;
	for (let i = 0; i < a2; i++) {
		sum += Math.exp(logBeta(a1 + i, b1 + b2) - Math.log(b2 + i) - logBeta(1 + i, b2) - base);
	}
	return sum;
}

/**
 * P(X_b > X_a) = ∫ f_a(x)·P(X_b > x) dx = ∫ f_b(y)·P(X_a < y) dy, by composite Simpson over ±12 sd of whichever
 * density is narrower (large parameters: both are smooth, bell-shaped and far from 0 and 1).
 */
function quadratureGreater(a: BetaPrior, b: BetaPrior): number {
	const overA = betaVariance(a) <= betaVariance(b);
	const d = overA ? a : b;
	const integrand = overA
		? (x: number) => betaPdf(x, a.alpha, a.beta) * betaSf(x, b.alpha, b.beta)
		: (y: number) => betaPdf(y, b.alpha, b.beta) * betaCdf(y, a.alpha, a.beta);
	const mean = d.alpha / (d.alpha + d.beta);
	const sd = Math.sqrt(betaVariance(d));
	const lo = Math.max(0, mean - QUADRATURE_HALF_WIDTH_SD * sd);
	const hi = Math.min(1, mean + QUADRATURE_HALF_WIDTH_SD * sd);
	const h = (hi - lo) / QUADRATURE_INTERVALS;
	let sum = integrand(lo) + integrand(hi);
	for (let i = 1; i < QUADRATURE_INTERVALS; i++) sum += (i % 2 === 1 ? 4 : 2) * integrand(lo + i * h);
	return Math.min(1, Math.max(0, (sum * h) / 3));
}

/** A normal prior on the effect (on the scale of the difference type). */
export interface GaussianPrior {
	mean: number;
	variance: number;
}

/** Options of {@link gaussianBayesianTest}. */
export interface GaussianBayesianOptions {
	/** @default "relative" */
	difference?: DifferenceType;
	/** Credible interval mass 1 − alpha. @default 0.05 */
	alpha?: number;
	/** Prior on the effect. @default undefined: flat (improper), so the posterior is the likelihood (gbstats' default) */
	prior?: GaussianPrior;
	context?: AnalysisContext;
}

export interface GaussianBayesianResult extends ResultBase {
	difference: DifferenceType;
	/** Posterior of the effect. */
	effect: EffectPosterior;
	/** P(effect > 0 | data). */
	chanceToWin: number;
	/** On the scale of the effect. */
	expectedLoss: ExpectedLoss;
	alpha: number;
}

/**
 * Gaussian Bayesian comparison of any metric, as gbstats' EffectBayesianABTest: the effect estimate Δ̂ (absolute,
 * or relative by the delta method; {@link estimateEffect}) is treated as Δ̂ ~ N(Δ, se²); with prior N(m₀, v₀) the
 * posterior is N((m₀/v₀ + Δ̂/se²)/(1/v₀ + 1/se²), 1/(1/v₀ + 1/se²)); with the default flat prior it is N(Δ̂, se²).
 * Chance to win Φ(μ/σ); expected loss E[max(Δ, 0)] = μΦ(μ/σ) + σφ(μ/σ) and E[max(−Δ, 0)] = −μΦ(−μ/σ) + σφ(μ/σ)
 * (normal partial expectations; gbstats `get_risk` via truncated-normal means).
 *
 * @example
 * gaussianBayesianTest({ n: 3407, mean: 0.41, variance: 15.21 }, { n: 3461, mean: 0.7, variance: 38.44 });
 * // { effect: { mean: 0.70732, … }, chanceToWin: 0.969, … }
 */
export function gaussianBayesianTest(
	control: SampleSummary,
	treatment: SampleSummary,
	options: GaussianBayesianOptions = {},
): GaussianBayesianResult {
	const alpha = options.alpha ?? 0.05;
	const estimate = estimateEffect(control, treatment, options.difference ?? "relative");
	const warnings: StatWarning[] = contextWarnings(options.context ?? {}, {
		units: [control.n, treatment.n],
		stdError: estimate.stdError,
		alpha,
		sequential: false,
	});
	const prior = options.prior;
	const base = {
		method: `Gaussian Bayesian effect model (gbstats EffectBayesianABTest), ${effectLabel(estimate.difference)}`,
		assumptions: [
			prior ? `normal prior N(${prior.mean}, ${prior.variance}) on the effect` : "flat (improper) prior on the effect",
			"the effect estimate is normally distributed around the true effect (large samples)",
			"units are independent and randomly assigned",
		],
		warnings,
		difference: estimate.difference,
		alpha,
	};
	// 1. No usable estimate: no information either way.
	const problem = degenerateEffect(estimate, control);
	if (problem) {
		warnings.push(problem);
		const effect = { mean: estimate.estimate, stdDev: Number.NaN, ci: { lower: Number.NaN, upper: Number.NaN } };
		return { ...base, effect, chanceToWin: 0.5, expectedLoss: { control: Number.NaN, treatment: Number.NaN } };
	}
	// 2. Posterior of the effect.
	const dataPrecision = 1 / estimate.variance;
	const precision = prior ? dataPrecision + 1 / prior.variance : dataPrecision;
	const mean = prior
		? (prior.mean / prior.variance + estimate.estimate * dataPrecision) / precision
		: estimate.estimate;
	const stdDev = Math.sqrt(1 / precision);
	// 3. Decision quantities.
	const z = mean / stdDev;
	const density = stdDev * normalPdf(z);
	return {
		...base,
		effect: approximateEffect(mean, stdDev * stdDev, alpha),
		chanceToWin: normalCdf(z),
		expectedLoss: { control: mean * normalCdf(z) + density, treatment: -mean * normalCdf(-z) + density },
	};
}
