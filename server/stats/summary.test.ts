import { describe, expect, it } from "vitest";
import { estimateEffect } from "./effect.js";
import { meanSummary, proportionSummary } from "./summary.js";

describe("meanSummary", () => {
	it("gives the mean and the n − 1 variance from sums", () => {
		const s = meanSummary({ n: 3407, sum: 1396.87, sumSquares: 52377.9767 });
		expect(s.mean).toBeCloseTo(0.41, 12);
		expect(s.variance).toBeCloseTo(3.9 ** 2, 9);
	});

	it("is all zeros for an empty arm and has no variance for one unit", () => {
		expect(meanSummary({ n: 0, sum: 0, sumSquares: 0 })).toEqual({ n: 0, mean: 0, variance: 0 });
		expect(meanSummary({ n: 1, sum: 5, sumSquares: 25 }).variance).toBe(0);
	});
});

describe("proportionSummary", () => {
	it("uses the Bernoulli variance p(1 − p)", () => {
		const s = proportionSummary({ n: 1000, conversions: 100 });
		expect(s.mean).toBe(0.1);
		expect(s.variance).toBeCloseTo(0.09, 15);
	});
});

describe("estimateEffect", () => {
	const a = { n: 3407, mean: 0.41, variance: 15.21 };
	const b = { n: 3461, mean: 0.7, variance: 38.44 };

	it("absolute: difference of means, summed squared errors, Welch–Satterthwaite df", () => {
		const e = estimateEffect(a, b, "absolute");
		expect(e.estimate).toBeCloseTo(0.29, 12);
		expect(e.variance).toBeCloseTo(15.21 / 3407 + 38.44 / 3461, 15);
		expect(e.df).toBeCloseTo(5841.742032093565, 6);
	});

	it("relative: ratio of means by the delta method", () => {
		const e = estimateEffect(a, b, "relative");
		expect(e.estimate).toBeCloseTo(0.7 / 0.41 - 1, 12);
		expect(e.stdError).toBeCloseTo(0.37879, 5);
	});

	it("relative to a zero control mean is undefined", () => {
		expect(estimateEffect({ n: 10, mean: 0, variance: 1 }, b, "relative").estimate).toBeNaN();
	});
});
