// The player vault: per player of a game, one row holding their data key and their pseudonym (crypto-shredding).
// - Pseudonym: vantage.db stores it instead of the Roblox UserId in every player column (raw events, rollups, consent
//   records; see pseudonyms.ts), so nothing in vantage.db says who a player is without this file.
// - Data key: personal fields (a consent record's choice) are sealed with AES-256-GCM under the player's own 32-byte
//   key; each key is stored wrapped (AES-256-GCM) by the master key from the configuration.
// - Secrets that make pseudonyms of UserIds (the audit log's and the erasure tombstones' HMAC key) live here too.
// Erasure deletes the player's row ({@link shredPlayerKey}): the pseudonym resolves to nobody and what was sealed is
// noise from then on, in the live vantage.db and in every backup of it.
//
// Why the vault is its own database file (player-keys.db) and not part of vantage.db: a backup of vantage.db taken
// before an erasure would otherwise hold the player's UserId and wrapped key next to their data, and the master key
// (still configured) would unwrap it. Kept apart, a backup of vantage.db names the player by a pseudonym that dies with
// the vault row; backups of player-keys.db must expire within the erasure deadline. Event props are stored as sent
// (they feed every metric): the SDK's props carry no UserId, a game's own props must not either (README).
import { randomBytes } from "node:crypto";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import type { Logger } from "../logger.js";
import { migrate } from "../store/sqlite/migrate.js";
import type { Migration } from "../store/sqlite/migrations.js";
import { configureConnection } from "../store/sqlite/sqlite-store.js";
import { KEY_BYTES, MasterKeyError, masterKeyId, seal, unseal, wrapAad } from "./sealing.js";

// The sealing primitives live in sealing.ts (pure: the engines' vaults use them without this SQLite keyring).
export { MasterKeyError, SealedValueError, masterKeyId, seal, unseal, wrapAad } from "./sealing.js";

/** The database file of the wrapped player keys, beside vantage.db in VANTAGE_DATA_DIR. */
export const PLAYER_KEYS_FILE = "player-keys.db";
/** Where a generated master key is kept when VANTAGE_MASTER_KEY is not set (development only). */
export const MASTER_KEY_FILE = "master.key";

/** Unwrapped keys kept in memory; a hit still reads the key row, so an erasure elsewhere is seen at once. */
const KEY_CACHE_SIZE = 10_000;
/** Pseudonyms kept in memory (both directions): a game's active players, so ingest reads no key database row. */
const PSEUDONYM_CACHE_SIZE = 200_000;

/**
 * The schema of player-keys.db (its own history, separate from vantage.db's).
 * - one row per (game, player); the key is wrapped by the master key identified by `master_key_id`, and the
 *   wrapping is bound to the row's game and player (AES-GCM additional data), so a wrapped key copied to another
 *   player's row does not unwrap.
 * - user_id 0 never has a key: server-level events have no player.
 */
export const PLAYER_KEY_MIGRATIONS: readonly Migration[] = [
	{
		version: 1,
		name: "player_keys",
		up: `
			CREATE TABLE player_keys (
				game_id TEXT NOT NULL,
				user_id INTEGER NOT NULL CHECK (user_id > 0),
				master_key_id TEXT NOT NULL,
				wrapped BLOB NOT NULL,
				created_at INTEGER NOT NULL,
				PRIMARY KEY (game_id, user_id)
			) STRICT, WITHOUT ROWID;
		`,
	},
	// The vault row of a player also holds their pseudonym: the only player id vantage.db stores. NULL only in rows
	// written before this version, until the one-time conversion of vantage.db gives them one (pseudonyms.ts).
	// Unique per game, so a pseudonym resolves to exactly one UserId.
	{
		version: 2,
		name: "pseudonyms",
		up: `
			ALTER TABLE player_keys ADD COLUMN pseudonym INTEGER CHECK (pseudonym > 0 AND pseudonym <= ${Number.MAX_SAFE_INTEGER});
			CREATE UNIQUE INDEX player_keys_pseudonym ON player_keys (game_id, pseudonym);

			-- Keys that make pseudonyms of UserIds (the audit log's and the erasure tombstones' subjects): kept here, a
			-- copy of vantage.db alone cannot test a guessed UserId against them.
			CREATE TABLE vault_secrets (
				name TEXT PRIMARY KEY,
				value TEXT NOT NULL,
				created_at INTEGER NOT NULL
			) STRICT;
		`,
	},
];

/**
 * Parses a master key given as base64 (standard or URL-safe, padding optional): exactly 32 bytes, else throws.
 *
 * @example
 * parseMasterKey(randomBytes(32).toString("base64"));
 */
export function parseMasterKey(text: string): Buffer {
	const trimmed = text.trim();
	if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) throw new MasterKeyError("The master key is not base64.");
	const key = Buffer.from(trimmed.replaceAll("-", "+").replaceAll("_", "/"), "base64");
	if (key.length !== KEY_BYTES) {
		throw new MasterKeyError(`The master key must be ${KEY_BYTES} bytes (base64), not ${key.length}.`);
	}
	return key;
}

/**
 * The master key to use:
 * 1. VANTAGE_MASTER_KEY when set (parsed by the configuration);
 * 2. else the key in `dataDir/master.key`, if a previous start generated one;
 * 3. else a new random key, written there with mode 0600 (created exclusively, so two processes starting at once
 *    end up with the same key). Cases 2 and 3 log a warning: a key kept beside the data protects nothing once the
 *    directory is copied, so a production deployment sets VANTAGE_MASTER_KEY from its secret store.
 *
 * @example
 * const masterKey = loadMasterKey({ configured: config.masterKey, dataDir: config.dataDir, logger });
 */
export function loadMasterKey(options: { configured: Buffer | undefined; dataDir: string; logger: Logger }): Buffer {
	if (options.configured) return options.configured;
	const file = join(options.dataDir, MASTER_KEY_FILE);
	const warning = "VANTAGE_MASTER_KEY is not set: personal data is sealed with a master key kept in the data directory";
	const advice =
		"a production deployment should set VANTAGE_MASTER_KEY (base64 of 32 random bytes) from a secret store";
	try {
		writeFileSync(file, `${randomBytes(KEY_BYTES).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
		options.logger.warn(warning, { file, generated: true, advice });
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
		options.logger.warn(warning, { file, generated: false, advice });
	}
	// Someone may have loosened the file's mode (a copy, an editor); the key is a secret.
	if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
	try {
		return parseMasterKey(readFileSync(file, "utf8"));
	} catch (error) {
		throw new MasterKeyError(`${file}: ${(error as Error).message}`);
	}
}

interface KeyRow {
	master_key_id: string;
	wrapped: Buffer;
}

/**
 * Deletes a player's data key: everything sealed with it becomes unreadable, here and in any copy of vantage.db.
 * Returns whether a key existed. Called by the erasure job with the key database ({@link PlayerKeyring.db}).
 *
 * @example
 * shredPlayerKey(privacy.keyring.db, "g1", 123456);
 */
export function shredPlayerKey(db: BetterSqlite3.Database, gameId: string, userId: number): boolean {
	return db.prepare("DELETE FROM player_keys WHERE game_id = ? AND user_id = ?").run(gameId, userId).changes === 1;
}

/**
 * The per-player data keys of player-keys.db, and sealing with them. Keys are created on first use; unwrapped keys
 * are cached, but every use reads the key row first (one primary-key lookup), so a key shredded by another process
 * or connection is never used again.
 */
export class PlayerKeyring {
	/** The key database's connection (the erasure job passes it to {@link shredPlayerKey}). */
	readonly db: BetterSqlite3.Database;
	readonly #masterKey: Buffer;
	readonly #masterKeyId: string;
	readonly #select;
	readonly #insert;
	readonly #cache = new Map<string, { wrapped: Buffer; key: Buffer }>();
	readonly #selectPseudonym;
	readonly #selectUserId;
	readonly #insertWithPseudonym;
	readonly #setPseudonym;
	/** `game NUL userId` → pseudonym, and `game NUL pseudonym` → userId: ingest and reads skip the key database. */
	readonly #pseudonyms = new Map<string, number>();
	readonly #userIds = new Map<string, number>();

	/**
	 * Opens (creating if needed) the key database and checks the master key against it:
	 * 1. keys wrapped by another master key → {@link MasterKeyError} naming both fingerprints (nothing is written);
	 * 2. else ready; an empty database accepts any master key.
	 *
	 * @example
	 * const keyring = PlayerKeyring.open({ path: join(config.dataDir, PLAYER_KEYS_FILE), masterKey });
	 */
	static open(options: { path: string; masterKey: Buffer; busyTimeoutMs?: number }): PlayerKeyring {
		const db = new BetterSqlite3(options.path);
		try {
			configureConnection(db, options.busyTimeoutMs ?? 5000);
			// The key rows are few and small, and losing the last committed one would strand what it sealed.
			db.pragma("synchronous = FULL");
			migrate(db, PLAYER_KEY_MIGRATIONS);
			return new PlayerKeyring(db, options.masterKey);
		} catch (error) {
			db.close();
			throw error;
		}
	}

	private constructor(db: BetterSqlite3.Database, masterKey: Buffer) {
		if (masterKey.length !== KEY_BYTES) throw new MasterKeyError(`The master key must be ${KEY_BYTES} bytes.`);
		this.db = db;
		this.#masterKey = masterKey;
		this.#masterKeyId = masterKeyId(masterKey);
		const others = db
			.prepare<[string], { id: string }>(
				"SELECT DISTINCT master_key_id AS id FROM player_keys WHERE master_key_id <> ?",
			)
			.all(this.#masterKeyId);
		if (others.length > 0) {
			throw new MasterKeyError(
				`The player keys were wrapped by master key ${others.map((o) => o.id).join(", ")}, but the configured ` +
					`master key is ${this.#masterKeyId}: set VANTAGE_MASTER_KEY to the key this data directory was written with.`,
			);
		}
		this.#select = db.prepare<[string, number], KeyRow>(
			"SELECT master_key_id, wrapped FROM player_keys WHERE game_id = ? AND user_id = ?",
		);
		this.#insert = db.prepare<[string, number, string, Buffer, number]>(
			`INSERT INTO player_keys (game_id, user_id, master_key_id, wrapped, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (game_id, user_id) DO NOTHING`,
		);
		this.#selectPseudonym = db.prepare<[string, number], { pseudonym: number | null }>(
			"SELECT pseudonym FROM player_keys WHERE game_id = ? AND user_id = ?",
		);
		this.#selectUserId = db.prepare<[string, number], { user_id: number }>(
			"SELECT user_id FROM player_keys WHERE game_id = ? AND pseudonym = ?",
		);
		this.#insertWithPseudonym = db.prepare<[string, number, string, Buffer, number, number]>(
			`INSERT INTO player_keys (game_id, user_id, master_key_id, wrapped, created_at, pseudonym)
			VALUES (?, ?, ?, ?, ?, ?)`,
		);
		this.#setPseudonym = db.prepare<[number, string, number]>(
			"UPDATE player_keys SET pseudonym = ? WHERE game_id = ? AND user_id = ? AND pseudonym IS NULL",
		);
	}

	/** The fingerprint of the master key in use ({@link masterKeyId}). */
	get masterKeyId(): string {
		return this.#masterKeyId;
	}

	/**
	 * Seals `plaintext` with the player's key, creating the key if the player has none. The key row is committed
	 * before this returns (its own database, its own transaction), so data sealed with it is never stored ahead of
	 * its key. `aad` names what the value is and where it belongs; {@link open} must be given the same.
	 */
	seal(gameId: string, userId: number, plaintext: Buffer, aad: string, now: number): Buffer {
		const key = this.#key(gameId, userId) ?? this.#create(gameId, userId, now);
		return seal(key, plaintext, aad);
	}

	/**
	 * Opens a value sealed for the player: the plaintext, or undefined when the player's key is gone (shredded).
	 * Throws {@link SealedValueError} when the value does not authenticate and {@link MasterKeyError} when the key
	 * cannot be unwrapped.
	 */
	open(gameId: string, userId: number, sealed: Uint8Array, aad: string): Buffer | undefined {
		const key = this.#key(gameId, userId);
		return key && unseal(key, sealed, aad);
	}

	/**
	 * Creates the keys the players lack, in one transaction of the key database (one fsync, however many players).
	 * Players with a key keep it; userId 0 (no player) is skipped.
	 */
	ensureKeys(gameId: string, userIds: readonly number[], now: number): void {
		const missing = [...new Set(userIds)].filter((userId) => userId > 0 && !this.#select.get(gameId, userId));
		if (missing.length === 0) return;
		this.db
			.transaction(() => {
				for (const userId of missing) {
					const wrapped = seal(this.#masterKey, randomBytes(KEY_BYTES), wrapAad(gameId, userId));
					this.#insert.run(gameId, userId, this.#masterKeyId, wrapped, now);
				}
			})
			.immediate();
	}

	/** Whether the player has a key (nothing sealed for them is readable without one). */
	hasKey(gameId: string, userId: number): boolean {
		return this.#select.get(gameId, userId) !== undefined;
	}

	/**
	 * The pseudonyms of the players, creating the vault row (data key and pseudonym) of each player seen for the first
	 * time, all in one transaction of the key database that is committed before this returns: vantage.db never holds a
	 * pseudonym the vault does not. userId 0 (no player) stays 0. Cached: a batch of known players reads nothing.
	 * `avoid` rejects candidate pseudonyms (the one-time conversion keeps them apart from the UserIds it replaces).
	 *
	 * @example
	 * const ids = keyring.pseudonymize("g1", [0, 123456, 123456], Date.now()); // Map { 0 → 0, 123456 → 8312…}
	 */
	pseudonymize(
		gameId: string,
		userIds: Iterable<number>,
		now: number,
		avoid?: (pseudonym: number) => boolean,
	): Map<number, number> {
		const out = new Map<number, number>();
		let missing: number[] | undefined;
		for (const userId of userIds) {
			if (out.has(userId)) continue;
			if (userId === 0) {
				out.set(0, 0);
				continue;
			}
			const known = this.pseudonymOf(gameId, userId);
			if (known === undefined) (missing ??= []).push(userId);
			else out.set(userId, known);
		}
		if (!missing) return out;
		for (const userId of missing) {
			if (!Number.isSafeInteger(userId) || userId < 0) throw new RangeError(`Not a UserId: ${userId}.`);
		}
		this.db
			.transaction(() => {
				for (const userId of missing) this.#assign(gameId, userId, now, avoid);
			})
			.immediate();
		for (const userId of missing) {
			const pseudonym = this.pseudonymOf(gameId, userId);
			if (pseudonym === undefined) throw new Error(`The pseudonym of player ${userId} in game "${gameId}" vanished.`);
			out.set(userId, pseudonym);
		}
		return out;
	}

	/** The player's pseudonym, or undefined when the vault has none (never seen, or erased). Creates nothing. */
	pseudonymOf(gameId: string, userId: number): number | undefined {
		if (userId === 0) return 0;
		const cached = this.#pseudonyms.get(cacheKey(gameId, userId));
		if (cached !== undefined) return cached;
		const pseudonym = this.#selectPseudonym.get(gameId, userId)?.pseudonym ?? undefined;
		if (pseudonym !== undefined) this.#rememberPseudonym(gameId, userId, pseudonym);
		return pseudonym;
	}

	/** The UserId behind a pseudonym, or undefined once the player was erased (their vault row is gone). */
	userIdOf(gameId: string, pseudonym: number): number | undefined {
		if (pseudonym === 0) return 0;
		const cached = this.#userIds.get(cacheKey(gameId, pseudonym));
		if (cached !== undefined) return cached;
		const userId = this.#selectUserId.get(gameId, pseudonym)?.user_id;
		if (userId !== undefined) this.#rememberPseudonym(gameId, userId, pseudonym);
		return userId;
	}

	/**
	 * The secret called `name`, created with `create()` and stored in the key database on first use (every process on
	 * this data directory reads the same one).
	 */
	secret(name: string, create: () => string): string {
		const select = this.db.prepare<[string], { value: string }>("SELECT value FROM vault_secrets WHERE name = ?");
		const existing = select.get(name);
		if (existing) return existing.value;
		this.db
			.prepare("INSERT INTO vault_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING")
			.run(name, create(), Date.now());
		return select.get(name)!.value;
	}

	/**
	 * {@link shredPlayerKey} on this keyring's database, also dropping the cached key and pseudonym: the player's
	 * pseudonym no longer resolves, here or for anyone holding a copy of vantage.db.
	 */
	shred(gameId: string, userId: number): boolean {
		this.#cache.delete(cacheKey(gameId, userId));
		const pseudonym =
			this.#selectPseudonym.get(gameId, userId)?.pseudonym ?? this.#pseudonyms.get(cacheKey(gameId, userId));
		this.#pseudonyms.delete(cacheKey(gameId, userId));
		if (pseudonym != null) this.#userIds.delete(cacheKey(gameId, pseudonym));
		return shredPlayerKey(this.db, gameId, userId);
	}

	close(): void {
		this.#cache.clear();
		this.#pseudonyms.clear();
		this.#userIds.clear();
		if (this.db.open) this.db.close();
	}

	/** The player's unwrapped key, or undefined when they have none. */
	#key(gameId: string, userId: number): Buffer | undefined {
		const id = cacheKey(gameId, userId);
		const row = this.#select.get(gameId, userId);
		if (!row) {
			this.#cache.delete(id);
			return undefined;
		}
		const cached = this.#cache.get(id);
		if (cached?.wrapped.equals(row.wrapped)) return cached.key;
		if (row.master_key_id !== this.#masterKeyId) {
			throw new MasterKeyError(
				`The key of player ${userId} in game "${gameId}" was wrapped by master key ${row.master_key_id}, but the ` +
					`configured master key is ${this.#masterKeyId}.`,
			);
		}
		let key: Buffer;
		try {
			key = unseal(this.#masterKey, row.wrapped, wrapAad(gameId, userId));
		} catch {
			throw new MasterKeyError(
				`The key of player ${userId} in game "${gameId}" does not unwrap with the configured master key ` +
					`${this.#masterKeyId} (wrong key, or the key row was altered).`,
			);
		}
		this.#remember(id, row.wrapped, key);
		return key;
	}

	#create(gameId: string, userId: number, now: number): Buffer {
		if (!Number.isSafeInteger(userId) || userId <= 0) throw new RangeError("Only players (userId > 0) have keys.");
		const key = randomBytes(KEY_BYTES);
		const wrapped = seal(this.#masterKey, key, wrapAad(gameId, userId));
		this.#insert.run(gameId, userId, this.#masterKeyId, wrapped, now);
		// Another connection may have created one first: use whichever is stored.
		const stored = this.#key(gameId, userId);
		if (!stored) throw new Error(`The key of player ${userId} in game "${gameId}" vanished as it was created.`);
		return stored;
	}

	/**
	 * Gives the player a pseudonym (inside the caller's transaction): a new vault row with a fresh data key, or the
	 * pseudonym a row written before pseudonyms lacks. Random (53 bits), so it says nothing about the UserId or about
	 * when the player came; drawn again on the rare clash with another player's.
	 */
	#assign(gameId: string, userId: number, now: number, avoid?: (pseudonym: number) => boolean): void {
		const row = this.#selectPseudonym.get(gameId, userId);
		if (row?.pseudonym != null) return;
		for (let attempt = 0; attempt < 16; attempt++) {
			const pseudonym = randomPseudonym();
			if (avoid?.(pseudonym) || this.#selectUserId.get(gameId, pseudonym)) continue;
			if (row) {
				this.#setPseudonym.run(pseudonym, gameId, userId);
			} else {
				const wrapped = seal(this.#masterKey, randomBytes(KEY_BYTES), wrapAad(gameId, userId));
				this.#insertWithPseudonym.run(gameId, userId, this.#masterKeyId, wrapped, now, pseudonym);
			}
			return;
		}
		throw new Error(`No free pseudonym found for a player of game "${gameId}".`);
	}

	#rememberPseudonym(gameId: string, userId: number, pseudonym: number): void {
		if (this.#pseudonyms.size >= PSEUDONYM_CACHE_SIZE) {
			const oldest = this.#pseudonyms.entries().next();
			if (!oldest.done) {
				this.#pseudonyms.delete(oldest.value[0]);
				this.#userIds.delete(cacheKey(oldest.value[0].slice(0, oldest.value[0].indexOf("\0")), oldest.value[1]));
			}
		}
		this.#pseudonyms.set(cacheKey(gameId, userId), pseudonym);
		this.#userIds.set(cacheKey(gameId, pseudonym), userId);
	}

	#remember(id: string, wrapped: Buffer, key: Buffer): void {
		if (this.#cache.size >= KEY_CACHE_SIZE) {
			const oldest = this.#cache.keys().next();
			if (!oldest.done) this.#cache.delete(oldest.value);
		}
		this.#cache.set(id, { wrapped: Buffer.from(wrapped), key });
	}
}

const cacheKey = (gameId: string, userId: number) => `${gameId}\0${userId}`;

/** A uniformly random integer in [1, 2^53): fits a SQLite INTEGER and a JavaScript number exactly. */
function randomPseudonym(): number {
	for (;;) {
		const value = Number(randomBytes(8).readBigUInt64BE() >> 11n);
		if (value > 0) return value;
	}
}
