// The results routes against a real store (SQLite, the warehouse's unit query) and the real results worker: CUPED by
// default from pre-exposure activity, plan warnings, the recommendation with a guardrail regression, the alerts
// route, breakdowns, and the digest's guardrail section.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EventType, IngestEvent } from "../ingest/schema.js";
import { T0 } from "../testing/fixtures.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import { reply, startWebhookServer } from "../testing/webhook-server.js";
import { DAY_MS, HOUR_MS } from "./metric.js";
import type { BreakdownResults, ExperimentAlerts, ExperimentResults } from "./results.js";

const START = T0 + 20 * DAY_MS;
let t: TestApp;
let viewer: string;
let analyst: string;
beforeEach(async () => {
	t = await createTestApp({ now: START + 10 * DAY_MS });
	viewer = await t.adminAuth("viewer");
	analyst = await t.adminAuth("analyst");
	await t.store.createGame({ id: "g1", name: "Obby", createdAt: T0 });
});
afterEach(() => t.close());

class Events {
	readonly #events: IngestEvent[] = [];
	add(userId: number, type: EventType, name: string, time: number, props: IngestEvent["props"] = {}): void {
		const id = `e${String(this.#events.length).padStart(8, "0")}`;
		this.#events.push({ id, time, userId, sessionId: `s${userId}`, type, name, props });
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
		body: JSON.stringify({ status: "running", startAt: new Date(START).toISOString(), ...body }),
	});
	if (res.status !== 201) throw new Error(await res.text());
}

async function get<T>(path: string): Promise<T> {
	const res = await t.app.request(`/v1/admin/games/g1${path}`, { headers: { Authorization: viewer } });
	if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
	return (await res.json()) as T;
}

/**
 * 2000 players, even UserIds in control, odd in grid, exposed over 3 days. Each has a skill 0..9: the levels they
 * played in the 14 days before exposure and, plus noise, after it (so the pre-period predicts the post-period).
 * grid converts 10% → 16% (a clear win) but crashes 5% → 15% (a guardrail where lower is better).
 * Platforms: mobile for 3 in 4, pc for the rest.
 */
async function plant(): Promise<void> {
	const events = new Events();
	for (let u = 1; u <= 2000; u++) {
		const arm = u % 2;
		const rank = Math.floor((u - 1) / 2);
		const exposedAt = START + (rank % 3) * DAY_MS + u * 1000;
		const skill = u % 10;
		events.add(u, "session_start", "player", exposedAt - 60_000, { device: rank % 4 === 0 ? "pc" : "mobile" });
		for (let k = 0; k < skill; k++) events.add(u, "progression", "level_up", exposedAt - 5 * DAY_MS + k * 60_000);
		const after = skill + ((u * 7) % 3);
		for (let k = 0; k < after; k++) events.add(u, "progression", "level_up", exposedAt + HOUR_MS + k * 60_000);
		events.add(u, "exposure", "shop", exposedAt, { variation: arm });
		if (rank % 100 < (arm ? 16 : 10)) events.add(u, "custom", "shop_purchase", exposedAt + HOUR_MS);
		if (rank % 100 >= 100 - (arm ? 15 : 5)) events.add(u, "error", "crash", exposedAt + 2 * HOUR_MS);
	}
	await events.store();
}

const SHOP = {
	key: "shop",
	variations: [{ key: "control" }, { key: "grid" }],
	primaryMetric: { key: "bought", type: "conversion", event: "shop_purchase" },
	guardrailMetrics: [
		{ key: "crashes", name: "Crash rate", type: "conversion", event: "crash", direction: "lower" },
		{ key: "levels", type: "count", event: "level_up", eventType: "progression" },
	],
	targetEffect: 0.05,
	plannedDays: 28,
};

describe("GET …/experiments/:key/results", () => {
	it("recommends stopping a winner that harms a guardrail, and lists the alert", async () => {
		await plant();
		await createExperiment(SHOP);
		const r = await get<ExperimentResults>("/experiments/shop/results");
		expect(r.role).toBe("primary");
		expect(r.comparisons[0]!.absolute.effect).toBeCloseTo(0.06, 10);
		expect(r.comparisons[0]!.relative.effect).toBeCloseTo(0.6, 10);
		expect(r.guardrails.map((g) => g.metric.key)).toEqual(["crashes", "levels"]);
		expect(r.guardrails[0]!.comparisons[0]!.regression).toBe(true);
		expect(r.decision).toMatchObject({ action: "stop", variation: "grid", reason: "guardrail-regression" });
		expect(r.decision!.message).toMatch(/Crash rate/);
		expect(r.alerts.map((a) => [a.metric, a.variation])).toEqual([["crashes", "grid"]]);
		// Planned for 28 days, read after 10: the fixed-horizon numbers are a peek.
		expect(r.plan).toMatchObject({ targetEffect: 0.05, beforePlannedEnd: true });
		expect(r.plan.plannedEnd).toBe(new Date(START + 28 * DAY_MS).toISOString());
		expect(r.warnings.map((w) => w.code)).toContain("peeking");
		expect(r.warnings.map((w) => w.code)).toContain("underpowered");
	});

	it("applies CUPED by default from the pre-exposure activity, and not with cuped=false", async () => {
		await plant();
		await createExperiment(SHOP);
		const r = await get<ExperimentResults>("/experiments/shop/results?metric=levels");
		expect(r.role).toBe("guardrail");
		expect(r.cuped).toMatchObject({ applied: true, lookbackDays: 14 });
		// The post-period is the pre-period plus a little noise: most of the variance goes.
		expect(r.cuped.varianceReduction).toBeGreaterThan(0.8);
		const c = r.comparisons[0]!;
		expect(c.cuped!.varianceReduction).toBeGreaterThan(0.8);
		expect(c.absolute.stdError).toBeLessThan(c.cuped!.unadjusted.absolute.stdError / 2);
		const off = await get<ExperimentResults>("/experiments/shop/results?metric=levels&cuped=false");
		expect(off.cuped).toMatchObject({ applied: false, lookbackDays: 0 });
		expect(off.comparisons[0]!.cuped).toBeNull();
		expect(off.comparisons[0]!.absolute.stdError).toBeCloseTo(c.cuped!.unadjusted.absolute.stdError, 10);
		const short = await get<ExperimentResults>("/experiments/shop/results?metric=levels&lookbackDays=2");
		// The pre-period levels were 5 days before exposure: none in a 2-day lookback.
		expect(short.cuped).toMatchObject({ applied: false, lookbackDays: 2 });
	});

	it("analyses a ratio metric from the store's units (Σ numerator / Σ denominator per arm)", async () => {
		await plant();
		await createExperiment({
			...SHOP,
			key: "ratio",
			guardrailMetrics: [],
			primaryMetric: {
				key: "buys_per_level",
				type: "ratio",
				numerator: { event: "shop_purchase" },
				denominator: { event: "level_up", eventType: "progression" },
			},
		});
		// The same players' exposures count for this experiment key too.
		const events: IngestEvent[] = [];
		for (let u = 1; u <= 2000; u++) {
			const rank = Math.floor((u - 1) / 2);
			const time = START + (rank % 3) * DAY_MS + u * 1000;
			events.push({
				id: `r${u}`,
				time,
				userId: u,
				sessionId: `s${u}`,
				type: "exposure",
				name: "ratio",
				props: { variation: u % 2 },
			});
		}
		await t.store.ingestBatch("g1", { batchId: "ratio", sentAt: T0, events, rejected: [] }, T0);
		const r = await get<ExperimentResults>("/experiments/ratio/results");
		expect(r.variations.map((v) => v.n)).toEqual([1000, 1000]);
		for (const v of r.variations) expect(v.value).toBeCloseTo(v.sum / v.denominatorSum!, 12);
		expect(r.comparisons[0]!.frequentist.method).toMatch(/ratio/);
		expect(r.comparisons[0]!.relative.effect).toBeGreaterThan(0.3);
		// Nobody bought before exposure: the pre-period ratio is 0 for all, so CUPED has nothing to adjust with.
		expect(r.cuped).toMatchObject({ applied: false, reason: expect.stringMatching(/nothing to adjust/) });
		expect(r.decision).toMatchObject({ action: "keep-running", reason: "keep-collecting" });
	});

	it("answers 400 for an invalid lookback or CUPED flag", async () => {
		await createExperiment(SHOP);
		for (const q of ["lookbackDays=0", "lookbackDays=91", "cuped=maybe"]) {
			const res = await t.app.request(`/v1/admin/games/g1/experiments/shop/results?${q}`, {
				headers: { Authorization: viewer },
			});
			expect(res.status, q).toBe(400);
		}
	});
});

describe("GET …/experiments/:key/breakdown", () => {
	it("breaks a metric down by platform, largest cell first, Holm-adjusted", async () => {
		await plant();
		await createExperiment(SHOP);
		const b = await get<BreakdownResults>("/experiments/shop/breakdown?dimension=platform&cuped=false");
		expect(b.dimension).toBe("platform");
		expect(b.cells.map((c) => [c.value, c.units])).toEqual([
			["mobile", 1500],
			["pc", 500],
		]);
		expect(b.correction.comparisons).toBe(2);
		for (const cell of b.cells) {
			expect(cell.comparisons[0]!.adjustedPValue).toBeGreaterThanOrEqual(cell.comparisons[0]!.relative.pValue);
		}
		const strict = await get<BreakdownResults>("/experiments/shop/breakdown?dimension=platform&minUnits=300");
		expect(strict.cells.find((c) => c.value === "pc")!.warnings.map((w) => w.code)).toContain("small-cell");
		expect(strict.cells.find((c) => c.value === "mobile")!.warnings.map((w) => w.code)).not.toContain("small-cell");
	});

	it("answers 400 without a valid dimension", async () => {
		await createExperiment(SHOP);
		for (const q of ["", "?dimension=device", "?dimension=attr:", "?dimension=attr:a%20b"]) {
			const res = await t.app.request(`/v1/admin/games/g1/experiments/shop/breakdown${q}`, {
				headers: { Authorization: viewer },
			});
			expect(res.status, q).toBe(400);
		}
	});
});

describe("guardrail alerts", () => {
	it("lists the guardrail regressions of running experiments only", async () => {
		await plant();
		await createExperiment(SHOP);
		await createExperiment({ ...SHOP, key: "quiet", guardrailMetrics: [] });
		const a = await get<ExperimentAlerts>("/experiment-alerts");
		expect(a.experiments).toEqual([
			{ key: "quiet", guardrails: 0, error: null },
			{ key: "shop", guardrails: 2, error: null },
		]);
		expect(a.alerts.map((x) => [x.experiment, x.metric, x.variation, x.direction])).toEqual([
			["shop", "crashes", "grid", "lower"],
		]);
		expect(a.alerts[0]!.relative.effect).toBeCloseTo(2, 10);
		expect(a.alerts[0]!.message).toMatch(/^shop: grid harms Crash rate \(lower is better\): \+200\.0%/);
		const stop = await t.app.request("/v1/admin/games/g1/experiments/shop", {
			method: "PATCH",
			headers: { Authorization: analyst, "Content-Type": "application/json" },
			body: JSON.stringify({ status: "stopped" }),
		});
		expect(stop.status).toBe(200);
		expect((await get<ExperimentAlerts>("/experiment-alerts")).alerts).toEqual([]);
	});

	it("puts them in the digest, in a section before the KPIs", async () => {
		await plant();
		await createExperiment(SHOP);
		const hook = await startWebhookServer(reply(204));
		try {
			await t.store.updateGameSettings("g1", { digestWebhookUrl: hook.url }, t.clock.now);
			const res = await t.app.request("/v1/admin/games/g1/digest/test", {
				method: "POST",
				headers: { Authorization: await t.adminAuth("owner") },
			});
			expect(res.status).toBe(200);
			const body = JSON.parse(hook.requests[0]!.body) as {
				content: string;
				embeds: { fields: { name: string; value: string; inline: boolean }[] }[];
			};
			expect(body.content).toMatch(/⚠ 1 guardrail regression$/);
			expect(body.embeds[0]!.fields[0]).toMatchObject({ name: "⚠ Guardrail regressions", inline: false });
			expect(body.embeds[0]!.fields[0]!.value).toMatch(/^• shop: grid harms Crash rate/);
		} finally {
			await hook.close();
		}
	});
});

describe("the experiment's plan fields", () => {
	const request = (method: string, path: string, body?: unknown) =>
		t.app.request(`/v1/admin/games/g1/experiments${path}`, {
			method,
			headers: { Authorization: analyst, "Content-Type": "application/json" },
			...(body === undefined ? {} : { body: JSON.stringify(body) }),
		});

	it("stores targetEffect and plannedDays, answers the planned end, and clears them with null", async () => {
		const startAt = new Date(START).toISOString();
		const created = await request("POST", "", { ...SHOP, key: "plan", status: "running", startAt });
		expect(created.status).toBe(201);
		expect(await created.json()).toMatchObject({
			targetEffect: 0.05,
			plannedDays: 28,
			plannedEnd: new Date(START + 28 * DAY_MS).toISOString(),
		});
		const patched = await request("PATCH", "/plan", { targetEffect: 0.1, plannedDays: null });
		expect(await patched.json()).toMatchObject({ targetEffect: 0.1, plannedDays: null, plannedEnd: null });
		// Changing the plan of a running experiment is allowed: it does not change who sees what.
		expect(patched.status).toBe(200);
	});

	it("defaults to none, and refuses a target of 0 or a fractional number of days", async () => {
		const created = await request("POST", "", { key: "bare", variations: SHOP.variations });
		expect(await created.json()).toMatchObject({ targetEffect: null, plannedDays: null, plannedEnd: null });
		for (const body of [{ targetEffect: 0 }, { targetEffect: -0.1 }, { plannedDays: 1.5 }, { plannedDays: 0 }]) {
			expect((await request("PATCH", "/bare", body)).status, JSON.stringify(body)).toBe(400);
		}
	});
});
