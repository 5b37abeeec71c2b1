import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ExperimentRecord } from "../store/types.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import { isHeldOut } from "./holdout.js";
import type { LayerResponse } from "./layers.js";
import type { SdkConfig } from "./sdk-config.js";

let t: TestApp;
let analyst: string;
beforeEach(async () => {
	t = await createTestApp();
	analyst = await t.adminAuth("analyst");
	await t.store.createGame({ id: "g1", name: "Obby", createdAt: t.clock.now });
});
afterEach(() => t.close());

async function call(path: string, init: { method?: string; body?: unknown; auth?: string } = {}): Promise<Response> {
	const headers: Record<string, string> = { Authorization: init.auth ?? analyst };
	if (init.body !== undefined) headers["Content-Type"] = "application/json";
	return t.app.request(`/v1/admin/games/g1${path}`, {
		method: init.method ?? (init.body === undefined ? "GET" : "POST"),
		headers,
		...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
	});
}

const METRIC = { key: "bought", type: "conversion", event: "shop_purchase" };
const experiment = (key: string, namespace?: { id: string; start: number; end: number }, status = "draft") => ({
	key,
	status,
	variations: [{ key: "control" }, { key: "treatment" }],
	primaryMetric: METRIC,
	...(namespace ? { namespace } : {}),
});

async function layer(id: string): Promise<LayerResponse> {
	const res = await call(`/layers/${id}`);
	expect(res.status).toBe(200);
	return (await res.json()) as LayerResponse;
}

describe("layers", () => {
	it("creates, lists, renames and shows the slices and free ranges of a layer", async () => {
		const created = await call("/layers", { body: { id: "store", name: "Store", description: "Shop tests" } });
		expect(created.status).toBe(201);
		expect(created.headers.get("location")).toBe("/v1/admin/games/g1/layers/store");
		expect(await created.json()).toMatchObject({
			id: "store",
			name: "Store",
			slices: [],
			free: [{ start: 0, end: 1 }],
		});
		expect((await call("/layers", { body: { id: "store" } })).status).toBe(409);
		expect((await call("/layers", { body: { id: "bad id" } })).status).toBe(400);

		expect(
			(await call("/experiments", { body: experiment("a", { id: "store", start: 0, end: 0.3 }, "running") })).status,
		).toBe(201);
		expect((await call("/experiments", { body: experiment("b", { id: "store", start: 0.5, end: 0.7 }) })).status).toBe(
			201,
		);
		expect(
			(await call("/experiments", { body: experiment("elsewhere", { id: "other", start: 0, end: 1 }) })).status,
		).toBe(201);

		const view = await layer("store");
		expect(view.slices).toEqual([
			{ experiment: "a", name: "a", status: "running", start: 0, end: 0.3 },
			{ experiment: "b", name: "b", status: "draft", start: 0.5, end: 0.7 },
		]);
		expect(view.free).toEqual([
			{ start: 0.3, end: 0.5 },
			{ start: 0.7, end: 1 },
		]);
		expect(view.freeShare).toBeCloseTo(0.5, 12);

		const renamed = await call("/layers/store", { method: "PATCH", body: { name: "Shop", description: null } });
		expect(await renamed.json()).toMatchObject({ name: "Shop", description: "" });
		const list = (await (await call("/layers")).json()) as { layers: LayerResponse[] };
		expect(list.layers.map((l) => l.id)).toEqual(["store"]);
		expect((await call("/layers/nope")).status).toBe(404);
	});

	it("refuses an experiment whose slice overlaps another draft or running one of the layer, naming it", async () => {
		await call("/layers", { body: { id: "store" } });
		await call("/experiments", { body: experiment("a", { id: "store", start: 0, end: 0.5 }, "running") });

		const overlapping = await call("/experiments", { body: experiment("b", { id: "store", start: 0.4, end: 0.8 }) });
		expect(overlapping.status).toBe(409);
		const problem = (await overlapping.json()) as { code: string; detail: string };
		expect(problem.code).toBe("conflict");
		expect(problem.detail).toContain('experiment "a"');
		expect(problem.detail).toContain("Free: [0.5, 1)");

		// Touching is not overlapping (slices are half-open); another layer is another space.
		expect((await call("/experiments", { body: experiment("b", { id: "store", start: 0.5, end: 1 }) })).status).toBe(
			201,
		);
		expect((await call("/experiments", { body: experiment("c", { id: "other", start: 0, end: 1 }) })).status).toBe(201);

		// Moving a draft onto a taken slice is refused too.
		const moved = await call("/experiments/c", {
			method: "PATCH",
			body: { namespace: { id: "store", start: 0.9, end: 1 } },
		});
		expect(moved.status).toBe(409);
		expect(((await moved.json()) as { detail: string }).detail).toContain('experiment "b"');

		// A stopped experiment gives its slice back.
		expect((await call("/experiments/a", { method: "PATCH", body: { status: "stopped" } })).status).toBe(200);
		expect(
			(await call("/experiments/c", { method: "PATCH", body: { namespace: { id: "store", start: 0, end: 0.5 } } }))
				.status,
		).toBe(200);
	});

	it("checks the slice again when an experiment starts", async () => {
		await call("/experiments", { body: experiment("a", { id: "store", start: 0, end: 0.5 }, "running") });
		// An overlap stored before slices were checked (or by another engine): starting it is refused.
		const legacy = (await t.store.getExperiment("g1", "a"))!;
		const overlap: ExperimentRecord = {
			...legacy,
			key: "legacy",
			status: "draft",
			definition: { ...legacy.definition, name: "legacy", namespace: { id: "store", start: 0.2, end: 0.6 } },
		};
		expect(await t.store.insertExperiment(overlap)).toBe(true);
		const start = await call("/experiments/legacy", { method: "PATCH", body: { status: "running" } });
		expect(start.status).toBe(409);
		expect(((await start.json()) as { detail: string }).detail).toContain('experiment "a"');
		// Other edits of it are not blocked by the old overlap.
		expect((await call("/experiments/legacy", { method: "PATCH", body: { name: "Legacy" } })).status).toBe(200);
	});

	it("places a draft in the first free slice of a size, and says when none is left", async () => {
		await call("/layers", { body: { id: "store" } });
		await call("/experiments", { body: experiment("a", { id: "store", start: 0, end: 0.2 }, "running") });
		await call("/experiments", { body: experiment("b", { id: "store", start: 0.3, end: 0.6 }) });
		await call("/experiments", { body: experiment("c") });
		await call("/experiments", { body: experiment("d") });

		// [0.2, 0.3) is too short for 0.25: the next free range, from 0.6, takes it.
		const placed = await call("/layers/store/place", { body: { experiment: "c", size: 0.25 } });
		expect(placed.status).toBe(200);
		expect(((await placed.json()) as { namespace: unknown }).namespace).toEqual({ id: "store", start: 0.6, end: 0.85 });
		expect((await call("/layers/store/place", { body: { experiment: "d", size: 0.1 } })).status).toBe(200);
		expect((await t.store.getExperiment("g1", "d"))?.definition.namespace).toEqual({
			id: "store",
			start: 0.2,
			end: 0.3,
		});

		const full = await call("/layers/store/place", { body: { experiment: "d", size: 0.5 } });
		expect(full.status).toBe(409);
		expect(((await full.json()) as { detail: string }).detail).toContain("longest free range is 0.15");
		// Placing an experiment again looks past its own slice: d moves to the one range long enough.
		expect((await call("/layers/store/place", { body: { experiment: "d", size: 0.15 } })).status).toBe(200);
		expect((await t.store.getExperiment("g1", "d"))?.definition.namespace).toEqual({
			id: "store",
			start: 0.85,
			end: 1,
		});
		expect((await call("/layers/store/place", { body: { experiment: "a", size: 0.1 } })).status).toBe(409);
		expect((await call("/layers/store/place", { body: { experiment: "nope", size: 0.1 } })).status).toBe(404);
		expect((await call("/layers/store/place", { body: { experiment: "c", size: 0 } })).status).toBe(400);
	});

	it("deletes only a layer no draft or running experiment uses", async () => {
		await call("/layers", { body: { id: "store" } });
		await call("/experiments", { body: experiment("a", { id: "store", start: 0, end: 0.5 }) });
		const used = await call("/layers/store", { method: "DELETE" });
		expect(used.status).toBe(409);
		expect(((await used.json()) as { detail: string }).detail).toContain('"a"');
		await call("/experiments/a", { method: "DELETE" });
		expect((await call("/layers/store", { method: "DELETE" })).status).toBe(204);
		expect((await call("/layers/store")).status).toBe(404);
	});

	it("lets viewers read and not write", async () => {
		const viewer = await t.adminAuth("viewer", ["g1"]);
		expect((await call("/layers", { auth: viewer })).status).toBe(200);
		expect((await call("/layers", { auth: viewer, body: { id: "x" } })).status).toBe(403);
		expect((await call("/holdout", { auth: viewer })).status).toBe(200);
		expect((await call("/holdout", { auth: viewer, method: "PUT", body: { percent: 5 } })).status).toBe(403);
	});
});

describe("the global holdout", () => {
	const getConfig = async (): Promise<SdkConfig> => {
		const res = await t.app.request("/v1/config", { headers: { Authorization: await t.gameAuth("g1", ["config"]) } });
		expect(res.status).toBe(200);
		return (await res.json()) as SdkConfig;
	};

	it("is off until set, then served to the SDK with a stable seed, and audited", async () => {
		expect(await (await call("/holdout")).json()).toMatchObject({ enabled: false, percent: 0, seed: null });
		expect((await getConfig()).holdout).toBeUndefined();

		const set = await call("/holdout", { method: "PUT", body: { percent: 5 } });
		expect(set.status).toBe(200);
		const holdout = (await set.json()) as { percent: number; seed: string; enabled: boolean };
		expect(holdout).toMatchObject({ enabled: true, percent: 5 });
		expect(holdout.seed).toMatch(/^holdout-[0-9a-f]{12}$/);
		expect((await getConfig()).holdout).toEqual({ seed: holdout.seed, percent: 5 });

		// A new percent keeps the seed, so the players held out at 5% stay held out at 10%.
		const wider = (await (await call("/holdout", { method: "PUT", body: { percent: 10 } })).json()) as {
			seed: string;
		};
		expect(wider.seed).toBe(holdout.seed);
		const audit = await t.store.privacy.listAudit(0, 100);
		expect(audit.filter((e) => e.action === "admin.change" && e.details.includes("/holdout"))).toHaveLength(2);

		const off = await call("/holdout", { method: "PUT", body: { percent: 0 } });
		expect(await off.json()).toMatchObject({ enabled: false, percent: 0, seed: holdout.seed });
		expect((await getConfig()).holdout).toBeUndefined();

		for (const bad of [{ percent: 51 }, { percent: -1 }, { percent: 5, seed: "" }, { percent: 5, extra: 1 }]) {
			expect((await call("/holdout", { method: "PUT", body: bad })).status, JSON.stringify(bad)).toBe(400);
		}
	});

	it("cannot change while an experiment runs (it would move players), but may be set again as it is", async () => {
		await call("/holdout", { method: "PUT", body: { percent: 5, seed: "h1" } });
		await call("/experiments", { body: experiment("shop", undefined, "running") });
		expect(await (await call("/holdout")).json()).toMatchObject({ runningExperiments: ["shop"] });

		for (const change of [{ percent: 6, seed: "h1" }, { percent: 5, seed: "h2" }, { percent: 0 }]) {
			const refused = await call("/holdout", { method: "PUT", body: change });
			expect(refused.status, JSON.stringify(change)).toBe(409);
			expect(((await refused.json()) as { detail: string }).detail).toContain('"shop"');
		}
		expect((await call("/holdout", { method: "PUT", body: { percent: 5 } })).status).toBe(200);

		await call("/experiments/shop", { method: "PATCH", body: { status: "stopped" } });
		expect((await call("/holdout", { method: "PUT", body: { percent: 6 } })).status).toBe(200);
	});

	it("compares the holdout with everyone else on any metric, from the $holdout markers", async () => {
		const holdout = { seed: "h-results", percent: 20 };
		await call("/holdout", { method: "PUT", body: holdout });
		const setAt = t.clock.now;
		// 1000 players log their marker; everyone else converts at 30%, the holdout at 10% (every 10th / 3rd player).
		const events = [];
		let held = 0;
		for (let userId = 1; userId <= 1000; userId++) {
			const inHoldout = isHeldOut(holdout, userId);
			if (inHoldout) held++;
			const base = { userId, sessionId: "s", time: setAt + userId };
			const variation = inHoldout ? "holdout" : "exposed";
			events.push({ ...base, id: `m${userId}`, type: "exposure" as const, name: "$holdout", props: { variation } });
			if (userId % (inHoldout ? 10 : 3) === 0) {
				events.push({ ...base, id: `b${userId}`, type: "custom" as const, name: "shop_purchase", props: {} });
			}
		}
		await t.store.ingestBatch("g1", { batchId: "markers", sentAt: setAt, events, rejected: [] }, setAt);
		t.clock.now = setAt + 3_600_000;

		const res = await call("/holdout/results", { body: { metric: METRIC, difference: "absolute", cuped: false } });
		expect(res.status).toBe(200);
		const results = (await res.json()) as {
			variations: { key: string; n: number; mean: number }[];
			srm: { flagged: boolean } | null;
		};
		expect(results.variations.map((v) => [v.key, v.n])).toEqual([
			["holdout", held],
			["exposed", 1000 - held],
		]);
		expect(results.variations[0]!.mean).toBeLessThan(0.15);
		expect(results.variations[1]!.mean).toBeGreaterThan(0.25);
		expect(results.srm?.flagged).toBe(false);

		expect((await call("/holdout/results", { body: { metric: { key: "x" } } })).status).toBe(400);
		await call("/holdout", { method: "PUT", body: { percent: 0 } });
		expect((await call("/holdout/results", { body: { metric: METRIC } })).status).toBe(409);
	});

	it("holds out about percent of players, by UserId alone", () => {
		const holdout = { seed: "holdout-abc", percent: 5 };
		let held = 0;
		for (let userId = 1; userId <= 20_000; userId++) if (isHeldOut(holdout, userId)) held++;
		expect(held / 20_000).toBeGreaterThan(0.045);
		expect(held / 20_000).toBeLessThan(0.055);
		expect(isHeldOut({ ...holdout, percent: 0 }, 1)).toBe(false);
		// A wider holdout keeps everyone the narrower one held out.
		for (let userId = 1; userId <= 2000; userId++) {
			if (isHeldOut(holdout, userId)) expect(isHeldOut({ ...holdout, percent: 10 }, userId)).toBe(true);
		}
	});
});
