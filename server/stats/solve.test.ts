import { describe, expect, it } from "vitest";
import { brentRoot, invertCdf } from "./solve.js";

describe("brentRoot", () => {
	it("finds a bracketed root to the tolerance", () => {
		expect(brentRoot((x) => x * x - 2, 0, 2)).toBeCloseTo(Math.SQRT2, 11);
		expect(brentRoot((x) => Math.cos(x) - x, 0, 1, 1e-15)).toBeCloseTo(0.7390851332151607, 14);
	});
	it("refuses an interval without a sign change", () => {
		expect(() => brentRoot((x) => x * x + 1, -1, 1)).toThrow(RangeError);
	});
});

describe("invertCdf", () => {
	it("inverts a cdf with an infinite density at the edge (bisection fallback)", () => {
		// F(x) = √x on [0, 1]: f(x) = 1/(2√x) is infinite at 0.
		const x = invertCdf(0.3, { cdf: Math.sqrt, pdf: (v) => 0.5 / Math.sqrt(v), guess: 0.99, lower: 0, upper: 1 });
		expect(x).toBeCloseTo(0.09, 14);
	});
	it("walks out of a half-infinite support from a poor guess", () => {
		const logistic = (v: number) => 1 / (1 + Math.exp(-v));
		const x = invertCdf(1e-6, {
			cdf: logistic,
			pdf: (v) => logistic(v) * (1 - logistic(v)),
			guess: 0,
			lower: -Infinity,
			upper: Infinity,
		});
		expect(logistic(x)).toBeCloseTo(1e-6, 15);
	});
});
