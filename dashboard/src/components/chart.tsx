// A daily time-series chart on uPlot: small, fast, canvas-drawn, no inline styles that the CSP would block (it sizes
// through the CSSOM). Follows the container's width, redraws on theme changes, and says in words what it shows,
// since a canvas is invisible to screen readers.
import uPlot from "uplot";
import { formatCompact, formatDate, formatDayTick } from "../format.js";
import { seriesStyle, withAlpha } from "../palette.js";
import type { DailySeries } from "../pages/overview-data.js";
import type { Theme } from "../theme.js";
import { useUPlot } from "./use-uplot.js";

export interface ChartProps {
	/** What the chart shows, e.g. "Daily active players": its accessible name. */
	label: string;
	data: DailySeries;
	/** Formats a y value for the legend and the spoken summary. */
	format: (value: number) => string;
	/** `spark`: a small line without axes or legend, for a KPI card. @default "main" */
	variant?: "main" | "spark";
	/** @default 260 (main), 44 (spark) */
	height?: number;
}

const DAY = 86_400;
// Daily data: ticks on whole days only (uPlot's default time steps would also try 12 h, 6 h, …).
const DAY_INCRS = [1, 2, 3, 7, 14, 28, 56, 91, 182, 364].map((d) => d * DAY);

/** One sentence a screen reader reads for the chart: range, then last, lowest and highest value of each series. */
export function chartSummary(label: string, data: DailySeries, format: (value: number) => string): string {
	const first = data.x[0];
	const last = data.x[data.x.length - 1];
	if (first === undefined || last === undefined) return `${label}: no data.`;
	const span = `${formatDate(dayString(first))} to ${formatDate(dayString(last))}`;
	const parts = data.series.map((s) => {
		const values = s.values.filter((v): v is number => v !== null);
		if (values.length === 0) return `${s.label}: no data`;
		const latest = values[values.length - 1]!;
		return `${s.label}: latest ${format(latest)}, lowest ${format(Math.min(...values))}, highest ${format(Math.max(...values))}`;
	});
	return `${label}, ${span}. ${parts.join("; ")}.`;
}

function dayString(seconds: number): string {
	return new Date(seconds * 1000).toISOString().slice(0, 10);
}

function cssVar(name: string): string {
	return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

function options(props: ChartProps, theme: Theme, width: number, ticks: string[][]): uPlot.Options {
	const spark = props.variant === "spark";
	const height = props.height ?? (spark ? 44 : 260);
	const axisColour = cssVar("--chart-axis");
	const gridColour = cssVar("--chart-grid");
	const font = "12px system-ui, sans-serif";
	// The labels uPlot drew, kept so the chart can say in the DOM what its axes read (tests check them too).
	const remember = (axis: number, labels: string[]) => {
		ticks[axis] = labels;
		return labels;
	};
	return {
		width,
		height,
		// Days are UTC midnights: ticks and labels in UTC, whatever the browser's zone.
		tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
		padding: spark ? [4, 2, 4, 2] : [12, 12, 0, 4],
		legend: { show: !spark },
		cursor: spark ? { show: false } : { points: { size: 7 } },
		select: { show: false, left: 0, top: 0, width: 0, height: 0 },
		scales: { x: { time: true } },
		axes: [
			{
				show: !spark,
				stroke: axisColour,
				font,
				grid: { show: false },
				ticks: { stroke: gridColour },
				incrs: DAY_INCRS,
				values: (_u, splits) => remember(0, splits.map(formatDayTick)),
			},
			{
				show: !spark,
				stroke: axisColour,
				font,
				size: 56,
				grid: { stroke: gridColour, width: 1 },
				ticks: { show: false },
				values: (_u, splits) => remember(1, splits.map(formatCompact)),
			},
		],
		series: [
			{ label: "Date", value: (_u, v) => (v === null ? "—" : formatDate(dayString(v))) },
			...props.data.series.map((s, i) => {
				const { stroke, dash } = seriesStyle(theme, i);
				return {
					label: s.label,
					stroke,
					dash,
					width: spark ? 1.5 : 2,
					spanGaps: false,
					points: { show: !spark && props.data.x.length <= 31, size: 5 },
					...(spark ? { fill: withAlpha(stroke, theme === "dark" ? 0.25 : 0.15) } : {}),
					value: (_u: uPlot, v: number | null) => (v === null ? "—" : props.format(v)),
				};
			}),
		],
	};
}

/**
 * A uPlot chart of daily series.
 *
 * @example
 * <Chart label="Daily active players" data={{ x, series: [{ label: "DAU", values }] }} format={formatInteger} />
 */
export function Chart(props: ChartProps) {
	const host = useUPlot(
		() => ({
			options: (theme, width, ticks) => options(props, theme, width, ticks),
			data: [props.data.x, ...props.data.series.map((s) => s.values)],
			summary: chartSummary(props.label, props.data, props.format),
		}),
		[props.data, props.label, props.format, props.variant, props.height],
	);

	return <div ref={host} class={`chart chart-${props.variant ?? "main"}`} />;
}
