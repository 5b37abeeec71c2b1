import { describe, expect, it } from "vitest";
import type { EventNamesAnswer, Kpi, Trends } from "../analytics-types.js";
import {
	checkWhere,
	eventLabel,
	kpiChart,
	kpiQuery,
	kpiTotals,
	trendEvents,
	trendsChart,
	type KpiParams,
} from "./trends-data.js";

const envelope = {
	gameId: "g1",
	timeZone: "UTC",
	from: "2025-01-01",
	to: "2025-01-02",
	filters: [],
	source: "raw" as const,
};
const days = (a: number, b: number) => [
	{ date: "2025-01-01", value: a },
	{ date: "2025-01-02", value: b },
];

const names = {
	events: ["session_start:player", "custom:a", "custom:b", "custom:c"].map((event, i) => ({ event, events: 10 - i })),
} as unknown as EventNamesAnswer;

const kpi = (p: Partial<KpiParams>): KpiParams => ({
	kpiEvent: "custom:quest_done",
	kpiMeasure: "count",
	property: "",
	where: [],
	groupBy: "",
	...p,
});

describe("trends", () => {
	it("shows the events chosen, else the game's three most frequent", () => {
		expect(trendEvents(["custom:x"], names)).toEqual(["custom:x"]);
		expect(trendEvents([], names)).toEqual(["session_start:player", "custom:a", "custom:b"]);
		expect(eventLabel({ name: "ping" })).toBe("ping");
		expect(eventLabel({ type: "custom", name: "ping" })).toBe("custom:ping");
	});

	it("draws one line per event, and per event and segment with a breakdown", () => {
		const answer = {
			...envelope,
			metric: "trends",
			breakdown: "country",
			segments: [
				{ segment: "DE", events: [{ event: { type: "custom", name: "a" }, total: 3, days: days(1, 2) }] },
				{ segment: "US", events: [{ event: { type: "custom", name: "a" }, total: 9, days: days(4, 5) }] },
			],
		} as Trends;
		expect(trendsChart(answer).series).toEqual([
			{ label: "custom:a · DE", values: [1, 2] },
			{ label: "custom:a · US", values: [4, 5] },
		]);
		expect(trendsChart({ ...answer, breakdown: null, segments: [answer.segments[0]!] }).series[0]!.label).toBe(
			"custom:a",
		);
	});
});

describe("the custom KPI", () => {
	const answer = {
		...envelope,
		metric: "kpi",
		breakdown: null,
		segments: [
			{
				segment: null,
				groups: [
					{ group: "tutorial", total: 2, days: days(1, 1) },
					{ group: "boss", total: 7, days: days(3, 4) },
				],
			},
		],
	} as Kpi;

	it("draws a line per group, the largest six in their order, and lists the totals", () => {
		expect(kpiChart(answer, "custom:quest_done").series.map((s) => s.label)).toEqual(["tutorial", "boss"]);
		const many = {
			...answer,
			segments: [
				{
					segment: null,
					groups: Array.from({ length: 8 }, (_, i) => ({ group: `g${i}`, total: (i * 5) % 8, days: days(i, i) })),
				},
			],
		} as Kpi;
		// Totals 0, 5, 2, 7, 4, 1, 6, 3: the two smallest (g0 and g5) are left out, the order kept.
		const chart = kpiChart(many, "custom:quest_done");
		expect(chart.series.map((s) => s.label)).toEqual(["g1", "g2", "g3", "g4", "g6", "g7"]);
		expect(chart.hidden).toBe(2);
		expect(kpiTotals(answer, "custom:quest_done").map((r) => r.cells)).toEqual([
			["tutorial", "2"],
			["boss", "7"],
		]);
		const whole = { ...answer, segments: [{ segment: null, groups: [{ group: null, total: 5, days: days(2, 3) }] }] };
		expect(kpiChart(whole as Kpi, "custom:quest_done").series[0]!.label).toBe("custom:quest_done");
		expect(kpiTotals(whole as Kpi, "custom:quest_done")[0]!.cells[0]).toBe("custom:quest_done");
	});

	it("checks where filters as the API reads them", () => {
		expect(checkWhere("level>3")).toBeUndefined();
		expect(checkWhere("tier=gold")).toBeUndefined();
		expect(checkWhere("level>high")).toBe('"level>high": > compares with a number');
		expect(checkWhere("no operator")).toMatch(/must be prop=value/);
	});

	it("builds the query in order: event, measure, prop for sum and mean, filters, groupBy", () => {
		expect(kpiQuery(kpi({ kpiEvent: "" }))).toEqual({ problem: "Choose an event." });
		expect(kpiQuery(kpi({ kpiMeasure: "median" }))).toEqual({ problem: "Choose what to measure." });
		expect(kpiQuery(kpi({ kpiMeasure: "sum" }))).toEqual({ problem: "A sum needs the numeric prop to add up." });
		expect(kpiQuery(kpi({ kpiMeasure: "mean", property: "a-b" }))).toEqual({
			problem: '"a-b" is not a prop name (A-Z a-z 0-9 _).',
		});
		expect(kpiQuery(kpi({ where: ["x>y"] }))).toEqual({ problem: '"x>y": > compares with a number' });
		expect(kpiQuery(kpi({ groupBy: "bad name" }))).toEqual({
			problem: '"bad name" is not a prop name (A-Z a-z 0-9 _).',
		});
		expect(kpiQuery(kpi({ kpiMeasure: "sum", property: " robux ", where: ["robux>50"], groupBy: "quest" }))).toEqual({
			params: { event: "custom:quest_done", measure: "sum", property: "robux", where: ["robux>50"], groupBy: "quest" },
		});
		// A prop left over from a sum is not sent with a count (the API would ignore it).
		expect(kpiQuery(kpi({ property: "robux" }))).toEqual({
			params: { event: "custom:quest_done", measure: "count", where: [] },
		});
	});
});
