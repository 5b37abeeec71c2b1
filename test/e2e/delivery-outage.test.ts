// End to end: the SDK's delivery pipeline (the compiled model, as a Rojo user gets it) in a harness game server with
// 100 players tracking for 10 minutes of virtual time, against the real backend over real HTTP. The backend is
// stopped for 3 minutes in the middle (the server spills to DataStore after a minute and drains it back when the
// backend returns), then stopped again just before the server shuts down (BindToClose spills what is left). Two new
// servers sharing the experience's DataStore start together and drain the spill. The backend must end with exactly
// the events tracked: none lost, none twice.
//
// Events are built the way tracking builds them (time-ordered ids from the SDK's IdGenerator) and handed to the
// pipeline directly, so the test knows every id it tracked; tracking itself is tested elsewhere.
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
import { joinPlayer, World } from "../harness/world.js";
import { ensureSdkBuilt, sdkTree } from "./sdk-build.js";

const GAME_ID = 4343;
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

	/** Every event id the backend stored for the game, in id order. */
	const storedIds = async (): Promise<string[]> => {
		const ids: string[] = [];
		let after: string | null = null;
		do {
			const query = new URLSearchParams({ limit: "1000", ...(after ? { after } : {}) });
			const res = await fetch(`${url}/v1/games/${GAME_ID}/events?${query}`, { headers: { Authorization: adminAuth } });
			expect(res.status).toBe(200);
			const page = (await res.json()) as { events: { id: string }[]; next: string | null };
			for (const e of page.events) ids.push(e.id);
			after = page.next;
		} while (after);
		return ids;
	};

	beforeAll(async () => {
		ensureSdkBuilt();
		dataDir = mkdtempSync(join(tmpdir(), "vantage-outage-"));
		port = await freePort();
		await startBackend();
		gameKey = await provisionGameKey(dataDir, String(GAME_ID));
		adminAuth = await fetchAdminAuth(url, await provisionAdmin(dataDir, "analyst"));
	});

	afterAll(async () => {
		await stopBackend();
		rmSync(dataDir, { recursive: true, force: true });
	});

	it("100 players, 10 minutes, a 3-minute outage, a shutdown while down: every tracked event stored exactly once", async () => {
		const dataStores = new DataStoreBackend();
		const config = { secrets: { vantage_game_key: gameKey }, dataStores };
		const first = await World.create({
			tree: sdkTree(),
			gameId: GAME_ID,
			jobId: "server-1",
			config,
			epochSeconds: EPOCH,
			maxPlayers: PLAYERS,
		});
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
		const next = await Promise.all(
			["server-2", "server-3"].map((jobId) =>
				World.create({ tree: sdkTree(), gameId: GAME_ID, jobId, config, epochSeconds: EPOCH + 700 }),
			),
		);
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
});
