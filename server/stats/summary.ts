// Per-arm summaries from what rollups store: sums for means, counts for proportions.
import type { MeanSums, ProportionCounts, SampleSummary } from "./types.js";

/**
 * Summary of a mean metric from its sums: mean = Σx/n, variance = (Σx² − (Σx)²/n)/(n − 1) (the unbiased sample
 * variance, as gbstats' SampleMeanStatistic). With n < 2 the variance is 0.
 *
 * @example
 * meanSummary({ n: 3407, sum: 1396.87, sumSquares: 52377.9767 }); // { n: 3407, mean: 0.41, variance: 15.21 }
 */
export function meanSummary(sums: MeanSums): SampleSummary {
	const { n, sum, sumSquares } = sums;
	if (n <= 0) return { n: 0, mean: 0, variance: 0 };
	const mean = sum / n;
	const variance = n < 2 ? 0 : Math.max(0, (sumSquares - (sum * sum) / n) / (n - 1));
	return { n, mean, variance };
}

/**
 * Summary of a binary metric: mean p = conversions/n and the Bernoulli variance p(1 − p) (as gbstats'
 * ProportionStatistic and the unpooled Wald standard error).
 *
 * @example
 * proportionSummary({ n: 1000, conversions: 100 }); // { n: 1000, mean: 0.1, variance: ≈0.09 }
 */
export function proportionSummary(counts: ProportionCounts): SampleSummary {
	const { n, conversions } = counts;
	if (n <= 0) return { n: 0, mean: 0, variance: 0 };
	const p = conversions / n;
	return { n, mean: p, variance: p * (1 - p) };
}
