// A uPlot chart for what the daily Chart does not draw: x as days, day numbers (retention and LTV curves) or
// categories (funnel steps, levels), and series as lines or grouped bars. Sized through the CSSOM like Chart, redrawn
// on theme changes, named for screen readers with a one-sentence summary, and its axis labels kept in data attributes.
import uPlot from "uplot";
import { formatCompact, formatDate, formatDayTick } from "../format.js";
import { seriesStyle, withAlpha } from "../palette.js";
import type { Theme } from "../theme.js";
import { useUPlot } from "./use-uplot.js";

export interface PlotSeries {
	label: string;
	values: (number | null)[];
	/** Drawn as bars (grouped side by side with the other bar series) instead of a line. */
	bars?: boolean;
}

export interface PlotData {
	/** Unix seconds of UTC midnights (`date`), numbers (`number`), or 0, 1, 2, … (`category`). */
	x: number[];
	series: PlotSeries[];
}

/** What the x axis counts. */
export type PlotAxis =
	| { kind: "date" }
	| {
			kind: "number";
			/** Axis title, e.g. "Days after install". */
			title: string;
			/** A value as text, e.g. 7 → "day 7" (legend and summary). */
			format: (value: number) => string;
	  }
	| {
			kind: "category";
			/** What a category is, e.g. "Step" (legend). */
			title: string;
			labels: string[];
	  };

export interface PlotProps {
	/** What the chart shows: its accessible name. */
	label: string;
	data: PlotData;
	x: PlotAxis;
	/** Formats a y value (legend, summary). */
	format: (value: number) => string;
	/** Formats the y axis' ticks. @default compact numbers (1.2K) */
	yFormat?: (value: number) => string;
	/** @default 280 */
	height?: number;
}

const DAY = 86_400;
const DAY_INCRS = [1, 2, 3, 7, 14, 28, 56, 91, 182, 364].map((d) => d * DAY);
const NUMBER_INCRS = [1, 2, 5, 7, 10, 14, 28, 30, 60, 90, 180, 365];
/** Share of a column the group of bars fills. */
const GROUP = 0.8;
const MAX_LABEL = 16;

function xText(axis: PlotAxis, value: number): string {
	switch (axis.kind) {
		case "date":
			return formatDate(new Date(value * 1000).toISOString().slice(0, 10));
		case "number":
			return axis.format(value);
		case "category":
			return axis.labels[value] ?? "";
	}
}

/** One sentence for screen readers: what x covers, then each series' lowest and highest value and where. */
export function plotSummary(label: string, data: PlotData, x: PlotAxis, format: (value: number) => string): string {
	if (data.x.length === 0) return `${label}: no data.`;
	const span = `${xText(x, data.x[0]!)} to ${xText(x, data.x[data.x.length - 1]!)}`;
	const parts = data.series.map((s) => {
		let low: number | undefined;
		let high: number | undefined;
		s.values.forEach((v, i) => {
			if (v === null) return;
			if (low === undefined || v < s.values[low]!) low = i;
			if (high === undefined || v > s.values[high]!) high = i;
		});
		if (low === undefined || high === undefined) return `${s.label}: no data`;
		const at = (i: number) => `${format(s.values[i]!)} (${xText(x, data.x[i]!)})`;
		return `${s.label}: lowest ${at(low)}, highest ${at(high)}`;
	});
	return `${label}, ${span}. ${parts.join("; ")}.`;
}

/** Smallest distance between neighbouring x values (the width of a bar column); 1 for a single point. */
export function columnStep(x: readonly number[]): number {
	let step = Infinity;
	for (let i = 1; i < x.length; i++) step = Math.min(step, x[i]! - x[i - 1]!);
	return Number.isFinite(step) && step > 0 ? step : 1;
}

function shorten(text: string): string {
	return text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text;
}

function cssVar(name: string): string {
	return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

function options(props: PlotProps, theme: Theme, width: number, ticks: string[][]): uPlot.Options {
	const { x: axis, data } = props;
	const axisColour = cssVar("--chart-axis");
	const gridColour = cssVar("--chart-grid");
	const font = "12px system-ui, sans-serif";
	const remember = (i: number, labels: string[]) => {
		ticks[i] = labels;
		return labels;
	};
	const step = axis.kind === "category" ? 1 : columnStep(data.x);
	const barSeries = data.series.filter((s) => s.bars);
	const hasBars = barSeries.length > 0;
	const slot = (GROUP * step) / Math.max(barSeries.length, 1);

	const xAxis: uPlot.Axis = {
		stroke: axisColour,
		font,
		grid: { show: false },
		ticks: { stroke: gridColour },
	};
	if (axis.kind === "date") {
		xAxis.incrs = DAY_INCRS;
		xAxis.values = (_u, splits) => remember(0, splits.map(formatDayTick));
	} else if (axis.kind === "number") {
		xAxis.incrs = NUMBER_INCRS;
		xAxis.label = axis.title;
		xAxis.labelSize = 20;
		xAxis.labelFont = font;
		xAxis.values = (_u, splits) =>
			remember(
				0,
				splits.map((v) => String(v)),
			);
	} else {
		const labels = axis.labels;
		// Every category, or every n-th when their labels would overlap.
		xAxis.splits = (u) => {
			const longest = Math.max(...labels.map((l) => shorten(l).length), 1);
			const room = u.bbox.width / devicePixelRatio / Math.max(labels.length, 1);
			const every = Math.max(1, Math.ceil((longest * 7 + 8) / room));
			return labels.map((_, i) => i).filter((i) => i % every === 0);
		};
		xAxis.values = (_u, splits) =>
			remember(
				0,
				splits.map((i) => shorten(labels[i] ?? "")),
			);
	}

	let barIndex = 0;
	const series: uPlot.Series[] = data.series.map((s, i) => {
		const { stroke, dash } = seriesStyle(theme, i);
		const value = (_u: uPlot, v: number | null) => (v === null ? "—" : props.format(v));
		if (!s.bars) {
			return {
				label: s.label,
				stroke,
				dash,
				width: 2,
				spanGaps: false,
				points: { show: data.x.length <= 31, size: 5 },
				value,
			};
		}
		const k = barIndex++;
		return {
			label: s.label,
			stroke,
			fill: withAlpha(stroke, theme === "dark" ? 0.85 : 0.8),
			width: 1,
			points: { show: false },
			value,
			paths: uPlot.paths.bars!({
				disp: {
					x0: { unit: 1, values: (u) => (u.data[0] as number[]).map((x) => x - (GROUP * step) / 2 + k * slot) },
					size: { unit: 1, values: (u) => (u.data[0] as number[]).map(() => slot * 0.9) },
				},
			}),
		};
	});

	return {
		width,
		height: props.height ?? 280,
		tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
		padding: [12, 12, 0, 4],
		legend: { show: true },
		cursor: { points: { size: 7 } },
		select: { show: false, left: 0, top: 0, width: 0, height: 0 },
		scales: {
			x: {
				time: axis.kind === "date",
				// Bars need half a column of room at each end.
				range: (_u, min, max) => (hasBars || axis.kind === "category" ? [min - step / 2, max + step / 2] : [min, max]),
			},
			// From zero (or below it, for negative bars), so bar heights compare.
			y: { range: (_u, min, max) => uPlot.rangeNum(Math.min(0, min), Math.max(0, max, 1e-9), 0.1, true) },
		},
		axes: [
			xAxis,
			{
				stroke: axisColour,
				font,
				size: 56,
				grid: { stroke: gridColour, width: 1 },
				ticks: { show: false },
				values: (_u, splits) => remember(1, splits.map(props.yFormat ?? formatCompact)),
			},
		],
		series: [
			{ label: axis.kind === "date" ? "Date" : axis.title, value: (_u, v) => (v === null ? "—" : xText(axis, v)) },
			...series,
		],
	};
}

function axisKey(axis: PlotAxis): string {
	if (axis.kind === "date") return "date";
	return `${axis.kind}\n${axis.title}\n${axis.kind === "category" ? axis.labels.join("\n") : ""}`;
}

/**
 * A uPlot chart of lines and grouped bars over dates, day numbers or categories.
 *
 * @example
 * <Plot label="Players per step" x={{ kind: "category", title: "Step", labels: ["spawned", "first level"] }}
 *   data={{ x: [0, 1], series: [{ label: "Players", values: [120, 80], bars: true }] }} format={formatInteger} />
 */
export function Plot(props: PlotProps) {
	const host = useUPlot(
		() => ({
			options: (theme, width, ticks) => options(props, theme, width, ticks),
			data: [props.data.x, ...props.data.series.map((s) => s.values)],
			summary: plotSummary(props.label, props.data, props.x, props.format),
		}),
		// The axis by its content: pages may build it anew on every render.
		[props.data, props.label, props.format, props.yFormat, axisKey(props.x), props.height],
	);

	return <div ref={host} class="chart chart-main chart-plot" />;
}
