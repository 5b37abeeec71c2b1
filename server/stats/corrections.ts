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

/** One cell of a breakdown (a platform, a country, …): its comparison's p-value and units per arm. */
export interface BreakdownCell {
	/** The cell's value of the dimension, e.g. "iOS". */
	key: string;
	pValue: number;
	/** Units in each arm of the cell. */
	units: readonly number[];
}

/** Options of {@link breakdownCorrection}. */
export interface BreakdownCorrectionOptions {
	/** @default 0.05 */
	alpha?: number;
	/** "holm" controls the family-wise error (any cell falsely significant); "bh" the false discovery rate. @default "holm" */
	method?: "holm" | "bh";
	/** A cell with fewer units in an arm is flagged. @default 100 */
	minUnitsPerArm?: number;
}

/** A cell with its adjusted p-value and whether it is too small to read. */
export interface CorrectedCell {
	key: string;
	pValue: number;
	adjustedPValue: number;
	/** adjustedPValue ≤ alpha. */
	significant: boolean;
	smallCell: boolean;
}

/** The cells of one breakdown corrected as one family. */
export interface BreakdownCorrection extends ResultBase {
	alpha: number;
	cells: CorrectedCell[];
}

/**
 * Multiple-comparison correction across the cells of one breakdown (one metric by one dimension): the cells are one
 * family, adjusted with {@link holmBonferroni} (default) or {@link benjaminiHochberg}; cells with fewer than
 * `minUnitsPerArm` units in an arm are flagged and a "too-few-units" warning names them. Reading 8 cells
 * uncorrected, some cell is "significant" in about 1 − 0.95⁸ ≈ 34% of A/A tests; corrected, in at most 5%.
 *
 * @example
 * breakdownCorrection([{ key: "iOS", pValue: 0.01, units: [900, 880] }, { key: "PC", pValue: 0.04, units: [40, 38] }]);
 * // cells: [{ key: "iOS", adjustedPValue: 0.02, significant: true, … }, { key: "PC", adjustedPValue: 0.04, smallCell: true, … }]
 */
export function breakdownCorrection(
	cells: readonly BreakdownCell[],
	options: BreakdownCorrectionOptions = {},
): BreakdownCorrection {
	const alpha = options.alpha ?? 0.05;
	const minUnits = options.minUnitsPerArm ?? 100;
	const pValues = cells.map((c) => c.pValue);
	const family = options.method === "bh" ? benjaminiHochberg(pValues, alpha) : holmBonferroni(pValues, alpha);
	const corrected = cells.map((cell, i) => ({
		key: cell.key,
		pValue: cell.pValue,
		adjustedPValue: family.adjusted[i] as number,
		significant: family.rejected[i] as boolean,
		smallCell: cell.units.some((u) => u < minUnits),
	}));
	const small = corrected.filter((c) => c.smallCell).map((c) => c.key);
	return {
		method: `${family.method} across ${cells.length} breakdown cells`,
		assumptions: [...family.assumptions, "each cell's p-value is valid on its own (enough units per arm)"],
		warnings: small.length
			? [
					{
						code: "too-few-units",
						message: `Cells with fewer than ${minUnits} units in an arm: ${small.join(", ")}. Their results are noisy; do not act on them alone.`,
					},
				]
			: [],
		alpha,
		cells: corrected,
	};
}
