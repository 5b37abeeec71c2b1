// Seeded randomness for the Monte-Carlo parts (bandit weights, simulations): a small PRNG and the samplers built on
// it. Nothing here reads a clock or global state; the same seed gives the same numbers on every machine.
import type { Prng } from "./types.js";

/**
 * Mulberry32: a 32-bit-state generator with good statistical quality for simulation (passes gjrand/PractRand
 * to 2^32 outputs), returning numbers in [0, 1). Source: Tommy Ettinger (2017), public domain.
 *
 * @example
 * const rng = mulberry32(42);
 * rng(); // 0.6011037519201636
 */
export function mulberry32(seed: number): Prng {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/**
 * A standard normal draw (Box–Muller; one of the pair is used so no state is kept between calls).
 *
 * @example
 * sampleNormal(mulberry32(1)); // a number drawn from N(0, 1)
 */
export function sampleNormal(rng: Prng): number {
	const u = 1 - rng(); // (0, 1]: log(0) is impossible
	return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/**
 * A Gamma(shape, 1) draw. Source: Marsaglia & Tsang (2000), "A Simple Method for Generating Gamma Variables",
 * ACM TOMS 26(3); shape < 1 by Gamma(shape + 1)·U^(1/shape).
 *
 * @example
 * sampleGamma(mulberry32(1), 2.5); // a number drawn from Gamma(2.5, 1)
 */
export function sampleGamma(rng: Prng, shape: number): number {
	if (shape < 1) return sampleGamma(rng, shape + 1) * Math.pow(1 - rng(), 1 / shape);
	const d = shape - 1 / 3;
	const c = 1 / Math.sqrt(9 * d);
	for (;;) {
		const x = sampleNormal(rng);
		const v0 = 1 + c * x;
		if (v0 <= 0) continue;
		const v = v0 * v0 * v0;
		const u = 1 - rng();
		if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
	}
}

/**
 * A Beta(a, b) draw as X/(X + Y) with X ~ Gamma(a), Y ~ Gamma(b).
 *
 * @example
 * sampleBeta(mulberry32(1), 11, 91); // a number near 0.11
 */
export function sampleBeta(rng: Prng, a: number, b: number): number {
	const x = sampleGamma(rng, a);
	return x / (x + sampleGamma(rng, b));
}

/**
 * A Binomial(n, p) draw by counting Bernoulli trials (exact; O(n), meant for simulations).
 *
 * @example
 * sampleBinomial(mulberry32(1), 1000, 0.1); // about 100
 */
export function sampleBinomial(rng: Prng, n: number, p: number): number {
	let k = 0;
	for (let i = 0; i < n; i++) if (rng() < p) k++;
	return k;
}
