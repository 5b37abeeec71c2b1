import { describe, expect, it } from "vitest";
import { welchTTest } from "./frequentist.js";
import { mulberry32, sampleGamma, sampleNormal } from "./prng.js";
import { cupedRatioTest, ratioSummary, ratioTest, type CupedRatioSums, type RatioSums } from "./ratio.js";
import type { Prng } from "./types.js";

/** Per-unit numerators and denominators summed. */
function sumsOf(num: readonly number[], den: readonly number[]): RatioSums {
	const s: RatioSums = { n: num.length, sumNum: 0, sumNum2: 0, sumDen: 0, sumDen2: 0, sumNumDen: 0 };
	num.forEach((m, i) => {
		const d = den[i] as number;
		s.sumNum += m;
		s.sumNum2 += m * m;
		s.sumDen += d;
		s.sumDen2 += d * d;
		s.sumNumDen += m * d;
	});
	return s;
}

/** Ratio sums with pre-period parts: post = pre·(carry + noise) per unit, so the periods correlate. */
function cupedRatioArm(rng: Prng, n: number, lift: number, carry: number): CupedRatioSums {
	const s: CupedRatioSums = {
		...sumsOf([], []),
		n,
		sumPreNum: 0,
		sumPreNum2: 0,
		sumPreDen: 0,
		sumPreDen2: 0,
		sumPreNumDen: 0,
		sumNumPreNum: 0,
		sumNumPreDen: 0,
		sumDenPreNum: 0,
		sumDenPreDen: 0,
	};
	for (let i = 0; i < n; i++) {
		const habit = sampleGamma(rng, 3);
		const d = 1 + Math.round(2 * habit);
		const pd = 1 + Math.round(2 * habit);
		const pm = pd * habit * (1 + 0.3 * sampleNormal(rng));
		const m = d * habit * (1 + lift) * (carry + (1 - carry) * (1 + 0.3 * sampleNormal(rng)));
		s.sumNum += m;
		s.sumNum2 += m * m;
		s.sumDen += d;
		s.sumDen2 += d * d;
		s.sumNumDen += m * d;
		s.sumPreNum += pm;
		s.sumPreNum2 += pm * pm;
		s.sumPreDen += pd;
		s.sumPreDen2 += pd * pd;
		s.sumPreNumDen += pm * pd;
		s.sumNumPreNum += m * pm;
		s.sumNumPreDen += m * pd;
		s.sumDenPreNum += d * pm;
		s.sumDenPreDen += d * pd;
	}
	return s;
}

describe("ratioSummary", () => {
	it("is the ratio of sums with the variance of the linearized values (M − R·D)/D̄", () => {
		const num = [3, 0, 7.5, 2, 10, 4];
		const den = [1, 0, 3, 1, 4, 2];
		const s = ratioSummary(sumsOf(num, den));
		const r = 26.5 / 11;
		const lin = num.map((m, i) => (m - r * (den[i] as number)) / (11 / 6));
		const mean = lin.reduce((a, b) => a + b, 0) / 6;
		expect(mean).toBeCloseTo(0, 12);
		expect(s.mean).toBeCloseTo(r, 12);
		expect(s.variance).toBeCloseTo(lin.reduce((a, x) => a + x * x, 0) / 5, 12);
	});

	it("has no variance when every unit has the same ratio", () => {
		expect(ratioSummary(sumsOf([2, 4, 6], [1, 2, 3]))).toEqual({ n: 3, mean: 2, variance: 0 });
	});

	it("is undefined (NaN) when the denominators sum to 0, and empty for no units", () => {
		const s = ratioSummary(sumsOf([0, 0], [0, 0]));
		expect(Number.isNaN(s.mean)).toBe(true);
		expect(ratioSummary(sumsOf([], []))).toEqual({ n: 0, mean: 0, variance: 0 });
	});
});

describe("ratioTest", () => {
	it("with every denominator 1 is Welch's test of the numerators' means", () => {
		const a = [1, 4, 2, 8, 5, 7, 3, 3];
		const b = [6, 2, 9, 4, 8, 7, 10, 5, 6];
		const ones = (xs: number[]) => xs.map(() => 1);
		const summary = (xs: number[]) => {
			const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
			return { n: xs.length, mean, variance: xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1) };
		};
		for (const difference of ["absolute", "relative"] as const) {
			const r = ratioTest(sumsOf(a, ones(a)), sumsOf(b, ones(b)), { difference });
			const w = welchTTest(summary(a), summary(b), { difference });
			expect(r.effect).toBeCloseTo(w.effect, 12);
			expect(r.pValue).toBeCloseTo(w.pValue, 12);
			expect(r.ci.lower).toBeCloseTo(w.ci.lower, 12);
		}
	});

	it("says why when an arm has no denominator", () => {
		const r = ratioTest(sumsOf([0, 0, 0], [0, 0, 0]), sumsOf([1, 2, 3], [1, 1, 1]), { difference: "absolute" });
		expect(r.warnings[0]?.code).toBe("zero-baseline");
		expect(r.pValue).toBe(1);
		expect(r.significant).toBe(false);
	});
});

describe("cupedRatioTest", () => {
	it("keeps the effect and narrows the interval when the pre-period ratio predicts the post one", () => {
		const rng = mulberry32(7);
		const control = cupedRatioArm(rng, 3000, 0, 0.8);
		const treatment = cupedRatioArm(rng, 3000, 0.05, 0.8);
		const plain = ratioTest(control, treatment);
		const cuped = cupedRatioTest(control, treatment);
		expect(cuped.adjustment.theta).toBeGreaterThan(0.3);
		expect(cuped.adjustment.varianceReduction).toBeGreaterThan(0.3);
		expect(cuped.ci.upper - cuped.ci.lower).toBeLessThan(0.85 * (plain.ci.upper - plain.ci.lower));
		expect(Math.abs(cuped.effect - 0.05)).toBeLessThan(0.03);
		expect(cuped.method).toMatch(/^CUPED for ratio metrics/);
	});

	it("without pre-period data is the plain ratio test (θ = 0)", () => {
		const rng = mulberry32(8);
		const strip = (s: CupedRatioSums): CupedRatioSums => ({
			...s,
			sumPreNum: 0,
			sumPreNum2: 0,
			sumPreDen: 0,
			sumPreDen2: 0,
			sumPreNumDen: 0,
			sumNumPreNum: 0,
			sumNumPreDen: 0,
			sumDenPreNum: 0,
			sumDenPreDen: 0,
		});
		const control = strip(cupedRatioArm(rng, 500, 0, 0.5));
		const treatment = strip(cupedRatioArm(rng, 500, 0.1, 0.5));
		for (const difference of ["absolute", "relative"] as const) {
			const cuped = cupedRatioTest(control, treatment, { difference });
			const plain = ratioTest(control, treatment, { difference });
			expect(cuped.adjustment.theta).toBe(0);
			expect(cuped.effect).toBeCloseTo(plain.effect, 12);
			expect(cuped.stdError).toBeCloseTo(plain.stdError, 12);
		}
	});
});
