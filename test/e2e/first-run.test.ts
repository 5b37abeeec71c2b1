// Studio and first run, end to end: the compiled SDK in a harness World next to the real backend. Each of the three
// things that keep a new game from sending (HTTP requests off, an unpublished place, no game key) is said once in
// plain words, the game keeps running, nothing is requested, and the events are kept (or, where nothing can ever be
// sent, counted as a dry run); `debug` prints each queued event and each batch's outcome; a dry run (the example's
// Studio script, example/studio/DryRun.server.luau) sends nothing, counts its batches and still assigns experiments.
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestBackend, type TestBackend } from "./backend.js";
import { ensureSdkBuilt, repoRoot, sdkTree } from "./sdk-build.js";
import { script, World, type WorldOptions } from "../harness/world.js";
import { DataStoreBackend } from "../harness/services/datastore.js";
import type { TreeNode } from "../harness/project.js";

const GAME = "4245";
const VANTAGE = `require(game:GetService("ReplicatedStorage").Vantage)`;
const PLAYERS = `game:GetService("Players")`;

interface Event {
	userId: number;
	type: string;
	name: string;
	props: Record<string, unknown>;
}

describe("Studio and first run", () => {
	let server: TestBackend;
	const worlds: World[] = [];

	beforeAll(async () => {
		ensureSdkBuilt();
		server = await startTestBackend(GAME);
	});

	afterEach(async () => {
		for (const w of worlds.splice(0)) await w.destroy();
	});

	afterAll(async () => {
		await server?.close();
	});

	/** A published place (both ids set) with the game key secret and HTTP on, unless `options` say otherwise. */
	async function newWorld(options: Partial<WorldOptions> = {}, scripts: TreeNode[] = []): Promise<World> {
		const tree = sdkTree();
		if (scripts.length > 0) {
			tree.children.push({ name: "ServerScriptService", className: "ServerScriptService", children: scripts });
		}
		const world = await World.create({
			tree,
			gameId: Number(GAME),
			placeId: 1,
			...options,
			config: { secrets: { vantage_game_key: server.gameKey }, ...options.config },
		});
		worlds.push(world);
		return world;
	}

	async function events(): Promise<Event[]> {
		const res = await fetch(`${server.url}/v1/games/${GAME}/events?limit=1000`, {
			headers: { Authorization: server.adminAuth },
		});
		expect(res.status).toBe(200);
		return ((await res.json()) as { events: Event[] }).events;
	}

	async function stats(world: World): Promise<Record<string, number>> {
		const [s] = await world.run<[Record<string, number>]>("server", `return ${VANTAGE}.Vantage.stats()`);
		return s;
	}

	/** Starts Vantage with `extra` options; returns what start returned. */
	async function start(world: World, extra = ""): Promise<boolean> {
		const [ok] = await world.run<[boolean]>(
			"server",
			`return ${VANTAGE}.Vantage.start({ endpoint = "${server.url}", flushSeconds = 5, sessionStartWaitSeconds = 1 ${extra} })`,
		);
		return ok;
	}

	/** A player joins and the game tracks `name` for them; returns what track returned. */
	async function trackFor(world: World, userId: number, name: string, props = "{ level = 3 }"): Promise<boolean> {
		if (!world.userIds.includes(userId)) await world.addPlayer({ userId, name: `P${userId}` });
		const [ok] = await world.run<[boolean]>(
			"server",
			`return ${VANTAGE}.Vantage.track(${PLAYERS}:GetPlayerByUserId(${userId}), "${name}", ${props})`,
		);
		return ok;
	}

	/** A game script that counts on Heartbeat: it keeps counting only if nothing broke the server's scheduler. */
	const heartbeatCounter = script(
		"Counter",
		`local n = 0
		game:GetService("RunService").Heartbeat:Connect(function() n += 1 workspace:SetAttribute("Beats", n) end)`,
	);
	async function beats(world: World): Promise<number> {
		const [n] = await world.run<[number]>("server", `return workspace:GetAttribute("Beats") or 0`);
		return n;
	}

	const vantageLines = (world: World, kind: "print" | "warn") =>
		world.server.lines(kind).filter((l) => l.startsWith("[Vantage]"));

	it("HTTP requests off: says once to turn them on, makes no request, keeps the events and sends them once on", async () => {
		const world = await newWorld({ isStudio: true, config: { httpEnabled: false } }, [heartbeatCounter]);
		await world.start();
		expect(await start(world)).toBe(true);
		expect(await trackFor(world, 801, "first_level")).toBe(true);
		await world.advance(120);
		expect(world.server.lines("warn")).toEqual([
			"[Vantage] HTTP requests are off. Turn on Game Settings > Security > Allow HTTP Requests. Events wait in memory (up to 100000) until then.",
		]);
		expect(world.server.lines("error")).toEqual([]);
		expect(await beats(world)).toBeGreaterThan(120 * 50);
		// No request was even tried: not the batches, not a token, not the experiment config.
		expect(await world.server.callH("httpAttempts")).toBe(0);
		const kept = await stats(world);
		expect(kept).toMatchObject({ dropped: 0, sent: 0, failedRequests: 0, spilled: 0 });
		expect(kept.queued).toBeGreaterThanOrEqual(3);
		// Turned on during the play test (Studio's command bar can): the kept events go out, nothing more is said.
		await world.server.callH("setHttpEnabled", true);
		await world.advance(60);
		const names = (await events()).filter((e) => e.userId === 801).map((e) => e.name);
		expect(names).toEqual(expect.arrayContaining(["first_level"]));
		expect(await stats(world)).toMatchObject({ queued: 0, dropped: 0 });
		// Still said once (a network hiccup on the first request may add a line of its own: not this one again).
		expect(world.server.lines("warn").filter((l) => l.includes("HTTP requests are off"))).toHaveLength(1);
	});

	it("unpublished place: says once to publish, sends and saves nothing, counts the events as a dry run", async () => {
		// HTTP on and a secret present: the place alone keeps Vantage local (GameId and PlaceId 0 in Studio).
		const dataStores = new DataStoreBackend();
		const world = await newWorld({ isStudio: true, gameId: 0, placeId: 0, config: { dataStores } }, [heartbeatCounter]);
		await world.start();
		expect(await start(world)).toBe(true);
		expect(await trackFor(world, 802, "first_level")).toBe(true);
		await world.advance(60);
		expect(world.server.lines("warn")).toEqual([
			"[Vantage] this place is not published, so nothing is sent or saved (events are checked and counted like a dry run). Publish it (File > Publish to Roblox), then turn on Game Settings > Security > Allow HTTP Requests and add the game key secret.",
		]);
		expect(world.server.lines("error")).toEqual([]);
		expect(await beats(world)).toBeGreaterThan(60 * 50);
		expect(await world.server.callH("httpAttempts")).toBe(0);
		const s = await stats(world);
		expect(s).toMatchObject({ sent: 0, dropped: 0, spilled: 0, queued: 0 });
		// The server's session_start, the player's and first_level.
		expect(s.dryRunEvents).toBeGreaterThanOrEqual(3);
		expect(s.dryRunBatches).toBeGreaterThanOrEqual(1);
		expect(dataStores.keys("VantageSpill")).toEqual([]);
		expect((await events()).filter((e) => e.userId === 802)).toEqual([]);
		expect(dataStores.keys("VantagePlayers")).toEqual([]);

		// With consent on, answers are kept in memory for the play test: still the one message, no DataStore.
		const withConsent = await newWorld({ isStudio: true, gameId: 0, placeId: 0, config: { dataStores } });
		expect(await start(withConsent, ", consent = true")).toBe(true);
		expect(await trackFor(withConsent, 812, "first_level")).toBe(true);
		await withConsent.advance(30);
		expect(withConsent.server.lines("warn")).toEqual(world.server.lines("warn"));
		expect(await withConsent.server.callH("httpAttempts")).toBe(0);
		expect(dataStores.keys("VantageConsent")).toEqual([]);
	});

	it("no game key secret on a live server: says once where to add it, no request, events saved for a server that has it", async () => {
		const dataStores = new DataStoreBackend();
		const world = await newWorld({ jobId: "no-key", config: { secrets: {}, dataStores } }, [heartbeatCounter]);
		await world.start();
		expect(await start(world, ", spillAfterSeconds = 30")).toBe(true);
		expect(await trackFor(world, 803, "first_level")).toBe(true);
		await world.advance(90);
		expect(world.server.lines("warn")).toEqual([
			'[Vantage] no game key: the secret "vantage_game_key" was not found. Add it in the Creator Hub (your experience > Secrets); running servers keep the secrets they started with. Events are kept and saved to DataStore; a server started after the fix sends them.',
		]);
		expect(world.server.lines("error")).toEqual([]);
		expect(await beats(world)).toBeGreaterThan(90 * 50);
		expect(await world.server.callH("httpAttempts")).toBe(0);
		expect((await stats(world)).spilled).toBeGreaterThanOrEqual(3);
		await world.shutdown();
		expect(world.server.lines("warn")).toHaveLength(1);
		// The secret is added; a new server of the experience sends what the first one saved.
		const fixed = await newWorld({ jobId: "with-key", config: { dataStores } });
		expect(await start(fixed, ", spillDrainSeconds = 10")).toBe(true);
		await fixed.advance(60);
		const sent = (await events()).filter((e) => e.userId === 803).map((e) => `${e.type} ${e.name}`);
		expect(sent).toEqual(expect.arrayContaining(["session_start player", "custom first_level", "session_end player"]));
		expect(dataStores.keys("VantageSpill").filter((k) => k.startsWith("c/"))).toEqual([]);
	});

	it("an empty gameKeySecret in Studio: starts, says once to set it, makes no request", async () => {
		const world = await newWorld({ isStudio: true });
		expect(await start(world, `, gameKeySecret = ""`)).toBe(true);
		expect(await trackFor(world, 804, "first_level")).toBe(true);
		await world.advance(60);
		expect(world.server.lines("warn")).toEqual([
			'[Vantage] no game key: the `gameKeySecret` option is empty. Set it to the name of the secret holding your game key (default "vantage_game_key"). Events wait in memory (up to 100000) until then.',
		]);
		expect(world.server.lines("error")).toEqual([]);
		expect(await world.server.callH("httpAttempts")).toBe(0);
		expect((await stats(world)).queued).toBeGreaterThanOrEqual(3);
	});

	it("debug prints each event as it is queued and each batch's outcome; nothing without debug", async () => {
		const world = await newWorld();
		expect(await start(world, ", debug = true")).toBe(true);
		expect(await trackFor(world, 805, "level_up", `{ level = 3, mode = "hard" }`)).toBe(true);
		// Printed within a frame of the call, long before the batch is sealed.
		await world.advance(0.1);
		expect(vantageLines(world, "print")).toContain(
			'[Vantage] queued custom "level_up" user 805 {level=3, mode="hard"}',
		);
		await world.advance(10);
		const outcome = vantageLines(world, "print").filter((l) => / HTTP 200, /.test(l));
		expect(outcome.length).toBeGreaterThanOrEqual(1);
		expect(outcome[0]).toMatch(/^\[Vantage\] batch \S+: HTTP 200, \d+ accepted, 0 duplicates, 0 rejected$/);
		expect(vantageLines(world, "print").some((l) => /queued session_start "player" user 805 \{/.test(l))).toBe(true);

		// A backend that cannot be reached: the batch's outcome says it is kept and when it is tried again.
		const down = await newWorld();
		const [ok] = await down.run<[boolean]>(
			"server",
			`return ${VANTAGE}.Vantage.start({ endpoint = "http://127.0.0.1:9", flushSeconds = 5, debug = true })`,
		);
		expect(ok).toBe(true);
		await down.advance(8);
		expect(
			vantageLines(down, "print").some((l) =>
				/^\[Vantage\] batch \S+: .+; \d+ events kept, retrying in \d+\.\d s$/.test(l),
			),
		).toBe(true);

		const quiet = await newWorld();
		expect(await start(quiet)).toBe(true);
		expect(await trackFor(quiet, 806, "level_up")).toBe(true);
		await quiet.advance(10);
		expect((await stats(quiet)).sent).toBeGreaterThanOrEqual(3);
		expect(quiet.server.lines("print")).toEqual([]);
	});

	it("dry run (the example's Studio script): the whole pipeline, nothing sent, batches printed and counted, experiments assigned", async () => {
		const dryRun = { name: "DryRun", className: "Script", path: join(repoRoot, "example/studio/DryRun.server.luau") };
		const world = await newWorld({}, [dryRun as TreeNode]);
		await world.start();
		await world.addPlayer({ userId: 807, name: "Tester" });
		await world.advance(12);
		const prints = world.server.lines("print");
		expect(prints).toContain("[Vantage] local config: 1 experiments, 0 flags");
		expect(
			prints.some((l) => /^\[Vantage\] queued custom "studio_join" user 807 \{difficulty="(classic|hard)"\}$/.test(l)),
		).toBe(true);
		expect(prints.some((l) => /^\[Vantage\] queued exposure "obby_difficulty" user 807 \{/.test(l))).toBe(true);
		const batch = prints.find((l) => l.startsWith("[Vantage] dry run: batch "));
		expect(batch).toMatch(/not sent: \d+ events, \d+ bytes of JSON \(.*custom "studio_join" ×1/);
		const summary = prints.find((l) => l.startsWith("Vantage dry run: "));
		expect(summary).toMatch(/^Vantage dry run: [1-9]\d* events in [1-9]\d* batches, 0 sent$/);
		expect(world.server.lines("warn")).toEqual([]);
		expect(await world.server.callH("httpAttempts")).toBe(0);
		expect((await events()).filter((e) => e.userId === 807)).toEqual([]);
		// The same player gets the same variation every time, from the local config (assigned, not "noConfig").
		const [a, b] = await world.run<[Record<string, unknown>, Record<string, unknown>]>(
			"server",
			`local V = ${VANTAGE}.Vantage
			local p = ${PLAYERS}:GetPlayerByUserId(807)
			return V.getVariant(p, "obby_difficulty"), V.getVariant(p, "obby_difficulty")`,
		);
		expect(a).toEqual(b);
		expect(a).toMatchObject({ inExperiment: true, reason: "assigned" });
		expect(["classic", "hard"]).toContain(a.key);
		expect(await stats(world)).toMatchObject({ sent: 0, dropped: 0, spilled: 0, failedRequests: 0 });
	});
});
