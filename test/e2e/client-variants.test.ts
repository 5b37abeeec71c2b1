// Client-side variants end to end: an analyst sets up experiments and a flag on the real backend; a game server (the
// compiled SDK in a harness World) gets the config, and each player's client — its own VM running VantageClient —
// reads its variants from what the server replicated over the SDK's RemoteEvent, never over HTTP. The client's
// variants are the server's for every player, whichever mode assigned them, and the backend stores exactly one
// exposure per player and experiment although both sides read the variant again and again; a client claiming a
// variation the server did not assign gets nothing logged.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpLog } from "../harness/services/http.js";
import { World } from "../harness/world.js";
import { fetchAdminAuth, provisionAdmin } from "../../server/testing/provision.js";
import { startTestBackend, type TestBackend } from "./backend.js";
import { ensureSdkBuilt, sdkTree } from "./sdk-build.js";

const GAME = "4338";
const VANTAGE = `require(game:GetService("ReplicatedStorage").Vantage)`;
const REMOTE = `game:GetService("ReplicatedStorage"):WaitForChild("VantageClientEvents")`;
const PLAYERS = 30;
const FIRST_ID = 20_001;
/** A QA tester forced into "carousel" (forced players log no exposure, on either side). */
const QA = 29_999;
/** A client that claims a variation of "banner" no one is assigned, and an unknown experiment (and never reads "banner"). */
const SPOOFER = FIRST_ID;

interface StoredEvent {
	userId: number;
	type: string;
	name: string;
	props: Record<string, unknown>;
}

interface Read {
	shop?: string;
	shopReason: string;
	hud?: string;
	hudReason: string;
	banner?: string;
	winter: boolean;
}

// The game server reads "shop-layout" and "hud" (not "banner") for each player a few seconds after they join, several
// times, and keeps what it read.
const SERVER_SCRIPT = `
	local Players = game:GetService("Players")
	local Vantage = ${VANTAGE}.Vantage
	_G.reads = {}
	_G.rejects = {}
	Vantage.clientRejected:Connect(function(player, reason) table.insert(_G.rejects, player.UserId .. ": " .. reason) end)
	Players.PlayerAdded:Connect(function(player)
		task.wait(4)
		local shop, hud
		for _ = 1, 5 do
			shop = Vantage.getVariant(player, "shop-layout")
			hud = Vantage.getVariant(player, "hud")
		end
		_G.reads[tostring(player.UserId)] = {
			shop = shop.key, shopReason = shop.reason, hud = hud.key, hudReason = hud.reason,
			winter = Vantage.isOn(player, "winter"),
		}
	end)`;

// Each player's client: starts VantageClient, reads before the server's answer (notReady), waits for it, then reads
// every experiment several times (the spoofer reads all but "banner").
const clientScript = (readBanner: boolean) => `
	local VantageClient = ${VANTAGE}.VantageClient
	assert(VantageClient.start())
	local early = VantageClient.getVariant("shop-layout")
	local arrived = VantageClient.waitForVariants(10)
	local shop, hud, banner
	for _ = 1, 5 do
		shop = VantageClient.getVariant("shop-layout")
		hud = VantageClient.getVariant("hud")
		${readBanner ? `banner = VantageClient.getVariant("banner")` : ""}
	end
	return early.reason, early.key == nil, arrived, {
		shop = shop.key, shopReason = shop.reason, hud = hud.key, hudReason = hud.reason,
		banner = banner and banner.key, winter = VantageClient.isOn("winter"),
	}`;

describe("client-side variants", () => {
	let backend: TestBackend;

	beforeAll(async () => {
		ensureSdkBuilt();
		backend = await startTestBackend(GAME);
	});

	afterAll(async () => {
		await backend?.close();
	});

	async function admin(path: string, body: unknown): Promise<void> {
		const res = await fetch(`${backend.url}/v1/admin/games/${GAME}${path}`, {
			method: "POST",
			headers: { Authorization: backend.adminAuth, "Content-Type": "application/json" },
			body: JSON.stringify(body),
		});
		expect(res.status, await res.clone().text()).toBe(201);
	}

	async function exposures(): Promise<StoredEvent[]> {
		const res = await fetch(`${backend.url}/v1/games/${GAME}/events?type=exposure&limit=1000`, {
			headers: { Authorization: backend.adminAuth },
		});
		expect(res.status).toBe(200);
		return ((await res.json()) as { events: StoredEvent[] }).events;
	}

	it("replicates each player's variants to their client, which logs no second exposure and makes no request", async () => {
		// The world first (it takes a few real seconds to boot): the SDK's first requests then follow the setup at once.
		const world = await World.create({
			tree: sdkTree(),
			gameId: Number(GAME),
			config: { secrets: { vantage_game_key: backend.gameKey } },
		});
		try {
			const startAt = new Date(Date.now() - 3_600_000).toISOString();
			const metric = { key: "bought", type: "conversion", event: "shop_purchase" };
			await admin("/experiments", {
				key: "shop-layout",
				status: "running",
				startAt,
				variations: [{ key: "list" }, { key: "grid" }, { key: "carousel" }],
				primaryMetric: metric,
				forcedVariations: { [String(QA)]: "carousel" },
			});
			await admin("/experiments", {
				key: "hud",
				status: "running",
				startAt,
				variations: [{ key: "small" }, { key: "large" }],
				assignment: { mode: "random" },
				primaryMetric: metric,
			});
			await admin("/experiments", {
				key: "banner",
				status: "running",
				startAt,
				variations: [{ key: "off" }, { key: "on" }],
				primaryMetric: metric,
			});
			await admin("/flags", { key: "winter", enabled: true, coverage: 0.5 });
			await world.run(
				"server",
				`${SERVER_SCRIPT}
				assert(${VANTAGE}.Vantage.start({ endpoint = "${backend.url}", flushSeconds = 5, configRefreshSeconds = 10 }))`,
			);
			// The config arrives (a real request: virtual time may pass while it is under way).
			const configLoaded = () =>
				httpLog(world.server).some((r) => new URL(r.url).pathname === "/v1/config" && r.status === 200);
			while (!configLoaded()) await world.advance(0.5);

			const ids = [...Array.from({ length: PLAYERS }, (_, i) => FIRST_ID + i), QA];
			const client = new Map<number, Read>();
			for (const userId of ids) {
				await world.addPlayer({ userId, name: `p${userId}` });
				if (userId === SPOOFER) {
					// The server checks each claim against its own assignment, and knows no "no-such" experiment.
					await world.run(
						userId,
						`${REMOTE}:FireServer({ kind = "exposure", experiments = { banner = "purple", ["no-such"] = "x" } })`,
					);
				}
				const [earlyReason, earlyKeyNil, arrived, read] = await world.run<[string, boolean, boolean, Read]>(
					userId,
					clientScript(userId !== SPOOFER),
				);
				expect([earlyReason, earlyKeyNil, arrived]).toEqual(["notReady", true, true]);
				client.set(userId, read);
			}
			await world.advance(8); // the server's reads (4 s after each join), then a flush

			const [readsJson, rejects, flushed] = await world.run<[string, Record<string, number>, boolean]>(
				"server",
				`local Vantage = ${VANTAGE}.Vantage
				return game:GetService("HttpService"):JSONEncode(_G.reads), Vantage.stats(), Vantage.flush()`,
			);
			expect(flushed).toBe(true);
			const server = JSON.parse(readsJson) as Record<string, Read>;

			// 1. Every client read what the server decided, in every mode; the QA tester their forced variation.
			for (const userId of ids) {
				const mine = client.get(userId)!;
				const theirs = server[String(userId)]!;
				expect(mine.shop, `${userId}`).toBe(theirs.shop);
				expect(mine.shopReason).toBe(theirs.shopReason);
				expect(mine.hud, `${userId}`).toBe(theirs.hud);
				expect(mine.winter).toBe(theirs.winter);
				// hud is kept in DataStore: the client waited for the draw, not the stand-in of the first second.
				expect(mine.hudReason).toMatch(/^(assigned|stored)$/);
			}
			expect(client.get(QA)).toMatchObject({ shop: "carousel", shopReason: "forced" });
			const shops = new Set([...client.values()].map((r) => r.shop));
			expect(shops).toEqual(new Set(["list", "grid", "carousel"]));
			const winterOn = [...client.values()].filter((r) => r.winter).length;
			expect(winterOn).toBeGreaterThan(0);
			expect(winterOn).toBeLessThan(ids.length);

			// 2. No client made (or tried) an HTTP request.
			for (const userId of ids) expect(await world.client(userId).callH("httpAttempts")).toBe(0);

			// 3. The backend has exactly one exposure per player and experiment, naming the variation both sides read;
			// "banner", read by clients only, too; none for the QA tester's forced "shop-layout", none for the spoofer's
			// claims.
			const stored = await exposures();
			const sorted = (list: number[]) => [...list].sort((a, b) => a - b);
			const exposed = (experiment: string) => stored.filter((e) => e.name === experiment);
			expect(sorted(exposed("shop-layout").map((e) => e.userId))).toEqual(sorted(ids.filter((id) => id !== QA)));
			expect(sorted(exposed("hud").map((e) => e.userId))).toEqual(sorted(ids));
			expect(sorted(exposed("banner").map((e) => e.userId))).toEqual(sorted(ids.filter((id) => id !== SPOOFER)));
			for (const e of exposed("shop-layout")) expect(e.props.variation).toBe(client.get(e.userId)!.shop);
			for (const e of exposed("hud")) expect(e.props).toEqual({ variation: client.get(e.userId)!.hud, mode: "random" });
			for (const e of exposed("banner")) {
				expect(e.props).toEqual({ variation: client.get(e.userId)!.banner, mode: "deterministic" });
			}
			expect(stored.filter((e) => e.userId === SPOOFER).map((e) => e.name)).not.toContain("banner");
			// 4. The spoofer's two claims were refused and counted; nothing else was.
			const [reasons] = await world.run<[string[]]>("server", `return _G.rejects`);
			expect([...reasons].sort()).toEqual([
				expect.stringMatching(/^20001: exposure for an unknown experiment "no-such"$/),
				expect.stringMatching(/^20001: exposure for variation "purple" of "banner"; the server assigned "(on|off)"$/),
			]);
			expect(rejects.clientRejected).toBe(2);
			// Nothing else went wrong (a request the loaded machine's loopback reset is retried, and not this test's subject).
			const transient = /cannot deliver events to the backend right now|could not fetch the experiment config/;
			expect(world.server.lines("warn").filter((l) => !transient.test(l))).toEqual([]);
			expect(world.server.lines("error")).toEqual([]);
			for (const userId of ids) expect(world.client(userId).lines("error")).toEqual([]);
		} finally {
			await world.destroy();
		}
	}, 240_000);

	it("follows the player's consent on the client: control and no exposure until they agree to experiments", async () => {
		// A published policy, with consent on in the game: players in the EEA are asked first.
		const owner = await fetchAdminAuth(backend.url, await provisionAdmin(backend.dataDir, "owner"));
		const policy = await fetch(`${backend.url}/v1/admin/games/${GAME}/consent/policies`, {
			method: "POST",
			headers: { Authorization: owner, "Content-Type": "application/json" },
			body: JSON.stringify({ version: "1", summary: "Policy 1" }),
		});
		expect(policy.status).toBe(201);
		const world = await World.create({
			tree: sdkTree(),
			gameId: Number(GAME),
			config: { secrets: { vantage_game_key: backend.gameKey } },
		});
		try {
			await admin("/experiments", {
				key: "consent-shop",
				status: "running",
				startAt: new Date(Date.now() - 3_600_000).toISOString(),
				variations: [{ key: "list" }, { key: "grid" }],
				primaryMetric: { key: "bought", type: "conversion", event: "shop_purchase" },
			});
			await world.run(
				"server",
				`assert(${VANTAGE}.Vantage.start({ endpoint = "${backend.url}", flushSeconds = 5, configRefreshSeconds = 10,
					consent = true }))`,
			);
			const configLoaded = () =>
				httpLog(world.server).some((r) => new URL(r.url).pathname === "/v1/config" && r.status === 200);
			while (!configLoaded()) await world.advance(0.5);

			// Two players in Germany, asked first; each reads while asked, then one agrees to experiments, one does not.
			const read = `local v = ${VANTAGE}.VantageClient.getVariant("consent-shop") return v.key, v.inExperiment, v.reason`;
			const before = new Map<number, unknown[]>();
			for (const userId of [30_001, 30_002]) {
				await world.addPlayer({ userId, name: `p${userId}`, country: "DE" });
				await world.run(
					userId,
					`local C = ${VANTAGE}.VantageClient
					_G.changes = 0
					C.variantsChanged:Connect(function() _G.changes += 1 end)
					assert(C.start({ consentPrompt = false }))
					assert(C.waitForVariants(10))`,
				);
				before.set(userId, await world.run(userId, `${read}`));
			}
			for (const userId of [30_001, 30_002]) {
				expect(before.get(userId)).toEqual(["list", false, "consent"]);
			}
			await world.advance(6);
			expect(await exposuresOf(30_001)).toEqual([]);

			const answer = (experiments: boolean) =>
				`assert(${VANTAGE}.VantageClient.consent.answer({ analytics = true, experiments = ${experiments},
					personalization = false }, "ui-1"))`;
			await world.run(30_001, answer(true));
			await world.run(30_002, answer(false));
			await world.advance(1); // the answer reaches the server, the new variants come back
			const [agreedKey, agreedIn, agreedReason] = await world.run<[string, boolean, string]>(30_001, read);
			expect([agreedIn, agreedReason]).toEqual([true, "assigned"]);
			expect(await world.run(30_002, read)).toEqual(["list", false, "consent"]);
			const [changes] = await world.run<[number]>(30_001, `return _G.changes`);
			expect(changes).toBe(2);
			// Read again and again: one exposure, for the player who agreed, with the variation their client read.
			for (let i = 0; i < 3; i++) await world.run(30_001, read);
			await world.advance(6);
			const [flushed] = await world.run<[boolean]>("server", `return ${VANTAGE}.Vantage.flush()`);
			expect(flushed).toBe(true);
			const agreed = await exposuresOf(30_001);
			expect(agreed.map((e) => [e.name, e.props])).toEqual([
				["consent-shop", { variation: agreedKey, mode: "deterministic" }],
			]);
			expect(await exposuresOf(30_002)).toEqual([]);
			const [stats] = await world.run<[Record<string, number>]>("server", `return ${VANTAGE}.Vantage.stats()`);
			expect(stats.clientRejected).toBe(0);
		} finally {
			await world.destroy();
		}
	}, 120_000);

	async function exposuresOf(userId: number): Promise<StoredEvent[]> {
		const res = await fetch(`${backend.url}/v1/games/${GAME}/events?type=exposure&userId=${userId}&limit=100`, {
			headers: { Authorization: backend.adminAuth },
		});
		expect(res.status).toBe(200);
		return ((await res.json()) as { events: StoredEvent[] }).events;
	}
});
