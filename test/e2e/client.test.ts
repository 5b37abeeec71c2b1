// The client tracker end to end, and what a hostile client can do to it: clients in their own VMs send through the
// server's one RemoteEvent; the server attributes every message to its sender, rate-limits and validates it, and
// delivers what it accepts to the real backend.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestBackend, type TestBackend } from "./backend.js";
import { ensureSdkBuilt, sdkTree } from "./sdk-build.js";
import { World } from "../harness/world.js";

interface Event {
	userId: number;
	sessionId: string;
	type: string;
	name: string;
	props: Record<string, unknown>;
}

const GAME = "4244";
const VANTAGE = `require(game:GetService("ReplicatedStorage").Vantage)`;
const REMOTE = `game:GetService("ReplicatedStorage"):WaitForChild("VantageClientEvents")`;

describe("client tracker", () => {
	let backend: TestBackend;
	let gameKey: string;
	let adminAuth: string;
	let world: World | undefined;

	beforeAll(async () => {
		ensureSdkBuilt();
		backend = await startTestBackend(GAME);
		({ gameKey, adminAuth } = backend);
	});

	afterEach(async () => {
		await world?.destroy();
		world = undefined;
	});

	afterAll(async () => {
		await backend?.close();
	});

	/** A world whose server has started Vantage (and records clientRejected in _G.rejects), with players joined. */
	async function startedWorld(userIds: number[], extraOptions = ""): Promise<World> {
		world = await World.create({
			tree: sdkTree(),
			gameId: Number(GAME),
			config: { secrets: { vantage_game_key: gameKey } },
		});
		await world.run(
			"server",
			`
			local Vantage = ${VANTAGE}.Vantage
			_G.rejects = {}
			Vantage.clientRejected:Connect(function(player, reason) table.insert(_G.rejects, player.UserId .. ": " .. reason) end)
			assert(Vantage.start({ endpoint = "${backend.url}", flushSeconds = 5, sessionStartWaitSeconds = 2 ${extraOptions} }))`,
		);
		for (const userId of userIds) await world.addPlayer({ userId, name: `p${userId}`, platform: "XBoxOne" });
		return world;
	}

	async function events(userId: number): Promise<Event[]> {
		const res = await fetch(`${backend.url}/v1/games/${GAME}/events?limit=1000&userId=${userId}`, {
			headers: { Authorization: adminAuth },
		});
		expect(res.status).toBe(200);
		return ((await res.json()) as { events: Event[] }).events;
	}

	async function serverState(w: World): Promise<{ stats: Record<string, number>; rejects: string[] }> {
		const [stats, rejects] = await w.run<[Record<string, number>, string[]]>(
			"server",
			`return ${VANTAGE}.Vantage.stats(), _G.rejects`,
		);
		return { stats, rejects };
	}

	it("forwards client events, the device and client errors, recorded for the sending player", async () => {
		const w = await startedWorld([801]);
		await w.run(
			801,
			`
			local VantageClient = ${VANTAGE}.VantageClient
			assert(VantageClient.start())
			assert(VantageClient.track("shop_button_clicked", { tab = "weapons" }))
			assert(not VantageClient.track("", {}))
			task.spawn(function() error("ui exploded") end)`,
		);
		await w.advance(6);
		const mine = await events(801);
		const click = mine.find((e) => e.name === "shop_button_clicked");
		expect(click).toMatchObject({ type: "custom", props: { tab: "weapons", client: true } });
		const start = mine.find((e) => e.type === "session_start")!;
		expect(start.props).toMatchObject({ device: "console", gamepad: true, tenFoot: true });
		expect(click!.sessionId).toBe(start.sessionId);
		const error = mine.find((e) => e.type === "error");
		expect(error).toMatchObject({ name: "client_error", props: { side: "client" } });
		expect(String(error!.props.message)).toContain("ui exploded");
		// The invalid client call warned once on the client, never on the server.
		expect(
			w
				.client(801)
				.lines("warn")
				.filter((l) => l.includes("VantageClient.track call ignored")),
		).toHaveLength(1);
		expect(w.server.lines("warn")).toEqual([]);
	});

	it("waits for the server's RemoteEvent and sends what was tracked meanwhile", async () => {
		world = await World.create({
			tree: sdkTree(),
			gameId: Number(GAME),
			config: { secrets: { vantage_game_key: gameKey } },
		});
		await world.addPlayer({ userId: 802, name: "early" });
		await world.run(802, `local C = ${VANTAGE}.VantageClient C.start() C.track("before_server_started")`);
		await world.advance(3);
		await world.run("server", `assert(${VANTAGE}.Vantage.start({ endpoint = "${backend.url}", flushSeconds = 5 }))`);
		await world.advance(6);
		expect((await events(802)).map((e) => e.name)).toContain("before_server_started");
	});

	it("ignores the userId a client claims: events go to the sender", async () => {
		const w = await startedWorld([803, 804]);
		await w.run(
			803,
			`${REMOTE}:FireServer({ kind = "event", name = "forged", userId = 804, props = { userId = 804 } })
			${REMOTE}:FireServer({ kind = "event", name = "forged_too", userId = 999 })`,
		);
		await w.advance(6);
		const sender = (await events(803)).filter((e) => e.type === "custom");
		expect(sender.map((e) => [e.name, e.props])).toEqual([
			["forged", { userId: 804, client: true }],
			["forged_too", { client: true }],
		]);
		expect((await events(804)).filter((e) => e.type === "custom")).toEqual([]);
		expect(await events(999)).toEqual([]);
	});

	it("rate-limits a flooding client, counts every refused message and reports the flood once", async () => {
		const w = await startedWorld([805, 806], ", clientEventBurst = 20, clientEventsPerSecond = 2");
		await w.run(805, `for i = 1, 500 do ${REMOTE}:FireServer({ kind = "event", name = "flood" }) end`);
		await w.run(806, `${REMOTE}:FireServer({ kind = "event", name = "calm" })`);
		await w.advance(6);
		const { stats, rejects } = await serverState(w);
		expect(stats).toMatchObject({ clientRateLimited: 480, clientRejected: 0 });
		expect(rejects).toEqual(["805: rate limited"]);
		expect((await events(805)).filter((e) => e.name === "flood")).toHaveLength(20);
		// The flood costs other players nothing.
		expect((await events(806)).map((e) => e.name)).toContain("calm");
		expect(w.server.lines("error")).toEqual([]);
	});

	it("rejects and counts malformed payloads without an error on the server", async () => {
		const w = await startedWorld([807], ", clientEventBurst = 100");
		const payloads = [
			`"event"`,
			`42`,
			`nil`,
			`function() end`,
			`workspace`,
			`{ kind = "purchase", name = "free_robux" }`,
			`{ kind = "session_start", name = "player" }`,
			`{ kind = "event" }`,
			`{ kind = "event", name = string.rep("n", 129) }`,
			`{ kind = "event", name = "x", props = { nested = { a = 1 } } }`,
			`{ kind = "event", name = "x", props = { s = string.rep("a", 2000) } }`,
			`{ kind = "event", name = "x", props = { 1, 2, 3 } }`,
			`{ kind = "event", name = "x", props = { n = 0/0 } }`,
			`{ kind = "device", device = "iPhone" }`,
			`{ kind = "device", device = { device = "desktop", touch = "yes" } }`,
			`{ kind = "error", message = { "x" }, stack = "" }`,
			`setmetatable({ kind = "event", name = 5 }, { __index = function() return "x" end })`,
		];
		await w.run(807, payloads.map((p) => `${REMOTE}:FireServer(${p})`).join("\n"));
		await w.run(807, `${REMOTE}:FireServer({ kind = "event", name = "valid_after_junk" })`);
		await w.advance(6);
		const { stats, rejects } = await serverState(w);
		expect(stats).toMatchObject({ clientRejected: payloads.length, clientRateLimited: 0 });
		expect(rejects).toHaveLength(payloads.length);
		const custom = (await events(807)).filter((e) => e.type === "custom" || e.type === "purchase");
		expect(custom.map((e) => e.name)).toEqual(["valid_after_junk"]);
		expect(w.server.lines("error")).toEqual([]);
		expect(w.server.lines("warn")).toEqual([]);
	});
});
