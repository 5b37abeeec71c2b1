import { describe, expect, it } from "vitest";
import { benjaminiHochberg, breakdownCorrection, holmBonferroni } from "./corrections.js";

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

describe("breakdownCorrection", () => {
	const cells = [
		{ key: "iOS", pValue: 0.01, units: [900, 880] },
		{ key: "PC", pValue: 0.04, units: [40, 38] },
		{ key: "Android", pValue: 0.03, units: [500, 510] },
	];

	it("adjusts the cells as one family with Holm by default, in input order", () => {
		const r = breakdownCorrection(cells);
		expect(r.cells.map((c) => c.key)).toEqual(["iOS", "PC", "Android"]);
		expectAll(
			r.cells.map((c) => c.adjustedPValue),
			holmBonferroni([0.01, 0.04, 0.03]).adjusted,
		);
		expect(r.cells.map((c) => c.significant)).toEqual([true, false, false]);
		expect(r.method).toMatch(/Holm.*3 breakdown cells/);
	});

	it("uses Benjamini–Hochberg on request", () => {
		const r = breakdownCorrection(cells, { method: "bh" });
		expectAll(
			r.cells.map((c) => c.adjustedPValue),
			benjaminiHochberg([0.01, 0.04, 0.03]).adjusted,
		);
	});

	it("flags small cells and names them in a warning", () => {
		const r = breakdownCorrection(cells);
		expect(r.cells.map((c) => c.smallCell)).toEqual([false, true, false]);
		expect(r.warnings).toHaveLength(1);
		expect(r.warnings[0]?.code).toBe("too-few-units");
		expect(r.warnings[0]?.message).toMatch(/PC/);
		expect(breakdownCorrection(cells, { minUnitsPerArm: 10 }).warnings).toEqual([]);
	});
});
