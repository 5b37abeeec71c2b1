// Pieces the analytics pages (Retention, Funnels, Revenue, Economy, Progression, Trends) share: a titled panel with
// its CSV link, the segment chooser for a breakdown, a row of headline numbers, a plain data table, and the notes for
// a breakdown a metric cannot take.
import type { ComponentChildren } from "preact";
import { metricPath } from "../api.js";
import type { DateRange } from "../dates.js";
import type { ViewState } from "../url-state.js";
import { segmentLabel } from "./segments-data.js";

type Params = Record<string, string | readonly string[] | undefined>;

/** A metric's CSV for the page's range, breakdown and filters (and the metric's own parameters). */
export function csvPath(
	state: ViewState & { game: string },
	range: DateRange,
	metric: string,
	params: Params = {},
): string {
	return metricPath(state.game, metric, {
		...range,
		breakdown: state.breakdown,
		filter: state.filters,
		...params,
		format: "csv",
	});
}

/** A metric's JSON for the page's range, breakdown and filters. */
export function jsonPath(
	state: ViewState & { game: string },
	range: DateRange,
	metric: string,
	params: Params = {},
): string {
	return metricPath(state.game, metric, { ...range, breakdown: state.breakdown, filter: state.filters, ...params });
}

/** A section with a title and, for a chart or table, the link to its data as CSV. */
export function Panel(props: {
	id: string;
	title: string;
	csv?: { href: string; what: string };
	children: ComponentChildren;
}) {
	return (
		<section class="panel" aria-labelledby={`${props.id}-title`} id={props.id}>
			<div class="panel-head">
				<h2 id={`${props.id}-title`}>{props.title}</h2>
				{props.csv ? (
					<a href={props.csv.href} download aria-label={`Download the data of the ${props.csv.what} as CSV`}>
						CSV
					</a>
				) : null}
			</div>
			{props.children}
		</section>
	);
}

/** With a breakdown: which segment the detailed numbers are for. */
export function SegmentChooser(props: {
	id: string;
	dimension: string;
	segments: (string | null)[];
	value: string | null;
	onChange: (segment: string) => void;
}) {
	if (props.segments.length < 2) return null;
	return (
		<div class="field segment-choice">
			<label for={props.id}>Show {props.dimension}</label>
			<select id={props.id} value={props.value ?? ""} onChange={(e) => props.onChange(e.currentTarget.value)}>
				{props.segments.map((s) => (
					<option key={s ?? ""} value={s ?? ""}>
						{segmentLabel(s)}
					</option>
				))}
			</select>
		</div>
	);
}

export interface Stat {
	label: string;
	value: string;
	/** One sentence on what the number is. */
	help?: string;
}

/** Headline numbers of a page, as a description list. */
export function Stats(props: { label: string; items: Stat[] }) {
	return (
		<dl class="stats" aria-label={props.label}>
			{props.items.map((s) => (
				<div key={s.label} class="stat">
					<dt>{s.label}</dt>
					<dd class="stat-value">{s.value}</dd>
					{s.help ? <dd class="stat-help">{s.help}</dd> : null}
				</div>
			))}
		</dl>
	);
}

export interface TableColumn {
	label: string;
	/** Right-aligned, tabular figures. */
	numeric?: boolean;
}

/** A plain table of rows (the first cell is the row's header), scrolling in its own box on a narrow screen. */
export function DataTable(props: {
	caption: string;
	columns: TableColumn[];
	rows: { key: string; cells: string[] }[];
}) {
	return (
		<div class="table-scroll" role="region" aria-label={props.caption} tabIndex={0}>
			<table class="data-table">
				<caption class="visually-hidden">{props.caption}</caption>
				<thead>
					<tr>
						{props.columns.map((c) => (
							<th key={c.label} scope="col" class={c.numeric ? "num" : undefined}>
								{c.label}
							</th>
						))}
					</tr>
				</thead>
				<tbody>
					{props.rows.map((row) => (
						<tr key={row.key}>
							{row.cells.map((text, i) =>
								i === 0 ? (
									<th key={i} scope="row">
										{text}
									</th>
								) : (
									<td key={i} class={props.columns[i]?.numeric ? "num" : undefined}>
										{text}
									</td>
								),
							)}
						</tr>
					))}
				</tbody>
			</table>
		</div>
	);
}

/** "3 smaller segments not drawn: the CSV has them all." */
export function HiddenNote(props: { hidden: number }) {
	if (props.hidden <= 0) return null;
	return (
		<p class="muted small">
			{props.hidden} smaller segment{props.hidden === 1 ? "" : "s"} not drawn: the CSV has them all.
		</p>
	);
}

/** Whether the view breaks down or filters by new vs returning, which cohort-based metrics cannot do. */
export function usesNewVsReturning(state: ViewState): boolean {
	return state.breakdown === "new_vs_returning" || state.filters.some((f) => f.startsWith("new_vs_returning:"));
}
