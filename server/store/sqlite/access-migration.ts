import type { Migration } from "./migrations.js";

/**
 * Version 13: per-game access (issue 15). Until now a user's role (owner, analyst, viewer) applied to every game.
 * - game_grants: one role per (user, game). A user without a row for a game cannot see it at all.
 * - admin_users.instance_admin: the setup role (creates games and users, manages every game's keys and members);
 *   it counts as owner on every game.
 * - Existing installs keep working as they did on the day of the upgrade: owners become instance admins (they could
 *   do everything, and still can), analysts and viewers get their role on every game that exists now. Games added
 *   later are visible only to those an admin or the game's owner grants them to: the leak this version closes.
 * - The global `role` column goes, so nothing can keep reading it by mistake.
 */
export const ACCESS_MIGRATION: Migration = {
	version: 13,
	name: "game_grants",
	up: `
		ALTER TABLE admin_users
			ADD COLUMN instance_admin INTEGER NOT NULL DEFAULT 0 CHECK (instance_admin IN (0, 1));
		UPDATE admin_users SET instance_admin = 1 WHERE role = 'owner';

		CREATE TABLE game_grants (
			user_id TEXT NOT NULL REFERENCES admin_users (id),
			game_id TEXT NOT NULL REFERENCES games (id),
			role TEXT NOT NULL CHECK (role IN ('owner', 'analyst', 'viewer')),
			granted_at INTEGER NOT NULL,
			PRIMARY KEY (user_id, game_id)
		) STRICT, WITHOUT ROWID;
		CREATE INDEX game_grants_by_game ON game_grants (game_id, user_id);

		INSERT INTO game_grants (user_id, game_id, role, granted_at)
			SELECT u.id, g.id, u.role, CAST(unixepoch('subsec') * 1000 AS INTEGER)
			FROM admin_users u CROSS JOIN games g
			WHERE u.role <> 'owner';

		ALTER TABLE admin_users DROP COLUMN role;
	`,
};
