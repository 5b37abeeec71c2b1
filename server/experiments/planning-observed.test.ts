// Planning from the game's own data: a ratio baseline, and an observed baseline read from an experiment's control arm
// (rate, mean or ratio and its variance, CUPED-reduced), through POST …/experiments/plan with a real store.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EventType, IngestEvent } from "../ingest/schema.js";
import { sampleSizeMeans, sampleSizeRatio } from "../stats/index.js";
import { T0 } from "../testing/fixtures.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import { DAY_MS, HOUR_MS, type MetricDefinition } from "./metric.js";
import { observedBaseline, planExperiment, planRequestSchema, type PlanResult } from "./planning.js";
import type { ExperimentUnits } from "./units.js";

function units(rows: { arm: number; value: number; cov?: number; den?: number }[], covariate = false): ExperimentUnits {
	return {
		count: rows.length,
		variation: rows.map((r) => r.arm),
		multipleVariations: new Uint8Array(rows.length),
		firstExposure: new Float64Array(rows.length).fill(T0),
		value: Float64Array.from(rows.map((r) => r.value)),
		denominator: rows.some((r) => r.den !== undefined) ? Float64Array.from(rows.map((r) => r.den ?? 0)) : null,
		covariate: covariate ? Float64Array.from(rows.map((r) => r.cov ?? 0)) : null,
		covariateDenominator: null,
		dimensions: {},
		cap: null,
	};
}
const VARIATIONS = [{ key: "control" }, { key: "grid" }];
const COUNT: MetricDefinition = { key: "levels", type: "count", event: "level_up" };
const CONVERSION: MetricDefinition = { key: "bought", type: "conversion", event: "buy" };

describe("observedBaseline", () => {
	it("reads a rate from the control arm", () => {
		const rows = Array.from({ length: 1000 }, (_, i) => ({ arm: i % 2, value: i % 10 === 0 ? 1 : 0 }));
		const found = observedBaseline(units(rows), VARIATIONS, CONVERSION, { cuped: false });
		expect(found.baseline).toEqual({ kind: "proportion", rate: 0.2 });
		expect(found.controlUnits).toBe(500);
	});

	it("reads a mean and its standard deviation, less the variance CUPED removes", () => {
		// value = covariate + (0 or 1): the covariate explains most of the variance.
		const rows = Array.from({ length: 400 }, (_, i) => ({
			arm: i % 2,
			cov: i % 20,
			value: (i % 20) + (i % 3 === 0 ? 1 : 0),
		}));
		const raw = observedBaseline(units(rows, true), VARIATIONS, COUNT, { cuped: false });
		const cuped = observedBaseline(units(rows, true), VARIATIONS, COUNT, { cuped: true });
		expect(raw.baseline.kind).toBe("mean");
		expect(raw.varianceReduction).toBeNull();
		expect(cuped.varianceReduction).toBeGreaterThan(0.9);
		const stdDev = (b: typeof raw.baseline) => (b.kind === "mean" ? b.stdDev : Number.NaN);
		expect(stdDev(cuped.baseline)).toBeCloseTo(raw.rawStdDev * Math.sqrt(1 - cuped.varianceReduction!), 12);
		expect(stdDev(raw.baseline)).toBe(raw.rawStdDev);
	});

	it("reads a ratio metric's linearized variance", () => {
		const rows = Array.from({ length: 300 }, (_, i) => ({
			arm: i % 2,
			den: 1 + (i % 4),
			value: (1 + (i % 4)) * 2 + (i % 5),
		}));
		const metric: MetricDefinition = {
			key: "rps",
			type: "ratio",
			numerator: { event: "buy", valueProp: "robux" },
			denominator: { eventType: "session_start" },
		};
		const found = observedBaseline(units(rows), VARIATIONS, metric, { cuped: false });
		expect(found.baseline.kind).toBe("ratio");
	});

	it("refuses quantile metrics and too little data", () => {
		const q: MetricDefinition = {
			key: "q",
			type: "quantile",
			event: "s",
			valueProp: "x",
			quantile: 0.5,
			aggregate: "mean",
		};
		expect(() => observedBaseline(units([]), VARIATIONS, q, { cuped: false })).toThrow(/cannot be computed/);
		expect(() => observedBaseline(units([{ arm: 0, value: 1 }]), VARIATIONS, COUNT, { cuped: false })).toThrow(
			/cannot be computed/,
		);
	});
});

describe("planExperiment with a ratio baseline", () => {
	it("sizes the test with the ratio's delta-method variance", () => {
		const request = planRequestSchema.parse({ baseline: { kind: "ratio", ratio: 4, stdDev: 3 }, mde: 0.05 });
		const plan = planExperiment(request, null);
		const expected = sampleSizeRatio({ baseline: { n: 2, mean: 4, variance: 9 }, mde: 0.05, relativeMde: true });
		expect(plan.variations[0]!.units).toBe(expected.control);
		expect(plan.method).toMatch(/ratio/);
		expect(plan.mde).toEqual({ absolute: 0.2, relative: 0.05 });
	});
});

describe("POST …/experiments/plan with an observed baseline", () => {
	let t: TestApp;
	let viewer: string;
	const START = T0 + 20 * DAY_MS;
	beforeEach(async () => {
		t = await createTestApp({ now: START + 10 * DAY_MS });
		viewer = await t.adminAuth("viewer");
		await t.store.createGame({ id: "g1", name: "Obby", createdAt: T0 });
	});
	afterEach(() => t.close());

	async function plant(): Promise<void> {
		const events: IngestEvent[] = [];
		const add = (userId: number, type: EventType, name: string, time: number, props: IngestEvent["props"] = {}) =>
			events.push({
				id: `e${String(events.length).padStart(8, "0")}`,
				time,
				userId,
				sessionId: `s${userId}`,
				type,
				name,
				props,
			});
		for (let u = 1; u <= 1000; u++) {
			const exposedAt = START + (u % 3) * DAY_MS + u * 1000;
			const skill = u % 10;
			for (let k = 0; k < skill; k++) add(u, "progression", "level_up", exposedAt - 5 * DAY_MS + k * 60_000);
			for (let k = 0; k < skill + (u % 2); k++) add(u, "progression", "level_up", exposedAt + HOUR_MS + k * 60_000);
			add(u, "exposure", "shop", exposedAt, { variation: u % 2 });
			if (u % 5 === 0) add(u, "custom", "buy", exposedAt + HOUR_MS);
		}
		for (let i = 0; i < events.length; i += 1000) {
			await t.store.ingestBatch(
				"g1",
				{ batchId: `b${i}`, sentAt: T0, events: events.slice(i, i + 1000), rejected: [] },
				T0,
			);
		}
		const res = await t.app.request("/v1/admin/games/g1/experiments", {
			method: "POST",
			headers: { Authorization: await t.adminAuth("analyst"), "Content-Type": "application/json" },
			body: JSON.stringify({
				key: "shop",
				status: "running",
				startAt: new Date(START).toISOString(),
				variations: VARIATIONS,
				primaryMetric: { key: "bought", type: "conversion", event: "buy" },
				guardrailMetrics: [{ key: "levels", type: "count", event: "level_up", eventType: "progression" }],
			}),
		});
		expect(res.status).toBe(201);
	}

	const plan = (baseline: Record<string, unknown>, mde = 0.1) =>
		t.app.request("/v1/admin/games/g1/experiments/plan", {
			method: "POST",
			headers: { Authorization: viewer, "Content-Type": "application/json" },
			body: JSON.stringify({ baseline, mde }),
		});

	it("plans a rate from the experiment's control arm", async () => {
		await plant();
		const res = await plan({ kind: "observed", experiment: "shop" });
		expect(res.status).toBe(200);
		const body = (await res.json()) as PlanResult;
		// Control (even UserIds): every 10th buys → 20%... of even ids, multiples of 10: 1 in 5.
		expect(body.baseline).toEqual({ kind: "proportion", rate: 0.2 });
		expect(body.observed).toMatchObject({ experiment: "shop", metric: "bought", units: 500, varianceReduction: null });
	});

	it("plans a mean with CUPED's variance reduction, needing fewer players than without", async () => {
		await plant();
		const cuped = (await (await plan({ kind: "observed", experiment: "shop", metric: "levels" })).json()) as PlanResult;
		const raw = (await (
			await plan({ kind: "observed", experiment: "shop", metric: "levels", cuped: false })
		).json()) as PlanResult;
		expect(cuped.observed!.varianceReduction).toBeGreaterThan(0.8);
		expect(raw.observed!.varianceReduction).toBeNull();
		expect(cuped.totalUnits).toBeLessThan(raw.totalUnits / 3);
		const b = raw.baseline as { kind: "mean"; mean: number; stdDev: number };
		const expected = sampleSizeMeans({ stdDev: b.stdDev, mde: 0.1 * b.mean, alpha: 0.05, power: 0.8, ratio: 1 });
		expect(raw.variations[0]!.units).toBe(expected.control);
	});

	it("answers 400 naming the field for an unknown experiment or metric", async () => {
		await plant();
		for (const [baseline, path] of [
			[{ kind: "observed", experiment: "nope" }, "baseline.experiment"],
			[{ kind: "observed", experiment: "shop", metric: "nope" }, "baseline.metric"],
		] as const) {
			const res = await plan(baseline);
			expect(res.status).toBe(400);
			const body = (await res.json()) as { errors: { path: string }[] };
			expect(body.errors.map((e) => e.path)).toEqual([path]);
		}
	});
});
