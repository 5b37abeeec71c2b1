// Seeded simulations: the tests do what they promise on data where the truth is known. 1000 experiments each;
// with 1000 runs the standard error of a rate near 5% is 0.7 points, of one near 95% also 0.7 points.
import { describe, expect, it } from "vitest";
import { twoProportionZTest, welchTTest } from "./frequentist.js";
import { sampleSizeProportions } from "./power.js";
import { mulberry32, sampleBinomial, sampleNormal } from "./prng.js";
import { sequentialTest } from "./sequential.js";
import { proportionSummary } from "./summary.js";
import type { Prng, SampleSummary } from "./types.js";

const RUNS = 1000;
const ALPHA = 0.05;

/** n normal draws summarized. */
function normalArm(rng: Prng, n: number, mean: number, sd: number): SampleSummary {
	let sum = 0;
	let sumSquares = 0;
	for (let i = 0; i < n; i++) {
		const x = mean + sd * sampleNormal(rng);
		sum += x;
		sumSquares += x * x;
	}
	return { n, mean: sum / n, variance: (sumSquares - (sum * sum) / n) / (n - 1) };
}

function share(count: number): number {
	return count / RUNS;
}

describe("A/A experiments at a fixed horizon", () => {
	it("two-proportion z-test: false-positive rate within [3%, 7%]", () => {
		const rng = mulberry32(101);
		let positives = 0;
		for (let run = 0; run < RUNS; run++) {
			const a = { n: 2000, conversions: sampleBinomial(rng, 2000, 0.1) };
			const b = { n: 2000, conversions: sampleBinomial(rng, 2000, 0.1) };
			if (twoProportionZTest(a, b, { difference: "absolute", alpha: ALPHA }).significant) positives++;
		}
		expect(share(positives)).toBeGreaterThanOrEqual(0.03);
		expect(share(positives)).toBeLessThanOrEqual(0.07);
	});

	it("Welch t-test on normal data, relative effect: false-positive rate within [3%, 7%]", () => {
		const rng = mulberry32(102);
		let positives = 0;
		for (let run = 0; run < RUNS; run++) {
			const a = normalArm(rng, 500, 10, 3);
			const b = normalArm(rng, 500, 10, 3);
			if (welchTTest(a, b, { alpha: ALPHA }).significant) positives++;
		}
		expect(share(positives)).toBeGreaterThanOrEqual(0.03);
		expect(share(positives)).toBeLessThanOrEqual(0.07);
	});
});

describe("A/A experiments with continuous peeking", () => {
	// 50 looks: after every 100 units per arm up to 5000 per arm; an experiment is a false positive if any look
	// is significant.
	const LOOKS = 50;
	const BATCH = 100;
	const RATE = 0.1;

	function peekingFalsePositives(seed: number): { sequential: number; fixed: number } {
		const rng = mulberry32(seed);
		let sequential = 0;
		let fixed = 0;
		for (let run = 0; run < RUNS; run++) {
			const a = { n: 0, conversions: 0 };
			const b = { n: 0, conversions: 0 };
			let sequentialHit = false;
			let fixedHit = false;
			for (let look = 0; look < LOOKS; look++) {
				a.n += BATCH;
				b.n += BATCH;
				a.conversions += sampleBinomial(rng, BATCH, RATE);
				b.conversions += sampleBinomial(rng, BATCH, RATE);
				const options = { difference: "absolute", alpha: ALPHA, tuningParameter: 2 * LOOKS * BATCH } as const;
				if (!sequentialHit && sequentialTest(proportionSummary(a), proportionSummary(b), options).significant) {
					sequentialHit = true;
				}
				if (!fixedHit && twoProportionZTest(a, b, options).significant) fixedHit = true;
			}
			if (sequentialHit) sequential++;
			if (fixedHit) fixed++;
		}
		return { sequential: share(sequential), fixed: share(fixed) };
	}

	it("the sequential test stays at or below 5%, while the fixed-horizon test read at every look does not", () => {
		const rates = peekingFalsePositives(103);
		expect(rates.sequential).toBeLessThanOrEqual(ALPHA);
		// Peeking 50 times with a fixed-horizon test inflates the error several-fold (Armitage et al. 1969).
		expect(rates.fixed).toBeGreaterThan(0.15);
	});
});

describe("a planted +5% relative effect", () => {
	// Tolerances: coverage within [93%, 97%] and detection within ±5 points of the planned 80% power, over 1000
	// runs (each about 3 standard errors).
	it("conversion 20% → 21%: detected at about the planned power, and the CI covers +5% ~95% of the time", () => {
		const baseline = 0.2;
		const lift = 0.05;
		const units = sampleSizeProportions({ baseline, mde: lift, relativeMde: true, power: 0.8 }).control;
		const rng = mulberry32(104);
		let detected = 0;
		let covered = 0;
		for (let run = 0; run < RUNS; run++) {
			const a = { n: units, conversions: sampleBinomial(rng, units, baseline) };
			const b = { n: units, conversions: sampleBinomial(rng, units, baseline * (1 + lift)) };
			const r = twoProportionZTest(a, b, { alpha: ALPHA });
			if (r.significant && r.effect > 0) detected++;
			if (r.ci.lower <= lift && lift <= r.ci.upper) covered++;
		}
		expect(share(detected)).toBeGreaterThanOrEqual(0.75);
		expect(share(detected)).toBeLessThanOrEqual(0.85);
		expect(share(covered)).toBeGreaterThanOrEqual(0.93);
		expect(share(covered)).toBeLessThanOrEqual(0.97);
	});

	it("a mean metric 10 → 10.5 with the Welch test: CI coverage of +5% within [93%, 97%]", () => {
		const rng = mulberry32(105);
		let covered = 0;
		let detected = 0;
		for (let run = 0; run < RUNS; run++) {
			const a = normalArm(rng, 600, 10, 3);
			const b = normalArm(rng, 600, 10.5, 3);
			const r = welchTTest(a, b, { alpha: ALPHA });
			if (r.ci.lower <= 0.05 && 0.05 <= r.ci.upper) covered++;
			if (r.significant && r.effect > 0) detected++;
		}
		expect(share(covered)).toBeGreaterThanOrEqual(0.93);
		expect(share(covered)).toBeLessThanOrEqual(0.97);
		// Planned power for d = 0.5/3 with 600 per arm is 83%.
		expect(share(detected)).toBeGreaterThanOrEqual(0.78);
		expect(share(detected)).toBeLessThanOrEqual(0.88);
	});

	it("the sequential test with peeking still finds it, and its confidence sequence covers it at every look", () => {
		const rng = mulberry32(106);
		const baseline = 0.2;
		let found = 0;
		let everMissed = 0;
		const runs = 200;
		for (let run = 0; run < runs; run++) {
			const a = { n: 0, conversions: 0 };
			const b = { n: 0, conversions: 0 };
			let hit = false;
			let missed = false;
			for (let look = 0; look < 60; look++) {
				a.n += 1000;
				b.n += 1000;
				a.conversions += sampleBinomial(rng, 1000, baseline);
				b.conversions += sampleBinomial(rng, 1000, baseline * 1.05);
				const r = sequentialTest(proportionSummary(a), proportionSummary(b), { tuningParameter: 120_000 });
				if (r.significant && r.effect > 0) hit = true;
				if (r.ci.lower > 0.05 || r.ci.upper < 0.05) missed = true;
			}
			if (hit) found++;
			if (missed) everMissed++;
		}
		// 60 000 units per arm is ~2.3× the fixed-horizon sample size for 80% power.
		expect(found / runs).toBeGreaterThan(0.8);
		// Time-uniform coverage: the sequence misses the truth at any look in at most alpha of experiments (+ MC error).
		expect(everMissed / runs).toBeLessThanOrEqual(0.08);
	});
});
