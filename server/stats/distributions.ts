// Distributions the tests need: normal, Student t, chi-square and beta (densities, cdfs, tails, quantiles), built on
// ./special.ts. Tails are computed directly (never as 1 − cdf) so tiny p-values keep their relative precision.
import { invertCdf } from "./solve.js";
import {
	logBeta,
	regularizedBeta,
	regularizedBetaComplement,
	regularizedGammaP,
	regularizedGammaQ,
} from "./special.js";

const SQRT_2PI = Math.sqrt(2 * Math.PI);
/** Above this many degrees of freedom the t and normal cdfs differ by < 1e-10; the normal is used. */
const T_NORMAL_DF = 1e10;

/**
 * Standard normal density φ(x) = e^(−x²/2)/√(2π).
 *
 * @example
 * normalPdf(0); // 0.3989422804014327
 */
export function normalPdf(x: number): number {
	return Math.exp(-0.5 * x * x) / SQRT_2PI;
}

/**
 * Standard normal cdf Φ(x) = erfc(−x/√2)/2, with erfc(z) = Q(1/2, z²) (Abramowitz & Stegun 7.1.2, 6.5.17).
 *
 * @example
 * normalCdf(1.959963984540054); // 0.975
 */
export function normalCdf(x: number): number {
	if (Number.isNaN(x)) return Number.NaN;
	return x < 0 ? 0.5 * regularizedGammaQ(0.5, 0.5 * x * x) : 1 - 0.5 * regularizedGammaQ(0.5, 0.5 * x * x);
}

/**
 * Upper tail 1 − Φ(x), computed directly.
 *
 * @example
 * normalSf(1.959963984540054); // 0.025
 */
export function normalSf(x: number): number {
	return normalCdf(-x);
}

// Acklam's rational approximation (relative error < 1.15e-9), refined below by Halley steps on the exact cdf.
// Source: P. J. Acklam (2003), "An algorithm for computing the inverse normal cumulative distribution function".
const ACKLAM_A = [
	-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
];
const ACKLAM_B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const ACKLAM_C = [
	-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
	2.938163982698783,
];
const ACKLAM_D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
const ACKLAM_LOW = 0.02425;

/**
 * Standard normal quantile Φ⁻¹(p): Acklam's approximation polished by two Halley steps against {@link normalCdf},
 * which brings it to double precision.
 *
 * @example
 * normalQuantile(0.975); // 1.959963984540054
 */
export function normalQuantile(p: number): number {
	if (!(p >= 0 && p <= 1)) return Number.NaN;
	if (p === 0) return -Infinity;
	if (p === 1) return Infinity;
	if (p > 0.5) return -normalQuantile(1 - p);
	let x = acklam(p);
	for (let i = 0; i < 2; i++) {
		// Halley's method: u = (Φ(x) − p)/φ(x); x ← x − u/(1 + x·u/2).
		const u = (normalCdf(x) - p) / normalPdf(x);
		x -= u / (1 + 0.5 * x * u);
	}
	return x;
}

function acklam(p: number): number {
	if (p < ACKLAM_LOW) {
		const q = Math.sqrt(-2 * Math.log(p));
		return polynomial(ACKLAM_C, q) / (polynomial(ACKLAM_D, q) * q + 1);
	}
	const q = p - 0.5;
	const r = q * q;
	return (q * polynomial(ACKLAM_A, r)) / (polynomial(ACKLAM_B, r) * r + 1);
}

/** c[0]·x^(n−1) + … + c[n−1] (Horner). */
function polynomial(c: readonly number[], x: number): number {
	let y = 0;
	for (const k of c) y = y * x + k;
	return y;
}

/**
 * Student t density with ν degrees of freedom: (1 + t²/ν)^(−(ν+1)/2)/(√ν·B(ν/2, 1/2)).
 *
 * @example
 * studentTPdf(0, 10); // 0.38910838396603
 */
export function studentTPdf(t: number, df: number): number {
	if (df > T_NORMAL_DF) return normalPdf(t);
	return Math.exp(-0.5 * (df + 1) * Math.log1p((t * t) / df) - 0.5 * Math.log(df) - logBeta(0.5 * df, 0.5));
}

/**
 * Student t cdf: for t < 0, F(t) = I_x(ν/2, 1/2)/2 with x = ν/(ν + t²) (Abramowitz & Stegun 26.7.1 via 26.5.27).
 * ν may be fractional (Welch–Satterthwaite).
 *
 * @example
 * studentTCdf(2.228138851986274, 10); // 0.975
 */
export function studentTCdf(t: number, df: number): number {
	if (Number.isNaN(t) || !(df > 0)) return Number.NaN;
	if (df > T_NORMAL_DF) return normalCdf(t);
	const tail = studentTTail(Math.abs(t), df);
	return t < 0 ? tail : 1 - tail;
}

/**
 * Upper tail P(T > t), computed directly.
 *
 * @example
 * studentTSf(2.228138851986274, 10); // 0.025
 */
export function studentTSf(t: number, df: number): number {
	return studentTCdf(-t, df);
}

/** P(T > t) for t ≥ 0, with 1 − x = t²/(ν + t²) passed exactly. */
function studentTTail(t: number, df: number): number {
	const t2 = t * t;
	return 0.5 * regularizedBeta(df / (df + t2), 0.5 * df, 0.5, t2 / (df + t2));
}

/**
 * Student t quantile: Cornish–Fisher start from the normal quantile (Abramowitz & Stegun 26.7.5), then
 * bracketed Newton on {@link studentTCdf}; exact closed forms for ν = 1 and ν = 2.
 *
 * @example
 * studentTQuantile(0.975, 10); // 2.228138851986274
 */
export function studentTQuantile(p: number, df: number): number {
	if (!(p >= 0 && p <= 1) || !(df > 0)) return Number.NaN;
	if (p === 0) return -Infinity;
	if (p === 1) return Infinity;
	if (p > 0.5) return -studentTQuantile(1 - p, df);
	if (p === 0.5) return 0;
	if (df > T_NORMAL_DF) return normalQuantile(p);
	if (df === 1) return Math.tan(Math.PI * (p - 0.5));
	if (df === 2) return (2 * p - 1) / Math.sqrt(2 * p * (1 - p));
	const z = normalQuantile(p);
	const z2 = z * z;
	const guess =
		z +
		(z * (z2 + 1)) / (4 * df) +
		(z * ((5 * z2 + 16) * z2 + 3)) / (96 * df * df) +
		(z * (((3 * z2 + 19) * z2 + 17) * z2 - 15)) / (384 * df * df * df);
	return invertCdf(p, {
		cdf: (t) => studentTCdf(t, df),
		pdf: (t) => studentTPdf(t, df),
		guess: Math.min(guess, 0),
		lower: -Infinity,
		upper: 0,
	});
}

/**
 * Chi-square cdf with k degrees of freedom: P(k/2, x/2) (Abramowitz & Stegun 26.4.19).
 *
 * @example
 * chiSquareCdf(3.841458820694124, 1); // 0.95
 */
export function chiSquareCdf(x: number, df: number): number {
	return regularizedGammaP(0.5 * df, 0.5 * x);
}

/**
 * Chi-square upper tail Q(k/2, x/2): the p-value of a chi-square statistic.
 *
 * @example
 * chiSquareSf(18.18, 1); // 0.0000200978
 */
export function chiSquareSf(x: number, df: number): number {
	return regularizedGammaQ(0.5 * df, 0.5 * x);
}

/**
 * Beta(a, b) density x^(a−1)(1 − x)^(b−1)/B(a, b).
 *
 * @example
 * betaPdf(0.5, 2, 2); // 1.5
 */
export function betaPdf(x: number, a: number, b: number): number {
	if (x < 0 || x > 1) return 0;
	if (x === 0) return a < 1 ? Infinity : a === 1 ? b : 0;
	if (x === 1) return b < 1 ? Infinity : b === 1 ? a : 0;
	return Math.exp((a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) - logBeta(a, b));
}

/**
 * Beta(a, b) cdf: the regularized incomplete beta I_x(a, b).
 *
 * @example
 * betaCdf(0.5, 3, 3); // 0.5
 */
export function betaCdf(x: number, a: number, b: number): number {
	if (x <= 0) return 0;
	if (x >= 1) return 1;
	return regularizedBeta(x, a, b);
}

/**
 * Beta(a, b) upper tail 1 − I_x(a, b), computed directly.
 *
 * @example
 * betaSf(0.1, 11, 91); // ≈ 0.56997
 */
export function betaSf(x: number, a: number, b: number): number {
	if (x <= 0) return 1;
	if (x >= 1) return 0;
	return regularizedBetaComplement(x, a, b);
}

/**
 * Beta(a, b) quantile: bracketed Newton on I_x(a, b) from a moment-matched normal start. Upper quantiles are
 * found as 1 − q(1 − p; b, a) so both tails keep their precision.
 *
 * @example
 * betaQuantile(0.975, 11, 91); // ≈ 0.17455
 */
export function betaQuantile(p: number, a: number, b: number): number {
	if (!(p >= 0 && p <= 1) || !(a > 0) || !(b > 0)) return Number.NaN;
	if (p === 0) return 0;
	if (p === 1) return 1;
	if (p > 0.5) return 1 - betaQuantile(1 - p, b, a);
	const mean = a / (a + b);
	const sd = Math.sqrt((a * b) / ((a + b) * (a + b) * (a + b + 1)));
	const start = mean + normalQuantile(p) * sd;
	// Near 0, I_x(a, b) ≈ x^a/(a·B(a, b)): the start for tails the normal approximation cannot reach.
	const tailStart = Math.exp((Math.log(p) + Math.log(a) + logBeta(a, b)) / a);
	return invertCdf(p, {
		cdf: (x) => betaCdf(x, a, b),
		pdf: (x) => betaPdf(x, a, b),
		guess: start > 0 && start < 1 ? start : Math.min(tailStart, mean),
		lower: 0,
		upper: 1,
	});
}
