import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import { OPT_IN_REGIONS } from "../privacy/consent.js";
import type { SdkConfig } from "./sdk-config.js";

let t: TestApp;
let analyst: string;
let game: string;
beforeEach(async () => {
	t = await createTestApp();
	analyst = await t.adminAuth("analyst");
	game = await t.gameAuth("g1", ["config"]);
});
afterEach(() => t.close());

async function admin(path: string, body: unknown, method = "POST"): Promise<Response> {
	return t.app.request(`/v1/admin/games/g1${path}`, {
		method,
		headers: { Authorization: analyst, "Content-Type": "application/json" },
		body: JSON.stringify(body),
	});
}

async function getConfig(headers: Record<string, string> = {}): Promise<Response> {
	return t.app.request("/v1/config", { headers: { Authorization: game, ...headers } });
}

/** The consent block of a game without policies or a consentDefault setting. */
const DEFAULT_CONSENT = {
	policyVersion: null,
	categories: ["analytics", "experiments", "personalization"],
	optInRegions: [...OPT_IN_REGIONS],
	defaultMode: "opt-in",
} satisfies SdkConfig["consent"];

/** Running experiments need a primary metric; it is not part of what /v1/config serves. */
const METRIC = { key: "bought", type: "conversion", event: "shop_purchase" };
const BASE = { variations: [{ key: "control" }, { key: "treatment" }], primaryMetric: METRIC };
const WEIGHTED = [
	{ key: "control", weight: 0.25 },
	{ key: "grid", weight: 0.75 },
];

describe("GET /v1/config", () => {
	it("serves running experiments and every flag in the SDK's shape", async () => {
		await admin("/experiments", {
			key: "shop",
			status: "running",
			variations: WEIGHTED,
			primaryMetric: METRIC,
			coverage: 0.5,
			namespace: { id: "store", start: 0, end: 0.5 },
			condition: { country: { $in: ["US"] } },
			forcedVariations: { "123": "grid" },
			assignment: { mode: "stratified", strata: ["platform"] },
		});
		await admin("/experiments", { key: "later", ...BASE });
		await admin("/flags", { key: "new-shop", enabled: true, coverage: 0.2 });

		const res = await getConfig();
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toBe("application/json");
		expect(res.headers.get("cache-control")).toBe("no-cache");
		expect(res.headers.get("etag")).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
		expect(await res.json()).toEqual({
			gameId: "g1",
			experiments: [
				{
					key: "shop",
					status: "running",
					variations: WEIGHTED,
					coverage: 0.5,
					hashAttribute: "id",
					seed: "shop",
					hashVersion: 2,
					condition: { country: { $in: ["US"] } },
					namespace: ["store", 0, 0.5],
					forcedVariations: { "123": 1 },
					assignment: { mode: "stratified", strata: ["platform"] },
				},
			],
			flags: [
				{
					key: "new-shop",
					enabled: true,
					defaultValue: false,
					variations: [{ key: "on", value: true, weight: 1 }],
					coverage: 0.2,
					hashAttribute: "id",
					seed: "new-shop",
					hashVersion: 2,
				},
			],
			consent: DEFAULT_CONSENT,
		} satisfies SdkConfig);
	});

	it("answers 304 to a matching If-None-Match and a new ETag after a change", async () => {
		await admin("/flags", { key: "f" });
		const first = await getConfig();
		const etag = first.headers.get("etag")!;

		const again = await getConfig({ "If-None-Match": etag });
		expect(again.status).toBe(304);
		expect(again.headers.get("etag")).toBe(etag);
		expect(again.headers.get("cache-control")).toBe("no-cache");
		expect(await again.text()).toBe("");
		expect((await getConfig({ "If-None-Match": `"other", W/${etag}` })).status).toBe(304);
		expect((await getConfig({ "If-None-Match": "*" })).status).toBe(304);
		expect((await getConfig({ "If-None-Match": '"stale"' })).status).toBe(200);

		await admin("/flags/f", { enabled: true }, "PATCH");
		const changed = await getConfig({ "If-None-Match": etag });
		expect(changed.status).toBe(200);
		expect(changed.headers.get("etag")).not.toBe(etag);
	});

	it("needs a game token with the config scope", async () => {
		expect((await t.app.request("/v1/config")).status).toBe(401);
		const ingestOnly = await t.gameAuth("g1", ["ingest"]);
		const res = await t.app.request("/v1/config", { headers: { Authorization: ingestOnly } });
		expect(res.status).toBe(403);
		expect(((await res.json()) as { code: string }).code).toBe("insufficient_scope");
		expect((await t.app.request("/v1/config", { headers: { Authorization: analyst } })).status).toBe(401);
	});

	it("serves only the token's game", async () => {
		await admin("/flags", { key: "mine" });
		const other = await t.gameAuth("g2", ["config"]);
		const res = await t.app.request("/v1/config", { headers: { Authorization: other } });
		expect(await res.json()).toEqual({ gameId: "g2", experiments: [], flags: [], consent: DEFAULT_CONSENT });
	});

	it("serves drafts only for their forced QA users, and follows the schedule", async () => {
		await admin("/experiments", { key: "qa", ...BASE, forcedVariations: { "7": "treatment" } });
		await admin("/experiments", { key: "plain-draft", ...BASE });
		const hour = 3_600_000;
		await admin("/experiments", {
			key: "scheduled",
			...BASE,
			status: "running",
			startAt: new Date(t.clock.now + hour).toISOString(),
			endAt: new Date(t.clock.now + 2 * hour).toISOString(),
		});
		await admin("/experiments", { key: "done", ...BASE, status: "running" });
		await admin("/experiments/done", { status: "stopped" }, "PATCH");

		// A fresh token each time: moving the clock by hours expires the previous one.
		const served = async () => {
			game = await t.gameAuth("g1", ["config"]);
			return ((await (await getConfig()).json()) as SdkConfig).experiments.map((e) => `${e.key}:${e.status}`);
		};
		expect(await served()).toEqual(["qa:draft"]);
		t.clock.now += hour;
		expect(await served()).toEqual(["qa:draft", "scheduled:running"]);
		t.clock.now += hour;
		expect(await served()).toEqual(["qa:draft"]);
	});

	it("serves the adaptive weights once an update stored them", async () => {
		await admin("/experiments", {
			key: "bandit",
			...BASE,
			status: "running",
			assignment: { mode: "adaptive" },
			primaryMetric: { key: "won", type: "conversion", event: "win" },
		});
		await t.store.setAdaptiveWeights("g1", "bandit", [0.2, 0.8], t.clock.now);
		const config = (await (await getConfig()).json()) as SdkConfig;
		expect(config.experiments[0]?.variations).toEqual([
			{ key: "control", weight: 0.2 },
			{ key: "treatment", weight: 0.8 },
		]);
	});
});
