// The player vault in PostgreSQL (tables: PLAYER_VAULT_MIGRATIONS), shared by every backend instance: per player of a
// game their pseudonym and their data key wrapped by the master key, as the SQLite keyring (privacy/player-keys.ts)
// keeps them in player-keys.db, with the same sealing (seal/unseal/wrapAad) so a key moved from one vault to the other
// opens the same values. It may sit in the metadata database or in a database of its own (a backup of the metadata
// database then names players only by pseudonyms that die with their vault row, as with player-keys.db).
//
// Async where the keyring is sync: every answer that may need the database returns a Promise. Sealing and opening
// stay sync (the consent sealer seals inside the event engine's ingest, and the admin routes open a player's records
// in one pass) over keys loaded first with loadKeys(), which reads the key rows once per batch or request; a key
// shredded by any instance is seen at the next loadKeys.
import { randomBytes } from "node:crypto";
import type pg from "pg";
import { KEY_BYTES, MasterKeyError, masterKeyId, seal, unseal, wrapAad } from "../../privacy/sealing.js";
import type { AsyncPlayerPseudonyms } from "../../domain/players.js";
import { runMigrations } from "./migrations.js";
import { named, openPool, transaction } from "./pool.js";
import { PLAYER_VAULT_COMPONENT, PLAYER_VAULT_MIGRATIONS } from "./privacy-migrations.js";

/**
 * The master keys of a rotation, as privacy/master-keys.ts's MasterKeys holds them: the current key and the previous
 * one (undefined outside a rotation), each with its {@link masterKeyId}.
 */
export interface VaultMasterKeys {
	readonly current: Buffer;
	readonly currentId: string;
	readonly previous: Buffer | undefined;
	readonly previousId: string | undefined;
}
/** Loaded (unwrapped) keys kept in memory, and players known to have none. */
const KEY_CACHE_SIZE = 10_000;
/** Pseudonyms kept in memory (both directions): a game's active players, so ingest reads no vault row. */
const PSEUDONYM_CACHE_SIZE = 200_000;
/** New players written per INSERT (4 array parameters, whatever the count). */
const INSERT_CHUNK = 1000;

/** A player's key was used by a sync method without being loaded first ({@link PostgresPlayerVault.loadKeys}). */
export class PlayerKeyNotLoadedError extends Error {
	override readonly name = "PlayerKeyNotLoadedError";
}

/**
 * The player vault on PostgreSQL: pseudonyms (AsyncPlayerPseudonyms) and per-player data keys.
 *
 * @example
 * const vault = await openPostgresPlayerVault({ url: process.env.VANTAGE_METADATA_URL!, masterKeys });
 * const ids = await vault.pseudonymize("g1", [123456], Date.now());
 * await vault.loadKeys("g1", [123456]);
 * const sealed = vault.seal("g1", 123456, Buffer.from("choice"), "record-1");
 * vault.open("g1", 123456, sealed, "record-1"); // Buffer "choice"
 */
export class PostgresPlayerVault implements AsyncPlayerPseudonyms {
	readonly #pool: pg.Pool;
	readonly #ownsPool: boolean;
	readonly #masterKey: Buffer;
	readonly #masterKeyId: string;
	/** `game NUL userId` → the loaded key (with the wrapped bytes it came from), or null: the player has none. */
	readonly #keys = new Map<string, { wrapped: Buffer; key: Buffer } | null>();
	/** `game NUL userId` → pseudonym, and `game NUL pseudonym` → userId. */
	readonly #pseudonyms = new Map<string, number>();
	readonly #userIds = new Map<string, number>();
	#closed = false;

	/** Use {@link openPostgresPlayerVault} (it migrates and checks the master key). */
	constructor(pool: pg.Pool, masterKey: Buffer, ownsPool = false) {
		if (masterKey.length !== KEY_BYTES) throw new MasterKeyError(`The master key must be ${KEY_BYTES} bytes.`);
		this.#pool = pool;
		this.#ownsPool = ownsPool;
		this.#masterKey = masterKey;
		this.#masterKeyId = masterKeyId(masterKey);
	}

	/** The fingerprint of the master key in use ({@link masterKeyId}). */
	get masterKeyId(): string {
		return this.#masterKeyId;
	}

	/**
	 * Refuses a vault holding keys wrapped by another master key ({@link MasterKeyError} naming both fingerprints, as
	 * the keyring's open does); an empty vault accepts any master key.
	 */
	async checkMasterKey(): Promise<void> {
		const { rows } = await this.#pool.query<{ id: string }>(
			"SELECT DISTINCT master_key_id AS id FROM player_keys WHERE master_key_id <> $1 ORDER BY 1 LIMIT 10",
			[this.#masterKeyId],
		);
		if (rows.length > 0) {
			throw new MasterKeyError(
				`The player keys were wrapped by master key ${rows.map((o) => o.id).join(", ")}, but the configured ` +
					`master key is ${this.#masterKeyId}: set VANTAGE_MASTER_KEY to the key this data was written with.`,
			);
		}
	}

	/**
	 * The pseudonyms of the players, creating the vault row (data key and pseudonym) of each player seen for the first
	 * time; the rows are committed before this resolves. userId 0 (no player) stays 0. Safe with any number of
	 * instances creating the same new players at once: each inserts with `ON CONFLICT DO NOTHING` and then reads the
	 * rows back, so all of them answer with the row that won. A pseudonym already taken in the game (chance 2^-53 per
	 * pair) makes the insert skip that player, who is drawn again.
	 *
	 * @example
	 * await vault.pseudonymize("g1", [0, 123456, 123456], Date.now()); // Map { 0 → 0, 123456 → 8312… }
	 */
	async pseudonymize(
		gameId: string,
		userIds: Iterable<number>,
		now: number,
		avoid?: (pseudonym: number) => boolean,
	): Promise<Map<number, number>> {
		const out = new Map<number, number>();
		let missing: number[] = [];
		for (const userId of userIds) {
			if (out.has(userId)) continue;
			if (!Number.isSafeInteger(userId) || userId < 0) throw new RangeError(`Not a UserId: ${userId}.`);
			if (userId === 0) {
				out.set(0, 0);
				continue;
			}
			const known = this.#pseudonyms.get(cacheKey(gameId, userId));
			if (known === undefined) missing.push(userId);
			else out.set(userId, known);
		}
		if (missing.length === 0) return out;
		// Ascending: concurrent inserts of overlapping players (two batches of one game server's players) then lock the
		// rows of the (game_id, user_id) key in the same order, so they wait for each other instead of deadlocking.
		missing = [...new Set(missing)].sort((a, b) => a - b);
		// Players another instance (or an earlier process) already gave a row: read, not drawn.
		missing = await this.#readPseudonyms(gameId, missing, out);
		for (let attempt = 0; missing.length > 0; attempt++) {
			if (attempt >= 16) throw new Error(`No free pseudonym found for a player of game "${gameId}".`);
			for (let start = 0; start < missing.length; start += INSERT_CHUNK) {
				const chunk = missing.slice(start, start + INSERT_CHUNK);
				const pseudonyms = chunk.map(() => randomPseudonym(avoid));
				const wrapped = chunk.map((userId) => seal(this.#masterKey, randomBytes(KEY_BYTES), wrapAad(gameId, userId)));
				await this.#pool.query(
					`INSERT INTO player_keys (game_id, user_id, pseudonym, master_key_id, wrapped, created_at)
					SELECT $1::text, u, p, $2::text, w, $3::bigint FROM unnest($4::bigint[], $5::bigint[], $6::bytea[]) AS t (u, p, w)
					ON CONFLICT DO NOTHING`,
					[gameId, this.#masterKeyId, now, chunk, pseudonyms, wrapped],
				);
			}
			missing = await this.#readPseudonyms(gameId, missing, out);
		}
		return out;
	}

	/** The player's pseudonym, or undefined when the vault has none (never seen, or erased). Creates nothing. */
	async pseudonymOf(gameId: string, userId: number): Promise<number | undefined> {
		if (userId === 0) return 0;
		const cached = this.#pseudonyms.get(cacheKey(gameId, userId));
		if (cached !== undefined) return cached;
		const { rows } = await this.#pool.query<{ pseudonym: number }>(
			"SELECT pseudonym FROM player_keys WHERE game_id = $1 AND user_id = $2",
			[gameId, userId],
		);
		const pseudonym = rows[0]?.pseudonym;
		if (pseudonym !== undefined) this.#rememberPseudonym(gameId, userId, pseudonym);
		return pseudonym;
	}

	/** The UserId behind a pseudonym, or undefined once the player was erased (their vault row is gone). */
	async userIdOf(gameId: string, pseudonym: number): Promise<number | undefined> {
		if (pseudonym === 0) return 0;
		const cached = this.#userIds.get(cacheKey(gameId, pseudonym));
		if (cached !== undefined) return cached;
		const { rows } = await this.#pool.query<{ user_id: number }>(
			"SELECT user_id FROM player_keys WHERE game_id = $1 AND pseudonym = $2",
			[gameId, pseudonym],
		);
		const userId = rows[0]?.user_id;
		if (userId !== undefined) this.#rememberPseudonym(gameId, userId, pseudonym);
		return userId;
	}

	/**
	 * The secret called `name`, created with `create()` on first use: the first instance to insert it wins and every
	 * instance reads the winner back.
	 */
	async secret(name: string, create: () => string): Promise<string> {
		const select = async () =>
			(await this.#pool.query<{ value: string }>("SELECT value FROM vault_secrets WHERE name = $1", [name])).rows[0]
				?.value;
		const existing = await select();
		if (existing !== undefined) return existing;
		await this.#pool.query(
			"INSERT INTO vault_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
			[name, create(), Date.now()],
		);
		const stored = await select();
		if (stored === undefined) throw new Error(`The secret "${name}" vanished as it was created.`);
		return stored;
	}

	/**
	 * Creates the keys (vault rows) the players lack; players with a key keep it; userId 0 (no player) is skipped.
	 * A key always comes with the player's pseudonym here, so this is {@link pseudonymize}.
	 */
	async ensureKeys(gameId: string, userIds: readonly number[], now: number): Promise<void> {
		await this.pseudonymize(gameId, userIds, now);
	}

	/**
	 * Reads the players' key rows (one query) and keeps their unwrapped keys for {@link seal} and {@link open}; a
	 * player without a row is remembered as having no key (erased, or never seen). Call it before each batch or
	 * request that seals or opens: a key shredded since by any instance is then gone here too.
	 * Throws {@link MasterKeyError} when a key was wrapped by another master key or does not unwrap.
	 */
	async loadKeys(gameId: string, userIds: readonly number[]): Promise<void> {
		const players = [...new Set(userIds)].filter((userId) => userId > 0);
		if (players.length === 0) return;
		const { rows } = await this.#pool.query<{ user_id: number; master_key_id: string; wrapped: Buffer }>(
			named(
				"vantage_player_keys",
				"SELECT user_id, master_key_id, wrapped FROM player_keys WHERE game_id = $1 AND user_id = ANY($2::bigint[])",
				[gameId, players],
			),
		);
		const found = new Map(rows.map((row) => [row.user_id, row]));
		for (const userId of players) {
			const id = cacheKey(gameId, userId);
			const row = found.get(userId);
			if (!row) {
				this.#remember(id, null);
				continue;
			}
			const cached = this.#keys.get(id);
			if (cached?.wrapped.equals(row.wrapped)) {
				// Refreshes its place: a key in use is the last to be evicted.
				this.#remember(id, cached);
				continue;
			}
			this.#remember(id, { wrapped: row.wrapped, key: this.#unwrap(gameId, userId, row) });
		}
	}

	/**
	 * Seals `plaintext` with the player's key as loaded by {@link loadKeys} (the consent sealer's `prepare` loads the
	 * batch's players). `aad` names what the value is and where it belongs; {@link open} must be given the same.
	 * Throws {@link PlayerKeyNotLoadedError} for a player not loaded, and a RangeError for one without a key.
	 */
	seal(gameId: string, userId: number, plaintext: Buffer, aad: string, _now?: number): Buffer {
		const key = this.#loaded(gameId, userId);
		if (!key) throw new RangeError(`Player ${userId} of game "${gameId}" has no key (never seen, or erased).`);
		return seal(key.key, plaintext, aad);
	}

	/**
	 * Opens a value sealed for the player with the key loaded by {@link loadKeys}: the plaintext, or undefined when the
	 * player has no key (shredded). Throws SealedValueError when the value does not authenticate.
	 */
	open(gameId: string, userId: number, sealed: Uint8Array, aad: string): Buffer | undefined {
		const key = this.#loaded(gameId, userId);
		return key ? unseal(key.key, sealed, aad) : undefined;
	}

	/** Whether the player has a key (reads the vault). */
	async hasKey(gameId: string, userId: number): Promise<boolean> {
		const { rowCount } = await this.#pool.query("SELECT 1 FROM player_keys WHERE game_id = $1 AND user_id = $2", [
			gameId,
			userId,
		]);
		return (rowCount ?? 0) > 0;
	}

	/**
	 * Deletes the player's vault row (erasure): their pseudonym resolves to nobody and what was sealed with their key
	 * is unreadable, in every instance (which read the row before each use) and in every backup of the stores.
	 * Returns whether a row existed.
	 */
	async shred(gameId: string, userId: number): Promise<boolean> {
		const { rows } = await this.#pool.query<{ pseudonym: number }>(
			"DELETE FROM player_keys WHERE game_id = $1 AND user_id = $2 RETURNING pseudonym",
			[gameId, userId],
		);
		const pseudonym = rows[0]?.pseudonym ?? this.#pseudonyms.get(cacheKey(gameId, userId));
		this.#keys.delete(cacheKey(gameId, userId));
		this.#pseudonyms.delete(cacheKey(gameId, userId));
		if (pseudonym !== undefined) this.#userIds.delete(cacheKey(gameId, pseudonym));
		return rows.length > 0;
	}

	/** Drops the caches and, when the vault opened its own pool, closes it. Safe to call twice. */
	async close(): Promise<void> {
		this.#keys.clear();
		this.#pseudonyms.clear();
		this.#userIds.clear();
		if (this.#closed) return;
		this.#closed = true;
		if (this.#ownsPool) await this.#pool.end();
	}

	/** Reads the rows of `userIds` into `out` and the cache; returns the players without a row. */
	async #readPseudonyms(gameId: string, userIds: number[], out: Map<number, number>): Promise<number[]> {
		const { rows } = await this.#pool.query<{ user_id: number; pseudonym: number }>(
			"SELECT user_id, pseudonym FROM player_keys WHERE game_id = $1 AND user_id = ANY($2::bigint[])",
			[gameId, userIds],
		);
		for (const row of rows) {
			out.set(row.user_id, row.pseudonym);
			this.#rememberPseudonym(gameId, row.user_id, row.pseudonym);
		}
		return userIds.filter((userId) => !out.has(userId));
	}

	#loaded(gameId: string, userId: number): { key: Buffer } | null {
		const loaded = this.#keys.get(cacheKey(gameId, userId));
		if (loaded === undefined) {
			throw new PlayerKeyNotLoadedError(
				`The key of player ${userId} in game "${gameId}" was not loaded: call loadKeys before sealing or opening.`,
			);
		}
		return loaded;
	}

	#unwrap(gameId: string, userId: number, row: { master_key_id: string; wrapped: Buffer }): Buffer {
		if (row.master_key_id !== this.#masterKeyId) {
			throw new MasterKeyError(
				`The key of player ${userId} in game "${gameId}" was wrapped by master key ${row.master_key_id}, but the ` +
					`configured master key is ${this.#masterKeyId}.`,
			);
		}
		try {
			return unseal(this.#masterKey, row.wrapped, wrapAad(gameId, userId));
		} catch {
			throw new MasterKeyError(
				`The key of player ${userId} in game "${gameId}" does not unwrap with the configured master key ` +
					`${this.#masterKeyId} (wrong key, or the key row was altered).`,
			);
		}
	}

	#remember(id: string, value: { wrapped: Buffer; key: Buffer } | null): void {
		this.#keys.delete(id);
		if (this.#keys.size >= KEY_CACHE_SIZE) {
			const oldest = this.#keys.keys().next();
			if (!oldest.done) this.#keys.delete(oldest.value);
		}
		this.#keys.set(id, value);
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
}

const cacheKey = (gameId: string, id: number) => `${gameId}\0${id}`;

/** A uniformly random integer in [1, 2^53) that `avoid` accepts: fits a bigint and a JavaScript number exactly. */
function randomPseudonym(avoid?: (pseudonym: number) => boolean): number {
	for (;;) {
		const value = Number(randomBytes(8).readBigUInt64BE() >> 11n);
		if (value > 0 && !avoid?.(value)) return value;
	}
}

/**
 * Rewraps the vault's keys that the previous master key wrapped under the current one, `batchSize` rows per
 * transaction (the data keys, and so everything they sealed, do not change): the PostgreSQL twin of
 * rewrapPlayerKeyVault. Safe with several instances starting at once: each waits for the rows another is rewrapping
 * and skips them once rewrapped, and returns only when no row of the previous key is left (so the master key check
 * that follows passes). Returns how many rows this call rewrapped.
 *
 * @example
 * await rewrapPostgresPlayerVault(pool, new MasterKeys(newKey, oldKey));
 */
export async function rewrapPostgresPlayerVault(
	pool: pg.Pool,
	keys: VaultMasterKeys,
	batchSize = 1000,
): Promise<number> {
	if (!keys.previous || !keys.previousId) return 0;
	const previous = keys.previous;
	const previousId = keys.previousId;
	let total = 0;
	for (;;) {
		const n = await transaction(pool, async (client) => {
			const { rows } = await client.query<{ game_id: string; user_id: number; wrapped: Buffer }>(
				`SELECT game_id, user_id, wrapped FROM player_keys WHERE master_key_id = $1 ORDER BY game_id, user_id
				LIMIT $2 FOR UPDATE`,
				[previousId, batchSize],
			);
			for (const row of rows) {
				const aad = wrapAad(row.game_id, row.user_id);
				let dataKey: Buffer;
				try {
					dataKey = unseal(previous, row.wrapped, aad);
				} catch {
					throw new MasterKeyError(
						`The key of player ${row.user_id} in game "${row.game_id}" does not unwrap with the previous master ` +
							`key ${previousId} (altered row).`,
					);
				}
				await client.query(
					"UPDATE player_keys SET master_key_id = $1, wrapped = $2 WHERE game_id = $3 AND user_id = $4",
					[keys.currentId, seal(keys.current, dataKey, aad), row.game_id, row.user_id],
				);
			}
			return rows.length;
		});
		total += n;
		// Until none is left, rather than until a short batch: rows another instance was rewrapping at the same time
		// are waited for (FOR UPDATE), then skipped as no longer the previous key's, which shortens a batch early.
		if (n === 0) return total;
	}
}

/** Where the vault is and which master keys open it. */
export interface PostgresPlayerVaultOptions {
	/** A pool to use (the metadata store's, when the vault lives in the metadata database); not closed by the vault. */
	pool?: pg.Pool;
	/** Or a `postgres://` URL: the vault opens (and closes) its own pool. */
	url?: string;
	/**
	 * The master key, or the master keys of a rotation: with a previous key, what it wrapped is rewrapped under the
	 * current one before the vault is checked and opened.
	 */
	masterKey: Buffer | VaultMasterKeys;
	/** Connections of the vault's own pool. @default 10 */
	poolSize?: number;
}

/**
 * Opens the player vault: migrates its tables (component "player-vault"), rewraps the previous master key's keys
 * during a rotation, and refuses a vault written under another master key ({@link MasterKeyError}).
 *
 * @example
 * const vault = await openPostgresPlayerVault({ pool: metadataPool, masterKey: masterKeys });
 * const sealer = consentSealerAsync(vault);
 */
export async function openPostgresPlayerVault(options: PostgresPlayerVaultOptions): Promise<PostgresPlayerVault> {
	if (!options.pool && !options.url) throw new Error("openPostgresPlayerVault needs a pool or a url.");
	const ownsPool = !options.pool;
	const pool = options.pool ?? openPool({ url: options.url!, poolSize: options.poolSize });
	try {
		await runMigrations(pool, PLAYER_VAULT_COMPONENT, PLAYER_VAULT_MIGRATIONS);
		const current = Buffer.isBuffer(options.masterKey) ? options.masterKey : options.masterKey.current;
		if (!Buffer.isBuffer(options.masterKey)) await rewrapPostgresPlayerVault(pool, options.masterKey);
		const vault = new PostgresPlayerVault(pool, current, ownsPool);
		await vault.checkMasterKey();
		return vault;
	} catch (error) {
		if (ownsPool) await pool.end().catch(() => {});
		throw error;
	}
}
