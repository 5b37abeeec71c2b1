import type { Migration } from "./migrations.js";

/**
 * Version 12: security hardening (issue 15).
 * - admin_login_throttle: failed logins per account (the email as typed, existing or not, so the answer does not tell
 *   which accounts exist); rows quiet for a day are forgotten.
 * - admin_totp: a user's TOTP secret, sealed by the master keys like the signing keys (a copy of the database gives
 *   no second factor); last_step makes each code usable once.
 * - admin_sessions.kind: admin tokens from POST /v1/admin/login get a session row too (the token's `sid`), so a
 *   session is listed and revoked the same way whether it is a dashboard cookie or an API token. Token sessions have
 *   no idle timeout (the token's own lifetime bounds them).
 * - batches_received_at: the idempotency rows are pruned by age (ingest/batch-pruning.ts).
 * The signing keys' private JWKs, stored in plain text before this version, are sealed by the start step that
 * follows the migration (auth/secrets-at-rest.ts): SQL cannot reach the master key.
 */
export const SECURITY_MIGRATION: Migration = {
	version: 12,
	name: "security_hardening",
	up: `
		CREATE TABLE admin_login_throttle (
			account TEXT PRIMARY KEY,
			failures INTEGER NOT NULL CHECK (failures >= 0),
			last_failure_at INTEGER NOT NULL,
			locked_until INTEGER
		) STRICT, WITHOUT ROWID;
		CREATE INDEX admin_login_throttle_last_failure ON admin_login_throttle (last_failure_at);

		CREATE TABLE admin_totp (
			user_id TEXT PRIMARY KEY REFERENCES admin_users (id),
			secret TEXT NOT NULL,
			confirmed_at INTEGER,
			last_step INTEGER NOT NULL DEFAULT 0,
			created_at INTEGER NOT NULL
		) STRICT, WITHOUT ROWID;

		ALTER TABLE admin_sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'dashboard' CHECK (kind IN ('dashboard', 'token'));
		CREATE INDEX admin_sessions_user ON admin_sessions (user_id);

		CREATE INDEX batches_received_at ON batches (received_at);
	`,
};
