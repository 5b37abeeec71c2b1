import { describe, expect, it } from "vitest";
import { benjaminiHochberg, holmBonferroni } from "./corrections.js";

const P = [0.01, 0.04, 0.03, 0.005, 0.55, 0.6];

function expectAll(actual: number[], expected: number[]): void {
	expect(actual).toHaveLength(expected.length);
	actual.forEach((x, i) => expect(x).toBeCloseTo(expected[i] as number, 12));
}

describe("holmBonferroni", () => {
	it("gives adjusted p-values in input order: [0.05, 0.12, 0.12, 0.03, 1, 1]", () => {
		expectAll(holmBonferroni(P).adjusted, [0.05, 0.12, 0.12, 0.03, 1, 1]);
	});

	it("rejects where adjusted ≤ alpha", () => {
		expect(holmBonferroni(P).rejected).toEqual([true, false, false, true, false, false]);
	});

	it("is never smaller than the raw p-value and handles an empty family", () => {
		holmBonferroni(P).adjusted.forEach((q, i) => expect(q).toBeGreaterThanOrEqual(P[i] as number));
		expect(holmBonferroni([]).adjusted).toEqual([]);
	});
});

describe("benjaminiHochberg", () => {
	it("gives adjusted p-values in input order: [0.03, 0.06, 0.06, 0.03, 0.6, 0.6]", () => {
		expectAll(benjaminiHochberg(P).adjusted, [0.03, 0.06, 0.06, 0.03, 0.6, 0.6]);
	});

	it("is never more conservative than Holm", () => {
		const bh = benjaminiHochberg(P).adjusted;
		holmBonferroni(P).adjusted.forEach((q, i) => expect(bh[i]).toBeLessThanOrEqual(q));
	});

	it("states its method", () => {
		expect(benjaminiHochberg(P).method).toMatch(/false discovery rate/);
		expect(holmBonferroni(P).method).toMatch(/family-wise/);
	});
});
