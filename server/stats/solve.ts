// Root finding for the inverses this folder needs (quantiles, sample sizes, minimum detectable effects).

const MAX_ITERATIONS = 200;

/**
 * A root of `f` in [lo, hi], where f(lo) and f(hi) have opposite signs (Brent's method: inverse quadratic
 * interpolation, secant and bisection). Source: R. P. Brent (1973), "Algorithms for Minimization without
 * Derivatives", ch. 4; Numerical Recipes 3rd ed. §9.3 (zbrent).
 *
 * @example
 * brentRoot((x) => x * x - 2, 0, 2); // ≈ 1.41421356
 */
export function brentRoot(f: (x: number) => number, lo: number, hi: number, tolerance = 1e-12): number {
	let a = lo;
	let b = hi;
	let fa = f(a);
	let fb = f(b);
	if (fa === 0) return a;
	if (fb === 0) return b;
	if (fa * fb > 0) throw new RangeError(`brentRoot: f(${lo}) and f(${hi}) have the same sign`);
	let c = b;
	let fc = fb;
	let d = b - a;
	let e = d;
	for (let i = 0; i < MAX_ITERATIONS; i++) {
		if (fb * fc > 0) {
			c = a;
			fc = fa;
			d = b - a;
			e = d;
		}
		if (Math.abs(fc) < Math.abs(fb)) {
			a = b;
			b = c;
			c = a;
			fa = fb;
			fb = fc;
			fc = fa;
		}
		const tol = 2 * Number.EPSILON * Math.abs(b) + 0.5 * tolerance;
		const m = 0.5 * (c - b);
		if (Math.abs(m) <= tol || fb === 0) return b;
		if (Math.abs(e) >= tol && Math.abs(fa) > Math.abs(fb)) {
			const s = fb / fa;
			let p: number;
			let q: number;
			if (a === c) {
				p = 2 * m * s;
				q = 1 - s;
			} else {
				const qa = fa / fc;
				const r = fb / fc;
				p = s * (2 * m * qa * (qa - r) - (b - a) * (r - 1));
				q = (qa - 1) * (r - 1) * (s - 1);
			}
			if (p > 0) q = -q;
			else p = -p;
			if (2 * p < Math.min(3 * m * q - Math.abs(tol * q), Math.abs(e * q))) {
				e = d;
				d = p / q;
			} else {
				d = m;
				e = d;
			}
		} else {
			d = m;
			e = d;
		}
		a = b;
		fa = fb;
		b += Math.abs(d) > tol ? d : m > 0 ? tol : -tol;
		fb = f(b);
	}
	return b;
}

/** What {@link invertCdf} needs: a continuous increasing cdf, its density and where the answer lies. */
export interface CdfInversion {
	cdf: (x: number) => number;
	pdf: (x: number) => number;
	/** Starting point, ideally within a few percent of the answer. */
	guess: number;
	/** Support bounds (may be infinite); the search never leaves them. */
	lower: number;
	upper: number;
}

/**
 * x with cdf(x) = p: Newton's method kept inside a bracket that shrinks with every evaluation, falling back to
 * bisection whenever a Newton step would leave it, so it converges even where the density is tiny or infinite.
 *
 * @example
 * invertCdf(0.5, { cdf: (x) => x, pdf: () => 1, guess: 0.3, lower: 0, upper: 1 }); // 0.5
 */
export function invertCdf(p: number, inv: CdfInversion): number {
	let lo = inv.lower;
	let hi = inv.upper;
	let x = inv.guess;
	for (let i = 0; i < MAX_ITERATIONS; i++) {
		const diff = inv.cdf(x) - p;
		if (diff === 0) return x;
		if (diff < 0) lo = x;
		else hi = x;
		const density = inv.pdf(x);
		let next = density > 0 && Number.isFinite(density) ? x - diff / density : Number.NaN;
		if (!(next > lo && next < hi)) next = bisect(lo, hi, x);
		// Relative to x itself: some quantiles (a beta's far lower tail) are as small as 1e-40.
		if (Math.abs(next - x) <= 1e-15 * Math.abs(x) || hi - lo <= 1e-15 * Math.abs(x)) return next;
		x = next;
	}
	return x;
}

/** The middle of [lo, hi]; with an infinite side, a step away from x that doubles in size. */
function bisect(lo: number, hi: number, x: number): number {
	if (lo === -Infinity) return x - Math.max(1, Math.abs(x));
	if (hi === Infinity) return x + Math.max(1, Math.abs(x));
	return 0.5 * (lo + hi);
}
