// The Overview page's numbers, worked out from the metrics API's answers: pure functions, tested on their own.
import type { ActiveUsers, KpiUnit, Overview, Revenue, Sessions } from "../api-types.js";
import { dateToSeconds } from "../dates.js";

/** A daily series for a chart: x as unix seconds of each day's UTC midnight. */
export interface DailySeries {
	x: number[];
	series: { label: string; values: (number | null)[] }[];
}

/** One headline card. */
export interface KpiCardData {
	key: string;
	label: string;
	/** One sentence on what the number is, for the card's description. */
	help: string;
	unit: KpiUnit;
	value: number | null;
	previous: number | null;
	change: number | null;
	/** The sparkline. */
	daily: DailySeries;
	/** Which metric's CSV holds the sparkline's data. */
	csvMetric: "active-users" | "revenue" | "sessions";
}

const SECONDS_PER_DAY = 86_400;

/** (value − previous) / previous, as the server computes the overview's change; null when undefined. */
export function relativeChange(value: number | null, previous: number | null): number | null {
	if (value === null || previous === null || previous === 0) return null;
	return (value - previous) / previous;
}

/**
 * Average players online at once over a period, estimated from sessions (Little's law: the mean number in a system
 * is arrival rate × mean time in it): Σ sessions × mean length ÷ seconds in the period. Null when no session's end
 * (hence length) has arrived. The metrics API has no concurrency metric; this is the honest estimate its answers allow.
 */
export function averageConcurrent(sessions: Sessions): number | null {
	const days = sessions.segments[0]?.days ?? [];
	let seconds = 0;
	let known = false;
	for (const day of days) {
		if (day.meanSeconds === null) continue;
		seconds += day.sessions * day.meanSeconds;
		known = true;
	}
	return known && days.length > 0 ? seconds / (days.length * SECONDS_PER_DAY) : null;
}

/**
 * The days of `sessions` within `range` (dates inclusive). The overview asks for the current and the previous period
 * in one request and splits the answer, so a page load sends one query fewer; only `days` is read from the parts.
 */
export function sessionsWithin(sessions: Sessions, range: { from: string; to: string }): Sessions {
	return {
		...sessions,
		from: range.from,
		to: range.to,
		segments: sessions.segments.map((s) => ({
			...s,
			days: s.days.filter((d) => d.date >= range.from && d.date <= range.to),
		})),
	};
}

/** The per-day concurrency estimate of {@link averageConcurrent}. */
export function dailyConcurrent(sessions: Sessions): (number | null)[] {
	return (sessions.segments[0]?.days ?? []).map((d) =>
		d.meanSeconds === null ? null : (d.sessions * d.meanSeconds) / SECONDS_PER_DAY,
	);
}

function daily<T extends { date: string }>(days: readonly T[], label: string, value: (d: T) => number | null) {
	return { x: days.map((d) => dateToSeconds(d.date)), series: [{ label, values: days.map(value) }] };
}

export interface OverviewInputs {
	overview: Overview;
	activeUsers: ActiveUsers;
	revenue: Revenue;
	sessions: Sessions;
	/** Sessions of the period before (for the concurrency estimate's change). */
	previousSessions: Sessions;
}

/** The six headline cards: DAU, new players, revenue, ARPDAU, session length and concurrent players. */
export function overviewCards(inputs: OverviewInputs): KpiCardData[] {
	const kpis = new Map((inputs.overview.segments[0]?.kpis ?? []).map((k) => [k.key, k]));
	const users = inputs.activeUsers.segments[0]?.days ?? [];
	const revenue = inputs.revenue.segments[0]?.days ?? [];
	const sessions = inputs.sessions.segments[0]?.days ?? [];
	const kpi = (key: string) => {
		const k = kpis.get(key);
		return { value: k?.value ?? null, previous: k?.previous ?? null, change: k?.change ?? null };
	};
	const concurrent = averageConcurrent(inputs.sessions);
	const previousConcurrent = averageConcurrent(inputs.previousSessions);
	const concurrentDaily = dailyConcurrent(inputs.sessions);
	return [
		{
			key: "dau",
			label: "Daily active players",
			help: "Players with at least one event a day, averaged over the days of the range.",
			unit: "players",
			...kpi("dau"),
			daily: daily(users, "DAU", (d) => d.dau),
			csvMetric: "active-users",
		},
		{
			key: "newPlayers",
			label: "New players",
			help: "Players whose first event ever falls in the range.",
			unit: "players",
			...kpi("newPlayers"),
			daily: daily(users, "New players", (d) => d.newPlayers),
			csvMetric: "active-users",
		},
		{
			key: "revenue",
			label: "Revenue",
			help: "Robux players spent on developer products and passes in the range.",
			unit: "robux",
			...kpi("revenue"),
			daily: daily(revenue, "Revenue (Robux)", (d) => d.revenue),
			csvMetric: "revenue",
		},
		{
			key: "arpdau",
			label: "ARPDAU",
			help: "Average revenue per daily active player: revenue ÷ the sum of daily active players.",
			unit: "robux",
			...kpi("arpdau"),
			daily: daily(revenue, "ARPDAU (Robux)", (d) => d.arpdau),
			csvMetric: "revenue",
		},
		{
			key: "sessionSeconds",
			label: "Session length",
			help: "Median length of the sessions that ended, from Vantage.start's session events.",
			unit: "seconds",
			...kpi("sessionSeconds"),
			daily: daily(sessions, "Median session (s)", (d) => d.medianSeconds),
			csvMetric: "sessions",
		},
		{
			key: "concurrent",
			label: "Concurrent players",
			help: "Average players online at once, estimated as sessions × mean session length ÷ time.",
			unit: "players",
			value: concurrent,
			previous: previousConcurrent,
			change: relativeChange(concurrent, previousConcurrent),
			daily: {
				x: sessions.map((d) => dateToSeconds(d.date)),
				series: [{ label: "Concurrent", values: concurrentDaily }],
			},
			csvMetric: "sessions",
		},
	];
}

/** Whether the range has any player at all (else the page shows what to do instead of empty charts). */
export function hasPlayers(overview: Overview): boolean {
	const players = overview.segments[0]?.kpis.find((k) => k.key === "players")?.value ?? 0;
	return players > 0;
}

/** Series of the main chart drawn at most; the CSV has every segment. */
export const MAX_SEGMENTS = 6;

/**
 * The main chart: daily active, new and returning players for the whole game; with a breakdown, daily active players
 * of the largest segments (by players in the range), the rest counted in `hidden`.
 */
export function mainChart(activeUsers: ActiveUsers): DailySeries & { hidden: number } {
	const segments = activeUsers.segments;
	const first = segments[0];
	if (!first) return { x: [], series: [], hidden: 0 };
	const x = first.days.map((d) => dateToSeconds(d.date));
	if (activeUsers.breakdown === null) {
		return {
			x,
			series: [
				{ label: "Daily active", values: first.days.map((d) => d.dau) },
				{ label: "New", values: first.days.map((d) => d.newPlayers) },
				{ label: "Returning", values: first.days.map((d) => d.returningPlayers) },
			],
			hidden: 0,
		};
	}
	const largest = [...segments].sort((a, b) => b.players - a.players).slice(0, MAX_SEGMENTS);
	return {
		x,
		series: largest.map((s) => ({ label: s.segment ?? "(all)", values: s.days.map((d) => d.dau) })),
		hidden: segments.length - largest.length,
	};
}
