// The metric library's rows in vantage.db (migration 14): one row per version of a game's metric, never updated except
// to archive the key. The SQLite store delegates its library methods here.
import type BetterSqlite3 from "better-sqlite3";
import type { LibraryMetricRecord } from "../types.js";
import { LIBRARY_METRIC_COLUMNS, fromLibraryMetric, toLibraryMetric, type LibraryMetricRow } from "../rows.js";

/** Library metrics of every game in one database; see the library methods of the Store contract. */
export class SqliteMetricLibrary {
	readonly #insert;
	readonly #latest;
	readonly #version;
	readonly #list;
	readonly #versions;
	readonly #archive;

	constructor(db: BetterSqlite3.Database) {
		const insert = db.prepare<[LibraryMetricRow]>(
			`INSERT INTO metric_definitions (${LIBRARY_METRIC_COLUMNS})
			VALUES (@game_id, @key, @version, @definition, @role, @created_at, @created_by, @archived_at)
			ON CONFLICT (game_id, key, version) DO NOTHING`,
		);
		this.#latest = db.prepare<[string, string], LibraryMetricRow>(
			`SELECT ${LIBRARY_METRIC_COLUMNS} FROM metric_definitions WHERE game_id = ? AND key = ? ORDER BY version DESC LIMIT 1`,
		);
		this.#version = db.prepare<[string, string, number], LibraryMetricRow>(
			`SELECT ${LIBRARY_METRIC_COLUMNS} FROM metric_definitions WHERE game_id = ? AND key = ? AND version = ?`,
		);
		this.#list = db.prepare<[{ gameId: string; all: number }], LibraryMetricRow>(
			`SELECT ${LIBRARY_METRIC_COLUMNS} FROM metric_definitions AS m
			WHERE game_id = @gameId AND (@all = 1 OR archived_at IS NULL)
				AND version = (SELECT MAX(version) FROM metric_definitions WHERE game_id = m.game_id AND key = m.key)
			ORDER BY key`,
		);
		this.#versions = db.prepare<[string, string], LibraryMetricRow>(
			`SELECT ${LIBRARY_METRIC_COLUMNS} FROM metric_definitions WHERE game_id = ? AND key = ? ORDER BY version`,
		);
		this.#archive = db.prepare<[number, string, string]>(
			"UPDATE metric_definitions SET archived_at = ? WHERE game_id = ? AND key = ? AND archived_at IS NULL",
		);
		// Read and write in one transaction: a version follows the latest one, of a key that is not archived, so two
		// concurrent changes based on the same version cannot both land.
		this.#insert = db.transaction((record: LibraryMetricRecord): boolean => {
			const latest = this.#latest.get(record.gameId, record.key);
			const expected = latest ? latest.version + 1 : 1;
			if (record.version !== expected || (latest && latest.archived_at !== null)) return false;
			return insert.run(fromLibraryMetric({ ...record, archivedAt: null })).changes === 1;
		});
	}

	insert(record: LibraryMetricRecord): boolean {
		return this.#insert(record);
	}

	get(gameId: string, key: string, version?: number): LibraryMetricRecord | undefined {
		const row = version === undefined ? this.#latest.get(gameId, key) : this.#version.get(gameId, key, version);
		return row && toLibraryMetric(row);
	}

	list(gameId: string, includeArchived: boolean): LibraryMetricRecord[] {
		return this.#list.all({ gameId, all: includeArchived ? 1 : 0 }).map(toLibraryMetric);
	}

	versions(gameId: string, key: string): LibraryMetricRecord[] {
		return this.#versions.all(gameId, key).map(toLibraryMetric);
	}

	archive(gameId: string, key: string, at: number): boolean {
		return this.#archive.run(at, gameId, key).changes > 0;
	}
}
