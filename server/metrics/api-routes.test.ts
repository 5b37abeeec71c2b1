import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse as parseCsv } from "csv-parse/sync";
import type { IngestEvent } from "../ingest/schema.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import { randomBytes } from "node:crypto";
import { PlayerKeyring } from "../privacy/player-keys.js";
import { T0, jsonRequest, makeBatch } from "../testing/fixtures.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import { METRIC_NAMES } from "./engine.js";

const DAY = 86_400_000;
let t: TestApp;
let viewer: string;

function event(i: number, userId: number, dayOffset: number, extra: Partial<IngestEvent> = {}): IngestEvent {
	return {
		id: `m${String(i).padStart(8, "0")}`,
		time: T0 + dayOffset * DAY + 3_600_000,
		userId,
		sessionId: `s${userId}`,
		type: "custom",
		name: "ping",
		props: {},
		...extra,
	};
}

async function send(events: IngestEvent[], batchId = "b-1"): Promise<void> {
	// sentAt equal to the events' clock: no skew correction moves them.
	const res = await t.app.request(
		"/v1/batches",
		jsonRequest(makeBatch(events, { sentAt: t.clock.now, batchId }), {
			headers: { Authorization: await t.gameAuth("g1") },
		}),
	);
	expect(res.status).toBe(200);
}

async function get(path: string, auth = viewer): Promise<Response> {
	return t.app.request(path, { headers: { Authorization: auth } });
}

beforeEach(async () => {
	t = await createTestApp({ now: T0 + 10 * DAY });
	viewer = await t.adminAuth("viewer");
	await send([
		event(1, 1, 0, { type: "session_start", name: "player", props: { device: "phone", country: "DE" } }),
		event(2, 1, 1),
		event(3, 2, 0, { type: "session_start", name: "player", props: { device: "desktop", country: "US" } }),
		event(4, 2, 0, {
			type: "purchase",
			name: "developer_product",
			props: { productId: 5, robux: 25, purchaseId: "x" },
		}),
		event(5, 3, 2, { props: { level: 3, note: 'comma, "quote"\nnewline é' } }),
	]);
	await t.store.warehouse.catchUp();
});

afterEach(async () => {
	await t.close();
});

describe("GET /v1/games/:gameId/metrics/*", () => {
	it("answers every metric for a viewer", async () => {
		const list = await get("/v1/games/g1/metrics");
		expect(await list.json()).toEqual({ metrics: [...METRIC_NAMES] });
		const extra: Record<string, string> = {
			funnel: "&steps=session_start:player,custom:ping",
			kpi: "&event=custom:ping",
			trends: "&events=ping,purchase:developer_product",
		};
		for (const metric of METRIC_NAMES) {
			const res = await get(`/v1/games/g1/metrics/${metric}?from=2025-01-01&to=2025-01-05${extra[metric] ?? ""}`);
			expect(res.status, metric).toBe(200);
			const body = (await res.json()) as { metric: string; from: string; timeZone: string; segments: unknown[] };
			expect([body.metric, body.from, body.timeZone]).toEqual([metric, "2025-01-01", "UTC"]);
			expect(body.segments.length, metric).toBeGreaterThan(0);
		}
	});

	it("computes from ingested batches: DAU, revenue, breakdown by country", async () => {
		const active = (await (await get("/v1/games/g1/metrics/active-users?from=2025-01-01&to=2025-01-03")).json()) as {
			segments: { days: { dau: number }[] }[];
		};
		expect(active.segments[0]!.days.map((d) => d.dau)).toEqual([2, 1, 1]);
		const revenue = (await (
			await get("/v1/games/g1/metrics/revenue?from=2025-01-01&to=2025-01-03&breakdown=country")
		).json()) as { segments: { segment: string; revenue: number }[] };
		expect(revenue.segments.map((s) => [s.segment, s.revenue])).toEqual([
			["(none)", 0],
			["DE", 0],
			["US", 25],
		]);
		const filtered = (await (
			await get("/v1/games/g1/metrics/active-users?from=2025-01-01&to=2025-01-03&filter=platform:phone")
		).json()) as { segments: { days: { dau: number }[] }[] };
		expect(filtered.segments[0]!.days.map((d) => d.dau)).toEqual([1, 1, 0]);
	});

	it("takes from and to as dates, ISO times or unix milliseconds (their local day)", async () => {
		const asDates = await (await get("/v1/games/g1/metrics/active-users?from=2025-01-01&to=2025-01-03")).json();
		const asTimes = await (
			await get(`/v1/games/g1/metrics/active-users?from=2025-01-01T10:00:00Z&to=${Date.UTC(2025, 0, 3, 23)}`)
		).json();
		expect(asTimes).toEqual(asDates);
	});

	it("gives any metric as CSV", async () => {
		const res = await get("/v1/games/g1/metrics/active-users?from=2025-01-01&to=2025-01-02&format=csv");
		expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
		expect(res.headers.get("content-disposition")).toContain("active-users-g1-2025-01-01-2025-01-02.csv");
		const rows = parseCsv(await res.text(), { columns: true }) as Record<string, string>[];
		expect(rows.map((r) => [r.date, r.dau])).toEqual([
			["2025-01-01", "2"],
			["2025-01-02", "1"],
		]);
	});

	it("groups a raw KPI by a prop whose values need CSV escaping", async () => {
		const res = await get("/v1/games/g1/metrics/kpi?from=2025-01-01&to=2025-01-03&event=ping&groupBy=note&format=csv");
		const rows = parseCsv(await res.text(), { columns: true }) as Record<string, string>[];
		expect(rows.filter((r) => r.value === "1").map((r) => r.group)).toContain('comma, "quote"\nnewline é');
	});

	it("refuses unknown parameters, bad dates, bad dimensions and unknown games", async () => {
		const bad = await get("/v1/games/g1/metrics/retention?from=2025-01-01&limit=3");
		expect(bad.status).toBe(400);
		const body = (await bad.json()) as { errors: { path: string }[] };
		expect(body.errors.map((e) => e.path)).toEqual(["limit"]);
		expect((await get("/v1/games/g1/metrics/retention?from=2025-02-30")).status).toBe(400);
		expect((await get("/v1/games/g1/metrics/retention?from=yesterday")).status).toBe(400);
		expect((await get("/v1/games/g1/metrics/retention?from=2025-01-05&to=2025-01-01")).status).toBe(400);
		expect((await get("/v1/games/g1/metrics/retention?breakdown=shoe_size")).status).toBe(400);
		expect((await get("/v1/games/g1/metrics/retention?breakdown=new_vs_returning")).status).toBe(400);
		expect((await get("/v1/games/g1/metrics/kpi?measure=sum&event=ping")).status).toBe(400);
		expect((await get("/v1/games/nope/metrics/retention")).status).toBe(404);
		expect((await get("/v1/games/g1/metrics/nonsense")).status).toBe(404);
	});

	it("needs an admin token", async () => {
		expect((await t.app.request("/v1/games/g1/metrics/retention")).status).toBe(401);
		expect((await get("/v1/games/g1/metrics/retention", await t.gameAuth("g1"))).status).toBe(401);
	});
});

describe("CSV tables of nested parts", () => {
	const csv = async (path: string) =>
		parseCsv(await (await get(path)).text(), { columns: true }) as Record<string, string>[];

	it("gives retention's average curve, revenue's LTV and products and economy's items as their own tables", async () => {
		const average = await csv(
			"/v1/games/g1/metrics/retention?from=2025-01-01&to=2025-01-03&days=0,1&format=csv&table=average",
		);
		expect(average.map((r) => [r.day, r.retainedPlayers, r.rate])).toEqual([
			["0", "3", "1"],
			["1", "1", "0.3333333333333333"],
		]);
		const ltv = await csv("/v1/games/g1/metrics/revenue?from=2025-01-01&to=2025-01-03&ltvDays=0&format=csv&table=ltv");
		// 25 Robux over the three players installed in the range; 25 over the first day's two.
		expect(ltv[0]).toMatchObject({ segment: "all", cohort: "all", cohortPlayers: "3", day: "0" });
		expect(Number(ltv[0]!.robuxPerPlayer)).toBeCloseTo(25 / 3);
		expect(ltv.find((r) => r.cohort === "2025-01-01")).toMatchObject({ cohortPlayers: "2", robuxPerPlayer: "12.5" });
		const products = await (
			await get("/v1/games/g1/metrics/revenue?from=2025-01-01&to=2025-01-03&format=csv&table=products")
		).text();
		expect(products.trim().split(/\r?\n/)).toEqual([
			"segment,product,revenueRobux,purchases,share",
			"all,developer_product:5,25,1,1",
		]);
		const res = await get("/v1/games/g1/metrics/economy?format=csv&table=items");
		expect(res.headers.get("content-disposition")).toMatch(/filename="economy-items-g1-/);
		expect((await res.text()).split(/\r?\n/)[0]).toBe("segment,currency,flow,itemType,itemId,amount,events");
	});

	it("refuses a table the metric does not have, and a table without format=csv", async () => {
		const wrong = await get("/v1/games/g1/metrics/revenue?format=csv&table=items");
		expect(wrong.status).toBe(400);
		expect(((await wrong.json()) as { errors: { message: string }[] }).errors[0]!.message).toBe(
			"must be one of days, ltv, products",
		);
		expect((await get("/v1/games/g1/metrics/retention?table=average")).status).toBe(400);
		expect((await get("/v1/games/g1/metrics/sessions?format=csv&table=days")).status).toBe(400);
	});
});

describe("GET /v1/games/:gameId/metrics/event-names", () => {
	type Answer = {
		from: string | null;
		events: { event: string; events: number; lastDate: string }[];
		funnels: { name: string; events: number }[];
	};

	it("lists every event kind, the most frequent first, and the funnels", async () => {
		await send(
			[
				event(10, 1, 1, { type: "funnel", name: "onboarding", props: { step: 1, stepName: "spawned" } }),
				event(11, 2, 1, { type: "funnel", name: "onboarding", props: { step: 1, stepName: "spawned" } }),
				event(12, 2, 1, { type: "funnel", name: "tutorial", props: { step: 1, stepName: "start" } }),
			],
			"b-2",
		);
		await t.store.warehouse.catchUp();
		const all = (await (await get("/v1/games/g1/metrics/event-names")).json()) as Answer;
		expect(all.from).toBeNull();
		expect(all.events.map((e) => [e.event, e.events])).toEqual([
			["custom:ping", 2],
			["funnel:onboarding", 2],
			["session_start:player", 2],
			["funnel:tutorial", 1],
			["purchase:developer_product", 1],
		]);
		expect(all.events.find((e) => e.event === "custom:ping")!.lastDate).toBe("2025-01-03");
		expect(all.funnels).toEqual([
			{ name: "onboarding", events: 2 },
			{ name: "tutorial", events: 1 },
		]);
		// Only the days asked for: day 0 had the sessions and the purchase.
		const day0 = (await (await get("/v1/games/g1/metrics/event-names?from=2025-01-01&to=2025-01-01")).json()) as Answer;
		expect(day0.from).toBe("2025-01-01");
		expect(day0.events.map((e) => e.event).sort()).toEqual(["purchase:developer_product", "session_start:player"]);
		expect(day0.funnels).toEqual([]);
	});

	it("refuses unknown parameters and bad dates, needs a viewer and a known game", async () => {
		expect((await get("/v1/games/g1/metrics/event-names?limit=3")).status).toBe(400);
		expect((await get("/v1/games/g1/metrics/event-names?from=2025-02-30")).status).toBe(400);
		expect((await get("/v1/games/g1/metrics/event-names?from=2025-01-05&to=2025-01-01")).status).toBe(400);
		expect((await get("/v1/games/nope/metrics/event-names")).status).toBe(404);
		expect((await t.app.request("/v1/games/g1/metrics/event-names")).status).toBe(401);
	});
});

describe("the warehouse worker", () => {
	let dir: string;
	beforeEach(() => {
		dir = mkdtempSync(join(tmpdir(), "vantage-wh-"));
	});
	afterEach(() => rmSync(dir, { recursive: true, force: true }));

	it("folds new batches on its own thread and answers metrics from it", async () => {
		const players = PlayerKeyring.open({ path: ":memory:", masterKey: randomBytes(32) });
		const store = openSqliteStore({ path: join(dir, "v.db"), foldIntervalMs: 20, players });
		try {
			expect(store.warehouse.constructor.name).toBe("WorkerWarehouse");
			await store.createGame({ id: "g", name: "g", createdAt: T0 });
			const events = Array.from({ length: 50 }, (_, i) => event(i, (i % 5) + 1, i % 3));
			await store.ingestBatch("g", { batchId: "b", sentAt: T0, events, rejected: [] }, T0);
			const deadline = Date.now() + 10_000;
			while ((await store.warehouse.status()).pendingBatches > 0 && Date.now() < deadline) {
				await new Promise((r) => setTimeout(r, 20));
			}
			const r = await store.warehouse.metric(
				"g",
				{ metric: "active-users", range: { from: T0 / DAY, to: T0 / DAY + 2 }, spec: { filters: [] } },
				T0 + 5 * DAY,
			);
			expect((r.segments[0] as { days: { dau: number }[] }).days.map((d) => d.dau)).toEqual([5, 5, 5]);
		} finally {
			await store.close();
		}
	});
});
