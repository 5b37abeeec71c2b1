// Experiments end to end: an analyst creates experiments and a flag through the admin API of the real backend; the
// compiled SDK in a harness server VM fetches GET /v1/config (token of scope `config`, ETag/304), players join and get
// variants, exposures travel with the other events to the backend, treatment players convert more often (a planted,
// seeded effect), and the results API finds the effect without flagging a sample-ratio mismatch.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpLog } from "../harness/services/http.js";
import { RobloxVm } from "../harness/vm.js";
import { joinPlayer, leavePlayer } from "../harness/world.js";
import { startTestBackend, type TestBackend } from "./backend.js";
import { ensureSdkBuilt, repoRoot, sdkTree } from "./sdk-build.js";

const GAME = "4246";
const VANTAGE = `require(game:GetService("ReplicatedStorage").Vantage).Vantage`;
const PLAYERS = 800;
const FORCED_QA_USER = 999_001;
const COUNTRIES = ["US", "BR", "DE", "PH"];
/** The planted effect: conversion rates by variation. */
const RATES = { control: 0.2, grid: 0.35 };

interface StoredEvent {
	id: string;
	userId: number;
	type: string;
	name: string;
	props: Record<string, unknown>;
}

interface Comparison {
	variation: string;
	frequentist: { effect: number; ci: { lower: number; upper: number }; pValue: number; significant: boolean };
	adjustedPValue: number;
}

interface Results {
	variations: { key: string; n: number; sum: number; mean: number }[];
	srm: { pValue: number; flagged: boolean } | null;
	comparisons: Comparison[];
	warnings: { code: string }[];
}

// The game: each joining player is asked for variants a few seconds in (after the join lookups), and converts with
// the planted probability of their shop variation, drawn from a Park–Miller generator seeded by the UserId.
const GAME_SCRIPT = `
	local Players = game:GetService("Players")
	local Vantage = ${VANTAGE}
	local RATES = { control = ${RATES.control}, grid = ${RATES.grid} }
	_G.outcomes = {}
	local function uniform(userId)
		local x = (userId * 7919 + 17) % 2147483647
		for _ = 1, 3 do x = (x * 48271) % 2147483647 end
		return x / 2147483647
	end
	Players.PlayerAdded:Connect(function(player)
		task.wait(3)
		local shop = Vantage.getVariant(player, "shop-layout")
		local hud = Vantage.getVariant(player, "hud")
		local us = Vantage.getVariant(player, "us-only")
		local converted = shop.key ~= nil and uniform(player.UserId) < (RATES[shop.key] or 0)
		if converted then Vantage.track(player, "shop_purchase", { price = 100 }) end
		_G.outcomes[tostring(player.UserId)] = {
			shop = shop.key, shopReason = shop.reason, hud = hud.key, hudReason = hud.reason,
			us = us.inExperiment, winter = Vantage.isOn(player, "winter"), converted = converted,
		}
	end)`;

describe("experiments → backend", () => {
	let server: TestBackend;
	let gameKey: string;
	let adminAuth: string;

	beforeAll(async () => {
		ensureSdkBuilt();
		server = await startTestBackend(GAME);
		({ gameKey, adminAuth } = server);
	});

	afterAll(async () => {
		await server?.close();
	});

	async function admin(method: string, path: string, body?: unknown): Promise<Response> {
		return fetch(`${server.url}/v1/admin/games/${GAME}${path}`, {
			method,
			headers: { Authorization: adminAuth, "Content-Type": "application/json" },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
	}

	async function events(type: string): Promise<StoredEvent[]> {
		const out: StoredEvent[] = [];
		let after: string | null = null;
		do {
			const params = new URLSearchParams({ type, limit: "1000", ...(after ? { after } : {}) });
			const res = await fetch(`${server.url}/v1/games/${GAME}/events?${params}`, {
				headers: { Authorization: adminAuth },
			});
			expect(res.status).toBe(200);
			const page = (await res.json()) as { events: StoredEvent[]; next: string | null };
			out.push(...page.events);
			after = page.next;
		} while (after);
		return out;
	}

	it("runs the shared targeting-condition cases in Luau with the backend's results", async () => {
		const cases = readFileSync(join(repoRoot, "server/experiments/condition-cases.json"), "utf8");
		const vm = await RobloxVm.create({ role: "server", name: "server", tree: sdkTree() });
		try {
			const [failures, total] = await vm.run<[string[], number]>(`
				local HttpService = game:GetService("HttpService")
				local conditions = require(game:GetService("ReplicatedStorage").Vantage.shared.conditions)
				local cases = HttpService:JSONDecode(${JSON.stringify(cases)}).cases
				local failures = {}
				for _, c in cases do
					local got = conditions.evaluateCondition(c[2], c[3])
					if got ~= c[4] then table.insert(failures, c[1]) end
				end
				return failures, #cases`);
			expect(total).toBeGreaterThan(50);
			expect(failures).toEqual([]);
		} finally {
			vm.destroy();
		}
	});

	it("assigns players, sends exposures and shows the planted effect in the results", async () => {
		// 1. The analyst sets up a running experiment with a conversion metric, two more and a flag.
		const startAt = new Date(Date.now() - 3_600_000).toISOString();
		const created = await admin("POST", "/experiments", {
			key: "shop-layout",
			status: "running",
			startAt,
			variations: [{ key: "control" }, { key: "grid" }],
			primaryMetric: { key: "purchased", type: "conversion", event: "shop_purchase" },
			forcedVariations: { [String(FORCED_QA_USER)]: "grid" },
		});
		expect(created.status).toBe(201);
		for (const body of [
			{
				key: "hud",
				status: "running",
				startAt,
				variations: [{ key: "small" }, { key: "large" }],
				assignment: { mode: "stratified", strata: ["country"] },
				primaryMetric: { key: "purchased", type: "conversion", event: "shop_purchase" },
			},
			{
				key: "us-only",
				status: "running",
				startAt,
				variations: [{ key: "a" }, { key: "b" }],
				condition: { country: "US" },
				primaryMetric: { key: "purchased", type: "conversion", event: "shop_purchase" },
			},
		]) {
			expect((await admin("POST", "/experiments", body)).status).toBe(201);
		}
		expect((await admin("POST", "/flags", { key: "winter", enabled: true, coverage: 0.5 })).status).toBe(201);

		// 2. A game server starts Vantage; before the config arrives, variants are unknown.
		const vm = await RobloxVm.create({
			role: "server",
			name: "server",
			tree: sdkTree(),
			gameId: Number(GAME),
			config: { secrets: { vantage_game_key: gameKey } },
		});
		try {
			await joinPlayer(vm, { userId: FORCED_QA_USER, name: "QA", country: "US" });
			const [early] = await vm.run<[Record<string, unknown>]>(`
				local Vantage = ${VANTAGE}
				assert(Vantage.start({ endpoint = "${server.url}", flushSeconds = 5, configRefreshSeconds = 10 }), "start failed")
				return Vantage.getVariant(game:GetService("Players"):GetPlayerByUserId(${FORCED_QA_USER}), "shop-layout")`);
			expect(early).toEqual({ index: 0, inExperiment: false, reason: "noConfig" });
			await vm.advance(2);
			const [qa] = await vm.run<[Record<string, unknown>]>(
				`return ${VANTAGE}.getVariant(game:GetService("Players"):GetPlayerByUserId(${FORCED_QA_USER}), "shop-layout")`,
			);
			expect(qa).toEqual({ key: "grid", index: 1, inExperiment: true, reason: "forced" });

			// 3. Players come in waves of 40 (a server holds 50) and leave 10 s later; the game converts them as planted.
			await vm.run(GAME_SCRIPT);
			for (let wave = 0; wave < PLAYERS / 40; wave++) {
				const ids = Array.from({ length: 40 }, (_, i) => 10_001 + wave * 40 + i);
				for (const id of ids)
					await joinPlayer(vm, { userId: id, name: `p${id}`, country: COUNTRIES[(id - 10_000) % 4] });
				await vm.advance(10);
				for (const id of ids) if (id !== 10_001) await leavePlayer(vm, id);
			}
			// 4. The flag is switched off; the next config fetch (a new ETag) brings it to the game.
			expect((await admin("PATCH", "/flags/winter", { enabled: false })).status).toBe(200);
			await vm.advance(12);
			const [outcomesJson, winterNow, flushed] = await vm.run<[string, boolean, boolean]>(`
				local HttpService = game:GetService("HttpService")
				local Vantage = ${VANTAGE}
				local winter = Vantage.isOn(game:GetService("Players"):GetPlayerByUserId(10001), "winter")
				return HttpService:JSONEncode(_G.outcomes), winter, Vantage.flush()`);
			expect(flushed).toBe(true);
			expect(winterNow).toBe(false);
			expect(vm.lines("warn")).toEqual([]);
			expect(vm.lines("error")).toEqual([]);

			const outcomes = JSON.parse(outcomesJson) as Record<
				string,
				{
					shop: string;
					shopReason: string;
					hud: string;
					hudReason: string;
					us: boolean;
					winter: boolean;
					converted: boolean;
				}
			>;
			const players = Object.entries(outcomes).map(([id, o]) => ({ userId: Number(id), ...o }));
			expect(players).toHaveLength(PLAYERS);
			expect(new Set(players.map((p) => p.shopReason))).toEqual(new Set(["assigned"]));
			expect(new Set(players.map((p) => p.hudReason))).toEqual(new Set(["assigned"]));
			const winterOn = players.filter((p) => p.winter).length;
			expect(winterOn).toBeGreaterThan(PLAYERS * 0.4);
			expect(winterOn).toBeLessThan(PLAYERS * 0.6);

			// Config: fetched with a token of scope "config", revalidated with 304s, refetched after the change.
			const configRequests = httpLog(vm).filter((r) => new URL(r.url).pathname === "/v1/config");
			const statuses = configRequests.map((r) => r.status);
			expect(statuses[0]).toBe(200);
			expect(statuses.filter((s) => s === 304).length).toBeGreaterThan(5);
			expect(statuses.slice(1).filter((s) => s === 200)).toHaveLength(1);
			expect(configRequests.every((r) => r.headers.Authorization?.startsWith("Bearer "))).toBe(true);
			expect(configRequests[1]!.headers["If-None-Match"]).toMatch(/^".+"$/);

			// 5. Exposures reached the backend: one per player and experiment, naming the SDK's variation.
			const exposures = await events("exposure");
			const shopExposures = exposures.filter((e) => e.name === "shop-layout");
			expect(shopExposures).toHaveLength(PLAYERS);
			const byUser = new Map(players.map((p) => [p.userId, p]));
			for (const e of shopExposures) {
				expect(e.props).toEqual({ variation: byUser.get(e.userId)!.shop, mode: "deterministic" });
			}
			expect(exposures.some((e) => e.userId === FORCED_QA_USER)).toBe(false);
			const hudExposures = exposures.filter((e) => e.name === "hud");
			expect(hudExposures).toHaveLength(PLAYERS);
			for (const e of hudExposures) {
				expect(e.props).toMatchObject({ mode: "stratified", stratum: `country=${COUNTRIES[(e.userId - 10_000) % 4]}` });
			}
			// Stratified: within each country the two HUD variations differ by at most one player (one server).
			for (const country of COUNTRIES) {
				const inCountry = hudExposures.filter((e) => e.props.stratum === `country=${country}`);
				const large = inCountry.filter((e) => e.props.variation === "large").length;
				expect(Math.abs(2 * large - inCountry.length)).toBeLessThanOrEqual(1);
			}
			const usExposures = exposures.filter((e) => e.name === "us-only");
			expect(usExposures).toHaveLength(PLAYERS / 4);
			expect(usExposures.every((e) => (e.userId - 10_000) % 4 === 0)).toBe(true);

			// 6. The results API shows the planted effect, with a balanced split.
			const res = await admin("GET", "/experiments/shop-layout/results?difference=absolute");
			expect(res.status).toBe(200);
			const results = (await res.json()) as Results;
			const [control, grid] = results.variations;
			expect(control!.n + grid!.n).toBe(PLAYERS);
			const converted = (key: string) => players.filter((p) => p.shop === key && p.converted).length;
			expect(control!.sum).toBe(converted("control"));
			expect(grid!.sum).toBe(converted("grid"));
			expect(grid!.mean).toBeGreaterThan(control!.mean);
			expect(results.srm?.flagged).toBe(false);
			const [comparison] = results.comparisons;
			expect(comparison!.variation).toBe("grid");
			expect(comparison!.frequentist.significant).toBe(true);
			expect(comparison!.frequentist.pValue).toBeLessThan(0.01);
			// The planted difference (15 points) lies inside the confidence interval of the measured one.
			const planted = RATES.grid - RATES.control;
			expect(comparison!.frequentist.ci.lower).toBeLessThan(planted);
			expect(comparison!.frequentist.ci.upper).toBeGreaterThan(planted);
			expect(comparison!.frequentist.ci.lower).toBeGreaterThan(0);
		} finally {
			vm.destroy();
		}
	}, 300_000);
});
