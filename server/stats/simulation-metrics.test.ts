// Seeded simulations for issue 14's statistics: CUPED (A/A error and variance reduction), ratio metrics, quantiles,
// breakdown corrections and the relative intervals, each on data where the truth is known. 1000 experiments each
// unless said otherwise; the standard error of a rate near 5% is then 0.7 points, of one near 95% also 0.7 points.
import { describe, expect, it } from "vitest";
import { breakdownCorrection } from "./corrections.js";
import { cupedTest, type CupedSums } from "./cuped.js";
import { twoProportionZTest, welchTTest } from "./frequentist.js";
import { mulberry32, sampleBinomial, sampleGamma, sampleNormal } from "./prng.js";
import { quantileTest } from "./quantile.js";
import { ratioTest, type RatioSums } from "./ratio.js";
import { fiellerInterval, logRatioInterval } from "./relative.js";
import { proportionSummary } from "./summary.js";
import type { Prng, SampleSummary } from "./types.js";

const RUNS = 1000;
const ALPHA = 0.05;

/** Print the measured numbers next to the test output (quoted in the note). */
function report(what: string, numbers: Record<string, number>): void {
	const text = Object.entries(numbers)
		.map(([k, v]) => `${k} ${v.toFixed(4)}`)
		.join(", ");
	console.log(`[simulation] ${what}: ${text}`);
}

/** n units whose metric Y has correlation rho with the pre-period X (both N(20, 5²)), Y shifted by `shift`. */
function cupedArm(rng: Prng, n: number, rho: number, shift: number): CupedSums {
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

function plainSummary(s: CupedSums): SampleSummary {
	return { n: s.n, mean: s.sumY / s.n, variance: (s.sumY2 - (s.sumY * s.sumY) / s.n) / (s.n - 1) };
}

/** Sample variance of a list. */
function variance(xs: readonly number[]): number {
	const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
	return xs.reduce((a, x) => a + (x - mean) * (x - mean), 0) / (xs.length - 1);
}

describe("CUPED", () => {
	it("A/A: the false-positive rate stays within [3%, 7%] (absolute and relative)", () => {
		const rng = mulberry32(1401);
		let absolute = 0;
		let relative = 0;
		for (let run = 0; run < RUNS; run++) {
			const a = cupedArm(rng, 300, 0.7, 0);
			const b = cupedArm(rng, 300, 0.7, 0);
			if (cupedTest(a, b, { difference: "absolute", alpha: ALPHA }).significant) absolute++;
			if (cupedTest(a, b, { difference: "relative", alpha: ALPHA }).significant) relative++;
		}
		report("CUPED A/A false-positive rate", { absolute: absolute / RUNS, relative: relative / RUNS });
		for (const rate of [absolute / RUNS, relative / RUNS]) {
			expect(rate).toBeGreaterThanOrEqual(0.03);
			expect(rate).toBeLessThanOrEqual(0.07);
		}
	});

	it("with pre/post correlation ρ = 0.7 removes ρ² = 0.49 of the variance, in the estimate and in the effect's spread", () => {
		const rng = mulberry32(1402);
		const rho = 0.7;
		const cupedEffects: number[] = [];
		const plainEffects: number[] = [];
		let reported = 0;
		for (let run = 0; run < RUNS; run++) {
			const a = cupedArm(rng, 400, rho, 0);
			const b = cupedArm(rng, 400, rho, 1);
			const cuped = cupedTest(a, b, { difference: "absolute" });
			cupedEffects.push(cuped.effect);
			plainEffects.push(welchTTest(plainSummary(a), plainSummary(b), { difference: "absolute" }).effect);
			reported += cuped.adjustment.varianceReduction;
		}
		const measured = 1 - variance(cupedEffects) / variance(plainEffects);
		report("CUPED variance reduction at ρ = 0.7 (theory 0.49)", {
			reported: reported / RUNS,
			"measured over experiments": measured,
		});
		expect(Math.abs(reported / RUNS - rho * rho)).toBeLessThan(0.01);
		expect(Math.abs(measured - rho * rho)).toBeLessThan(0.04);
	});
});

/** A Poisson(λ) draw (Knuth; fine for the small λ used here). */
function samplePoisson(rng: Prng, lambda: number): number {
	const limit = Math.exp(-lambda);
	let k = 0;
	let p = rng();
	while (p > limit) {
		k++;
		p *= rng();
	}
	return k;
}

/** Players with 0–10 sessions and a skewed spend per session whose level varies by player. */
function ratioArm(rng: Prng, n: number, spendPerSession: number): RatioSums {
	const s: RatioSums = { n, sumNum: 0, sumNum2: 0, sumDen: 0, sumDen2: 0, sumNumDen: 0 };
	for (let i = 0; i < n; i++) {
		const habit = sampleGamma(rng, 2) / 2;
		const sessions = samplePoisson(rng, 3 * habit);
		let spend = 0;
		for (let k = 0; k < sessions; k++) spend += (sampleGamma(rng, 0.5) / 0.5) * spendPerSession * habit;
		s.sumNum += spend;
		s.sumNum2 += spend * spend;
		s.sumDen += sessions;
		s.sumDen2 += sessions * sessions;
		s.sumNumDen += spend * sessions;
	}
	return s;
}

describe("ratio metrics", () => {
	it("A/A: the delta-method test's false-positive rate stays within [3%, 7%] (absolute and relative)", () => {
		const rng = mulberry32(1403);
		let absolute = 0;
		let relative = 0;
		for (let run = 0; run < RUNS; run++) {
			const a = ratioArm(rng, 400, 5);
			const b = ratioArm(rng, 400, 5);
			if (ratioTest(a, b, { difference: "absolute", alpha: ALPHA }).significant) absolute++;
			if (ratioTest(a, b, { difference: "relative", alpha: ALPHA }).significant) relative++;
		}
		report("ratio A/A false-positive rate", { absolute: absolute / RUNS, relative: relative / RUNS });
		for (const rate of [absolute / RUNS, relative / RUNS]) {
			expect(rate).toBeGreaterThanOrEqual(0.03);
			expect(rate).toBeLessThanOrEqual(0.07);
		}
	});
});

describe("breakdown corrections", () => {
	it("Holm across 8 A/A cells keeps the family-wise error at or below α; uncorrected, it does not", () => {
		const rng = mulberry32(1404);
		const cells = 8;
		let corrected = 0;
		let uncorrected = 0;
		for (let run = 0; run < RUNS; run++) {
			const results = [];
			for (let cell = 0; cell < cells; cell++) {
				// Cells of different sizes, as platforms or countries are.
				const n = 200 + 100 * cell;
				const a = { n, conversions: sampleBinomial(rng, n, 0.2) };
				const b = { n, conversions: sampleBinomial(rng, n, 0.2) };
				const { pValue } = twoProportionZTest(a, b, { difference: "absolute" });
				results.push({ key: `cell ${cell}`, pValue, units: [n, n] });
			}
			if (results.some((r) => r.pValue < ALPHA)) uncorrected++;
			if (breakdownCorrection(results, { alpha: ALPHA }).cells.some((c) => c.significant)) corrected++;
		}
		report("breakdown family-wise error over 8 A/A cells", {
			holm: corrected / RUNS,
			uncorrected: uncorrected / RUNS,
		});
		expect(corrected / RUNS).toBeLessThanOrEqual(0.07);
		// 1 − 0.95⁸ ≈ 34% without correction.
		expect(uncorrected / RUNS).toBeGreaterThan(0.25);
	});
});

describe("quantile metrics", () => {
	it("A/A: the median test's false-positive rate stays within [3%, 7%] (absolute and relative)", () => {
		const rng = mulberry32(1405);
		const n = 300;
		let absolute = 0;
		let relative = 0;
		const a = new Float64Array(n);
		const b = new Float64Array(n);
		for (let run = 0; run < RUNS; run++) {
			for (let i = 0; i < n; i++) {
				a[i] = Math.exp(4 + 0.8 * sampleNormal(rng));
				b[i] = Math.exp(4 + 0.8 * sampleNormal(rng));
			}
			if (quantileTest(a, b, { quantile: 0.5, difference: "absolute" }).significant) absolute++;
			if (quantileTest(a, b, { quantile: 0.5, difference: "relative" }).significant) relative++;
		}
		report("quantile (median) A/A false-positive rate", { absolute: absolute / RUNS, relative: relative / RUNS });
		for (const rate of [absolute / RUNS, relative / RUNS]) {
			expect(rate).toBeGreaterThanOrEqual(0.03);
			expect(rate).toBeLessThanOrEqual(0.07);
		}
	});
});

describe("relative intervals with few control conversions", () => {
	it("Fieller's and the log-ratio interval cover the true lift within [93%, 97%]; the delta method's is worse and lopsided", () => {
		// Control 1% of 1000 (≈ 10 conversions), treatment +100%: Fieller's g ≈ 0.38, far above the 0.1 threshold.
		const rng = mulberry32(1406);
		const n = 1000;
		const base = 0.01;
		const lift = 1;
		const tally = { delta: new Miss(), fieller: new Miss(), logRatio: new Miss() };
		for (let run = 0; run < RUNS; run++) {
			const countsA = { n, conversions: sampleBinomial(rng, n, base) };
			const countsB = { n, conversions: sampleBinomial(rng, n, base * (1 + lift)) };
			if (countsA.conversions === 0 || countsB.conversions === 0) continue; // no relative effect to estimate
			const a = proportionSummary(countsA);
			const b = proportionSummary(countsB);
			tally.delta.add(lift, twoProportionZTest(countsA, countsB, { difference: "relative" }).ci);
			const f = fiellerInterval(a, b, { df: Infinity });
			if (f.kind === "exclusive") {
				// (−∞, lower] ∪ [upper, ∞): a miss only when the truth falls in the gap, which is then below the ray
				// holding the estimate (above it when the estimate is on the lower ray).
				const estimate = b.mean / a.mean - 1;
				const inGap = lift > f.lower && lift < f.upper;
				tally.fieller.count(inGap ? (estimate >= f.upper ? -1 : 1) : 0);
			} else {
				tally.fieller.add(lift, f);
			}
			tally.logRatio.add(lift, logRatioInterval(a, b, { df: Infinity }));
		}
		const { delta, fieller, logRatio } = tally;
		report("coverage of the true +100% with ≈10 control conversions", {
			delta: delta.coverage(),
			"delta: truth above the interval": delta.share(delta.above),
			fieller: fieller.coverage(),
			"fieller: truth above": fieller.share(fieller.above),
			logRatio: logRatio.coverage(),
			"logRatio: truth above": logRatio.share(logRatio.above),
			experiments: delta.runs,
		});
		expect(delta.runs).toBeGreaterThan(990);
		for (const rate of [fieller.coverage(), logRatio.coverage()]) {
			expect(rate).toBeGreaterThanOrEqual(0.93);
			expect(rate).toBeLessThanOrEqual(0.97);
		}
		expect(delta.coverage()).toBeLessThan(Math.min(fieller.coverage(), logRatio.coverage()));
		// A 95% interval should miss on each side 2.5% of the time; the delta method's misses all fall on one side.
		expect(delta.share(delta.above)).toBeGreaterThan(0.05);
		expect(fieller.share(fieller.above)).toBeLessThan(0.04);
		expect(logRatio.share(logRatio.above)).toBeLessThan(0.04);
	});
});

/** Where a true value fell relative to a run of intervals. */
class Miss {
	runs = 0;
	above = 0;
	below = 0;
	add(truth: number, interval: { lower: number; upper: number }): void {
		this.count(truth > interval.upper ? 1 : truth < interval.lower ? -1 : 0);
	}
	/** 1: the truth is above the interval, −1: below, 0: covered. */
	count(side: number): void {
		this.runs++;
		if (side > 0) this.above++;
		if (side < 0) this.below++;
	}
	share(k: number): number {
		return k / this.runs;
	}
	coverage(): number {
		return 1 - (this.above + this.below) / this.runs;
	}
}
