import { describe, expect, it } from "vitest";
import { mixtureRho, sequentialTest, stoppingDecision, type SequentialResult } from "./sequential.js";
import { meanSummary, proportionSummary } from "./summary.js";
import { welchTTest } from "./frequentist.js";

// GrowthBook gbstats' published SequentialTwoSidedTTest cases (packages/stats/tests/frequentist/test_tests.py).
describe("sequentialTest", () => {
	it("reproduces GrowthBook's mean case (tuning 1000): Δ 0.50336, CI (−0.55844, 1.56516), p 1", () => {
		const r = sequentialTest(
			meanSummary({ n: 3000, sum: 1396.87, sumSquares: 52377.9767 }),
			meanSummary({ n: 3461, sum: 2422.7, sumSquares: 134698.29 }),
			{ tuningParameter: 1000 },
		);
		expect(r.effect).toBeCloseTo(0.50336, 5);
		expect(r.stdError).toBeCloseTo(0.33341, 5);
		expect(r.ci.lower).toBeCloseTo(-0.55844, 5);
		expect(r.ci.upper).toBeCloseTo(1.56516, 5);
		expect(r.pValue).toBe(1);
	});

	it("reproduces GrowthBook's proportion case (default tuning): Δ 0.50386, CI (0.40098, 0.60675), p 0", () => {
		const r = sequentialTest(
			proportionSummary({ n: 3000, conversions: 1396 }),
			proportionSummary({ n: 3461, conversions: 2422 }),
		);
		expect(r.tuningParameter).toBe(5000);
		expect(r.effect).toBeCloseTo(0.50386, 5);
		expect(r.ci.lower).toBeCloseTo(0.40098, 5);
		expect(r.ci.upper).toBeCloseTo(0.60675, 5);
		expect(r.pValue).toBeCloseTo(0, 5);
		expect(r.significant).toBe(true);
	});

	it("is wider than the fixed-horizon interval and less significant", () => {
		const a = { n: 4000, mean: 10, variance: 16 };
		const b = { n: 4000, mean: 10.3, variance: 16 };
		const seq = sequentialTest(a, b, { difference: "absolute" });
		const fixed = welchTTest(a, b, { difference: "absolute" });
		expect(seq.ci.upper - seq.ci.lower).toBeGreaterThan(fixed.ci.upper - fixed.ci.lower);
		expect(seq.pValue).toBeGreaterThan(fixed.pValue);
	});

	it("has a p-value dual to its interval: p < alpha exactly when the sequence excludes 0", () => {
		for (let shift = 0; shift <= 0.6; shift += 0.005) {
			const r = sequentialTest(
				{ n: 4000, mean: 10, variance: 16 },
				{ n: 4000, mean: 10 + shift, variance: 16 },
				{
					difference: "absolute",
				},
			);
			expect(r.pValue < r.alpha).toBe(r.ci.lower > 0);
		}
	});

	it("is tightest near the tuning parameter", () => {
		const a = { n: 3000, mean: 1, variance: 4 };
		const b = { n: 3000, mean: 1.1, variance: 4 };
		const width = (tuning: number) => {
			const r = sequentialTest(a, b, { tuningParameter: tuning });
			return r.ci.upper - r.ci.lower;
		};
		expect(width(6000)).toBeLessThan(width(100));
		expect(width(6000)).toBeLessThan(width(600_000));
	});

	it("computes ρ by eq. 161", () => {
		expect(mixtureRho(0.05, 5000) ** 2 * 5000).toBeCloseTo(-2 * Math.log(0.05) + Math.log(1 - 2 * Math.log(0.05)), 12);
	});

	it("does not warn about peeking however often it is read", () => {
		const r = sequentialTest(
			{ n: 500, mean: 1, variance: 1 },
			{ n: 500, mean: 1, variance: 1 },
			{ context: { looks: 50 } },
		);
		expect(r.warnings.map((w) => w.code)).not.toContain("peeking");
	});
});

describe("stoppingDecision", () => {
	const result = (lower: number, upper: number, n = 1000): SequentialResult => ({
		...sequentialTest({ n, mean: 1, variance: 1 }, { n, mean: 1, variance: 1 }),
		ci: { lower, upper },
	});

	it("stops for SRM first", () => {
		expect(stoppingDecision(result(0.1, 0.2, 10), { srmPValue: 1e-6 }).reason).toBe("srm");
	});
	it("keeps collecting below the minimum units", () => {
		expect(stoppingDecision(result(0.1, 0.2, 50)).reason).toBe("too-few-units");
	});
	it("declares a winner or a loser by the metric's goal", () => {
		expect(stoppingDecision(result(0.01, 0.2)).reason).toBe("winner");
		expect(stoppingDecision(result(-0.2, -0.01)).reason).toBe("loser");
		expect(stoppingDecision(result(-0.2, -0.01), { goal: "decrease" }).reason).toBe("winner");
	});
	it("stops for futility when no effect as large as the margin remains plausible", () => {
		expect(stoppingDecision(result(-0.01, 0.015), { futilityMargin: 0.02 })).toMatchObject({
			stop: true,
			reason: "futility",
		});
		expect(stoppingDecision(result(-0.01, 0.03), { futilityMargin: 0.02 }).reason).toBe("keep-collecting");
	});
	it("stops at the maximum sample size", () => {
		expect(stoppingDecision(result(-0.01, 0.03), { maxUnitsPerArm: 1000 }).reason).toBe("max-units");
	});
});
