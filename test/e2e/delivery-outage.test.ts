// End to end: the SDK's delivery pipeline (the compiled model, as a Rojo user gets it) in a harness game server with
// 100 players tracking for 10 minutes of virtual time, against the real backend over real HTTP. The backend is
// stopped for 3 minutes in the middle (the server spills to DataStore after a minute and drains it back when the
// backend returns), then stopped again just before the server shuts down (BindToClose spills what is left). Two new
// servers sharing the experience's DataStore start together and drain the spill. The backend must end with exactly
// the events tracked: none lost, none twice.
//
// The scenario runs twice. First with events built the way tracking builds them (time-ordered ids from the SDK's
// IdGenerator) and handed to the pipeline directly, so the test knows and compares every id it tracked. Then through
// the public API a game uses (Vantage.start, Vantage.track with each player's running count), with the players'
// sessions, compared by (player, count): every tracked call stored once, and nothing else but the sessions.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.js";
import { createLogger } from "../../server/logger.js";
import { startServer } from "../../server/server.js";
import { fetchAdminAuth, provisionAdmin, provisionGameKey } from "../../server/testing/provision.js";
import { DataStoreBackend } from "../harness/services/datastore.js";
import { httpLog, httpPeakPerMinute } from "../harness/services/http.js";
import { joinPlayer, World, type WorldOptions } from "../harness/world.js";
import { ensureSdkBuilt, sdkTree } from "./sdk-build.js";

const GAME_ID = 4343;
const PUBLIC_GAME_ID = 4344;

interface StoredEvent {
	id: string;
	userId: number;
	type: string;
	name: string;
	props: Record<string, unknown>;
}
const PLAYERS = 100;
const EPOCH = 1767225600;
const SPILL_STORE = "VantageSpill";

/** Starts the pipeline on a server VM; with `track`, every player tracks an event every 2 s until they leave. */
function startScript(url: string, track: boolean): string {
	return `
		local RS = game:GetService("ReplicatedStorage")
		local Players = game:GetService("Players")
		local HttpService = game:GetService("HttpService")
		local delivery = RS.Vantage.server.delivery
		local DeliveryPipeline = require(delivery.pipeline).DeliveryPipeline
		local options = require(delivery.options).resolveDeliveryOptions({ endpoint = "${url}", flushSeconds = 10 }, false)
		assert(type(options) == "table", options)
		local warnings = { lines = {} }
		function warnings:warn(message)
			table.insert(self.lines, message)
		end
		local pipeline = DeliveryPipeline.new(options, warnings)
		pipeline:start()
		_G.vantage = { pipeline = pipeline, warnings = warnings.lines, tracked = {} }
		if ${track} then
			local ids = require(RS.Vantage.shared.ids)
			local gen = ids.IdGenerator.new(ids.prefixFromGuid(HttpService:GenerateGUID(false)), function()
				return DateTime.now().UnixTimestampMillis
			end)
			for _, player in Players:GetPlayers() do
				task.spawn(function()
					task.wait((player.UserId % 20) / 10)
					local n = 0
					while player.Parent == Players do
						n += 1
						local id = gen:next()
						pipeline:enqueue({
							id = id,
							time = DateTime.now().UnixTimestampMillis,
							userId = player.UserId,
							sessionId = "session-" .. player.UserId,
							type = "custom",
							name = "step",
							props = { n = n, zone = "forest", vip = player.UserId % 10 == 0 },
						})
						table.insert(_G.vantage.tracked, id)
						task.wait(2)
					end
				end)
			end
		end
	`;
}

const STATS = `return _G.vantage.pipeline:stats(), _G.vantage.warnings`;

/** Vantage.start on a server VM; with `track`, every player calls Vantage.track every 2 s until they leave. */
function publicStartScript(url: string, track: boolean): string {
	return `
		local RS = game:GetService("ReplicatedStorage")
		local Players = game:GetService("Players")
		local Vantage = require(RS.Vantage).Vantage
		assert(Vantage.start({ endpoint = "${url}", flushSeconds = 10, sessionStartWaitSeconds = 1 }), "start failed")
		_G.counts = {}
		if ${track} then
			for _, player in Players:GetPlayers() do
				task.spawn(function()
					task.wait((player.UserId % 20) / 10)
					local n = 0
					while player.Parent == Players do
						n += 1
						assert(Vantage.track(player, "step", { n = n, zone = "forest", vip = player.UserId % 10 == 0 }))
						_G.counts[tostring(player.UserId)] = n
						task.wait(2)
					end
				end)
			end
		end
	`;
}

const PUBLIC_STATS = `return require(game:GetService("ReplicatedStorage").Vantage).Vantage.stats()`;
const OUTAGE_WARNING = "cannot deliver events to the backend right now; they are kept and retried";

/**
 * A game server of the experience with the SDK model. The first server of a scenario starts at EPOCH with room for
 * every player; `later` servers start 700 s on, when the first has shut down.
 */
function gameServer(gameId: number, jobId: string, config: WorldOptions["config"], later = false): Promise<World> {
	return World.create({
		tree: sdkTree(),
		gameId,
		jobId,
		config,
		epochSeconds: later ? EPOCH + 700 : EPOCH,
		...(later ? {} : { maxPlayers: PLAYERS }),
	});
}

/** A free TCP port on loopback (the backend restarts on the same one). */
async function freePort(): Promise<number> {
	const probe = createServer();
	await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
	const port = (probe.address() as { port: number }).port;
	await new Promise<void>((resolve) => probe.close(() => resolve()));
	return port;
}

describe("delivery through a backend outage and a shutdown", () => {
	let dataDir: string;
	let port: number;
	let url: string;
	let gameKey: string;
	let adminAuth: string;
	let publicKey: string;
	let backend: Awaited<ReturnType<typeof startServer>> | undefined;

	const startBackend = async () => {
		backend = await startServer(loadConfig({ PORT: String(port), HOST: "127.0.0.1", VANTAGE_DATA_DIR: dataDir }), {
			logger: createLogger({ level: "error" }),
			shutdownGraceMs: 1000,
		});
		url = backend.url;
	};
	const stopBackend = async () => {
		await backend?.close();
		backend = undefined;
	};

	/** Every event the backend stored for a game, in id order. */
	const storedEvents = async (gameId = GAME_ID): Promise<StoredEvent[]> => {
		const events: StoredEvent[] = [];
		let after: string | null = null;
		do {
			const query = new URLSearchParams({ limit: "1000", ...(after ? { after } : {}) });
			const res = await fetch(`${url}/v1/games/${gameId}/events?${query}`, { headers: { Authorization: adminAuth } });
			expect(res.status).toBe(200);
			const page = (await res.json()) as { events: StoredEvent[]; next: string | null };
			events.push(...page.events);
			after = page.next;
		} while (after);
		return events;
	};
	const storedIds = async (): Promise<string[]> => (await storedEvents()).map((e) => e.id);

	beforeAll(async () => {
		ensureSdkBuilt();
		dataDir = mkdtempSync(join(tmpdir(), "vantage-outage-"));
		port = await freePort();
		await startBackend();
		gameKey = await provisionGameKey(dataDir, String(GAME_ID));
		// Both games exist before the analyst: an analyst's role is granted per game, on the games there are.
		publicKey = await provisionGameKey(dataDir, String(PUBLIC_GAME_ID));
		adminAuth = await fetchAdminAuth(url, await provisionAdmin(dataDir, "analyst"));
	});

	afterAll(async () => {
		await stopBackend();
		rmSync(dataDir, { recursive: true, force: true });
	});

	it("100 players, 10 minutes, a 3-minute outage, a shutdown while down: every tracked event stored exactly once", async () => {
		const dataStores = new DataStoreBackend();
		const config = { secrets: { vantage_game_key: gameKey }, dataStores };
		const first = await gameServer(GAME_ID, "server-1", config);
		let tracked: string[];
		try {
			for (let i = 0; i < PLAYERS; i++) await joinPlayer(first.server, { userId: 1000 + i, name: `Player${i}` });
			await first.run("server", startScript(url, true));

			// 0:00–3:30 the backend answers; 3:30–6:30 it is down; back until 9:30; down again for the shutdown.
			await first.advance(210);
			const [beforeOutage] = await first.run<[Record<string, number>]>("server", STATS);
			expect(beforeOutage.queued).toBeLessThan(600);
			await stopBackend();
			await first.advance(180);
			const [duringOutage] = await first.run<[Record<string, number>]>("server", STATS);
			// Spilled after a minute of outage; memory holds only what came since the last spill.
			expect(duringOutage.spilled).toBeGreaterThan(3000);
			expect(duringOutage.queued).toBeLessThan(3000);
			await startBackend();
			await first.advance(180);
			const [afterOutage] = await first.run<[Record<string, number>]>("server", STATS);
			// The server drained its own spill once the backend was back.
			expect(afterOutage.drained).toBe(afterOutage.spilled);
			expect(dataStores.keys(SPILL_STORE).filter((k) => k.startsWith("c/"))).toEqual([]);
			await stopBackend();
			await first.advance(30);

			[tracked] = await first.run<[string[]]>("server", `return _G.vantage.tracked`);
			const report = await first.shutdown({ keepServer: true });
			expect(report.finished).toBe(true);
			expect(report.seconds).toBeLessThan(30);
			const [atClose, warnings] = await first.server.run<[Record<string, number>, string[]]>(STATS);
			expect(atClose).toMatchObject({ queued: 0, dropped: 0, rejected: 0 });
			// One line per outage, no error spam.
			expect(warnings).toEqual([
				"cannot deliver events to the backend right now; they are kept and retried",
				"cannot deliver events to the backend right now; they are kept and retried",
			]);
			// Well inside the default budget of 30 requests a minute (Roblox allows 500).
			expect(httpPeakPerMinute(first.server)).toBeLessThanOrEqual(30);
			expect(first.server.lines("error")).toEqual([]);
		} finally {
			await first.destroy();
		}
		expect(tracked.length).toBeGreaterThan(29000);
		const parked = dataStores.keys(SPILL_STORE).filter((k) => k.startsWith("c/"));
		expect(parked.length).toBeGreaterThan(0);
		let parkedBatches = 0;
		for (const key of parked)
			parkedBatches += (dataStores.get(SPILL_STORE, key) as { batches: unknown[] }).batches.length;

		// The backend is back; two new servers of the experience start together and drain the spill.
		await startBackend();
		const next = await Promise.all(["server-2", "server-3"].map((jobId) => gameServer(GAME_ID, jobId, config, true)));
		try {
			// Both run at once: their DataStore and HTTP calls interleave as real servers' would.
			await Promise.all(next.map((world) => world.run("server", startScript(url, false))));
			for (let s = 0; s < 120 && dataStores.keys(SPILL_STORE).some((k) => k.startsWith("c/")); s++) {
				await Promise.all(next.map((world) => world.advance(1)));
			}
			expect(dataStores.keys(SPILL_STORE)).toEqual([]);
			// Each parked batch was sent by one of the two servers, once.
			const batchPosts = next.flatMap((w) => httpLog(w.server).filter((r) => r.url.endsWith("/v1/batches")));
			expect(batchPosts.map((r) => r.status)).toEqual(Array(parkedBatches).fill(200));
			let drained = 0;
			for (const world of next) {
				const [stats] = await world.run<[Record<string, number>]>("server", STATS);
				drained += stats.drained;
				expect(world.server.lines("error")).toEqual([]);
			}
			expect(drained).toBeGreaterThan(0);
		} finally {
			for (const world of next) await world.destroy();
		}

		const stored = await storedIds();
		expect(new Set(stored).size).toBe(stored.length);
		expect(stored.length).toBe(tracked.length);
		expect([...stored].sort()).toEqual([...tracked].sort());
	}, 120_000);

	it("the same through Vantage.start and Vantage.track: every call stored once, with the 100 sessions", async () => {
		const dataStores = new DataStoreBackend();
		const config = { secrets: { vantage_game_key: publicKey }, dataStores };
		const first = await gameServer(PUBLIC_GAME_ID, "public-1", config);
		let counts: Record<string, number>;
		try {
			for (let i = 0; i < PLAYERS; i++) await joinPlayer(first.server, { userId: 2000 + i, name: `Player${i}` });
			await first.run("server", publicStartScript(url, true));
			await first.advance(210);
			await stopBackend();
			await first.advance(180);
			const [duringOutage] = await first.run<[Record<string, number>]>("server", PUBLIC_STATS);
			expect(duringOutage.spilled).toBeGreaterThan(3000);
			await startBackend();
			await first.advance(180);
			const [afterOutage] = await first.run<[Record<string, number>]>("server", PUBLIC_STATS);
			expect(afterOutage.drained).toBe(afterOutage.spilled);
			await stopBackend();
			await first.advance(30);
			[counts] = await first.run<[Record<string, number>]>("server", `return _G.counts`);
			const report = await first.shutdown({ keepServer: true });
			expect(report.finished).toBe(true);
			const [atClose] = await first.server.run<[Record<string, number>]>(PUBLIC_STATS);
			expect(atClose).toMatchObject({ queued: 0, dropped: 0, rejected: 0 });
			// A few lines about the outage (delivery, and the experiment config poll sharing its budget), no spam.
			const warnings = first.server.lines("warn");
			expect(warnings).toContain(`[Vantage] ${OUTAGE_WARNING}`);
			expect(warnings.length).toBeLessThanOrEqual(4);
			for (const line of warnings) {
				expect(line).toMatch(/^\[Vantage\] (cannot deliver events|could not fetch the experiment config)/);
			}
			expect(httpPeakPerMinute(first.server)).toBeLessThanOrEqual(30);
			expect(first.server.lines("error")).toEqual([]);
		} finally {
			await first.destroy();
		}
		expect(Object.keys(counts)).toHaveLength(PLAYERS);
		expect(dataStores.keys(SPILL_STORE).some((k) => k.startsWith("c/"))).toBe(true);

		await startBackend();
		const next = await gameServer(PUBLIC_GAME_ID, "public-2", config, true);
		try {
			await next.run("server", publicStartScript(url, false));
			for (let s = 0; s < 120 && dataStores.keys(SPILL_STORE).some((k) => k.startsWith("c/")); s++) {
				await next.advance(1);
			}
			expect(dataStores.keys(SPILL_STORE)).toEqual([]);
			expect(next.server.lines("error")).toEqual([]);
		} finally {
			await next.destroy();
		}

		const stored = await storedEvents(PUBLIC_GAME_ID);
		expect(new Set(stored.map((e) => e.id)).size).toBe(stored.length);
		const steps = stored.filter((e) => e.type === "custom" && e.name === "step");
		const expected = Object.entries(counts).flatMap(([userId, n]) =>
			Array.from({ length: n }, (_, i) => `${userId}:${i + 1}`),
		);
		expect(expected.length).toBeGreaterThan(29000);
		const got = steps.map((e) => `${e.userId}:${String(e.props.n)}`);
		expect(new Set(got).size).toBe(got.length); // no call stored twice, even under a new id
		expect(got.sort()).toEqual(expected.sort());
		// Besides the steps: each player's session, and the game server's own (user 0) from the first server.
		const others = new Map<string, number>();
		for (const e of stored) {
			if (e.type === "custom" && e.name === "step") continue;
			const key = `${e.type}:${e.userId === 0 ? "server" : "player"}`;
			others.set(key, (others.get(key) ?? 0) + 1);
		}
		expect(Object.fromEntries(others)).toEqual({
			"session_start:player": PLAYERS,
			"session_end:player": PLAYERS,
			"session_start:server": 1,
			"session_end:server": 1,
		});
	}, 120_000);
});
