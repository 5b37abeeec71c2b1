import { describe, expect, it } from "vitest";
import { thompsonWeights } from "./bandit.js";
import { mulberry32 } from "./prng.js";

describe("thompsonWeights", () => {
	it("returns the current weights unchanged until every arm has 100 units", () => {
		const current = [0.2, 0.3, 0.5];
		const r = thompsonWeights(
			[
				{ n: 500, conversions: 50 },
				{ n: 99, conversions: 30 },
				{ n: 400, conversions: 40 },
			],
			current,
			mulberry32(1),
		);
		expect(r.updated).toBe(false);
		expect(r.weights).toEqual(current);
		expect(r.weights).not.toBe(current);
		expect(r.warnings.map((w) => w.code)).toEqual(["too-few-units"]);
	});

	it("moves traffic to the better arm but keeps a 1% floor on every arm", () => {
		const r = thompsonWeights(
			[
				{ n: 2000, conversions: 200 },
				{ n: 2000, conversions: 300 },
				{ n: 2000, conversions: 190 },
			],
			[1 / 3, 1 / 3, 1 / 3],
			mulberry32(2),
		);
		expect(r.updated).toBe(true);
		expect(r.weights.reduce((s, w) => s + w, 0)).toBeCloseTo(1, 12);
		r.weights.forEach((w) => expect(w).toBeGreaterThanOrEqual(0.01));
		expect(r.weights[1]).toBeGreaterThan(0.97);
		expect(r.weights[0]).toBeCloseTo(0.01, 3);
	});

	it("splits evenly between identical arms, within Monte-Carlo error", () => {
		const arm = { n: 1000, mean: 5, variance: 4 };
		const r = thompsonWeights([arm, arm], [0.5, 0.5], mulberry32(3), { draws: 20_000 });
		expect(Math.abs((r.weights[0] as number) - 0.5)).toBeLessThan(0.015);
	});

	it("matches P(best) from the normal posteriors for mean metrics", () => {
		// Two arms, difference 0.1 with se √(4/1000 + 4/1000) ≈ 0.0894: P(B best) = Φ(1.118) ≈ 0.868.
		const r = thompsonWeights(
			[
				{ n: 1000, mean: 5, variance: 4 },
				{ n: 1000, mean: 5.1, variance: 4 },
			],
			[0.5, 0.5],
			mulberry32(4),
			{ draws: 40_000, floor: 0 },
		);
		expect(Math.abs((r.probabilityBest[1] as number) - 0.868)).toBeLessThan(0.01);
	});

	it("prefers the lower arm when lower is better", () => {
		const arms = [
			{ n: 1000, mean: 5, variance: 1 },
			{ n: 1000, mean: 4, variance: 1 },
		];
		const r = thompsonWeights(arms, [0.5, 0.5], mulberry32(5), { lowerIsBetter: true });
		expect(r.weights[1]).toBeCloseTo(0.99, 6);
	});

	it("is deterministic for a seed", () => {
		const arms = [
			{ n: 300, conversions: 30 },
			{ n: 300, conversions: 36 },
		];
		const a = thompsonWeights(arms, [0.5, 0.5], mulberry32(9));
		const b = thompsonWeights(arms, [0.5, 0.5], mulberry32(9));
		expect(a.weights).toEqual(b.weights);
	});

	it("falls back to equal weights when the floors cannot all be met otherwise", () => {
		const arms = [
			{ n: 300, conversions: 30 },
			{ n: 300, conversions: 90 },
		];
		expect(thompsonWeights(arms, [0.5, 0.5], mulberry32(1), { floor: 0.6 }).weights).toEqual([0.5, 0.5]);
	});

	it("needs one current weight per arm", () => {
		expect(() => thompsonWeights([{ n: 1, conversions: 0 }], [0.5, 0.5], mulberry32(1))).toThrow(RangeError);
	});
});
