// The Progression page's numbers, from the metrics API's progression answer: per level, attempts started, completed
// and failed, and the completion and fail rates. Pure functions, tested on their own.
import type { Progression } from "../analytics-types.js";
import type { PlotData } from "../components/plot.js";
import { formatDuration, formatValue } from "../format.js";

export type ProgressionSegment = Progression["segments"][number];
type Level = ProgressionSegment["levels"][number];

/** Levels a chart draws at most (in play order); the table and CSV have them all. */
export const MAX_LEVELS = 40;

/** Levels in play order: "World1:Level2" before "World1:Level10" (numbers compared as numbers). */
export function sortLevels(levels: readonly Level[]): Level[] {
	return [...levels].sort((a, b) => a.path.localeCompare(b.path, "en", { numeric: true }));
}

/** Whether any segment has a progression event. */
export function hasLevels(answer: Progression): boolean {
	return answer.segments.some((s) => s.levels.length > 0);
}

/** A segment's size for picking the largest: its level starts. */
export function progressionSize(segment: ProgressionSegment): number {
	return segment.levels.reduce((a, l) => a + l.starts, 0);
}

/** Starts, completes and fails per level as grouped bars. */
export function countsChart(segment: ProgressionSegment): PlotData & { labels: string[]; hidden: number } {
	const levels = sortLevels(segment.levels);
	const drawn = levels.slice(0, MAX_LEVELS);
	return {
		labels: drawn.map((l) => l.path),
		x: drawn.map((_, i) => i),
		series: [
			{ label: "Starts", values: drawn.map((l) => l.starts), bars: true },
			{ label: "Completes", values: drawn.map((l) => l.completes), bars: true },
			{ label: "Fails", values: drawn.map((l) => l.fails), bars: true },
		],
		hidden: levels.length - drawn.length,
	};
}

/** Completion and fail rates per level as grouped bars. */
export function ratesChart(segment: ProgressionSegment): PlotData & { labels: string[] } {
	const drawn = sortLevels(segment.levels).slice(0, MAX_LEVELS);
	return {
		labels: drawn.map((l) => l.path),
		x: drawn.map((_, i) => i),
		series: [
			{ label: "Completion rate", values: drawn.map((l) => l.completionRate), bars: true },
			{ label: "Fail rate", values: drawn.map((l) => l.failRate), bars: true },
		],
	};
}

/** The level table in play order. */
export function levelRows(segment: ProgressionSegment): { key: string; cells: string[] }[] {
	return sortLevels(segment.levels).map((l) => ({
		key: l.path,
		cells: [
			l.path,
			formatValue(l.starts, "count"),
			formatValue(l.completes, "count"),
			formatValue(l.fails, "count"),
			formatValue(l.completionRate, "ratio"),
			formatValue(l.failRate, "ratio"),
			l.attemptsToComplete === null ? "—" : l.attemptsToComplete.toFixed(1),
			l.meanSecondsToComplete === null ? "—" : formatDuration(l.meanSecondsToComplete),
		],
	}));
}

export const LEVEL_COLUMNS = [
	{ label: "Level" },
	{ label: "Starts", numeric: true },
	{ label: "Completes", numeric: true },
	{ label: "Fails", numeric: true },
	{ label: "Completion rate", numeric: true },
	{ label: "Fail rate", numeric: true },
	{ label: "Attempts to complete", numeric: true },
	{ label: "Mean time to complete", numeric: true },
];
