// The metric library's rows in vantage.db (migration 14): one row per version of a game's metric, never updated except
// to archive the key. The SQLite store delegates its library methods here.
import type BetterSqlite3 from "better-sqlite3";
import type { MetricDefinition } from "../../experiments/metric.js";
import type { MetricRole } from "../../experiments/metric-reference.js";
import type { LibraryMetricRecord } from "../types.js";

interface MetricRow {
	game_id: string;
	key: string;
	version: number;
	definition: string;
	role: string;
	created_at: number;
	created_by: string | null;
	archived_at: number | null;
}

const COLUMNS = "game_id, key, version, definition, role, created_at, created_by, archived_at";

/** Library metrics of every game in one database; see the library methods of the Store contract. */
export class SqliteMetricLibrary {
	readonly #insert;
	readonly #latest;
	readonly #version;
	readonly #list;
	readonly #versions;
	readonly #archive;

	constructor(db: BetterSqlite3.Database) {
		const insert = db.prepare<[MetricRow]>(
			`INSERT INTO metric_definitions (${COLUMNS})
			VALUES (@game_id, @key, @version, @definition, @role, @created_at, @created_by, @archived_at)
			ON CONFLICT (game_id, key, version) DO NOTHING`,
		);
		this.#latest = db.prepare<[string, string], MetricRow>(
			`SELECT ${COLUMNS} FROM metric_definitions WHERE game_id = ? AND key = ? ORDER BY version DESC LIMIT 1`,
		);
		this.#version = db.prepare<[string, string, number], MetricRow>(
			`SELECT ${COLUMNS} FROM metric_definitions WHERE game_id = ? AND key = ? AND version = ?`,
		);
		this.#list = db.prepare<[{ gameId: string; all: number }], MetricRow>(
			`SELECT ${COLUMNS} FROM metric_definitions AS m
			WHERE game_id = @gameId AND (@all = 1 OR archived_at IS NULL)
				AND version = (SELECT MAX(version) FROM metric_definitions WHERE game_id = m.game_id AND key = m.key)
			ORDER BY key`,
		);
		this.#versions = db.prepare<[string, string], MetricRow>(
			`SELECT ${COLUMNS} FROM metric_definitions WHERE game_id = ? AND key = ? ORDER BY version`,
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
			return insert.run(fromRecord({ ...record, archivedAt: null })).changes === 1;
		});
	}

	insert(record: LibraryMetricRecord): boolean {
		return this.#insert(record);
	}

	get(gameId: string, key: string, version?: number): LibraryMetricRecord | undefined {
		const row = version === undefined ? this.#latest.get(gameId, key) : this.#version.get(gameId, key, version);
		return row && toRecord(row);
	}

	list(gameId: string, includeArchived: boolean): LibraryMetricRecord[] {
		return this.#list.all({ gameId, all: includeArchived ? 1 : 0 }).map(toRecord);
	}

	versions(gameId: string, key: string): LibraryMetricRecord[] {
		return this.#versions.all(gameId, key).map(toRecord);
	}

	archive(gameId: string, key: string, at: number): boolean {
		return this.#archive.run(at, gameId, key).changes > 0;
	}
}

function fromRecord(record: LibraryMetricRecord): MetricRow {
	return {
		game_id: record.gameId,
		key: record.key,
		version: record.version,
		definition: JSON.stringify(record.definition),
		role: record.role,
		created_at: record.createdAt,
		created_by: record.createdBy,
		archived_at: record.archivedAt,
	};
}

function toRecord(row: MetricRow): LibraryMetricRecord {
	return {
		gameId: row.game_id,
		key: row.key,
		version: row.version,
		// Only ever written validated; the role column has a CHECK constraint.
		definition: JSON.parse(row.definition) as MetricDefinition,
		role: row.role as MetricRole,
		createdAt: row.created_at,
		createdBy: row.created_by,
		archivedAt: row.archived_at,
	};
}
