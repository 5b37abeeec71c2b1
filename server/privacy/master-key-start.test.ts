import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { startServer } from "../server.js";
import { memoryLogger } from "../testing/fixtures.js";
import { fetchAdminAuth, fetchGameAuth, provisionAdmin, provisionGameKey } from "../testing/provision.js";
import { MASTER_KEY_FILE, MasterKeyError, PLAYER_KEYS_FILE } from "./player-keys.js";

let dir: string;
beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), "vantage-master-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const env = (key?: Buffer) => ({
	PORT: "0",
	HOST: "127.0.0.1",
	VANTAGE_DATA_DIR: dir,
	...(key ? { VANTAGE_MASTER_KEY: key.toString("base64") } : {}),
});

describe("the server's master key", () => {
	it("without VANTAGE_MASTER_KEY, generates master.key (0600) and says production should set it", async () => {
		const { logger, lines } = memoryLogger();
		const server = await startServer(loadConfig(env()), { logger });
		await server.close();
		expect(statSync(join(dir, MASTER_KEY_FILE)).mode & 0o777).toBe(0o600);
		expect(statSync(join(dir, PLAYER_KEYS_FILE)).isFile()).toBe(true);
		const warning = lines.find((l) => l.level === "warn" && String(l.msg).includes("VANTAGE_MASTER_KEY is not set"));
		expect(warning?.advice).toMatch(/production deployment should set VANTAGE_MASTER_KEY/);
	});

	it("records consent through the real server (worker warehouse), and refuses another master key afterwards", async () => {
		const { logger } = memoryLogger();
		const right = randomBytes(32);
		const server = await startServer(loadConfig(env(right)), { logger });
		try {
			const auth = await fetchGameAuth(server.url, await provisionGameKey(dir, "g1"));
			const admin = await fetchAdminAuth(server.url, await provisionAdmin(dir, "analyst"));
			const props = {
				policyVersion: "1",
				analytics: false,
				experiments: true,
				personalization: false,
				region: "NO",
				source: "api",
			};
			const event = {
				id: "c-1",
				time: Date.now(),
				userId: 42,
				sessionId: "s",
				type: "consent",
				name: "consent",
				props,
			};
			const res = await fetch(`${server.url}/v1/batches`, {
				method: "POST",
				headers: { Authorization: auth, "Content-Type": "application/json" },
				body: JSON.stringify({ batchId: "b1", sentAt: Date.now(), events: [event] }),
			});
			expect(await res.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
			const consent = await fetch(`${server.url}/v1/games/g1/players/42/consent`, {
				headers: { Authorization: admin },
			});
			expect(await consent.json()).toMatchObject({
				state: { choices: { analytics: false, experiments: true, personalization: false }, source: "api" },
				records: [{ eventId: "c-1", region: "NO", readable: true }],
			});
		} finally {
			await server.close();
		}

		await expect(startServer(loadConfig(env(randomBytes(32))), { logger })).rejects.toThrow(MasterKeyError);
		await expect(startServer(loadConfig(env(randomBytes(32))), { logger })).rejects.toThrow(
			/set VANTAGE_MASTER_KEY to the key this data directory was written with/,
		);
		const again = await startServer(loadConfig(env(right)), { logger });
		await again.close();
	});
});
