// A headline number: its value, the change against the period before, a sparkline and the data as CSV.
import { useMemo } from "preact/hooks";
import { formatChange, formatValue } from "../format.js";
import type { KpiCardData } from "../pages/overview-data.js";
import { Chart } from "./chart.js";

export interface KpiCardProps {
	card: KpiCardData;
	/** "the previous 30 days" */
	comparedWith: string;
	/** Link to the sparkline's data as CSV. */
	csvHref: string;
}

export function KpiCard({ card, comparedWith, csvHref }: KpiCardProps) {
	const id = `kpi-${card.key}`;
	const format = useMemo(() => (value: number) => formatValue(value, card.unit), [card.unit]);
	const direction = card.change === null || card.change === 0 ? "flat" : card.change > 0 ? "up" : "down";
	const arrow = direction === "up" ? "▲" : direction === "down" ? "▼" : "■";
	return (
		<article class="kpi" aria-labelledby={`${id}-label`} data-kpi={card.key}>
			<h3 id={`${id}-label`} class="kpi-label">
				{card.label}
			</h3>
			<p class="kpi-value">{formatValue(card.value, card.unit)}</p>
			<p class={`kpi-change ${direction}`}>
				<span class="kpi-arrow" aria-hidden="true">
					{arrow}
				</span>{" "}
				{card.change === null ? "No comparison" : formatChange(card.change)}{" "}
				<span class="muted">
					vs {comparedWith} ({formatValue(card.previous, card.unit)})
				</span>
			</p>
			<Chart label={`${card.label} per day`} data={card.daily} format={format} variant="spark" />
			<p class="kpi-help">{card.help}</p>
			<a class="csv" href={csvHref} download aria-label={`Download the data of the ${card.label} card as CSV`}>
				CSV
			</a>
		</article>
	);
}
