// The Revenue page's numbers, from the metrics API's revenue answer: daily Robux, ARPDAU and payer conversion per
// segment, LTV curves per install cohort, and the top products. Pure functions, tested on their own.
import type { Revenue } from "../api-types.js";
import type { HeatRow } from "../components/heat-table.js";
import type { PlotData } from "../components/plot.js";
import { formatDate, formatValue } from "../format.js";
import { bySize, dailyBySegment, trimTrailingGaps } from "./segments-data.js";
import type { Stat } from "./analytics-parts.js";

export type RevenueSegment = Revenue["segments"][number];
type Day = RevenueSegment["days"][number];

/** The LTV days asked for: the API's default. */
export const LTV_DAYS = "0,1,3,7,14,30,60,90";
/** Cohort curves drawn beside the average (the largest cohorts); the table and CSV have them all. */
export const MAX_COHORT_CURVES = 5;

/** The daily charts: one line per segment (the largest by revenue). */
export function revenueDaily(answer: Revenue, value: (d: Day) => number | null) {
	return dailyBySegment(
		answer.segments,
		(s) => s.revenue,
		(s) => s.days,
		value,
	);
}

/** Whether anything was bought in the range (else the page says how to record purchases). */
export function hasPurchases(answer: Revenue): boolean {
	return answer.segments.some((s) => s.purchases > 0);
}

/** The headline numbers of one segment. */
export function revenueStats(s: RevenueSegment): Stat[] {
	return [
		{ label: "Revenue", value: formatValue(s.revenue, "robux"), help: "Robux players spent in the range." },
		{
			label: "DevEx estimate",
			value: `US$ ${s.devexUsd.toFixed(2)}`,
			help: "Revenue × the game's share × the DevEx rate.",
		},
		{ label: "Purchases", value: formatValue(s.purchases, "count") },
		{ label: "Payers", value: formatValue(s.payers, "players"), help: "Players with at least one purchase." },
		{ label: "ARPDAU", value: formatValue(s.arpdau, "robux"), help: "Revenue ÷ the sum of daily active players." },
		{ label: "ARPPU", value: formatValue(s.arppu, "robux"), help: "Revenue ÷ payers." },
		{ label: "Payer conversion", value: formatValue(s.payerConversion, "ratio"), help: "Payers ÷ active players." },
	];
}

/**
 * LTV curves of one segment: cumulative Robux per player by day N after install, for all cohorts together and the
 * largest few cohorts.
 */
export function ltvCurves(s: RevenueSegment): PlotData & { hidden: number } {
	const days = s.ltv.days.map((d) => d.day);
	const cohorts = bySize(
		s.ltv.cohorts.map((c) => ({ ...c, segment: c.cohort })),
		(c) => c.players,
	).slice(0, MAX_COHORT_CURVES);
	return trimTrailingGaps({
		x: days,
		series: [
			{ label: "All cohorts", values: s.ltv.days.map((d) => d.robuxPerPlayer) },
			...cohorts
				.sort((a, b) => a.cohort.localeCompare(b.cohort))
				.map((c) => ({ label: `Installed ${formatDate(c.cohort)}`, values: [...c.robuxPerPlayer] })),
		],
		hidden: s.ltv.cohorts.length - cohorts.length,
	});
}

/** The LTV table as a heatmap: intensity relative to the largest value in it. */
export function ltvRows(s: RevenueSegment): HeatRow[] {
	const all = [...s.ltv.days.map((d) => d.robuxPerPlayer), ...s.ltv.cohorts.flatMap((c) => c.robuxPerPlayer)];
	const max = Math.max(0, ...all.filter((v): v is number => v !== null));
	const cell = (value: number | null) =>
		value === null
			? { text: "—", level: null, title: "That day has not ended yet" }
			: { text: formatValue(value, "robux"), level: max > 0 ? Math.min(9, Math.floor((value / max) * 9.999)) : 0 };
	return [
		{
			key: "all",
			label: "All cohorts",
			detail: formatValue(
				s.ltv.cohorts.reduce((a, c) => a + c.players, 0),
				"players",
			),
			cells: s.ltv.days.map((d) => cell(d.robuxPerPlayer)),
			summary: true,
		},
		...[...s.ltv.cohorts]
			.sort((a, b) => a.cohort.localeCompare(b.cohort))
			.map((c) => ({
				key: c.cohort,
				label: formatDate(c.cohort),
				detail: formatValue(c.players, "players"),
				cells: c.robuxPerPlayer.map(cell),
			})),
	];
}

/** The top products table of one segment. */
export function productRows(s: RevenueSegment): { key: string; cells: string[] }[] {
	return s.topProducts.map((p) => ({
		key: p.product,
		cells: [
			p.product,
			formatValue(p.revenue, "robux"),
			formatValue(p.purchases, "count"),
			formatValue(p.share, "ratio"),
		],
	}));
}
