import { CONSENT_MIGRATION } from "./consent-migration.js";
import { PRIVACY_MIGRATION } from "./privacy-migration.js";
import { WAREHOUSE_MIGRATION } from "./warehouse-migration.js";
import { SECURITY_MIGRATION } from "./security-migration.js";
import { ACCESS_MIGRATION } from "./access-migration.js";
import { ALLOCATION_MIGRATION } from "./allocation-migration.js";
import { LEASE_MIGRATION } from "./lease-store.js";
import { PREDICTION_MIGRATION } from "./prediction-store.js";

/** One schema step. Versions start at 1 and increase by 1; an applied migration is never edited, only followed. */
export interface Migration {
	version: number;
	name: string;
	/** SQL run inside the migration's transaction. */
	up: string;
}

/**
 * The SQLite schema history, oldest first.
 *
 * Notes on version 1:
 * - events are keyed by (game_id, id), not id alone: the SDK's ids are unique within a game, and one game must
 *   never be able to shadow another game's events by reusing an id. The key's prefix also serves per-game reads
 *   in id (≈ time) order.
 * - events.batch_id has no foreign key to batches: batch rows exist only for idempotency and may be pruned
 *   long before the events they delivered.
 * - STRICT tables make SQLite reject values of the wrong type instead of storing them silently.
 *
 * Notes on version 2:
 * - api_keys keep only a SHA-256 of the key's secret; the id is public and is how a key is looked up, so the
 *   hash is compared once, in constant time, and never used as an index.
 * - signing_keys live in the database (inside VANTAGE_DATA_DIR) so every process on the same data directory
 *   (server, CLI) agrees on the active key, and rotation is one transaction.
 *
 * Notes on version 3:
 * - experiments and flags keep their validated definition as JSON; status and the adaptive weights are columns
 *   because they are queried or written on their own. `revision` makes concurrent edits fail instead of one
 *   silently undoing the other.
 * - two event indexes serve the results queries: (game_id, name, user_id, time, type) finds an experiment's
 *   exposures and, per unit, its named metric events after exposure; (game_id, user_id, time, type) finds any
 *   event of a unit in a time range (retention, revenue over all purchases). `type` is the last column so both
 *   filter on it without reading the row. Each index costs ingest some write time (measured in the issue note).
 *
 * Notes on version 4:
 * - game_settings holds only what differs from the defaults' row: a game without a row has UTC, raw events kept
 *   forever and no digest, so games registered before this version need no backfill.
 * - digest_state remembers the last local day whose digest was delivered or given up, so a restart (or a second
 *   process on the same database) never posts a day twice; claimed_day/claimed_until is the lease of the process
 *   delivering a day right now, so two processes never deliver the same day at once.
 */
export const MIGRATIONS: readonly Migration[] = [
	{
		version: 1,
		name: "initial",
		up: `
			CREATE TABLE games (
				id TEXT PRIMARY KEY,
				name TEXT NOT NULL,
				created_at INTEGER NOT NULL
			) STRICT;

			CREATE TABLE batches (
				game_id TEXT NOT NULL REFERENCES games (id),
				batch_id TEXT NOT NULL,
				received_at INTEGER NOT NULL,
				response TEXT NOT NULL,
				PRIMARY KEY (game_id, batch_id)
			) STRICT, WITHOUT ROWID;

			CREATE TABLE events (
				game_id TEXT NOT NULL REFERENCES games (id),
				id TEXT NOT NULL,
				batch_id TEXT NOT NULL,
				user_id INTEGER NOT NULL,
				session_id TEXT NOT NULL,
				type TEXT NOT NULL,
				name TEXT NOT NULL,
				time INTEGER NOT NULL,
				received_at INTEGER NOT NULL,
				props TEXT NOT NULL,
				PRIMARY KEY (game_id, id)
			) STRICT, WITHOUT ROWID;

			CREATE INDEX events_game_time ON events (game_id, time);
		`,
	},
	{
		version: 2,
		name: "auth",
		up: `
			CREATE TABLE api_keys (
				id TEXT PRIMARY KEY,
				game_id TEXT NOT NULL REFERENCES games (id),
				name TEXT NOT NULL,
				secret_hash TEXT NOT NULL,
				scopes TEXT NOT NULL,
				created_at INTEGER NOT NULL,
				revoked_at INTEGER
			) STRICT;
			CREATE INDEX api_keys_game ON api_keys (game_id, id);

			CREATE TABLE admin_users (
				id TEXT PRIMARY KEY,
				email TEXT NOT NULL UNIQUE,
				password_hash TEXT NOT NULL,
				role TEXT NOT NULL CHECK (role IN ('owner', 'analyst', 'viewer')),
				created_at INTEGER NOT NULL,
				disabled_at INTEGER
			) STRICT;

			CREATE TABLE signing_keys (
				kid TEXT PRIMARY KEY,
				alg TEXT NOT NULL,
				private_jwk TEXT NOT NULL,
				public_jwk TEXT NOT NULL,
				created_at INTEGER NOT NULL,
				retired_at INTEGER
			) STRICT;
		`,
	},
	{
		version: 3,
		name: "experiments",
		up: `
			CREATE TABLE experiments (
				game_id TEXT NOT NULL REFERENCES games (id),
				key TEXT NOT NULL,
				status TEXT NOT NULL CHECK (status IN ('draft', 'running', 'stopped')),
				definition TEXT NOT NULL,
				revision INTEGER NOT NULL,
				created_at INTEGER NOT NULL,
				updated_at INTEGER NOT NULL,
				adaptive_weights TEXT,
				adaptive_updated_at INTEGER,
				PRIMARY KEY (game_id, key)
			) STRICT, WITHOUT ROWID;

			CREATE TABLE flags (
				game_id TEXT NOT NULL REFERENCES games (id),
				key TEXT NOT NULL,
				definition TEXT NOT NULL,
				revision INTEGER NOT NULL,
				created_at INTEGER NOT NULL,
				updated_at INTEGER NOT NULL,
				PRIMARY KEY (game_id, key)
			) STRICT, WITHOUT ROWID;

			-- Indexes for the results queries that keep ingest fast: within one game and event name rows arrive in
			-- time order, so (game_id, name, time) grows at a few hot spots, not at random places; exposures and
			-- purchases are a small share of events, so partial indexes on them cost little. (Indexes led by
			-- user_id took inserts from ~370k to ~47k rows/s at 1.2M rows.)
			CREATE INDEX events_game_name_time ON events (game_id, name, time);
			CREATE INDEX events_exposures ON events (game_id, name, user_id, time) WHERE type = 'exposure';
			CREATE INDEX events_purchases ON events (game_id, time) WHERE type = 'purchase';
		`,
	},
	{
		version: 4,
		name: "game_settings",
		up: `
			CREATE TABLE game_settings (
				game_id TEXT PRIMARY KEY REFERENCES games (id),
				time_zone TEXT NOT NULL DEFAULT 'UTC',
				raw_retention_days INTEGER CHECK (raw_retention_days IS NULL OR raw_retention_days > 0),
				digest_webhook_url TEXT,
				digest_hour INTEGER NOT NULL DEFAULT 9 CHECK (digest_hour BETWEEN 0 AND 23),
				updated_at INTEGER
			) STRICT;

			CREATE TABLE digest_state (
				game_id TEXT PRIMARY KEY REFERENCES games (id),
				last_day TEXT,
				attempts INTEGER NOT NULL DEFAULT 0,
				last_error TEXT,
				claimed_day TEXT,
				claimed_until INTEGER,
				updated_at INTEGER NOT NULL
			) STRICT;
		`,
	},
	WAREHOUSE_MIGRATION,
	// A game whose senders replay history on purpose (the demo simulation, an import) keeps its events' sent times:
	// ingest skips the clock-skew correction for it. Off by default, so existing games behave as before.
	{
		version: 6,
		name: "trust_client_clock",
		up: `
			ALTER TABLE game_settings
				ADD COLUMN trust_client_clock INTEGER NOT NULL DEFAULT 0 CHECK (trust_client_clock IN (0, 1));
		`,
	},
	// Dashboard login sessions, keyed by the SHA-256 of the cookie's secret (never the secret itself). Deleting a user
	// is not a thing (users are disabled), so the foreign key only guards against typos; the session check re-reads
	// the user and refuses a disabled one.
	{
		version: 7,
		name: "admin_sessions",
		up: `
			CREATE TABLE admin_sessions (
				id TEXT PRIMARY KEY,
				user_id TEXT NOT NULL REFERENCES admin_users (id),
				csrf_token TEXT NOT NULL,
				created_at INTEGER NOT NULL,
				last_seen_at INTEGER NOT NULL,
				expires_at INTEGER NOT NULL
			) STRICT, WITHOUT ROWID;
		`,
	},
	PRIVACY_MIGRATION,
	CONSENT_MIGRATION,
	// Notes on version 10: a batch remembers a fingerprint of its events (SHA-256 of their JSON as sent), so a batchId
	// reused for different events is told apart from a retry (409 instead of a silent replay). Batches stored before
	// have none and replay as before.
	{
		version: 10,
		name: "batch_fingerprints",
		up: `ALTER TABLE batches ADD COLUMN fingerprint TEXT;`,
	},
	// Notes on version 11: player ids become pseudonyms (server/privacy/pseudonyms.ts). Converting the rows needs the
	// player vault (player-keys.db), which SQL cannot reach: this version only records that the database's player ids
	// are still UserIds, and the store converts them once when it is opened with the vault (pseudonym-conversion.ts).
	{
		version: 11,
		name: "player_pseudonyms",
		up: `
			CREATE TABLE player_id_state (
				id INTEGER PRIMARY KEY CHECK (id = 1),
				pseudonymous INTEGER NOT NULL CHECK (pseudonymous IN (0, 1)),
				converted_at INTEGER
			) STRICT;
			INSERT INTO player_id_state (id, pseudonymous) VALUES (1, 0);
		`,
	},
	SECURITY_MIGRATION,
	ACCESS_MIGRATION,
	// Notes on version 14: a game's metric library (server/experiments/metric-library.ts). Every change of a metric is a
	// new row (versions are immutable, so a result can name the exact definition it used); archiving stamps every row
	// of the key, which hides it from new experiments but keeps each version readable. No player data: the rows hold
	// definitions and the admin who wrote them.
	{
		version: 14,
		name: "metric_library",
		up: `
			CREATE TABLE metric_definitions (
				game_id TEXT NOT NULL REFERENCES games (id),
				key TEXT NOT NULL,
				version INTEGER NOT NULL CHECK (version >= 1),
				definition TEXT NOT NULL,
				role TEXT NOT NULL CHECK (role IN ('goal', 'guardrail')),
				created_at INTEGER NOT NULL,
				created_by TEXT,
				archived_at INTEGER,
				PRIMARY KEY (game_id, key, version)
			) STRICT, WITHOUT ROWID;
		`,
	},
	ALLOCATION_MIGRATION,
	LEASE_MIGRATION,
	PREDICTION_MIGRATION,
];
