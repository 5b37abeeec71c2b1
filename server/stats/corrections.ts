// Multiple-comparison corrections: adjusted p-values for several metrics or arms read together.
import type { ResultBase } from "./types.js";

/** Adjusted p-values, in the order of the input. */
export interface CorrectionResult extends ResultBase {
	adjusted: number[];
	/** adjusted ≤ alpha (statsmodels' convention). */
	rejected: boolean[];
	alpha: number;
}

/**
 * Holm–Bonferroni step-down adjustment (controls the family-wise error rate): with p₍₁₎ ≤ … ≤ p₍ₘ₎,
 * p̃₍ᵢ₎ = max_{j ≤ i} min(1, (m − j + 1)·p₍ⱼ₎). Source: Holm (1979), Scand. J. Statist. 6; statsmodels
 * multipletests(method="holm").
 *
 * @example
 * holmBonferroni([0.01, 0.04, 0.03, 0.005, 0.55, 0.6]).adjusted; // [0.05, 0.12, 0.12, 0.03, 1, 1]
 */
export function holmBonferroni(pValues: readonly number[], alpha = 0.05): CorrectionResult {
	const m = pValues.length;
	const order = ascendingOrder(pValues);
	const adjusted = new Array<number>(m);
	let running = 0;
	order.forEach((index, rank) => {
		running = Math.max(running, Math.min(1, (m - rank) * (pValues[index] as number)));
		adjusted[index] = running;
	});
	return correctionResult("Holm–Bonferroni step-down (family-wise error rate)", FWER_ASSUMPTIONS, adjusted, alpha);
}

/**
 * Benjamini–Hochberg step-up adjustment (controls the false discovery rate): with p₍₁₎ ≤ … ≤ p₍ₘ₎,
 * p̃₍ᵢ₎ = min_{j ≥ i} min(1, m·p₍ⱼ₎/j). Source: Benjamini & Hochberg (1995), JRSS B 57; statsmodels
 * multipletests(method="fdr_bh").
 *
 * @example
 * benjaminiHochberg([0.01, 0.04, 0.03, 0.005, 0.55, 0.6]).adjusted; // [0.03, 0.06, 0.06, 0.03, 0.6, 0.6]
 */
export function benjaminiHochberg(pValues: readonly number[], alpha = 0.05): CorrectionResult {
	const m = pValues.length;
	const order = ascendingOrder(pValues);
	const adjusted = new Array<number>(m);
	let running = 1;
	for (let rank = m - 1; rank >= 0; rank--) {
		const index = order[rank] as number;
		running = Math.min(running, (m * (pValues[index] as number)) / (rank + 1));
		adjusted[index] = running;
	}
	return correctionResult("Benjamini–Hochberg step-up (false discovery rate)", FDR_ASSUMPTIONS, adjusted, alpha);
}

const FWER_ASSUMPTIONS = ["valid p-values; any dependence between the tests"];
const FDR_ASSUMPTIONS = ["valid p-values; independent or positively dependent tests (PRDS)"];

/** Indices of `values` from smallest to largest (stable). */
function ascendingOrder(values: readonly number[]): number[] {
	return values.map((_, i) => i).sort((i, j) => (values[i] as number) - (values[j] as number));
}

function correctionResult(method: string, assumptions: string[], adjusted: number[], alpha: number): CorrectionResult {
	return {
		method,
		assumptions: [...assumptions],
		warnings: [],
		adjusted,
		rejected: adjusted.map((p) => p <= alpha),
		alpha,
	};
}
