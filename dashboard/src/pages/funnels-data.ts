// The Funnels page's choices and numbers: which funnel the view asks for (a tracked funnel by name, or steps built
// from events), the players-per-step chart and the step table. Pure functions, tested on their own.
import type { EventNamesAnswer, Funnel } from "../analytics-types.js";
import type { PlotData } from "../components/plot.js";
import { formatDuration, formatValue } from "../format.js";
import { bySize, MAX_SERIES, segmentLabel } from "./segments-data.js";

export type FunnelSegment = Funnel["segments"][number];

/** Steps a funnel has at most, and at least, as the API allows. */
export const MAX_STEPS = 10;
export const MIN_STEPS = 2;
/** The API's conversion window bounds and default, in days. */
export const WINDOW_MIN = 1;
export const WINDOW_MAX = 90;
export const DEFAULT_WINDOW = "14";

/** What the page's URL says about the funnel. */
export interface FunnelParams {
	/** `tracked` (Vantage.funnelStep) or `events` (steps built from event names). */
	source: string;
	funnel: string;
	steps: readonly string[];
	window: string;
}

/** What to ask the API for, or why nothing can be asked yet. */
export type FunnelChoice =
	| { kind: "funnel"; funnel: string }
	| { kind: "steps"; steps: string[] }
	| { kind: "none"; reason: "no-funnels" | "few-steps" };

/**
 * The funnel the view shows:
 * 1. steps from events when asked for and at least two are chosen (fewer: ask for more);
 * 2. the tracked funnel named in the URL;
 * 3. else the first tracked funnel the game has;
 * 4. none yet: the page explains funnelStep or the step builder.
 */
export function funnelChoice(params: FunnelParams, names: EventNamesAnswer): FunnelChoice {
	if (params.source === "events") {
		const steps = params.steps.filter((s) => s !== "").slice(0, MAX_STEPS);
		return steps.length >= MIN_STEPS ? { kind: "steps", steps } : { kind: "none", reason: "few-steps" };
	}
	if (params.funnel !== "") return { kind: "funnel", funnel: params.funnel };
	const first = names.funnels[0];
	return first ? { kind: "funnel", funnel: first.name } : { kind: "none", reason: "no-funnels" };
}

/** The conversion window in whole days within the API's bounds (a bad URL value falls back to the default). */
export function windowDays(text: string): number {
	const n = Number(text);
	return Number.isInteger(n) && n >= WINDOW_MIN && n <= WINDOW_MAX ? n : Number(DEFAULT_WINDOW);
}

/** The funnel metric's own parameters for a choice. */
export function funnelQuery(choice: FunnelChoice, window: string): Record<string, string> {
	const w = String(windowDays(window));
	if (choice.kind === "funnel") return { funnel: choice.funnel, window: w };
	if (choice.kind === "steps") return { steps: choice.steps.join(","), window: w };
	return {};
}

/** The events a step can be, most frequent first: funnel events are left out (a tracked funnel is chosen whole). */
export function stepOptions(names: EventNamesAnswer): { value: string; label: string }[] {
	return names.events
		.filter((e) => e.type !== "funnel")
		.map((e) => ({ value: e.event, label: `${e.event} (${formatValue(e.events, "count")})` }));
}

/** Players reaching each step as bars: one series per segment (the largest few by players entered). */
export function funnelChart(answer: Funnel): PlotData & { labels: string[]; hidden: number } {
	const segments = bySize(answer.segments, (s) => s.entered).slice(0, MAX_SERIES);
	const labels = (answer.segments[0]?.steps ?? []).map((s) => `${s.step}. ${s.name}`);
	return {
		labels,
		x: labels.map((_, i) => i),
		series: segments.map((s) => ({
			label: segmentLabel(s.segment),
			values: labels.map((_, i) => s.steps[i]?.players ?? 0),
			bars: true,
		})),
		hidden: answer.segments.length - segments.length,
	};
}

const seconds = (value: number | null) => (value === null ? "—" : formatDuration(value));

/** The step table of one segment: players, conversion from step 1 and from the step before, drop-off, times. */
export function funnelRows(segment: FunnelSegment): { key: string; cells: string[] }[] {
	return segment.steps.map((s) => ({
		key: String(s.step),
		cells: [
			`${s.step}. ${s.name}`,
			formatValue(s.players, "players"),
			formatValue(s.conversionRate, "ratio"),
			s.step === 1 ? "—" : formatValue(s.stepConversionRate, "ratio"),
			s.step === 1 ? "—" : formatValue(s.dropOff, "players"),
			seconds(s.medianSecondsFromPrevious),
			seconds(s.medianSecondsFromStart),
		],
	}));
}

export const FUNNEL_COLUMNS = [
	{ label: "Step" },
	{ label: "Players", numeric: true },
	{ label: "Conversion from step 1", numeric: true },
	{ label: "From previous step", numeric: true },
	{ label: "Drop-off", numeric: true },
	{ label: "Median time from previous", numeric: true },
	{ label: "Median time from step 1", numeric: true },
];

/** Whether anyone entered the funnel in the range, in any segment. */
export function hasEntries(answer: Funnel): boolean {
	return answer.segments.some((s) => s.entered > 0);
}
