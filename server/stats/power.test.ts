import { describe, expect, it } from "vitest";
import {
	mdeMeans,
	mdeProportions,
	mdeRatio,
	powerMeans,
	powerProportions,
	powerRatio,
	sampleSizeMeans,
	sampleSizeProportions,
	sampleSizeRatio,
} from "./power.js";
import { ratioSummary, type RatioSums } from "./ratio.js";

describe("sampleSizeProportions", () => {
	it("gives Evan Miller's 1030 per arm for baseline 0.20, +0.05 absolute, α 0.05, power 0.8", () => {
		const r = sampleSizeProportions({ baseline: 0.2, mde: 0.05, alpha: 0.05, power: 0.8 });
		expect(r.exact).toBeCloseTo(1030.2193, 4);
		expect(r.control).toBe(1030);
		expect(r.treatment).toBe(1030);
		expect(r.total).toBe(2060);
		expect(r.method).toMatch(/Evan Miller/);
	});

	it("takes a relative mde as a share of the baseline", () => {
		const relative = sampleSizeProportions({ baseline: 0.2, mde: 0.25, relativeMde: true });
		expect(relative.exact).toBeCloseTo(sampleSizeProportions({ baseline: 0.2, mde: 0.05 }).exact, 9);
	});

	it("rounds up for the statsmodels conventions, and the pooled null needs slightly more units here", () => {
		const pooled = sampleSizeProportions({ baseline: 0.2, mde: 0.05, method: "pooled-null" });
		expect(pooled.control).toBe(Math.ceil(pooled.exact));
		expect(pooled.exact).toBeCloseTo(1093.739, 3);
		const arcsine = sampleSizeProportions({ baseline: 0.2, mde: 0.05, method: "arcsine" });
		expect(arcsine.exact).toBeCloseTo(1091.896, 3);
	});

	it("splits units by the ratio", () => {
		const r = sampleSizeProportions({ baseline: 0.1, mde: 0.01, ratio: 2 });
		expect(r.treatment).toBe(Math.ceil(2 * r.control));
		expect(r.control).toBeLessThan(sampleSizeProportions({ baseline: 0.1, mde: 0.01 }).control);
	});
});

describe("power and mde are inverses of the sample size", () => {
	it.each(["evan-miller", "pooled-null", "arcsine"] as const)("%s: power at the exact n is the target", (method) => {
		const design = { baseline: 0.12, mde: 0.015, method, alpha: 0.05 };
		const n = sampleSizeProportions({ ...design, power: 0.85 }).exact;
		expect(powerProportions({ ...design, controlUnits: n }).power).toBeCloseTo(0.85, 9);
		expect(mdeProportions({ ...design, controlUnits: n, power: 0.85 }).absolute).toBeCloseTo(0.015, 9);
	});

	it("means: n, power and mde agree", () => {
		const n = sampleSizeMeans({ stdDev: 4, mde: 0.5, power: 0.9 }).exact;
		expect(powerMeans({ stdDev: 4, mde: 0.5, controlUnits: n }).power).toBeCloseTo(0.9, 9);
		const mde = mdeMeans({ stdDev: 4, controlUnits: n, power: 0.9, baselineMean: 10 });
		expect(mde.absolute).toBeCloseTo(0.5, 9);
		expect(mde.relative).toBeCloseTo(0.05, 9);
	});

	it("reports the relative mde for proportions", () => {
		const r = mdeProportions({ baseline: 0.2, controlUnits: 1030.2192831104596 });
		expect(r.absolute).toBeCloseTo(0.05, 9);
		expect(r.relative).toBeCloseTo(0.25, 9);
	});

	it("needs a baseline mean for a relative mean effect", () => {
		expect(() => sampleSizeMeans({ stdDev: 1, mde: 0.1, relativeMde: true })).toThrow(RangeError);
		expect(sampleSizeMeans({ stdDev: 1, mde: 0.1, relativeMde: true, baselineMean: 2 }).exact).toBeCloseTo(
			sampleSizeMeans({ stdDev: 1, mde: 0.2 }).exact,
			9,
		);
	});
});

describe("ratio metrics", () => {
	// 1000 players: Σ sessions 3000, Σ Robux 12 000, with per-player spread.
	const sums: RatioSums = {
		n: 1000,
		sumNum: 12_000,
		sumNum2: 400_000,
		sumDen: 3000,
		sumDen2: 12_000,
		sumNumDen: 60_000,
	};

	it("plans with the delta-method standard deviation of the ratio, from sums or from their summary", () => {
		const summary = ratioSummary(sums);
		const fromSums = sampleSizeRatio({ baseline: sums, mde: 0.05, relativeMde: true });
		const fromSummary = sampleSizeRatio({ baseline: summary, mde: 0.05, relativeMde: true });
		const asMeans = sampleSizeMeans({ stdDev: Math.sqrt(summary.variance), mde: 0.05 * summary.mean });
		expect(fromSums.exact).toBe(fromSummary.exact);
		expect(fromSums.exact).toBeCloseTo(asMeans.exact, 9);
		expect(fromSums.method).toMatch(/ratio metrics/);
	});

	it("power at the planned size is the target, and the mde there is the planned effect", () => {
		const n = sampleSizeRatio({ baseline: sums, mde: 0.05, relativeMde: true, power: 0.9 }).exact;
		expect(powerRatio({ baseline: sums, mde: 0.05, relativeMde: true, controlUnits: n }).power).toBeCloseTo(0.9, 9);
		expect(mdeRatio({ baseline: sums, controlUnits: n, power: 0.9 }).relative).toBeCloseTo(0.05, 9);
	});

	it("refuses a baseline without denominators or variance", () => {
		const empty = { ...sums, sumDen: 0 };
		expect(() => sampleSizeRatio({ baseline: empty, mde: 0.1 })).toThrow(RangeError);
		expect(() => mdeRatio({ baseline: { n: 10, mean: 2, variance: 0 }, controlUnits: 100 })).toThrow(RangeError);
	});
});
