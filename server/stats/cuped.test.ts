import { describe, expect, it } from "vitest";
import { cupedAdjust, cupedTest, type CupedSums } from "./cuped.js";
import { welchTTest } from "./frequentist.js";
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
