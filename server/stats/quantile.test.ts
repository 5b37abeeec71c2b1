import { describe, expect, it } from "vitest";
import { mulberry32, sampleNormal } from "./prng.js";
import { quantileEstimate, quantileSummary, quantileTest } from "./quantile.js";
import { regularizedBeta } from "./special.js";

/** Maritz–Jarrett over every order statistic (no window), as scipy's mjci sums it. */
function fullMaritzJarrett(values: readonly number[], q: number): number {
	const x = [...values].sort((a, b) => a - b);
	const n = x.length;
	const m = Math.floor(q * n + 0.5);
	let c1 = 0;
	let c2 = 0;
	for (let i = 1; i <= n; i++) {
		const w = regularizedBeta(i / n, m - 1, n - m) - regularizedBeta((i - 1) / n, m - 1, n - m);
		c1 += w * (x[i - 1] as number);
		c2 += w * (x[i - 1] as number) ** 2;
	}
	return Math.sqrt(c2 - c1 * c1);
}

function lognormal(seed: number, n: number, mu: number): Float64Array {
	const rng = mulberry32(seed);
	return Float64Array.from({ length: n }, () => Math.exp(mu + sampleNormal(rng)));
}

describe("quantileEstimate", () => {
	it("interpolates linearly between order statistics, as numpy.quantile", () => {
		expect(quantileEstimate([4, 1, 3, 2], 0.5).estimate).toBeCloseTo(2.5, 12);
		expect(quantileEstimate([4, 1, 3, 2], 0.9).estimate).toBeCloseTo(3.7, 12);
		expect(quantileEstimate([10, 20, 30, 40, 50], 0.25).estimate).toBeCloseTo(20, 12);
	});

	it("sums only the Beta weights that matter, with the same standard error as the full sum", () => {
		const values = Array.from(lognormal(3, 4000, 2));
		for (const q of [0.5, 0.9, 0.01]) {
			expect(quantileEstimate(values, q).stdError).toBeCloseTo(fullMaritzJarrett(values, q), 10);
		}
	});

	it("has no standard error when the arm is too small for the quantile", () => {
		expect(Number.isNaN(quantileEstimate([1, 2], 0.5).stdError)).toBe(true);
		expect(Number.isNaN(quantileEstimate([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95).stdError)).toBe(true);
		expect(Number.isFinite(quantileEstimate([1, 2, 3], 0.5).stdError)).toBe(true);
	});

	it("rejects a quantile outside (0, 1) and values that are not finite numbers", () => {
		expect(() => quantileEstimate([1, 2, 3], 0)).toThrow(RangeError);
		expect(() => quantileEstimate([1, 2, 3], 1)).toThrow(RangeError);
		expect(() => quantileEstimate([1, Number.NaN, 3], 0.5)).toThrow(/finite/);
	});

	it("quantileSummary carries the standard error as a mean's variance/n", () => {
		const values = lognormal(4, 500, 1);
		const e = quantileEstimate(values, 0.5);
		const s = quantileSummary(values, 0.5);
		expect(s.mean).toBe(e.estimate);
		expect(Math.sqrt(s.variance / s.n)).toBeCloseTo(e.stdError, 12);
	});
});

describe("quantileTest", () => {
	it("finds a 20% shift of the median in lognormal data", () => {
		const r = quantileTest(lognormal(5, 3000, 3), lognormal(6, 3000, 3 + Math.log(1.2)), { quantile: 0.5 });
		expect(r.difference).toBe("relative");
		expect(r.significant).toBe(true);
		expect(r.ci.lower).toBeLessThan(0.2);
		expect(r.ci.upper).toBeGreaterThan(0.2);
		expect(r.method).toMatch(/Maritz–Jarrett/);
	});

	it("warns and stays uninformative when an arm is too small", () => {
		const r = quantileTest([1, 2], [1, 2, 3, 4], { quantile: 0.5, difference: "absolute" });
		expect(r.warnings[0]?.code).toBe("too-few-units");
		expect(r.pValue).toBe(1);
	});

	it("takes 100 000 units per arm in well under a second", () => {
		const a = lognormal(7, 100_000, 5);
		const b = lognormal(8, 100_000, 5);
		// The faster of two runs, so a busy machine does not fail the test (≈ 0.25 s alone; summing every Beta weight
		// instead of the window would take several times longer).
		let elapsed = Infinity;
		for (let run = 0; run < 2; run++) {
			const start = performance.now();
			const r = quantileTest(a, b, { quantile: 0.5, difference: "absolute" });
			elapsed = Math.min(elapsed, performance.now() - start);
			expect(Number.isFinite(r.stdError)).toBe(true);
		}
		console.log(`[timing] quantileTest, 100 000 units per arm, median: ${elapsed.toFixed(0)} ms`);
		expect(elapsed).toBeLessThan(1000);
	});
});
