import { describe, expect, it } from "vitest";
import { cupedAdjust, cupedTest, type CupedSums } from "./cuped.js";
import { twoProportionZTest, welchTTest } from "./frequentist.js";
import { mulberry32, sampleNormal } from "./prng.js";

/** Units whose metric Y correlates with the pre-period X at rho, plus an effect in treatment. */
function arm(seed: number, n: number, shift: number, rho: number): CupedSums {
	const rng = mulberry32(seed);
	const s: CupedSums = { n, sumY: 0, sumY2: 0, sumX: 0, sumX2: 0, sumXY: 0 };
	for (let i = 0; i < n; i++) {
		const x = 20 + 5 * sampleNormal(rng);
		const y = 20 + rho * (x - 20) + Math.sqrt(1 - rho * rho) * 5 * sampleNormal(rng) + shift;
		s.sumY += y;
		s.sumY2 += y * y;
		s.sumX += x;
		s.sumX2 += x * x;
		s.sumXY += x * y;
	}
	return s;
}

describe("cupedAdjust", () => {
	it("estimates θ ≈ ρ·σ_Y/σ_X and removes about ρ² of the variance", () => {
		const a = cupedAdjust(arm(1, 20_000, 0, 0.8), arm(2, 20_000, 0.5, 0.8));
		expect(a.theta).toBeCloseTo(0.8, 1);
		expect(a.varianceReduction).toBeCloseTo(0.64, 1);
	});

	it("leaves the data alone when the covariate is constant", () => {
		const flat: CupedSums = { n: 3, sumY: 6, sumY2: 14, sumX: 3, sumX2: 3, sumXY: 6 };
		const a = cupedAdjust(flat, flat);
		expect(a.theta).toBe(0);
		expect(a.control.mean).toBe(2);
		expect(a.varianceReduction).toBeCloseTo(0, 12);
	});
});

describe("cupedTest", () => {
	it("estimates the same effect with a narrower interval than the plain test", () => {
		const control = arm(3, 3000, 0, 0.7);
		const treatment = arm(4, 3000, 0.4, 0.7);
		const cuped = cupedTest(control, treatment, { difference: "absolute" });
		const plain = welchTTest(
			{ n: 3000, mean: control.sumY / 3000, variance: (control.sumY2 - control.sumY ** 2 / 3000) / 2999 },
			{ n: 3000, mean: treatment.sumY / 3000, variance: (treatment.sumY2 - treatment.sumY ** 2 / 3000) / 2999 },
			{ difference: "absolute" },
		);
		expect(cuped.ci.upper - cuped.ci.lower).toBeLessThan(0.8 * (plain.ci.upper - plain.ci.lower));
		expect(Math.abs(cuped.effect - 0.4)).toBeLessThan(0.15);
		expect(cuped.method).toMatch(/^CUPED/);
		expect(cuped.adjustment.theta).toBeGreaterThan(0.5);
	});
});

describe("cupedTest, relative effect", () => {
	it("equals the plain delta-method test when the covariate carries nothing (θ = 0)", () => {
		const control: CupedSums = { n: 4, sumY: 10, sumY2: 30, sumX: 4, sumX2: 4, sumXY: 10 };
		const treatment: CupedSums = { n: 5, sumY: 16, sumY2: 56, sumX: 5, sumX2: 5, sumXY: 16 };
		const cuped = cupedTest(control, treatment, { difference: "relative" });
		const plain = welchTTest(
			{ n: 4, mean: 2.5, variance: (30 - 100 / 4) / 3 },
			{ n: 5, mean: 3.2, variance: (56 - 256 / 5) / 4 },
			{ difference: "relative" },
		);
		expect(cuped.adjustment.theta).toBe(0);
		expect(cuped.effect).toBeCloseTo(plain.effect, 12);
		expect(cuped.stdError).toBeCloseTo(plain.stdError, 12);
		expect(cuped.pValue).toBeCloseTo(plain.pValue, 12);
	});

	it("narrows the relative interval of a binary metric with a binary pre-period covariate", () => {
		const rng = mulberry32(11);
		const binaryArm = (n: number, lift: number): CupedSums => {
			const s: CupedSums = { n, sumY: 0, sumY2: 0, sumX: 0, sumX2: 0, sumXY: 0 };
			for (let i = 0; i < n; i++) {
				const engaged = rng() < 0.3;
				const x = rng() < (engaged ? 0.7 : 0.05) ? 1 : 0;
				const y = rng() < (engaged ? 0.6 : 0.08) * (1 + lift) ? 1 : 0;
				s.sumY += y;
				s.sumY2 += y;
				s.sumX += x;
				s.sumX2 += x;
				s.sumXY += x * y;
			}
			return s;
		};
		const control = binaryArm(5000, 0);
		const treatment = binaryArm(5000, 0.1);
		const cuped = cupedTest(control, treatment);
		const plain = twoProportionZTest({ n: 5000, conversions: control.sumY }, { n: 5000, conversions: treatment.sumY });
		expect(cuped.adjustment.varianceReduction).toBeGreaterThan(0.1);
		expect(cuped.stdError).toBeLessThan(0.97 * plain.stdError);
		expect(Math.abs(cuped.effect - 0.1)).toBeLessThan(0.06);
	});
});
