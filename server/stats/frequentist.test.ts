import { describe, expect, it } from "vitest";
import { twoProportionZTest, welchTTest } from "./frequentist.js";
import { meanSummary } from "./summary.js";

// GrowthBook gbstats' published TwoSidedTTest case (packages/stats/tests/frequentist/test_tests.py), to 5 decimals.
const control = meanSummary({ n: 3407, sum: 1396.87, sumSquares: 52377.9767 });
const treatment = meanSummary({ n: 3461, sum: 2422.7, sumSquares: 134698.29 });

describe("welchTTest", () => {
	it("reproduces GrowthBook's relative effect: Δ 0.70732, CI (−0.03526, 1.44989), p 0.06191", () => {
		const r = welchTTest(control, treatment, { difference: "relative" });
		expect(r.effect).toBeCloseTo(0.70732, 5);
		expect(r.ci.lower).toBeCloseTo(-0.03526, 5);
		expect(r.ci.upper).toBeCloseTo(1.44989, 5);
		expect(r.pValue).toBeCloseTo(0.06191, 5);
		expect(r.stdError).toBeCloseTo(0.37879, 5);
		expect(r.significant).toBe(false);
	});

	it("reproduces GrowthBook's absolute effect: Δ 0.29, CI (0.04538, 0.53462), p 0.02016", () => {
		const r = welchTTest(control, treatment, { difference: "absolute" });
		expect(r.effect).toBeCloseTo(0.29, 5);
		expect(r.ci.lower).toBeCloseTo(0.04538, 5);
		expect(r.ci.upper).toBeCloseTo(0.53462, 5);
		expect(r.pValue).toBeCloseTo(0.02016, 5);
		expect(r.significant).toBe(true);
	});

	it("defaults to the relative effect at alpha 0.05 and states its method and assumptions", () => {
		const r = welchTTest(control, treatment);
		expect(r.difference).toBe("relative");
		expect(r.alpha).toBe(0.05);
		expect(r.method).toMatch(/Welch/);
		expect(r.assumptions.length).toBeGreaterThan(0);
		expect(r.warnings).toEqual([]);
	});

	it("warns about peeking, too few units, SRM and low power from the context", () => {
		const r = welchTTest(
			{ n: 50, mean: 1, variance: 4 },
			{ n: 60, mean: 1.1, variance: 4 },
			{
				context: { looks: 4, srmPValue: 1e-5, targetEffect: 0.05 },
			},
		);
		expect(r.warnings.map((w) => w.code)).toEqual(["too-few-units", "srm", "peeking", "underpowered"]);
	});

	it("returns an uninformative result when the control mean is 0 for a relative effect", () => {
		const r = welchTTest({ n: 500, mean: 0, variance: 0 }, { n: 500, mean: 0.2, variance: 1 });
		expect(r.pValue).toBe(1);
		expect(r.significant).toBe(false);
		expect(r.warnings.map((w) => w.code)).toContain("zero-baseline");
	});

	it("returns an uninformative result when neither arm varies", () => {
		const r = welchTTest(
			{ n: 500, mean: 1, variance: 0 },
			{ n: 500, mean: 1, variance: 0 },
			{ difference: "absolute" },
		);
		expect(r.pValue).toBe(1);
		expect(Number.isNaN(r.ci.lower)).toBe(true);
		expect(r.warnings.map((w) => w.code)).toContain("zero-variance");
	});
});

describe("twoProportionZTest", () => {
	it("uses the pooled error for the statistic and the unpooled Wald error for the interval", () => {
		const r = twoProportionZTest(
			{ n: 10000, conversions: 1000 },
			{ n: 10000, conversions: 1100 },
			{ difference: "absolute" },
		);
		const pooled = Math.sqrt(0.105 * 0.895 * (2 / 10000));
		const wald = Math.sqrt((0.1 * 0.9 + 0.11 * 0.89) / 10000);
		expect(r.statistic).toBeCloseTo(0.01 / pooled, 12);
		expect(r.ci.upper - r.effect).toBeCloseTo(1.959963984540054 * wald, 12);
		expect(r.df).toBe(Infinity);
		expect(r.method).toMatch(/pooled/);
	});

	it("tests the relative effect with its delta-method error", () => {
		const r = twoProportionZTest({ n: 10000, conversions: 1000 }, { n: 10000, conversions: 1100 });
		expect(r.effect).toBeCloseTo(0.1, 12);
		expect(r.statistic).toBeCloseTo(r.effect / r.stdError, 12);
		expect(r.ci.lower).toBeGreaterThan(0);
	});
});
