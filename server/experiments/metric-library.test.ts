import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PROBLEM_CONTENT_TYPE } from "../errors.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import { resolveExperimentMetric } from "./metric-library.js";

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
	init: { method?: string; auth?: string | null; body?: unknown } = {},
): Promise<Response> {
	const headers: Record<string, string> = {};
	const auth = init.auth === undefined ? analyst : init.auth;
	if (auth) headers.Authorization = auth;
	const body = init.body === undefined ? undefined : JSON.stringify(init.body);
	if (body !== undefined) headers["Content-Type"] = "application/json";
	return t.app.request(`/v1/admin/games/g1${path}`, {
		method: init.method ?? (body === undefined ? "GET" : "POST"),
		headers,
		...(body === undefined ? {} : { body }),
	});
}

async function json<T = Record<string, unknown>>(res: Response, status: number): Promise<T> {
	const text = await res.text();
	expect(res.status, text).toBe(status);
	return JSON.parse(text) as T;
}

async function problem(
	res: Response,
	status: number,
): Promise<{ code: string; errors?: { path: string; message: string }[] }> {
	expect(res.status).toBe(status);
	expect(res.headers.get("content-type")).toBe(PROBLEM_CONTENT_TYPE);
	return (await res.json()) as { code: string; errors?: { path: string; message: string }[] };
}

const SPEND = { key: "spend", type: "revenue", valueProp: "robux", cap: { percentile: 0.99 } };
const SPEND_V2 = { ...SPEND, windowHours: 72, description: "Robux in the first three days." };
const D1 = { key: "d1", type: "retention", day: 1 };

const experimentBody = (primaryMetric: unknown, extra: Record<string, unknown> = {}) => ({
	key: "shop",
	variations: [{ key: "control" }, { key: "grid" }],
	primaryMetric,
	...extra,
});

describe("the metric library", () => {
	it("creates version 1, makes a new version per change and keeps the old ones readable", async () => {
		const created = await json(await call("/metric-library", { body: { definition: SPEND } }), 201);
		expect(created).toMatchObject({ key: "spend", version: 1, latestVersion: 1, role: "goal", archivedAt: null });
		expect(created.definition).toEqual(SPEND);
		expect(created.createdBy).toMatch(/^admin:/);

		const updated = await json(
			await call("/metric-library/spend", { method: "PATCH", body: { definition: SPEND_V2, baseVersion: 1 } }),
			200,
		);
		expect(updated).toMatchObject({ version: 2, latestVersion: 2, definition: SPEND_V2 });

		expect(await json(await call("/metric-library/spend"), 200)).toMatchObject({ version: 2, definition: SPEND_V2 });
		const v1 = await json(await call("/metric-library/spend?version=1"), 200);
		expect(v1).toMatchObject({ version: 1, latestVersion: 2, definition: SPEND });
		const { versions } = await json<{ versions: { version: number }[] }>(
			await call("/metric-library/spend/versions"),
			200,
		);
		expect(versions.map((v) => v.version)).toEqual([1, 2]);
		await problem(await call("/metric-library/spend?version=3"), 404);
	});

	it("changes nothing when the definition and role are the same, and a role change alone is a version", async () => {
		await json(await call("/metric-library", { body: { definition: D1 } }), 201);
		const same = await json(await call("/metric-library/d1", { method: "PATCH", body: { definition: D1 } }), 200);
		expect(same.version).toBe(1);
		const role = await json(await call("/metric-library/d1", { method: "PATCH", body: { role: "guardrail" } }), 200);
		expect(role).toMatchObject({ version: 2, role: "guardrail", definition: D1 });
	});

	it("refuses a taken key, a changed key, a stale base version and an invalid definition", async () => {
		await json(await call("/metric-library", { body: { definition: D1 } }), 201);
		expect((await problem(await call("/metric-library", { body: { definition: D1 } }), 409)).code).toBe("conflict");
		const renamed = await problem(
			await call("/metric-library/d1", { method: "PATCH", body: { definition: { ...D1, key: "d2" } } }),
			400,
		);
		expect(renamed.errors).toEqual([{ path: "definition.key", message: expect.stringContaining('"d1"') }]);
		await json(await call("/metric-library/d1", { method: "PATCH", body: { definition: { ...D1, day: 2 } } }), 200);
		const stale = await call("/metric-library/d1", {
			method: "PATCH",
			body: { definition: { ...D1, day: 3 }, baseVersion: 1 },
		});
		expect((await problem(stale, 409)).code).toBe("conflict");
		const invalid = await problem(
			await call("/metric-library", { body: { role: "boss", definition: { key: "x", type: "retention", day: 0 } } }),
			400,
		);
		expect(invalid.errors?.map((e) => e.path).sort()).toEqual(["definition.day", "role"]);
		await problem(await call("/metric-library/d1", { method: "PATCH", body: {} }), 400);
		await problem(await call("/metric-library/nope", { method: "PATCH", body: { role: "goal" } }), 404);
	});

	it("archives: hidden from the list and from new experiments, still readable, read-only", async () => {
		await json(await call("/metric-library", { body: { definition: D1, role: "guardrail" } }), 201);
		await json(await call("/metric-library", { body: { definition: SPEND } }), 201);
		const archived = await json(await call("/metric-library/d1/archive", { method: "POST" }), 200);
		expect(archived.archivedAt).toBe(new Date(t.clock.now).toISOString());
		await problem(await call("/metric-library/d1/archive", { method: "POST" }), 409);

		const list = await json<{ metrics: { key: string }[] }>(await call("/metric-library"), 200);
		expect(list.metrics.map((m) => m.key)).toEqual(["spend"]);
		const all = await json<{ metrics: { key: string }[] }>(await call("/metric-library?archived=true"), 200);
		expect(all.metrics.map((m) => m.key)).toEqual(["d1", "spend"]);
		expect(await json(await call("/metric-library/d1"), 200)).toMatchObject({ version: 1, role: "guardrail" });
		await problem(await call("/metric-library/d1", { method: "PATCH", body: { role: "goal" } }), 409);

		const res = await call("/experiments", {
			body: experimentBody({ library: "spend" }, { guardrailMetrics: [{ library: "d1" }] }),
		});
		const body = await problem(res, 400);
		expect(body.errors).toEqual([{ path: "guardrailMetrics.0.library", message: 'metric "d1" is archived' }]);
	});

	it("lets viewers read and only analysts and owners write", async () => {
		const viewer = await t.adminAuth("viewer", ["g1"]);
		const owner = await t.adminAuth("owner", ["g1"]);
		await json(await call("/metric-library", { body: { definition: D1 }, auth: owner }), 201);
		await problem(await call("/metric-library", { body: { definition: SPEND }, auth: viewer }), 403);
		await problem(
			await call("/metric-library/d1", { method: "PATCH", body: { role: "guardrail" }, auth: viewer }),
			403,
		);
		await problem(await call("/metric-library/d1/archive", { method: "POST", auth: viewer }), 403);
		await json(await call("/metric-library", { auth: viewer }), 200);
		await json(await call("/metric-library/d1/versions", { auth: viewer }), 200);
		await problem(await call("/metric-library", { auth: await t.adminAuth("viewer", []) }), 404);
		await problem(await call("/metric-library", { auth: null }), 401);
	});

	it("audits every change with its route", async () => {
		await json(await call("/metric-library", { body: { definition: D1 } }), 201);
		await json(await call("/metric-library/d1", { method: "PATCH", body: { role: "guardrail" } }), 200);
		await json(await call("/metric-library/d1/archive", { method: "POST" }), 200);
		const entries = await t.store.privacy.listAudit(0, 1000);
		const routes = entries
			.filter((e) => e.action === "admin.change" && e.gameId === "g1")
			.map((e) => (JSON.parse(e.details) as { route: string }).route);
		expect(routes).toEqual([
			"/v1/admin/games/:gameId/metric-library",
			"/v1/admin/games/:gameId/metric-library/:key",
			"/v1/admin/games/:gameId/metric-library/:key/archive",
		]);
	});

	it("keeps keys per game", async () => {
		await t.store.createGame({ id: "g2", name: "Tycoon", createdAt: t.clock.now });
		await json(await call("/metric-library", { body: { definition: D1 } }), 201);
		const other = await t.app.request("/v1/admin/games/g2/metric-library", {
			method: "POST",
			headers: { Authorization: analyst, "Content-Type": "application/json" },
			body: JSON.stringify({ definition: { ...D1, day: 7 } }),
		});
		expect(other.status).toBe(201);
		expect(await json(await call("/metric-library/d1"), 200)).toMatchObject({ definition: D1 });
	});
});

describe("experiments picking library metrics", () => {
	beforeEach(async () => {
		await json(await call("/metric-library", { body: { definition: SPEND } }), 201);
		await json(await call("/metric-library", { body: { definition: D1, role: "guardrail" } }), 201);
	});

	it("a draft follows the latest version; starting pins it; later edits leave the running experiment alone", async () => {
		const draft = await json(await call("/experiments", { body: experimentBody({ library: "spend" }) }), 201);
		expect(draft.primaryMetric).toEqual({ ...SPEND, library: { key: "spend", version: 1, pinned: false } });

		await json(await call("/metric-library/spend", { method: "PATCH", body: { definition: SPEND_V2 } }), 200);
		const followed = await json(await call("/experiments/shop"), 200);
		expect(followed.primaryMetric).toEqual({ ...SPEND_V2, library: { key: "spend", version: 2, pinned: false } });

		const started = await json(await call("/experiments/shop", { method: "PATCH", body: { status: "running" } }), 200);
		expect(started.primaryMetric).toEqual({ ...SPEND_V2, library: { key: "spend", version: 2, pinned: true } });

		const v3 = { ...SPEND_V2, windowHours: 24 };
		await json(await call("/metric-library/spend", { method: "PATCH", body: { definition: v3 } }), 200);
		const running = await json(await call("/experiments/shop"), 200);
		expect(running.primaryMetric).toEqual({ ...SPEND_V2, library: { key: "spend", version: 2, pinned: true } });
		const record = (await t.store.getExperiment("g1", "shop"))!;
		expect(await resolveExperimentMetric(t.store, "g1", record)).toEqual({
			...SPEND_V2,
			library: { key: "spend", version: 2, pinned: true },
		});
	});

	it("says in the results which library version they used", async () => {
		const body = experimentBody({ library: "spend" }, { status: "running", guardrailMetrics: [{ library: "d1" }] });
		await json(await call("/experiments", { body }), 201);
		await json(await call("/metric-library/spend", { method: "PATCH", body: { definition: SPEND_V2 } }), 200);
		t.clock.now += 3_600_000;
		const primary = await json<{ metric: unknown }>(await call("/experiments/shop/results"), 200);
		expect(primary.metric).toEqual({ ...SPEND, library: { key: "spend", version: 1, pinned: true } });
		const guardrail = await json<{ metric: unknown }>(await call("/experiments/shop/results?metric=d1"), 200);
		expect(guardrail.metric).toEqual({ ...D1, library: { key: "d1", version: 1, pinned: true } });
	});

	it("pins a given version at once, and finds library metrics by key for results", async () => {
		await json(await call("/metric-library/d1", { method: "PATCH", body: { definition: { ...D1, day: 7 } } }), 200);
		const body = experimentBody(SPEND, { guardrailMetrics: [{ library: "d1", version: 1 }] });
		const created = await json<{ guardrailMetrics: unknown[] }>(await call("/experiments", { body }), 201);
		expect(created.guardrailMetrics).toEqual([{ ...D1, library: { key: "d1", version: 1, pinned: true } }]);
		const record = (await t.store.getExperiment("g1", "shop"))!;
		expect(await resolveExperimentMetric(t.store, "g1", record, "d1")).toMatchObject({
			day: 1,
			library: { key: "d1", version: 1 },
		});
		expect(await resolveExperimentMetric(t.store, "g1", record)).toEqual(SPEND);
		expect(await resolveExperimentMetric(t.store, "g1", record, "nope")).toBeUndefined();
	});

	it("refuses unknown keys and versions with the member's path, and explains an invalid member in its own form", async () => {
		const unknown = await problem(
			await call("/experiments", {
				body: experimentBody({ library: "nope" }, { guardrailMetrics: [D1, { library: "d1", version: 9 }] }),
			}),
			400,
		);
		expect(unknown.errors).toEqual([
			{ path: "primaryMetric.library", message: `the game's metric library has no metric "nope"` },
			{ path: "guardrailMetrics.1.version", message: 'metric "d1" has no version 9 (the latest is 1)' },
		]);
		const badRef = await problem(
			await call("/experiments", { body: experimentBody({ library: "spend", version: 0 }) }),
			400,
		);
		expect(badRef.errors?.map((e) => e.path)).toEqual(["primaryMetric.version"]);
		const badInline = await problem(
			await call("/experiments", { body: experimentBody({ key: "x", type: "retention" }) }),
			400,
		);
		expect(badInline.errors?.map((e) => e.path)).toEqual(["primaryMetric.day"]);
	});

	it("pins the latest version of an experiment created running", async () => {
		const body = experimentBody({ library: "spend" }, { status: "running" });
		const created = await json(await call("/experiments", { body }), 201);
		expect(created.primaryMetric).toEqual({ ...SPEND, library: { key: "spend", version: 1, pinned: true } });
	});

	it("pins a library metric added to a running experiment at once", async () => {
		await json(await call("/experiments", { body: experimentBody(SPEND, { status: "running" }) }), 201);
		const patched = await json<{ guardrailMetrics: unknown[] }>(
			await call("/experiments/shop", { method: "PATCH", body: { guardrailMetrics: [{ library: "d1" }] } }),
			200,
		);
		expect(patched.guardrailMetrics).toEqual([{ ...D1, library: { key: "d1", version: 1, pinned: true } }]);
	});
});
