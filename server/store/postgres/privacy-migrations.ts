// The privacy half's schema on PostgreSQL (component "privacy" of runMigrations, after the metadata core's "metadata",
// whose games and experiments it refers to), and the player vault's (component "player-vault"), which may live in the
// same database or in one of its own (openPostgresPlayerVault). Both mirror their SQLite counterparts
// (store/sqlite/privacy-migration.ts, consent-migration.ts; privacy/player-keys.ts) table for table: the rules they
// state there hold here, and the comments below say only what differs or why.
import type { PgMigration } from "./migrations.js";

/** The component name of the privacy half's migrations in schema_versions. */
export const PRIVACY_COMPONENT = "privacy";
/** The component name of the player vault's migrations in schema_versions. */
export const PLAYER_VAULT_COMPONENT = "player-vault";

/**
 * The privacy half: consent policies, records and tallies; the audit log and its head; erasure tombstones, jobs and
 * Roblox notification dedup; the privacy module's secrets (used only by a store opened without a vault that keeps
 * them).
 * - Keys and columns ordered on are `COLLATE "C"`: byte order, as SQLite's BINARY, so lists come out in one order on
 *   both engines.
 * - Append-only rules are triggers raising an exception, as SQLite's RAISE(ABORT).
 * - audit_head has its one row from the start (seq 0, no hash: "nothing appended"), so an append always has a row
 *   to lock (SELECT … FOR UPDATE): concurrent appenders of every instance queue on it and seq stays gapless.
 * - roblox_notifications' reference to its job is checked at commit (DEFERRABLE): the notification row is written
 *   first, so a second instance handling a retried webhook waits on it and returns the first job.
 */
export const PRIVACY_MIGRATIONS: readonly PgMigration[] = [
	{
		version: 1,
		name: "privacy",
		up: `
			CREATE TABLE consent_policies (
				game_id text COLLATE "C" NOT NULL REFERENCES games (id),
				version text COLLATE "C" NOT NULL,
				summary text,
				url text,
				effective_at bigint NOT NULL,
				created_at bigint NOT NULL,
				created_by text NOT NULL,
				CHECK (summary IS NOT NULL OR url IS NOT NULL),
				PRIMARY KEY (game_id, version)
			);
			CREATE INDEX consent_policies_effective ON consent_policies (game_id, effective_at);
			CREATE FUNCTION consent_policies_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				IF TG_OP = 'UPDATE' THEN
					RAISE EXCEPTION 'consent_policies is append-only: publish a new version instead';
				END IF;
				RAISE EXCEPTION 'consent_policies is append-only: records refer to every version';
			END $$;
			CREATE TRIGGER consent_policies_append_only BEFORE UPDATE OR DELETE ON consent_policies
				FOR EACH ROW EXECUTE FUNCTION consent_policies_append_only();

			CREATE TABLE consent_records (
				game_id text COLLATE "C" NOT NULL REFERENCES games (id),
				event_id text COLLATE "C" NOT NULL,
				user_id bigint NOT NULL CHECK (user_id > 0),
				time bigint NOT NULL,
				received_at bigint NOT NULL,
				policy_version text COLLATE "C" NOT NULL,
				details bytea NOT NULL,
				PRIMARY KEY (game_id, event_id)
			);
			CREATE INDEX consent_records_player ON consent_records (game_id, user_id, time);
			CREATE FUNCTION consent_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				RAISE EXCEPTION 'consent_records is append-only';
			END $$;
			CREATE TRIGGER consent_records_append_only BEFORE UPDATE ON consent_records
				FOR EACH ROW EXECUTE FUNCTION consent_records_append_only();

			CREATE TABLE consent_tallies (
				game_id text COLLATE "C" NOT NULL REFERENCES games (id),
				policy_version text COLLATE "C" NOT NULL,
				source text COLLATE "C" NOT NULL CHECK (source IN ('prompt', 'api', 'withdrawal')),
				analytics boolean NOT NULL,
				experiments boolean NOT NULL,
				personalization boolean NOT NULL,
				records bigint NOT NULL,
				PRIMARY KEY (game_id, policy_version, source, analytics, experiments, personalization)
			);

			CREATE TABLE audit_log (
				seq bigint PRIMARY KEY CHECK (seq > 0),
				at bigint NOT NULL,
				actor text NOT NULL,
				action text NOT NULL,
				game_id text COLLATE "C",
				subject text COLLATE "C",
				details text NOT NULL,
				prev_hash text NOT NULL,
				hash text NOT NULL
			);
			CREATE INDEX audit_log_subject ON audit_log (game_id, subject) WHERE subject IS NOT NULL;

			CREATE TABLE audit_head (
				id integer PRIMARY KEY CHECK (id = 1),
				seq bigint NOT NULL CHECK (seq >= 0),
				hash text,
				CHECK ((seq = 0) = (hash IS NULL))
			);
			INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, NULL);

			CREATE TABLE privacy_secrets (
				name text COLLATE "C" PRIMARY KEY,
				value text NOT NULL,
				created_at bigint NOT NULL
			);

			CREATE TABLE erasure_tombstones (
				game_id text COLLATE "C" NOT NULL,
				subject text COLLATE "C" NOT NULL,
				erased_at bigint NOT NULL,
				PRIMARY KEY (game_id, subject)
			);

			CREATE TABLE privacy_jobs (
				id text COLLATE "C" PRIMARY KEY,
				kind text NOT NULL CHECK (kind IN ('erasure')),
				source text NOT NULL CHECK (source IN ('admin', 'roblox_webhook')),
				status text NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed')),
				game_ids text NOT NULL,
				user_id bigint,
				requested_by text NOT NULL,
				created_at bigint NOT NULL,
				started_at bigint,
				finished_at bigint,
				result text,
				error text,
				CHECK (status <> 'completed' OR user_id IS NULL)
			);
			CREATE INDEX privacy_jobs_unfinished ON privacy_jobs (created_at, id)
				WHERE status IN ('pending', 'running', 'failed');

			CREATE TABLE roblox_notifications (
				notification_id text COLLATE "C" PRIMARY KEY,
				job_id text COLLATE "C" NOT NULL REFERENCES privacy_jobs (id) DEFERRABLE INITIALLY DEFERRED,
				received_at bigint NOT NULL
			);
		`,
	},
];

/**
 * The player vault (privacy/player-keys.ts has the SQLite one): per (game, player) the wrapped data key and the
 * pseudonym, and the secrets that make pseudonyms of UserIds (audit subjects, tombstones). Every row has a pseudonym
 * from the start (no rows predate pseudonyms here). Pseudonyms are random in [1, 2^53) and unique per game.
 */
export const PLAYER_VAULT_MIGRATIONS: readonly PgMigration[] = [
	{
		version: 1,
		name: "player_vault",
		up: `
			CREATE TABLE player_keys (
				game_id text COLLATE "C" NOT NULL,
				user_id bigint NOT NULL CHECK (user_id > 0),
				pseudonym bigint NOT NULL CHECK (pseudonym > 0 AND pseudonym <= ${Number.MAX_SAFE_INTEGER}),
				master_key_id text NOT NULL,
				wrapped bytea NOT NULL,
				created_at bigint NOT NULL,
				PRIMARY KEY (game_id, user_id)
			);
			CREATE UNIQUE INDEX player_keys_pseudonym ON player_keys (game_id, pseudonym);
			CREATE INDEX player_keys_master_key ON player_keys (master_key_id);

			CREATE TABLE vault_secrets (
				name text COLLATE "C" PRIMARY KEY,
				value text NOT NULL,
				created_at bigint NOT NULL
			);
		`,
	},
];
