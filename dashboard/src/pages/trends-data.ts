// The Trends & KPIs page's choices and numbers: events per day (count or players) from the trends metric, and a
// custom KPI (count, players, sum or mean of one event's prop, filtered and grouped) from the kpi metric. Pure
// functions, tested on their own.
import type { EventNamesAnswer, Kpi, Trends } from "../analytics-types.js";
import { dateToSeconds } from "../dates.js";
import { formatValue } from "../format.js";
import type { DailySeries } from "./overview-data.js";
import { MAX_SERIES, segmentLabel } from "./segments-data.js";

/** Events the trends metric takes at once. */
export const MAX_EVENTS = 10;
/** Events shown before the user picks any: the game's most frequent. */
export const DEFAULT_EVENT_COUNT = 3;
export const KPI_MEASURES = [
	{ value: "count", label: "Events (count)" },
	{ value: "users", label: "Players (distinct)" },
	{ value: "sum", label: "Sum of a prop" },
	{ value: "mean", label: "Mean of a prop" },
] as const;

const PROP = /^[A-Za-z0-9_]{1,128}$/;
const FILTER = /^([A-Za-z0-9_]{1,128})(!=|>=|<=|=|>|<)(.*)$/;

/** An event as the API names it: `type:name`, or the name alone. */
export function eventLabel(event: { type?: string | undefined; name: string }): string {
	return event.type ? `${event.type}:${event.name}` : event.name;
}

/** The events the trends chart shows: those in the URL, else the game's most frequent few. */
export function trendEvents(chosen: readonly string[], names: EventNamesAnswer): string[] {
	if (chosen.length > 0) return chosen.slice(0, MAX_EVENTS);
	return names.events.slice(0, DEFAULT_EVENT_COUNT).map((e) => e.event);
}

interface Line {
	label: string;
	total: number;
	days: readonly { date: string; value: number | null }[];
}

/** The largest lines by total (the CSV has them all), in the order asked for, so colours follow the list. */
function daily(lines: Line[]): DailySeries & { hidden: number } {
	const largest = new Set([...lines].sort((a, b) => b.total - a.total).slice(0, MAX_SERIES));
	const drawn = lines.filter((l) => largest.has(l));
	const first = lines[0];
	return {
		x: first ? first.days.map((d) => dateToSeconds(d.date)) : [],
		series: drawn.map((l) => ({ label: l.label, values: l.days.map((d) => d.value) })),
		hidden: lines.length - drawn.length,
	};
}

/** One line per event (per event and segment with a breakdown). */
export function trendsChart(answer: Trends): DailySeries & { hidden: number } {
	const segmented = answer.breakdown !== null;
	return daily(
		answer.segments.flatMap((s) =>
			s.events.map((e) => ({
				label: segmented ? `${eventLabel(e.event)} · ${segmentLabel(s.segment)}` : eventLabel(e.event),
				total: e.total,
				days: e.days ?? [],
			})),
		),
	);
}

/** One line per group (per group and segment with a breakdown); without groupBy, one line named by the event. */
export function kpiChart(answer: Kpi, event: string): DailySeries & { hidden: number } {
	const segmented = answer.breakdown !== null;
	return daily(
		answer.segments.flatMap((s) =>
			s.groups.map((g) => {
				const name = g.group ?? event;
				return {
					label: segmented ? `${name} · ${segmentLabel(s.segment)}` : name,
					total: g.total ?? 0,
					days: g.days,
				};
			}),
		),
	);
}

/** The KPI's totals over the range: one row per segment and group. */
export function kpiTotals(answer: Kpi, event: string): { key: string; cells: string[] }[] {
	return answer.segments.flatMap((s) =>
		s.groups.map((g) => ({
			key: `${s.segment ?? ""}\n${g.group ?? ""}`,
			cells: [
				[s.segment === null ? null : segmentLabel(s.segment), g.group].filter((x) => x !== null).join(" · ") || event,
				formatValue(g.total, "count"),
			],
		})),
	);
}

/** A prop filter as the API reads it (`prop=value`, `prop!=value`, `prop>3`, …), or what is wrong with it. */
export function checkWhere(text: string): string | undefined {
	const match = FILTER.exec(text.trim());
	if (!match) return `"${text}" must be prop=value, prop!=value, prop>n, prop>=n, prop<n or prop<=n`;
	const op = match[2]!;
	const value = match[3]!;
	if (op !== "=" && op !== "!=" && (value.trim() === "" || !Number.isFinite(Number(value)))) {
		return `"${text}": ${op} compares with a number`;
	}
	return undefined;
}

// A type, not an interface: it is the page's URL parameters as they are (an index-signature record).
export type KpiParams = {
	kpiEvent: string;
	kpiMeasure: string;
	property: string;
	where: readonly string[];
	groupBy: string;
};

/**
 * The kpi metric's parameters for the builder's fields, or the first problem with them (said before asking):
 * 1. an event is needed;
 * 2. the measure is one of count, users, sum, mean;
 * 3. sum and mean need the prop to add up, and a prop name is letters, digits and _;
 * 4. every where filter reads as the API reads it; groupBy is a prop name.
 */
export function kpiQuery(p: KpiParams): { params: Record<string, string | string[]> } | { problem: string } {
	if (p.kpiEvent === "") return { problem: "Choose an event." };
	if (!KPI_MEASURES.some((m) => m.value === p.kpiMeasure)) return { problem: "Choose what to measure." };
	const property = p.property.trim();
	if ((p.kpiMeasure === "sum" || p.kpiMeasure === "mean") && property === "") {
		return { problem: `A ${p.kpiMeasure} needs the numeric prop to add up.` };
	}
	if (property !== "" && !PROP.test(property)) return { problem: `"${property}" is not a prop name (A-Z a-z 0-9 _).` };
	for (const w of p.where) {
		const problem = checkWhere(w);
		if (problem) return { problem };
	}
	const groupBy = p.groupBy.trim();
	if (groupBy !== "" && !PROP.test(groupBy)) return { problem: `"${groupBy}" is not a prop name (A-Z a-z 0-9 _).` };
	return {
		params: {
			event: p.kpiEvent,
			measure: p.kpiMeasure,
			...(property !== "" && p.kpiMeasure !== "count" && p.kpiMeasure !== "users" && { property }),
			where: [...p.where],
			...(groupBy !== "" && { groupBy }),
		},
	};
}

/** A KPI value in its unit: players for users, counts otherwise (sums and means of any prop). */
export function formatKpi(measure: string): (value: number) => string {
	return (value) => formatValue(value, measure === "users" ? "players" : "count");
}
