// The metrics engine: pure maths from reader rows to metric results. Every definition here is the one the API
// documents (server/metrics/routes.ts repeats them in the OpenAPI document).
import { DAY_MS, HOUR_MS } from "../domain/experiments.js";
import { dayToDate, localDayFn, localDayStart } from "../warehouse/time-zone.js";
import type { DayRange, EventRef, MetricsReader, PlayerRow, UserDayRow } from "../domain/metrics-reader.js";
import { isSegmented, type SegmentSpec } from "./segments.js";
import { MetricRequestError, type MetricEnvelope, type MetricRequest, type PropFilter } from "../domain/metrics.js";

export { METRIC_NAMES, MetricRequestError } from "../domain/metrics.js";
export type { MetricEnvelope, MetricName, MetricRequest, PropFilter } from "../domain/metrics.js";

const ALL = "all";

function ratio(a: number, b: number): number | null {
	return b > 0 ? a / b : null;
}

export function median(values: number[]): number | null {
	if (values.length === 0) return null;
	const sorted = [...values].sort((a, b) => a - b);
	const mid = sorted.length >> 1;
	return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function mean(values: number[]): number | null {
	return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

function daysOf(range: DayRange): number[] {
	const out: number[] = [];
	for (let d = range.from; d <= range.to; d++) out.push(d);
	return out;
}

function groupBySegment<T extends { segment: string | null }>(rows: Iterable<T>): Map<string, T[]> {
	const out = new Map<string, T[]>();
	for (const row of rows) {
		const key = row.segment ?? ALL;
		let list = out.get(key);
		if (!list) out.set(key, (list = []));
		list.push(row);
	}
	return out;
}

function segmentList<T extends { segment: string | null }>(
	rows: Iterable<T>,
	spec: SegmentSpec,
): [string | null, T[]][] {
	const groups = groupBySegment(rows);
	if (!spec.breakdown) return [[null, groups.get(ALL) ?? []]];
	return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Computes one metric. `now` fixes "today" in the game's zone: a retention or LTV cell is reported only once its day
 * has ended (a cohort's day N is complete), so partial days never read as churn.
 */
export async function computeMetric(
	reader: MetricsReader,
	gameId: string,
	request: MetricRequest,
	now: number,
): Promise<MetricEnvelope> {
	const timeZone = await reader.timeZone(gameId);
	const today = localDayFn(timeZone)(now);
	const ctx: Ctx = { reader, gameId, timeZone, today };
	const envelope = {
		metric: request.metric,
		gameId,
		timeZone,
		from: dayToDate(request.range.from),
		to: dayToDate(request.range.to),
		breakdown: request.spec.breakdown?.label ?? null,
		filters: request.spec.filters.map((f) => `${f.dimension.label}:${f.value}`),
	};
	const body = await computeBody(ctx, request);
	return { ...envelope, ...body };
}

interface Ctx {
	reader: MetricsReader;
	gameId: string;
	timeZone: string;
	today: number;
}

type Body = { source: "rollups" | "raw"; segments: Record<string, unknown>[]; [extra: string]: unknown };

async function computeBody(ctx: Ctx, r: MetricRequest): Promise<Body> {
	switch (r.metric) {
		case "active-users":
			return activeUsers(ctx, r);
		case "sessions":
			return sessions(ctx, r);
		case "retention":
			return retention(ctx, r);
		case "funnel":
			return funnel(ctx, r);
		case "revenue":
			return revenue(ctx, r);
		case "economy":
			return economy(ctx, r);
		case "progression":
			return progression(ctx, r);
		case "kpi":
			return kpi(ctx, r);
		case "trends":
			return trends(ctx, r);
		case "overview":
			return overview(ctx, r);
	}
}

// ---- active users -------------------------------------------------------------------------------------------

/**
 * Per day: DAU (players with any event that day), new (their first event was that day), returning (DAU − new),
 * WAU and MAU (distinct players active in the 7 and 30 days ending that day) and stickiness (DAU / MAU).
 */
async function activeUsers(ctx: Ctx, r: { range: DayRange; spec: SegmentSpec }): Promise<Body> {
	const rows = await ctx.reader.userDays(ctx.gameId, { from: r.range.from - 29, to: r.range.to }, r.spec);
	const segments = segmentList(rows, r.spec).map(([segment, list]) => {
		const wau = windowCounts(list, r.range, 7);
		const mau = windowCounts(list, r.range, 30);
		const dau = new Map<number, number>();
		const fresh = new Map<number, number>();
		for (const row of list) {
			dau.set(row.day, (dau.get(row.day) ?? 0) + 1);
			if (row.firstDay === row.day) fresh.set(row.day, (fresh.get(row.day) ?? 0) + 1);
		}
		const days = daysOf(r.range).map((day) => {
			const d = dau.get(day) ?? 0;
			const n = fresh.get(day) ?? 0;
			const m = mau.get(day) ?? 0;
			return {
				date: dayToDate(day),
				dau: d,
				newPlayers: n,
				returningPlayers: d - n,
				wau: wau.get(day) ?? 0,
				mau: m,
				stickiness: ratio(d, m),
			};
		});
		const inRange = list.filter((row) => row.day >= r.range.from);
		return {
			segment,
			players: new Set(inRange.map((row) => row.userId)).size,
			newPlayers: inRange.filter((row) => row.day === row.firstDay).length,
			days,
		};
	});
	return { source: "rollups", segments };
}

/** Distinct players active in the `window` days ending on each day of `range`. */
function windowCounts(rows: UserDayRow[], range: DayRange, window: number): Map<number, number> {
	const byUser = new Map<number, number[]>();
	for (const row of rows) {
		let days = byUser.get(row.userId);
		if (!days) byUser.set(row.userId, (days = []));
		days.push(row.day);
	}
	const diff = new Map<number, number>();
	const mark = (from: number, to: number) => {
		const a = Math.max(from, range.from);
		const b = Math.min(to, range.to);
		if (a > b) return;
		diff.set(a, (diff.get(a) ?? 0) + 1);
		diff.set(b + 1, (diff.get(b + 1) ?? 0) - 1);
	};
	for (const days of byUser.values()) {
		days.sort((a, b) => a - b);
		let start = days[0]!;
		let end = start + window - 1;
		for (const day of days) {
			if (day <= end + 1) end = Math.max(end, day + window - 1);
			else {
				mark(start, end);
				start = day;
				end = day + window - 1;
			}
		}
		mark(start, end);
	}
	const out = new Map<number, number>();
	let running = 0;
	for (let day = range.from; day <= range.to; day++) {
		running += diff.get(day) ?? 0;
		out.set(day, running);
	}
	return out;
}

// ---- sessions -----------------------------------------------------------------------------------------------

/**
 * Per day (the day a session started): sessions, players with a session, sessions per player, and the median and
 * mean length in seconds over sessions whose end has arrived.
 */
async function sessions(ctx: Ctx, r: { range: DayRange; spec: SegmentSpec }): Promise<Body> {
	const rows = await ctx.reader.sessions(ctx.gameId, r.range, r.spec);
	const segments = segmentList(rows, r.spec).map(([segment, list]) => {
		const byDay = new Map<number, typeof list>();
		for (const row of list) {
			let l = byDay.get(row.day);
			if (!l) byDay.set(row.day, (l = []));
			l.push(row);
		}
		const summary = (l: typeof list) => {
			const lengths = l.flatMap((s) => (s.duration === null ? [] : [s.duration]));
			const players = new Set(l.map((s) => s.userId)).size;
			return {
				sessions: l.length,
				players,
				sessionsPerPlayer: ratio(l.length, players),
				medianSeconds: median(lengths),
				meanSeconds: mean(lengths),
			};
		};
		return {
			segment,
			...summary(list),
			days: daysOf(r.range).map((day) => ({ date: dayToDate(day), ...summary(byDay.get(day) ?? []) })),
		};
	});
	return { source: "rollups", segments };
}

// ---- retention ----------------------------------------------------------------------------------------------

/**
 * Install cohorts (players by the local day of their first event) × day N:
 * - classic: share of the cohort active on day N exactly (day 0 is the install day: 100%);
 * - rolling: share active on day N or any later day (until today).
 * A cell is null until day N of that cohort has ended.
 */
async function retention(
	ctx: Ctx,
	r: { range: DayRange; spec: SegmentSpec; mode: "classic" | "rolling"; days: number[] },
): Promise<Body> {
	if (
		r.spec.breakdown?.kind === "newVsReturning" ||
		r.spec.filters.some((f) => f.dimension.kind === "newVsReturning")
	) {
		throw new MetricRequestError("new_vs_returning does not apply to install cohorts: every player is new on day 0");
	}
	// cohort → size, and per day N the players counted.
	type Matrix = Map<number, { size: number; counts: Map<number, number> }>;
	const perSegment = new Map<string | null, Matrix>();
	const matrix = (segment: string | null): Matrix => {
		let m = perSegment.get(segment);
		if (!m) perSegment.set(segment, (m = new Map()));
		return m;
	};
	const cell = (m: Matrix, cohort: number) => {
		let c = m.get(cohort);
		if (!c) m.set(cohort, (c = { size: 0, counts: new Map() }));
		return c;
	};

	if (!isSegmented(r.spec)) {
		const m = matrix(null);
		for (const c of await ctx.reader.cohortCells(ctx.gameId, r.range)) {
			if (c.offset === 0) cell(m, c.cohortDay).size = c.users;
			if (r.mode === "classic") cell(m, c.cohortDay).counts.set(c.offset, c.users);
		}
		if (r.mode === "rolling") addRolling(m, cell, await ctx.reader.cohortLast(ctx.gameId, r.range), r.days);
	} else {
		const players = await ctx.reader.players(ctx.gameId, r.range, r.spec);
		for (const p of players) cell(matrix(p.segment), p.firstDay).size += 1;
		if (r.mode === "rolling") {
			for (const p of players) {
				const c = cell(matrix(p.segment), p.firstDay);
				for (const n of r.days) if (p.lastDay - p.firstDay >= n) c.counts.set(n, (c.counts.get(n) ?? 0) + 1);
			}
		} else {
			const wanted = new Set(r.days);
			const maxDay = Math.max(...r.days);
			const rows = await ctx.reader.userDays(ctx.gameId, { from: r.range.from, to: r.range.to + maxDay }, r.spec);
			for (const row of rows) {
				const n = row.day - row.firstDay;
				if (row.firstDay < r.range.from || row.firstDay > r.range.to || !wanted.has(n)) continue;
				const c = cell(matrix(row.segment), row.firstDay);
				c.counts.set(n, (c.counts.get(n) ?? 0) + 1);
			}
		}
	}

	const segments = [...perSegment.entries()]
		.sort(([a], [b]) => String(a).localeCompare(String(b)))
		.map(([segment, m]) => {
			const cohorts = daysOf(r.range)
				.filter((day) => (m.get(day)?.size ?? 0) > 0)
				.map((day) => {
					const c = m.get(day)!;
					return {
						cohort: dayToDate(day),
						players: c.size,
						days: r.days.map((n) => {
							const known = day + n < ctx.today;
							const players = known ? (c.counts.get(n) ?? 0) : null;
							return { day: n, players, rate: players === null ? null : players / c.size };
						}),
					};
				});
			const average = r.days.map((n, i) => {
				let retained = 0;
				let size = 0;
				for (const c of cohorts) {
					const players = c.days[i]!.players;
					if (players === null) continue;
					retained += players;
					size += c.players;
				}
				return { day: n, players: size > 0 ? retained : null, rate: ratio(retained, size) };
			});
			return { segment, players: cohorts.reduce((a, c) => a + c.players, 0), average, cohorts };
		});
	if (segments.length === 0 && !r.spec.breakdown) {
		segments.push({
			segment: null,
			players: 0,
			average: r.days.map((n) => ({ day: n, players: null, rate: null })),
			cohorts: [],
		});
	}
	return { source: "rollups", mode: r.mode, days: r.days, segments };
}

function addRolling(
	m: Map<number, { size: number; counts: Map<number, number> }>,
	cell: (
		m: Map<number, { size: number; counts: Map<number, number> }>,
		cohort: number,
	) => {
		size: number;
		counts: Map<number, number>;
	},
	lasts: { cohortDay: number; maxOffset: number; users: number }[],
	days: number[],
): void {
	for (const l of lasts) {
		const c = cell(m, l.cohortDay);
		for (const n of days) if (l.maxOffset >= n) c.counts.set(n, (c.counts.get(n) ?? 0) + l.users);
	}
}

// ---- funnels ------------------------------------------------------------------------------------------------

/**
 * Ordered funnel: a player enters at their first step-1 event inside the date range; step k counts when a step-k
 * event follows step k−1 (at or after its time) within `windowDays` of entering. With `funnel` (the SDK's
 * funnelStep), each step is the player's first arrival at it; with `steps` (any events), the earliest qualifying
 * event is taken at each step.
 */
async function funnel(
	ctx: Ctx,
	r: { range: DayRange; spec: SegmentSpec; funnel?: string; steps?: EventRef[]; windowDays: number },
): Promise<Body> {
	const fromTime = localDayStart(r.range.from, ctx.timeZone);
	const toTime = localDayStart(r.range.to + 1, ctx.timeZone);
	const windowMs = r.windowDays * DAY_MS;
	// segment → user → step index → sorted times
	const times = new Map<string | null, Map<number, number[][]>>();
	let names: string[];
	const put = (segment: string | null, userId: number, stepIndex: number, time: number, stepCount: number) => {
		let users = times.get(segment);
		if (!users) times.set(segment, (users = new Map()));
		let steps = users.get(userId);
		if (!steps) users.set(userId, (steps = Array.from({ length: stepCount }, () => [])));
		steps[stepIndex]!.push(time);
	};
	let source: "rollups" | "raw";
	// Rollup funnels: each player's first arrival per step, one time each (NaN: not reached).
	const arrivals = new Map<string | null, Map<number, Float64Array>>();
	if (r.funnel !== undefined) {
		source = "rollups";
		const rows = await ctx.reader.funnelSteps(ctx.gameId, r.funnel, fromTime, toTime, r.spec);
		const stepCount = await ctx.reader.funnelStepCount(ctx.gameId, r.funnel);
		const nameVotes = Array.from({ length: stepCount }, () => new Map<string, number>());
		for (const row of rows) {
			let users = arrivals.get(row.segment);
			if (!users) arrivals.set(row.segment, (users = new Map()));
			let a = users.get(row.userId);
			if (!a) users.set(row.userId, (a = new Float64Array(stepCount).fill(NaN)));
			a[row.step - 1] = row.time;
			const votes = nameVotes[row.step - 1]!;
			votes.set(row.stepName, (votes.get(row.stepName) ?? 0) + 1);
		}
		names = nameVotes.map((votes, i) => [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] || `step ${i + 1}`);
	} else {
		source = "raw";
		const steps = r.steps ?? [];
		names = steps.map((s) => (s.type ? `${s.type}:${s.name}` : s.name));
		for (const [i, step] of steps.entries()) {
			for (const e of await ctx.reader.rawEvents(ctx.gameId, step, fromTime, toTime + windowMs, r.spec)) {
				if (e.userId > 0) put(e.segment, e.userId, i, e.time, steps.length);
			}
		}
	}

	const keys = [...new Set([...times.keys(), ...arrivals.keys()])];
	const segmentKeys = r.spec.breakdown ? keys.sort((a, b) => String(a).localeCompare(String(b))) : [null];
	const segments = segmentKeys.map((segment) => {
		const reached = names.map(() => 0);
		const fromPrevious: number[][] = names.map(() => []);
		const fromStart: number[][] = names.map(() => []);
		const paths: number[][] = [];
		for (const steps of (times.get(segment) ?? new Map<number, number[][]>()).values()) {
			paths.push(walkFunnel(steps, fromTime, toTime, windowMs));
		}
		for (const a of (arrivals.get(segment) ?? new Map<number, Float64Array>()).values()) {
			paths.push(walkArrivals(a, fromTime, toTime, windowMs));
		}
		for (const path of paths) {
			path.forEach((time, k) => {
				reached[k]! += 1;
				if (k > 0) {
					fromPrevious[k]!.push((time - path[k - 1]!) / 1000);
					fromStart[k]!.push((time - path[0]!) / 1000);
				}
			});
		}
		const entered = reached[0] ?? 0;
		const completed = reached.at(-1) ?? 0;
		return {
			segment,
			entered,
			completed,
			conversionRate: ratio(completed, entered),
			medianSecondsToConvert: median(fromStart.at(-1) ?? []),
			steps: names.map((name, k) => ({
				step: k + 1,
				name,
				players: reached[k]!,
				conversionRate: ratio(reached[k]!, entered),
				stepConversionRate: k === 0 ? ratio(reached[0]!, entered) : ratio(reached[k]!, reached[k - 1]!),
				dropOff: k === 0 ? 0 : reached[k - 1]! - reached[k]!,
				medianSecondsFromPrevious: k === 0 ? null : median(fromPrevious[k]!),
				medianSecondsFromStart: k === 0 ? null : median(fromStart[k]!),
			})),
		};
	});
	return { source, windowDays: r.windowDays, segments };
}

/** {@link walkFunnel} for first arrivals: one time per step, NaN where the player never arrived. */
export function walkArrivals(a: Float64Array, fromTime: number, toTime: number, windowMs: number): number[] {
	const first = a[0]!;
	if (!(first >= fromTime && first < toTime)) return [];
	const path = [first];
	for (let k = 1; k < a.length; k++) {
		const t = a[k]!;
		if (!(t >= path[k - 1]! && t <= first + windowMs)) break;
		path.push(t);
	}
	return path;
}

/** One player's path through a funnel: the time of each step reached. */
export function walkFunnel(steps: number[][], fromTime: number, toTime: number, windowMs: number): number[] {
	const first = steps[0]?.filter((t) => t >= fromTime && t < toTime).sort((a, b) => a - b)[0];
	if (first === undefined) return [];
	const path = [first];
	for (let k = 1; k < steps.length; k++) {
		const previous = path[k - 1]!;
		const next = steps[k]!.filter((t) => t >= previous && t <= first + windowMs).sort((a, b) => a - b)[0];
		if (next === undefined) break;
		path.push(next);
	}
	return path;
}

// ---- revenue ------------------------------------------------------------------------------------------------

/**
 * Revenue in Robux (the `robux` of purchase events: what players spent). Per day: revenue, purchases, payers, DAU,
 * ARPDAU (revenue / DAU), ARPPU (revenue / payers), payer conversion (payers / DAU). Over the range: the same with
 * distinct players; ARPU is revenue / distinct active players. LTV: cumulative Robux per cohort player by day N.
 * DevEx: Robux × developer share × USD per Robux, an estimate of what the Robux are worth when exchanged.
 */
async function revenue(
	ctx: Ctx,
	r: { range: DayRange; spec: SegmentSpec; usdPerRobux: number; developerShare: number; ltvDays: number[] },
): Promise<Body> {
	const segmented = isSegmented(r.spec);
	type Day = { dau: number; payers: number; revenue: number; purchases: number };
	const perSegment = new Map<string | null, { days: Map<number, Day>; players: Set<number>; payers: Set<number> }>();
	const seg = (segment: string | null) => {
		let s = perSegment.get(segment);
		if (!s) perSegment.set(segment, (s = { days: new Map(), players: new Set(), payers: new Set() }));
		return s;
	};
	let totals: Map<string | null, { players: number; payers: number }>;
	if (!segmented) {
		const s = seg(null);
		for (const row of await ctx.reader.dayTotals(ctx.gameId, r.range)) {
			s.days.set(row.day, { dau: row.dau, payers: row.payers, revenue: row.revenue, purchases: row.purchases });
		}
		totals = new Map([[null, await ctx.reader.rangeTotals(ctx.gameId, r.range)]]);
	} else {
		const rows = await ctx.reader.userDays(ctx.gameId, r.range, r.spec);
		for (const row of rows) {
			const s = seg(row.segment);
			const d = s.days.get(row.day) ?? { dau: 0, payers: 0, revenue: 0, purchases: 0 };
			d.dau += 1;
			d.revenue += row.revenue;
			d.purchases += row.purchases;
			if (row.purchases > 0) d.payers += 1;
			s.days.set(row.day, d);
		}
		totals = new Map();
		for (const [segment, list] of groupBySegmentNullable(rows)) totals.set(segment, distinctTotals(list));
	}

	const ltv = await lifetimeValue(ctx, r, segmented);
	const products = await ctx.reader.products(ctx.gameId, r.range, r.spec);
	const firstPurchases = await ctx.reader.firstPurchases(
		ctx.gameId,
		localDayStart(r.range.from, ctx.timeZone),
		localDayStart(r.range.to + 1, ctx.timeZone),
		r.spec,
	);
	const dayOf = localDayFn(ctx.timeZone);

	const keys = r.spec.breakdown
		? [...new Set([...perSegment.keys(), ...ltv.keys()])].sort((a, b) => String(a).localeCompare(String(b)))
		: [null];
	const segments = keys.map((segment) => {
		const s = perSegment.get(segment) ?? { days: new Map<number, Day>() };
		const days = daysOf(r.range).map((day) => {
			const d = s.days.get(day) ?? { dau: 0, payers: 0, revenue: 0, purchases: 0 };
			return {
				date: dayToDate(day),
				revenue: d.revenue,
				purchases: d.purchases,
				payers: d.payers,
				dau: d.dau,
				arpdau: ratio(d.revenue, d.dau),
				arppu: ratio(d.revenue, d.payers),
				payerConversion: ratio(d.payers, d.dau),
			};
		});
		const total = days.reduce((a, d) => a + d.revenue, 0);
		const purchases = days.reduce((a, d) => a + d.purchases, 0);
		const t = totals.get(segment) ?? { players: 0, payers: 0 };
		const byProduct = new Map<string, { revenue: number; purchases: number }>();
		for (const p of products) {
			if ((p.segment ?? null) !== segment && r.spec.breakdown) continue;
			const row = byProduct.get(p.product) ?? { revenue: 0, purchases: 0 };
			row.revenue += p.revenue;
			row.purchases += p.purchases;
			byProduct.set(p.product, row);
		}
		const firsts = firstPurchases
			.filter((p) => !r.spec.breakdown || p.segment === segment)
			.map((p) => dayOf(p.firstPurchaseTime!) - p.firstDay);
		return {
			segment,
			revenue: total,
			purchases,
			players: t.players,
			payers: t.payers,
			arpu: ratio(total, t.players),
			arppu: ratio(total, t.payers),
			payerConversion: ratio(t.payers, t.players),
			arpdau: ratio(
				total,
				days.reduce((a, d) => a + d.dau, 0),
			),
			devexUsd: total * r.developerShare * r.usdPerRobux,
			days,
			ltv: ltv.get(segment) ?? { days: r.ltvDays.map((n) => ({ day: n, robuxPerPlayer: null })), cohorts: [] },
			topProducts: [...byProduct.entries()]
				.sort((a, b) => b[1].revenue - a[1].revenue || (a[0] < b[0] ? -1 : 1))
				.slice(0, 20)
				.map(([product, v]) => ({
					product,
					revenue: v.revenue,
					purchases: v.purchases,
					share: ratio(v.revenue, total),
				})),
			firstPurchase: firstPurchaseTiming(firsts),
		};
	});
	return {
		source: segmented ? "raw" : "rollups",
		usdPerRobux: r.usdPerRobux,
		developerShare: r.developerShare,
		segments,
	};
}

function groupBySegmentNullable<T extends { segment: string | null }>(rows: T[]): Map<string | null, T[]> {
	const out = new Map<string | null, T[]>();
	for (const row of rows) {
		let list = out.get(row.segment);
		if (!list) out.set(row.segment, (list = []));
		list.push(row);
	}
	return out;
}

function distinctTotals(rows: UserDayRow[]): { players: number; payers: number } {
	const players = new Set<number>();
	const payers = new Set<number>();
	for (const row of rows) {
		players.add(row.userId);
		if (row.purchases > 0) payers.add(row.userId);
	}
	return { players: players.size, payers: payers.size };
}

const FIRST_PURCHASE_BUCKETS: [string, number, number][] = [
	["day 0", 0, 0],
	["day 1", 1, 1],
	["days 2-3", 2, 3],
	["days 4-7", 4, 7],
	["days 8-14", 8, 14],
	["days 15-30", 15, 30],
	["day 31+", 31, Infinity],
];

/** Days from install to first purchase (local days), for players whose first purchase is in the range. */
function firstPurchaseTiming(days: number[]) {
	return {
		payers: days.length,
		medianDays: median(days),
		meanDays: mean(days),
		buckets: FIRST_PURCHASE_BUCKETS.map(([label, lo, hi]) => ({
			label,
			payers: days.filter((d) => d >= lo && d <= hi).length,
		})),
	};
}

type LtvResult = {
	days: { day: number; robuxPerPlayer: number | null }[];
	cohorts: { cohort: string; players: number; robuxPerPlayer: (number | null)[] }[];
};

/** Cumulative Robux per player of each install cohort by day N; the average weighs cohorts by size. */
async function lifetimeValue(
	ctx: Ctx,
	r: { range: DayRange; spec: SegmentSpec; ltvDays: number[] },
	segmented: boolean,
): Promise<Map<string | null, LtvResult>> {
	// segment → cohort → { size, revenue by offset }
	const data = new Map<string | null, Map<number, { size: number; revenue: Map<number, number> }>>();
	const cohort = (segment: string | null, day: number) => {
		let m = data.get(segment);
		if (!m) data.set(segment, (m = new Map()));
		let c = m.get(day);
		if (!c) m.set(day, (c = { size: 0, revenue: new Map() }));
		return c;
	};
	const maxDay = Math.max(0, ...r.ltvDays);
	if (!segmented) {
		for (const c of await ctx.reader.cohortCells(ctx.gameId, r.range)) {
			const entry = cohort(null, c.cohortDay);
			if (c.offset === 0) entry.size = c.users;
			if (c.offset <= maxDay) entry.revenue.set(c.offset, (entry.revenue.get(c.offset) ?? 0) + c.revenue);
		}
	} else {
		for (const p of await ctx.reader.players(ctx.gameId, r.range, r.spec)) cohort(p.segment, p.firstDay).size += 1;
		for (const row of await ctx.reader.userDays(ctx.gameId, { from: r.range.from, to: r.range.to + maxDay }, r.spec)) {
			if (row.firstDay < r.range.from || row.firstDay > r.range.to || row.revenue === 0) continue;
			const offset = row.day - row.firstDay;
			if (offset > maxDay) continue;
			const entry = cohort(row.segment, row.firstDay);
			entry.revenue.set(offset, (entry.revenue.get(offset) ?? 0) + row.revenue);
		}
	}
	const out = new Map<string | null, LtvResult>();
	for (const [segment, cohorts] of data) {
		const list = [...cohorts.entries()].filter(([, c]) => c.size > 0).sort((a, b) => a[0] - b[0]);
		const rows = list.map(([day, c]) => {
			const values = r.ltvDays.map((n) => {
				if (day + n >= ctx.today) return null;
				let sum = 0;
				for (const [offset, robux] of c.revenue) if (offset <= n) sum += robux;
				return sum / c.size;
			});
			return { cohort: dayToDate(day), players: c.size, robuxPerPlayer: values };
		});
		out.set(segment, {
			days: r.ltvDays.map((n, i) => {
				let sum = 0;
				let size = 0;
				for (const row of rows) {
					const v = row.robuxPerPlayer[i];
					if (v === null || v === undefined) continue;
					sum += v * row.players;
					size += row.players;
				}
				return { day: n, robuxPerPlayer: ratio(sum, size) };
			}),
			cohorts: rows,
		});
	}
	return out;
}

// ---- economy ------------------------------------------------------------------------------------------------

/**
 * Per currency: Σ amount of `source` events (earned) and `sink` events (spent), net flow (sources − sinks), the money
 * supply (cumulative net flow since the first event, at the end of each day) and inflation (the day's net flow /
 * the supply at the start of the day; null while the supply is not positive); the largest flows by item.
 */
async function economy(ctx: Ctx, r: { range: DayRange; spec: SegmentSpec }): Promise<Body> {
	const rows = await ctx.reader.economy(ctx.gameId, r.range, r.spec);
	const history = await ctx.reader.economy(ctx.gameId, { from: -1e9, to: r.range.from - 1 }, r.spec);
	const opening = new Map<string, number>();
	for (const h of history) {
		const key = JSON.stringify([h.segment, h.currency]);
		opening.set(key, (opening.get(key) ?? 0) + (h.flow === "source" ? h.amount : h.flow === "sink" ? -h.amount : 0));
	}
	const segments = segmentList(rows, r.spec).map(([segment, list]) => {
		const currencies = [...new Set(list.map((row) => row.currency))].sort();
		return {
			segment,
			currencies: currencies.map((currency) => {
				const mine = list.filter((row) => row.currency === currency);
				let supply = opening.get(JSON.stringify([segment, currency])) ?? 0;
				const days = daysOf(r.range).map((day) => {
					const today = mine.filter((row) => row.day === day);
					const sources = sum(today.filter((row) => row.flow === "source").map((row) => row.amount));
					const sinks = sum(today.filter((row) => row.flow === "sink").map((row) => row.amount));
					const net = sources - sinks;
					const start = supply;
					supply += net;
					return { date: dayToDate(day), sources, sinks, net, supply, inflation: start > 0 ? net / start : null };
				});
				const items = new Map<
					string,
					{ flow: string; itemType: string; itemId: string; amount: number; events: number }
				>();
				for (const row of mine) {
					const key = JSON.stringify([row.flow, row.itemType, row.itemId]);
					const item = items.get(key) ?? {
						flow: row.flow,
						itemType: row.itemType,
						itemId: row.itemId,
						amount: 0,
						events: 0,
					};
					item.amount += row.amount;
					item.events += row.events;
					items.set(key, item);
				}
				const sources = sum(days.map((d) => d.sources));
				const sinks = sum(days.map((d) => d.sinks));
				return {
					currency,
					sources,
					sinks,
					net: sources - sinks,
					days,
					items: [...items.values()].sort((a, b) => b.amount - a.amount).slice(0, 50),
				};
			}),
		};
	});
	return { source: isSegmented(r.spec) ? "raw" : "rollups", segments };
}

function sum(values: number[]): number {
	let total = 0;
	for (const v of values) total += v;
	return total;
}

// ---- progression --------------------------------------------------------------------------------------------

/**
 * Per level path: starts, completes, fails; completion rate (completes / starts), fail rate (fails / starts), mean
 * attempts to complete (the SDK's attempt number on complete: 1 = first try) and mean seconds from start to complete.
 */
async function progression(ctx: Ctx, r: { range: DayRange; spec: SegmentSpec }): Promise<Body> {
	const rows = await ctx.reader.progression(ctx.gameId, r.range, r.spec);
	const segments = segmentList(rows, r.spec).map(([segment, list]) => {
		const levels = new Map<
			string,
			{
				starts: number;
				completes: number;
				fails: number;
				attempts: number;
				attemptsN: number;
				seconds: number;
				secondsN: number;
			}
		>();
		for (const row of list) {
			const l = levels.get(row.path) ?? {
				starts: 0,
				completes: 0,
				fails: 0,
				attempts: 0,
				attemptsN: 0,
				seconds: 0,
				secondsN: 0,
			};
			if (row.status === "start") l.starts += row.events;
			if (row.status === "complete") {
				l.completes += row.events;
				l.attempts += row.attempts;
				l.attemptsN += row.attemptsN;
				l.seconds += row.seconds;
				l.secondsN += row.secondsN;
			}
			if (row.status === "fail") l.fails += row.events;
			levels.set(row.path, l);
		}
		return {
			segment,
			levels: [...levels.entries()]
				.sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true }))
				.map(([path, l]) => ({
					path,
					starts: l.starts,
					completes: l.completes,
					fails: l.fails,
					completionRate: ratio(l.completes, l.starts),
					failRate: ratio(l.fails, l.starts),
					attemptsToComplete: ratio(l.attempts, l.attemptsN),
					meanSecondsToComplete: ratio(l.seconds, l.secondsN),
				})),
		};
	});
	return { source: isSegmented(r.spec) ? "raw" : "rollups", segments };
}

// ---- custom KPIs and trends ---------------------------------------------------------------------------------

/** Whether a prop value passes a filter. */
export function matchesFilter(value: unknown, f: PropFilter): boolean {
	if (f.op === "=" || f.op === "!=") {
		const equal = value !== undefined && value !== null && String(value) === f.value;
		return f.op === "=" ? equal : !equal;
	}
	if (typeof value !== "number") return false;
	const bound = Number(f.value);
	switch (f.op) {
		case ">":
			return value > bound;
		case "<":
			return value < bound;
		case ">=":
			return value >= bound;
		case "<=":
			return value <= bound;
	}
}

interface SeriesAcc {
	count: number;
	users: Set<number>;
	sum: number;
	n: number;
}

function acc(): SeriesAcc {
	return { count: 0, users: new Set(), sum: 0, n: 0 };
}

function measureOf(a: SeriesAcc, measure: "count" | "users" | "sum" | "mean"): number | null {
	switch (measure) {
		case "count":
			return a.count;
		case "users":
			return a.users.size;
		case "sum":
			return a.sum;
		case "mean":
			return ratio(a.sum, a.n);
	}
}

/**
 * A KPI without SQL: the count, the distinct players, or the sum or mean of a numeric prop of one event, per day,
 * optionally only events whose props pass `where`, grouped by a prop's value.
 */
async function kpi(
	ctx: Ctx,
	r: {
		range: DayRange;
		spec: SegmentSpec;
		event: EventRef;
		measure: "count" | "users" | "sum" | "mean";
		property?: string;
		where: PropFilter[];
		groupBy?: string;
	},
): Promise<Body> {
	// Counts of the whole game come from the daily rollup; distinct players, sums, filters, groups and segments
	// need each event's player and props.
	const useRollup = r.measure === "count" && r.where.length === 0 && !r.groupBy && !isSegmented(r.spec);
	// segment → group → day → accumulator
	const data = new Map<string | null, Map<string | null, Map<number, SeriesAcc>>>();
	const slot = (segment: string | null, group: string | null, day: number) => {
		let groups = data.get(segment);
		if (!groups) data.set(segment, (groups = new Map()));
		let days = groups.get(group);
		if (!days) groups.set(group, (days = new Map()));
		let a = days.get(day);
		if (!a) days.set(day, (a = acc()));
		return a;
	};
	if (useRollup) {
		for (const row of await ctx.reader.eventDays(ctx.gameId, r.event, r.range))
			slot(null, null, row.day).count += row.events;
	} else {
		const dayOf = localDayFn(ctx.timeZone);
		const fromTime = localDayStart(r.range.from, ctx.timeZone);
		const toTime = localDayStart(r.range.to + 1, ctx.timeZone);
		for (const e of await ctx.reader.rawEvents(ctx.gameId, r.event, fromTime, toTime, r.spec)) {
			if (!r.where.every((f) => matchesFilter(e.props[f.prop], f))) continue;
			const groupValue = r.groupBy === undefined ? null : e.props[r.groupBy];
			const group =
				r.groupBy === undefined
					? null
					: groupValue === undefined || groupValue === null
						? "(none)"
						: String(groupValue);
			const a = slot(e.segment, group, dayOf(e.time));
			a.count += 1;
			if (e.userId > 0) a.users.add(e.userId);
			const value = r.property === undefined ? undefined : e.props[r.property];
			if (typeof value === "number") {
				a.sum += value;
				a.n += 1;
			}
		}
	}
	const keys = r.spec.breakdown ? [...data.keys()].sort((a, b) => String(a).localeCompare(String(b))) : [null];
	const segments = keys.map((segment) => {
		const groups = data.get(segment) ?? new Map<string | null, Map<number, SeriesAcc>>([[null, new Map()]]);
		return {
			segment,
			groups: [...groups.entries()]
				.sort(([a], [b]) => String(a).localeCompare(String(b)))
				.map(([group, days]) => {
					const total = acc();
					for (const a of days.values()) {
						total.count += a.count;
						for (const u of a.users) total.users.add(u);
						total.sum += a.sum;
						total.n += a.n;
					}
					return {
						group,
						total: measureOf(total, r.measure),
						days: daysOf(r.range).map((day) => ({
							date: dayToDate(day),
							value: measureOf(days.get(day) ?? acc(), r.measure),
						})),
					};
				}),
		};
	});
	return {
		source: useRollup ? "rollups" : "raw",
		event: r.event,
		measure: r.measure,
		property: r.property ?? null,
		where: r.where.map((f) => `${f.prop}${f.op}${f.value}`),
		groupBy: r.groupBy ?? null,
		segments,
	};
}

/** Trends of several events: count or distinct players per day, or count per UTC hour (whole game only). */
async function trends(
	ctx: Ctx,
	r: { range: DayRange; spec: SegmentSpec; events: EventRef[]; measure: "count" | "users"; interval: "day" | "hour" },
): Promise<Body> {
	if (r.interval === "hour") {
		if (r.measure !== "count" || isSegmented(r.spec)) {
			throw new MetricRequestError(
				"hourly trends give event counts for the whole game: use measure=count without breakdown or filters",
			);
		}
		const fromTime = localDayStart(r.range.from, ctx.timeZone);
		const toTime = localDayStart(r.range.to + 1, ctx.timeZone);
		const fromHour = Math.floor(fromTime / HOUR_MS);
		const toHour = Math.ceil(toTime / HOUR_MS);
		return {
			source: "rollups",
			interval: "hour",
			measure: "count",
			segments: [
				{
					segment: null,
					events: await Promise.all(
						r.events.map(async (event) => {
							const counts = new Map(
								(await ctx.reader.eventHours(ctx.gameId, event, fromHour, toHour)).map((h) => [h.hour, h.events]),
							);
							const hours: { hour: string; value: number }[] = [];
							for (let h = fromHour; h < toHour; h++) {
								hours.push({ hour: new Date(h * HOUR_MS).toISOString(), value: counts.get(h) ?? 0 });
							}
							return { event, total: sum(hours.map((x) => x.value)), hours };
						}),
					),
				},
			],
		};
	}
	const perEvent: Body[] = [];
	for (const event of r.events) {
		perEvent.push(await kpi(ctx, { range: r.range, spec: r.spec, event, measure: r.measure, where: [] }));
	}
	const keys = new Set<string | null>();
	for (const result of perEvent) for (const s of result.segments) keys.add(s.segment as string | null);
	const segments = [...keys]
		.sort((a, b) => String(a).localeCompare(String(b)))
		.map((segment) => ({
			segment,
			events: perEvent.map((result, i) => {
				const s = result.segments.find((x) => x.segment === segment) as
					{ groups: { total: number | null; days: { date: string; value: number | null }[] }[] } | undefined;
				const group = s?.groups[0];
				return {
					event: r.events[i]!,
					total: group?.total ?? 0,
					days: group?.days ?? daysOf(r.range).map((day) => ({ date: dayToDate(day), value: 0 })),
				};
			}),
		}));
	const source = perEvent.every((result) => result.source === "rollups") ? "rollups" : "raw";
	return { source, interval: "day", measure: r.measure, segments };
}

// ---- overview -----------------------------------------------------------------------------------------------

export interface OverviewKpi {
	key: string;
	label: string;
	unit: "players" | "robux" | "seconds" | "ratio" | "count";
	value: number | null;
	/** The same KPI over the period of equal length just before. */
	previous: number | null;
	/** (value − previous) / previous; null when previous is 0 or missing. */
	change: number | null;
}

/** The headline KPIs of a period against the period before it (the digest and the dashboard's overview). */
async function overview(ctx: Ctx, r: { range: DayRange; spec: SegmentSpec }): Promise<Body> {
	if (isSegmented(r.spec)) throw new MetricRequestError("the overview is for the whole game: no breakdown or filters");
	const length = r.range.to - r.range.from + 1;
	const previous = { from: r.range.from - length, to: r.range.from - 1 };
	const now = await periodKpis(ctx, r.range);
	const before = await periodKpis(ctx, previous);
	const kpis: OverviewKpi[] = now.map((k, i) => {
		const p = before[i]!.value;
		return { ...k, previous: p, change: k.value === null || p === null || p === 0 ? null : (k.value - p) / p };
	});
	return {
		source: "rollups",
		previousFrom: dayToDate(previous.from),
		previousTo: dayToDate(previous.to),
		segments: [{ segment: null, kpis }],
	};
}

async function periodKpis(ctx: Ctx, range: DayRange): Promise<Omit<OverviewKpi, "previous" | "change">[]> {
	const days = await ctx.reader.dayTotals(ctx.gameId, range);
	const dauSum = sum(days.map((d) => d.dau));
	const revenueSum = sum(days.map((d) => d.revenue));
	const sessionRows = await ctx.reader.sessions(ctx.gameId, range, { filters: [] });
	const lengths = sessionRows.flatMap((s) => (s.duration === null ? [] : [s.duration]));
	const players = await ctx.reader.rangeTotals(ctx.gameId, range);
	let d1Size = 0;
	let d1Retained = 0;
	const sizes = new Map<number, number>();
	for (const c of await ctx.reader.cohortCells(ctx.gameId, range)) {
		if (c.offset === 0) sizes.set(c.cohortDay, c.users);
	}
	for (const c of await ctx.reader.cohortCells(ctx.gameId, range)) {
		if (c.offset === 1 && c.cohortDay + 1 < ctx.today) d1Retained += c.users;
	}
	for (const [day, size] of sizes) if (day + 1 < ctx.today) d1Size += size;
	const observedDays = range.to - range.from + 1;
	return [
		{ key: "dau", label: "Daily active players (average)", unit: "players", value: dauSum / observedDays },
		{ key: "players", label: "Active players", unit: "players", value: players.players },
		{ key: "newPlayers", label: "New players", unit: "players", value: sum(days.map((d) => d.newUsers)) },
		{ key: "revenue", label: "Revenue (Robux)", unit: "robux", value: revenueSum },
		{ key: "arpdau", label: "ARPDAU (Robux)", unit: "robux", value: ratio(revenueSum, dauSum) },
		{ key: "payers", label: "Payers", unit: "players", value: players.payers },
		{ key: "sessions", label: "Sessions", unit: "count", value: sessionRows.length },
		{ key: "sessionSeconds", label: "Median session length (s)", unit: "seconds", value: median(lengths) },
		{ key: "d1Retention", label: "Day-1 retention", unit: "ratio", value: ratio(d1Retained, d1Size) },
	];
}

export type { PlayerRow };
