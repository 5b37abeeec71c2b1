// The simulator: how long seeding the history takes, how many events per second go through the SDK in the harness, and
// how much CPU the live simulation uses.
//
//   npm run bench -- sim [--players 2000] [--days 28] [--live-seconds 60]
//
// A real backend (embedded SQLite in a temporary directory) with the demo game (trusting its clock) takes the
// simulated history through the SDK's wire protocol; then the live simulation runs for `live-seconds` of wall time
// while the process's CPU time is measured.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runSimulation } from "../example/simulator/index.js";
import { setupDemoExperiment } from "../example/simulator/setup.js";
import { loadConfig } from "../server/config.js";
import { createLogger } from "../server/logger.js";
import { startServer } from "../server/server.js";
import { fetchAdminAuth, provisionAdmin, provisionGameKey } from "../server/testing/provision.js";
import { ensureSdkBuilt } from "../test/e2e/sdk-build.js";

const GAME = "1818";

export async function run(args: string[]): Promise<void> {
	const { values } = parseArgs({
		args,
		options: {
			players: { type: "string", default: "2000" },
			days: { type: "string", default: "28" },
			"live-seconds": { type: "string", default: "60" },
		},
	});
	const players = Number(values.players);
	const days = Number(values.days);
	ensureSdkBuilt();
	const dataDir = mkdtempSync(join(tmpdir(), "vantage-bench-sim-"));
	const server = await startServer(
		// The simulated server refreshes its token on virtual time: let it, on this loopback-only backend.
		loadConfig({
			PORT: "0",
			HOST: "127.0.0.1",
			VANTAGE_DATA_DIR: dataDir,
			VANTAGE_TOKEN_RATE_PER_MINUTE: "100000",
			VANTAGE_TOKEN_BURST: "100000",
			VANTAGE_TOKEN_TTL_SECONDS: "3600",
		}),
		{ logger: createLogger({ level: "error" }) },
	);
	try {
		const gameKey = await provisionGameKey(dataDir, GAME);
		const owner = await fetchAdminAuth(server.url, await provisionAdmin(dataDir, "owner"));
		await fetch(`${server.url}/v1/admin/games/${GAME}/settings`, {
			method: "PATCH",
			headers: { Authorization: owner, "Content-Type": "application/json" },
			body: JSON.stringify({ trustClientClock: true }),
		});
		const now = Date.now();
		await setupDemoExperiment({
			url: server.url,
			gameId: GAME,
			adminAuth: owner,
			startAt: now - (days + 1) * 86_400_000,
		});

		const t0 = performance.now();
		const cpu0 = process.cpuUsage();
		const report = await runSimulation({
			url: server.url,
			gameKey,
			gameId: GAME,
			players,
			days,
			seedHistory: true,
			live: false,
			now,
			onProgress: (done, total) => process.stdout.write(`\rseeding: day ${done}/${total}`),
		});
		const seedSeconds = (performance.now() - t0) / 1000;
		const cpu = process.cpuUsage(cpu0);
		const events = await countEvents(server.url, owner);
		console.log(
			`\nSeeded ${days} days at ${players} daily players: ${seedSeconds.toFixed(1)} s wall ` +
				`(CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s), ${report.sessions.toLocaleString("en")} sessions, ` +
				`${report.players.toLocaleString("en")} players, ${events.toLocaleString("en")} events stored: ` +
				`${Math.round(events / seedSeconds).toLocaleString("en")} events/s through the SDK in the harness`,
		);

		const liveSeconds = Number(values["live-seconds"]);
		const controller = new AbortController();
		const liveCpu0 = process.cpuUsage();
		const liveT0 = performance.now();
		const live = runSimulation({
			url: server.url,
			gameKey,
			gameId: GAME,
			players,
			days,
			seedHistory: false,
			live: true,
			signal: controller.signal,
		});
		await new Promise((r) => setTimeout(r, liveSeconds * 1000));
		controller.abort();
		await live;
		const liveCpu = process.cpuUsage(liveCpu0);
		const wall = (performance.now() - liveT0) / 1000;
		console.log(
			`Live for ${wall.toFixed(0)} s: CPU ${((liveCpu.user + liveCpu.system) / 1e6).toFixed(2)} s = ` +
				`${((100 * (liveCpu.user + liveCpu.system)) / 1e6 / wall).toFixed(1)}% of one core (simulator and backend in one process)`,
		);
	} finally {
		await server.close();
		rmSync(dataDir, { recursive: true, force: true });
	}
}

/** Events stored, once the warehouse has folded every batch (it counts what it folds). */
async function countEvents(url: string, auth: string): Promise<number> {
	for (;;) {
		const res = await fetch(`${url}/v1/admin/warehouse`, { headers: { Authorization: auth } });
		const status = (await res.json()) as { pendingBatches: number; foldedEvents: number };
		if (status.pendingBatches === 0) return status.foldedEvents;
		await new Promise((r) => setTimeout(r, 200));
	}
}
