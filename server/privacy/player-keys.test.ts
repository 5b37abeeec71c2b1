import { randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { memoryLogger, T0 } from "../testing/fixtures.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import { consentSealer, openConsentRecord } from "./consent-records.js";
import {
	MASTER_KEY_FILE,
	MasterKeyError,
	PLAYER_KEYS_FILE,
	PlayerKeyring,
	SealedValueError,
	loadMasterKey,
	masterKeyId,
	parseMasterKey,
	shredPlayerKey,
} from "./player-keys.js";

let dir: string;
beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), "vantage-keys-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const text = (value: string) => Buffer.from(value, "utf8");

describe("PlayerKeyring", () => {
	it("seals and opens with the player's key, bound to the player and the given context", () => {
		const keyring = PlayerKeyring.open({ path: ":memory:", masterKey: randomBytes(32) });
		const sealed = keyring.seal("g1", 42, text("secret choice"), "record-1", T0);
		expect(sealed.includes(text("secret choice"))).toBe(false);
		expect(keyring.open("g1", 42, sealed, "record-1")?.toString()).toBe("secret choice");
		// Another context, another player (with their own key) or a flipped byte: refused, never garbage.
		expect(() => keyring.open("g1", 42, sealed, "record-2")).toThrow(SealedValueError);
		keyring.seal("g1", 43, text("x"), "other", T0);
		expect(() => keyring.open("g1", 43, sealed, "record-1")).toThrow(SealedValueError);
		const flipped = Buffer.from(sealed);
		flipped[20]! ^= 1;
		expect(() => keyring.open("g1", 42, flipped, "record-1")).toThrow(SealedValueError);
		keyring.close();
	});

	it("keeps one key per player: later seals reuse it, other games and players get their own", () => {
		const keyring = PlayerKeyring.open({ path: ":memory:", masterKey: randomBytes(32) });
		keyring.seal("g1", 42, text("a"), "x", T0);
		keyring.seal("g1", 42, text("b"), "x", T0 + 1);
		keyring.seal("g2", 42, text("c"), "x", T0);
		const rows = keyring.db.prepare("SELECT game_id, user_id FROM player_keys ORDER BY game_id").all();
		expect(rows).toEqual([
			{ game_id: "g1", user_id: 42 },
			{ game_id: "g2", user_id: 42 },
		]);
		expect(() => keyring.seal("g1", 0, text("server"), "x", T0)).toThrow(RangeError);
		keyring.close();
	});

	it("creates the keys a batch's players lack in one go, keeping existing keys and skipping userId 0", () => {
		const keyring = PlayerKeyring.open({ path: ":memory:", masterKey: randomBytes(32) });
		const sealed = keyring.seal("g1", 1, text("kept"), "r", T0);
		keyring.ensureKeys("g1", [1, 2, 2, 3, 0], T0 + 5);
		const rows = keyring.db.prepare("SELECT user_id, created_at FROM player_keys ORDER BY user_id").all();
		expect(rows).toEqual([
			{ user_id: 1, created_at: T0 },
			{ user_id: 2, created_at: T0 + 5 },
			{ user_id: 3, created_at: T0 + 5 },
		]);
		expect(keyring.open("g1", 1, sealed, "r")?.toString()).toBe("kept");
		keyring.close();
	});

	it("shredding makes the player's sealed values unreadable, also through another connection's cache", () => {
		const path = join(dir, PLAYER_KEYS_FILE);
		const masterKey = randomBytes(32);
		const writer = PlayerKeyring.open({ path, masterKey });
		const reader = PlayerKeyring.open({ path, masterKey });
		const sealed = writer.seal("g1", 42, text("choice"), "r", T0);
		expect(reader.open("g1", 42, sealed, "r")?.toString()).toBe("choice"); // now cached by the reader
		expect(shredPlayerKey(writer.db, "g1", 42)).toBe(true);
		expect(shredPlayerKey(writer.db, "g1", 42)).toBe(false);
		expect(reader.open("g1", 42, sealed, "r")).toBeUndefined();
		expect(reader.hasKey("g1", 42)).toBe(false);
		// A new key after an erasure does not open what the old one sealed.
		writer.seal("g1", 42, text("new"), "r2", T0 + 1);
		expect(() => reader.open("g1", 42, sealed, "r")).toThrow(SealedValueError);
		writer.close();
		reader.close();
	});

	it("refuses a wrong master key at open, naming both fingerprints, and a tampered wrapped key when used", () => {
		const path = join(dir, PLAYER_KEYS_FILE);
		const right = randomBytes(32);
		const keyring = PlayerKeyring.open({ path, masterKey: right });
		const sealed = keyring.seal("g1", 42, text("choice"), "r", T0);
		keyring.close();

		const wrong = randomBytes(32);
		expect(() => PlayerKeyring.open({ path, masterKey: wrong })).toThrow(
			new MasterKeyError(
				`The player keys were wrapped by master key ${masterKeyId(right)}, but the configured master key is ` +
					`${masterKeyId(wrong)}: set VANTAGE_MASTER_KEY to the key this data directory was written with.`,
			),
		);

		const reopened = PlayerKeyring.open({ path, masterKey: right });
		reopened.db.prepare("UPDATE player_keys SET wrapped = ? WHERE user_id = 42").run(randomBytes(61));
		expect(() => reopened.open("g1", 42, sealed, "r")).toThrow(/does not unwrap with the configured master key/);
		reopened.close();
	});
});

describe("PlayerKeyring pseudonyms", () => {
	it("gives each player of a game one random pseudonym, resolvable both ways until the player's row is shredded", () => {
		const keyring = PlayerKeyring.open({ path: ":memory:", masterKey: randomBytes(32) });
		const ids = keyring.pseudonymize("g1", [0, 42, 43, 42], T0);
		expect(ids.get(0)).toBe(0);
		const p42 = ids.get(42)!;
		expect(Number.isSafeInteger(p42) && p42 > 0).toBe(true);
		expect(new Set([p42, ids.get(43)]).size).toBe(2);
		// The same player again: the same pseudonym; in another game: another one, and each row has a data key.
		expect(keyring.pseudonymize("g1", [42], T0 + 1).get(42)).toBe(p42);
		expect(keyring.pseudonymize("g2", [42], T0).get(42)).not.toBe(p42);
		expect(keyring.hasKey("g1", 42)).toBe(true);
		expect(keyring.userIdOf("g1", p42)).toBe(42);
		expect(keyring.userIdOf("g2", p42)).toBeUndefined();
		expect(keyring.shred("g1", 42)).toBe(true);
		expect(keyring.userIdOf("g1", p42)).toBeUndefined();
		expect(keyring.pseudonymOf("g1", 42)).toBeUndefined();
		expect(() => keyring.pseudonymize("g1", [-1], T0)).toThrow(RangeError);
		keyring.close();
	});

	it("agrees across connections to one vault file: one row per player, whoever saw them first", () => {
		const masterKey = randomBytes(32);
		const path = join(dir, PLAYER_KEYS_FILE);
		const a = PlayerKeyring.open({ path, masterKey });
		const b = PlayerKeyring.open({ path, masterKey });
		const fromA = a.pseudonymize("g1", [42], T0).get(42);
		expect(b.pseudonymize("g1", [42, 43], T0).get(42)).toBe(fromA);
		expect(a.userIdOf("g1", b.pseudonymOf("g1", 43)!)).toBe(43);
		expect(a.db.prepare("SELECT count(*) AS n FROM player_keys").get()).toEqual({ n: 2 });
		// A row shredded through one connection is gone from the file: a fresh connection cannot resolve the player.
		expect(b.shred("g1", 42)).toBe(true);
		a.close();
		const reopened = PlayerKeyring.open({ path, masterKey });
		expect(reopened.pseudonymOf("g1", 42)).toBeUndefined();
		reopened.close();
		b.close();
	});
});

describe("consent record sealing", () => {
	it("binds sealed details to their record: details moved to another record of the player do not open", () => {
		const keyring = PlayerKeyring.open({ path: ":memory:", masterKey: randomBytes(32) });
		const { seal } = consentSealer(keyring);
		const props = {
			policyVersion: "1",
			analytics: true,
			experiments: true,
			personalization: true,
			region: "US",
			source: "api",
		};
		const event = (id: string) => ({
			id,
			time: T0,
			userId: 42,
			sessionId: "s",
			type: "consent" as const,
			name: "c",
			props,
		});
		const a = seal("g1", event("a"), T0);
		const b = seal("g1", event("b"), T0);
		const row = (eventId: string, details: Uint8Array) => ({
			gameId: "g1",
			eventId,
			userId: 42,
			time: T0,
			receivedAt: T0,
			policyVersion: "1",
			details,
		});
		expect(openConsentRecord(keyring, row("a", a.details), new Set(["1"]))).toMatchObject({
			readable: true,
			knownPolicy: true,
		});
		expect(() => openConsentRecord(keyring, row("a", b.details), new Set())).toThrow(SealedValueError);
		keyring.close();
	});
});

describe("encryption at rest: a backup of vantage.db after an erasure", () => {
	it("yields the consent details with the player's key, and nothing once the key is shredded", async () => {
		const masterKey = randomBytes(32);
		const keysPath = join(dir, PLAYER_KEYS_FILE);
		const dbPath = join(dir, "vantage.db");
		let keyring = PlayerKeyring.open({ path: keysPath, masterKey });
		const store = openSqliteStore({
			path: dbPath,
			warehouse: "inline",
			autoFold: false,
			consentSealer: consentSealer(keyring),
			players: keyring,
		});
		await store.createGame({ id: "g1", name: "g1", createdAt: T0 });
		const props = {
			policyVersion: "7",
			analytics: false,
			experiments: true,
			personalization: false,
			region: "DE",
			uiVersion: "prompt-ui-7f3a9c",
			source: "prompt",
		};
		const event = {
			id: "c-1",
			time: T0,
			userId: 4242,
			sessionId: "s",
			type: "consent" as const,
			name: "consent",
			props,
		};
		await store.ingestBatch("g1", { batchId: "b1", sentAt: T0, events: [event], rejected: [] }, T0);
		await store.close(); // checkpoints the WAL into the file
		const backup = join(dir, "backup.db");
		copyFileSync(dbPath, backup);

		// Neither the record nor the raw event holds the choice in clear: only the policy version.
		const bytes = readFileSync(backup);
		expect(bytes.includes(text("prompt-ui-7f3a9c"))).toBe(false);
		expect(bytes.includes(text('"region"'))).toBe(false);

		// With the key: the backup's record opens.
		const rows = await openBackupRecords(backup, keyring);
		expect(rows).toHaveLength(1);
		const opened = openConsentRecord(keyring, rows[0]!, new Set());
		expect(opened).toMatchObject({
			readable: true,
			policyVersion: "7",
			choices: { analytics: false, experiments: true, personalization: false },
			region: "DE",
			uiVersion: "prompt-ui-7f3a9c",
			source: "prompt",
		});

		// Erasure shreds the key; the backup taken before is now noise, even with the master key and a fresh process.
		expect(keyring.shred("g1", 4242)).toBe(true);
		keyring.close();
		keyring = PlayerKeyring.open({ path: keysPath, masterKey });
		expect(openConsentRecord(keyring, rows[0]!, new Set())).toMatchObject({
			readable: false,
			choices: null,
			region: null,
			uiVersion: null,
			source: null,
			policyVersion: "7",
		});
		keyring.close();
	});
});

async function openBackupRecords(path: string, players: PlayerKeyring) {
	const store = openSqliteStore({ path, warehouse: "inline", autoFold: false, players });
	try {
		return await store.consent.listRecords("g1", 4242);
	} finally {
		await store.close();
	}
}

describe("loadMasterKey", () => {
	it("uses VANTAGE_MASTER_KEY when set, and writes nothing", () => {
		const configured = randomBytes(32);
		const { logger, lines } = memoryLogger();
		expect(loadMasterKey({ configured, dataDir: dir, logger })).toBe(configured);
		expect(() => statSync(join(dir, MASTER_KEY_FILE))).toThrow();
		expect(lines).toEqual([]);
	});

	it("generates a key file with mode 0600 once, reuses it, and warns each time", () => {
		const { logger, lines } = memoryLogger();
		const first = loadMasterKey({ configured: undefined, dataDir: dir, logger });
		expect(first).toHaveLength(32);
		expect(statSync(join(dir, MASTER_KEY_FILE)).mode & 0o777).toBe(0o600);
		expect(loadMasterKey({ configured: undefined, dataDir: dir, logger })).toEqual(first);
		expect(lines.map((l) => [l.level, l.generated])).toEqual([
			["warn", true],
			["warn", false],
		]);
		expect(String(lines[0]!.advice)).toMatch(/production deployment should set VANTAGE_MASTER_KEY/);
	});

	it("tightens a key file whose mode was loosened to 0600", () => {
		const file = join(dir, MASTER_KEY_FILE);
		writeFileSync(file, `${randomBytes(32).toString("base64")}\n`, { mode: 0o644 });
		chmodSync(file, 0o644);
		const { logger } = memoryLogger();
		loadMasterKey({ configured: undefined, dataDir: dir, logger });
		expect(statSync(file).mode & 0o777).toBe(0o600);
	});

	it("refuses a damaged key file instead of making a new key", () => {
		writeFileSync(join(dir, MASTER_KEY_FILE), "c2hvcnQ=\n", { mode: 0o600 });
		const { logger } = memoryLogger();
		expect(() => loadMasterKey({ configured: undefined, dataDir: dir, logger })).toThrow(
			/master\.key: The master key must be 32 bytes \(base64\), not 5/,
		);
	});

	it("parses standard and URL-safe base64", () => {
		const key = randomBytes(32);
		expect(parseMasterKey(key.toString("base64"))).toEqual(key);
		expect(parseMasterKey(key.toString("base64url"))).toEqual(key);
		expect(() => parseMasterKey("not base64!")).toThrow(MasterKeyError);
	});
});
