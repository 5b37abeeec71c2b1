import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mulberry32 } from "../stats/index.js";
import { T0, memoryLogger } from "../testing/fixtures.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import { ADAPTIVE_FLOOR, ADAPTIVE_MIN_UNITS, nextAdaptiveWeights, startAdaptiveUpdates } from "./adaptive.js";
import type { AdaptiveUpdate } from "./adaptive.js";
import type { MetricDefinition } from "./metric.js";
import type { SdkConfig } from "./sdk-config.js";

const CONVERSION: MetricDefinition = { key: "won", type: "conversion", event: "win" };
const REVENUE: MetricDefinition = { key: "robux", type: "revenue", valueProp: "robux" };

/** Binary arm sums: n units of which `conversions` converted. */
const arm = (n: number, conversions: number) => ({ n, sum: conversions, sumSquares: conversions });

describe("nextAdaptiveWeights", () => {
	it("keeps the current weights until every arm has 100 units", () => {
		const r = nextAdaptiveWeights(CONVERSION, [arm(5000, 500), arm(99, 90)], [0.3, 0.7], mulberry32(1));
		expect(r.updated).toBe(false);
		expect(r.weights).toEqual([0.3, 0.7]);
		expect(r.warnings.map((w) => w.code)).toEqual(["too-few-units"]);
	});

	it("updates at exactly 100 units per arm", () => {
		const r = nextAdaptiveWeights(CONVERSION, [arm(100, 10), arm(100, 12)], [0.5, 0.5], mulberry32(1));
		expect(ADAPTIVE_MIN_UNITS).toBe(100);
		expect(r.updated).toBe(true);
	});

	it("shifts traffic to the better arm but never below the 1% floor", () => {
		const r = nextAdaptiveWeights(
			CONVERSION,
			[arm(2000, 100), arm(2000, 400), arm(2000, 90)],
			[1 / 3, 1 / 3, 1 / 3],
			mulberry32(7),
		);
		expect(r.updated).toBe(true);
		expect(r.weights[1]).toBeGreaterThan(0.95);
		for (const w of r.weights) expect(w).toBeGreaterThanOrEqual(ADAPTIVE_FLOOR - 1e-12);
		expect(r.weights[0]).toBeCloseTo(ADAPTIVE_FLOOR, 6);
		expect(r.weights.reduce((s, w) => s + w, 0)).toBeCloseTo(1, 12);
	});

	it("uses the mean of a revenue metric", () => {
		// Arm 0: 1000 units spending 100 each half the time; arm 1: 1000 units spending 10 half the time.
		const rich = { n: 1000, sum: 500 * 100, sumSquares: 500 * 100 * 100 };
		const poor = { n: 1000, sum: 500 * 10, sumSquares: 500 * 10 * 10 };
		const r = nextAdaptiveWeights(REVENUE, [rich, poor], [0.5, 0.5], mulberry32(3));
		expect(r.weights[0]).toBeCloseTo(1 - ADAPTIVE_FLOOR, 6);
	});
});

describe("adaptive updates through the API and the timer", () => {
	let t: TestApp;
	let analyst: string;
	beforeEach(async () => {
		t = await createTestApp({ now: T0 + 3_600_000 });
		analyst = await t.adminAuth("analyst");
		await t.store.createGame({ id: "g1", name: "Obby", createdAt: T0 });
		const res = await t.app.request("/v1/admin/games/g1/experiments", {
			method: "POST",
			headers: { Authorization: analyst, "Content-Type": "application/json" },
			body: JSON.stringify({
				key: "bandit",
				status: "running",
				startAt: new Date(T0).toISOString(),
				variations: [{ key: "a" }, { key: "b" }],
				assignment: { mode: "adaptive" },
				primaryMetric: CONVERSION,
			}),
		});
		expect(res.status).toBe(201);
	});
	afterEach(() => t.close());

	/** `count` users exposed to `variation`; the first `wins` of them convert. */
	let nextUser = 1;
	async function plant(variation: number, count: number, wins: number): Promise<void> {
		const events = [];
		for (let i = 0; i < count; i++) {
			const userId = nextUser++;
			const base = { userId, sessionId: "s", time: T0 + userId };
			events.push({ ...base, id: `x${userId}`, type: "exposure" as const, name: "bandit", props: { variation } });
			if (i < wins) events.push({ ...base, id: `w${userId}`, type: "custom" as const, name: "win", props: {} });
		}
		await t.store.ingestBatch("g1", { batchId: `b${nextUser}`, sentAt: T0, events, rejected: [] }, T0);
	}

	const update = async (): Promise<AdaptiveUpdate> => {
		const res = await t.app.request("/v1/admin/games/g1/experiments/bandit/adaptive-update", {
			method: "POST",
			headers: { Authorization: analyst },
		});
		expect(res.status).toBe(200);
		return (await res.json()) as AdaptiveUpdate;
	};

	it("stores nothing before 100 units per arm, then floored weights that /v1/config serves", async () => {
		await plant(0, 500, 50);
		await plant(1, 99, 60);
		expect(await update()).toMatchObject({ updated: false, weights: [0.5, 0.5], units: [500, 99] });
		expect((await t.store.getExperiment("g1", "bandit"))?.adaptiveWeights).toBeNull();

		await plant(1, 1, 1);
		const done = await update();
		expect(done).toMatchObject({ updated: true, units: [500, 100] });
		expect(done.weights[0]).toBeCloseTo(ADAPTIVE_FLOOR, 6);
		expect(done.weights[0]).toBeGreaterThanOrEqual(ADAPTIVE_FLOOR - 1e-12);

		const stored = await t.store.getExperiment("g1", "bandit");
		expect(stored?.adaptiveWeights).toEqual(done.weights);
		const config = await t.app.request("/v1/config", {
			headers: { Authorization: await t.gameAuth("g1", ["config"]) },
		});
		const served = ((await config.json()) as SdkConfig).experiments[0]?.variations.map((v) => v.weight);
		expect(served).toEqual(done.weights);
	});

	it("answers 409 for an experiment that is not adaptive or not running", async () => {
		await t.app.request("/v1/admin/games/g1/experiments/bandit", {
			method: "PATCH",
			headers: { Authorization: analyst, "Content-Type": "application/json" },
			body: JSON.stringify({ status: "stopped" }),
		});
		const res = await t.app.request("/v1/admin/games/g1/experiments/bandit/adaptive-update", {
			method: "POST",
			headers: { Authorization: analyst },
		});
		expect(res.status).toBe(409);
	});

	it("runs on a timer for every running adaptive experiment, and stops", async () => {
		vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
		try {
			await plant(0, 200, 10);
			await plant(1, 200, 100);
			const { logger, lines } = memoryLogger();
			const updates = startAdaptiveUpdates({
				store: t.store,
				logger,
				clock: () => t.clock.now,
				rng: mulberry32(5),
				tickMs: 60_000,
			});
			await vi.advanceTimersByTimeAsync(59_000);
			expect((await t.store.getExperiment("g1", "bandit"))?.adaptiveWeights).toBeNull();
			await vi.advanceTimersByTimeAsync(1_000);
			await vi.waitFor(async () => {
				expect((await t.store.getExperiment("g1", "bandit"))?.adaptiveWeights?.[1]).toBeGreaterThan(0.9);
			});
			expect(lines.some((l) => l.msg === "adaptive weights updated")).toBe(true);
			await updates.stop();
			expect(vi.getTimerCount()).toBe(0);
		} finally {
			vi.useRealTimers();
		}
	});

	it("updates each experiment on its own interval, counted from its stored last run across restarts", async () => {
		const MINUTE = 60_000;
		const send = (path: string, method: string, body: unknown) =>
			t.app.request(`/v1/admin/games/g1/experiments${path}`, {
				method,
				headers: { Authorization: analyst, "Content-Type": "application/json" },
				body: JSON.stringify(body),
			});
		// bandit (started at T0, now T0 + 1 h) runs every 5 minutes from now on; the interval may change while it runs.
		const faster = await send("/bandit", "PATCH", { assignment: { mode: "adaptive", updateIntervalMinutes: 5 } });
		expect(faster.status).toBe(200);
		const slow = await send("", "POST", {
			key: "slow",
			status: "running",
			startAt: new Date(T0).toISOString(),
			variations: [{ key: "a" }, { key: "b" }],
			assignment: { mode: "adaptive", updateIntervalMinutes: 120 },
			primaryMetric: CONVERSION,
		});
		expect(slow.status).toBe(201);
		for (const minutes of [4, 10_081]) {
			const refused = await send("/bandit", "PATCH", {
				assignment: { mode: "adaptive", updateIntervalMinutes: minutes },
			});
			expect(refused.status, `${minutes} minutes`).toBe(400);
		}

		const { logger } = memoryLogger();
		const start = () => startAdaptiveUpdates({ store: t.store, logger, clock: () => t.clock.now, rng: mulberry32(5) });
		const ran = async (job: ReturnType<typeof start>) => (await job.runOnce()).map((u) => u.experiment).sort();
		let job = start();
		try {
			// T0 + 60 min: bandit is due (5 min since its start), slow is not (120 min).
			expect(await ran(job)).toEqual(["bandit"]);
			t.clock.now += 4 * MINUTE;
			expect(await ran(job)).toEqual([]);
			t.clock.now += MINUTE;
			expect(await ran(job)).toEqual(["bandit"]);
			// A restart forgets nothing: the last run is stored.
			await job.stop();
			job = start();
			t.clock.now += 4 * MINUTE;
			expect(await ran(job)).toEqual([]);
			t.clock.now += MINUTE;
			expect(await ran(job)).toEqual(["bandit"]);
			// T0 + 120 min: slow's first update (nothing stored yet: it counts from its start).
			t.clock.now = T0 + 120 * MINUTE;
			expect(await ran(job)).toEqual(["bandit", "slow"]);
			// Two hours later slow is due again, one minute after bandit's latest run.
			t.clock.now += 119 * MINUTE;
			expect(await ran(job)).toEqual(["bandit"]);
			t.clock.now += MINUTE;
			expect(await ran(job)).toEqual(["slow"]);
			const runs = await t.store.allocation.listAdaptiveRuns();
			expect(runs.map((r) => [r.experimentKey, r.ranAt])).toEqual([
				["bandit", t.clock.now - MINUTE],
				["slow", t.clock.now],
			]);
		} finally {
			await job.stop();
		}
	});
});
