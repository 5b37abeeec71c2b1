import BetterSqlite3 from "better-sqlite3";
import type { ExperimentStatus } from "../../domain/experiments.js";
import type { ExperimentUnits, ExperimentUnitsQuery } from "../../domain/experiments.js";
import type { IngestResult, ValidatedBatch } from "../../domain/ingest.js";
import {
	DEFAULT_GAME_SETTINGS,
	type AdminSessionRecord,
	type AdminUser,
	type ApiKeyRecord,
	type DigestDayResult,
	type DigestState,
	type ExperimentMetricQuery,
	type ExperimentMetricRow,
	type ExperimentRecord,
	type FlagRecord,
	type Game,
	type GameSettings,
	type IngestOutcome,
	type LibraryMetricRecord,
	type ListEventsQuery,
	type SigningKeyRecord,
	type Store,
	type StoredEvent,
} from "../types.js";
import type { WarehouseService } from "../../domain/warehouse.js";
import { migrate } from "./migrate.js";
import { InProcessWarehouse, WorkerWarehouse } from "./warehouse-client.js";
import { MainWriteLock } from "./write-lock.js";
import { MIGRATIONS, type Migration } from "./migrations.js";
import { SqlitePrivacyStore } from "./privacy-store.js";
import { SqliteSecurityStore } from "./security-store.js";
import type { SecretSealer, SecurityStore } from "../../domain/security.js";
import { SqliteAccessStore } from "./access-store.js";
import { SqliteMetricLibrary } from "./metric-library-store.js";
import { SqliteAllocationStore } from "./allocation-store.js";
import type { AllocationStore } from "../../domain/allocation.js";
import type { AccessStore } from "../../domain/access.js";
import type { ConsentSealer, SealedConsent } from "../../domain/consent.js";
import type {
	EraseEventsOutcome,
	EventStore,
	LeaseStore,
	MetadataConsentStore,
	MetadataStore,
	PredictionStore,
} from "../contracts.js";
import { SqlitePredictionStore } from "./prediction-store.js";
import { SqliteLeaseStore } from "./lease-store.js";
import { SqliteConsentStore, consentAppender } from "./consent-store.js";
import { type EventRow, toStoredEvent } from "./event-rows.js";
import { randomBytes } from "node:crypto";
import type { Logger } from "../../logger.js";
import { PlayerKeyring } from "../../privacy/player-keys.js";
import { NO_PLAYER_VAULT, type PlayerPseudonyms } from "../../domain/players.js";
import { convertToPseudonyms } from "./pseudonym-conversion.js";
import {
	fromExperiment,
	fromFlag,
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

/** A batch's players: UserId → pseudonym (server/privacy/pseudonyms.ts). */
type PlayerIds = ReadonlyMap<number, number>;

/**
 * Later pages of a name- or time-filtered event read re-probe the matching id range while it holds at most this
 * many index entries (about 2 ms); see listEvents.
 */
const ID_PROBE_CAP = 20_000;

export interface SqliteStoreOptions {
	/** Database file path, or ":memory:" for tests. */
	path: string;
	/** @default MIGRATIONS (tests pass other lists to exercise upgrades) */
	migrations?: readonly Migration[];
	/** How long a writer waits for another process's lock before failing. @default 5000 */
	busyTimeoutMs?: number;
	/**
	 * Whether ingest queues stored events for the rollups (the metrics API reads rollups; off only to measure
	 * ingest without them). @default true
	 */
	rollups?: boolean;
	/**
	 * Where the warehouse (rollup job, metric queries, experiment sums) runs: "worker" is a worker thread with its
	 * own connection (file databases only), "inline" the store's connection. @default "worker" for files, "inline"
	 * for ":memory:"
	 */
	warehouse?: "worker" | "inline";
	/** Whether the rollup job runs by itself; false leaves folding to `warehouse.catchUp()` (tests). @default true */
	autoFold?: boolean;
	/** Pause of the idle rollup job between looks at the inbox, in ms. @default 1000 */
	foldIntervalMs?: number;
	/** Called with errors of the background warehouse (logged by the server). */
	onWarehouseError?: (error: Error) => void;
	/**
	 * Seals consent events for their records (server/privacy/consent-records.ts, with the player keys). Without it
	 * the store refuses consent events rather than keep a player's choice in clear or lose its proof. @default none
	 */
	consentSealer?: ConsentSealer;
	/**
	 * The player vault that maps UserIds to the pseudonyms vantage.db stores instead (server/privacy/pseudonyms.ts;
	 * the player keyring). Opening a database of UserIds with it converts it once. @default for ":memory:", a vault
	 * in memory that lives as long as the store; for a file, none: player ids are refused (NoPlayerVaultError)
	 */
	players?: PlayerPseudonyms;
	/** Told of the one-time conversion to pseudonyms. @default none */
	logger?: Logger;
	/**
	 * Seals the secrets the store keeps in its own tables (a game's digest webhook URL, which holds a token), with the
	 * master keys. @default none: stored as given (tests); the server always passes its master keys
	 */
	secrets?: SecretSealer;
}

/**
 * The embedded engine: the app's Store and both halves of the store contracts (store/contracts.ts) in one database,
 * so the metadata and event contract suites run on it as on PostgreSQL and ClickHouse.
 */
export type SqliteEngine = Store & MetadataStore & EventStore;

/**
 * Opens (creating if needed) and migrates a SQLite database.
 *
 * @example
 * const store = openSqliteStore({ path: join(config.dataDir, "vantage.db") });
 */
export function openSqliteStore(options: SqliteStoreOptions): SqliteEngine {
	const db = new BetterSqlite3(options.path);
	try {
		configureConnection(db, options.busyTimeoutMs ?? 5000);
		migrate(db, options.migrations ?? MIGRATIONS);
		const memory = options.path === ":memory:" || options.path === "";
		// A database in memory gets a vault in memory: both are gone together.
		const ownVault = !options.players && memory ? memoryVault() : undefined;
		const players = options.players ?? ownVault ?? NO_PLAYER_VAULT;
		if (players !== NO_PLAYER_VAULT) convertToPseudonyms(db, players, { now: Date.now(), logger: options.logger });
		const mode = options.warehouse ?? (memory ? "inline" : "worker");
		if (mode === "worker" && memory) throw new Error("a worker warehouse needs a database file");
		const autoFold = options.autoFold ?? true;
		const intervalMs = options.foldIntervalMs ?? 1000;
		const lock = mode === "worker" ? new MainWriteLock() : undefined;
		// The worker checkpoints the WAL between its folds (warehouse-handler.ts), off the ingest path.
		if (mode === "worker") db.pragma("wal_autocheckpoint = 0");
		const warehouse =
			mode === "worker"
				? new WorkerWarehouse(
						{
							path: options.path,
							busyTimeoutMs: options.busyTimeoutMs ?? 5000,
							intervalMs,
							autoFold,
							lock: lock!.buffer,
						},
						options.onWarehouseError ?? (() => {}),
					)
				: new InProcessWarehouse(db, { autoFold, intervalMs });
		const store = new SqliteStore(
			db,
			warehouse,
			options.rollups ?? true,
			players,
			lock,
			options.consentSealer,
			ownVault,
		);
		if (options.secrets) store.sealSecretsWith(options.secrets);
		return store;
	} catch (error) {
		db.close();
		throw error;
	}
}

function memoryVault(): PlayerKeyring {
	return PlayerKeyring.open({ path: ":memory:", masterKey: randomBytes(32) });
}

/** Per-connection settings every connection to a Vantage database needs. */
export function configureConnection(db: BetterSqlite3.Database, busyTimeoutMs: number): void {
	// WAL lets readers (dashboard) run during ingest writes; NORMAL is durable across application crashes
	// in WAL mode and only risks the last transactions on power loss, which batch retries cover.
	db.pragma("journal_mode = WAL");
	db.pragma("synchronous = NORMAL");
	db.pragma("foreign_keys = ON");
	// 64 MiB of page cache (the default is 2 MiB): ingest, the warehouse's folds and metric reads touch the recent
	// end of large indexes, and keeping it in memory saves a read system call per page.
	db.pragma("cache_size = -65536");
	db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
}

class SqliteStore implements Store, MetadataStore, EventStore {
	readonly #db: BetterSqlite3.Database;
	readonly #ping;
	readonly #selectBatch;
	readonly #insertGame;
	readonly #selectGame;
	readonly #listGames;
	readonly #insertApiKey;
	readonly #selectApiKey;
	readonly #listApiKeys;
	readonly #listAllApiKeys;
	readonly #revokeApiKey;
	readonly #insertAdminUser;
	readonly #selectAdminUser;
	readonly #selectAdminUserByEmail;
	readonly #listAdminUsers;
	readonly #updateAdminUser;
	readonly #insertAdminSession;
	readonly #selectAdminSession;
	readonly #touchAdminSession;
	readonly #deleteAdminSession;
	readonly #deleteStaleAdminSessions;
	readonly #listSigningKeys;
	readonly #addSigningKey;
	readonly #insertEvent;
	readonly #insertBatch;
	/** Prepared event reads by SQL text: one per filter combination, so each filter is a plain indexable term. */
	readonly #eventQueries = new Map<string, BetterSqlite3.Statement<[Record<string, string | number>]>>();
	readonly #ingest;
	readonly #insertExperiment;
	readonly #selectExperiment;
	readonly #listExperiments;
	readonly #updateExperiment;
	readonly #deleteExperiment;
	readonly #setAdaptiveWeights;
	readonly #insertFlag;
	readonly #selectFlag;
	readonly #listFlags;
	readonly #updateFlag;
	readonly #deleteFlag;
	readonly #metricLibrary;
	readonly #selectGameSettings;
	readonly #listGameSettings;
	readonly #updateGameSettings;
	readonly #selectDigestState;
	readonly #claimDigestDay;
	readonly #finishDigestDay;

	readonly warehouse: WarehouseService;
	readonly privacy: SqlitePrivacyStore;
	readonly security: SecurityStore;
	readonly leases: LeaseStore;
	readonly predictions: PredictionStore;
	#secrets: SecretSealer | undefined;
	readonly #insertLog;
	readonly #rollups: boolean;

	readonly #lock: MainWriteLock | undefined;

	readonly consent: MetadataConsentStore;
	readonly access: AccessStore;
	readonly allocation: AllocationStore;
	readonly #consentSealer: ConsentSealer | undefined;
	readonly #appendConsent;
	readonly #players: PlayerPseudonyms;
	/** The vault in memory of a store in memory, closed with it. */
	readonly #ownVault: PlayerKeyring | undefined;

	constructor(
		db: BetterSqlite3.Database,
		warehouse: WarehouseService,
		rollups: boolean,
		players: PlayerPseudonyms,
		lock?: MainWriteLock,
		consentSealer?: ConsentSealer,
		ownVault?: PlayerKeyring,
	) {
		this.#players = players;
		this.#ownVault = ownVault;
		this.consent = new SqliteConsentStore(db, players, lock);
		this.access = new SqliteAccessStore(db);
		this.allocation = new SqliteAllocationStore(db);
		this.#consentSealer = consentSealer;
		this.#appendConsent = consentAppender(db);
		this.#db = db;
		this.#lock = lock;
		this.warehouse = warehouse;
		this.security = new SqliteSecurityStore(db, lock);
		this.privacy = new SqlitePrivacyStore(db, players, lock, consentSealer);
		this.leases = new SqliteLeaseStore(db, lock);
		this.predictions = new SqlitePredictionStore(db, players, lock);
		this.#rollups = rollups;
		this.#insertLog = db.prepare<[string, string]>("INSERT INTO ingest_log (game_id, ids) VALUES (?, ?)");
		this.#ping = db.prepare<[], { ok: number }>("SELECT 1 AS ok");
		this.#selectBatch = db.prepare<[string, string], { response: string; fingerprint: string | null }>(
			"SELECT response, fingerprint FROM batches WHERE game_id = ? AND batch_id = ?",
		);
		this.#insertGame = db.prepare<[string, string, number]>(
			"INSERT INTO games (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
		);
		this.#selectGame = db.prepare<[string], GameRow>("SELECT id, name, created_at FROM games WHERE id = ?");
		this.#listGames = db.prepare<[], GameRow>("SELECT id, name, created_at FROM games ORDER BY id");
		this.#insertApiKey = db.prepare<[ApiKeyRow]>(
			`INSERT INTO api_keys (id, game_id, name, secret_hash, scopes, created_at, revoked_at)
			VALUES (@id, @game_id, @name, @secret_hash, @scopes, @created_at, @revoked_at)`,
		);
		const keyColumns = "id, game_id, name, secret_hash, scopes, created_at, revoked_at";
		this.#selectApiKey = db.prepare<[string], ApiKeyRow>(`SELECT ${keyColumns} FROM api_keys WHERE id = ?`);
		this.#listApiKeys = db.prepare<[string], ApiKeyRow>(
			`SELECT ${keyColumns} FROM api_keys WHERE game_id = ? ORDER BY id`,
		);
		this.#listAllApiKeys = db.prepare<[], ApiKeyRow>(`SELECT ${keyColumns} FROM api_keys ORDER BY game_id, id`);
		this.#revokeApiKey = db.prepare<[number, string]>(
			"UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
		);
		const userColumns = "id, email, password_hash, instance_admin, created_at, disabled_at";
		this.#insertAdminUser = db.prepare<[AdminUserRow<number>]>(
			`INSERT INTO admin_users (${userColumns})
			VALUES (@id, @email, @password_hash, @instance_admin, @created_at, @disabled_at)
			ON CONFLICT (email) DO NOTHING`,
		);
		this.#selectAdminUser = db.prepare<[string], AdminUserRow>(`SELECT ${userColumns} FROM admin_users WHERE id = ?`);
		this.#selectAdminUserByEmail = db.prepare<[string], AdminUserRow>(
			`SELECT ${userColumns} FROM admin_users WHERE email = ?`,
		);
		this.#listAdminUsers = db.prepare<[], AdminUserRow>(`SELECT ${userColumns} FROM admin_users ORDER BY email`);
		// A NULL admin leaves it unchanged; @setDisabled tells "re-enable" (NULL) apart from "leave as is".
		this.#updateAdminUser = db.prepare<
			[{ id: string; admin: number | null; disabledAt: number | null; setDisabled: number }]
		>(
			`UPDATE admin_users SET
				instance_admin = coalesce(@admin, instance_admin),
				disabled_at = CASE WHEN @setDisabled = 1 THEN @disabledAt ELSE disabled_at END
			WHERE id = @id`,
		);
		const sessionColumns = "id, user_id, csrf_token, created_at, last_seen_at, expires_at";
		this.#insertAdminSession = db.prepare<[AdminSessionRow]>(
			`INSERT INTO admin_sessions (${sessionColumns})
			VALUES (@id, @user_id, @csrf_token, @created_at, @last_seen_at, @expires_at)`,
		);
		this.#selectAdminSession = db.prepare<[string], AdminSessionRow>(
			`SELECT ${sessionColumns} FROM admin_sessions WHERE id = ?`,
		);
		this.#touchAdminSession = db.prepare<[number, string]>(
			"UPDATE admin_sessions SET last_seen_at = max(last_seen_at, ?) WHERE id = ?",
		);
		this.#deleteAdminSession = db.prepare<[string]>("DELETE FROM admin_sessions WHERE id = ?");
		this.#deleteStaleAdminSessions = db.prepare<[number, number]>(
			// Token sessions (security-migration.ts) have no idle timeout: their token's lifetime bounds them.
			"DELETE FROM admin_sessions WHERE expires_at <= ? OR (kind = 'dashboard' AND last_seen_at < ?)",
		);
		this.#listSigningKeys = db.prepare<[], SigningKeyRow>(
			`SELECT kid, alg, private_jwk, public_jwk, created_at, retired_at FROM signing_keys
			ORDER BY retired_at IS NOT NULL, created_at DESC, kid DESC`,
		);
		const newestActive = db.prepare<[], { created_at: number }>(
			"SELECT max(created_at) AS created_at FROM signing_keys WHERE retired_at IS NULL",
		);
		const retireActive = db.prepare<[number]>("UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL");
		const insertSigningKey = db.prepare<[SigningKeyRow]>(
			`INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk, created_at, retired_at)
			VALUES (@kid, @alg, @private_jwk, @public_jwk, @created_at, @retired_at)`,
		);
		this.#addSigningKey = db.transaction(
			(key: SigningKeyRecord, unlessActiveNewerThan: number | undefined): boolean => {
				const newest = newestActive.get()?.created_at ?? null;
				if (unlessActiveNewerThan !== undefined && newest !== null && newest > unlessActiveNewerThan) return false;
				retireActive.run(key.createdAt);
				insertSigningKey.run({
					kid: key.kid,
					alg: key.alg,
					private_jwk: key.privateJwk,
					public_jwk: key.publicJwk,
					created_at: key.createdAt,
					retired_at: null,
				});
				return true;
			},
		);
		// ON CONFLICT on the key, not INSERT OR IGNORE: OR IGNORE would also swallow NOT NULL and type errors
		// and count them as duplicates. Positional parameters: this runs once per event, and binding by name costs
		// a property lookup per column.
		this.#insertEvent = db.prepare<[string, string, string, number, string, string, string, number, number, string]>(
			`INSERT INTO events (game_id, id, batch_id, user_id, session_id, type, name, time, received_at, props)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (game_id, id) DO NOTHING`,
		);
		this.#insertBatch = db.prepare<[string, string, number, string, string | null]>(
			"INSERT INTO batches (game_id, batch_id, received_at, response, fingerprint) VALUES (?, ?, ?, ?, ?)",
		);
		this.#ingest = db.transaction((gameId: string, batch: ValidatedBatch, receivedAt: number, ids: PlayerIds) => {
			const seen = this.#selectBatch.get(gameId, batch.batchId);
			if (seen) {
				const conflict =
					seen.fingerprint !== null && batch.fingerprint !== undefined && seen.fingerprint !== batch.fingerprint;
				return { result: JSON.parse(seen.response) as IngestResult, replayed: true, ...(conflict ? { conflict } : {}) };
			}

			let accepted = 0;
			let duplicates = 0;
			const acceptedIds: string[] = [];
			for (const event of batch.events) {
				// A consent event's choice goes sealed into its record; the events row keeps only what is not personal.
				const consent = event.type === "consent" ? this.#sealConsent(gameId, event, receivedAt) : undefined;
				// The row holds the player's pseudonym, never the UserId (server/privacy/pseudonyms.ts).
				const player = ids.get(event.userId)!;
				const { changes } = this.#insertEvent.run(
					gameId,
					event.id,
					batch.batchId,
					player,
					event.sessionId,
					event.type,
					event.name,
					event.time,
					receivedAt,
					JSON.stringify(consent ? consent.storedProps : event.props),
				);
				if (changes === 1) {
					accepted++;
					acceptedIds.push(event.id);
					if (consent) this.#appendConsent(gameId, event.id, player, event.time, receivedAt, consent);
				} else duplicates++;
			}
			// The warehouse folds these ids into the rollups; one row per batch keeps ingest's cost flat.
			if (this.#rollups && acceptedIds.length > 0) this.#insertLog.run(gameId, JSON.stringify(acceptedIds));
			const response: IngestResult = { accepted, duplicates, rejected: batch.rejected };
			this.#insertBatch.run(gameId, batch.batchId, receivedAt, JSON.stringify(response), batch.fingerprint ?? null);
			return { result: response, replayed: false } satisfies IngestOutcome;
		});

		const experimentColumns =
			"game_id, key, status, definition, revision, created_at, updated_at, adaptive_weights, adaptive_updated_at";
		this.#insertExperiment = db.prepare<[ExperimentRow]>(
			`INSERT INTO experiments (${experimentColumns})
			VALUES (@game_id, @key, @status, @definition, @revision, @created_at, @updated_at, @adaptive_weights,
				@adaptive_updated_at)
			ON CONFLICT (game_id, key) DO NOTHING`,
		);
		this.#selectExperiment = db.prepare<[string, string], ExperimentRow>(
			`SELECT ${experimentColumns} FROM experiments WHERE game_id = ? AND key = ?`,
		);
		this.#listExperiments = db.prepare<[{ gameId: string | null; status: string | null }], ExperimentRow>(
			`SELECT ${experimentColumns} FROM experiments
			WHERE (@gameId IS NULL OR game_id = @gameId) AND (@status IS NULL OR status = @status)
			ORDER BY game_id, key`,
		);
		this.#updateExperiment = db.prepare<[ExperimentRow]>(
			`UPDATE experiments SET status = @status, definition = @definition, revision = revision + 1,
				updated_at = @updated_at
			WHERE game_id = @game_id AND key = @key AND revision = @revision`,
		);
		this.#deleteExperiment = db.prepare<[string, string]>("DELETE FROM experiments WHERE game_id = ? AND key = ?");
		this.#setAdaptiveWeights = db.prepare<[string, number, string, string]>(
			"UPDATE experiments SET adaptive_weights = ?, adaptive_updated_at = ? WHERE game_id = ? AND key = ?",
		);
		const flagColumns = "game_id, key, definition, revision, created_at, updated_at";
		this.#insertFlag = db.prepare<[FlagRow]>(
			`INSERT INTO flags (${flagColumns})
			VALUES (@game_id, @key, @definition, @revision, @created_at, @updated_at)
			ON CONFLICT (game_id, key) DO NOTHING`,
		);
		this.#selectFlag = db.prepare<[string, string], FlagRow>(
			`SELECT ${flagColumns} FROM flags WHERE game_id = ? AND key = ?`,
		);
		this.#listFlags = db.prepare<[string], FlagRow>(`SELECT ${flagColumns} FROM flags WHERE game_id = ? ORDER BY key`);
		this.#updateFlag = db.prepare<[FlagRow]>(
			`UPDATE flags SET definition = @definition, revision = revision + 1, updated_at = @updated_at
			WHERE game_id = @game_id AND key = @key AND revision = @revision`,
		);
		this.#deleteFlag = db.prepare<[string, string]>("DELETE FROM flags WHERE game_id = ? AND key = ?");
		this.#metricLibrary = new SqliteMetricLibrary(db);

		const settingsColumns =
			"game_id, time_zone, raw_retention_days, digest_webhook_url, digest_hour, trust_client_clock, consent_default, " +
			"updated_at";
		this.#selectGameSettings = db.prepare<[string], GameSettingsRow>(
			`SELECT ${settingsColumns} FROM game_settings WHERE game_id = ?`,
		);
		this.#listGameSettings = db.prepare<[], GameSettingsRow>(
			`SELECT ${settingsColumns} FROM game_settings ORDER BY game_id`,
		);
		const upsertGameSettings = db.prepare<[GameSettingsRow<number>]>(
			`INSERT INTO game_settings (${settingsColumns})
			VALUES (@game_id, @time_zone, @raw_retention_days, @digest_webhook_url, @digest_hour, @trust_client_clock,
				@consent_default, @updated_at)
			ON CONFLICT (game_id) DO UPDATE SET time_zone = excluded.time_zone,
				raw_retention_days = excluded.raw_retention_days, digest_webhook_url = excluded.digest_webhook_url,
				digest_hour = excluded.digest_hour, trust_client_clock = excluded.trust_client_clock,
				consent_default = excluded.consent_default, updated_at = excluded.updated_at`,
		);
		// Read, merge and write in one transaction, so two concurrent edits of different settings both survive.
		this.#updateGameSettings = db.transaction(
			(gameId: string, changes: Partial<Omit<GameSettings, "gameId" | "updatedAt">>, at: number): GameSettings => {
				const row = this.#selectGameSettings.get(gameId);
				const current = row ? toGameSettings(row, this.#secrets) : { gameId, ...DEFAULT_GAME_SETTINGS };
				const next: GameSettings = {
					gameId,
					timeZone: changes.timeZone ?? current.timeZone,
					rawRetentionDays:
						changes.rawRetentionDays === undefined ? current.rawRetentionDays : changes.rawRetentionDays,
					digestWebhookUrl:
						changes.digestWebhookUrl === undefined ? current.digestWebhookUrl : changes.digestWebhookUrl,
					digestHour: changes.digestHour ?? current.digestHour,
					trustClientClock: changes.trustClientClock ?? current.trustClientClock,
					consentDefault: changes.consentDefault ?? current.consentDefault,
					updatedAt: at,
				};
				const stored = fromGameSettings(next, this.#secrets);
				upsertGameSettings.run({ ...stored, trust_client_clock: stored.trust_client_clock ? 1 : 0 });
				return next;
			},
		);
		const digestColumns = "game_id, last_day, attempts, last_error, claimed_day, claimed_until, updated_at";
		this.#selectDigestState = db.prepare<[string], DigestStateRow>(
			`SELECT ${digestColumns} FROM digest_state WHERE game_id = ?`,
		);
		// Day strings are YYYY-MM-DD, so text order is date order. The WHERE of DO UPDATE reads the stored row: a
		// settled day (or a later one) and an unexpired claim both leave it untouched (0 changes = not claimed).
		this.#claimDigestDay = db.prepare<[{ gameId: string; day: string; at: number; until: number }]>(
			`INSERT INTO digest_state (${digestColumns})
			VALUES (@gameId, NULL, 0, NULL, @day, @until, @at)
			ON CONFLICT (game_id) DO UPDATE SET claimed_day = @day, claimed_until = @until, updated_at = @at
			WHERE (last_day IS NULL OR last_day < @day) AND (claimed_until IS NULL OR claimed_until <= @at)`,
		);
		this.#finishDigestDay = db.prepare<
			[{ gameId: string; day: string; settled: number; attempts: number; error: string | null; at: number }]
		>(
			`UPDATE digest_state SET
				last_day = CASE WHEN @settled = 1 AND (last_day IS NULL OR last_day < @day) THEN @day ELSE last_day END,
				attempts = @attempts, last_error = @error, claimed_day = NULL, claimed_until = NULL, updated_at = @at
			WHERE game_id = @gameId`,
		);
	}

	#sealConsent(gameId: string, event: ValidatedBatch["events"][number], receivedAt: number): SealedConsent {
		if (!this.#consentSealer) {
			throw new Error("This store was opened without a consentSealer: it cannot record consent events.");
		}
		return this.#consentSealer.seal(gameId, event, receivedAt);
	}

	async ping(): Promise<void> {
		this.#ping.get();
	}

	async ingestBatch(gameId: string, batch: ValidatedBatch, receivedAt: number): Promise<IngestOutcome> {
		// IMMEDIATE takes the write lock up front, so a concurrent writer in another process waits (busy_timeout)
		// instead of failing when this read-then-write transaction upgrades its lock.
		// The warehouse worker writes rollups between batches; the lock hands over without SQLite's sleeping retries.
		// The players' keys of the batch's consent events are made (and on disk) before the transaction seals with them.
		// The batch's new players get their vault rows (and pseudonyms) committed before their events are: known
		// players come from the vault's cache. A replayed batch maps its players again, which creates nothing new.
		const pseudonyms = this.#players.pseudonymize(
			gameId,
			batch.events.map((event) => event.userId),
			receivedAt,
		);
		const consent = this.#consentSealer ? batch.events.filter((event) => event.type === "consent") : [];
		if (consent.length > 0) this.#consentSealer?.prepare(gameId, consent, receivedAt);
		const waiting = this.#lock?.acquire();
		if (waiting) await waiting;
		try {
			return this.#ingest.immediate(gameId, batch, receivedAt, pseudonyms);
		} finally {
			this.#lock?.release();
		}
	}

	/**
	 * The (game_id, id) key drives the scan, so a page reads in id order and stops at `limit` rows; batchId, userId
	 * and type filter the rows it reads. Name and time filters also have covering indexes (events_game_name_time,
	 * events_game_time), used to clamp the key scan to the smallest and largest matching id, so it neither walks the
	 * history before the range nor the events after it:
	 * 1. first page (no cursor): one index range gives both ids; nothing there → no rows, no scan;
	 * 2. later pages: the same, but only while the range holds at most {@link ID_PROBE_CAP} entries — a full probe
	 *    per page would make paging through a large range quadratic (measured: 1M events in 5000-row pages took
	 *    19 s instead of 2.3 s). Past the cap the scan runs on from the cursor, and the last page walks the events
	 *    after the range once.
	 */
	async listEvents(query: ListEventsQuery): Promise<StoredEvent[]> {
		// Rows hold pseudonyms: a player filter reads by theirs (a player the vault does not know has no events), and
		// each row shows its player's UserId. A row whose pseudonym the vault no longer resolves belongs to an erased
		// player (erased by another process since, or a vault restored apart from the database): it is left out, and the
		// page is read on to its limit.
		let userId: number | undefined;
		if (query.userId !== undefined) {
			userId = this.#players.pseudonymOf(query.gameId, query.userId);
			if (userId === undefined) return [];
		}
		const out: StoredEvent[] = [];
		let after = query.after;
		for (;;) {
			const limit = query.limit - out.length;
			const rows = this.#listEventRows({ ...query, userId, after, limit });
			for (const row of rows) {
				const player = this.#players.userIdOf(query.gameId, row.user_id);
				if (player !== undefined) out.push(toStoredEvent({ ...row, user_id: player }));
			}
			if (rows.length < limit || out.length >= query.limit) return out;
			after = rows.at(-1)!.id;
		}
	}

	#listEventRows(query: ListEventsQuery): EventRow[] {
		const params: Record<string, string | number> = { gameId: query.gameId, limit: query.limit };
		const indexed: string[] = [];
		const scanned: string[] = [];
		const filter = (terms: string[], name: string, value: string | number | undefined, term: string) => {
			if (value === undefined) return;
			params[name] = value;
			terms.push(term);
		};
		filter(indexed, "name", query.name, "name = @name");
		filter(indexed, "from", query.from, "time >= @from");
		filter(indexed, "to", query.to, "time < @to");
		filter(scanned, "batchId", query.batchId, "batch_id = @batchId");
		filter(scanned, "userId", query.userId, "user_id = @userId");
		filter(scanned, "type", query.type, "type = @type");

		const range: string[] = [];
		if (query.after !== undefined) {
			params.after = query.after;
			range.push("id > @after");
		}
		if (indexed.length > 0) {
			const bounds = this.#matchingIdBounds(indexed, params, query.after === undefined ? undefined : ID_PROBE_CAP);
			if (bounds === null) return [];
			if (bounds) {
				params.lo = bounds.lo;
				params.hi = bounds.hi;
				// A cursor from an earlier page is at or past the first matching id: it stays the lower bound.
				if (query.after === undefined) range.push("id >= @lo");
				range.push("id <= @hi");
			}
		}
		// Unary + keeps the planner off the name and time indexes here: sorting their range by id for every page
		// would cost the whole range per page.
		const where = ["game_id = @gameId", ...range, ...indexed.map((term) => `+${term}`), ...scanned].join(" AND ");
		return this.#eventQuery(
			`SELECT game_id, id, batch_id, user_id, session_id, type, name, time, received_at, props
			FROM events WHERE ${where} ORDER BY id LIMIT @limit`,
		).all(params) as EventRow[];
	}

	/**
	 * The smallest and largest id of the events matching `terms` (name and time only), read from their covering
	 * index: null when none match; with `cap`, undefined when more than `cap` match (the walk stops there).
	 */
	#matchingIdBounds(
		terms: readonly string[],
		params: Record<string, string | number>,
		cap?: number,
	): { lo: string; hi: string } | null | undefined {
		const index = params.name === undefined ? "events_game_time" : "events_game_name_time";
		const matching = `SELECT id FROM events INDEXED BY ${index} WHERE game_id = @gameId AND ${terms.join(" AND ")}`;
		const limited = cap === undefined ? matching : `${matching} LIMIT ${cap + 1}`;
		const row = this.#eventQuery(`SELECT count(*) AS n, min(id) AS lo, max(id) AS hi FROM (${limited})`).get(
			params,
		) as { n: number; lo: string | null; hi: string | null };
		if (row.n === 0 || row.lo === null || row.hi === null) return null;
		if (cap !== undefined && row.n > cap) return undefined;
		return { lo: row.lo, hi: row.hi };
	}

	#eventQuery(sql: string): BetterSqlite3.Statement<[Record<string, string | number>]> {
		let statement = this.#eventQueries.get(sql);
		if (!statement) {
			statement = this.#db.prepare<[Record<string, string | number>]>(sql);
			this.#eventQueries.set(sql, statement);
		}
		return statement;
	}

	async playerEvents(gameId: string, userId: number): Promise<StoredEvent[]> {
		return this.privacy.playerEvents(gameId, userId);
	}

	async erasePlayerEvents(gameId: string, userId: number, at: number): Promise<EraseEventsOutcome> {
		return this.privacy.erasePlayerEvents(gameId, userId, at);
	}

	async pruneBatches(receivedBefore: number, limit: number): Promise<number> {
		return this.security.pruneBatches(receivedBefore, limit);
	}

	async createGame(game: Game): Promise<boolean> {
		return this.#insertGame.run(game.id, game.name, game.createdAt).changes === 1;
	}

	async getGame(id: string): Promise<Game | undefined> {
		const row = this.#selectGame.get(id);
		return row && toGame(row);
	}

	async listGames(): Promise<Game[]> {
		return this.#listGames.all().map(toGame);
	}

	async insertApiKey(key: ApiKeyRecord): Promise<void> {
		this.#insertApiKey.run({
			id: key.id,
			game_id: key.gameId,
			name: key.name,
			secret_hash: key.secretHash,
			scopes: key.scopes.join(" "),
			created_at: key.createdAt,
			revoked_at: key.revokedAt,
		});
	}

	async getApiKey(id: string): Promise<ApiKeyRecord | undefined> {
		const row = this.#selectApiKey.get(id);
		return row && toApiKey(row);
	}

	async listApiKeys(gameId?: string): Promise<ApiKeyRecord[]> {
		const rows = gameId === undefined ? this.#listAllApiKeys.all() : this.#listApiKeys.all(gameId);
		return rows.map(toApiKey);
	}

	async revokeApiKey(id: string, at: number): Promise<boolean> {
		return this.#revokeApiKey.run(at, id).changes === 1;
	}

	async insertAdminUser(user: AdminUser): Promise<boolean> {
		const { changes } = this.#insertAdminUser.run({
			id: user.id,
			email: user.email,
			password_hash: user.passwordHash,
			instance_admin: user.admin ? 1 : 0,
			created_at: user.createdAt,
			disabled_at: user.disabledAt,
		});
		return changes === 1;
	}

	async getAdminUser(id: string): Promise<AdminUser | undefined> {
		const row = this.#selectAdminUser.get(id);
		return row && toAdminUser(row);
	}

	async getAdminUserByEmail(email: string): Promise<AdminUser | undefined> {
		const row = this.#selectAdminUserByEmail.get(email);
		return row && toAdminUser(row);
	}

	async listAdminUsers(): Promise<AdminUser[]> {
		return this.#listAdminUsers.all().map(toAdminUser);
	}

	async updateAdminUser(id: string, changes: { admin?: boolean; disabledAt?: number | null }): Promise<boolean> {
		const { changes: count } = this.#updateAdminUser.run({
			id,
			admin: changes.admin === undefined ? null : changes.admin ? 1 : 0,
			disabledAt: changes.disabledAt ?? null,
			setDisabled: changes.disabledAt === undefined ? 0 : 1,
		});
		return count === 1;
	}

	async insertAdminSession(session: AdminSessionRecord): Promise<void> {
		this.#insertAdminSession.run({
			id: session.id,
			user_id: session.userId,
			csrf_token: session.csrfToken,
			created_at: session.createdAt,
			last_seen_at: session.lastSeenAt,
			expires_at: session.expiresAt,
		});
	}

	async getAdminSession(id: string): Promise<AdminSessionRecord | undefined> {
		const row = this.#selectAdminSession.get(id);
		return row && toAdminSession(row);
	}

	async touchAdminSession(id: string, at: number): Promise<boolean> {
		return this.#touchAdminSession.run(at, id).changes === 1;
	}

	async deleteAdminSession(id: string): Promise<boolean> {
		return this.#deleteAdminSession.run(id).changes === 1;
	}

	async deleteStaleAdminSessions(now: number, lastSeenBefore: number): Promise<number> {
		return this.#deleteStaleAdminSessions.run(now, lastSeenBefore).changes;
	}

	async listSigningKeys(): Promise<SigningKeyRecord[]> {
		return this.#listSigningKeys.all().map(toSigningKey);
	}

	async addSigningKey(key: SigningKeyRecord, options: { unlessActiveNewerThan?: number } = {}): Promise<boolean> {
		return this.#addSigningKey.immediate(key, options.unlessActiveNewerThan);
	}

	async insertExperiment(record: ExperimentRecord): Promise<boolean> {
		return this.#insertExperiment.run(fromExperiment(record)).changes === 1;
	}

	async getExperiment(gameId: string, key: string): Promise<ExperimentRecord | undefined> {
		const row = this.#selectExperiment.get(gameId, key);
		return row && toExperiment(row);
	}

	async listExperiments(query: { gameId?: string; status?: ExperimentStatus }): Promise<ExperimentRecord[]> {
		const rows = this.#listExperiments.all({ gameId: query.gameId ?? null, status: query.status ?? null });
		return rows.map(toExperiment);
	}

	async updateExperiment(record: ExperimentRecord): Promise<boolean> {
		return this.#updateExperiment.run(fromExperiment(record)).changes === 1;
	}

	async deleteExperiment(gameId: string, key: string): Promise<boolean> {
		return this.#deleteExperiment.run(gameId, key).changes === 1;
	}

	async setAdaptiveWeights(gameId: string, key: string, weights: readonly number[], at: number): Promise<boolean> {
		return this.#setAdaptiveWeights.run(JSON.stringify(weights), at, gameId, key).changes === 1;
	}

	async experimentMetricSums(query: ExperimentMetricQuery): Promise<ExperimentMetricRow[]> {
		return this.warehouse.experimentMetricSums({ ...query, excludeUserIds: this.#storedUserIds(query) });
	}

	async experimentUnits(query: ExperimentUnitsQuery): Promise<ExperimentUnits> {
		return this.warehouse.experimentUnits({ ...query, excludeUserIds: this.#storedUserIds(query) });
	}

	/** The excluded players (QA users forced into a variation) are named by UserId; the events hold pseudonyms. */
	#storedUserIds(query: { gameId: string; excludeUserIds: readonly number[] }): number[] {
		return query.excludeUserIds.flatMap((userId) => {
			const pseudonym = this.#players.pseudonymOf(query.gameId, userId);
			return pseudonym === undefined ? [] : [pseudonym];
		});
	}

	async insertFlag(record: FlagRecord): Promise<boolean> {
		return this.#insertFlag.run(fromFlag(record)).changes === 1;
	}

	async getFlag(gameId: string, key: string): Promise<FlagRecord | undefined> {
		const row = this.#selectFlag.get(gameId, key);
		return row && toFlag(row);
	}

	async listFlags(gameId: string): Promise<FlagRecord[]> {
		return this.#listFlags.all(gameId).map(toFlag);
	}

	async updateFlag(record: FlagRecord): Promise<boolean> {
		return this.#updateFlag.run(fromFlag(record)).changes === 1;
	}

	async deleteFlag(gameId: string, key: string): Promise<boolean> {
		return this.#deleteFlag.run(gameId, key).changes === 1;
	}

	async insertLibraryMetric(record: LibraryMetricRecord): Promise<boolean> {
		return this.#metricLibrary.insert(record);
	}

	async getLibraryMetric(gameId: string, key: string, version?: number): Promise<LibraryMetricRecord | undefined> {
		return this.#metricLibrary.get(gameId, key, version);
	}

	async listLibraryMetrics(gameId: string, options?: { includeArchived?: boolean }): Promise<LibraryMetricRecord[]> {
		return this.#metricLibrary.list(gameId, options?.includeArchived ?? false);
	}

	async listLibraryMetricVersions(gameId: string, key: string): Promise<LibraryMetricRecord[]> {
		return this.#metricLibrary.versions(gameId, key);
	}

	async archiveLibraryMetric(gameId: string, key: string, at: number): Promise<boolean> {
		return this.#metricLibrary.archive(gameId, key, at);
	}

	/** From now on, secrets in the store's tables are sealed with `secrets` (see {@link SqliteStoreOptions.secrets}). */
	sealSecretsWith(secrets: SecretSealer): void {
		this.#secrets = secrets;
	}

	async getGameSettings(gameId: string): Promise<GameSettings> {
		const row = this.#selectGameSettings.get(gameId);
		return row ? toGameSettings(row, this.#secrets) : { gameId, ...DEFAULT_GAME_SETTINGS };
	}

	async updateGameSettings(
		gameId: string,
		changes: Partial<Omit<GameSettings, "gameId" | "updatedAt">>,
		at: number,
	): Promise<GameSettings> {
		return this.#updateGameSettings.immediate(gameId, changes, at);
	}

	async listGameSettings(): Promise<GameSettings[]> {
		return this.#listGameSettings.all().map((row) => toGameSettings(row, this.#secrets));
	}

	async getDigestState(gameId: string): Promise<DigestState | undefined> {
		const row = this.#selectDigestState.get(gameId);
		return row && toDigestState(row);
	}

	async claimDigestDay(gameId: string, day: string, at: number, until: number): Promise<boolean> {
		return this.#claimDigestDay.run({ gameId, day, at, until }).changes === 1;
	}

	async finishDigestDay(gameId: string, result: DigestDayResult, at: number): Promise<void> {
		this.#finishDigestDay.run({
			gameId,
			day: result.day,
			settled: result.settled ? 1 : 0,
			attempts: result.attempts,
			error: result.error,
			at,
		});
	}

	async close(): Promise<void> {
		await this.warehouse.close();
		if (this.#db.open) this.#db.close();
		this.#ownVault?.close();
	}
}
