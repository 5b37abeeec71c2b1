// What every analytics page does with a breakdown (segments in order of size, the largest few drawn, one picked to
// show in detail) and with its curves. Pure functions, tested on their own.
import { dateToSeconds } from "../dates.js";
import type { DailySeries } from "./overview-data.js";

/** Series a chart draws at most; the CSV has every segment. */
export const MAX_SERIES = 6;

/** A segment's name for people: the whole game without a breakdown. */
export function segmentLabel(segment: string | null): string {
	return segment ?? "All players";
}

/** Segments from the largest down (ties by name), as `size` measures them. */
export function bySize<T extends { segment: string | null }>(segments: readonly T[], size: (s: T) => number): T[] {
	return [...segments].sort(
		(a, b) => size(b) - size(a) || segmentLabel(a.segment).localeCompare(segmentLabel(b.segment)),
	);
}

/** The segment asked for by name, else the largest; undefined when there is none. */
export function pickSegment<T extends { segment: string | null }>(
	segments: readonly T[],
	wanted: string,
	size: (s: T) => number,
): T | undefined {
	return segments.find((s) => s.segment !== null && s.segment === wanted) ?? bySize(segments, size)[0];
}

/**
 * One daily line per segment (the largest few), for the daily Chart: x from the first segment's days (every segment
 * has one entry per day of the range).
 */
export function dailyBySegment<T extends { segment: string | null }, D extends { date: string }>(
	segments: readonly T[],
	size: (s: T) => number,
	days: (s: T) => readonly D[],
	value: (day: D) => number | null,
): DailySeries & { hidden: number } {
	const largest = bySize(segments, size).slice(0, MAX_SERIES);
	const first = segments[0];
	return {
		x: first ? days(first).map((d) => dateToSeconds(d.date)) : [],
		series: largest.map((s) => ({ label: segmentLabel(s.segment), values: days(s).map(value) })),
		hidden: segments.length - largest.length,
	};
}

/**
 * A day-N curve without its trailing days where no series has a value yet (day 90 of cohorts a week old): the axis
 * then spans what is known. Keeps at least the first two points.
 */
export function trimTrailingGaps<T extends { x: number[]; series: { values: (number | null)[] }[] }>(data: T): T {
	let end = data.x.length;
	while (end > 2 && data.series.every((s) => s.values[end - 1] === null || s.values[end - 1] === undefined)) end--;
	return {
		...data,
		x: data.x.slice(0, end),
		series: data.series.map((s) => ({ ...s, values: s.values.slice(0, end) })),
	};
}
