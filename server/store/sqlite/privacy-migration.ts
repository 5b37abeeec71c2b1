import type { Migration } from "./migrations.js";

/**
 * Version 8: privacy (issue 12) — the audit log, erasure jobs, tombstones of erased players, Roblox webhook dedup.
 * - audit_log is a hash chain: each row's `hash` is SHA-256 over the previous row's hash and the row's canonical
 *   content (server/privacy/audit.ts). `seq` is dense (1, 2, 3 …) and part of the content, so a row taken out of
 *   the middle breaks the chain; audit_head holds the last (seq, hash) and is written in the same transaction as
 *   each append, so a row taken off the end is found too. Rows never name a player by UserId: `subject` is the
 *   player's pseudonym (HMAC, see privacy_secrets), which stays the proof of an erasure once the player is gone.
 * - privacy_secrets: server-generated secrets of the privacy module (the pseudonym key). Kept in the database, so
 *   every process on the data directory (server, CLI) derives the same pseudonyms.
 * - erasure_tombstones: (game, pseudonym) of every erased player: ingest drops their late events (a spill drained
 *   after the erasure) without the database keeping their UserId.
 * - privacy_jobs: erasure jobs. `user_id` is held only while a job is unfinished (so a restart can resume it) and
 *   set to NULL when it completes.
 * - roblox_notifications: NotificationIds of Right-to-Erasure webhooks already accepted, and the job each started:
 *   Roblox retries deliveries, and a retry must answer with the first job, not erase again.
 */
export const PRIVACY_MIGRATION: Migration = {
	version: 8,
	name: "privacy",
	up: `
		CREATE TABLE audit_log (
			seq INTEGER PRIMARY KEY,
			at INTEGER NOT NULL,
			actor TEXT NOT NULL,
			action TEXT NOT NULL,
			game_id TEXT,
			subject TEXT,
			details TEXT NOT NULL,
			prev_hash TEXT NOT NULL,
			hash TEXT NOT NULL
		) STRICT;
		CREATE INDEX audit_log_subject ON audit_log (game_id, subject) WHERE subject IS NOT NULL;

		CREATE TABLE audit_head (
			id INTEGER PRIMARY KEY CHECK (id = 1),
			seq INTEGER NOT NULL,
			hash TEXT NOT NULL
		) STRICT;

		CREATE TABLE privacy_secrets (
			name TEXT PRIMARY KEY,
			value TEXT NOT NULL,
			created_at INTEGER NOT NULL
		) STRICT;

		CREATE TABLE erasure_tombstones (
			game_id TEXT NOT NULL,
			subject TEXT NOT NULL,
			erased_at INTEGER NOT NULL,
			PRIMARY KEY (game_id, subject)
		) STRICT, WITHOUT ROWID;

		CREATE TABLE privacy_jobs (
			id TEXT PRIMARY KEY,
			kind TEXT NOT NULL CHECK (kind IN ('erasure')),
			source TEXT NOT NULL CHECK (source IN ('admin', 'roblox_webhook')),
			status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed')),
			game_ids TEXT NOT NULL,
			user_id INTEGER,
			requested_by TEXT NOT NULL,
			created_at INTEGER NOT NULL,
			started_at INTEGER,
			finished_at INTEGER,
			result TEXT,
			error TEXT,
			CHECK (status NOT IN ('completed') OR user_id IS NULL)
		) STRICT;
		CREATE INDEX privacy_jobs_unfinished ON privacy_jobs (created_at) WHERE status IN ('pending', 'running', 'failed');

		CREATE TABLE roblox_notifications (
			notification_id TEXT PRIMARY KEY,
			job_id TEXT NOT NULL REFERENCES privacy_jobs (id),
			received_at INTEGER NOT NULL
		) STRICT, WITHOUT ROWID;
	`,
};
