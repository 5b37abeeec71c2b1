// Results broken down by a dimension (platform, country, new vs returning, any player attribute): the same comparisons
// within each cell, with a Holm correction across every cell × comparison (many cells make a chance "significant" cell
// likely) and a warning on cells too small to read.
import { holmBonferroni } from "../stats/index.js";
import { analyzeMetric, MIN_UNITS_PER_ARM, type ResultsInput, type ResultsOptions } from "./results.js";
import type { BreakdownCell, BreakdownResults, ResultsWarning } from "./results-types.js";
import type { BreakdownDimension, ExperimentUnits } from "./units.js";

/** Cells kept apart, largest first; smaller ones are merged into one "other" cell (a readable table, fewer tests). */
export const MAX_BREAKDOWN_CELLS = 20;

export interface BreakdownInput extends ResultsInput {
	dimension: BreakdownDimension;
}

export interface BreakdownOptions extends Pick<ResultsOptions, "difference" | "alpha" | "cuped"> {
	/** A cell with an arm under this many units gets a small-cell warning. @default {@link MIN_UNITS_PER_ARM} */
	minUnitsPerArm?: number;
	/** @default {@link MAX_BREAKDOWN_CELLS} */
	maxCells?: number;
}

/**
 * The metric's comparisons within each value of a dimension.
 * 1. units grouped by their value of the dimension (unknown values in one "unknown" cell);
 * 2. the `maxCells` largest values kept apart, the rest merged into one "other" cell (listed last);
 * 3. each cell analysed as results are (CUPED, both effects, robust relative interval; no daily series);
 * 4. the primary difference's p-values Holm-adjusted across every cell × comparison, so the chance of any false
 *    "significant" cell stays at alpha;
 * 5. a cell with an arm under `minUnitsPerArm` units is flagged small-cell.
 *
 * @example
 * analyzeBreakdown({ ...resultsInput, dimension: "platform" }); // { cells: [{ value: "mobile", … }, …] }
 */
export function analyzeBreakdown(input: BreakdownInput, options: BreakdownOptions = {}): BreakdownResults {
	const alpha = options.alpha ?? 0.05;
	const difference = options.difference ?? "relative";
	const minUnitsPerArm = options.minUnitsPerArm ?? MIN_UNITS_PER_ARM;
	const maxCells = options.maxCells ?? MAX_BREAKDOWN_CELLS;
	const values = input.units.dimensions[input.dimension];
	if (!values) throw new Error(`The units carry no "${input.dimension}" dimension.`);

	// 1–2. Cells.
	const groups = new Map<string | null, number[]>();
	for (let i = 0; i < input.units.count; i++) {
		const value = values[i] ?? null;
		let list = groups.get(value);
		if (!list) groups.set(value, (list = []));
		list.push(i);
	}
	const known = [...groups.entries()]
		.filter(([value]) => value !== null)
		.sort((a, b) => b[1].length - a[1].length || String(a[0]).localeCompare(String(b[0])));
	const kept = known.slice(0, maxCells);
	const rest = known.slice(maxCells);
	const cells: { value: string | null; kind: BreakdownCell["kind"]; merged: number; indices: number[] }[] = kept.map(
		([value, indices]) => ({ value, kind: "value", merged: 1, indices }),
	);
	const unknown = groups.get(null);
	if (unknown) cells.push({ value: null, kind: "unknown", merged: 1, indices: unknown });
	cells.sort((a, b) => b.indices.length - a.indices.length);
	if (rest.length > 0) {
		const indices = rest.flatMap(([, list]) => list).sort((a, b) => a - b);
		cells.push({ value: null, kind: "other", merged: rest.length, indices });
	}

	// 3. Each cell, as results.
	const analysed = cells.map((cell) => {
		const results = analyzeMetric(
			{ ...input, units: subsetUnits(input.units, cell.indices), plan: { targetEffect: null, plannedEnd: null } },
			{ difference, alpha, cuped: options.cuped ?? true, correction: "none", timeSeries: false, minUnitsPerArm },
		);
		return { cell, results };
	});

	// 4. Holm across every cell × comparison.
	const pValues = analysed.flatMap(({ results }) => results.comparisons.map((c) => c.frequentist.pValue));
	const adjusted = pValues.length > 0 ? holmBonferroni(pValues, alpha).adjusted : [];
	let next = 0;

	// 5. Cells out, with small-cell warnings.
	const out: BreakdownCell[] = analysed.map(({ cell, results }) => {
		const fewest = Math.min(...results.variations.map((v) => v.n));
		const warnings: ResultsWarning[] = results.warnings.filter((w) => w.code !== "too-few-units");
		if (fewest < minUnitsPerArm) {
			warnings.unshift({
				code: "small-cell",
				message:
					`An arm has only ${fewest} units in this cell (fewer than ${minUnitsPerArm}): its effects are noisy and ` +
					"the normal approximations behind them rough. Do not act on this cell alone.",
			});
		}
		return {
			value: cell.value,
			kind: cell.kind,
			merged: cell.merged,
			units: results.variations.reduce((s, v) => s + v.n, 0),
			variations: results.variations,
			comparisons: results.comparisons.map((c) => {
				const p = adjusted[next++]!;
				return {
					variation: c.variation,
					absolute: c.absolute,
					relative: c.relative,
					adjustedPValue: p,
					significant: p < alpha,
				};
			}),
			warnings,
		};
	});

	const { excluded, cuped } = analyzeMetric(
		{ ...input, plan: { targetEffect: null, plannedEnd: null } },
		{ difference, alpha, cuped: options.cuped ?? true, correction: "none", timeSeries: false, minUnitsPerArm },
	);
	const warnings: ResultsWarning[] = [];
	if (rest.length > 0) {
		warnings.push({
			code: "cells-merged",
			message: `${rest.length} smaller values are merged into the "other" cell (the ${maxCells} largest are shown apart).`,
		});
	}
	const small = out.filter((c) => c.warnings.some((w) => w.code === "small-cell")).length;
	if (small > 0) {
		warnings.push({
			code: "small-cell",
			message: `${small} of ${out.length} cells have an arm with fewer than ${minUnitsPerArm} units.`,
		});
	}
	return {
		experiment: input.experimentKey,
		metric: input.metric,
		dimension: input.dimension,
		from: new Date(input.from).toISOString(),
		to: new Date(input.to).toISOString(),
		difference,
		cuped,
		minUnitsPerArm,
		maxCells,
		correction: {
			method: "Holm–Bonferroni step-down across every cell × comparison",
			comparisons: pValues.length,
			alpha,
		},
		cells: out,
		excluded,
		warnings,
	};
}

/**
 * The units at `indices`, in that order, as their own ExperimentUnits.
 *
 * @example
 * subsetUnits(units, [0, 3]).count; // 2
 */
export function subsetUnits(units: ExperimentUnits, indices: readonly number[]): ExperimentUnits {
	const pick = <T extends Float64Array | Uint8Array>(array: T, make: (n: number) => T): T => {
		const out = make(indices.length);
		indices.forEach((i, j) => (out[j] = array[i]!));
		return out;
	};
	const f64 = (a: Float64Array | null) => (a === null ? null : pick(a, (n) => new Float64Array(n)));
	const dimensions: ExperimentUnits["dimensions"] = {};
	for (const [key, list] of Object.entries(units.dimensions) as [BreakdownDimension, (string | null)[]][]) {
		dimensions[key] = indices.map((i) => list[i] ?? null);
	}
	return {
		count: indices.length,
		variation: indices.map((i) => units.variation[i] ?? null),
		multipleVariations: pick(units.multipleVariations, (n) => new Uint8Array(n)),
		firstExposure: pick(units.firstExposure, (n) => new Float64Array(n)),
		value: pick(units.value, (n) => new Float64Array(n)),
		denominator: f64(units.denominator),
		covariate: f64(units.covariate),
		covariateDenominator: f64(units.covariateDenominator),
		dimensions,
		cap: units.cap,
	};
}
