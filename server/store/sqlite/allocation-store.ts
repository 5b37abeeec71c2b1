// Layers, holdouts and adaptive run times on SQLite (version 15, allocation-migration.ts). Metadata only: written on
// the store's connection without the ingest write lock, as the other metadata tables are.
import type BetterSqlite3 from "better-sqlite3";
import type { AdaptiveRun, AllocationStore, HoldoutRecord, LayerRecord } from "../../domain/allocation.js";
import { fromLayer, toLayer, type AdaptiveRunRow, type HoldoutRow, type LayerRow } from "../rows.js";

export class SqliteAllocationStore implements AllocationStore {
	readonly #listLayers;
	readonly #getLayer;
	readonly #insertLayer;
	readonly #updateLayer;
	readonly #deleteLayer;
	readonly #getHoldout;
	readonly #putHoldout;
	readonly #listRuns;
	readonly #putRun;

	constructor(db: BetterSqlite3.Database) {
		const layerColumns = "game_id, id, name, description, created_at, updated_at";
		this.#listLayers = db.prepare<[string], LayerRow>(
			`SELECT ${layerColumns} FROM experiment_layers WHERE game_id = ? ORDER BY id`,
		);
		this.#getLayer = db.prepare<[string, string], LayerRow>(
			`SELECT ${layerColumns} FROM experiment_layers WHERE game_id = ? AND id = ?`,
		);
		this.#insertLayer = db.prepare<[LayerRow]>(
			`INSERT INTO experiment_layers (${layerColumns})
			VALUES (@game_id, @id, @name, @description, @created_at, @updated_at)
			ON CONFLICT (game_id, id) DO NOTHING`,
		);
		this.#updateLayer = db.prepare<[LayerRow]>(
			`UPDATE experiment_layers SET name = @name, description = @description, updated_at = @updated_at
			WHERE game_id = @game_id AND id = @id`,
		);
		this.#deleteLayer = db.prepare<[string, string]>("DELETE FROM experiment_layers WHERE game_id = ? AND id = ?");
		const holdoutColumns = "game_id, percent, seed, created_at, updated_at";
		this.#getHoldout = db.prepare<[string], HoldoutRow>(
			`SELECT ${holdoutColumns} FROM game_holdouts WHERE game_id = ?`,
		);
		this.#putHoldout = db.prepare<[HoldoutRow]>(
			`INSERT INTO game_holdouts (${holdoutColumns}) VALUES (@game_id, @percent, @seed, @created_at, @updated_at)
			ON CONFLICT (game_id) DO UPDATE SET percent = excluded.percent, seed = excluded.seed,
				updated_at = excluded.updated_at`,
		);
		this.#listRuns = db.prepare<[], AdaptiveRunRow>(
			"SELECT game_id, experiment_key, ran_at FROM adaptive_runs ORDER BY game_id, experiment_key",
		);
		this.#putRun = db.prepare<[AdaptiveRunRow]>(
			`INSERT INTO adaptive_runs (game_id, experiment_key, ran_at) VALUES (@game_id, @experiment_key, @ran_at)
			ON CONFLICT (game_id, experiment_key) DO UPDATE SET ran_at = excluded.ran_at`,
		);
	}

	async listLayers(gameId: string): Promise<LayerRecord[]> {
		return this.#listLayers.all(gameId).map(toLayer);
	}

	async getLayer(gameId: string, id: string): Promise<LayerRecord | undefined> {
		const row = this.#getLayer.get(gameId, id);
		return row && toLayer(row);
	}

	async insertLayer(layer: LayerRecord): Promise<boolean> {
		return this.#insertLayer.run(fromLayer(layer)).changes === 1;
	}

	async updateLayer(layer: LayerRecord): Promise<boolean> {
		return this.#updateLayer.run(fromLayer(layer)).changes === 1;
	}

	async deleteLayer(gameId: string, id: string): Promise<boolean> {
		return this.#deleteLayer.run(gameId, id).changes === 1;
	}

	async getHoldout(gameId: string): Promise<HoldoutRecord | undefined> {
		const row = this.#getHoldout.get(gameId);
		return (
			row && {
				gameId: row.game_id,
				percent: row.percent,
				seed: row.seed,
				createdAt: row.created_at,
				updatedAt: row.updated_at,
			}
		);
	}

	async putHoldout(holdout: HoldoutRecord): Promise<void> {
		this.#putHoldout.run({
			game_id: holdout.gameId,
			percent: holdout.percent,
			seed: holdout.seed,
			created_at: holdout.createdAt,
			updated_at: holdout.updatedAt,
		});
	}

	async listAdaptiveRuns(): Promise<AdaptiveRun[]> {
		return this.#listRuns
			.all()
			.map((row) => ({ gameId: row.game_id, experimentKey: row.experiment_key, ranAt: row.ran_at }));
	}

	async recordAdaptiveRun(run: AdaptiveRun): Promise<void> {
		this.#putRun.run({ game_id: run.gameId, experiment_key: run.experimentKey, ran_at: run.ranAt });
	}
}
