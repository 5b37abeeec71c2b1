import { describe, expect, it } from "vitest";
import { srmTest } from "./srm.js";

describe("srmTest", () => {
	// GrowthBook gbstats' published check_srm values.
	it.each([
		{ counts: [1000, 1200], weights: [0.5, 0.5], p: 0.000020079 },
		{ counts: [135, 115], weights: [0.5, 0.5], p: 0.205903211 },
		{ counts: [500, 500, 600], weights: [0.34, 0.33, 0.33], p: 0.000592638 },
	])("reproduces GrowthBook: $counts at $weights → p $p", ({ counts, weights, p }) => {
		expect(srmTest(counts, weights).pValue).toBeCloseTo(p, 9);
	});

	it("flags at p < 0.001 and warns", () => {
		const broken = srmTest([1000, 1200]);
		expect(broken.flagged).toBe(true);
		expect(broken.warnings.map((w) => w.code)).toEqual(["srm"]);
		const fine = srmTest([135, 115]);
		expect(fine.flagged).toBe(false);
		expect(fine.warnings).toEqual([]);
		expect(srmTest([500, 500, 600], [0.34, 0.33, 0.33]).flagged).toBe(true);
	});

	it("defaults to an equal split and accepts weights not summing to 1", () => {
		expect(srmTest([1000, 1200]).pValue).toBe(srmTest([1000, 1200], [1, 1]).pValue);
		expect(srmTest([1000, 1200], [2, 2]).pValue).toBe(srmTest([1000, 1200], [0.5, 0.5]).pValue);
	});

	it("leaves out arms of weight 0, and flags units that reach one", () => {
		const empty = srmTest([500, 520, 0], [1, 1, 0]);
		expect(empty.df).toBe(1);
		expect(empty.expected[2]).toBe(0);
		expect(empty.pValue).toBe(srmTest([500, 520]).pValue);
		const leaked = srmTest([500, 520, 7], [1, 1, 0]);
		expect(leaked.pValue).toBe(0);
		expect(leaked.flagged).toBe(true);
	});

	it("rejects a weight list of the wrong length", () => {
		expect(() => srmTest([1, 2, 3], [0.5, 0.5])).toThrow(RangeError);
	});
});
