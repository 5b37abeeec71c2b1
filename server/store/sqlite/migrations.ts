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
];
