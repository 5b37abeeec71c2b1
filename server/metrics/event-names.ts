// The event kinds a game sends, for pickers (funnel steps, trends, custom KPIs): read from the daily event rollup, so
// the list costs a few rows per kind and day whatever the event volume.
import { dayToDate } from "../warehouse/time-zone.js";
import type { DayRange, EventNameRow } from "./reader.js";
import type { EventNames } from "./schemas.js";

/**
 * The answer of `GET /v1/games/{gameId}/metrics/event-names` from the reader's rows.
 *
 * @example
 * eventNamesAnswer("1818", null, [{ type: "funnel", name: "onboarding", events: 40, lastDay: 20000 }]);
 * // → { events: [{ event: "funnel:onboarding", … }], funnels: [{ name: "onboarding", events: 40 }], … }
 */
export function eventNamesAnswer(gameId: string, range: DayRange | null, rows: readonly EventNameRow[]): EventNames {
	return {
		gameId,
		from: range ? dayToDate(range.from) : null,
		to: range ? dayToDate(range.to) : null,
		events: rows.map((r) => ({
			event: `${r.type}:${r.name}`,
			type: r.type,
			name: r.name,
			events: r.events,
			lastDate: dayToDate(r.lastDay),
		})),
		funnels: rows
			.filter((r) => r.type === "funnel")
			.map((r) => ({ name: r.name, events: r.events }))
			.sort((a, b) => a.name.localeCompare(b.name)),
	};
}
