// The metadata half of the Store on PostgreSQL (the scale path, issue 16): games, keys, users, sessions, signing keys,
// experiments, flags, the metric library, settings and digest state, grants, allocation and leases. It reproduces the
// SQLite engine (server/store/sqlite/sqlite-store.ts) method for method — same answers, same orders, ties included —
// and adds what several instances writing at once need: every read-decide-write runs in one transaction under a lock
// (a table lock for signing keys, an advisory lock per game or metric key) or as one atomic statement.
import type pg from "pg";
import type { SecretSealer, SecurityStore } from "../../domain/security.js";
import type { AccessStore } from "../../domain/access.js";
import type { AllocationStore } from "../../domain/allocation.js";
import type { ExperimentStatus } from "../../domain/experiments.js";
import type {
	BatchLedger,
	LeaseStore,
	MetadataConsentStore,
	MetadataStore,
	PredictionStore,
	PrivacyMetadataStore,
} from "../contracts.js";
import {
	DEFAULT_GAME_SETTINGS,
	type AdminSessionRecord,
	type AdminUser,
	type ApiKeyRecord,
	type DigestDayResult,
	type DigestState,
	type ExperimentRecord,
	type FlagRecord,
	type Game,
	type GameSettings,
	type LibraryMetricRecord,
	type SigningKeyRecord,
} from "../types.js";
import {
	fromExperiment,
	fromGameSettings,
	toAdminSession,
	toAdminUser,
	toApiKey,
	toDigestState,
	toExperiment,
	toFlag,
	toGame,
	toGameSettings,
	toSigningKey,
	type AdminSessionRow,
	type AdminUserRow,
	type ApiKeyRow,
	type DigestStateRow,
	type ExperimentRow,
	type FlagRow,
	type GameRow,
	type GameSettingsRow,
	type SigningKeyRow,
} from "../rows.js";
import { PostgresAccessStore } from "./access-store.js";
import { PostgresAllocationStore } from "./allocation-store.js";
import { PostgresBatchLedger } from "./batch-ledger.js";
import { PostgresLeaseStore } from "./lease-store.js";
import { PostgresMetricLibrary } from "./metric-library-store.js";
import { advisoryXactLock, named, ping, transaction } from "./pool.js";
import { PostgresSecurityStore } from "./security-store.js";

const KEY_COLUMNS = "id, game_id, name, secret_hash, scopes, created_at, revoked_at";
const USER_COLUMNS = "id, email, password_hash, instance_admin, created_at, disabled_at";
const SESSION_COLUMNS = "id, user_id, csrf_token, created_at, last_seen_at, expires_at";
const SIGNING_KEY_COLUMNS = "kid, alg, private_jwk, public_jwk, created_at, retired_at";
const EXPERIMENT_COLUMNS =
	"game_id, key, status, definition, revision, created_at, updated_at, adaptive_weights, adaptive_updated_at";
const FLAG_COLUMNS = "game_id, key, definition, revision, created_at, updated_at";
const SETTINGS_COLUMNS =
	"game_id, time_zone, raw_retention_days, digest_webhook_url, digest_hour, trust_client_clock, consent_default, " +
	"updated_at";
const DIGEST_COLUMNS = "game_id, last_day, attempts, last_error, claimed_day, claimed_until, updated_at";

/** What the privacy half (consent ledger, audit, erasure) of a metadata store is made of; see index.ts. */
export interface PostgresPrivacyParts {
	consent: MetadataConsentStore;
	privacy: PrivacyMetadataStore;
	/** Each game's latest predictions (prediction-store.ts). */
	predictions: PredictionStore;
}

export interface PostgresMetadataStoreOptions {
	/**
	 * Seals the secrets the store keeps in its own tables (a game's digest webhook URL, which holds a token) with the
	 * master keys. @default none: stored as given (tests); the server always passes its master keys
	 */
	secrets?: SecretSealer;
	/** Ends the pool when the store closes. @default true */
	ownsPool?: boolean;
}

/**
 * The metadata half on one PostgreSQL database. Open it with `openPostgresMetadata` (index.ts), which migrates the
 * schema and wires the privacy half.
 */
export class PostgresMetadataStore implements MetadataStore {
	readonly #pool: pg.Pool;
	readonly #secrets: SecretSealer | undefined;
	readonly #ownsPool: boolean;
	readonly #library: PostgresMetricLibrary;
	#closed = false;

	readonly consent: MetadataConsentStore;
	readonly privacy: PrivacyMetadataStore;
	readonly security: SecurityStore;
	readonly access: AccessStore;
	readonly allocation: AllocationStore;
	readonly leases: LeaseStore;
	/** The claims and answers of batches whose events ClickHouse stores (batch-ledger.ts). */
	readonly batches: BatchLedger;
	readonly predictions: PredictionStore;

	constructor(pool: pg.Pool, parts: PostgresPrivacyParts, options: PostgresMetadataStoreOptions = {}) {
		this.#pool = pool;
		this.#secrets = options.secrets;
		this.#ownsPool = options.ownsPool ?? true;
		this.#library = new PostgresMetricLibrary(pool);
		this.consent = parts.consent;
		this.privacy = parts.privacy;
		this.security = new PostgresSecurityStore(pool);
		this.access = new PostgresAccessStore(pool);
		this.allocation = new PostgresAllocationStore(pool);
		this.leases = new PostgresLeaseStore(pool);
		this.batches = new PostgresBatchLedger(pool);
		this.predictions = parts.predictions;
	}

	/** The pool the store runs on (the migration tool and tests reach the same database through it). */
	get pool(): pg.Pool {
		return this.#pool;
	}

	async ping(): Promise<void> {
		await ping(this.#pool);
	}

	async close(): Promise<void> {
		if (this.#closed) return;
		this.#closed = true;
		// pg's Pool rejects queries once ended: further calls reject, as the contract says.
		if (this.#ownsPool) await this.#pool.end();
	}

	async #rows<T extends pg.QueryResultRow>(sql: string, values: readonly unknown[] = []): Promise<T[]> {
		return (await this.#pool.query<T>(sql, values as unknown[])).rows;
	}

	async #count(sql: string, values: readonly unknown[]): Promise<number> {
		return (await this.#pool.query(sql, values as unknown[])).rowCount ?? 0;
	}

	async createGame(game: Game): Promise<boolean> {
		const inserted = await this.#count(
			"INSERT INTO games (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
			[game.id, game.name, game.createdAt],
		);
		return inserted === 1;
	}

	async getGame(id: string): Promise<Game | undefined> {
		const [row] = await this.#rows<GameRow>("SELECT id, name, created_at FROM games WHERE id = $1", [id]);
		return row && toGame(row);
	}

	async listGames(): Promise<Game[]> {
		return (await this.#rows<GameRow>("SELECT id, name, created_at FROM games ORDER BY id")).map(toGame);
	}

	async insertApiKey(key: ApiKeyRecord): Promise<void> {
		await this.#pool.query(`INSERT INTO api_keys (${KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
			key.id,
			key.gameId,
			key.name,
			key.secretHash,
			key.scopes.join(" "),
			key.createdAt,
			key.revokedAt,
		]);
	}

	async getApiKey(id: string): Promise<ApiKeyRecord | undefined> {
		// Every request of a game server checks its key: prepared once per connection.
		const { rows } = await this.#pool.query<ApiKeyRow>(
			named("vantage_api_key", `SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = $1`, [id]),
		);
		const row = rows[0];
		return row && toApiKey(row);
	}

	async listApiKeys(gameId?: string): Promise<ApiKeyRecord[]> {
		const rows =
			gameId === undefined
				? await this.#rows<ApiKeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY game_id, id`)
				: await this.#rows<ApiKeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE game_id = $1 ORDER BY id`, [gameId]);
		return rows.map(toApiKey);
	}

	async revokeApiKey(id: string, at: number): Promise<boolean> {
		return (
			(await this.#count("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", [at, id])) === 1
		);
	}

	async insertAdminUser(user: AdminUser): Promise<boolean> {
		const inserted = await this.#count(
			`INSERT INTO admin_users (${USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (email) DO NOTHING`,
			[user.id, user.email, user.passwordHash, user.admin, user.createdAt, user.disabledAt],
		);
		return inserted === 1;
	}

	async getAdminUser(id: string): Promise<AdminUser | undefined> {
		const [row] = await this.#rows<AdminUserRow>(`SELECT ${USER_COLUMNS} FROM admin_users WHERE id = $1`, [id]);
		return row && toAdminUser(row);
	}

	async getAdminUserByEmail(email: string): Promise<AdminUser | undefined> {
		const [row] = await this.#rows<AdminUserRow>(`SELECT ${USER_COLUMNS} FROM admin_users WHERE email = $1`, [email]);
		return row && toAdminUser(row);
	}

	async listAdminUsers(): Promise<AdminUser[]> {
		return (await this.#rows<AdminUserRow>(`SELECT ${USER_COLUMNS} FROM admin_users ORDER BY email`)).map(toAdminUser);
	}

	async updateAdminUser(id: string, changes: { admin?: boolean; disabledAt?: number | null }): Promise<boolean> {
		// A NULL admin leaves it unchanged; $4 tells "re-enable" (NULL) apart from "leave as is".
		const updated = await this.#count(
			`UPDATE admin_users SET
				instance_admin = coalesce($2::boolean, instance_admin),
				disabled_at = CASE WHEN $4::boolean THEN $3::bigint ELSE disabled_at END
			WHERE id = $1`,
			[id, changes.admin ?? null, changes.disabledAt ?? null, changes.disabledAt !== undefined],
		);
		return updated === 1;
	}

	async insertAdminSession(session: AdminSessionRecord): Promise<void> {
		await this.#pool.query(`INSERT INTO admin_sessions (${SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)`, [
			session.id,
			session.userId,
			session.csrfToken,
			session.createdAt,
			session.lastSeenAt,
			session.expiresAt,
		]);
	}

	async getAdminSession(id: string): Promise<AdminSessionRecord | undefined> {
		const [row] = await this.#rows<AdminSessionRow>(`SELECT ${SESSION_COLUMNS} FROM admin_sessions WHERE id = $1`, [
			id,
		]);
		return row && toAdminSession(row);
	}

	async touchAdminSession(id: string, at: number): Promise<boolean> {
		const touched = await this.#count(
			"UPDATE admin_sessions SET last_seen_at = greatest(last_seen_at, $1) WHERE id = $2",
			[at, id],
		);
		return touched === 1;
	}

	async deleteAdminSession(id: string): Promise<boolean> {
		return (await this.#count("DELETE FROM admin_sessions WHERE id = $1", [id])) === 1;
	}

	async deleteStaleAdminSessions(now: number, lastSeenBefore: number): Promise<number> {
		// Token sessions have no idle timeout: their token's lifetime bounds them.
		return await this.#count(
			"DELETE FROM admin_sessions WHERE expires_at <= $1 OR (kind = 'dashboard' AND last_seen_at < $2)",
			[now, lastSeenBefore],
		);
	}

	async listSigningKeys(): Promise<SigningKeyRecord[]> {
		const rows = await this.#rows<SigningKeyRow>(
			`SELECT ${SIGNING_KEY_COLUMNS} FROM signing_keys ORDER BY retired_at IS NOT NULL, created_at DESC, kid DESC`,
		);
		return rows.map(toSigningKey);
	}

	/**
	 * The check, the retirement and the insert run under a table lock that conflicts with itself (SHARE ROW
	 * EXCLUSIVE), so of several instances rotating at once each sees the key the one before added: with
	 * `unlessActiveNewerThan` they add one key between them.
	 */
	async addSigningKey(key: SigningKeyRecord, options: { unlessActiveNewerThan?: number } = {}): Promise<boolean> {
		return await transaction(this.#pool, async (client) => {
			await client.query("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE");
			const { rows } = await client.query<{ created_at: number | null }>(
				"SELECT max(created_at) AS created_at FROM signing_keys WHERE retired_at IS NULL",
			);
			const newest = rows[0]?.created_at ?? null;
			const unless = options.unlessActiveNewerThan;
			if (unless !== undefined && newest !== null && newest > unless) return false;
			await client.query("UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL", [key.createdAt]);
			await client.query(`INSERT INTO signing_keys (${SIGNING_KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, NULL)`, [
				key.kid,
				key.alg,
				key.privateJwk,
				key.publicJwk,
				key.createdAt,
			]);
			return true;
		});
	}

	async insertExperiment(record: ExperimentRecord): Promise<boolean> {
		const row = fromExperiment(record);
		const inserted = await this.#count(
			`INSERT INTO experiments (${EXPERIMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (game_id, key) DO NOTHING`,
			[
				row.game_id,
				row.key,
				row.status,
				row.definition,
				row.revision,
				row.created_at,
				row.updated_at,
				row.adaptive_weights,
				row.adaptive_updated_at,
			],
		);
		return inserted === 1;
	}

	async getExperiment(gameId: string, key: string): Promise<ExperimentRecord | undefined> {
		const [row] = await this.#rows<ExperimentRow>(
			`SELECT ${EXPERIMENT_COLUMNS} FROM experiments WHERE game_id = $1 AND key = $2`,
			[gameId, key],
		);
		return row && toExperiment(row);
	}

	async listExperiments(query: { gameId?: string; status?: ExperimentStatus }): Promise<ExperimentRecord[]> {
		const rows = await this.#rows<ExperimentRow>(
			`SELECT ${EXPERIMENT_COLUMNS} FROM experiments
			WHERE ($1::text IS NULL OR game_id = $1) AND ($2::text IS NULL OR status = $2)
			ORDER BY game_id, key`,
			[query.gameId ?? null, query.status ?? null],
		);
		return rows.map(toExperiment);
	}

	async updateExperiment(record: ExperimentRecord): Promise<boolean> {
		// One statement: the revision check and the write are atomic, so of two updates based on one read one wins.
		const updated = await this.#count(
			`UPDATE experiments SET status = $3, definition = $4, revision = revision + 1, updated_at = $5
			WHERE game_id = $1 AND key = $2 AND revision = $6`,
			[record.gameId, record.key, record.status, JSON.stringify(record.definition), record.updatedAt, record.revision],
		);
		return updated === 1;
	}

	async deleteExperiment(gameId: string, key: string): Promise<boolean> {
		return (await this.#count("DELETE FROM experiments WHERE game_id = $1 AND key = $2", [gameId, key])) === 1;
	}

	async setAdaptiveWeights(gameId: string, key: string, weights: readonly number[], at: number): Promise<boolean> {
		const updated = await this.#count(
			"UPDATE experiments SET adaptive_weights = $1, adaptive_updated_at = $2 WHERE game_id = $3 AND key = $4",
			[JSON.stringify(weights), at, gameId, key],
		);
		return updated === 1;
	}

	async insertLibraryMetric(record: LibraryMetricRecord): Promise<boolean> {
		return await this.#library.insert(record);
	}

	async getLibraryMetric(gameId: string, key: string, version?: number): Promise<LibraryMetricRecord | undefined> {
		return await this.#library.get(gameId, key, version);
	}

	async listLibraryMetrics(gameId: string, options?: { includeArchived?: boolean }): Promise<LibraryMetricRecord[]> {
		return await this.#library.list(gameId, options?.includeArchived ?? false);
	}

	async listLibraryMetricVersions(gameId: string, key: string): Promise<LibraryMetricRecord[]> {
		return await this.#library.versions(gameId, key);
	}

	async archiveLibraryMetric(gameId: string, key: string, at: number): Promise<boolean> {
		return await this.#library.archive(gameId, key, at);
	}

	async insertFlag(record: FlagRecord): Promise<boolean> {
		const inserted = await this.#count(
			`INSERT INTO flags (${FLAG_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (game_id, key) DO NOTHING`,
			[
				record.gameId,
				record.key,
				JSON.stringify(record.definition),
				record.revision,
				record.createdAt,
				record.updatedAt,
			],
		);
		return inserted === 1;
	}

	async getFlag(gameId: string, key: string): Promise<FlagRecord | undefined> {
		const [row] = await this.#rows<FlagRow>(`SELECT ${FLAG_COLUMNS} FROM flags WHERE game_id = $1 AND key = $2`, [
			gameId,
			key,
		]);
		return row && toFlag(row);
	}

	async listFlags(gameId: string): Promise<FlagRecord[]> {
		const rows = await this.#rows<FlagRow>(`SELECT ${FLAG_COLUMNS} FROM flags WHERE game_id = $1 ORDER BY key`, [
			gameId,
		]);
		return rows.map(toFlag);
	}

	async updateFlag(record: FlagRecord): Promise<boolean> {
		const updated = await this.#count(
			`UPDATE flags SET definition = $3, revision = revision + 1, updated_at = $4
			WHERE game_id = $1 AND key = $2 AND revision = $5`,
			[record.gameId, record.key, JSON.stringify(record.definition), record.updatedAt, record.revision],
		);
		return updated === 1;
	}

	async deleteFlag(gameId: string, key: string): Promise<boolean> {
		return (await this.#count("DELETE FROM flags WHERE game_id = $1 AND key = $2", [gameId, key])) === 1;
	}

	async getGameSettings(gameId: string): Promise<GameSettings> {
		const [row] = await this.#rows<GameSettingsRow>(
			`SELECT ${SETTINGS_COLUMNS} FROM game_settings WHERE game_id = $1`,
			[gameId],
		);
		return row ? toGameSettings(row, this.#secrets) : { gameId, ...DEFAULT_GAME_SETTINGS };
	}

	/**
	 * Read, merge and write under the game's advisory lock, so two concurrent edits of different settings both
	 * survive — also on a game's first edit, when there is no row yet to lock.
	 */
	async updateGameSettings(
		gameId: string,
		changes: Partial<Omit<GameSettings, "gameId" | "updatedAt">>,
		at: number,
	): Promise<GameSettings> {
		return await transaction(this.#pool, async (client) => {
			await advisoryXactLock(client, `vantage:game-settings:${gameId}`);
			const { rows } = await client.query<GameSettingsRow>(
				`SELECT ${SETTINGS_COLUMNS} FROM game_settings WHERE game_id = $1`,
				[gameId],
			);
			const row = rows[0];
			const current = row ? toGameSettings(row, this.#secrets) : { gameId, ...DEFAULT_GAME_SETTINGS };
			const next: GameSettings = {
				gameId,
				timeZone: changes.timeZone ?? current.timeZone,
				rawRetentionDays: changes.rawRetentionDays === undefined ? current.rawRetentionDays : changes.rawRetentionDays,
				digestWebhookUrl: changes.digestWebhookUrl === undefined ? current.digestWebhookUrl : changes.digestWebhookUrl,
				digestHour: changes.digestHour ?? current.digestHour,
				trustClientClock: changes.trustClientClock ?? current.trustClientClock,
				consentDefault: changes.consentDefault ?? current.consentDefault,
				updatedAt: at,
			};
			const stored = fromGameSettings(next, this.#secrets);
			await client.query(
				`INSERT INTO game_settings (${SETTINGS_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
				ON CONFLICT (game_id) DO UPDATE SET time_zone = excluded.time_zone,
					raw_retention_days = excluded.raw_retention_days, digest_webhook_url = excluded.digest_webhook_url,
					digest_hour = excluded.digest_hour, trust_client_clock = excluded.trust_client_clock,
					consent_default = excluded.consent_default, updated_at = excluded.updated_at`,
				[
					stored.game_id,
					stored.time_zone,
					stored.raw_retention_days,
					stored.digest_webhook_url,
					stored.digest_hour,
					stored.trust_client_clock,
					stored.consent_default,
					stored.updated_at,
				],
			);
			return next;
		});
	}

	async listGameSettings(): Promise<GameSettings[]> {
		const rows = await this.#rows<GameSettingsRow>(`SELECT ${SETTINGS_COLUMNS} FROM game_settings ORDER BY game_id`);
		return rows.map((row) => toGameSettings(row, this.#secrets));
	}

	async getDigestState(gameId: string): Promise<DigestState | undefined> {
		const [row] = await this.#rows<DigestStateRow>(`SELECT ${DIGEST_COLUMNS} FROM digest_state WHERE game_id = $1`, [
			gameId,
		]);
		return row && toDigestState(row);
	}

	/**
	 * Day strings are YYYY-MM-DD (compared in byte order, "C"), so text order is date order. The WHERE of DO UPDATE
	 * reads the stored row, locked: a settled day (or a later one) and an unexpired claim both leave it untouched (no
	 * row = not claimed), and of two processes claiming at once the second sees the first's claim.
	 */
	async claimDigestDay(gameId: string, day: string, at: number, until: number): Promise<boolean> {
		const claimed = await this.#count(
			`INSERT INTO digest_state (${DIGEST_COLUMNS}) VALUES ($1, NULL, 0, NULL, $2, $3, $4)
			ON CONFLICT (game_id) DO UPDATE SET claimed_day = $2, claimed_until = $3, updated_at = $4
			WHERE (digest_state.last_day IS NULL OR digest_state.last_day < $2)
				AND (digest_state.claimed_until IS NULL OR digest_state.claimed_until <= $4)`,
			[gameId, day, until, at],
		);
		return claimed === 1;
	}

	async finishDigestDay(gameId: string, result: DigestDayResult, at: number): Promise<void> {
		await this.#pool.query(
			`UPDATE digest_state SET
				last_day = CASE WHEN $2 AND (last_day IS NULL OR last_day < $3) THEN $3 ELSE last_day END,
				attempts = $4, last_error = $5, claimed_day = NULL, claimed_until = NULL, updated_at = $6
			WHERE game_id = $1`,
			[gameId, result.settled, result.day, result.attempts, result.error, at],
		);
	}
}
