/* eslint-disable @typescript-eslint/no-explicit-any -- reads metric JSON of many shapes; the comparison is the check */
// Property: for random event sets delivered in random batches (late events, resent events, folds between batches,
// re-runs and rebuilds), every metric read from the rollups equals the same metric computed here directly from the
// raw events with plain, obviously-correct code.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { IngestEvent } from "../ingest/schema.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/types.js";
import type { MetricRequest } from "../metrics/engine.js";
import { localDayFn } from "./time-zone.js";

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 2, 1);
const DAY0 = T0 / DAY;
const DAYS = 8;
const NOW = T0 + 12 * DAY;
const RANGE = { from: DAY0 - 1, to: DAY0 + DAYS };

const eventArb = fc.record({
	userId: fc.integer({ min: 0, max: 6 }),
	offset: fc.integer({ min: 0, max: DAYS * DAY - 1 }),
	kind: fc.constantFrom("start", "end", "custom", "purchase", "source", "sink", "progress", "funnel", "exposure"),
	n: fc.integer({ min: 1, max: 5 }),
	session: fc.integer({ min: 0, max: 3 }),
	device: fc.constantFrom("desktop", "phone"),
});

interface Spec {
	userId: number;
	offset: number;
	kind: string;
	n: number;
	session: number;
	device: string;
}

function toEvent(spec: Spec, index: number): IngestEvent {
	const time = T0 + spec.offset;
	const sessionId = `s${spec.userId}-${spec.session}`;
	const base = { id: `e${String(index).padStart(6, "0")}`, time, userId: spec.userId, sessionId };
	switch (spec.kind) {
		case "start":
			return { ...base, type: "session_start", name: "player", props: { device: spec.device } };
		case "end":
			return { ...base, type: "session_end", name: "player", props: { device: spec.device, duration: spec.n * 60 } };
		case "purchase":
			return {
				...base,
				type: "purchase",
				name: "developer_product",
				props: { productId: spec.n % 2, robux: spec.n * 10 },
			};
		case "source":
		case "sink":
			return {
				...base,
				type: "economy",
				name: `${spec.kind}:Coins`,
				props: { flow: spec.kind, currency: "Coins", amount: spec.n, itemType: "t", itemId: `i${spec.n}` },
			};
		case "progress":
			return {
				...base,
				type: "progression",
				name: `L${spec.n % 2}`,
				props: { status: ["start", "complete", "fail"][spec.n % 3]!, attempt: spec.n, seconds: spec.n * 5 },
			};
		case "funnel":
			return {
				...base,
				type: "funnel",
				name: "onboard",
				props: { step: (spec.n % 3) + 1, stepName: `st${(spec.n % 3) + 1}` },
			};
		case "exposure":
			return { ...base, type: "exposure", name: "exp", props: { variation: spec.n % 2 } };
		default:
			return { ...base, type: "custom", name: "ping", props: { n: spec.n } };
	}
}

/** The reference: each metric computed straight from the list of distinct raw events. */
function reference(events: IngestEvent[], zone: string, today: number) {
	const dayOf = localDayFn(zone);
	const players = events.filter((e) => e.userId > 0);
	const firstTime = new Map<number, number>();
	for (const e of players) firstTime.set(e.userId, Math.min(firstTime.get(e.userId) ?? Infinity, e.time));
	const install = new Map([...firstTime].map(([u, t]) => [u, dayOf(t)]));
	const activeDays = new Map<number, Set<number>>();
	for (const e of players) {
		if (!activeDays.has(e.userId)) activeDays.set(e.userId, new Set());
		activeDays.get(e.userId)!.add(dayOf(e.time));
	}
	const days: number[] = [];
	for (let d = RANGE.from; d <= RANGE.to; d++) days.push(d);
	const dau = days.map((d) => [...activeDays.values()].filter((s) => s.has(d)).length);
	const newPlayers = days.map((d) => [...install.values()].filter((i) => i === d).length);
	const purchases = players.filter((e) => e.type === "purchase");
	const revenueOn = (d: number, u?: number) =>
		purchases
			.filter((e) => dayOf(e.time) === d && (u === undefined || e.userId === u))
			.reduce((a, e) => a + (e.props.robux as number), 0);
	const revenue = days.map((d) => revenueOn(d));
	const payers = days.map(
		(d) => new Set(purchases.filter((e) => e.userId > 0 && dayOf(e.time) === d).map((e) => e.userId)).size,
	);
	const N = [0, 1, 2, 3];
	const cohorts = days
		.filter((d) => newPlayers[d - RANGE.from]! > 0)
		.map((c) => {
			const members = [...install].filter(([, i]) => i === c).map(([u]) => u);
			return {
				cohort: c,
				size: members.length,
				classic: N.map((n) => (c + n < today ? members.filter((u) => activeDays.get(u)!.has(c + n)).length : null)),
				rolling: N.map((n) =>
					c + n < today ? members.filter((u) => [...activeDays.get(u)!].some((d) => d >= c + n)).length : null,
				),
				ltv: N.map((n) => {
					if (c + n >= today) return null;
					let sum = 0;
					for (const u of members) for (let d = c; d <= c + n; d++) sum += revenueOn(d, u);
					return sum / members.length;
				}),
			};
		});
	const economyNet = days.map((d) =>
		events
			.filter((e) => e.type === "economy" && dayOf(e.time) === d)
			.reduce((a, e) => a + (e.props.flow === "source" ? 1 : -1) * (e.props.amount as number), 0),
	);
	const progress = (path: string, status: string) =>
		events.filter((e) => e.type === "progression" && e.name === path && e.props.status === status).length;
	// Sessions: one per session id of a player; its day is the start's day (else end − duration).
	const sessionIds = new Map<string, { start?: number; end?: number; duration?: number }>();
	for (const e of players) {
		if (e.type !== "session_start" && e.type !== "session_end") continue;
		const s = sessionIds.get(e.sessionId) ?? {};
		if (e.type === "session_start") s.start = Math.min(s.start ?? Infinity, e.time);
		else {
			s.end = Math.max(s.end ?? -Infinity, e.time);
			s.duration = Math.max(s.duration ?? 0, e.props.duration as number);
		}
		sessionIds.set(e.sessionId, s);
	}
	const sessionDays = [...sessionIds.values()].map((s) => dayOf(s.start ?? s.end! - (s.duration ?? 0) * 1000));
	const sessionsPerDay = days.map((d) => sessionDays.filter((x) => x === d).length);
	const pingUsers = days.map(
		(d) =>
			new Set(events.filter((e) => e.name === "ping" && e.userId > 0 && dayOf(e.time) === d).map((e) => e.userId)).size,
	);
	const pingCount = days.map((d) => events.filter((e) => e.name === "ping" && dayOf(e.time) === d).length);
	// Funnel "onboard": each player's first arrival at each step; entry = step 1 in range; 14-day window.
	const first = new Map<string, number>();
	for (const e of players.filter((x) => x.type === "funnel")) {
		const key = `${e.userId}:${e.props.step}`;
		first.set(key, Math.min(first.get(key) ?? Infinity, e.time));
	}
	const maxStep = Math.max(0, ...players.filter((x) => x.type === "funnel").map((x) => x.props.step as number));
	const funnelCounts = Array.from({ length: maxStep }, () => 0);
	for (const u of install.keys()) {
		const t1 = first.get(`${u}:1`);
		if (t1 === undefined) continue;
		funnelCounts[0]! += 1;
		let previous = t1;
		for (let k = 2; k <= maxStep; k++) {
			const t = first.get(`${u}:${k}`);
			if (t === undefined || t < previous || t > t1 + 14 * DAY) break;
			funnelCounts[k - 1]! += 1;
			previous = t;
		}
	}
	return {
		dau,
		newPlayers,
		revenue,
		payers,
		cohorts,
		economyNet,
		progress,
		sessionsPerDay,
		pingUsers,
		pingCount,
		funnelCounts,
	};
}

async function readAll(store: Store) {
	const m = (request: MetricRequest) => store.warehouse.metric("g", request, NOW) as Promise<any>;
	const spec = { filters: [] };
	const active = await m({ metric: "active-users", range: RANGE, spec });
	const revenue = await m({
		metric: "revenue",
		range: RANGE,
		spec,
		usdPerRobux: 0.0038,
		developerShare: 0.7,
		ltvDays: [0, 1, 2, 3],
	});
	const classic = await m({ metric: "retention", range: RANGE, spec, mode: "classic", days: [0, 1, 2, 3] });
	const rolling = await m({ metric: "retention", range: RANGE, spec, mode: "rolling", days: [0, 1, 2, 3] });
	const economy = await m({ metric: "economy", range: RANGE, spec });
	const progression = await m({ metric: "progression", range: RANGE, spec });
	const sessions = await m({ metric: "sessions", range: RANGE, spec });
	const users = await m({ metric: "kpi", range: RANGE, spec, event: { name: "ping" }, measure: "users", where: [] });
	const count = await m({ metric: "kpi", range: RANGE, spec, event: { name: "ping" }, measure: "count", where: [] });
	const funnel = await m({ metric: "funnel", range: RANGE, spec, funnel: "onboard", windowDays: 14 });
	const byPlatform = await m({
		metric: "revenue",
		range: RANGE,
		spec: { breakdown: { kind: "attr", name: "device", label: "platform" }, filters: [] },
		usdPerRobux: 1,
		developerShare: 1,
		ltvDays: [0, 1],
	});
	return { active, revenue, classic, rolling, economy, progression, sessions, users, count, funnel, byPlatform };
}

function project(r: Awaited<ReturnType<typeof readAll>>) {
	const s = (x: any) => x.segments[0];
	const coins = s(r.economy).currencies.find((c: any) => c.currency === "Coins");
	const level = (path: string, key: string) => s(r.progression).levels.find((l: any) => l.path === path)?.[key] ?? 0;
	return {
		dau: s(r.active).days.map((d: any) => d.dau),
		dauFromDays: s(r.revenue).days.map((d: any) => d.dau),
		newPlayers: s(r.active).days.map((d: any) => d.newPlayers),
		revenue: s(r.revenue).days.map((d: any) => d.revenue),
		payers: s(r.revenue).days.map((d: any) => d.payers),
		cohorts: s(r.classic).cohorts.map((c: any, i: number) => ({
			cohort: c.cohort,
			size: c.players,
			classic: c.days.map((d: any) => d.players),
			rolling: s(r.rolling).cohorts[i].days.map((d: any) => d.players),
			ltv: s(r.revenue).ltv.cohorts[i].robuxPerPlayer,
		})),
		economyNet: coins ? coins.days.map((d: any) => d.net) : s(r.active).days.map(() => 0),
		progress: ["L0", "L1"].map((p) => [level(p, "starts"), level(p, "completes"), level(p, "fails")]),
		sessionsPerDay: s(r.sessions).days.map((d: any) => d.sessions),
		pingUsers: s(r.users).groups[0].days.map((d: any) => d.value),
		pingCount: s(r.count).groups[0].days.map((d: any) => d.value),
		funnelCounts: s(r.funnel).steps.map((x: any) => x.players),
		revenueByPlatform: r.byPlatform.segments.reduce((a: number, x: any) => a + x.revenue, 0),
	};
}

function expected(events: IngestEvent[], zone: string) {
	const ref = reference(events, zone, localDayFn(zone)(NOW));
	const dayKey = (d: number) => new Date(d * DAY).toISOString().slice(0, 10);
	return {
		dau: ref.dau,
		dauFromDays: ref.dau,
		newPlayers: ref.newPlayers,
		revenue: ref.revenue,
		payers: ref.payers,
		cohorts: ref.cohorts.map((c) => ({
			cohort: dayKey(c.cohort),
			size: c.size,
			classic: c.classic,
			rolling: c.rolling,
			ltv: c.ltv,
		})),
		economyNet: ref.economyNet,
		progress: ["L0", "L1"].map((p) => [ref.progress(p, "start"), ref.progress(p, "complete"), ref.progress(p, "fail")]),
		sessionsPerDay: ref.sessionsPerDay,
		pingUsers: ref.pingUsers,
		pingCount: ref.pingCount,
		funnelCounts: ref.funnelCounts,
		revenueByPlatform: ref.revenue.reduce((a, b) => a + b, 0),
	};
}

describe("rollups equal raw-event metrics", () => {
	it("for random events in random batches, late, resent, folded at random points, re-run and rebuilt", async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.array(eventArb, { minLength: 1, maxLength: 60 }),
				fc.array(fc.integer({ min: 0, max: 59 }), { maxLength: 6 }),
				fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
				fc.constantFrom("UTC", "America/Los_Angeles", "Asia/Kolkata"),
				fc.array(eventArb, { maxLength: 10 }),
				async (specs, resend, foldAfter, zone, extraSpecs) => {
					const events = specs.map(toEvent);
					const extra = extraSpecs.map((spec, i) => toEvent(spec, 1000 + i));
					const store = openSqliteStore({ path: ":memory:", autoFold: false });
					try {
						await store.createGame({ id: "g", name: "g", createdAt: T0 });
						if (zone !== "UTC") await store.updateGameSettings("g", { timeZone: zone }, T0);
						// Batches in arrival order: newest first half, then older ones ("late" spill drains).
						const order = [...events].sort((a, b) => (a.id.charCodeAt(5) % 2) - (b.id.charCodeAt(5) % 2));
						const batches: IngestEvent[][] = [];
						for (let i = 0; i < order.length; i += 7) batches.push(order.slice(i, i + 7));
						let b = 0;
						for (const batch of batches) {
							await store.ingestBatch("g", { batchId: `b${b}`, sentAt: NOW, events: batch, rejected: [] }, NOW);
							if (foldAfter[b % foldAfter.length]) await store.warehouse.catchUp();
							b++;
						}
						// Resent events (a lapsed spill lease): stored once, folded once.
						const again = resend.filter((i) => i < events.length).map((i) => events[i]!);
						if (again.length > 0) {
							await store.ingestBatch("g", { batchId: "resend", sentAt: NOW, events: again, rejected: [] }, NOW);
						}
						await store.warehouse.catchUp();
						await store.warehouse.catchUp();
						const want = expected(events, zone);
						const incremental = project(await readAll(store));
						expect(incremental).toEqual(want);
						// A rebuild (backfill) with new batches arriving while it runs: each event still counts once.
						await store.warehouse.rebuild("g");
						if (extra.length > 0) {
							await store.ingestBatch("g", { batchId: "extra", sentAt: NOW, events: extra, rejected: [] }, NOW);
						}
						await store.warehouse.catchUp();
						expect(project(await readAll(store))).toEqual(expected([...events, ...extra], zone));
					} finally {
						await store.close();
					}
				},
			),
			{ numRuns: 60 },
		);
	});
});
