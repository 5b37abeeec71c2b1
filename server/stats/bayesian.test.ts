import { describe, expect, it } from "vitest";
import { betaBinomialTest, gaussianBayesianTest } from "./bayesian.js";
import { sampleBeta, mulberry32 } from "./prng.js";
import { meanSummary } from "./summary.js";

describe("betaBinomialTest", () => {
	it("agrees with a Monte-Carlo estimate of chance to win and expected loss", () => {
		const control = { n: 1000, conversions: 100 };
		const treatment = { n: 1000, conversions: 120 };
		const r = betaBinomialTest(control, treatment);
		const rng = mulberry32(11);
		let wins = 0;
		let loss = 0;
		const draws = 100_000;
		for (let i = 0; i < draws; i++) {
			const a = sampleBeta(rng, 101, 901);
			const b = sampleBeta(rng, 121, 881);
			if (b > a) wins++;
			loss += Math.max(a - b, 0);
		}
		expect(Math.abs(r.chanceToWin - wins / draws)).toBeLessThan(0.005);
		expect(Math.abs(r.expectedLoss.treatment - loss / draws)).toBeLessThan(0.0002);
	});

	it("is symmetric: swapping arms gives 1 − chance to win and swaps the losses", () => {
		const a = { n: 730, conversions: 41 };
		const b = { n: 700, conversions: 52 };
		const ab = betaBinomialTest(a, b);
		const ba = betaBinomialTest(b, a);
		expect(ab.chanceToWin + ba.chanceToWin).toBeCloseTo(1, 12);
		expect(ab.expectedLoss.control).toBeCloseTo(ba.expectedLoss.treatment, 12);
	});

	it("stays fast and sane for very large counts (quadrature path; values checked in reference.test.ts)", () => {
		const r = betaBinomialTest({ n: 3_000_000, conversions: 300_000 }, { n: 3_000_000, conversions: 301_000 });
		expect(r.chanceToWin).toBeGreaterThan(0.9);
		expect(r.chanceToWin).toBeLessThan(1);
		expect(r.expectedLoss.treatment).toBeGreaterThan(0);
		expect(r.expectedLoss.treatment).toBeLessThan(r.expectedLoss.control);
	});

	it("uses a uniform prior by default and rejects non-integer priors", () => {
		const r = betaBinomialTest({ n: 10, conversions: 3 }, { n: 10, conversions: 5 });
		expect(r.control.alpha).toBe(4);
		expect(r.control.beta).toBe(8);
		expect(r.assumptions[0]).toMatch(/Beta\(1, 1\)/);
		expect(() =>
			betaBinomialTest({ n: 10, conversions: 3 }, { n: 10, conversions: 5 }, { prior: { alpha: 0.5, beta: 0.5 } }),
		).toThrow(RangeError);
	});

	it("warns about too few units", () => {
		const r = betaBinomialTest({ n: 10, conversions: 3 }, { n: 10, conversions: 5 });
		expect(r.warnings.map((w) => w.code)).toEqual(["too-few-units"]);
	});
});

describe("gaussianBayesianTest", () => {
	const control = meanSummary({ n: 3407, sum: 1396.87, sumSquares: 52377.9767 });
	const treatment = meanSummary({ n: 3461, sum: 2422.7, sumSquares: 134698.29 });

	it("with the flat default prior, centres on the delta-method estimate with its standard error", () => {
		const r = gaussianBayesianTest(control, treatment);
		expect(r.effect.mean).toBeCloseTo(0.70732, 5);
		expect(r.effect.stdDev).toBeCloseTo(0.37879, 5);
		expect(r.chanceToWin).toBeCloseTo(0.96907, 4);
		expect(r.expectedLoss.control - r.expectedLoss.treatment).toBeCloseTo(r.effect.mean, 12);
	});

	it("shrinks toward a proper prior", () => {
		const flat = gaussianBayesianTest(control, treatment);
		const shrunk = gaussianBayesianTest(control, treatment, { prior: { mean: 0, variance: 0.09 } });
		expect(shrunk.effect.mean).toBeLessThan(flat.effect.mean);
		expect(shrunk.effect.stdDev).toBeLessThan(flat.effect.stdDev);
		expect(shrunk.assumptions[0]).toMatch(/N\(0, 0.09\)/);
	});

	it("has no information with a zero control mean", () => {
		const r = gaussianBayesianTest({ n: 200, mean: 0, variance: 1 }, { n: 200, mean: 0.1, variance: 1 });
		expect(r.chanceToWin).toBe(0.5);
		expect(r.warnings.map((w) => w.code)).toContain("zero-baseline");
	});
});
