// The metrics that a segmented query reads from raw events instead of the rollups (economy, progression, products):
// how raw events make those rows, the same for every engine. An engine fetches the events of one type in the range with
// their local day and segment; these group them as the rollup fold would (warehouse/fold.ts), per segment.
import type { PropValue } from "../domain/ingest.js";
import type { EconomyRow, ProductRow, ProgressionRow, RawEventRow } from "../domain/metrics-reader.js";
import { productKey } from "../warehouse/fold.js";

/** A raw event with the local day it falls on in the game's time zone. */
export type DayEvent = RawEventRow & { day: number };

/** Economy sums per day, currency, flow, item and segment, from `economy` events. */
export function economyRows(events: Iterable<DayEvent>): EconomyRow[] {
	const groups = new Map<string, EconomyRow>();
	for (const e of events) {
		const str = (v: PropValue | undefined) => (v === undefined || v === null ? "" : String(v));
		const row: EconomyRow = {
			day: e.day,
			currency: str(e.props.currency),
			flow: str(e.props.flow),
			itemType: str(e.props.itemType),
			itemId: str(e.props.itemId),
			amount: 0,
			events: 0,
			segment: e.segment,
		};
		const key = JSON.stringify([row.day, row.currency, row.flow, row.itemType, row.itemId, row.segment]);
		const existing = groups.get(key) ?? row;
		existing.amount += typeof e.props.amount === "number" ? e.props.amount : 0;
		existing.events += 1;
		groups.set(key, existing);
	}
	return [...groups.values()];
}

/** Progression counts per day, path, status and segment (attempts and seconds where the event has them). */
export function progressionRows(events: Iterable<DayEvent>): ProgressionRow[] {
	const groups = new Map<string, ProgressionRow>();
	for (const e of events) {
		const status = e.props.status === undefined || e.props.status === null ? "" : String(e.props.status);
		const key = JSON.stringify([e.day, e.name, status, e.segment]);
		const row = groups.get(key) ?? {
			day: e.day,
			path: e.name,
			status,
			events: 0,
			attempts: 0,
			attemptsN: 0,
			seconds: 0,
			secondsN: 0,
			segment: e.segment,
		};
		row.events += 1;
		if (typeof e.props.attempt === "number") {
			row.attempts += e.props.attempt;
			row.attemptsN += 1;
		}
		if (typeof e.props.seconds === "number") {
			row.seconds += e.props.seconds;
			row.secondsN += 1;
		}
		groups.set(key, row);
	}
	return [...groups.values()];
}

/** Revenue and purchases per day, product and segment, from `purchase` events. */
export function productRows(events: Iterable<DayEvent>): ProductRow[] {
	const groups = new Map<string, ProductRow>();
	for (const e of events) {
		const product = productKey(e.name, e.props);
		const key = JSON.stringify([e.day, product, e.segment]);
		const row = groups.get(key) ?? { day: e.day, product, revenue: 0, purchases: 0, segment: e.segment };
		row.revenue += typeof e.props.robux === "number" ? e.props.robux : 0;
		row.purchases += 1;
		groups.set(key, row);
	}
	return [...groups.values()];
}
