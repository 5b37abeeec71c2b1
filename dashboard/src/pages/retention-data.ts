// The Retention page's numbers, from the metrics API's retention answer: the cohort × day heatmap's rows and the
// average curve. Pure functions, tested on their own.
import type { Retention } from "../analytics-types.js";
import type { HeatCell, HeatRow } from "../components/heat-table.js";
import type { PlotData } from "../components/plot.js";
import { formatDate, formatValue } from "../format.js";
import { bySize, MAX_SERIES, segmentLabel, trimTrailingGaps } from "./segments-data.js";

export type RetentionSegment = Retention["segments"][number];

/** The day sets offered (the API takes any list or range). */
export const DAY_PRESETS = [
	{ value: "0,1,3,7,14,30", label: "Days 0, 1, 3, 7, 14 and 30" },
	{ value: "0-30", label: "Every day from 0 to 30" },
	{ value: "1,7,30", label: "Days 1, 7 and 30" },
	{ value: "0-7", label: "Every day from 0 to 7" },
] as const;
export const DEFAULT_DAYS: string = DAY_PRESETS[0].value;

/** Largest day N and most days, as the API allows them. */
const MAX_DAY = 365;
const MAX_DAYS = 120;

/**
 * A day set as the API reads it: `1,7,30`, `0-30` or both (`0-7,14,30`); sorted distinct days, or what is wrong with
 * the text (said before the request, rather than as the server's 400).
 */
export function parseDaySet(text: string): number[] | string {
	const days = new Set<number>();
	for (const raw of text.split(",")) {
		const part = raw.trim();
		const range = /^(\d+)\s*-\s*(\d+)$/.exec(part);
		if (range) {
			const a = Number(range[1]);
			const b = Number(range[2]);
			if (a > b || b > MAX_DAY) return `"${part}": a range a-b needs a ≤ b ≤ ${MAX_DAY}`;
			for (let d = a; d <= b; d++) days.add(d);
		} else if (/^\d+$/.test(part) && Number(part) <= MAX_DAY) days.add(Number(part));
		else return `"${part}" is not a day from 0 to ${MAX_DAY}`;
	}
	if (days.size > MAX_DAYS) return `at most ${MAX_DAYS} days`;
	return [...days].sort((a, b) => a - b);
}

/** The day set as the API parameter: ranges of 3+ consecutive days folded (`0-30`), the rest listed. */
export function formatDaySet(days: readonly number[]): string {
	const parts: string[] = [];
	for (let i = 0; i < days.length;) {
		let j = i;
		while (j + 1 < days.length && days[j + 1] === days[j]! + 1) j++;
		if (j - i >= 2) parts.push(`${days[i]}-${days[j]}`);
		else for (let k = i; k <= j; k++) parts.push(String(days[k]));
		i = j + 1;
	}
	return parts.join(",");
}

/**
 * The heat level 0-9 of a retention rate. On a square-root scale: retention past day 1 is mostly under 30%, which a
 * linear scale would paint nearly alike, while day 0 is always near 100%.
 */
export function heatLevel(rate: number | null): number | null {
	if (rate === null) return null;
	return Math.max(0, Math.min(9, Math.floor(Math.sqrt(Math.max(0, rate)) * 10)));
}

/** A cell; `of` is the cohort's size (the average's base varies by day: cohorts whose day N ended). */
function cell(day: number, players: number | null, rate: number | null, of?: number): HeatCell {
	if (rate === null || players === null) return { text: "—", level: null, title: `Day ${day} has not ended yet` };
	const count = of === undefined ? `${players} players` : `${players} of ${of} players`;
	return { text: formatValue(rate, "ratio"), level: heatLevel(rate), title: `Day ${day}: ${count}` };
}

/** The heatmap of one segment: all cohorts together first, then each install day from the oldest. */
export function retentionRows(segment: RetentionSegment): HeatRow[] {
	return [
		{
			key: "all",
			label: "All cohorts",
			detail: formatValue(segment.players, "players"),
			cells: segment.average.map((d) => cell(d.day, d.players, d.rate)),
			summary: true,
		},
		...[...segment.cohorts]
			.sort((a, b) => a.cohort.localeCompare(b.cohort))
			.map((c) => ({
				key: c.cohort,
				label: formatDate(c.cohort),
				detail: formatValue(c.players, "players"),
				cells: c.days.map((d) => cell(d.day, d.players, d.rate, c.players)),
			})),
	];
}

/** The day numbers the answer covers (every segment's average has one cell per day asked for). */
export function answerDays(answer: Retention): number[] {
	return (answer.segments[0]?.average ?? []).map((a) => a.day);
}

/** The heatmap's column headers. */
export function dayColumns(days: readonly number[]): string[] {
	return days.map((d) => `Day ${d}`);
}

/** The curve: average retention by day N, one line per segment (the largest few with a breakdown). */
export function retentionCurve(answer: Retention): PlotData & { hidden: number } {
	const segments = bySize(answer.segments, (s) => s.players).slice(0, MAX_SERIES);
	const days = answerDays(answer);
	return trimTrailingGaps({
		x: days,
		series: segments.map((s) => ({
			label: segmentLabel(s.segment),
			values: days.map((day) => s.average.find((a) => a.day === day)?.rate ?? null),
		})),
		hidden: answer.segments.length - segments.length,
	});
}

/** Whether any cohort has a player (else the page says how to get some). */
export function hasCohorts(answer: Retention): boolean {
	return answer.segments.some((s) => s.players > 0);
}
