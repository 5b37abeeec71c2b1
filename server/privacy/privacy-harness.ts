// A backend on database files in a temporary directory, for the privacy tests: they scan every table of every
// database file the backend writes (vantage.db and player-keys.db), which an in-memory store would not let them open.
// Imported by *.test.ts only.
import BetterSqlite3 from "better-sqlite3";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hono } from "hono";
import { createApp } from "../app.js";
import { createAdminUser, createGameKey } from "../auth/provisioning.js";
import { SigningKeyRing, signingKeyRingOptions } from "../auth/signing-keys.js";
import { loadConfig } from "../config.js";
import { MasterKeys } from "./master-keys.js";
import type { AppEnv } from "../http/app-env.js";
import type { IngestEvent } from "../ingest/schema.js";
import { DATABASE_FILE } from "../server.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/types.js";
import { T0, memoryLogger } from "../testing/fixtures.js";
import { TEST_HASH_OPTIONS, TEST_PASSWORD, testUserAccess } from "../testing/test-app.js";
import { consentSealer } from "./consent-records.js";
import { createErasure, type Erasure } from "./erasure.js";
import { PLAYER_KEYS_FILE, PlayerKeyring } from "./player-keys.js";

export const WEBHOOK_SECRET = "test-webhook-secret-0123456789";

export interface PrivacyBackend {
	app: Hono<AppEnv>;
	store: Store;
	erasure: Erasure;
	clock: { now: number };
	dir: string;
	/** The player vault (player-keys.db): data keys and pseudonyms. */
	playerKeys: PlayerKeyring;
	/** Every SQLite file the backend writes. */
	databaseFiles: string[];
	/** An owner's (or another role's) Authorization header. */
	adminAuth(role?: "owner" | "analyst" | "viewer"): Promise<string>;
	/** Posts a batch for the game with a fresh game token; returns the JSON answer. */
	ingest(gameId: string, batchId: string, events: IngestEvent[]): Promise<Record<string, unknown>>;
	close(): Promise<void>;
}

export async function openPrivacyBackend(
	options: {
		env?: Record<string, string>;
		/** The server's setup: the warehouse in worker threads, folding on its own every 20 ms. @default inline, no job */
		worker?: boolean;
	} = {},
): Promise<PrivacyBackend> {
	const dir = mkdtempSync(join(tmpdir(), "vantage-privacy-"));
	const config = loadConfig({
		VANTAGE_TOKEN_BURST: "100000",
		VANTAGE_GAME_BURST: "100000",
		VANTAGE_DATA_DIR: dir,
		VANTAGE_ROBLOX_WEBHOOK_SECRET: WEBHOOK_SECRET,
		...options.env,
	});
	const playerKeys = PlayerKeyring.open({ path: join(dir, PLAYER_KEYS_FILE), masterKey: randomBytes(32) });
	// By default an inline warehouse without its timer: folding happens when an erasure (or a test) calls catchUp.
	const store = openSqliteStore({
		path: join(dir, DATABASE_FILE),
		...(options.worker ? { warehouse: "worker", foldIntervalMs: 20 } : { warehouse: "inline", autoFold: false }),
		consentSealer: consentSealer(playerKeys),
		players: playerKeys,
	});
	const clock = { now: T0 + 40 * 86_400_000 };
	const keys = await SigningKeyRing.open({
		store,
		secrets: new MasterKeys(randomBytes(32)),
		clock: () => clock.now,
		...signingKeyRingOptions(config),
	});
	const { logger } = memoryLogger("error");
	const erasure = createErasure({
		store,
		clock: () => clock.now,
		logger,
		shredPlayerKey: (gameId, userId) => playerKeys.shred(gameId, userId),
	});
	const app = createApp({ store, config, logger, keys, clock: () => clock.now, erasure, playerKeys });
	let users = 0;
	return {
		app,
		store,
		erasure,
		clock,
		dir,
		playerKeys,
		databaseFiles: [join(dir, DATABASE_FILE), join(dir, PLAYER_KEYS_FILE)],
		async adminAuth(role = "owner") {
			const email = `privacy${++users}@example.com`;
			await createAdminUser(store, {
				email,
				password: TEST_PASSWORD,
				...testUserAccess(
					role,
					(await store.listGames()).map((g) => g.id),
				),
				now: clock.now,
				hashOptions: TEST_HASH_OPTIONS,
			});
			const res = await app.request("/v1/admin/login", {
				method: "POST",
				headers: { "Content-Type": "application/json" },
				body: JSON.stringify({ email, password: TEST_PASSWORD }),
			});
			if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
			return `Bearer ${((await res.json()) as { access_token: string }).access_token}`;
		},
		async ingest(gameId, batchId, events) {
			const { key } = await createGameKey(store, { gameId, now: clock.now, createGameIfMissing: true });
			const token = await app.request("/v1/oauth/token", {
				method: "POST",
				headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/x-www-form-urlencoded" },
				body: "grant_type=client_credentials",
			});
			const { access_token } = (await token.json()) as { access_token: string };
			const res = await app.request("/v1/batches", {
				method: "POST",
				headers: { Authorization: `Bearer ${access_token}`, "Content-Type": "application/json" },
				body: JSON.stringify({ batchId, sentAt: clock.now, sdk: { name: "vantage-roblox", version: "0.1.0" }, events }),
			});
			if (res.status !== 200) throw new Error(`ingest failed: ${res.status} ${await res.text()}`);
			return (await res.json()) as Record<string, unknown>;
		},
		async close() {
			await erasure.jobs.idle();
			await store.close();
			playerKeys.close();
			rmSync(dir, { recursive: true, force: true });
		},
	};
}

/** A place where a value was found: database file, table, column, and the cell as text. */
export interface Trace {
	file: string;
	table: string;
	column: string;
	value: string;
	/** The row's game_id, when its table has one. */
	gameId: string | null;
}

/**
 * Every cell of every column of every table (found through sqlite_master, nothing listed by hand) of the given
 * database files that holds `userId`: as an integer, as text, or inside text (JSON, ids, BLOBs read as text).
 */
export function scanForUserId(files: readonly string[], userId: number): Trace[] {
	const traces: Trace[] = [];
	const needle = String(userId);
	for (const file of files) {
		const db = new BetterSqlite3(file, { readonly: true });
		try {
			const tables = db
				.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
				.all();
			for (const { name: table } of tables) {
				const columns = db.prepare<[string], { name: string }>("SELECT name FROM pragma_table_info(?)").all(table);
				const game = columns.some((c) => c.name === "game_id") ? "game_id" : "NULL";
				for (const { name: column } of columns) {
					const rows = db
						.prepare<[number, string, string], { v: string; g: string | null }>(
							`SELECT CAST("${column}" AS TEXT) AS v, ${game} AS g FROM "${table}"
							WHERE "${column}" = ? OR "${column}" = ? OR instr(CAST("${column}" AS TEXT), ?) > 0`,
						)
						.all(userId, needle, needle);
					for (const row of rows) {
						traces.push({ file, table, column, value: String(row.v).slice(0, 200), gameId: row.g });
					}
				}
			}
		} finally {
			db.close();
		}
	}
	return traces;
}
