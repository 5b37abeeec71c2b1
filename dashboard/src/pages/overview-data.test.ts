import { describe, expect, it } from "vitest";
import type { ActiveUsers, Overview, Revenue, Sessions } from "../api-types.js";
import {
	averageConcurrent,
	hasPlayers,
	mainChart,
	overviewCards,
	relativeChange,
	sessionsWithin,
} from "./overview-data.js";

const envelope = {
	gameId: "g1",
	timeZone: "UTC",
	from: "2025-01-01",
	to: "2025-01-02",
	filters: [],
	source: "rollups" as const,
};

function sessions(days: { date: string; sessions: number; meanSeconds: number | null }[]): Sessions {
	const summary = { sessions: 0, players: 0, sessionsPerPlayer: null, medianSeconds: null, meanSeconds: null };
	return {
		...envelope,
		metric: "sessions",
		breakdown: null,
		segments: [
			{
				segment: null,
				...summary,
				days: days.map((d) => ({ ...summary, ...d, medianSeconds: d.meanSeconds })),
			},
		],
	};
}

function activeUsers(segments: { segment: string | null; players: number; dau: number[] }[]): ActiveUsers {
	return {
		...envelope,
		metric: "active-users",
		breakdown: segments[0]?.segment === null ? null : "platform",
		segments: segments.map((s) => ({
			segment: s.segment,
			players: s.players,
			newPlayers: 1,
			days: s.dau.map((dau, i) => ({
				date: `2025-01-0${i + 1}`,
				dau,
				newPlayers: 1,
				returningPlayers: dau - 1,
				wau: dau,
				mau: dau,
				stickiness: 1,
			})),
		})),
	};
}

const overview: Overview = {
	...envelope,
	metric: "overview",
	breakdown: null,
	segments: [
		{
			segment: null,
			kpis: [
				{ key: "dau", label: "DAU", unit: "players", value: 15, previous: 10, change: 0.5 },
				{ key: "players", label: "Players", unit: "players", value: 20, previous: 12, change: 0.667 },
				{ key: "revenue", label: "Revenue", unit: "robux", value: 300, previous: 0, change: null },
			],
		},
	],
};

const revenue = {
	...envelope,
	metric: "revenue",
	breakdown: null,
	segments: [{ segment: null, days: [{ date: "2025-01-01", revenue: 100, arpdau: 10 }] }],
} as unknown as Revenue;

describe("overview numbers", () => {
	it("computes the change as the server does, undefined against nothing", () => {
		expect(relativeChange(15, 10)).toBe(0.5);
		expect(relativeChange(5, 0)).toBeNull();
		expect(relativeChange(null, 3)).toBeNull();
	});

	it("estimates average concurrent players as session time over elapsed time", () => {
		// Day 1: 48 sessions of 30 min = 24 h of play → 1 player online on average; day 2: no session ended yet.
		expect(averageConcurrent(sessions([{ date: "2025-01-01", sessions: 48, meanSeconds: 1800 }]))).toBe(1);
		expect(
			averageConcurrent(
				sessions([
					{ date: "2025-01-01", sessions: 48, meanSeconds: 1800 },
					{ date: "2025-01-02", sessions: 3, meanSeconds: null },
				]),
			),
		).toBe(0.5);
		expect(averageConcurrent(sessions([{ date: "2025-01-01", sessions: 2, meanSeconds: null }]))).toBeNull();
	});

	it("builds the six cards from the overview and the daily metrics", () => {
		const cards = overviewCards({
			overview,
			activeUsers: activeUsers([{ segment: null, players: 20, dau: [10, 20] }]),
			revenue,
			sessions: sessions([{ date: "2025-01-01", sessions: 96, meanSeconds: 1800 }]),
			previousSessions: sessions([{ date: "2024-12-31", sessions: 48, meanSeconds: 1800 }]),
		});
		expect(cards.map((c) => c.key)).toEqual(["dau", "newPlayers", "revenue", "arpdau", "sessionSeconds", "concurrent"]);
		expect(cards[0]).toMatchObject({ value: 15, previous: 10, change: 0.5, unit: "players" });
		expect(cards[0]!.daily).toEqual({
			x: [Date.UTC(2025, 0, 1) / 1000, Date.UTC(2025, 0, 2) / 1000],
			series: [{ label: "DAU", values: [10, 20] }],
		});
		// A KPI the overview did not answer reads as unknown, not zero.
		expect(cards[1]).toMatchObject({ value: null, change: null });
		expect(cards[5]).toMatchObject({ value: 2, previous: 1, change: 1 });
		expect(hasPlayers(overview)).toBe(true);
	});

	it("draws the whole game's active, new and returning players, or the largest segments of a breakdown", () => {
		const whole = mainChart(activeUsers([{ segment: null, players: 20, dau: [10, 20] }]));
		expect(whole.series.map((s) => s.label)).toEqual(["Daily active", "New", "Returning"]);
		expect(whole.series[2]!.values).toEqual([9, 19]);

		const many = Array.from({ length: 8 }, (_, i) => ({ segment: `s${i}`, players: i, dau: [i, i] }));
		const split = mainChart(activeUsers(many));
		expect(split.series.map((s) => s.label)).toEqual(["s7", "s6", "s5", "s4", "s3", "s2"]);
		expect(split.hidden).toBe(2);
	});
});

describe("sessionsWithin", () => {
	it("keeps the days of one period of a two-period answer, so the cards see the same as two requests", () => {
		const both = sessions([
			{ date: "2025-01-01", sessions: 48, meanSeconds: 1800 },
			{ date: "2025-01-02", sessions: 24, meanSeconds: 3600 },
			{ date: "2025-01-03", sessions: 96, meanSeconds: 900 },
			{ date: "2025-01-04", sessions: 10, meanSeconds: null },
		]);
		const previous = sessionsWithin(both, { from: "2025-01-01", to: "2025-01-02" });
		const current = sessionsWithin(both, { from: "2025-01-03", to: "2025-01-04" });
		expect(previous.segments[0]!.days.map((d) => d.date)).toEqual(["2025-01-01", "2025-01-02"]);
		expect(current.segments[0]!.days.map((d) => d.date)).toEqual(["2025-01-03", "2025-01-04"]);
		expect([previous.from, previous.to]).toEqual(["2025-01-01", "2025-01-02"]);
		expect(averageConcurrent(previous)).toBe(1);
		expect(averageConcurrent(current)).toBe(0.5);
	});
});
