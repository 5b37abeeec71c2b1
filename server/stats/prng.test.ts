import { describe, expect, it } from "vitest";
import { mulberry32, sampleBeta, sampleBinomial, sampleGamma, sampleNormal } from "./prng.js";

function moments(draw: () => number, n: number): { mean: number; variance: number } {
	let sum = 0;
	let sumSquares = 0;
	for (let i = 0; i < n; i++) {
		const x = draw();
		sum += x;
		sumSquares += x * x;
	}
	const mean = sum / n;
	return { mean, variance: sumSquares / n - mean * mean };
}

describe("mulberry32", () => {
	it("is deterministic per seed and stays in [0, 1)", () => {
		const a = mulberry32(42);
		const b = mulberry32(42);
		for (let i = 0; i < 1000; i++) {
			const x = a();
			expect(x).toBe(b());
			expect(x).toBeGreaterThanOrEqual(0);
			expect(x).toBeLessThan(1);
		}
		expect(mulberry32(42)()).not.toBe(mulberry32(43)());
	});
});

describe("samplers", () => {
	const rng = mulberry32(2024);
	it("normal has mean 0 and variance 1", () => {
		const m = moments(() => sampleNormal(rng), 200_000);
		expect(Math.abs(m.mean)).toBeLessThan(0.01);
		expect(Math.abs(m.variance - 1)).toBeLessThan(0.015);
	});
	it.each([0.3, 1, 4.5, 1000])("gamma(%d) has mean and variance equal to its shape", (shape) => {
		const m = moments(() => sampleGamma(rng, shape), 100_000);
		expect(Math.abs(m.mean / shape - 1)).toBeLessThan(0.02);
		expect(Math.abs(m.variance / shape - 1)).toBeLessThan(0.04);
	});
	it("beta(11, 91) has mean 11/102", () => {
		const m = moments(() => sampleBeta(rng, 11, 91), 100_000);
		expect(Math.abs(m.mean - 11 / 102)).toBeLessThan(0.001);
	});
	it("binomial(100, 0.3) has mean 30 and variance 21", () => {
		const m = moments(() => sampleBinomial(rng, 100, 0.3), 50_000);
		expect(Math.abs(m.mean - 30)).toBeLessThan(0.1);
		expect(Math.abs(m.variance / 21 - 1)).toBeLessThan(0.04);
	});
});
