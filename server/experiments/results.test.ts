import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EventType, IngestEvent } from "../ingest/schema.js";
import { T0 } from "../testing/fixtures.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import { DAY_MS, HOUR_MS } from "./metric.js";
import type { ExperimentResults } from "./results.js";

let t: TestApp;
let viewer: string;
let analyst: string;
beforeEach(async () => {
	t = await createTestApp({ now: T0 + 10 * DAY_MS });
	viewer = await t.adminAuth("viewer");
	analyst = await t.adminAuth("analyst");
	await t.store.createGame({ id: "g1", name: "Obby", createdAt: T0 });
});
afterEach(() => t.close());

/** Builds events and stores them in batches, the way ingest does. */
class Events {
	readonly #events: IngestEvent[] = [];
	add(userId: number, type: EventType, name: string, time: number, props: IngestEvent["props"] = {}): void {
		const id = `e${String(this.#events.length).padStart(8, "0")}`;
		this.#events.push({ id, time, userId, sessionId: `s${userId}`, type, name, props });
	}
	expose(userId: number, experiment: string, variation: number | string, time: number): void {
		this.add(userId, "exposure", experiment, time, { variation });
	}
	async store(): Promise<void> {
		for (let i = 0; i < this.#events.length; i += 1000) {
			const events = this.#events.slice(i, i + 1000);
			await t.store.ingestBatch("g1", { batchId: `b${i}`, sentAt: T0, events, rejected: [] }, T0);
		}
	}
}

async function createExperiment(body: Record<string, unknown>): Promise<void> {
	const res = await t.app.request("/v1/admin/games/g1/experiments", {
		method: "POST",
		headers: { Authorization: analyst, "Content-Type": "application/json" },
		body: JSON.stringify({ status: "running", startAt: new Date(T0).toISOString(), ...body }),
	});
	if (res.status !== 201) throw new Error(await res.text());
}

async function results(key: string, query = ""): Promise<ExperimentResults> {
	const res = await t.app.request(`/v1/admin/games/g1/experiments/${key}/results${query}`, {
		headers: { Authorization: viewer },
	});
	if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
	return (await res.json()) as ExperimentResults;
}

const SHOP = {
	key: "shop",
	variations: [{ key: "control" }, { key: "grid" }],
	primaryMetric: { key: "bought", type: "conversion", event: "shop_purchase" },
	guardrailMetrics: [
		{ key: "levels", type: "count", event: "level_up", eventType: "progression" },
		{ key: "robux", type: "revenue" },
		{ key: "d1", type: "retention", day: 1 },
	],
	forcedVariations: { "999999": "grid" },
};

/**
 * 2000 users over 3 days: even UserIds see control, odd ones grid. Control converts 10%, grid 15% (exactly, by
 * position). Planted noise that must not count: conversions before exposure, repeat exposures, a user exposed to
 * both arms, a forced QA user, and an exposure to a variation that does not exist.
 */
async function plantShop(): Promise<void> {
	const events = new Events();
	for (let u = 1; u <= 2000; u++) {
		const arm = u % 2;
		const rank = Math.floor((u - 1) / 2); // 0..999 within the arm
		const exposedAt = T0 + (rank % 3) * DAY_MS + u * 1000;
		// Exposures name the variation by index or by key (one way per user, as one SDK version does).
		const variation = rank % 2 === 0 ? arm : ["control", "grid"][arm]!;
		events.expose(u, "shop", variation, exposedAt);
		events.expose(u, "shop", variation, exposedAt + HOUR_MS);
		const converts = arm === 0 ? rank % 10 === 0 : rank % 20 < 3;
		if (converts) events.add(u, "custom", "shop_purchase", exposedAt + 2 * HOUR_MS);
		if (rank % 10 === 5) events.add(u, "custom", "shop_purchase", exposedAt - HOUR_MS);
		if (rank < 100) {
			events.add(u, "purchase", "gems", exposedAt + HOUR_MS, { robux: arm === 0 ? 100 : 200 });
		}
		for (let i = 0; i < (arm === 0 ? 2 : 3); i++) events.add(u, "progression", "level_up", exposedAt + i * 1000);
		if (rank % 4 === 0) events.add(u, "session_start", "session", exposedAt + 1.5 * DAY_MS);
	}
	events.expose(5001, "shop", 0, T0 + 1000);
	events.expose(5001, "shop", 1, T0 + 2000);
	events.expose(999999, "shop", 1, T0 + 1000);
	events.add(999999, "custom", "shop_purchase", T0 + 2000);
	events.expose(5002, "shop", "list", T0 + 1000);
	await events.store();
}

describe("GET …/experiments/:key/results", () => {
	it("counts each user once, from the first exposure, and finds the planted conversion lift", async () => {
		await createExperiment(SHOP);
		await plantShop();
		const r = await results("shop");

		expect(r.metric.key).toBe("bought");
		expect(r.variations.map((v) => [v.key, v.n, v.sum])).toEqual([
			["control", 1000, 100],
			["grid", 1000, 150],
		]);
		expect(r.variations.map((v) => v.mean)).toEqual([0.1, 0.15]);
		expect(r.excluded).toEqual({ multipleVariations: 1, unknownVariation: 1 });
		expect(r.warnings.map((w) => w.code)).toEqual(["multiple-variations", "unknown-variation"]);
		expect(r.srm?.flagged).toBe(false);

		const [grid] = r.comparisons;
		expect(grid?.variation).toBe("grid");
		expect(grid?.frequentist.effect).toBeCloseTo(0.5, 10);
		expect(grid?.frequentist.ci.lower).toBeGreaterThan(0);
		expect(grid?.frequentist.pValue).toBeLessThan(0.01);
		expect(grid?.adjustedPValue).toBe(grid?.frequentist.pValue);
		expect(grid?.bayesian?.chanceToWin).toBeGreaterThan(0.99);
		// The always-valid sequence pays for peeking with a wider interval, around the same estimate.
		expect(grid?.sequential.effect).toBeCloseTo(0.5, 10);
		expect(grid?.sequential.ci.lower).toBeLessThan(grid!.frequentist.ci.lower);
		expect(grid?.sequential.pValue).toBeGreaterThan(grid!.frequentist.pValue);
		expect(r.correction).toBeNull();
	});

	it("gives the absolute difference on request", async () => {
		await createExperiment(SHOP);
		await plantShop();
		const r = await results("shop", "?difference=absolute");
		expect(r.comparisons[0]?.frequentist.effect).toBeCloseTo(0.05, 10);
	});

	it("builds a cumulative daily series by first-exposure day", async () => {
		await createExperiment(SHOP);
		await plantShop();
		const r = await results("shop");
		expect(r.timeSeries.map((p) => p.date)).toEqual(["2025-01-01", "2025-01-02", "2025-01-03"]);
		const units = r.timeSeries.map((p) => p.variations.map((v) => v.units));
		expect(units).toEqual([
			[334, 334],
			[667, 667],
			[1000, 1000],
		]);
		expect(r.timeSeries.at(-1)?.comparisons[0]?.pValue).toBe(r.comparisons[0]?.frequentist.pValue);
	});

	it("computes count, revenue and retention metrics", async () => {
		await createExperiment(SHOP);
		await plantShop();
		const levels = await results("shop", "?metric=levels");
		expect(levels.variations.map((v) => v.mean)).toEqual([2, 3]);
		expect(levels.comparisons[0]?.frequentist.method).toMatch(/Welch/);

		const robux = await results("shop", "?metric=robux");
		expect(robux.variations.map((v) => v.sum)).toEqual([100 * 100, 100 * 200]);
		expect(robux.variations.map((v) => v.mean)).toEqual([10, 20]);

		// Day 1 after exposure: a session 1.5 days later counts for a quarter of the users.
		const d1 = await results("shop", "?metric=d1");
		expect(d1.variations.map((v) => [v.n, v.mean])).toEqual([
			[1000, 0.25],
			[1000, 0.25],
		]);
		expect(d1.comparisons[0]?.frequentist.pValue).toBeCloseTo(1, 10);
	});

	it("counts retention only for units whose day has passed inside the window", async () => {
		await createExperiment(SHOP);
		await plantShop();
		// Units first exposed on day 0 reach the end of their day 1 at ~T0 + 2 days.
		const d1 = await results("shop", `?metric=d1&to=${new Date(T0 + 2 * DAY_MS + 3_000_000).toISOString()}`);
		expect(d1.variations.every((v) => v.n > 0 && v.n < 400)).toBe(true);
	});

	it("restricts the units to the exposure window", async () => {
		await createExperiment(SHOP);
		await plantShop();
		const r = await results("shop", `?from=${new Date(T0 + DAY_MS).toISOString()}`);
		expect(r.variations.map((v) => v.n)).toEqual([666, 666]);
	});

	it("flags a sample-ratio mismatch against the planned weights", async () => {
		await createExperiment({ ...SHOP, key: "skewed" });
		const events = new Events();
		for (let u = 1; u <= 2200; u++) events.expose(u, "skewed", u <= 1000 ? 0 : 1, T0 + u);
		await events.store();
		const r = await results("skewed");
		expect(r.variations.map((v) => v.n)).toEqual([1000, 1200]);
		expect(r.srm?.flagged).toBe(true);
		expect(r.srm?.pValue).toBeCloseTo(0.000020079, 8);
		expect(r.warnings.map((w) => w.code)).toContain("srm");
		expect(r.comparisons[0]?.frequentist.warnings.map((w) => w.code)).toContain("srm");
	});

	it("does not flag the same split when it was planned", async () => {
		await createExperiment({
			...SHOP,
			key: "planned",
			variations: [
				{ key: "control", weight: 1000 / 2200 },
				{ key: "grid", weight: 1200 / 2200 },
			],
		});
		const events = new Events();
		for (let u = 1; u <= 2200; u++) events.expose(u, "planned", u <= 1000 ? 0 : 1, T0 + u);
		await events.store();
		expect((await results("planned")).srm?.flagged).toBe(false);
	});

	it("points the p-value the other way for a planted loss, and corrects across treatments", async () => {
		await createExperiment({
			...SHOP,
			key: "three",
			variations: [{ key: "control" }, { key: "worse" }, { key: "same" }],
			forcedVariations: {},
		});
		const events = new Events();
		for (let u = 1; u <= 3000; u++) {
			const arm = u % 3;
			const rank = Math.floor(u / 3);
			events.expose(u, "three", arm, T0 + u);
			const rate = [20, 10, 20][arm]!;
			if (rank % 100 < rate) events.add(u, "custom", "shop_purchase", T0 + u + 1);
		}
		await events.store();
		const r = await results("three");
		const [worse, same] = r.comparisons;
		expect(worse?.frequentist.effect).toBeLessThan(0);
		expect(worse?.frequentist.ci.upper).toBeLessThan(0);
		expect(worse?.bayesian?.chanceToWin).toBeLessThan(0.01);
		expect(same?.frequentist.pValue).toBeGreaterThan(0.5);
		expect(r.correction?.name).toBe("holm");
		expect(worse?.adjustedPValue).toBeCloseTo(Math.min(1, 2 * worse!.frequentist.pValue), 12);
		const none = await results("three", "?correction=none");
		expect(none.correction).toBeNull();
		expect(none.comparisons[0]?.adjustedPValue).toBe(none.comparisons[0]?.frequentist.pValue);
	});

	it("answers 400 for an unknown metric, no primary metric or an empty window", async () => {
		// A draft: an experiment without a primary metric cannot start.
		await createExperiment({ key: "bare", status: "draft", variations: [{ key: "a" }, { key: "b" }] });
		await createExperiment(SHOP);
		const get = (path: string) => t.app.request(path, { headers: { Authorization: viewer } });
		expect((await get("/v1/admin/games/g1/experiments/bare/results")).status).toBe(400);
		expect((await get("/v1/admin/games/g1/experiments/shop/results?metric=nope")).status).toBe(400);
		const inverted = `?from=${new Date(T0 + DAY_MS).toISOString()}&to=${new Date(T0).toISOString()}`;
		expect((await get(`/v1/admin/games/g1/experiments/shop/results${inverted}`)).status).toBe(400);
		expect((await get("/v1/admin/games/g1/experiments/nope/results")).status).toBe(404);
	});
});
