import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { T0, jsonRequest, makeBatch, makeEvents, memoryLogger } from "../testing/fixtures.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import { LATEST_SDK_VERSION, SdkVersionMonitor, isOutdated, type GameSdk } from "./sdk-versions.js";

const root = join(import.meta.dirname, "..", "..");
const OLD = { name: "vantage-roblox", version: "0.0.9" };
const CURRENT = { name: "vantage-roblox", version: LATEST_SDK_VERSION };

describe("the latest SDK version", () => {
	it("is the version the SDK sends (src/shared/version.ts) and the package's", () => {
		const sent = /export const version = "([^"]+)"/.exec(readFileSync(join(root, "src/shared/version.ts"), "utf8"));
		expect(sent?.[1]).toBe(LATEST_SDK_VERSION);
		const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
		expect(manifest.version).toBe(LATEST_SDK_VERSION);
	});
});

describe("isOutdated", () => {
	it.each([
		["vantage-roblox", "0.0.9", "0.1.0", true],
		["vantage-roblox", "0.1.0-beta.1", "0.1.0", true],
		["vantage-roblox", "0.1.0", "0.1.0", false],
		["vantage-roblox", "0.2.0", "0.1.0", false],
		["vantage-roblox", "dev", "0.1.0", false],
		["my-importer", "0.0.1", "0.1.0", false],
	])("%s %s against %s → %s", (name, version, latest, expected) => {
		expect(isOutdated(name, version, latest)).toBe(expected);
	});
});

describe("SdkVersionMonitor", () => {
	it("warns once per game and outdated version, not per batch", () => {
		const { logger, lines } = memoryLogger();
		const clock = { now: T0 };
		const monitor = new SdkVersionMonitor({ logger, clock: () => clock.now, latest: "0.1.0" });
		for (let i = 0; i < 5; i++) {
			monitor.record("g1", OLD);
			monitor.record("g1", { name: "vantage-roblox", version: "0.1.0" });
			monitor.record("g2", OLD);
			clock.now += 1000;
		}
		monitor.record("g1", { name: "vantage-roblox", version: "0.0.8" });
		const warnings = lines.filter((l) => l.level === "warn");
		expect(warnings.map((w) => [w.gameId, w.sdkVersion])).toEqual([
			["g1", "0.0.9"],
			["g2", "0.0.9"],
			["g1", "0.0.8"],
		]);
		expect(warnings[0]).toMatchObject({ sdk: "vantage-roblox", latestSdkVersion: "0.1.0" });
	});

	it("shows the versions seen in the last 24 hours, the most recent first", () => {
		const { logger } = memoryLogger();
		const clock = { now: T0 };
		const monitor = new SdkVersionMonitor({ logger, clock: () => clock.now, latest: "0.1.0" });
		monitor.record("g1", OLD);
		clock.now += 60_000;
		monitor.record("g1", CURRENT);
		expect(monitor.forGame("g1")).toMatchObject({
			latest: "0.1.0",
			outdated: true,
			versions: [
				{ version: LATEST_SDK_VERSION, outdated: false },
				{ version: "0.0.9", outdated: true, lastSeenAt: new Date(T0).toISOString() },
			],
		});
		// A day after the old servers' last batch, only the current version is left: no notice.
		clock.now = T0 + 24 * 60 * 60 * 1000 + 1;
		expect(monitor.forGame("g1")).toMatchObject({ outdated: false, versions: [{ version: LATEST_SDK_VERSION }] });
		expect(monitor.forGame("unknown")).toMatchObject({ outdated: false, versions: [] });
	});

	it("ignores batches without an sdk and keeps at most 16 versions per game", () => {
		const { logger } = memoryLogger();
		const clock = { now: T0 };
		const monitor = new SdkVersionMonitor({ logger, clock: () => clock.now, latest: "0.1.0" });
		monitor.record("g1", undefined);
		expect(monitor.forGame("g1").versions).toEqual([]);
		for (let i = 0; i < 40; i++) {
			monitor.record("g1", { name: "vantage-roblox", version: `0.0.${i}` });
			clock.now += 1;
		}
		const versions = monitor.forGame("g1").versions;
		expect(versions).toHaveLength(16);
		expect(versions[0]?.version).toBe("0.0.39");
	});
});

describe("the version check through the API", () => {
	let t: TestApp;
	beforeEach(async () => {
		t = await createTestApp({ now: T0 + 1000 });
	});
	afterEach(() => t.close());

	async function send(gameId: string, batchId: string, sdk: { name: string; version: string }) {
		const auth = await t.gameAuth(gameId);
		const res = await t.app.request(
			"/v1/batches",
			jsonRequest(makeBatch(makeEvents(2, batchId), { batchId, sdk }), { headers: { Authorization: auth } }),
		);
		expect(res.status).toBe(200);
	}

	async function games(): Promise<{ id: string; sdk: GameSdk }[]> {
		const res = await t.app.request("/v1/admin/games", { headers: { Authorization: await t.adminAuth("viewer") } });
		expect(res.status).toBe(200);
		return ((await res.json()) as { games: { id: string; sdk: GameSdk }[] }).games;
	}

	it("warns in the log once for a game sending batches from an older SDK, and says so in the games list", async () => {
		await send("old", "b-1", OLD);
		await send("old", "b-2", OLD);
		await send("old", "b-3", OLD);
		await send("new", "b-4", CURRENT);

		const warnings = t.lines.filter((l) => l.msg === "game runs an outdated Vantage SDK: update it in the game");
		expect(warnings).toHaveLength(1);
		expect(warnings[0]).toMatchObject({ level: "warn", gameId: "old", sdkVersion: "0.0.9" });

		const list = await games();
		expect(list.find((g) => g.id === "old")?.sdk).toMatchObject({
			latest: LATEST_SDK_VERSION,
			outdated: true,
			versions: [{ name: "vantage-roblox", version: "0.0.9", outdated: true }],
		});
		expect(list.find((g) => g.id === "new")?.sdk).toMatchObject({
			outdated: false,
			versions: [{ version: LATEST_SDK_VERSION, outdated: false }],
		});
	});

	it("describes the field in the OpenAPI document", async () => {
		const doc = (await (await t.app.request("/openapi.json")).json()) as {
			components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
		};
		expect(doc.components.schemas.Game?.properties?.sdk).toBeDefined();
		expect(Object.keys(doc.components.schemas.GameSdk?.properties ?? {})).toEqual([
			"latest",
			"versions",
			"outdated",
			"since",
		]);
	});
});
