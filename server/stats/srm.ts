// Sample-ratio mismatch: are the arms' unit counts what the traffic split promised? A mismatch means assignment or
// tracking is broken, and no effect estimate from the experiment can be trusted.
import { chiSquareSf } from "./distributions.js";
import type { ResultBase } from "./types.js";
import { SRM_P_THRESHOLD } from "./warnings.js";

/** Options of {@link srmTest}. */
export interface SrmOptions {
	/** Flag the experiment when p < threshold. @default 0.001 */
	threshold?: number;
}

/** Pearson's chi-square goodness-of-fit of observed arm counts to the planned split. */
export interface SrmResult extends ResultBase {
	statistic: number;
	df: number;
	pValue: number;
	/** p < threshold: the split is broken. */
	flagged: boolean;
	/** Expected counts per arm under the planned split (0 for arms with weight 0). */
	expected: number[];
}

/**
 * Sample-ratio-mismatch check: χ² = Σ (O_i − E_i)²/E_i over the k arms with positive weight, E_i = N·w_i/Σw with
 * N their total, df = k − 1, p = P(χ²_df > χ²). Flags at p < 0.001. Weights default to an equal split and need not
 * sum to 1. Units in an arm of weight 0 are impossible under the plan: p = 0. Source:
 * Pearson (1900); Fabijan et al. (2019), "Diagnosing Sample Ratio Mismatch in Online Controlled Experiments",
 * KDD; GrowthBook gbstats `check_srm` (published values reproduced in the tests).
 *
 * @example
 * srmTest([1000, 1200]); // { pValue: 0.000020079, flagged: true, … }
 */
export function srmTest(counts: readonly number[], weights?: readonly number[], options: SrmOptions = {}): SrmResult {
	const threshold = options.threshold ?? SRM_P_THRESHOLD;
	const w = weights ?? counts.map(() => 1);
	if (w.length !== counts.length) throw new RangeError("srmTest: one weight per arm is needed");
	// 1. Expected counts from the arms the plan sends traffic to.
	const planned = counts.filter((_, i) => (w[i] ?? 0) > 0);
	const totalWeight = w.reduce((s, x) => s + Math.max(0, x), 0);
	const totalCount = planned.reduce((s, x) => s + x, 0);
	const expected = w.map((x) => (x > 0 ? (totalCount * x) / totalWeight : 0));
	let statistic = 0;
	counts.forEach((observed, i) => {
		const e = expected[i] ?? 0;
		if (e > 0) statistic += ((observed - e) * (observed - e)) / e;
	});
	const df = planned.length - 1;
	// 2. Units in an arm that should get none cannot happen under the plan.
	const impossible = counts.some((c, i) => c > 0 && !((w[i] ?? 0) > 0));
	const pValue = impossible ? 0 : df > 0 ? chiSquareSf(statistic, df) : 1;
	const flagged = pValue < threshold;
	return {
		method: "Pearson chi-square goodness-of-fit test of arm counts against the planned split",
		assumptions: ["units are assigned independently with the planned probabilities", "expected counts are ≥ 5 per arm"],
		warnings: flagged
			? [{ code: "srm", message: `Sample ratio mismatch: p = ${pValue.toPrecision(3)} < ${threshold}.` }]
			: [],
		statistic,
		df,
		pValue,
		flagged,
		expected,
	};
}
