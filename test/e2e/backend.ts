// The real backend for end-to-end tests: started on an ephemeral loopback port over a fresh data directory, with a
// game key for the game under test and an analyst's admin token for reading results back.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../server/config.js";
import { createLogger } from "../../server/logger.js";
import { startServer } from "../../server/server.js";
import { fetchAdminAuth, provisionAdmin, provisionGameKey } from "../../server/testing/provision.js";

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

export async function startTestBackend(gameId: string, env: Record<string, string> = {}): Promise<TestBackend> {
	const dataDir = mkdtempSync(join(tmpdir(), "vantage-e2e-"));
	const server = await startServer(loadConfig({ PORT: "0", HOST: "127.0.0.1", VANTAGE_DATA_DIR: dataDir, ...env }), {
		logger: createLogger({ level: "error" }),
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
