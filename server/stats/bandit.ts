// Adaptive (bandit) experiments: traffic weights from Thompson sampling, recomputed on the backend and served to
// the SDK in the experiment config.
import { sampleBeta, sampleNormal } from "./prng.js";
import type { Prng, ResultBase } from "./types.js";

/** One arm's results: conversions (Beta posterior) or a mean with its unit variance (normal posterior). */
export type BanditArm = { n: number; conversions: number } | { n: number; mean: number; variance: number };

/** Options of {@link thompsonWeights}. */
export interface ThompsonOptions {
	/** Monte-Carlo draws. @default 10000 */
	draws?: number;
	/** Every arm keeps at least this share of traffic, so no arm starves and results stay estimable. @default 0.01 */
	floor?: number;
	/** Weights stay as they are until every arm has this many units. @default 100 */
	minUnitsPerArm?: number;
	/** Lower values of the metric are better. @default false */
	lowerIsBetter?: boolean;
}

export interface ThompsonResult extends ResultBase {
	/** Traffic weights, one per arm, summing to 1, each ≥ floor. */
	weights: number[];
	/** False when the current weights were returned unchanged (too few units). */
	updated: boolean;
	/** Monte-Carlo probability that each arm is best, before the floor (empty when not updated). */
	probabilityBest: number[];
}

/**
 * Thompson-sampling traffic weights: each arm's weight is the posterior probability that it is the best arm
 * (estimated from `draws` joint posterior draws with the injected PRNG), then floored:
 * w_i = floor + (1 − k·floor)·P(best_i). Posteriors: Beta(1 + x, 1 + n − x) for conversions; N(mean, variance/n)
 * (flat prior) for means. Until every arm has `minUnitsPerArm` units the current weights are returned unchanged.
 * Sources: Thompson (1933), Biometrika 25; Russo, Van Roy et al. (2018), "A Tutorial on Thompson Sampling";
 * GrowthBook bandits (weights from P(best) with a minimum per arm).
 *
 * @example
 * thompsonWeights([{ n: 500, conversions: 50 }, { n: 500, conversions: 80 }], [0.5, 0.5], mulberry32(7));
 * // { weights: [0.012, 0.988], updated: true, … }
 */
export function thompsonWeights(
	arms: readonly BanditArm[],
	currentWeights: readonly number[],
	rng: Prng,
	options: ThompsonOptions = {},
): ThompsonResult {
	const floor = options.floor ?? 0.01;
	const minUnits = options.minUnitsPerArm ?? 100;
	const draws = options.draws ?? 10_000;
	if (arms.length !== currentWeights.length) throw new RangeError("thompsonWeights: one current weight per arm");
	const base = {
		method: "Thompson sampling: Monte-Carlo probability of being best, with a traffic floor per arm",
		assumptions: [
			"the metric's distribution per arm is stable over time (no drift or novelty effects)",
			"Beta(1, 1) prior for conversions; flat prior for means",
		],
	};
	// 1. Not enough data in some arm: keep serving the current weights.
	const fewest = Math.min(...arms.map((arm) => arm.n));
	if (fewest < minUnits) {
		return {
			...base,
			warnings: [{ code: "too-few-units", message: `An arm has ${fewest} units; weights update from ${minUnits}.` }],
			weights: [...currentWeights],
			updated: false,
			probabilityBest: [],
		};
	}
	// 2. P(best) by joint posterior draws.
	const sign = options.lowerIsBetter ? -1 : 1;
	const wins = new Array<number>(arms.length).fill(0);
	for (let d = 0; d < draws; d++) {
		let best = 0;
		let bestValue = -Infinity;
		arms.forEach((arm, i) => {
			const value = sign * posteriorDraw(arm, rng);
			if (value > bestValue) {
				bestValue = value;
				best = i;
			}
		});
		wins[best] = (wins[best] ?? 0) + 1;
	}
	const probabilityBest = wins.map((w) => w / draws);
	// 3. Floor every arm.
	const k = arms.length;
	const weights =
		k * floor >= 1 ? probabilityBest.map(() => 1 / k) : probabilityBest.map((p) => floor + (1 - k * floor) * p);
	return { ...base, warnings: [], weights, updated: true, probabilityBest };
}

function posteriorDraw(arm: BanditArm, rng: Prng): number {
	if ("conversions" in arm) return sampleBeta(rng, 1 + arm.conversions, 1 + arm.n - arm.conversions);
	return arm.mean + Math.sqrt(arm.variance / arm.n) * sampleNormal(rng);
}
