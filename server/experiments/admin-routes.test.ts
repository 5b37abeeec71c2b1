import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PROBLEM_CONTENT_TYPE } from "../errors.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";

let t: TestApp;
let analyst: string;
beforeEach(async () => {
	t = await createTestApp();
	analyst = await t.adminAuth("analyst");
	await t.store.createGame({ id: "g1", name: "Obby", createdAt: t.clock.now });
});
afterEach(() => t.close());

async function call(
	path: string,
	init: { method?: string; auth?: string | null; body?: unknown; raw?: string } = {},
): Promise<Response> {
	const headers: Record<string, string> = {};
	const auth = init.auth === undefined ? analyst : init.auth;
	if (auth) headers.Authorization = auth;
	const body = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
	if (body !== undefined) headers["Content-Type"] = "application/json";
	return t.app.request(`/v1/admin/games/g1${path}`, {
		method: init.method ?? (body === undefined ? "GET" : "POST"),
		headers,
		...(body === undefined ? {} : { body }),
	});
}

const SHOP = {
	key: "shop-layout",
	variations: [{ key: "control" }, { key: "grid" }],
	primaryMetric: { key: "bought", type: "conversion", event: "shop_purchase" },
};

async function problem(res: Response): Promise<{ code: string; errors?: { path: string; message: string }[] }> {
	expect(res.headers.get("content-type")).toBe(PROBLEM_CONTENT_TYPE);
	return (await res.json()) as { code: string; errors?: { path: string; message: string }[] };
}

describe("experiments CRUD", () => {
	it("creates a draft with the documented defaults", async () => {
		const res = await call("/experiments", { body: SHOP });
		expect(res.status).toBe(201);
		expect(res.headers.get("location")).toBe("/v1/admin/games/g1/experiments/shop-layout");
		expect(await res.json()).toMatchObject({
			gameId: "g1",
			key: "shop-layout",
			status: "draft",
			name: "shop-layout",
			variations: [
				{ key: "control", name: "control", weight: 0.5 },
				{ key: "grid", name: "grid", weight: 0.5 },
			],
			coverage: 1,
			hashAttribute: "id",
			seed: "shop-layout",
			hashVersion: 2,
			namespace: null,
			condition: null,
			assignment: { mode: "deterministic" },
			startAt: null,
			endAt: null,
			guardrailMetrics: [],
			forcedVariations: {},
			adaptive: null,
		});
	});

	it("reads, lists by status, edits and deletes", async () => {
		await call("/experiments", { body: SHOP });
		await call("/experiments", { body: { ...SHOP, key: "other", status: "running" } });
		expect(((await (await call("/experiments/shop-layout")).json()) as { key: string }).key).toBe("shop-layout");
		const running = (await (await call("/experiments?status=running")).json()) as { experiments: { key: string }[] };
		expect(running.experiments.map((e) => e.key)).toEqual(["other"]);

		const edited = await call("/experiments/shop-layout", {
			method: "PATCH",
			body: {
				variations: [
					{ key: "control", weight: 0.2 },
					{ key: "grid", weight: 0.8 },
				],
				condition: { country: { $in: ["US", "CA"] } },
				forcedVariations: { "123": "grid" },
				description: "Grid vs list",
			},
		});
		expect(edited.status).toBe(200);
		expect(await edited.json()).toMatchObject({
			variations: [{ weight: 0.2 }, { weight: 0.8 }],
			condition: { country: { $in: ["US", "CA"] } },
			forcedVariations: { "123": "grid" },
			description: "Grid vs list",
		});
		const cleared = await call("/experiments/shop-layout", { method: "PATCH", body: { condition: null } });
		expect(await cleared.json()).toMatchObject({ condition: null, description: "Grid vs list" });

		expect((await call("/experiments/shop-layout", { method: "DELETE" })).status).toBe(204);
		expect((await call("/experiments/shop-layout")).status).toBe(404);
	});

	it("refuses a taken key (409) and an unknown game or experiment (404)", async () => {
		await call("/experiments", { body: SHOP });
		expect((await problem(await call("/experiments", { body: SHOP }))).code).toBe("conflict");
		const res = await t.app.request("/v1/admin/games/nope/experiments", { headers: { Authorization: analyst } });
		expect(res.status).toBe(404);
		expect((await call("/experiments/missing")).status).toBe(404);
		expect((await call("/experiments/missing", { method: "PATCH", body: { name: "x" } })).status).toBe(404);
	});
});

describe("roles", () => {
	it("lets viewers read but not write, and nobody in without a token", async () => {
		await call("/experiments", { body: SHOP });
		const viewer = await t.adminAuth("viewer");
		expect((await call("/experiments", { auth: viewer })).status).toBe(200);
		expect((await call("/experiments/shop-layout", { auth: viewer })).status).toBe(200);
		expect((await call("/flags", { auth: viewer })).status).toBe(200);
		for (const res of [
			await call("/experiments", { auth: viewer, body: { ...SHOP, key: "x" } }),
			await call("/experiments/shop-layout", { auth: viewer, method: "PATCH", body: { name: "x" } }),
			await call("/experiments/shop-layout", { auth: viewer, method: "DELETE" }),
			await call("/experiments/shop-layout/adaptive-update", { auth: viewer, method: "POST" }),
			await call("/flags", { auth: viewer, body: { key: "f" } }),
		]) {
			expect(res.status).toBe(403);
			expect((await problem(res)).code).toBe("forbidden");
		}
		const anonymous = await call("/experiments", { auth: null });
		expect(anonymous.status).toBe(401);
		expect((await problem(anonymous)).code).toBe("unauthorized");
	});

	it("lets owners write", async () => {
		const owner = await t.adminAuth("owner");
		expect((await call("/experiments", { auth: owner, body: SHOP })).status).toBe(201);
	});
});

describe("validation", () => {
	it.each([
		[
			"weights that do not sum to 1",
			{
				variations: [
					{ key: "a", weight: 0.5 },
					{ key: "b", weight: 0.4 },
				],
			},
			"variations",
		],
		["weights on some variations only", { variations: [{ key: "a", weight: 1 }, { key: "b" }] }, "variations"],
		["duplicate variation keys", { variations: [{ key: "a" }, { key: "a" }] }, "variations.1.key"],
		["a single variation", { variations: [{ key: "a" }] }, "variations"],
		["a bad key", { key: "has space" }, "key"],
		["coverage above 1", { coverage: 1.5 }, "coverage"],
		["hash version 3", { hashVersion: 3 }, "hashVersion"],
		["an unknown operator in the condition", { condition: { level: { $regex: "x" } } }, "condition.level"],
		["a condition nested 9 deep", { condition: nest(9) }, "condition"],
		["a namespace with start ≥ end", { namespace: { id: "ns", start: 0.5, end: 0.5 } }, "namespace"],
		["an end before the start", { startAt: "2025-02-01T00:00:00Z", endAt: "2025-01-01T00:00:00Z" }, "endAt"],
		["a forced variation that does not exist", { forcedVariations: { "42": "nope" } }, "forcedVariations.42"],
		["a forced user that is not a UserId", { forcedVariations: { abc: "grid" } }, "forcedVariations.abc"],
		[
			"adaptive without a primary metric",
			{ assignment: { mode: "adaptive" }, primaryMetric: undefined },
			"primaryMetric",
		],
		[
			"adaptive on a ratio metric",
			{
				assignment: { mode: "adaptive" },
				primaryMetric: {
					key: "robux_per_session",
					type: "ratio",
					numerator: { eventType: "purchase", valueProp: "robux" },
					denominator: { eventType: "session_start" },
				},
			},
			"primaryMetric.type",
		],
		["stratified without strata", { assignment: { mode: "stratified", strata: [] } }, "assignment.strata"],
		["an unknown metric type", { primaryMetric: { key: "m", type: "ltv" } }, "primaryMetric.type"],
		["retention day 0", { primaryMetric: { key: "d0", type: "retention", day: 0 } }, "primaryMetric.day"],
		[
			"duplicate metric keys",
			{ guardrailMetrics: [{ key: "bought", type: "count", event: "x" }] },
			"guardrailMetrics.0.key",
		],
		["an unknown member", { colour: "blue" }, ""],
	])("answers 400 validation_failed for %s", async (_name, change, path) => {
		const res = await call("/experiments", { body: { ...SHOP, ...change } });
		expect(res.status).toBe(400);
		const body = await problem(res);
		expect(body.code).toBe("validation_failed");
		expect(body.errors?.map((e) => e.path)).toContain(path);
	});

	it("answers 400 for malformed and overly deep JSON", async () => {
		expect((await problem(await call("/experiments", { raw: "{" }))).code).toBe("invalid_json");
		const deep = "[".repeat(5000) + "]".repeat(5000);
		expect((await problem(await call("/experiments", { raw: deep }))).code).toBe("validation_failed");
	});

	it("validates updates too", async () => {
		await call("/experiments", { body: SHOP });
		const res = await call("/experiments/shop-layout", { method: "PATCH", body: { key: "renamed" } });
		expect(res.status).toBe(400);
		expect((await problem(res)).code).toBe("validation_failed");
		const bad = await call("/experiments/shop-layout", { method: "PATCH", body: { forcedVariations: { "7": "x" } } });
		expect((await problem(bad)).errors).toEqual([{ path: "forcedVariations.7", message: 'no variation "x"' }]);
	});
});

describe("status transitions", () => {
	const patch = (body: unknown) => call("/experiments/shop-layout", { method: "PATCH", body });

	it("goes draft → running → stopped, stamping the start and the end", async () => {
		await call("/experiments", { body: SHOP });
		const started = await patch({ status: "running" });
		expect(await started.json()).toMatchObject({ status: "running", startAt: new Date(t.clock.now).toISOString() });
		t.clock.now += 60_000;
		const stopped = await patch({ status: "stopped" });
		expect(await stopped.json()).toMatchObject({ status: "stopped", endAt: new Date(t.clock.now).toISOString() });
	});

	it.each([
		["running", "draft"],
		["stopped", "running"],
		["stopped", "draft"],
	])("refuses %s → %s with 409", async (from, to) => {
		await call("/experiments", { body: SHOP });
		if (from !== "draft") await patch({ status: "running" });
		if (from === "stopped") await patch({ status: "stopped" });
		const res = await patch({ status: to });
		expect(res.status).toBe(409);
		expect((await problem(res)).code).toBe("conflict");
	});

	it("refuses draft → stopped", async () => {
		await call("/experiments", { body: SHOP });
		expect((await patch({ status: "stopped" })).status).toBe(409);
	});

	it("accepts the current status again as a no-op", async () => {
		await call("/experiments", { body: SHOP });
		expect((await patch({ status: "draft" })).status).toBe(200);
	});

	it("freezes who-sees-what once running, but not coverage, targeting or metrics", async () => {
		await call("/experiments", { body: SHOP });
		await patch({ status: "running" });
		for (const change of [
			{ variations: [{ key: "control" }, { key: "list" }] },
			{ seed: "other" },
			{ hashAttribute: "deviceId" },
			{ hashVersion: 1 },
			{ assignment: { mode: "random" } },
			{ namespace: { id: "ns", start: 0, end: 0.5 } },
		]) {
			const res = await patch(change);
			expect(res.status, JSON.stringify(change)).toBe(409);
		}
		const ramp = await patch({ coverage: 0.5, condition: { premium: true }, guardrailMetrics: [] });
		expect(ramp.status).toBe(200);
	});

	it("will not start an experiment without a primary metric, naming the field, until it is given one", async () => {
		const { primaryMetric, ...bare } = SHOP;
		await call("/experiments", { body: bare });
		const refused = await patch({ status: "running" });
		expect(refused.status).toBe(400);
		expect(await problem(refused)).toMatchObject({
			code: "validation_failed",
			detail: expect.stringContaining("cannot start without a primary metric"),
			errors: [{ path: "primaryMetric", message: "required to start the experiment" }],
		});
		expect((await (await call("/experiments/shop-layout")).json()) as { status: string }).toMatchObject({
			status: "draft",
		});
		// Given in the same request, or before: it starts.
		const started = await patch({ status: "running", primaryMetric });
		expect(started.status).toBe(200);
		expect(await started.json()).toMatchObject({ status: "running", primaryMetric });
	});

	it("will not create an experiment already running without a primary metric", async () => {
		const { primaryMetric: _, ...bare } = SHOP;
		const res = await call("/experiments", { body: { ...bare, status: "running" } });
		expect(res.status).toBe(400);
		expect((await problem(res)).errors).toEqual([
			{ path: "primaryMetric", message: "required to start the experiment" },
		]);
		expect((await call("/experiments/shop-layout")).status).toBe(404);
	});

	it("will not take the primary metric away from a running experiment", async () => {
		await call("/experiments", { body: SHOP });
		await patch({ status: "running" });
		const res = await patch({ primaryMetric: null });
		expect(res.status).toBe(400);
		expect((await problem(res)).errors?.[0]?.path).toBe("primaryMetric");
		// Replacing it with another is fine (metrics are not frozen).
		const other = { key: "opened", type: "conversion", event: "shop_open" };
		expect((await patch({ primaryMetric: other })).status).toBe(200);
	});

	it("will not start an experiment whose end is past", async () => {
		await call("/experiments", { body: { ...SHOP, endAt: new Date(t.clock.now - 1000).toISOString() } });
		expect((await patch({ status: "running" })).status).toBe(400);
	});

	it("deletes only drafts and stopped experiments", async () => {
		await call("/experiments", { body: SHOP });
		await patch({ status: "running" });
		expect((await call("/experiments/shop-layout", { method: "DELETE" })).status).toBe(409);
		await patch({ status: "stopped" });
		expect((await call("/experiments/shop-layout", { method: "DELETE" })).status).toBe(204);
	});

	it("refuses an update based on a stale read (optimistic concurrency)", async () => {
		await call("/experiments", { body: SHOP });
		const read = (await t.store.getExperiment("g1", "shop-layout"))!;
		expect(await t.store.updateExperiment({ ...read, status: "running" })).toBe(true);
		expect(await t.store.updateExperiment({ ...read, status: "stopped" })).toBe(false);
		expect((await t.store.getExperiment("g1", "shop-layout"))?.status).toBe("running");
	});
});

describe("flags CRUD", () => {
	it("creates an off boolean flag by default, edits and deletes it", async () => {
		const created = await call("/flags", { body: { key: "new-shop" } });
		expect(created.status).toBe(201);
		expect(await created.json()).toMatchObject({
			key: "new-shop",
			enabled: false,
			defaultValue: false,
			variations: [{ key: "on", value: true, weight: 1 }],
			coverage: 1,
			hashVersion: 2,
			seed: "new-shop",
			condition: null,
		});
		expect((await call("/flags", { body: { key: "new-shop" } })).status).toBe(409);

		const edited = await call("/flags/new-shop", {
			method: "PATCH",
			body: {
				enabled: true,
				coverage: 0.1,
				defaultValue: { speed: 16 },
				variations: [{ key: "fast", value: { speed: 24 } }],
			},
		});
		expect(await edited.json()).toMatchObject({ enabled: true, coverage: 0.1, defaultValue: { speed: 16 } });
		const listed = (await (await call("/flags")).json()) as { flags: { key: string }[] };
		expect(listed.flags.map((f) => f.key)).toEqual(["new-shop"]);

		expect((await call("/flags/new-shop", { method: "DELETE" })).status).toBe(204);
		expect((await call("/flags/new-shop")).status).toBe(404);
	});

	it("validates flags", async () => {
		const huge = await call("/flags", { body: { key: "f", defaultValue: "x".repeat(5000) } });
		expect((await problem(huge)).errors?.[0]?.path).toBe("defaultValue");
		const weights = await call("/flags", {
			body: {
				key: "f",
				variations: [
					{ key: "a", value: 1, weight: 0.3 },
					{ key: "b", value: 2, weight: 0.3 },
				],
			},
		});
		expect((await problem(weights)).errors?.[0]?.path).toBe("variations");
	});
});

function nest(levels: number): unknown {
	let condition: unknown = { a: 1 };
	for (let i = 1; i < levels; i++) condition = { $not: condition };
	return condition;
}
