import type { Migration } from "./migrations.js";

/**
 * Version 5: the warehouse (rollups) and its inbox.
 * - ingest_log: the ingest transaction appends one row per stored batch with the ids of the events it accepted
 *   (one small row per batch, so ingest pays almost nothing); the warehouse job folds rows in `seq` order and
 *   deletes them in the same transaction as the rollup updates, so every event is folded exactly once.
 * - wh_state: per game, the time zone the rollups are built in and, while a rebuild (backfill) runs, the id
 *   cursor up to which raw events have been re-folded. Existing games start with a rebuild, which is the backfill.
 * - events_game_name_time also covers user_id and type (see the statement's comment);
 * - player- and user-day-level rollups serve breakdowns; wh_days, wh_cohorts and wh_cohort_last are kept in step
 *   with them so the common queries read a handful of rows per day whatever the event volume.
 */
export const WAREHOUSE_MIGRATION: Migration = {
	version: 5,
	name: "warehouse",
	up: `
		CREATE TABLE ingest_log (
			seq INTEGER PRIMARY KEY,
			game_id TEXT NOT NULL,
			ids TEXT NOT NULL
		) STRICT;

		CREATE TABLE wh_state (
			game_id TEXT PRIMARY KEY REFERENCES games (id),
			time_zone TEXT NOT NULL,
			rebuild_cursor TEXT,
			folded_events INTEGER NOT NULL DEFAULT 0,
			updated_at INTEGER NOT NULL
		) STRICT;
		INSERT INTO wh_state (game_id, time_zone, rebuild_cursor, updated_at)
			SELECT id, 'UTC', '', 0 FROM games;

		CREATE TABLE wh_players (
			game_id TEXT NOT NULL,
			user_id INTEGER NOT NULL,
			first_time INTEGER NOT NULL,
			first_day INTEGER NOT NULL,
			last_day INTEGER NOT NULL,
			attrs_time INTEGER,
			attrs_id TEXT,
			attrs TEXT,
			first_purchase_time INTEGER,
			PRIMARY KEY (game_id, user_id)
		) STRICT, WITHOUT ROWID;
		CREATE INDEX wh_players_first_day ON wh_players (game_id, first_day);
		CREATE INDEX wh_players_first_purchase ON wh_players (game_id, first_purchase_time)
			WHERE first_purchase_time IS NOT NULL;

		CREATE TABLE wh_user_days (
			game_id TEXT NOT NULL,
			day INTEGER NOT NULL,
			user_id INTEGER NOT NULL,
			events INTEGER NOT NULL,
			revenue REAL NOT NULL,
			purchases INTEGER NOT NULL,
			PRIMARY KEY (game_id, day, user_id)
		) STRICT, WITHOUT ROWID;
		CREATE INDEX wh_user_days_user ON wh_user_days (game_id, user_id, day);

		CREATE TABLE wh_days (
			game_id TEXT NOT NULL,
			day INTEGER NOT NULL,
			dau INTEGER NOT NULL DEFAULT 0,
			new_users INTEGER NOT NULL DEFAULT 0,
			payers INTEGER NOT NULL DEFAULT 0,
			revenue REAL NOT NULL DEFAULT 0,
			purchases INTEGER NOT NULL DEFAULT 0,
			events INTEGER NOT NULL DEFAULT 0,
			PRIMARY KEY (game_id, day)
		) STRICT, WITHOUT ROWID;

		CREATE TABLE wh_cohorts (
			game_id TEXT NOT NULL,
			cohort_day INTEGER NOT NULL,
			day_offset INTEGER NOT NULL,
			users INTEGER NOT NULL DEFAULT 0,
			revenue REAL NOT NULL DEFAULT 0,
			PRIMARY KEY (game_id, cohort_day, day_offset)
		) STRICT, WITHOUT ROWID;

		CREATE TABLE wh_cohort_last (
			game_id TEXT NOT NULL,
			cohort_day INTEGER NOT NULL,
			max_offset INTEGER NOT NULL,
			users INTEGER NOT NULL DEFAULT 0,
			PRIMARY KEY (game_id, cohort_day, max_offset)
		) STRICT, WITHOUT ROWID;

		CREATE TABLE wh_sessions (
			game_id TEXT NOT NULL,
			session_id TEXT NOT NULL,
			user_id INTEGER NOT NULL,
			day INTEGER NOT NULL,
			start_time INTEGER,
			end_time INTEGER,
			duration REAL,
			PRIMARY KEY (game_id, session_id)
		) STRICT, WITHOUT ROWID;
		CREATE INDEX wh_sessions_day ON wh_sessions (game_id, day);

		CREATE TABLE wh_event_days (
			game_id TEXT NOT NULL,
			type TEXT NOT NULL,
			name TEXT NOT NULL,
			day INTEGER NOT NULL,
			events INTEGER NOT NULL,
			PRIMARY KEY (game_id, type, name, day)
		) STRICT, WITHOUT ROWID;

		CREATE TABLE wh_event_hours (
			game_id TEXT NOT NULL,
			type TEXT NOT NULL,
			name TEXT NOT NULL,
			hour INTEGER NOT NULL,
			events INTEGER NOT NULL,
			PRIMARY KEY (game_id, type, name, hour)
		) STRICT, WITHOUT ROWID;

		CREATE TABLE wh_economy (
			game_id TEXT NOT NULL,
			day INTEGER NOT NULL,
			currency TEXT NOT NULL,
			flow TEXT NOT NULL,
			item_type TEXT NOT NULL,
			item_id TEXT NOT NULL,
			amount REAL NOT NULL,
			events INTEGER NOT NULL,
			PRIMARY KEY (game_id, day, currency, flow, item_type, item_id)
		) STRICT, WITHOUT ROWID;

		CREATE TABLE wh_progression (
			game_id TEXT NOT NULL,
			day INTEGER NOT NULL,
			path TEXT NOT NULL,
			status TEXT NOT NULL,
			events INTEGER NOT NULL,
			attempts REAL NOT NULL,
			attempts_n INTEGER NOT NULL,
			seconds REAL NOT NULL,
			seconds_n INTEGER NOT NULL,
			PRIMARY KEY (game_id, day, path, status)
		) STRICT, WITHOUT ROWID;

		CREATE TABLE wh_products (
			game_id TEXT NOT NULL,
			day INTEGER NOT NULL,
			product TEXT NOT NULL,
			revenue REAL NOT NULL,
			purchases INTEGER NOT NULL,
			PRIMARY KEY (game_id, day, product)
		) STRICT, WITHOUT ROWID;

		CREATE TABLE wh_funnel_steps (
			game_id TEXT NOT NULL,
			funnel TEXT NOT NULL,
			step INTEGER NOT NULL,
			user_id INTEGER NOT NULL,
			first_time INTEGER NOT NULL,
			first_id TEXT NOT NULL,
			step_name TEXT NOT NULL,
			PRIMARY KEY (game_id, funnel, step, user_id)
		) STRICT, WITHOUT ROWID;

		CREATE INDEX wh_funnel_entries ON wh_funnel_steps (game_id, funnel, step, first_time);

		CREATE TABLE wh_exposures (
			game_id TEXT NOT NULL,
			experiment TEXT NOT NULL,
			user_id INTEGER NOT NULL,
			first_time INTEGER NOT NULL,
			first_id TEXT NOT NULL,
			variation TEXT NOT NULL,
			variations TEXT NOT NULL,
			PRIMARY KEY (game_id, experiment, user_id)
		) STRICT, WITHOUT ROWID;

		-- Experiment results read an event's player and type for every metric event after exposure: with both in the
		-- name index the read never visits the table (1.1 s → a fraction at 10M events). Same name, so queries that
		-- name the index keep working.
		DROP INDEX events_game_name_time;
		CREATE INDEX events_game_name_time ON events (game_id, name, time, user_id, type);
	`,
};

/** Every rollup table with a game_id column: what a rebuild clears. */
export const ROLLUP_TABLES = [
	"wh_players",
	"wh_user_days",
	"wh_days",
	"wh_cohorts",
	"wh_cohort_last",
	"wh_sessions",
	"wh_event_days",
	"wh_event_hours",
	"wh_economy",
	"wh_progression",
	"wh_products",
	"wh_funnel_steps",
	"wh_exposures",
] as const;
