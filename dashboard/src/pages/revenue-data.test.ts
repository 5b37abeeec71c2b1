import { describe, expect, it } from "vitest";
import type { Revenue } from "../api-types.js";
import { hasPurchases, ltvCurves, ltvRows, productRows, revenueDaily, revenueStats } from "./revenue-data.js";

type Segment = Revenue["segments"][number];

function segment(
	name: string | null,
	revenue: number,
	cohorts: { cohort: string; players: number; ltv: (number | null)[] }[],
): Segment {
	return {
		segment: name,
		revenue,
		purchases: revenue > 0 ? 3 : 0,
		players: 50,
		payers: 2,
		arpu: revenue / 50,
		arppu: revenue / 2,
		payerConversion: 0.04,
		arpdau: 0.5,
		devexUsd: revenue * 0.7 * 0.0038,
		days: [
			{
				date: "2025-01-01",
				revenue,
				purchases: 3,
				payers: 2,
				dau: 40,
				arpdau: revenue / 40,
				arppu: revenue / 2,
				payerConversion: 0.05,
			},
			{
				date: "2025-01-02",
				revenue: 0,
				purchases: 0,
				payers: 0,
				dau: 0,
				arpdau: null,
				arppu: null,
				payerConversion: null,
			},
		],
		ltv: {
			days: [0, 7, 30].map((day, i) => ({ day, robuxPerPlayer: cohorts[0]?.ltv[i] ?? null })),
			cohorts: cohorts.map((c) => ({ cohort: c.cohort, players: c.players, robuxPerPlayer: c.ltv })),
		},
		topProducts: [{ product: "developer_product:1002", revenue: 99, purchases: 1, share: 0.99 }],
		firstPurchase: { payers: 1, medianDays: 1, meanDays: 1, buckets: [] },
	};
}

function answer(segments: Segment[]): Revenue {
	return {
		metric: "revenue",
		gameId: "g1",
		timeZone: "UTC",
		from: "2025-01-01",
		to: "2025-01-02",
		breakdown: segments[0]?.segment === null ? null : "country",
		filters: [],
		source: "rollups",
		segments,
	} as Revenue;
}

const cohorts = [
	{ cohort: "2025-01-02", players: 5, ltv: [0, 4, null] },
	{ cohort: "2025-01-01", players: 10, ltv: [2, 8, null] },
];

describe("revenue numbers", () => {
	it("draws Robux per day, one line per segment by revenue", () => {
		const daily = revenueDaily(answer([segment("BR", 10, []), segment("US", 99, [])]), (d) => d.revenue);
		expect(daily.series).toEqual([
			{ label: "US", values: [99, 0] },
			{ label: "BR", values: [10, 0] },
		]);
		expect(revenueDaily(answer([segment(null, 5, [])]), (d) => d.payerConversion).series[0]!.values).toEqual([
			0.05,
			null,
		]);
	});

	it("says whether anything was bought", () => {
		expect(hasPurchases(answer([segment(null, 0, [])]))).toBe(false);
		expect(hasPurchases(answer([segment("a", 0, []), segment("b", 5, [])]))).toBe(true);
	});

	it("gives the headline numbers in their units", () => {
		const stats = revenueStats(segment(null, 250, []));
		expect(stats.map((s) => [s.label, s.value])).toEqual([
			["Revenue", "R$ 250"],
			["DevEx estimate", "US$ 0.67"],
			["Purchases", "3"],
			["Payers", "2"],
			["ARPDAU", "R$ 0.50"],
			["ARPPU", "R$ 125"],
			["Payer conversion", "4%"],
		]);
	});

	it("draws the average LTV and each cohort's, oldest first, up to the last day known", () => {
		const curves = ltvCurves(segment(null, 10, cohorts));
		expect(curves.x).toEqual([0, 7]);
		expect(curves.series).toEqual([
			{ label: "All cohorts", values: [0, 4] },
			{ label: "Installed Jan 1, 2025", values: [2, 8] },
			{ label: "Installed Jan 2, 2025", values: [0, 4] },
		]);
		expect(curves.hidden).toBe(0);
	});

	it("tabulates LTV as a heatmap relative to its largest value", () => {
		const rows = ltvRows(segment(null, 10, cohorts));
		expect(rows.map((r) => [r.label, r.detail])).toEqual([
			["All cohorts", "15"],
			["Jan 1, 2025", "10"],
			["Jan 2, 2025", "5"],
		]);
		expect(rows[1]!.cells.map((c) => [c.text, c.level])).toEqual([
			["R$ 2.00", 2],
			["R$ 8.00", 9],
			["—", null],
		]);
	});

	it("lists the top products with their share", () => {
		expect(productRows(segment(null, 99, []))[0]!.cells).toEqual(["developer_product:1002", "R$ 99.00", "1", "99%"]);
	});
});
