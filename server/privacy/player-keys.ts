// Encryption at rest with a key per player (crypto-shredding). Personal fields are sealed with AES-256-GCM under the
// player's own 32-byte data key; each data key is stored wrapped (AES-256-GCM) by the master key from the
// configuration. Erasure deletes the player's key row ({@link shredPlayerKey}): what was sealed with it is noise from
// then on, in the live database and in every backup of it.
//
// Why the keys live in their own database file (player-keys.db) and not in vantage.db: a backup of vantage.db taken
// before an erasure would otherwise hold the player's wrapped key next to the data it seals, and the master key
// (still configured) would unwrap it. Kept apart, what is sealed in a backup of vantage.db dies with the key; backups
// of player-keys.db must expire within the erasure deadline. (Raw event props are not sealed, see the issue note:
// vantage.db backups still hold an erased player's events until those backups expire.)
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import type { Logger } from "../logger.js";
import { migrate } from "../store/sqlite/migrate.js";
import type { Migration } from "../store/sqlite/migrations.js";
import { configureConnection } from "../store/sqlite/sqlite-store.js";

/** The database file of the wrapped player keys, beside vantage.db in VANTAGE_DATA_DIR. */
export const PLAYER_KEYS_FILE = "player-keys.db";
/** Where a generated master key is kept when VANTAGE_MASTER_KEY is not set (development only). */
export const MASTER_KEY_FILE = "master.key";

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** First byte of every sealed value: the format (AES-256-GCM, 12-byte IV, 16-byte tag). Lets a later format coexist. */
const FORMAT_AES_256_GCM = 1;
/** Unwrapped keys kept in memory; a hit still reads the key row, so an erasure elsewhere is seen at once. */
const KEY_CACHE_SIZE = 10_000;

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
];

/** The master key cannot open what it should: it is not the key this data was written with, or the data is damaged. */
export class MasterKeyError extends Error {
	override readonly name = "MasterKeyError";
}

/** A sealed value failed authentication: wrong player key, tampered or truncated bytes, or bound to another record. */
export class SealedValueError extends Error {
	override readonly name = "SealedValueError";
}

/**
 * A public fingerprint of a master key (16 hex digits of a domain-separated SHA-256): stored beside each wrapped key
 * so a wrong VANTAGE_MASTER_KEY is named as such instead of surfacing as a decryption failure.
 *
 * @example
 * masterKeyId(Buffer.alloc(32)); // "…16 hex digits…"
 */
export function masterKeyId(masterKey: Buffer): string {
	return createHash("sha256").update("vantage master key id\0").update(masterKey).digest("hex").slice(0, 16);
}

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

/** AES-256-GCM: format byte, IV, ciphertext, tag. `aad` binds the value to where it belongs. */
function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
	const iv = randomBytes(IV_BYTES);
	const cipher = createCipheriv("aes-256-gcm", key, iv);
	cipher.setAAD(Buffer.from(aad, "utf8"));
	const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
	return Buffer.concat([Buffer.of(FORMAT_AES_256_GCM), iv, body, cipher.getAuthTag()]);
}

/** The inverse of {@link seal}; throws {@link SealedValueError} when the value does not authenticate. */
function unseal(key: Buffer, sealed: Uint8Array, aad: string): Buffer {
	const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
	if (bytes.length < 1 + IV_BYTES + TAG_BYTES || bytes[0] !== FORMAT_AES_256_GCM) {
		throw new SealedValueError("The sealed value is truncated or of an unknown format.");
	}
	const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(1, 1 + IV_BYTES));
	decipher.setAAD(Buffer.from(aad, "utf8"));
	decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
	try {
		return Buffer.concat([decipher.update(bytes.subarray(1 + IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
	} catch {
		throw new SealedValueError("The sealed value does not authenticate with this key (wrong key or altered data).");
	}
}

const wrapAad = (gameId: string, userId: number) => `vantage player key\0${gameId}\0${userId}`;

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

	/** {@link shredPlayerKey} on this keyring's database, also dropping the cached key. */
	shred(gameId: string, userId: number): boolean {
		this.#cache.delete(cacheKey(gameId, userId));
		return shredPlayerKey(this.db, gameId, userId);
	}

	close(): void {
		this.#cache.clear();
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

	#remember(id: string, wrapped: Buffer, key: Buffer): void {
		if (this.#cache.size >= KEY_CACHE_SIZE) {
			const oldest = this.#cache.keys().next();
			if (!oldest.done) this.#cache.delete(oldest.value);
		}
		this.#cache.set(id, { wrapped: Buffer.from(wrapped), key });
	}
}

const cacheKey = (gameId: string, userId: number) => `${gameId}\0${userId}`;
