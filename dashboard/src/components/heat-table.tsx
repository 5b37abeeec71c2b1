// A heatmap as an HTML table: every cell shows its number, and its background's intensity (ten steps of one blue,
// readable by people with any common colour-vision deficiency, with text contrast of at least 4.5:1 in both themes)
// says the same at a glance. A table, not a canvas: screen readers announce each cell with its row and column.

export interface HeatCell {
	/** What the cell reads, e.g. "42%"; "—" when there is no value yet. */
	text: string;
	/** 0 (palest) to 9 (strongest), or null for no value. */
	level: number | null;
	/** More detail on hover, e.g. "21 of 50 players". */
	title?: string;
}

export interface HeatRow {
	key: string;
	/** The row header, e.g. the cohort's date. */
	label: string;
	/** A second header-like column, e.g. the cohort's size. */
	detail: string;
	cells: HeatCell[];
	/** A summary row (e.g. all cohorts), set apart. */
	summary?: boolean;
}

export interface HeatTableProps {
	caption: string;
	/** Headers of the label and detail columns. */
	labelHeader: string;
	detailHeader: string;
	columns: string[];
	rows: HeatRow[];
}

/**
 * @example
 * <HeatTable caption="Retention" labelHeader="Cohort" detailHeader="Players" columns={["Day 0", "Day 1"]}
 *   rows={[{ key: "a", label: "Jan 5", detail: "50", cells: [{ text: "100%", level: 9 }, { text: "40%", level: 6 }] }]} />
 */
export function HeatTable(props: HeatTableProps) {
	return (
		// Wider than a phone: the table scrolls inside its own box, which a keyboard can focus and scroll.
		<div class="table-scroll" role="region" aria-label={props.caption} tabIndex={0}>
			<table class="data-table heat-table">
				<caption class="visually-hidden">{props.caption}</caption>
				<thead>
					<tr>
						<th scope="col">{props.labelHeader}</th>
						<th scope="col" class="num">
							{props.detailHeader}
						</th>
						{props.columns.map((c) => (
							<th key={c} scope="col" class="num">
								{c}
							</th>
						))}
					</tr>
				</thead>
				<tbody>
					{props.rows.map((row) => (
						<tr key={row.key} class={row.summary ? "summary-row" : undefined}>
							<th scope="row">{row.label}</th>
							<td class="num">{row.detail}</td>
							{row.cells.map((cell, i) => (
								<td
									key={i}
									class={`num heat ${cell.level === null ? "heat-none" : `heat-${cell.level}`}`}
									title={cell.title}
								>
									{cell.text}
								</td>
							))}
						</tr>
					))}
				</tbody>
			</table>
		</div>
	);
}
