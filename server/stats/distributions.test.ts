import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
	betaCdf,
	betaPdf,
	betaQuantile,
	betaSf,
	chiSquareCdf,
	chiSquareSf,
	normalCdf,
	normalQuantile,
	normalSf,
	studentTCdf,
	studentTQuantile,
} from "./distributions.js";

// Values against scipy are in reference.test.ts; these are the identities every input must satisfy.
describe("quantiles invert their cdfs", () => {
	it("normal, over the whole open unit interval", () => {
		fc.assert(
			fc.property(fc.double({ min: 1e-300, max: 1 - 1e-12, noNaN: true }), (p) => {
				const x = normalQuantile(p);
				expect(Math.abs(normalCdf(x) - p)).toBeLessThanOrEqual(1e-14 + 1e-12 * p);
			}),
		);
	});

	it("Student t, for fractional degrees of freedom too", () => {
		fc.assert(
			fc.property(
				fc.double({ min: 1e-10, max: 1 - 1e-10, noNaN: true }),
				fc.double({ min: 0.5, max: 1e6, noNaN: true }),
				(p, df) => {
					const t = studentTQuantile(p, df);
					// 1e-12 absolute, or 1e-10 of the smaller tail: the root finder's stopping point at very large df
					// (p 0.0246, df 946465 lands 1.1e-12 away).
					expect(Math.abs(studentTCdf(t, df) - p)).toBeLessThanOrEqual(1e-12 + 1e-10 * Math.min(p, 1 - p));
				},
			),
		);
	});

	it("beta, for small and large shapes", () => {
		fc.assert(
			fc.property(
				fc.double({ min: 1e-8, max: 1 - 1e-8, noNaN: true }),
				fc.double({ min: 0.2, max: 1e5, noNaN: true }),
				fc.double({ min: 0.2, max: 1e5, noNaN: true }),
				(p, a, b) => {
					const x = betaQuantile(p, a, b);
					// Near 0 or 1 one ulp of x moves the cdf by density × ulp: that much is the problem's, not ours.
					expect(Math.abs(betaCdf(x, a, b) - p)).toBeLessThanOrEqual(1e-10 + betaPdf(x, a, b) * 1e-15);
				},
			),
		);
	});
});

describe("tails", () => {
	it("cdf + sf = 1", () => {
		fc.assert(
			fc.property(fc.double({ min: -30, max: 30, noNaN: true }), (x) => {
				expect(normalCdf(x) + normalSf(x)).toBeCloseTo(1, 14);
				expect(chiSquareCdf(Math.abs(x), 3) + chiSquareSf(Math.abs(x), 3)).toBeCloseTo(1, 14);
				const u = 1 / (1 + Math.exp(-x / 5));
				expect(betaCdf(u, 2.5, 7) + betaSf(u, 2.5, 7)).toBeCloseTo(1, 14);
			}),
		);
	});

	it("keeps relative precision far in the tails", () => {
		expect(normalCdf(-38)).toBeGreaterThan(0);
		expect(normalSf(10) / 7.619853024160527e-24).toBeCloseTo(1, 12);
		expect(studentTCdf(-40, 5) / 9.205981085886476e-8).toBeCloseTo(1, 10);
	});

	it("uses exact forms for 1 and 2 degrees of freedom", () => {
		expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706204736174705, 10);
		expect(studentTQuantile(0.975, 2)).toBeCloseTo(4.302652729749464, 12);
	});

	it("is undefined outside its domain", () => {
		expect(normalQuantile(1.5)).toBeNaN();
		expect(studentTQuantile(0.5, -1)).toBeNaN();
		expect(betaQuantile(0.5, 0, 1)).toBeNaN();
		expect(normalQuantile(0)).toBe(-Infinity);
		expect(betaQuantile(1, 2, 3)).toBe(1);
	});
});
