// Intervals for the relative effect μ_B/μ_A − 1 that hold where the delta method's symmetric interval does not: when
// the control mean is small next to its standard error (few control conversions), the ratio's sampling distribution
// is skewed and the delta-method interval both misses the truth too often and disagrees with the absolute test.
import { studentTQuantile } from "./distributions.js";
import { estimateEffect } from "./effect.js";
import { welchTTest } from "./frequentist.js";
import type { Interval, SampleSummary } from "./types.js";

/**
 * A (1 − α) interval for treatment/control − 1 that may be unbounded:
 * - "bounded": [lower, upper];
 * - "exclusive": everything outside (lower, upper), i.e. (−∞, lower] ∪ [upper, ∞) — the control mean is not
 *   significantly different from 0, yet the treatment mean is;
 * - "unbounded": every value (lower = −∞, upper = ∞) — neither mean is distinguishable from 0 at this level.
 */
export interface RelativeInterval extends Interval {
	kind: "bounded" | "exclusive" | "unbounded";
	/** kind === "bounded". */
	bounded: boolean;
}

/** Options of the relative intervals (a bare number in their place is alpha). */
export interface RelativeIntervalOptions {
	/** @default 0.05 */
	alpha?: number;
	/**
	 * Degrees of freedom of the t critical value; Infinity for the normal (proportions).
	 * @default Welch–Satterthwaite df of the two arms, as {@link welchTTest}
	 */
	df?: number;
}

/**
 * Fieller's interval for ρ − 1, ρ = μ_B/μ_A, from independent arm means x̄ (variances v = σ²/n): the set of ρ for
 * which the t-test of μ_B − ρ·μ_A = 0 does not reject, i.e. the solutions of
 * (x̄_A² − t²v_A)·ρ² − 2x̄_A·x̄_B·ρ + (x̄_B² − t²v_B) ≤ 0, t = t_{1−α/2, df}. With g = t²v_A/x̄_A² < 1 (the control mean
 * is significantly non-zero) it is the bounded interval between the roots; with g ≥ 1 it is the outside of the
 * roots ("exclusive") or everything ("unbounded"). Source: Fieller (1954), "Some problems in interval estimation",
 * JRSS B 16; Franz (2007), "Ratios: A short guide to confidence limits and proper use", arXiv:0710.2024.
 *
 * @example
 * fiellerInterval({ n: 1000, mean: 0.1, variance: 0.09 }, { n: 1000, mean: 0.12, variance: 0.1056 });
 * // { kind: "bounded", bounded: true, lower: ≈ −0.06, upper: ≈ 0.50 }
 */
export function fiellerInterval(
	control: SampleSummary,
	treatment: SampleSummary,
	alphaOrOptions: number | RelativeIntervalOptions = {},
): RelativeInterval {
	const options = intervalOptions(alphaOrOptions);
	const { va, vb, t } = criticalParts(control, treatment, options);
	const xa = control.mean;
	const xb = treatment.mean;
	const t2 = t * t;
	const a = xa * xa - t2 * va;
	const halfB = -xa * xb;
	const c = xb * xb - t2 * vb;
	const quarterDisc = halfB * halfB - a * c;
	if (a > 0) {
		// a > 0 implies a positive discriminant: two real roots around x̄_B/x̄_A.
		const root = Math.sqrt(Math.max(0, quarterDisc));
		const [r1, r2] = sortedRoots(-halfB, root, a);
		return { kind: "bounded", bounded: true, lower: r1 - 1, upper: r2 - 1 };
	}
	if (a < 0 && quarterDisc > 0) {
		const root = Math.sqrt(quarterDisc);
		const [r1, r2] = sortedRoots(-halfB, root, a);
		return { kind: "exclusive", bounded: false, lower: r1 - 1, upper: r2 - 1 };
	}
	// a < 0 with no real roots: every ρ passes. (a = 0 exactly, g = 1, would give a half-line; reporting everything
	// is the conservative reading of that measure-zero case.)
	return { kind: "unbounded", bounded: false, lower: -Infinity, upper: Infinity };
}

/**
 * Log-ratio interval for μ_B/μ_A − 1: log(x̄_B/x̄_A) ± t·√(v_B/x̄_B² + v_A/x̄_A²) (delta method on the log scale),
 * exponentiated, minus 1. Asymmetric and always bounded; for skewed ratios it covers better than the delta
 * method on the ratio scale (Katz et al. 1978, Biometrics 34, for the risk ratio). Only for positive means: throws
 * a RangeError otherwise.
 *
 * @example
 * logRatioInterval({ n: 1000, mean: 0.1, variance: 0.09 }, { n: 1000, mean: 0.12, variance: 0.1056 });
 * // { lower: ≈ −0.05, upper: ≈ 0.49 }
 */
export function logRatioInterval(
	control: SampleSummary,
	treatment: SampleSummary,
	alphaOrOptions: number | RelativeIntervalOptions = {},
): Interval {
	const options = intervalOptions(alphaOrOptions);
	if (!(control.mean > 0 && treatment.mean > 0)) {
		throw new RangeError("logRatioInterval needs positive control and treatment means");
	}
	const { va, vb, t } = criticalParts(control, treatment, options);
	const center = Math.log(treatment.mean / control.mean);
	const half = t * Math.sqrt(vb / (treatment.mean * treatment.mean) + va / (control.mean * control.mean));
	return { lower: Math.expm1(center - half), upper: Math.expm1(center + half) };
}

/** Fieller's g above which the delta-method relative interval is not trusted (Franz 2007 suggests g < 0.05–0.1). */
export const FIELLER_G_THRESHOLD = 0.1;

/** The verdict of {@link relativeIntervalCheck}. */
export interface RelativeIntervalCheck {
	/** The delta-method (symmetric) relative interval can be read as it is. */
	reliable: boolean;
	/** Fieller's g = t²·Var(x̄_A)/x̄_A²: the squared relative error of the control mean, in critical-value units. */
	g: number;
	/** The delta-method interval, as welchTTest reports it. */
	delta: Interval;
	fieller: RelativeInterval;
	/** Null when a mean is not positive. */
	logRatio: Interval | null;
	/** Which interval to show: "delta" when reliable, else "fieller" (bounded) or "log-ratio". */
	recommended: "delta" | "fieller" | "log-ratio";
	/** The recommended interval itself. */
	interval: Interval;
	/** p-values of the same H0 (μ_B = μ_A) on the absolute and the delta-method relative scale. */
	absolutePValue: number;
	relativePValue: number;
	/** Plain words for the dashboard: why the relative interval is (not) reliable and what is shown instead. */
	message: string;
}

/**
 * Whether the delta-method relative interval can be trusted, and the interval to use if not. Unreliable when
 * 1. Fieller's g ≥ {@link FIELLER_G_THRESHOLD} (the control mean is small next to its standard error, e.g. fewer
 *    than ~40 control conversions for a proportion: g ≈ 3.84/conversions), or
 * 2. the absolute and the relative tests of the same hypothesis disagree at level α (one significant, the other not).
 * The alternative is Fieller's interval when it is bounded, else the log-ratio interval when both means are positive,
 * else Fieller's unbounded set. Critical values: Student's t with Welch df unless `options.df` is given.
 *
 * @example
 * relativeIntervalCheck(proportionSummary({ n: 1000, conversions: 3 }), proportionSummary({ n: 1000, conversions: 20 }));
 * // { reliable: false, g: 1.28, recommended: "log-ratio", message: "The control mean is too uncertain…", … }
 */
export function relativeIntervalCheck(
	control: SampleSummary,
	treatment: SampleSummary,
	alphaOrOptions: number | RelativeIntervalOptions = {},
): RelativeIntervalCheck {
	const options = intervalOptions(alphaOrOptions);
	const alpha = options.alpha ?? 0.05;
	const { va, t } = criticalParts(control, treatment, options);
	const g = control.mean !== 0 ? (t * t * va) / (control.mean * control.mean) : Infinity;
	const absolute = welchTTest(control, treatment, { difference: "absolute", alpha });
	const relative = welchTTest(control, treatment, { difference: "relative", alpha });
	const delta = relative.ci;
	const fieller = fiellerInterval(control, treatment, options);
	const logRatio = control.mean > 0 && treatment.mean > 0 ? logRatioInterval(control, treatment, options) : null;
	const disagree = absolute.significant !== relative.significant;
	const reliable = g < FIELLER_G_THRESHOLD && !disagree;
	const base = { g, delta, fieller, logRatio, absolutePValue: absolute.pValue, relativePValue: relative.pValue };
	// 1. Reliable: keep the delta-method interval.
	if (reliable) {
		return {
			...base,
			reliable,
			recommended: "delta",
			interval: delta,
			message: "The control mean is precise enough for the delta-method relative interval.",
		};
	}
	// 2. Not reliable: say why, then pick the interval that holds.
	const why =
		g >= FIELLER_G_THRESHOLD
			? `The control mean is too uncertain for a symmetric relative interval (Fieller's g = ${g.toPrecision(3)} ≥ ${FIELLER_G_THRESHOLD}; few control units or conversions).`
			: `The relative (p = ${relative.pValue.toPrecision(3)}) and absolute (p = ${absolute.pValue.toPrecision(3)}) tests disagree.`;
	if (fieller.bounded) {
		return {
			...base,
			reliable,
			recommended: "fieller",
			interval: fieller,
			message: `${why} Showing Fieller's interval, which allows for it; read the absolute effect for significance.`,
		};
	}
	if (logRatio) {
		return {
			...base,
			reliable,
			recommended: "log-ratio",
			interval: logRatio,
			message: `${why} Fieller's interval is unbounded (the control mean is not clearly above 0); showing the log-ratio interval, and the absolute effect is the one to read.`,
		};
	}
	return {
		...base,
		reliable,
		recommended: "fieller",
		interval: fieller,
		message: `${why} The relative effect cannot be bounded with this data; read the absolute effect.`,
	};
}

/** A bare number is alpha. */
function intervalOptions(alphaOrOptions: number | RelativeIntervalOptions): RelativeIntervalOptions {
	return typeof alphaOrOptions === "number" ? { alpha: alphaOrOptions } : alphaOrOptions;
}

function criticalParts(control: SampleSummary, treatment: SampleSummary, options: RelativeIntervalOptions) {
	const alpha = options.alpha ?? 0.05;
	if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
	const va = control.variance / control.n;
	const vb = treatment.variance / treatment.n;
	const df = options.df ?? estimateEffect(control, treatment, "absolute").df;
	return { va, vb, t: studentTQuantile(1 - alpha / 2, df) };
}

/** The two roots (center ± root)/a in increasing order. */
function sortedRoots(center: number, root: number, a: number): [number, number] {
	const r1 = (center - root) / a;
	const r2 = (center + root) / a;
	return r1 <= r2 ? [r1, r2] : [r2, r1];
}
