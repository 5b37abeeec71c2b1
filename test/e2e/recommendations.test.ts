// Shop recommendations end to end: the real backend learns the game's co-purchases from 45 days of shop purchases
// (1,500 synthetic buyers with planted pairs: server/predict/synthetic-shop.ts) ingested through the public API; the
// compiled SDK on a harness game server (consent on, a published policy, players outside the EEA in a game that
// tracks until a player objects) fetches GET /v1/config, and game code calls Vantage.recommend(player, n, owned?).
// Before the config carries a model the call returns the documented fallback (an empty list); once an analyst has
// trained, a player who owns an item is offered its planted partner first, as the admin API ranks it; a player who
// refused personalization gets the most bought items only; what a player bought on this server (ProcessReceipt →
// Vantage.purchase) counts as owned: never offered, its partner first. Every call returns at once: no yield (the
// call runs in a coroutine that must finish in one resume, on a virtual clock that must not move) and no request.
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateShop, shopItemKey } from "../../server/predict/synthetic-shop.js";
import { fetchAdminAuth, fetchGameAuth, provisionAdmin } from "../../server/testing/provision.js";
import { httpLog } from "../harness/services/http.js";
import { World } from "../harness/world.js";
import { startTestBackend, type TestBackend, type WireEvent } from "./backend.js";
import { ensureSdkBuilt, sdkTree } from "./sdk-build.js";

const GAME = "6161";
const DAY = 86_400_000;
const VANTAGE = `require(game:GetService("ReplicatedStorage").Vantage).Vantage`;
const BUYERS = 1500;
/** Planted pairs (synthetic-shop.ts): items 0↔1 and 2↔3 of each theme; the products are 1000 + item. */
const OWNED = shopItemKey(0);
const OWNED_PARTNER = shopItemKey(1);
const BOUGHT_PRODUCT = 1002;
const BOUGHT_PARTNER = shopItemKey(3);
/** Players on the game server: one who owns OWNED, one who refused personalization, one who buys on this server. */
const OWNER = 501;
const PRIVATE = 502;
const BUYER = 503;

/** What one call of Vantage.recommend returned, and whether it returned at once. */
interface Call {
	items: string[];
	/** The call's coroutine finished in its first resume: it never yielded. */
	finished: boolean;
	/** Virtual seconds that passed during the call (the harness's clock moves only when a thread yields). */
	elapsed: number;
	/** HTTP requests the server made during the call. */
	requests: number;
}

// The game: ProcessReceipt records the purchase with Vantage and grants it; `_G.recommend` is the game's shop asking
// for a player's featured items, inside a coroutine so that a yield would leave it suspended.
const GAME_SCRIPT = `
	local Players = game:GetService("Players")
	local HttpService = game:GetService("HttpService")
	local Vantage = ${VANTAGE}
	game:GetService("MarketplaceService").ProcessReceipt = function(receipt)
		Vantage.purchase(receipt)
		return Enum.ProductPurchaseDecision.PurchaseGranted
	end
	_G.recommend = function(userId, n, owned)
		local player = Players:GetPlayerByUserId(userId)
		local items
		local before = os.clock()
		local co = coroutine.create(function()
			items = Vantage.recommend(player, n, owned)
		end)
		assert(coroutine.resume(co))
		local finished = coroutine.status(co) == "dead"
		return HttpService:JSONEncode({ items = items or {}, finished = finished, elapsed = os.clock() - before })
	end`;

describe("Vantage.recommend against a real backend", () => {
	let backend: TestBackend;
	let owner: string;
	let world: World;

	beforeAll(async () => {
		ensureSdkBuilt();
		backend = await startTestBackend(GAME);
		owner = await fetchAdminAuth(backend.url, await provisionAdmin(backend.dataDir, "owner"));
		// Outside the EEA/UK/CH this game tracks (and personalizes) until a player objects; a policy to answer to.
		await ownerCall("PATCH", "/settings", { consentDefault: "opt-out" }, 200);
		await ownerCall("POST", "/consent/policies", { version: "1", summary: "Policy 1" }, 201);
		await ingestShop();
		world = await World.create({
			tree: sdkTree(),
			gameId: Number(GAME),
			config: {
				secrets: { vantage_game_key: backend.gameKey },
				marketplace: { products: { [BOUGHT_PRODUCT]: { name: "Tool skin", price: 75 } } },
			},
		});
		await world.run(
			"server",
			`${GAME_SCRIPT}
			assert(${VANTAGE}.start({ endpoint = "${backend.url}", flushSeconds = 5, configRefreshSeconds = 10, consent = true }))`,
		);
		for (const userId of [OWNER, PRIVATE, BUYER]) await world.addPlayer({ userId, name: `p${userId}`, country: "US" });
		// The config arrives (a real request: virtual time may pass while it is under way) and the players' consent loads.
		while (!configFetches().some((r) => r.status === 200)) await world.advance(0.5);
		await world.advance(3);
	}, 120_000);

	afterAll(async () => {
		await world?.destroy();
		await backend?.close();
	});

	async function ownerCall(method: string, path: string, body: unknown, status: number): Promise<void> {
		const res = await fetch(`${backend.url}/v1/admin/games/${GAME}${path}`, {
			method,
			headers: { Authorization: owner, "Content-Type": "application/json" },
			body: JSON.stringify(body),
		});
		expect(res.status, await res.clone().text()).toBe(status);
	}

	/** The shop's history: each buyer's purchases of developer products, sent as game servers send them. */
	async function ingestShop(): Promise<void> {
		const today = Math.floor(Date.now() / DAY) * DAY;
		const shop = generateShop({ players: BUYERS, seed: 5, start: today - 45 * DAY });
		const events: WireEvent[] = [...shop.events]
			.sort((a, b) => a.time - b.time)
			.map((e, i) => ({
				...e,
				id: `e${String(e.time).padStart(14, "0")}${String(i).padStart(6, "0")}`,
				sessionId: `s-${e.userId}`,
				props: { ...e.props },
			}));
		expect(shop.partners.get(OWNED)).toBe(OWNED_PARTNER);
		expect(shop.partners.get(shopItemKey(BOUGHT_PRODUCT - 1000))).toBe(BOUGHT_PARTNER);
		const res = await fetch(`${backend.url}/v1/batches`, {
			method: "POST",
			headers: {
				Authorization: await fetchGameAuth(backend.url, backend.gameKey),
				"Content-Type": "application/json",
				"Content-Encoding": "gzip",
			},
			body: gzipSync(JSON.stringify({ batchId: "shop-history", sentAt: Date.now(), events })),
		});
		expect(res.status, await res.clone().text()).toBe(200);
		expect(((await res.json()) as { accepted: number }).accepted).toBe(events.length);
	}

	const configFetches = () => httpLog(world.server).filter((r) => new URL(r.url).pathname === "/v1/config");

	/** The game's shop asks Vantage.recommend for a player's items. */
	async function recommend(userId: number, n: number, owned?: string[]): Promise<Call> {
		const before = httpLog(world.server).length;
		const args = owned === undefined ? "" : `, { ${owned.map((i) => JSON.stringify(i)).join(", ")} }`;
		const [json] = await world.run<[string]>("server", `return _G.recommend(${userId}, ${n}${args})`);
		return { ...(JSON.parse(json) as Omit<Call, "requests">), requests: httpLog(world.server).length - before };
	}

	/** The admin API's recommendations for a basket (as the dashboard shows them). */
	async function apiRecommendations(owned: string[], n: number): Promise<string[]> {
		const query = new URLSearchParams({ items: owned.join(","), n: String(n) });
		const res = await fetch(`${backend.url}/v1/admin/games/${GAME}/recommendations?${query}`, {
			headers: { Authorization: backend.adminAuth },
		});
		expect(res.status).toBe(200);
		return ((await res.json()) as { items: { item: string }[] }).items.map((i) => i.item);
	}

	const atOnce = { finished: true, elapsed: 0, requests: 0 };

	it("returns the documented fallback, an empty list, while the config has no model yet, at once", async () => {
		expect(configFetches().filter((r) => r.status === 200)).toHaveLength(1);
		expect(await recommend(OWNER, 3, [OWNED])).toEqual({ items: [], ...atOnce });
		expect(await recommend(PRIVATE, 5)).toEqual({ items: [], ...atOnce });
	});

	it("offers the planted partner of an owned item first, as the admin API ranks it, once an analyst trained", async () => {
		const trained = await fetch(`${backend.url}/v1/admin/games/${GAME}/predictions/train`, {
			method: "POST",
			headers: { Authorization: backend.adminAuth },
		});
		expect(trained.status).toBe(200);
		const doc = (await trained.json()) as { models: { recommendations: { status: string } } };
		expect(doc.models.recommendations.status).toBe("trained");
		// The next refresh (every 10 s) brings the model: the config changed, so it is a 200, not a 304.
		const fetched = configFetches().length;
		const changed = () => configFetches().filter((r) => r.status === 200).length;
		for (let second = 0; second < 25 && changed() < 2; second++) await world.advance(1);
		expect(changed()).toBe(2);
		expect(configFetches().length - fetched).toBeLessThanOrEqual(2);

		const call = await recommend(OWNER, 3, [OWNED]);
		expect(call).toMatchObject(atOnce);
		expect(call.items[0]).toBe(OWNED_PARTNER);
		expect(call.items).toHaveLength(3);
		expect(call.items).not.toContain(OWNED);
		expect(call.items).toEqual(await apiRecommendations([OWNED], 3));
		// n is an upper bound; a player owning nothing gets the most bought items.
		expect((await recommend(OWNER, 1, [OWNED])).items).toEqual([OWNED_PARTNER]);
		expect((await recommend(OWNER, 4)).items).toEqual(await apiRecommendations([], 4));
	});

	it("gives a player who refused personalization the most bought items only, never an owned one", async () => {
		const [set] = await world.run<[boolean]>(
			"server",
			`return ${VANTAGE}.consent.set(game:GetService("Players"):GetPlayerByUserId(${PRIVATE}),
				{ analytics = true, experiments = true, personalization = false })`,
		);
		expect(set).toBe(true);
		const popular = await apiRecommendations([], 6);
		const call = await recommend(PRIVATE, 5, [OWNED]);
		expect(call).toMatchObject(atOnce);
		expect(call.items).toEqual(popular.filter((item) => item !== OWNED).slice(0, 5));
		// Not the partner first: that would be the personal list.
		expect(call.items[0]).not.toBe(OWNED_PARTNER);
		// The same basket of a player who allows personalization is personal.
		expect((await recommend(OWNER, 5, [OWNED])).items[0]).toBe(OWNED_PARTNER);
	});

	it("counts what a player bought on this server as owned: never offered again, its partner first", async () => {
		const bought = shopItemKey(BOUGHT_PRODUCT - 1000);
		const before = await recommend(BUYER, 3);
		expect(before.items).toEqual(await apiRecommendations([], 3));
		await world.marketplace.buy(BUYER, BOUGHT_PRODUCT);
		await world.advance(1);
		expect(world.marketplace.receipts(BUYER).map((r) => r.status)).toEqual(["granted"]);

		const call = await recommend(BUYER, 3);
		expect(call).toMatchObject(atOnce);
		expect(call.items[0]).toBe(BOUGHT_PARTNER);
		expect(call.items).not.toContain(bought);
		expect(call.items).toEqual(await apiRecommendations([bought], 3));
		// With the game's own inventory too: both baskets count, and neither item comes back.
		const both = await recommend(BUYER, 5, [OWNED]);
		expect(both.items).toEqual(await apiRecommendations([bought, OWNED], 5));
		expect(both.items).toEqual(expect.arrayContaining([BOUGHT_PARTNER, OWNED_PARTNER]));
		// The purchase is the buyer's alone: another player's list does not change.
		expect((await recommend(OWNER, 3)).items).toEqual(before.items);
	});
});
