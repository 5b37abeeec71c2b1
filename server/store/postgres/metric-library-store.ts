// The metric library on PostgreSQL: one row per version of a game's metric, never updated except to archive the key
// (as server/store/sqlite/metric-library-store.ts). The metadata store delegates its library methods here.
import type pg from "pg";
import type { LibraryMetricRecord } from "../types.js";
import { advisoryXactLock, transaction } from "./pool.js";
import { LIBRARY_METRIC_COLUMNS, toLibraryMetric, type LibraryMetricRow } from "../rows.js";

/** The advisory lock of one library key: a new version and an archive of the key never interleave. */
const keyLock = (gameId: string, key: string) => `vantage:metric:${JSON.stringify([gameId, key])}`;

export class PostgresMetricLibrary {
	readonly #pool: pg.Pool;

	constructor(pool: pg.Pool) {
		this.#pool = pool;
	}

	/**
	 * Read and write under the key's lock: a version follows the latest one, of a key that is not archived, so two
	 * concurrent changes based on the same version cannot both land, and an archive running at the same time cannot
	 * leave a new version unarchived (a row lock would not cover the row being inserted).
	 */
	async insert(record: LibraryMetricRecord): Promise<boolean> {
		return await transaction(this.#pool, async (client) => {
			await advisoryXactLock(client, keyLock(record.gameId, record.key));
			const { rows } = await client.query<{ version: number; archived_at: number | null }>(
				"SELECT version, archived_at FROM metric_definitions WHERE game_id = $1 AND key = $2 ORDER BY version DESC LIMIT 1",
				[record.gameId, record.key],
			);
			const latest = rows[0];
			const expected = latest ? latest.version + 1 : 1;
			if (record.version !== expected || (latest && latest.archived_at !== null)) return false;
			const { rowCount } = await client.query(
				`INSERT INTO metric_definitions (${LIBRARY_METRIC_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)
				ON CONFLICT (game_id, key, version) DO NOTHING`,
				[
					record.gameId,
					record.key,
					record.version,
					JSON.stringify(record.definition),
					record.role,
					record.createdAt,
					record.createdBy,
				],
			);
			return rowCount === 1;
		});
	}

	async get(gameId: string, key: string, version?: number): Promise<LibraryMetricRecord | undefined> {
		const { rows } =
			version === undefined
				? await this.#pool.query<LibraryMetricRow>(
						`SELECT ${LIBRARY_METRIC_COLUMNS} FROM metric_definitions WHERE game_id = $1 AND key = $2 ORDER BY version DESC LIMIT 1`,
						[gameId, key],
					)
				: await this.#pool.query<LibraryMetricRow>(
						`SELECT ${LIBRARY_METRIC_COLUMNS} FROM metric_definitions WHERE game_id = $1 AND key = $2 AND version = $3`,
						[gameId, key, version],
					);
		return rows[0] && toLibraryMetric(rows[0]);
	}

	async list(gameId: string, includeArchived: boolean): Promise<LibraryMetricRecord[]> {
		const { rows } = await this.#pool.query<LibraryMetricRow>(
			`SELECT ${LIBRARY_METRIC_COLUMNS} FROM metric_definitions AS m
			WHERE game_id = $1 AND ($2 OR archived_at IS NULL)
				AND version = (SELECT max(version) FROM metric_definitions WHERE game_id = m.game_id AND key = m.key)
			ORDER BY key`,
			[gameId, includeArchived],
		);
		return rows.map(toLibraryMetric);
	}

	async versions(gameId: string, key: string): Promise<LibraryMetricRecord[]> {
		const { rows } = await this.#pool.query<LibraryMetricRow>(
			`SELECT ${LIBRARY_METRIC_COLUMNS} FROM metric_definitions WHERE game_id = $1 AND key = $2 ORDER BY version`,
			[gameId, key],
		);
		return rows.map(toLibraryMetric);
	}

	async archive(gameId: string, key: string, at: number): Promise<boolean> {
		return await transaction(this.#pool, async (client) => {
			await advisoryXactLock(client, keyLock(gameId, key));
			const { rowCount } = await client.query(
				"UPDATE metric_definitions SET archived_at = $1 WHERE game_id = $2 AND key = $3 AND archived_at IS NULL",
				[at, gameId, key],
			);
			return (rowCount ?? 0) > 0;
		});
	}
}
