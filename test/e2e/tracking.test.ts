// Tracking end to end: the compiled SDK in a harness World (server VM + a client VM per player) sends sessions, the
// event API and captured errors to the real backend over real HTTP; the test reads them back through the admin API.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestBackend, type TestBackend } from "./backend.js";
import { ensureSdkBuilt, sdkTree } from "./sdk-build.js";
import { script, World, type WorldOptions } from "../harness/world.js";
import { DataStoreBackend } from "../harness/services/datastore.js";
import type { TreeNode } from "../harness/project.js";

interface Event {
	id: string;
	userId: number;
	sessionId: string;
	type: string;
	name: string;
	props: Record<string, unknown>;
}

const GAME = "4243";
const VANTAGE = `require(game:GetService("ReplicatedStorage").Vantage)`;

describe("tracking → backend", () => {
	let server: TestBackend;
	let gameKey: string;
	let adminAuth: string;
	const worlds: World[] = [];

	beforeAll(async () => {
		ensureSdkBuilt();
		server = await startTestBackend(GAME);
		({ gameKey, adminAuth } = server);
	});

	afterEach(async () => {
		for (const w of worlds.splice(0)) await w.destroy();
	});

	afterAll(async () => {
		await server?.close();
	});

	async function newWorld(options: Partial<WorldOptions> = {}, scripts: TreeNode[] = []): Promise<World> {
		const tree = sdkTree();
		if (scripts.length > 0)
			tree.children.push({ name: "ServerScriptService", className: "ServerScriptService", children: scripts });
		const world = await World.create({
			tree,
			gameId: Number(GAME),
			...options,
			config: { secrets: { vantage_game_key: gameKey }, ...options.config },
		});
		worlds.push(world);
		return world;
	}

	const startSource = (extra = "") => `
		local Vantage = ${VANTAGE}.Vantage
		assert(Vantage.start({ endpoint = "${server.url}", flushSeconds = 5, sessionStartWaitSeconds = 5 ${extra} }), "start failed")`;

	async function events(query: Record<string, string | number> = {}): Promise<Event[]> {
		const params = new URLSearchParams({
			limit: "1000",
			...Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])),
		});
		const res = await fetch(`${server.url}/v1/games/${GAME}/events?${params}`, {
			headers: { Authorization: adminAuth },
		});
		expect(res.status).toBe(200);
		return ((await res.json()) as { events: Event[] }).events;
	}

	async function stats(world: World): Promise<Record<string, number>> {
		const [s] = await world.run<[Record<string, number>]>("server", `return ${VANTAGE}.Vantage.stats()`);
		return s;
	}

	it("sends player sessions with join data, country, locale, device and first visit; one DataStore read per join", async () => {
		const dataStores = new DataStoreBackend();
		const world = await newWorld({ jobId: "job-A", placeId: 99, placeVersion: 12, config: { dataStores } });
		await world.run("server", startSource());
		await world.addPlayer({
			userId: 501,
			name: "Lena",
			country: "DE",
			locale: "de-de",
			platform: "IOS",
			accountAge: 30,
			premium: true,
			joinData: { SourcePlaceId: 7, LaunchData: "campaign=spring" },
		});
		await world.run(501, `${VANTAGE}.VantageClient.start()`);
		await world.advance(2);
		// The lookups and the device are in: session_start is queued (after the server's) before the 5 s wait ends.
		expect(await stats(world)).toMatchObject({ activeSessions: 1, queued: 2, sent: 0 });
		await world.advance(60);
		await world.removePlayer(501);
		await world.advance(6);

		const lena = await events({ userId: 501 });
		expect(lena.map((e) => e.type)).toEqual(["session_start", "session_end"]);
		const [start, end] = lena as [Event, Event];
		expect(start.sessionId).toBe(end.sessionId);
		expect(start.props).toMatchObject({
			country: "DE",
			locale: "de-de",
			device: "phone",
			touch: true,
			keyboard: false,
			accountAge: 30,
			premium: true,
			firstVisit: true,
			teleported: true,
			sourcePlaceId: 7,
			launchData: "campaign=spring",
			jobId: "job-A",
			placeId: 99,
			placeVersion: 12,
			serverType: "public",
			studio: false,
			sdkVersion: "0.1.0",
		});
		expect(end.props.duration as number).toBeGreaterThan(61);
		expect(end.props.duration as number).toBeLessThan(63);
		const server1 = (await events({ userId: 0 })).filter((e) => e.props.jobId === "job-A");
		expect(server1.map((e) => `${e.type}:${e.name}`)).toEqual(["session_start:server"]);

		// A later visit on another server of the experience: not a first visit any more.
		const world2 = await newWorld({ jobId: "job-B", config: { dataStores } });
		await world2.run("server", startSource());
		await world2.addPlayer({ userId: 501, name: "Lena", country: "DE" });
		await world2.advance(12);
		const starts = (await events({ userId: 501, type: "session_start" })).map((e) => e.props);
		expect(starts).toHaveLength(2);
		expect(starts[1]).toMatchObject({ jobId: "job-B", firstVisit: false, firstSeen: starts[0]!.firstSeen });
		// No client tracker on this visit: session_start went out after the wait, without a device.
		expect(starts[1]!.device).toBeUndefined();

		const requests = dataStores.log.filter((r) => r.store === "VantagePlayers").map((r) => `${r.vm}:${r.method}`);
		expect(requests).toEqual(["server:GetAsync", "server:SetAsync", "server:GetAsync"]);
	});

	it("ends the sessions at shutdown and delivers them within BindToClose", async () => {
		const world = await newWorld({ jobId: "job-shutdown" });
		await world.run("server", startSource());
		await world.addPlayer({ userId: 651, name: "Ola" });
		await world.advance(20);
		const report = await world.shutdown();
		expect(report.finished).toBe(true);
		const ola = await events({ userId: 651 });
		expect(ola.map((e) => e.type)).toEqual(["session_start", "session_end"]);
		const serverEvents = (await events({ userId: 0 })).filter((e) => e.props.jobId === "job-shutdown");
		expect(serverEvents.map((e) => e.type)).toEqual(["session_start", "session_end"]);
		expect(serverEvents[1]!.props.duration as number).toBeGreaterThanOrEqual(20);
	});

	it("sends every event type of the API with its wire shape, without yielding the caller", async () => {
		const world = await newWorld();
		await world.run("server", startSource());
		await world.addPlayer({ userId: 601, name: "Kai" });
		const [elapsed] = await world.run<[number]>(
			"server",
			`
			local Vantage = ${VANTAGE}.Vantage
			local p = game:GetService("Players"):GetPlayerByUserId(601)
			local t0 = os.clock()
			assert(Vantage.track(p, "shop_opened", { tab = "weapons" }))
			assert(Vantage.progression(p, "start", { "World1", "Level2" }))
			assert(Vantage.progression(p, "complete", { "World1", "Level2" }, 1200))
			assert(Vantage.economy(p, { flow = "sink", currency = "Gems", amount = 50, itemType = "Weapons", itemId = "Sword" }))
			assert(Vantage.purchase({ PurchaseId = "r-1", PlayerId = 601, ProductId = 555, CurrencySpent = 99, PlaceIdWherePurchased = 1 }))
			assert(Vantage.funnelStep(p, "onboarding", 1, "spawned"))
			return os.clock() - t0
			`,
		);
		expect(elapsed).toBe(0);
		await world.advance(6);
		const kai = (await events({ userId: 601 })).filter((e) => !e.type.startsWith("session"));
		expect(kai.map((e) => [e.type, e.name, e.props])).toEqual([
			["custom", "shop_opened", { tab: "weapons" }],
			["progression", "World1:Level2", { status: "start", p1: "World1", p2: "Level2" }],
			[
				"progression",
				"World1:Level2",
				{ status: "complete", p1: "World1", p2: "Level2", score: 1200, attempt: 1, seconds: 0 },
			],
			["economy", "sink:Gems", { flow: "sink", currency: "Gems", amount: 50, itemType: "Weapons", itemId: "Sword" }],
			["purchase", "developer_product", { productId: 555, purchaseId: "r-1", robux: 99, placeId: 1 }],
			["funnel", "onboarding", { step: 1, stepName: "spawned" }],
		]);
		expect(new Set(kai.map((e) => e.sessionId)).size).toBe(1);
		expect(world.server.lines("warn")).toEqual([]);
	});

	it("captures script errors once per distinct error, with the script and the count of repeats", async () => {
		const world = await newWorld({}, [
			script("Main", startSource(", errorRepeatSeconds = 60")),
			script(
				"Inventory",
				`task.wait(1)
				for i = 1, 50 do
					task.spawn(function() error("inventory is nil") end)
				end
				task.spawn(function() error("another bug") end)`,
			),
		]);
		await world.start();
		await world.advance(7);
		const errors = (await events({ type: "error" })).filter((e) =>
			String(e.props.message).includes("ServerScriptService.Inventory"),
		);
		expect(errors.map((e) => e.props.message)).toEqual([
			"ServerScriptService.Inventory:3: inventory is nil",
			"ServerScriptService.Inventory:5: another bug",
		]);
		expect(errors[0]).toMatchObject({ userId: 0, name: "server_error" });
		expect(errors[0]!.props).toMatchObject({ side: "server", script: "ServerScriptService.Inventory", repeats: 0 });
		expect(await stats(world)).toMatchObject({ errorsReported: 2, errorsSuppressed: 49 });
	});

	it("starts in Studio with HTTP requests disabled: nothing thrown, one warning, events kept", async () => {
		// A published place (GameId and PlaceId set): an unpublished one runs as a dry run (test/e2e/first-run.test.ts).
		const world = await newWorld({ isStudio: true, placeId: 1, config: { httpEnabled: false } });
		const [ok] = await world.run<[boolean]>(
			"server",
			`return ${VANTAGE}.Vantage.start({ endpoint = "${server.url}", flushSeconds = 5 })`,
		);
		expect(ok).toBe(true);
		await world.addPlayer({ userId: 701, name: "Dev" });
		await world.run(
			"server",
			`${VANTAGE}.Vantage.track(game:GetService("Players"):GetPlayerByUserId(701), "in_studio")`,
		);
		await world.advance(60);
		const warns = world.server.lines("warn");
		expect(warns).toHaveLength(1);
		expect(warns[0]).toMatch(/http/i);
		expect(world.server.lines("error")).toEqual([]);
		expect((await stats(world)).queued).toBeGreaterThan(0);
	});

	it("refuses unusable options with one warning, and calls before start warn once", async () => {
		const world = await newWorld();
		const [bad, early, again] = await world.run<[boolean, boolean, boolean]>(
			"server",
			`
			local Vantage = ${VANTAGE}.Vantage
			local early = Vantage.track(nil, "x")
			local again = Vantage.track(nil, "y")
			return Vantage.start({ flushSeconds = 5 }), early, again`,
		);
		expect([bad, early, again]).toEqual([false, false, false]);
		const warns = world.server.lines("warn");
		expect(warns).toHaveLength(2);
		expect(warns[0]).toBe("[Vantage] call Vantage.start() on the server before tracking events");
		expect(warns[1]).toMatch(/endpoint/);
		expect(world.server.lines("error")).toEqual([]);
	});
});
