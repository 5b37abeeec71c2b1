// The real backend for end-to-end tests: started on an ephemeral loopback port over a fresh data directory, with a
// game key for the game under test and an analyst's admin token for reading results back.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../server/config.js";
import { createLogger } from "../../server/logger.js";
import { startServer, type StartServerOptions } from "../../server/server.js";
import { fetchAdminAuth, provisionAdmin, provisionGameKey } from "../../server/testing/provision.js";
import { runSimulation } from "../../example/simulator/index.js";
import { setupDemoExperiment } from "../../example/simulator/setup.js";
import { ensureSdkBuilt } from "./sdk-build.js";

const DAY = 86_400_000;

export interface TestBackend {
	url: string;
	dataDir: string;
	/** A game key for `gameId` (what the experience secret `vantage_game_key` holds). */
	gameKey: string;
	/** `Authorization` header value of an analyst. */
	adminAuth: string;
	/** Stops the server and removes its data directory. */
	close(): Promise<void>;
}

export async function startTestBackend(
	gameId: string,
	env: Record<string, string> = {},
	options: Pick<StartServerOptions, "shutdownGraceMs"> = {},
): Promise<TestBackend> {
	const dataDir = mkdtempSync(join(tmpdir(), "vantage-e2e-"));
	const server = await startServer(loadConfig({ PORT: "0", HOST: "127.0.0.1", VANTAGE_DATA_DIR: dataDir, ...env }), {
		logger: createLogger({ level: "error" }),
		...options,
	});
	const gameKey = await provisionGameKey(dataDir, gameId);
	const adminAuth = await fetchAdminAuth(server.url, await provisionAdmin(dataDir, "analyst"));
	return {
		url: server.url,
		dataDir,
		gameKey,
		adminAuth,
		close: async () => {
			await server.close();
			rmSync(dataDir, { recursive: true, force: true });
		},
	};
}

/** One ingested event, as the SDK sends it. */
export interface WireEvent {
	id: string;
	time: number;
	userId: number;
	sessionId: string;
	type: string;
	name: string;
	props: Record<string, string | number | boolean | null>;
}

/** Waits until the warehouse has folded every stored batch (metrics read rollups). */
export async function waitForRollups(baseUrl: string, adminAuth: string, timeoutMs = 30_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const res = await fetch(`${baseUrl}/v1/admin/warehouse`, { headers: { Authorization: adminAuth } });
		const status = (await res.json()) as { pendingBatches: number; rebuilding: number };
		if (status.pendingBatches === 0 && status.rebuilding === 0) return;
		if (Date.now() > deadline) throw new Error(`rollups not ready: ${JSON.stringify(status)}`);
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
}

/**
 * A backend for the example game's simulator (the SDK built first): the simulated server refreshes its token on a
 * virtual clock where days pass in seconds, so this loopback backend's token limit is raised; history keeps its times.
 */
export function startSimulatorBackend(gameId: string): Promise<TestBackend> {
	ensureSdkBuilt();
	return startTestBackend(gameId, { VANTAGE_TOKEN_RATE_PER_MINUTE: "100000", VANTAGE_TOKEN_BURST: "100000" });
}

/**
 * Fills the game the way users fill it: the demo experiment started `days + 1` days ago, then the simulator's players
 * (their real scripts and SDK in the harness) for `days` days of history on the client clock the game trusts; returns
 * once the warehouse has folded it all.
 */
export async function simulateDemoGame(
	backend: TestBackend,
	gameId: string,
	ownerAuth: string,
	options: { players: number; days: number; rollupTimeoutMs: number },
): Promise<void> {
	const patch = await fetch(`${backend.url}/v1/admin/games/${gameId}/settings`, {
		method: "PATCH",
		headers: { Authorization: ownerAuth, "Content-Type": "application/json" },
		body: JSON.stringify({ trustClientClock: true }),
	});
	if (patch.status !== 200) throw new Error(`settings: ${patch.status} ${await patch.text()}`);
	const now = Date.now();
	await setupDemoExperiment({
		url: backend.url,
		gameId,
		adminAuth: ownerAuth,
		startAt: now - (options.days + 1) * DAY,
	});
	await runSimulation({
		url: backend.url,
		gameKey: backend.gameKey,
		gameId,
		players: options.players,
		days: options.days,
		seedHistory: true,
		live: false,
		now,
		servers: 1,
	});
	await waitForRollups(backend.url, ownerAuth, options.rollupTimeoutMs);
}
