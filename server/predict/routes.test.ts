// Predictions end to end over the real app: events of synthetic players (planted churn signal, co-purchase pairs)
// go into the store, training through the API, then the model cards, rankings, recommendations, anomalies, the SDK's
// config, erasure and consent (real consent records through ingest: withdrawn players leave training and rankings).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventType, IngestEvent } from "../ingest/schema.js";
import { makeBatch } from "../testing/fixtures.js";
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
	// The synthetic players have no consent records: under an opt-out default the SDK collected them (consent.ts).
	await t.store.updateGameSettings("g1", { consentDefault: "opt-out" }, NOW);
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

describe("predictions and consent", () => {
	interface Choice {
		analytics: boolean;
		experiments: boolean;
		personalization: boolean;
		source: "prompt" | "api" | "withdrawal";
	}
	const ALL: Choice = { analytics: true, experiments: true, personalization: true, source: "prompt" };
	const NO_ANALYTICS: Choice = { analytics: false, experiments: true, personalization: true, source: "withdrawal" };
	const NO_PERSONALIZATION: Choice = { analytics: true, experiments: true, personalization: false, source: "prompt" };
	let consentEvents = 0;

	/** Consent events through the real ingest route (POST /v1/batches), as the SDK sends them; each makes a record. */
	async function sendConsent(choices: { userId: number; time: number; sessionId: string; choice: Choice }[]) {
		const events = choices.map(({ userId, time, sessionId, choice }) => ({
			id: `consent-${++consentEvents}`,
			time,
			userId,
			sessionId,
			type: "consent",
			name: "consent",
			props: {
				policyVersion: "1",
				region: "US",
				...choice,
				...(choice.source === "prompt" ? { uiVersion: "prompt-1" } : {}),
			},
		}));
		const res = await t.app.request("/v1/batches", {
			method: "POST",
			headers: { Authorization: await t.gameAuth("g1"), "Content-Type": "application/json" },
			body: JSON.stringify(makeBatch(events, { batchId: `consent-batch-${consentEvents}`, sentAt: NOW })),
		});
		expect(res.status).toBe(200);
		expect(((await res.json()) as { accepted: number }).accepted).toBe(events.length);
	}

	/** Stores a copy of `source`'s whole history as `twin`'s, with a consent record at its first and last event. */
	async function twin(source: number, twinId: number, first: Choice, last: Choice): Promise<void> {
		const history = await t.store.listEvents({ gameId: "g1", userId: source, limit: 100_000 });
		expect(history.length).toBeGreaterThan(0);
		const copy = history.map((e, i) => ({
			id: `twin-${twinId}-${String(i).padStart(6, "0")}`,
			time: e.time,
			userId: twinId,
			sessionId: e.sessionId,
			type: e.type,
			name: e.name,
			props: { ...e.props },
		}));
		await t.store.ingestBatch("g1", { batchId: `twin-${twinId}`, sentAt: NOW, events: copy, rejected: [] }, NOW);
		const [a, z] = [history[0]!, history.at(-1)!];
		await sendConsent([
			{ userId: twinId, time: a.time, sessionId: a.sessionId, choice: first },
			{ userId: twinId, time: z.time, sessionId: z.sessionId, choice: last },
		]);
	}

	/** Two purchases of a pair of products by `userId`, 5 days before now. */
	async function buyPair(userId: number, products: [number, number]): Promise<void> {
		const events = products.map((productId, i) => ({
			id: `pair-${userId}-${i}`,
			time: NOW - 5 * DAY + i * 60_000,
			userId,
			sessionId: `pair-${userId}`,
			type: "purchase" as EventType,
			name: "developer_product",
			props: { productId, robux: 99 },
		}));
		await t.store.ingestBatch("g1", { batchId: `pair-${userId}`, sentAt: NOW, events, rejected: [] }, NOW);
	}

	const ranking = async (list: string) =>
		(
			(await (await get(`/v1/admin/games/g1/predictions/players?list=${list}&limit=200`, analyst)).json()) as {
				players: { userId: number }[];
			}
		).players.map((p) => p.userId);

	interface Card {
		training: { players: number; excludedForConsent: number };
	}
	let run: {
		data: { players: number; excludedForConsent: { analytics: number; personalization: number } };
		models: Record<string, { status: string; card?: Card; cards?: Card[] }>;
	};

	beforeAll(async () => {
		// Twins of the riskiest player and of the most valuable one: identical histories (consent events included),
		// one of each pair keeping analytics, the other withdrawing it at their last visit.
		const [risky] = await ranking("churn");
		const [valuable] = await ranking("ltv");
		await twin(risky!, 900_001, ALL, { ...ALL, source: "api" });
		await twin(risky!, 900_002, ALL, NO_ANALYTICS);
		await twin(valuable!, 900_003, ALL, { ...ALL, source: "api" });
		await twin(valuable!, 900_004, ALL, NO_ANALYTICS);
		// Two pairs of products nobody else buys, each bought by two players; one buyer of the first pair refuses
		// personalization.
		await buyPair(900_011, [9001, 9002]);
		await buyPair(900_012, [9001, 9002]);
		await buyPair(900_013, [9003, 9004]);
		await buyPair(900_014, [9003, 9004]);
		await sendConsent([
			{ userId: 900_011, time: NOW - 5 * DAY, sessionId: "pair-900011", choice: ALL },
			{ userId: 900_012, time: NOW - 5 * DAY, sessionId: "pair-900012", choice: NO_PERSONALIZATION },
			{ userId: 900_013, time: NOW - 5 * DAY, sessionId: "pair-900013", choice: ALL },
			{ userId: 900_014, time: NOW - 5 * DAY, sessionId: "pair-900014", choice: ALL },
		]);
		const res = await t.app.request("/v1/admin/games/g1/predictions/train", {
			method: "POST",
			headers: { Authorization: analyst },
		});
		expect(res.status).toBe(200);
		run = (await res.json()) as typeof run;
	}, 120_000);

	it("leaves a player who withdrew analytics out of training and every ranking; the identical twin stays", async () => {
		// Read: every player with events; left out: the two who withdrew analytics, of every analytics model.
		expect(run.data.excludedForConsent).toEqual({ analytics: 2, personalization: 1 });
		for (const model of ["churn", "purchase", "ltv"]) {
			const m = run.models[model]!;
			expect(m.status).toBe("trained");
			for (const card of m.cards ?? [m.card!]) expect(card.training.excludedForConsent).toBe(2);
		}
		// The run's own rankings (as stored, before the API filters them again) and the rankings served.
		const stored = async (list: "churn" | "purchase" | "ltv") =>
			(await t.store.predictions.players("g1", list)).map((p) => p.userId);
		for (const lists of [
			[await stored("churn"), await stored("purchase"), await stored("ltv")],
			[await ranking("churn"), await ranking("purchase"), await ranking("ltv")],
		]) {
			const [churn, purchase, ltv] = lists;
			expect(churn).toContain(900_001);
			expect(ltv).toContain(900_003);
			for (const list of [churn, purchase, ltv]) {
				expect(list).not.toContain(900_002);
				expect(list).not.toContain(900_004);
			}
		}
	});

	it("trains recommendations only on the purchases of players who allow personalization", async () => {
		expect(run.models.recommendations!.card!.training.excludedForConsent).toBe(1);
		const recommended = async (item: string) =>
			(
				(await (await get(`/v1/admin/games/g1/recommendations?items=${item}&n=3`, viewer)).json()) as {
					items: { item: string; reason: string }[];
				}
			).items;
		// Both buyers of 9003 and 9004 allow personalization: the pair is learned.
		expect((await recommended("developer_product:9003"))[0]).toMatchObject({
			item: "developer_product:9004",
			reason: "co-purchase",
		});
		// One buyer of 9001 and 9002 refused it: one basket is not a pair the model keeps, nothing is learned from 9001.
		const after9001 = await recommended("developer_product:9001");
		expect(after9001.map((r) => r.reason)).not.toContain("co-purchase");
		expect(after9001.map((r) => r.item)).not.toContain("developer_product:9002");
	});

	it("takes a player out of the rankings as soon as they withdraw, before the next run", async () => {
		expect(await ranking("churn")).toContain(900_001);
		await sendConsent([{ userId: 900_001, time: NOW - 1000, sessionId: "later", choice: NO_ANALYTICS }]);
		const churn = await ranking("churn");
		expect(churn).not.toContain(900_001);
		expect(churn.length).toBeGreaterThan(100);
	});
});
