import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { consentSealer } from "../../privacy/consent-records.js";
import { PlayerKeyring } from "../../privacy/player-keys.js";
import { T0 } from "../../testing/fixtures.js";
import type { Store } from "../types.js";
import { migrate } from "./migrate.js";
import { MIGRATIONS } from "./migrations.js";
import { openSqliteStore } from "./sqlite-store.js";

let dir: string;
let path: string;
let keyring: PlayerKeyring;
let store: Store;
beforeEach(async () => {
	dir = mkdtempSync(join(tmpdir(), "vantage-consent-"));
	path = join(dir, "vantage.db");
	keyring = PlayerKeyring.open({ path: ":memory:", masterKey: randomBytes(32) });
	store = openSqliteStore({
		path,
		warehouse: "inline",
		autoFold: false,
		consentSealer: consentSealer(keyring),
		players: keyring,
	});
	await store.createGame({ id: "g1", name: "g1", createdAt: T0 });
});
afterEach(async () => {
	await store.close();
	keyring.close();
	rmSync(dir, { recursive: true, force: true });
});

const consent = (id: string, userId: number) => ({
	id,
	time: T0,
	userId,
	sessionId: "s",
	type: "consent" as const,
	name: "consent",
	props: {
		policyVersion: "1",
		analytics: true,
		experiments: false,
		personalization: false,
		region: "US",
		source: "api",
	},
});

describe("consent tables (migration 9)", () => {
	it("refuses to update a consent record, and lets erasure delete one", async () => {
		await store.ingestBatch("g1", { batchId: "b", sentAt: T0, events: [consent("c-1", 42)], rejected: [] }, T0);
		const db = new BetterSqlite3(path);
		try {
			expect(() => db.prepare("UPDATE consent_records SET policy_version = '2'").run()).toThrow(
				/consent_records is append-only/,
			);
			expect(() => db.prepare("UPDATE consent_records SET details = x'00'").run()).toThrow(/append-only/);
			// The record names the player by pseudonym (server/privacy/pseudonyms.ts).
			const pseudonym = keyring.pseudonymOf("g1", 42);
			expect(
				db.prepare("DELETE FROM consent_records WHERE game_id = 'g1' AND user_id = ?").run(pseudonym).changes,
			).toBe(1);
		} finally {
			db.close();
		}
	});

	it("refuses to update or delete a published policy", async () => {
		await store.consent.insertPolicy({
			gameId: "g1",
			version: "1",
			summary: "s",
			url: null,
			effectiveAt: T0,
			createdAt: T0,
			createdBy: "admin:x",
		});
		const db = new BetterSqlite3(path);
		try {
			expect(() => db.prepare("UPDATE consent_policies SET summary = 'changed'").run()).toThrow(/append-only/);
			expect(() => db.prepare("DELETE FROM consent_policies").run()).toThrow(/append-only/);
		} finally {
			db.close();
		}
	});

	it("keeps every game's default consent mode opt-in until changed, and refuses another value", async () => {
		expect((await store.getGameSettings("g1")).consentDefault).toBe("opt-in");
		expect((await store.updateGameSettings("g1", { consentDefault: "opt-out" }, T0)).consentDefault).toBe("opt-out");
		expect(await store.updateGameSettings("g1", { digestHour: 3 }, T0 + 1)).toMatchObject({
			consentDefault: "opt-out",
		});
		const db = new BetterSqlite3(path);
		try {
			expect(() => db.prepare("UPDATE game_settings SET consent_default = 'maybe'").run()).toThrow(/CHECK/);
		} finally {
			db.close();
		}
	});

	it("upgrades a version-8 database: stored settings get consent_default opt-in", () => {
		const db = new BetterSqlite3(join(dir, "old.db"));
		try {
			migrate(db, MIGRATIONS.slice(0, 8));
			db.prepare("INSERT INTO games (id, name, created_at) VALUES ('g1', 'g1', 0)").run();
			db.prepare("INSERT INTO game_settings (game_id, time_zone, updated_at) VALUES ('g1', 'Asia/Tokyo', 1)").run();
			expect(migrate(db, MIGRATIONS.slice(0, 9)).applied).toEqual([9]);
			expect(db.prepare("SELECT time_zone, consent_default FROM game_settings").get()).toEqual({
				time_zone: "Asia/Tokyo",
				consent_default: "opt-in",
			});
		} finally {
			db.close();
		}
	});

	it("refuses a batch with a consent event when opened without a sealer, writing nothing", async () => {
		const bare = openSqliteStore({
			path: join(dir, "bare.db"),
			warehouse: "inline",
			autoFold: false,
			players: keyring,
		});
		try {
			await bare.createGame({ id: "g1", name: "g1", createdAt: T0 });
			await expect(
				bare.ingestBatch("g1", { batchId: "b", sentAt: T0, events: [consent("c-1", 42)], rejected: [] }, T0),
			).rejects.toThrow(/without a consentSealer/);
			expect(await bare.listEvents({ gameId: "g1", limit: 10 })).toEqual([]);
		} finally {
			await bare.close();
		}
	});
});
