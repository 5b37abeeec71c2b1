// Per-variation daily sums of an experiment metric (experimentMetricSums): engine-neutral semantics over the units an
// engine returns (ExperimentUnits), so every engine answers the same rows from the same per-unit values.
import { DAY_MS, isMeanMetric } from "../domain/experiments.js";
import type {
	ExperimentMetricQuery,
	ExperimentMetricRow,
	ExperimentUnits,
	ExperimentUnitsQuery,
} from "../domain/experiments.js";
import { MetricRequestError } from "../domain/metrics.js";

/**
 * The units query behind a sums query: the same units and metric, no covariate, no dimensions. Only mean metrics
 * have sums (a ratio or a quantile is not a sum of per-unit values): others throw {@link MetricRequestError}.
 *
 * @example
 * const rows = unitSums(await engine.units(sumsUnitsQuery(query)));
 */
export function sumsUnitsQuery(query: ExperimentMetricQuery): ExperimentUnitsQuery {
	if (!isMeanMetric(query.metric)) {
		throw new MetricRequestError(
			`${query.metric.type} metrics have no per-variation sums: read them per unit (experimentUnits)`,
		);
	}
	return { ...query, covariateLookbackDays: 0, dimensions: [] };
}

/**
 * Per-variation sums by UTC day of first exposure (units, sum, sum of squares) of per-unit values (already capped as
 * the metric says): what experimentMetricSums answers on every engine, ordered by day.
 *
 * @example
 * unitSums(units); // [{ variation: 0, multipleVariations: false, day: 20000, units: 2, sum: 3, sumSquares: 5 }, …]
 */
export function unitSums(units: ExperimentUnits): ExperimentMetricRow[] {
	const groups = new Map<string, ExperimentMetricRow>();
	for (let k = 0; k < units.count; k++) {
		const multipleVariations = units.multipleVariations[k] === 1;
		const variation = units.variation[k]!;
		const day = Math.floor(units.firstExposure[k]! / DAY_MS);
		const key = JSON.stringify([variation, multipleVariations, day]);
		let row = groups.get(key);
		if (!row) {
			row = { variation, multipleVariations, day, units: 0, sum: 0, sumSquares: 0 };
			groups.set(key, row);
		}
		const x = units.value[k]!;
		row.units += 1;
		row.sum += x;
		row.sumSquares += x * x;
	}
	return [...groups.values()].sort((a, b) => a.day - b.day);
}
