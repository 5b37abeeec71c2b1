// Guardrail alerts of a game's running experiments: each guardrail metric's always-valid comparisons, read the way
// the results page reads them (CUPED by default), for the dashboard overview and the daily digest.
import type { DigestAlertSource } from "../digest/payload.js";
import type { Store } from "../store/types.js";
import { DEFAULT_CUPED_LOOKBACK_DAYS } from "./results.js";
import type { ResultsAnalyzer } from "./results-analyzer.js";
import { experimentInputBase, readMetricData } from "./results-input.js";
import type { ExperimentAlerts } from "./results-types.js";
import { withLatestLibraryMetrics } from "./metric-library.js";

export interface AlertsDeps {
	store: Store;
	analyzer: Pick<ResultsAnalyzer, "analyze">;
	clock: () => number;
}

/**
 * Guardrail regressions of the game's running experiments, from their start until now.
 * 1. running experiments only (a stopped one harms nobody any more; a draft has no data), by key;
 * 2. per guardrail metric: its units (CUPED covariate over {@link DEFAULT_CUPED_LOOKBACK_DAYS} days) and its
 *    comparisons in the results worker, without a daily series;
 * 3. a treatment that changes a guardrail in the bad direction, significantly on the always-valid test, is an alert;
 * 4. an experiment that cannot be read (e.g. before its start) is listed with the error, the others still are.
 *
 * @example
 * const { alerts } = await experimentAlerts({ store, analyzer: sharedResultsAnalyzer, clock: Date.now }, "123");
 */
export async function experimentAlerts(deps: AlertsDeps, gameId: string): Promise<ExperimentAlerts> {
	const now = deps.clock();
	const running = await deps.store.listExperiments({ gameId, status: "running" });
	const out: ExperimentAlerts = { at: new Date(now).toISOString(), alerts: [], experiments: [] };
	for (const stored of running.sort((a, b) => a.key.localeCompare(b.key))) {
		const record = await withLatestLibraryMetrics(deps.store, stored);
		const d = record.definition;
		const entry = { key: record.key, guardrails: d.guardrailMetrics.length, error: null as string | null };
		out.experiments.push(entry);
		const from = d.startAt ?? record.createdAt;
		const to = Math.min(d.endAt ?? now, now);
		if (d.guardrailMetrics.length === 0) continue;
		if (!(from < to)) {
			entry.error = "The experiment has not started yet.";
			continue;
		}
		try {
			const window = { from, to, lookbackDays: DEFAULT_CUPED_LOOKBACK_DAYS };
			for (const metric of d.guardrailMetrics) {
				const data = await readMetricData(deps.store, record, metric, "guardrail", window);
				const results = await deps.analyzer.analyze(
					{ ...experimentInputBase(record, window), metric: data, guardrails: [] },
					{ timeSeries: false },
				);
				out.alerts.push(...results.alerts);
			}
		} catch (error) {
			entry.error = error instanceof Error ? error.message : String(error);
		}
	}
	return out;
}

/**
 * The daily digest's guardrail section: {@link experimentAlerts} of the game, one line each.
 *
 * @example
 * startDigests({ store, logger, clock: Date.now, kpis, alerts: digestAlertSource({ store, analyzer, clock: Date.now }) });
 */
export function digestAlertSource(deps: AlertsDeps): DigestAlertSource {
	return async (gameId) => {
		const { alerts } = await experimentAlerts(deps, gameId);
		return alerts.map((a) => ({
			experiment: a.experiment,
			metric: a.metricName,
			variation: a.variation,
			message: a.message,
		}));
	};
}
