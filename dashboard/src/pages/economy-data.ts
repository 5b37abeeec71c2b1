// The Economy page's numbers, from the metrics API's economy answer: per currency, what players earned (sources) and
// spent (sinks) each day, the net flow, the money supply and the largest flows by item. Pure functions, tested on
// their own.
import type { Economy } from "../analytics-types.js";
import type { PlotData } from "../components/plot.js";
import { dateToSeconds } from "../dates.js";
import { formatValue } from "../format.js";
import type { Stat } from "./analytics-parts.js";
import type { DailySeries } from "./overview-data.js";

export type EconomySegment = Economy["segments"][number];
export type Currency = EconomySegment["currencies"][number];

/** The currencies of a segment, the most traded (sources + sinks) first. */
export function currenciesBySize(segment: EconomySegment): Currency[] {
	return [...segment.currencies].sort(
		(a, b) => b.sources + b.sinks - (a.sources + a.sinks) || a.currency.localeCompare(b.currency),
	);
}

/** The currency asked for by name, else the most traded one. */
export function pickCurrency(segment: EconomySegment, wanted: string): Currency | undefined {
	return segment.currencies.find((c) => c.currency === wanted) ?? currenciesBySize(segment)[0];
}

/** Whether any segment has any economy event. */
export function hasEconomy(answer: Economy): boolean {
	return answer.segments.some((s) => s.currencies.length > 0);
}

/** A segment's size for picking the largest: everything earned and spent, in any currency. */
export function economySize(segment: EconomySegment): number {
	return segment.currencies.reduce((a, c) => a + c.sources + c.sinks, 0);
}

/**
 * Sources up and sinks down from zero, as bars side by side per day, with the net flow as a line: what came in, what
 * went out, and the difference, on one axis.
 */
export function flowChart(currency: Currency): PlotData {
	return {
		x: currency.days.map((d) => dateToSeconds(d.date)),
		series: [
			{ label: "Earned (sources)", values: currency.days.map((d) => d.sources), bars: true },
			{ label: "Spent (sinks, below zero)", values: currency.days.map((d) => -d.sinks), bars: true },
			{ label: "Net flow", values: currency.days.map((d) => d.net) },
		],
	};
}

/** The money supply at the end of each day (cumulative net flow since the first economy event). */
export function supplyChart(currency: Currency): DailySeries {
	return {
		x: currency.days.map((d) => dateToSeconds(d.date)),
		series: [{ label: `${currency.currency} in circulation`, values: currency.days.map((d) => d.supply) }],
	};
}

const amount = (value: number) => formatValue(value, "count");

/** The currency's headline numbers over the range. */
export function economyStats(currency: Currency): Stat[] {
	const last = currency.days[currency.days.length - 1];
	const first = currency.days[0];
	const startSupply = first ? first.supply - first.net : 0;
	return [
		{ label: "Earned", value: amount(currency.sources), help: "Amount players gained (sources) in the range." },
		{ label: "Spent", value: amount(currency.sinks), help: "Amount players spent (sinks) in the range." },
		{ label: "Net flow", value: amount(currency.net), help: "Earned − spent: above zero, the supply grows." },
		{
			label: "Money supply",
			value: last ? amount(last.supply) : "—",
			help: `In circulation at the end of the range (${amount(startSupply)} at its start).`,
		},
	];
}

/** The largest flows by item: what players earn from and spend on. */
export function itemRows(currency: Currency): { key: string; cells: string[] }[] {
	return currency.items.map((i) => ({
		key: `${i.flow}\n${i.itemType}\n${i.itemId}`,
		cells: [
			i.itemId || "(none)",
			i.itemType || "(none)",
			i.flow === "source" ? "Earned" : "Spent",
			amount(i.amount),
			formatValue(i.events, "count"),
		],
	}));
}

export const ITEM_COLUMNS = [
	{ label: "Item" },
	{ label: "Item type" },
	{ label: "Flow" },
	{ label: "Amount", numeric: true },
	{ label: "Events", numeric: true },
];
