import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { IngestEvent } from "../ingest/schema.js";
import { componentSchemas } from "../openapi/document.js";
import { T0, jsonRequest, makeBatch } from "../testing/fixtures.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";

const DAY = 86_400_000;
const RANGE = "from=2025-01-01&to=2025-01-06";
/** Metrics read from the rollups (no breakdown, no raw-event KPI), compared before and after a rebuild. */
const METRIC_PATHS = [
	`active-users?${RANGE}`,
	`sessions?${RANGE}`,
	`retention?${RANGE}&days=0,1,2,3`,
	`revenue?${RANGE}&ltvDays=0,1,3`,
	`economy?${RANGE}`,
	`overview?${RANGE}`,
];

let t: TestApp;
let owner: string;

async function call(path: string, init: { method?: string; auth?: string } = {}): Promise<Response> {
	return t.app.request(path, { method: init.method ?? "GET", headers: { Authorization: init.auth ?? owner } });
}

/** Three players over five days: sessions, a purchase, coins, and one player coming back. */
function dataset(): IngestEvent[] {
	const events: IngestEvent[] = [];
	const add = (userId: number, day: number, type: IngestEvent["type"], name: string, props: IngestEvent["props"]) =>
		events.push({
			id: `r${String(events.length).padStart(6, "0")}`,
			time: T0 + day * DAY + 3_600_000 + events.length * 1000,
			userId,
			sessionId: `s${userId}-${day}`,
			type,
			name,
			props,
		});
	for (const [userId, days] of [
		[1, [0, 1, 4]],
		[2, [0, 2]],
		[3, [1, 2, 3, 4]],
	] as const) {
		for (const day of days) {
			add(userId, day, "session_start", "player", { device: userId === 2 ? "phone" : "desktop" });
			add(userId, day, "session_end", "player", { duration: 60 * (day + 1) });
		}
	}
	add(3, 2, "purchase", "developer_product", { productId: 7, robux: 80, purchaseId: "p1" });
	add(2, 0, "economy", "source:Coins", {
		flow: "source",
		currency: "Coins",
		amount: 15,
		itemType: "Quest",
		itemId: "q",
	});
	return events;
}

async function metrics(): Promise<unknown[]> {
	const out: unknown[] = [];
	for (const path of METRIC_PATHS) {
		const res = await call(`/v1/games/g1/metrics/${path}`);
		expect(res.status, path).toBe(200);
		out.push(await res.json());
	}
	return out;
}

beforeEach(async () => {
	t = await createTestApp({ now: T0 + 8 * DAY });
	owner = await t.adminAuth("owner");
	const res = await t.app.request(
		"/v1/batches",
		jsonRequest(makeBatch(dataset(), { sentAt: t.clock.now }), { headers: { Authorization: await t.gameAuth("g1") } }),
	);
	expect(res.status).toBe(200);
	await t.store.warehouse.catchUp();
});

afterEach(() => t.close());

describe("GET /v1/admin/warehouse", () => {
	it("shows an instance admin the warehouse's status (every game's counts: not for a game's viewer)", async () => {
		expect((await call("/v1/admin/warehouse", { auth: await t.adminAuth("viewer") })).status).toBe(403);
		const res = await call("/v1/admin/warehouse", { auth: await t.adminAuth("admin") });
		expect(res.status).toBe(200);
		const body = (await res.json()) as Record<string, number>;
		expect(Object.keys(body).sort()).toEqual(["foldedEvents", "pendingBatches", "rebuilding"]);
		expect(body).toMatchObject({ pendingBatches: 0, rebuilding: 0 });
		expect(body.foldedEvents).toBe(dataset().length);
	});

	it("needs an admin token", async () => {
		expect((await t.app.request("/v1/admin/warehouse")).status).toBe(401);
		expect((await call("/v1/admin/warehouse", { auth: await t.gameAuth("g1") })).status).toBe(401);
	});
});

describe("POST /v1/admin/games/:gameId/warehouse/rebuild", () => {
	it("is for owners only", async () => {
		const path = "/v1/admin/games/g1/warehouse/rebuild";
		expect((await call(path, { method: "POST", auth: await t.adminAuth("viewer") })).status).toBe(403);
		expect((await call(path, { method: "POST", auth: await t.adminAuth("analyst") })).status).toBe(403);
		expect((await t.app.request(path, { method: "POST" })).status).toBe(401);
		expect((await t.store.warehouse.status()).rebuilding).toBe(0);
	});

	it("answers 404 for an unknown game and 400 for an invalid id", async () => {
		const unknown = await call("/v1/admin/games/nope/warehouse/rebuild", { method: "POST" });
		expect(unknown.status).toBe(404);
		expect(((await unknown.json()) as { code: string }).code).toBe("not_found");
		expect((await call("/v1/admin/games/%20bad%20/warehouse/rebuild", { method: "POST" })).status).toBe(400);
	});

	it("accepts the rebuild, refolds every raw event, and the metrics come back the same", async () => {
		const before = await metrics();
		expect(before.map((m) => (m as { source: string }).source)).toEqual(METRIC_PATHS.map(() => "rollups"));
		const folded = (await t.store.warehouse.status()).foldedEvents;

		const res = await call("/v1/admin/games/g1/warehouse/rebuild", { method: "POST" });
		expect(res.status).toBe(202);
		expect(await res.json()).toEqual({ pendingBatches: 0, rebuilding: 1, foldedEvents: folded });

		await t.store.warehouse.catchUp();
		const status = await t.store.warehouse.status();
		expect(status.rebuilding).toBe(0);
		// Each raw event folded exactly once more, whether the catch-up or the background job got to it.
		const raw = await t.store.listEvents({ gameId: "g1", limit: 1000 });
		expect(status.foldedEvents - folded).toBe(raw.length);
		expect(await metrics()).toEqual(before);
	});
});

describe("the warehouse's OpenAPI entries", () => {
	it("describe every member of the status", () => {
		const schema = componentSchemas().WarehouseStatus as { properties: Record<string, { description?: string }> };
		expect(Object.keys(schema.properties).sort()).toEqual(["foldedEvents", "pendingBatches", "rebuilding"]);
		for (const [name, property] of Object.entries(schema.properties)) expect(property.description, name).toMatch(/\w/);
	});
});
