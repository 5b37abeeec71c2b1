import type { Migration } from "./migrations.js";

/**
 * Version 15: layers, the global holdout and adaptive run times (issue 14, items 8 and 9).
 * - experiment_layers: a game's namespaces as things people manage (name, description). Experiments keep naming
 *   their namespace in their definition (JSON), so a layer is not a foreign key of them: an experiment may name a
 *   namespace no layer describes (configs imported from GrowthBook), and its slice is still checked for overlap.
 * - game_holdouts: at most one row per game; percent 0 is a holdout turned off (its seed is kept, so turning it on
 *   again holds out the same players).
 * - adaptive_runs: when each adaptive experiment's update last ran, so each runs on its own interval across
 *   restarts. Kept apart from experiments.adaptive_updated_at, which says when the weights last changed (an update
 *   with too few units runs but changes nothing). Rows go with their experiment (ON DELETE CASCADE).
 */
export const ALLOCATION_MIGRATION: Migration = {
	version: 15,
	name: "layers_holdouts",
	up: `
		CREATE TABLE experiment_layers (
			game_id TEXT NOT NULL REFERENCES games (id),
			id TEXT NOT NULL,
			name TEXT NOT NULL,
			description TEXT NOT NULL,
			created_at INTEGER NOT NULL,
			updated_at INTEGER NOT NULL,
			PRIMARY KEY (game_id, id)
		) STRICT, WITHOUT ROWID;

		CREATE TABLE game_holdouts (
			game_id TEXT PRIMARY KEY REFERENCES games (id),
			percent REAL NOT NULL CHECK (percent >= 0 AND percent <= 50),
			seed TEXT NOT NULL,
			created_at INTEGER NOT NULL,
			updated_at INTEGER NOT NULL
		) STRICT;

		CREATE TABLE adaptive_runs (
			game_id TEXT NOT NULL,
			experiment_key TEXT NOT NULL,
			ran_at INTEGER NOT NULL,
			PRIMARY KEY (game_id, experiment_key),
			FOREIGN KEY (game_id, experiment_key) REFERENCES experiments (game_id, key) ON DELETE CASCADE
		) STRICT, WITHOUT ROWID;
	`,
};
