// Predictions end to end over the real app: events of synthetic players (planted churn signal, co-purchase pairs)
// go into the store, training through the API, then the model cards, rankings, recommendations, anomalies, the SDK's
// config and erasure.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventType, IngestEvent } from "../ingest/schema.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import { generatePlayers } from "./synthetic.js";
import { generateShop } from "./synthetic-shop.js";

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1);
const NOW = START + 63 * DAY;
const PLAYERS = 1500;

let t: TestApp;
let analyst: string;
let viewer: string;

async function ingestAll(events: Omit<IngestEvent, "id">[]): Promise<void> {
	const sorted = [...events].sort((a, b) => a.time - b.time);
	for (let i = 0; i < sorted.length; i += 5000) {
		const chunk = sorted.slice(i, i + 5000).map((e, j) => ({ ...e, id: `e-${String(i + j).padStart(8, "0")}` }));
		const outcome = await t.store.ingestBatch(
			"g1",
			{ batchId: `b-${i}`, sentAt: NOW, events: chunk, rejected: [] },
			NOW,
		);
		expect(outcome.result.accepted).toBe(chunk.length);
	}
}

beforeAll(async () => {
	t = await createTestApp({ now: NOW });
	await t.gameKey("g1");
	const players = generatePlayers({ players: PLAYERS, days: 63, start: START, seed: 5 });
	const shop = generateShop({ players: PLAYERS, seed: 5, start: START + 7 * DAY });
	await ingestAll([
		...players.flatMap((p) => p.events.map((e) => ({ ...e, type: e.type as EventType, props: { ...e.props } }))),
		...shop.events.map((e) => ({ ...e, type: e.type as EventType, sessionId: "shop", props: { ...e.props } })),
	]);
	analyst = await t.adminAuth("analyst", ["g1"]);
	viewer = await t.adminAuth("viewer", ["g1"]);
}, 120_000);

afterAll(async () => {
	await t.close();
});

const get = (path: string, auth: string) => t.app.request(path, { headers: { Authorization: auth } });

describe("predictions through the API", () => {
	it("answers 404 until a run exists", async () => {
		const res = await get("/v1/admin/games/g1/predictions", viewer);
		expect(res.status).toBe(404);
	});

	it("trains every model now and shows each card with its held-out quality next to the baseline", async () => {
		expect(
			(
				await t.app.request("/v1/admin/games/g1/predictions/train", {
					method: "POST",
					headers: { Authorization: viewer },
				})
			).status,
		).toBe(403);
		const res = await t.app.request("/v1/admin/games/g1/predictions/train", {
			method: "POST",
			headers: { Authorization: analyst },
		});
		expect(res.status).toBe(200);
		const body = (await (await get("/v1/admin/games/g1/predictions", viewer)).json()) as {
			models: Record<
				string,
				{
					status: string;
					card?: { heldOut: Record<string, unknown>; baseline: Record<string, unknown>; features?: unknown[] };
				}
			>;
			anomalies: { status: string };
			data: { events: number };
		};
		expect(body.data.events).toBeGreaterThan(10_000);
		const churn = body.models.churn!;
		expect(churn.status).toBe("trained");
		const auc = (churn.card!.heldOut.metrics as { auc: number }).auc;
		expect(auc).toBeGreaterThan(0.7);
		expect(auc).toBeGreaterThan((churn.card!.baseline.metrics as { auc: number }).auc);
		expect(churn.card!.features!.length).toBeGreaterThan(5);
		expect(body.models.recommendations!.status).toBe("trained");
		expect(body.anomalies.status).toBe("trained");
	});

	it("ranks at-risk players with the features driving each score, for analysts only", async () => {
		expect((await get("/v1/admin/games/g1/predictions/players?list=churn", viewer)).status).toBe(403);
		const res = await get("/v1/admin/games/g1/predictions/players?list=churn&limit=10", analyst);
		expect(res.status).toBe(200);
		const { players } = (await res.json()) as {
			players: { rank: number; userId: number; score: number; drivers: unknown[] }[];
		};
		expect(players).toHaveLength(10);
		expect(players.map((p) => p.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
		for (let i = 1; i < players.length; i++) expect(players[i]!.score).toBeLessThanOrEqual(players[i - 1]!.score);
		expect(players[0]!.drivers).toHaveLength(3);
		expect(players[0]!.userId).toBeGreaterThan(0);
		expect((await get("/v1/admin/games/g1/predictions/players?list=nope", analyst)).status).toBe(400);
	});

	it("recommends the planted co-purchase partner of an item, never an owned item", async () => {
		// Items 1000 and 1001 are a planted pair (synthetic-shop.ts).
		const res = await get("/v1/admin/games/g1/recommendations?items=developer_product:1000&n=3", viewer);
		const { items } = (await res.json()) as { items: { item: string }[] };
		expect(items[0]!.item).toBe("developer_product:1001");
		expect(items.map((i) => i.item)).not.toContain("developer_product:1000");
	});

	it("serves the item-to-item model to game servers in /v1/config", async () => {
		const res = await t.app.request("/v1/config", { headers: { Authorization: await t.gameAuth("g1", ["config"]) } });
		const config = (await res.json()) as {
			recommendations?: { neighbours: Record<string, [string, number][]>; popular: string[] };
		};
		expect(config.recommendations?.neighbours["developer_product:1000"]?.[0]?.[0]).toBe("developer_product:1001");
		expect(config.recommendations?.popular.length).toBeGreaterThan(0);
	});

	it("shows the KPI series with baselines and bands", async () => {
		const res = await get("/v1/admin/games/g1/anomalies", viewer);
		const { anomalies } = (await res.json()) as {
			anomalies: { kpis: { kpi: string; days: { expected: number; lower: number; upper: number }[] }[] };
		};
		expect(anomalies.kpis.map((k) => k.kpi)).toEqual(["dau", "revenue", "event_volume", "error_rate"]);
		const dau = anomalies.kpis[0]!.days.at(-1)!;
		expect(dau.lower).toBeLessThan(dau.expected);
		expect(dau.upper).toBeGreaterThan(dau.expected);
	});

	it("leaves an erased player out of every ranking", async () => {
		const before = (await (
			await get("/v1/admin/games/g1/predictions/players?list=churn&limit=200", analyst)
		).json()) as {
			players: { userId: number }[];
		};
		const victim = before.players[0]!.userId;
		await t.store.warehouse.catchUp();
		const outcome = await t.store.privacy.erasePlayer("g1", victim, NOW);
		expect(outcome.done).toBe(true);
		const after = (await (
			await get("/v1/admin/games/g1/predictions/players?list=churn&limit=200", analyst)
		).json()) as {
			players: { userId: number }[];
		};
		expect(after.players.map((p) => p.userId)).not.toContain(victim);
		expect(after.players.length).toBe(before.players.length - 1);
	});
});
