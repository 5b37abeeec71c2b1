/* eslint-disable @typescript-eslint/no-explicit-any -- reads metric JSON of many shapes */
// Metric correctness on a dataset small enough to compute by hand. Every expected number below is worked out in
// the comment beside it from the events listed in `dataset()`.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/types.js";
import type { IngestEvent } from "../ingest/schema.js";
import type { MetricRequest } from "./engine.js";
import { parseDimension, type SegmentSpec } from "./segments.js";

const DAY = 86_400_000;
/** Monday 2026-01-05 00:00 UTC: day D0 of the fixture. */
const D0 = Date.UTC(2026, 0, 5);
const D0_DAY = D0 / DAY;
const at = (day: number, hour: number, minute = 0) => D0 + day * DAY + hour * 3_600_000 + minute * 60_000;

let seq = 0;
function ev(
	userId: number,
	type: IngestEvent["type"],
	name: string,
	time: number,
	props: IngestEvent["props"] = {},
	sessionId = `s${userId}-${Math.floor((time - D0) / DAY)}`,
): IngestEvent {
	seq += 1;
	return {
		id: `e${String(time).padStart(15, "0")}-${String(seq).padStart(6, "0")}`,
		time,
		userId,
		sessionId,
		type,
		name,
		props,
	};
}

function session(
	userId: number,
	day: number,
	hour: number,
	seconds: number,
	attrs: IngestEvent["props"],
): IngestEvent[] {
	const sessionId = `s${userId}-${day}`;
	return [
		ev(userId, "session_start", "player", at(day, hour), attrs, sessionId),
		ev(userId, "session_end", "player", at(day, hour) + seconds * 1000, { ...attrs, duration: seconds }, sessionId),
	];
}

const US_DESKTOP = { device: "desktop", country: "US" };
const DE_PHONE = { device: "phone", country: "DE" };
const GB_PHONE = { device: "phone", country: "GB" };

/**
 * Four players over four days (D0 = Mon 5 Jan 2026, UTC):
 * - U1 (desktop, US): sessions D0 (600 s), D1 (300 s), D3 (120 s); buys product 11 for 100 Robux on D1;
 *   onboarding steps 1, 2 on D0 and 3 on D1; Level1 start, fail, start, complete (attempt 2, 30 s) on D0.
 * - U2 (phone, DE): session D0 (60 s); earns 50 Coins (quest) and spends 20 (sword) on D0; steps 1, 2 on D0;
 *   Level1 start, complete (attempt 1, 50 s) on D0.
 * - U3 (desktop, US): sessions D1 (200 s), D2 (400 s); buys product 11 for 40 on D1 and product 12 for 60 on D2;
 *   onboarding steps 1 and 3 on D1 (never step 2).
 * - U4 (phone, GB): sessions D2 (100 s), D3 (500 s); earns 30 Coins on D2.
 */
function dataset(): IngestEvent[] {
	return [
		...session(1, 0, 10, 600, US_DESKTOP),
		ev(1, "funnel", "onboarding", at(0, 10, 1), { step: 1, stepName: "spawned" }),
		ev(1, "funnel", "onboarding", at(0, 10, 5), { step: 2, stepName: "tutorial" }),
		ev(1, "progression", "Level1", at(0, 10, 2), { status: "start", p1: "Level1" }),
		ev(1, "progression", "Level1", at(0, 10, 3), { status: "fail", p1: "Level1", attempt: 1 }),
		ev(1, "progression", "Level1", at(0, 10, 4), { status: "start", p1: "Level1" }),
		ev(1, "progression", "Level1", at(0, 10, 6), { status: "complete", p1: "Level1", attempt: 2, seconds: 30 }),
		...session(1, 1, 9, 300, US_DESKTOP),
		ev(1, "funnel", "onboarding", at(1, 9, 1), { step: 3, stepName: "first purchase" }),
		ev(1, "purchase", "developer_product", at(1, 9, 2), { productId: 11, purchaseId: "p1", robux: 100 }),
		...session(1, 3, 20, 120, US_DESKTOP),

		...session(2, 0, 12, 60, DE_PHONE),
		ev(2, "funnel", "onboarding", at(0, 12, 0), { step: 1, stepName: "spawned" }),
		ev(2, "funnel", "onboarding", at(0, 12, 1), { step: 2, stepName: "tutorial" }),
		ev(2, "economy", "source:Coins", at(0, 12, 0), {
			flow: "source",
			currency: "Coins",
			amount: 50,
			itemType: "Quest",
			itemId: "q1",
		}),
		ev(2, "economy", "sink:Coins", at(0, 12, 1), {
			flow: "sink",
			currency: "Coins",
			amount: 20,
			itemType: "Weapon",
			itemId: "sword",
		}),
		ev(2, "progression", "Level1", at(0, 12, 0), { status: "start", p1: "Level1" }),
		ev(2, "progression", "Level1", at(0, 12, 1), { status: "complete", p1: "Level1", attempt: 1, seconds: 50 }),

		...session(3, 1, 15, 200, US_DESKTOP),
		ev(3, "funnel", "onboarding", at(1, 15, 0), { step: 1, stepName: "spawned" }),
		ev(3, "funnel", "onboarding", at(1, 15, 1), { step: 3, stepName: "first purchase" }),
		ev(3, "purchase", "developer_product", at(1, 15, 2), { productId: 11, purchaseId: "p2", robux: 40 }),
		...session(3, 2, 15, 400, US_DESKTOP),
		ev(3, "purchase", "developer_product", at(2, 15, 2), { productId: 12, purchaseId: "p3", robux: 60 }),

		// Experiment "shop": U1 sees variation 0, U2 variation 1, U3 both (so belongs to neither arm); U4 none.
		ev(1, "exposure", "shop", at(0, 10, 0), { variation: 0 }),
		ev(2, "exposure", "shop", at(0, 12, 0), { variation: 1 }),
		ev(3, "exposure", "shop", at(1, 15, 0), { variation: 0 }),
		ev(3, "exposure", "shop", at(1, 15, 3), { variation: 1 }),

		...session(4, 2, 18, 100, GB_PHONE),
		ev(4, "economy", "source:Coins", at(2, 18, 1), {
			flow: "source",
			currency: "Coins",
			amount: 30,
			itemType: "Quest",
			itemId: "q1",
		}),
		...session(4, 3, 18, 500, GB_PHONE),
	];
}

const NONE: SegmentSpec = { filters: [] };
const RANGE = { from: D0_DAY, to: D0_DAY + 3 };
/** "Now" is D5, so every cell of D0..D3 has ended. */
const NOW = at(5, 12);

let store: Store;

async function ingest(events: IngestEvent[], batchId = `b${seq}`): Promise<void> {
	await store.ingestBatch("g1", { batchId, sentAt: NOW, events, rejected: [] }, NOW);
}

async function metric(request: MetricRequest): Promise<Record<string, unknown> & { segments: Record<string, any>[] }> {
	return (await store.warehouse.metric("g1", request, NOW)) as never;
}

function by(text: string): SegmentSpec {
	const breakdown = parseDimension(text);
	if (typeof breakdown === "string") throw new Error(breakdown);
	return { breakdown, filters: [] };
}

beforeEach(async () => {
	store = openSqliteStore({ path: ":memory:", autoFold: false });
	await store.createGame({ id: "g1", name: "g1", createdAt: D0 });
	await ingest(dataset(), "all");
	await store.warehouse.catchUp();
});

afterEach(async () => {
	await store.close();
});

describe("metrics on a hand-computed dataset", () => {
	it("active users: DAU, new, returning, WAU, MAU, stickiness", async () => {
		const r = await metric({ metric: "active-users", range: RANGE, spec: NONE });
		const days = r.segments[0]!.days as Record<string, unknown>[];
		// D0: U1, U2 (both new); D1: U1 (returning), U3 (new); D2: U3 (returning), U4 (new); D3: U1, U4 (returning).
		expect(days.map((d) => d.dau)).toEqual([2, 2, 2, 2]);
		expect(days.map((d) => d.newPlayers)).toEqual([2, 1, 1, 0]);
		expect(days.map((d) => d.returningPlayers)).toEqual([0, 1, 1, 2]);
		// WAU = players seen since D0: 2, 3, 4, 4; MAU the same here. Stickiness D3 = 2 / 4.
		expect(days.map((d) => d.wau)).toEqual([2, 3, 4, 4]);
		expect(days.map((d) => d.mau)).toEqual([2, 3, 4, 4]);
		expect(days[3]!.stickiness).toBe(0.5);
		expect(r.segments[0]!.players).toBe(4);
	});

	it("retention: classic and rolling cohort × day matrices", async () => {
		const classic = await metric({
			metric: "retention",
			range: RANGE,
			spec: NONE,
			mode: "classic",
			days: [0, 1, 2, 3],
		});
		const cohorts = classic.segments[0]!.cohorts as {
			cohort: string;
			players: number;
			days: { players: number | null; rate: number | null }[];
		}[];
		// Cohort D0 = {U1, U2}: day 1 U1, day 2 nobody, day 3 U1. D1 = {U3}: day 1 U3. D2 = {U4}: day 1 U4.
		expect(cohorts.map((c) => [c.cohort, c.players])).toEqual([
			["2026-01-05", 2],
			["2026-01-06", 1],
			["2026-01-07", 1],
		]);
		expect(cohorts[0]!.days.map((d) => d.rate)).toEqual([1, 0.5, 0, 0.5]);
		expect(cohorts[1]!.days.map((d) => d.rate)).toEqual([1, 1, 0, 0]);
		// D2 + 3 = D5 = today: not over yet.
		expect(cohorts[2]!.days.map((d) => d.rate)).toEqual([1, 1, 0, null]);
		// Average day 1 over the three cohorts: (1 + 1 + 1) / (2 + 1 + 1).
		expect((classic.segments[0]!.average as { rate: number }[])[1]!.rate).toBe(0.75);

		const rolling = await metric({ metric: "retention", range: RANGE, spec: NONE, mode: "rolling", days: [1, 2, 3] });
		const rc = rolling.segments[0]!.cohorts as { days: { rate: number | null }[] }[];
		// Rolling: active on day N or later. D0: U1 was last seen on D3, so days 1-3 hold U1 → 0.5 each.
		expect(rc[0]!.days.map((d) => d.rate)).toEqual([0.5, 0.5, 0.5]);
		// D1: U3 last seen D2 (offset 1). D2: U4 last seen D3 (offset 1).
		expect(rc[1]!.days.map((d) => d.rate)).toEqual([1, 0, 0]);
		expect(rc[2]!.days.map((d) => d.rate)).toEqual([1, 0, null]);
	});

	it("retention by platform reads the same cells per segment", async () => {
		const r = await metric({ metric: "retention", range: RANGE, spec: by("platform"), mode: "classic", days: [0, 1] });
		const seg = Object.fromEntries(r.segments.map((s) => [s.segment, s]));
		// desktop: cohort D0 {U1} day1 1/1, cohort D1 {U3} day1 1/1; phone: D0 {U2} day1 0, D2 {U4} day1 1.
		expect(seg.desktop!.average[1].rate).toBe(1);
		expect(seg.phone!.average[1].rate).toBe(0.5);
	});

	it("funnel: per-step conversion, drop-off and time to convert", async () => {
		const r = await metric({ metric: "funnel", range: RANGE, spec: NONE, funnel: "onboarding", windowDays: 14 });
		const s = r.segments[0]!;
		// Entered: U1, U2, U3. Step 2: U1, U2. Step 3: U1 only (U3 skipped step 2).
		expect(s.steps.map((x: { players: number }) => x.players)).toEqual([3, 2, 1]);
		expect(s.steps.map((x: { name: string }) => x.name)).toEqual(["spawned", "tutorial", "first purchase"]);
		expect(s.steps[1].dropOff).toBe(1);
		expect(s.steps[2].stepConversionRate).toBe(0.5);
		expect(s.conversionRate).toBeCloseTo(1 / 3, 12);
		// U1: step 1 at D0 10:01, step 3 at D1 09:01 → 23 h.
		expect(s.medianSecondsToConvert).toBe(23 * 3600);
		// Step 2 from step 1: U1 4 min, U2 1 min → median 150 s.
		expect(s.steps[1].medianSecondsFromPrevious).toBe(150);
	});

	it("funnel of any events (raw) with a window", async () => {
		const r = await metric({
			metric: "funnel",
			range: RANGE,
			spec: NONE,
			steps: [
				{ type: "session_start", name: "player" },
				{ type: "purchase", name: "developer_product" },
			],
			windowDays: 1,
		});
		// Entry: each player's first session start in range (4). A purchase within 1 day after it: U1 (D0 10:00 →
		// D1 09:02, 23 h) and U3 (D1 15:00 → 15:02).
		expect(r.source).toBe("raw");
		expect(r.segments[0]!.steps.map((x: { players: number }) => x.players)).toEqual([4, 2]);
	});

	it("revenue: ARPDAU, ARPPU, payer conversion, LTV, top products, first purchase, DevEx", async () => {
		const r = await metric({
			metric: "revenue",
			range: RANGE,
			spec: NONE,
			usdPerRobux: 0.0038,
			developerShare: 0.7,
			ltvDays: [0, 1, 2],
		});
		const s = r.segments[0]!;
		// D1: 140 Robux from U1 + U3 (both payers) over DAU 2 → ARPDAU 70, ARPPU 70, conversion 1.
		// D2: 60 from U3 over DAU 2 → ARPDAU 30, ARPPU 60, conversion 0.5.
		expect(s.days.map((d: { revenue: number }) => d.revenue)).toEqual([0, 140, 60, 0]);
		expect(s.days[1].arpdau).toBe(70);
		expect(s.days[2].arpdau).toBe(30);
		expect(s.days[2].arppu).toBe(60);
		expect(s.days[2].payerConversion).toBe(0.5);
		// Range: 200 Robux, 2 distinct payers of 4 players → ARPU 50, ARPPU 100; ARPDAU 200 / 8 player-days.
		expect([s.revenue, s.payers, s.players, s.arpu, s.arppu, s.arpdau]).toEqual([200, 2, 4, 50, 100, 25]);
		expect(s.devexUsd).toBeCloseTo(200 * 0.7 * 0.0038, 12);
		// LTV: cohort D0 {U1,U2}: day 0 0, day 1 100/2; cohort D1 {U3}: 40, then 100; cohort D2 {U4}: 0, 0, (D4 ≥
		// today? no: D2+2 = D4 < D5) 0.
		const cohorts = s.ltv.cohorts as { robuxPerPlayer: (number | null)[] }[];
		expect(cohorts.map((c) => c.robuxPerPlayer)).toEqual([
			[0, 50, 50],
			[40, 100, 100],
			[0, 0, 0],
		]);
		// Average day 1: (50·2 + 100·1 + 0·1) / 4 = 50.
		expect(s.ltv.days[1].robuxPerPlayer).toBe(50);
		expect(s.topProducts).toEqual([
			{ product: "developer_product:11", revenue: 140, purchases: 2, share: 0.7 },
			{ product: "developer_product:12", revenue: 60, purchases: 1, share: 0.3 },
		]);
		// First purchases: U1 on day 1 after install, U3 on day 0.
		expect(s.firstPurchase.payers).toBe(2);
		expect(s.firstPurchase.buckets.slice(0, 2).map((b: { payers: number }) => b.payers)).toEqual([1, 1]);
	});

	it("economy: sources, sinks, net flow, supply and inflation", async () => {
		const r = await metric({ metric: "economy", range: RANGE, spec: NONE });
		const coins = r.segments[0]!.currencies[0];
		// Sources 50 + 30, sinks 20 → net 60. D0 net 30 (supply 0 → 30); D2 net 30 on a supply of 30 → 100%.
		expect([coins.currency, coins.sources, coins.sinks, coins.net]).toEqual(["Coins", 80, 20, 60]);
		expect(coins.days.map((d: { net: number }) => d.net)).toEqual([30, 0, 30, 0]);
		expect(coins.days.map((d: { supply: number }) => d.supply)).toEqual([30, 30, 60, 60]);
		expect(coins.days.map((d: { inflation: number | null }) => d.inflation)).toEqual([null, 0, 1, 0]);
	});

	it("progression: starts, completes, fails, rates, attempts", async () => {
		const r = await metric({ metric: "progression", range: RANGE, spec: NONE });
		// Level1: starts 3 (U1 twice, U2), completes 2, fails 1; attempts (2 + 1) / 2; seconds (30 + 50) / 2.
		expect(r.segments[0]!.levels).toEqual([
			{
				path: "Level1",
				starts: 3,
				completes: 2,
				fails: 1,
				completionRate: 2 / 3,
				failRate: 1 / 3,
				attemptsToComplete: 1.5,
				meanSecondsToComplete: 40,
			},
		]);
	});

	it("sessions: count, per player, median and mean length, by platform", async () => {
		const r = await metric({ metric: "sessions", range: RANGE, spec: by("platform") });
		const seg = Object.fromEntries(r.segments.map((s) => [s.segment, s]));
		// desktop: U1 600, 300, 120 and U3 200, 400 → 5 sessions, 2 players, median 300, mean 324.
		expect([seg.desktop!.sessions, seg.desktop!.players, seg.desktop!.medianSeconds, seg.desktop!.meanSeconds]).toEqual(
			[5, 2, 300, 324],
		);
		// phone: U2 60, U4 100, 500 → median 100, mean 220.
		expect([seg.phone!.sessions, seg.phone!.medianSeconds, seg.phone!.meanSeconds]).toEqual([3, 100, 220]);
	});

	it("custom KPI: count, unique players and sum with a prop filter and grouping", async () => {
		const users = await metric({
			metric: "kpi",
			range: RANGE,
			spec: NONE,
			event: { type: "purchase", name: "developer_product" },
			measure: "users",
			where: [],
		});
		expect(users.source).toBe("raw");
		expect(users.segments[0]!.groups[0].total).toBe(2);
		const sum = await metric({
			metric: "kpi",
			range: RANGE,
			spec: NONE,
			event: { type: "purchase", name: "developer_product" },
			measure: "sum",
			property: "robux",
			where: [{ prop: "robux", op: ">", value: "50" }],
			groupBy: "productId",
		});
		// robux > 50: 100 (product 11) and 60 (product 12).
		expect(sum.source).toBe("raw");
		expect(sum.segments[0]!.groups.map((g: { group: string; total: number }) => [g.group, g.total])).toEqual([
			["11", 100],
			["12", 60],
		]);
	});

	it("breakdown by experiment variant, by any attribute, and filters", async () => {
		const byVariant = await metric({
			metric: "revenue",
			range: RANGE,
			spec: by("variant:shop"),
			usdPerRobux: 1,
			developerShare: 1,
			ltvDays: [0],
		});
		// U1 (0) spent 100; U3 (both variations) 100; U2 (1) nothing; U4 never exposed.
		expect(byVariant.segments.map((s) => [s.segment, s.revenue, s.players])).toEqual([
			["(multiple)", 100, 1],
			["(not exposed)", 0, 1],
			["0", 100, 1],
			["1", 0, 1],
		]);
		const byCountry = await metric({ metric: "sessions", range: RANGE, spec: by("attr:country") });
		expect(byCountry.segments.map((s) => [s.segment, s.sessions])).toEqual([
			["DE", 1],
			["GB", 2],
			["US", 5],
		]);
		const phoneOnly = await metric({
			metric: "active-users",
			range: RANGE,
			spec: { filters: [{ dimension: { kind: "attr", name: "device", label: "platform" }, value: "phone" }] },
		});
		// Phones: U2 on D0, U4 on D2 and D3.
		expect(phoneOnly.segments[0]!.days.map((d: { dau: number }) => d.dau)).toEqual([1, 0, 1, 1]);
	});

	it("breakdown by new vs returning splits each day's players", async () => {
		const r = await metric({ metric: "active-users", range: RANGE, spec: by("new_vs_returning") });
		const seg = Object.fromEntries(r.segments.map((s) => [s.segment, s]));
		expect(seg.new!.days.map((d: { dau: number }) => d.dau)).toEqual([2, 1, 1, 0]);
		expect(seg.returning!.days.map((d: { dau: number }) => d.dau)).toEqual([0, 1, 1, 2]);
	});

	it("days follow the game's time zone", async () => {
		await store.updateGameSettings("g1", { timeZone: "America/Los_Angeles" }, NOW);
		await store.warehouse.catchUp();
		const r = await metric({ metric: "active-users", range: { from: D0_DAY - 1, to: D0_DAY + 3 }, spec: NONE });
		// In Los Angeles (UTC−8) U1's D3 20:00 UTC session is 12:00 local on D3, U1's D1 09:00 UTC is D1 01:00 local,
		// U2's D0 12:00 is D0 04:00; nothing moves a day except events before 08:00 UTC: none of U1-U4's.
		expect(r.timeZone).toBe("America/Los_Angeles");
		expect((r.segments[0]!.days as { dau: number }[]).map((d) => d.dau)).toEqual([0, 2, 2, 2, 2]);
		const late = ev(5, "custom", "ping", at(1, 3));
		await ingest([late]);
		await store.warehouse.catchUp();
		// 03:00 UTC on D1 is 19:00 on D0 in Los Angeles.
		const after = await metric({ metric: "active-users", range: RANGE, spec: NONE });
		expect((after.segments[0]!.days as { dau: number }[])[0]!.dau).toBe(3);
	});
});
