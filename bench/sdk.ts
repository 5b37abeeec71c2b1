// The SDK's costs on a game server, in the harness (the compiled SDK model in a server VM):
//
//   npm run bench -- sdk [--rounds 7] [--calls 20000] [--minutes 3] [--backend real|scripted|both]
//
// 1. CPU: in the same Luau VM, the time of `Vantage.track(player, name, props)` against a bare
//    `table.insert(list, props)` of the same props table, and of the delivery pipeline's `enqueue` alone (its share
//    of track), and of the work `track` defers to the delivery worker (Tracker.buildInto: validating name and props,
//    the id, the wire event; run at seal time, off the caller's thread). Real time: os.clock is virtual in the harness, so a host function gives the VM the host's
//    performance.now(), read once before and once after each loop of `calls` calls. Round 0 warms up.
// 2. HTTP requests per minute at 1000 events/s: Vantage.start with its defaults, 50 players, 1000 track() calls per
//    virtual second for `minutes`, against the real backend (in process) and/or the scripted contract backend
//    (test/harness/services/scripted-backend.ts, which takes 10000 events per batch as the SDK's default needs).
//    Counts every request (tokens included) per virtual minute from the VM's HTTP log; the first minute (token,
//    first interval) is left out of the median.
// Prints per-round figures and medians, next to GameAnalytics' scheme (8 s flushes of at most 500 events: 120/min).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../server/config.js";
import { MAX_EVENTS_PER_BATCH } from "../server/ingest/schema.js";
import { createLogger } from "../server/logger.js";
import { startServer } from "../server/server.js";
import { provisionGameKey } from "../server/testing/provision.js";
import { repoRoot, sdkTree } from "../test/e2e/sdk-build.js";
import { httpLog } from "../test/harness/services/http.js";
import { ScriptedBackend } from "../test/harness/services/scripted-backend.js";
import type { ServicePlugin } from "../test/harness/vm.js";
import { joinPlayer, World } from "../test/harness/world.js";

const SDK_BATCH_EVENTS = 10000;
const EVENTS_PER_SECOND = 1000;

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A harness plugin giving the VM `benchNow()`: the host's real clock in milliseconds. */
function realClockPlugin(dir: string): ServicePlugin {
	const chunk = join(dir, "bench-clock.luau");
	writeFileSync(chunk, "local H = ...\nH.sharedEnv.benchNow = H.host.benchNow\n");
	return { name: "bench-clock", chunks: [chunk], host: () => ({ benchNow: () => performance.now() }) };
}

async function cpu(rounds: number, calls: number, dir: string): Promise<void> {
	const world = await World.create({
		tree: sdkTree(),
		plugins: [realClockPlugin(dir)],
		config: { secrets: { vantage_game_key: "unused" } },
	});
	try {
		await joinPlayer(world.server, { userId: 1001, name: "Ada" });
		const [result] = await world.run<[{ track: number[]; insert: number[]; enqueue: number[]; build: number[] }]>(
			"server",
			`
			local RS = game:GetService("ReplicatedStorage")
			local Vantage = require(RS.Vantage).Vantage
			-- Nothing is sent while timing: no virtual time passes inside this thread.
			assert(Vantage.start({ endpoint = "http://127.0.0.1:9", flushSeconds = 3600, maxQueuedEvents = 10000000 }))
			local delivery = RS.Vantage.server.delivery
			local options = require(delivery.options).resolveDeliveryOptions(
				{ endpoint = "http://127.0.0.1:9", maxQueuedEvents = 10000000 }, false)
			local pipeline = require(delivery.pipeline).DeliveryPipeline.new(options, { warn = function() end }, { bindToClose = false })
			local player = game:GetService("Players"):GetPlayerByUserId(1001)
			local props = { level = 3, mode = "story", first = true }
			local event = { id = "01KDVDNA1J2KJWXDN400000", time = 1767225600000, userId = 1001, sessionId = "S",
				type = "custom", name = "level_up", props = props }
			-- A standalone Tracker, filled with the records Tracking.trackFast writes, to time the deferred build.
			local Tracker = require(RS.Vantage.server.tracking.tracker).Tracker
			local tracker = Tracker.new({ enqueue = function() end, attach = function() end },
				"{4b1d0c2e-1111-4222-8333-944455556666}", { warn = function() end })
			local session = { id = "S", userId = 1001 }
			local out = { track = {}, insert = {}, enqueue = {}, build = {} }
			for round = 0, ${rounds} do
				local list = table.create(${calls})
				local t0 = benchNow()
				for _ = 1, ${calls} do
					table.insert(list, props)
				end
				local t1 = benchNow()
				for _ = 1, ${calls} do
					Vantage.track(player, "level_up", props)
				end
				local t2 = benchNow()
				for _ = 1, ${calls} do
					pipeline:enqueue(event)
				end
				local t3 = benchNow()
				local records = tracker.records
				for i = 0, ${calls} - 1 do
					local k = i * 4
					records[k + 1] = session
					records[k + 2] = "level_up"
					records[k + 3] = table.clone(props)
					records[k + 4] = os.clock()
				end
				tracker.used = ${calls} * 4
				local built = table.create(${calls})
				local t4 = benchNow()
				tracker:buildInto(built)
				local t5 = benchNow()
				assert(#built == ${calls}, "the build refused records")
				if round > 0 then
					table.insert(out.build, (t5 - t4) * 1000 / ${calls})
					table.insert(out.insert, (t1 - t0) * 1000 / ${calls})
					table.insert(out.track, (t2 - t1) * 1000 / ${calls})
					table.insert(out.enqueue, (t3 - t2) * 1000 / ${calls})
				end
			end
			assert(Vantage.stats().invalidCalls == 0, "track refused calls")
			return out
			`,
			{ maxSeconds: 3600 },
		);
		console.log(`\nCPU per call, real time, ${calls} calls per loop, ${rounds} rounds (µs):`);
		console.log("round  table.insert  Vantage.track  pipeline.enqueue  worker build (deferred)");
		result.track.forEach((t, i) =>
			console.log(
				`${String(i + 1).padStart(5)}  ${result.insert[i]!.toFixed(3).padStart(12)}  ${t.toFixed(3).padStart(13)}  ${result.enqueue[i]!.toFixed(3).padStart(16)}  ${result.build[i]!.toFixed(3).padStart(22)}`,
			),
		);
		const insert = median(result.insert);
		const track = median(result.track);
		const enqueue = median(result.enqueue);
		const build = median(result.build);
		console.log(
			`median  ${insert.toFixed(3).padStart(11)}  ${track.toFixed(3).padStart(13)}  ${enqueue.toFixed(3).padStart(16)}  ${build.toFixed(3).padStart(22)}`,
		);
		console.log(
			`ratio track / table.insert: ${(track / insert).toFixed(1)}× (target ≤ 10×); delivery's enqueue: ${(enqueue / insert).toFixed(1)}×`,
		);
	} finally {
		await world.destroy();
	}
}

/** Requests per virtual minute at 1000 events/s against one backend. */
async function requestsPerMinute(label: string, url: string, gameKey: string, minutes: number, batchEvents: number) {
	const world = await World.create({
		tree: sdkTree(),
		config: { secrets: { vantage_game_key: gameKey } },
		maxPlayers: 50,
	});
	try {
		for (let i = 0; i < 50; i++) await joinPlayer(world.server, { userId: 2000 + i, name: `P${i}` });
		const batchOption = batchEvents === SDK_BATCH_EVENTS ? "" : `maxBatchEvents = ${batchEvents}`;
		await world.run(
			"server",
			`
			local Vantage = require(game:GetService("ReplicatedStorage").Vantage).Vantage
			assert(Vantage.start({ endpoint = "${url}", ${batchOption} }))
			local players = game:GetService("Players"):GetPlayers()
			local owed, n = 0, 0
			-- ${EVENTS_PER_SECOND} events per second of virtual time, spread over the frames.
			game:GetService("RunService").Heartbeat:Connect(function(dt)
				owed += dt * ${EVENTS_PER_SECOND}
				while owed >= 1 do
					owed -= 1
					n += 1
					local player = players[n % #players + 1]
					Vantage.track(player, "step", { n = n, zone = "forest", score = n % 977, vip = n % 10 == 0 })
				end
			end)
			`,
		);
		await world.advance(minutes * 60);
		const [stats] = await world.run<[Record<string, number>]>(
			"server",
			`return require(game:GetService("ReplicatedStorage").Vantage).Vantage.stats()`,
		);
		const perMinute = Array.from({ length: minutes }, () => 0);
		for (const entry of httpLog(world.server)) {
			const minute = Math.floor(entry.at / 60);
			if (minute < minutes) perMinute[minute]! += 1;
		}
		const batches = httpLog(world.server).filter((e) => e.url.endsWith("/v1/batches"));
		const bodies = batches.map((e) => e.bodyBytes);
		const wire = batches.map((e) => e.sentBytes);
		console.log(
			`\n${label}: requests per virtual minute at ${EVENTS_PER_SECOND} events/s (batches of ≤ ${batchEvents}):`,
		);
		console.log(`  per minute: ${perMinute.join(", ")}`);
		console.log(
			`  median (minutes 2-${minutes}): ${median(perMinute.slice(1))} (target ≤ 12; GameAnalytics' scheme: 120)`,
		);
		console.log(
			`  batch body median ${(median(bodies) / 1024).toFixed(0)} KiB JSON, ${(median(wire) / 1024).toFixed(0)} KiB gzip on the wire`,
		);
		console.log(
			`  events sent ${stats.sent}, queued ${stats.queued}, spilled ${stats.spilled}, dropped ${stats.dropped}, failed requests ${stats.failedRequests}`,
		);
	} finally {
		await world.destroy();
	}
}

export async function run(args: string[]): Promise<void> {
	const { values } = parseArgs({
		args,
		options: {
			rounds: { type: "string", default: "7" },
			calls: { type: "string", default: "20000" },
			minutes: { type: "string", default: "3" },
			backend: { type: "string", default: "both" },
		},
	});
	// The current SDK model (incremental: fast when nothing changed).
	execFileSync("npx", ["rbxtsc", "-p", "tsconfig.json", "--type", "model", "--luau=false"], {
		cwd: repoRoot,
		stdio: "inherit",
	});
	const dir = mkdtempSync(join(tmpdir(), "vantage-bench-sdk-"));
	try {
		await cpu(Number(values.rounds), Number(values.calls), dir);
		const minutes = Number(values.minutes);
		if (values.backend === "real" || values.backend === "both") {
			const dataDir = join(dir, "backend");
			const server = await startServer(loadConfig({ PORT: "0", HOST: "127.0.0.1", VANTAGE_DATA_DIR: dataDir }), {
				logger: createLogger({ level: "error" }),
			});
			try {
				const key = await provisionGameKey(dataDir, "5555");
				const batchEvents = Math.min(SDK_BATCH_EVENTS, MAX_EVENTS_PER_BATCH);
				if (batchEvents < SDK_BATCH_EVENTS) {
					console.log(
						`\nnote: the backend takes at most ${MAX_EVENTS_PER_BATCH} events per batch (server/ingest/schema.ts); ` +
							`the SDK's default is ${SDK_BATCH_EVENTS}, so this run uses maxBatchEvents = ${batchEvents}.`,
					);
				}
				await requestsPerMinute("real backend", server.url, key, minutes, batchEvents);
			} finally {
				await server.close();
			}
		}
		if (values.backend === "scripted" || values.backend === "both") {
			const backend = await ScriptedBackend.start();
			try {
				await requestsPerMinute(
					"contract backend (10000 events per batch)",
					backend.url,
					backend.gameKey,
					minutes,
					SDK_BATCH_EVENTS,
				);
			} finally {
				await backend.close();
			}
		}
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}
