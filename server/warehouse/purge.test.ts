// Retention purge: raw events past a game's rawRetentionDays leave the events table, the rollups (and so every
// rollup metric, over every day) stay as they were.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { IngestEvent } from "../ingest/schema.js";
import { METRIC_NAMES, type MetricEnvelope } from "../metrics/engine.js";
import { parseMetricQuery } from "../metrics/query.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/types.js";

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Wednesday 2025-01-01 00:00 UTC: day 0 of the data. */
const D0 = Date.UTC(2025, 0, 1);
const DAYS = 20;
/** Noon of day 20: the 7-day cutoff falls at noon of day 13, inside the data. */
const NOW = D0 + DAYS * DAY + 12 * HOUR;
const RETENTION_DAYS = 7;
const CUTOFF = NOW - RETENTION_DAYS * DAY;

let store: Store;
let seq = 0;

function ev(userId: number, time: number, type: IngestEvent["type"], name: string, props: IngestEvent["props"] = {}) {
	seq += 1;
	// Ids sort by time, as the SDK's do.
	const id = `p${String(time).padStart(15, "0")}-${String(seq).padStart(5, "0")}`;
	return { id, time, userId, sessionId: `s${userId}-${Math.floor((time - D0) / DAY)}`, type, name, props };
}

/**
 * Twenty days of four players: each day a morning (06:00) and an evening (18:00) session from two of them, a
 * purchase every third day, coins every other day; plus one event 1 ms before the cutoff and one exactly at it.
 */
function dataset(): IngestEvent[] {
	const events: IngestEvent[] = [];
	for (let day = 0; day < DAYS; day++) {
		for (const [hour, userId] of [
			[6, 1 + (day % 4)],
			[18, 1 + ((day + 1) % 4)],
		] as const) {
			const start = D0 + day * DAY + hour * HOUR;
			const device = userId % 2 === 0 ? "phone" : "desktop";
			events.push(ev(userId, start, "session_start", "player", { device, country: "DE" }));
			events.push(ev(userId, start + 5 * 60_000, "session_end", "player", { device, duration: 300 }));
		}
		if (day % 3 === 0) {
			const time = D0 + day * DAY + 6 * HOUR + 60_000;
			events.push(ev(1 + (day % 4), time, "purchase", "developer_product", { productId: 9, robux: 10 + day }));
		}
		if (day % 2 === 0) {
			const props = { flow: "source", currency: "Coins", amount: day, itemType: "Quest", itemId: "q" };
			events.push(ev(1 + ((day + 1) % 4), D0 + day * DAY + 18 * HOUR + 1000, "economy", "source:Coins", props));
		}
	}
	events.push(ev(2, CUTOFF - 1, "custom", "ping"), ev(3, CUTOFF, "custom", "ping"));
	return events.sort((a, b) => (a.id < b.id ? -1 : 1));
}

async function ingest(gameId: string, batchId: string, events: IngestEvent[]): Promise<void> {
	await store.ingestBatch(gameId, { batchId, sentAt: NOW, events, rejected: [] }, NOW);
}

async function rawTimes(gameId: string): Promise<number[]> {
	return (await store.listEvents({ gameId, limit: 100_000 })).map((e) => e.time);
}

/** Every metric over all 20 days, as the API would ask for it. */
async function allMetrics(gameId: string): Promise<Map<string, MetricEnvelope>> {
	const extra: Record<string, Record<string, string[]>> = {
		funnel: { steps: ["session_start:player,purchase:developer_product"] },
		kpi: { event: ["purchase:developer_product"] },
		trends: { events: ["session_start:player,purchase:developer_product"] },
		retention: { days: ["0,1,2,3,7,14"] },
		revenue: { ltvDays: ["0,1,7,14"] },
	};
	const out = new Map<string, MetricEnvelope>();
	for (const metric of METRIC_NAMES) {
		const query = { from: ["2025-01-01"], to: ["2025-01-20"], ...extra[metric] };
		const { request } = parseMetricQuery(metric, query, Math.floor(NOW / DAY));
		out.set(metric, await store.warehouse.metric(gameId, request, NOW));
	}
	return out;
}

beforeEach(async () => {
	seq = 0;
	// No background job: its purge would use the real clock.
	store = openSqliteStore({ path: ":memory:", autoFold: false });
	for (const id of ["g1", "g2"]) await store.createGame({ id, name: id, createdAt: D0 });
	await store.updateGameSettings("g1", { rawRetentionDays: RETENTION_DAYS }, D0);
});

afterEach(() => store.close());

describe("purging raw events past a game's retention", () => {
	it("deletes exactly the raw events older than 7 days and leaves every rollup metric as it was", async () => {
		const events = dataset();
		await ingest("g1", "b1", events);
		await ingest("g2", "b1", events);
		await store.warehouse.catchUp();
		const before = await allMetrics("g1");

		const older = events.filter((e) => e.time < CUTOFF);
		expect(older.length).toBeGreaterThan(0);
		expect(await store.warehouse.purge(NOW)).toEqual([{ gameId: "g1", deleted: older.length }]);

		const kept = await rawTimes("g1");
		expect(kept).toEqual(events.filter((e) => e.time >= CUTOFF).map((e) => e.time));
		expect(kept).toContain(CUTOFF);
		expect(kept).not.toContain(CUTOFF - 1);
		// A game without a retention keeps all its raw events.
		expect(await rawTimes("g2")).toHaveLength(events.length);
		// A second run finds nothing more.
		expect(await store.warehouse.purge(NOW)).toEqual([]);

		const after = await allMetrics("g1");
		const fromRollups = [...before].filter(([, m]) => m.source === "rollups").map(([name]) => name);
		expect(fromRollups).toEqual(
			expect.arrayContaining(["active-users", "sessions", "retention", "revenue", "economy", "overview"]),
		);
		for (const name of fromRollups) expect(after.get(name), name).toEqual(before.get(name));
		// The numbers are over all 20 days, the purged 13 included.
		const active = after.get("active-users")!.segments[0] as { days: { dau: number }[] };
		expect(active.days.map((d) => d.dau)).toEqual(Array.from({ length: DAYS }, () => 2));
		const revenue = after.get("revenue")!.segments[0] as { revenue: number; purchases: number };
		// Purchases on days 0, 3, …, 18 for 10 + day Robux each.
		expect([revenue.revenue, revenue.purchases]).toEqual([7 * 10 + (0 + 3 + 6 + 9 + 12 + 15 + 18), 7]);
	});

	it("does nothing while the inbox holds batches not folded yet", async () => {
		const events = dataset();
		const half = Math.floor(events.length / 2);
		await ingest("g1", "b1", events.slice(0, half));
		await store.warehouse.catchUp();
		await ingest("g1", "b2", events.slice(half));
		expect((await store.warehouse.status()).pendingBatches).toBe(1);

		expect(await store.warehouse.purge(NOW)).toEqual([]);
		expect(await rawTimes("g1")).toHaveLength(events.length);

		await store.warehouse.catchUp();
		const [purged] = await store.warehouse.purge(NOW);
		expect(purged?.deleted).toBe(events.filter((e) => e.time < CUTOFF).length);
	});
});
