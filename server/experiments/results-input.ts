// What the results routes, the alerts and the digest read from the store before the statistics run: one metric's
// units (with the CUPED covariate and any breakdown dimensions) and the experiment's part of the results input.
import type { ExperimentRecord, Store } from "../store/types.js";
import { plannedEnd } from "./experiment.js";
import type { MetricDefinition } from "./metric.js";
import type { ExperimentInput, MetricData } from "./results.js";
import type { BreakdownDimension } from "./units.js";

/** The exposure window (unix ms) and the CUPED lookback (days; 0 for none). */
export interface ResultsWindow {
	from: number;
	to: number;
	lookbackDays: number;
}

/**
 * One metric's units over the window, forced QA users left out.
 *
 * @example
 * await readMetricData(store, record, record.definition.primaryMetric!, "primary", { from, to, lookbackDays: 14 });
 */
export async function readMetricData(
	store: Store,
	record: ExperimentRecord,
	metric: MetricDefinition,
	role: MetricData["role"],
	window: ResultsWindow,
	dimensions: readonly BreakdownDimension[] = [],
): Promise<MetricData> {
	const units = await store.experimentUnits({
		gameId: record.gameId,
		experimentKey: record.key,
		from: window.from,
		to: window.to,
		metric,
		excludeUserIds: Object.keys(record.definition.forcedVariations).map(Number),
		// CUPED does not apply to quantiles: no covariate to read for them.
		covariateLookbackDays: metric.type === "quantile" ? 0 : window.lookbackDays,
		dimensions,
	});
	return { metric, role, units };
}

/**
 * The experiment's part of a results input: its variations, assignment, window and plan.
 *
 * @example
 * analyzer.analyze({ ...experimentInputBase(record, window), metric, guardrails });
 */
export function experimentInputBase(
	record: ExperimentRecord,
	window: ResultsWindow,
): Omit<ExperimentInput, "metric" | "guardrails"> {
	const d = record.definition;
	return {
		experimentKey: record.key,
		variations: d.variations,
		assignment: d.assignment,
		from: window.from,
		to: window.to,
		lookbackDays: window.lookbackDays,
		plan: { targetEffect: d.targetEffect ?? null, plannedEnd: plannedEnd(d) },
	};
}
