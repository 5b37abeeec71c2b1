// The daily digest's KPIs from the metrics engine: the overview of one local day against the day before.
import type { DigestKpi, DigestKpiSource } from "../digest/payload.js";
import type { Store } from "../store/types.js";
import { dateToDay } from "../warehouse/time-zone.js";
import type { OverviewKpi } from "./engine.js";

/**
 * @example
 * startDigests({ store, logger, clock: Date.now, kpis: metricsDigestKpis(store, Date.now) });
 */
export function metricsDigestKpis(store: Store, clock: () => number): DigestKpiSource {
	return async (gameId, date) => {
		const day = dateToDay(date);
		if (day === undefined) throw new Error(`not a date: ${date}`);
		const result = await store.warehouse.metric(
			gameId,
			{ metric: "overview", range: { from: day, to: day }, spec: { filters: [] } },
			clock(),
		);
		const kpis = (result.segments[0] as { kpis: OverviewKpi[] }).kpis;
		return kpis.map((k): DigestKpi => ({
			key: k.key,
			label: k.label,
			value: k.value,
			previous: k.previous,
			unit: k.unit,
		}));
	};
}
