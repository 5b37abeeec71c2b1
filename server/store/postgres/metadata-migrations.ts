import type { PgMigration } from "./migrations.js";

/**
 * The PostgreSQL schema of the metadata core (component "metadata"; the privacy half has its own list, "privacy",
 * whose tables may reference these, so this component migrates first). Version 1 is SQLite's metadata tables as of
 * SQLite version 15 (server/store/sqlite/migrations.ts and the *-migration.ts files there hold the reasons for each
 * table), translated:
 * - identifiers and other ordered text are `COLLATE "C"`: SQLite compares text byte by byte, and every list the
 *   contract orders ("by id", "by game and key") must come out in the same order on both engines, whatever locale
 *   the cluster was initialised with;
 * - times (unix ms) are bigint, returned as JS numbers by the pool's type parser (pool.ts);
 * - SQLite's 0/1 columns are boolean;
 * - definitions (experiments, flags, metrics) and adaptive weights are JSON kept as text, exactly as written: jsonb
 *   would reorder keys, and the stored text is what SQLite returns too;
 * - leases (new here; SQLite has its own since version 16): one row per job name, taken with one atomic upsert.
 * Events live in the event store (ClickHouse); the batches' answers are here since version 2 (the batch ledger).
 */
export const METADATA_MIGRATIONS: readonly PgMigration[] = [
	{
		version: 1,
		name: "metadata",
		up: `
			CREATE TABLE games (
				id text COLLATE "C" PRIMARY KEY,
				name text NOT NULL,
				created_at bigint NOT NULL
			);

			CREATE TABLE api_keys (
				id text COLLATE "C" PRIMARY KEY,
				game_id text COLLATE "C" NOT NULL REFERENCES games (id),
				name text NOT NULL,
				secret_hash text NOT NULL,
				scopes text NOT NULL,
				created_at bigint NOT NULL,
				revoked_at bigint
			);
			CREATE INDEX api_keys_game ON api_keys (game_id, id);

			CREATE TABLE admin_users (
				id text COLLATE "C" PRIMARY KEY,
				email text COLLATE "C" NOT NULL UNIQUE,
				password_hash text NOT NULL,
				instance_admin boolean NOT NULL DEFAULT false,
				created_at bigint NOT NULL,
				disabled_at bigint
			);

			CREATE TABLE admin_sessions (
				id text COLLATE "C" PRIMARY KEY,
				user_id text COLLATE "C" NOT NULL REFERENCES admin_users (id),
				csrf_token text NOT NULL,
				created_at bigint NOT NULL,
				last_seen_at bigint NOT NULL,
				expires_at bigint NOT NULL,
				kind text NOT NULL DEFAULT 'dashboard' CHECK (kind IN ('dashboard', 'token'))
			);
			CREATE INDEX admin_sessions_user ON admin_sessions (user_id);

			CREATE TABLE signing_keys (
				kid text COLLATE "C" PRIMARY KEY,
				alg text NOT NULL,
				private_jwk text NOT NULL,
				public_jwk text NOT NULL,
				created_at bigint NOT NULL,
				retired_at bigint
			);

			CREATE TABLE experiments (
				game_id text COLLATE "C" NOT NULL REFERENCES games (id),
				key text COLLATE "C" NOT NULL,
				status text NOT NULL CHECK (status IN ('draft', 'running', 'stopped')),
				definition text NOT NULL,
				revision integer NOT NULL,
				created_at bigint NOT NULL,
				updated_at bigint NOT NULL,
				adaptive_weights text,
				adaptive_updated_at bigint,
				PRIMARY KEY (game_id, key)
			);

			CREATE TABLE flags (
				game_id text COLLATE "C" NOT NULL REFERENCES games (id),
				key text COLLATE "C" NOT NULL,
				definition text NOT NULL,
				revision integer NOT NULL,
				created_at bigint NOT NULL,
				updated_at bigint NOT NULL,
				PRIMARY KEY (game_id, key)
			);

			CREATE TABLE game_settings (
				game_id text COLLATE "C" PRIMARY KEY REFERENCES games (id),
				time_zone text NOT NULL DEFAULT 'UTC',
				raw_retention_days integer CHECK (raw_retention_days IS NULL OR raw_retention_days > 0),
				digest_webhook_url text,
				digest_hour integer NOT NULL DEFAULT 9 CHECK (digest_hour BETWEEN 0 AND 23),
				trust_client_clock boolean NOT NULL DEFAULT false,
				consent_default text NOT NULL DEFAULT 'opt-in' CHECK (consent_default IN ('opt-in', 'opt-out')),
				updated_at bigint
			);

			CREATE TABLE digest_state (
				game_id text COLLATE "C" PRIMARY KEY REFERENCES games (id),
				last_day text COLLATE "C",
				attempts integer NOT NULL DEFAULT 0,
				last_error text,
				claimed_day text COLLATE "C",
				claimed_until bigint,
				updated_at bigint NOT NULL
			);

			CREATE TABLE admin_login_throttle (
				account text COLLATE "C" PRIMARY KEY,
				failures integer NOT NULL CHECK (failures >= 0),
				last_failure_at bigint NOT NULL,
				locked_until bigint
			);
			CREATE INDEX admin_login_throttle_last_failure ON admin_login_throttle (last_failure_at);

			CREATE TABLE admin_totp (
				user_id text COLLATE "C" PRIMARY KEY REFERENCES admin_users (id),
				secret text NOT NULL,
				confirmed_at bigint,
				last_step bigint NOT NULL DEFAULT 0,
				created_at bigint NOT NULL
			);

			CREATE TABLE game_grants (
				user_id text COLLATE "C" NOT NULL REFERENCES admin_users (id),
				game_id text COLLATE "C" NOT NULL REFERENCES games (id),
				role text NOT NULL CHECK (role IN ('owner', 'analyst', 'viewer')),
				granted_at bigint NOT NULL,
				PRIMARY KEY (user_id, game_id)
			);
			CREATE INDEX game_grants_by_game ON game_grants (game_id, user_id);

			CREATE TABLE metric_definitions (
				game_id text COLLATE "C" NOT NULL REFERENCES games (id),
				key text COLLATE "C" NOT NULL,
				version integer NOT NULL CHECK (version >= 1),
				definition text NOT NULL,
				role text NOT NULL CHECK (role IN ('goal', 'guardrail')),
				created_at bigint NOT NULL,
				created_by text,
				archived_at bigint,
				PRIMARY KEY (game_id, key, version)
			);

			CREATE TABLE experiment_layers (
				game_id text COLLATE "C" NOT NULL REFERENCES games (id),
				id text COLLATE "C" NOT NULL,
				name text NOT NULL,
				description text NOT NULL,
				created_at bigint NOT NULL,
				updated_at bigint NOT NULL,
				PRIMARY KEY (game_id, id)
			);

			CREATE TABLE game_holdouts (
				game_id text COLLATE "C" PRIMARY KEY REFERENCES games (id),
				percent double precision NOT NULL CHECK (percent >= 0 AND percent <= 50),
				seed text NOT NULL,
				created_at bigint NOT NULL,
				updated_at bigint NOT NULL
			);

			CREATE TABLE adaptive_runs (
				game_id text COLLATE "C" NOT NULL,
				experiment_key text COLLATE "C" NOT NULL,
				ran_at bigint NOT NULL,
				PRIMARY KEY (game_id, experiment_key),
				FOREIGN KEY (game_id, experiment_key) REFERENCES experiments (game_id, key) ON DELETE CASCADE
			);

			CREATE TABLE leases (
				name text COLLATE "C" PRIMARY KEY,
				holder text NOT NULL,
				until bigint NOT NULL
			);
		`,
	},
	{
		// The batch ledger (batch-ledger.ts): ClickHouse keeps the events, and the answers to the batches moved here from
		// its batches_local, beside the claims (one row is first the claim, then the answer). Per batch that saves a
		// ClickHouse part (each answer was a one-row insert) and a read per shard; the claim and the answer were
		// already two statements here (a lease taken and released). The columns SQLite's batches has keep their names
		// and meaning (`migrate --to` copies them as they are): received_at and response are NULL while a claim stands.
		version: 2,
		name: "batch ledger",
		up: `
			CREATE TABLE batches (
				game_id text COLLATE "C" NOT NULL,
				batch_id text COLLATE "C" NOT NULL,
				received_at bigint,
				response text,
				fingerprint text,
				holder text,
				until bigint,
				PRIMARY KEY (game_id, batch_id),
				CHECK ((response IS NULL) = (received_at IS NULL)),
				CHECK (response IS NOT NULL OR (holder IS NOT NULL AND until IS NOT NULL))
			);
			CREATE INDEX batches_answered ON batches (received_at) WHERE response IS NOT NULL;
			CREATE INDEX batches_claimed ON batches (until) WHERE response IS NULL;
		`,
	},
	{
		// The rollup job's inbox: an answer names the players whose events the batch holds (pseudonyms, as the events
		// do) until the job has folded them, so the job learns of new events here (an index read) instead of scanning
		// every event's received_at in ClickHouse (events_local is ordered by player, not by arrival).
		version: 3,
		name: "batch ledger: players to fold",
		up: `
			ALTER TABLE batches ADD COLUMN players bigint[];
			CREATE INDEX batches_to_fold ON batches (received_at) WHERE players IS NOT NULL;
		`,
	},
	{
		// Each player's head: at least the largest event id stored for them (byte order, as ClickHouse compares), so a
		// batch whose ids for a player are all above it needs no lookup in ClickHouse (batch-ledger.ts). Pseudonyms, as
		// every player row; erasing a player deletes theirs. A player without one is looked up.
		version: 4,
		name: "batch ledger: player heads",
		up: `
			CREATE TABLE player_heads (
				game_id text NOT NULL,
				player bigint NOT NULL,
				max_id text COLLATE "C" NOT NULL,
				PRIMARY KEY (game_id, player)
			);
		`,
	},
];
