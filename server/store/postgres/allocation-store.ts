// Layers, holdouts and adaptive run times on PostgreSQL: the same rows and orders as
// server/store/sqlite/allocation-store.ts.
import type pg from "pg";
import type { AdaptiveRun, AllocationStore, HoldoutRecord, LayerRecord } from "../../domain/allocation.js";
import { toLayer, type AdaptiveRunRow, type HoldoutRow, type LayerRow } from "../rows.js";

const LAYER_COLUMNS = "game_id, id, name, description, created_at, updated_at";
const HOLDOUT_COLUMNS = "game_id, percent, seed, created_at, updated_at";

export class PostgresAllocationStore implements AllocationStore {
	readonly #pool: pg.Pool;

	constructor(pool: pg.Pool) {
		this.#pool = pool;
	}

	async listLayers(gameId: string): Promise<LayerRecord[]> {
		const { rows } = await this.#pool.query<LayerRow>(
			`SELECT ${LAYER_COLUMNS} FROM experiment_layers WHERE game_id = $1 ORDER BY id`,
			[gameId],
		);
		return rows.map(toLayer);
	}

	async getLayer(gameId: string, id: string): Promise<LayerRecord | undefined> {
		const { rows } = await this.#pool.query<LayerRow>(
			`SELECT ${LAYER_COLUMNS} FROM experiment_layers WHERE game_id = $1 AND id = $2`,
			[gameId, id],
		);
		return rows[0] && toLayer(rows[0]);
	}

	async insertLayer(layer: LayerRecord): Promise<boolean> {
		const { rowCount } = await this.#pool.query(
			`INSERT INTO experiment_layers (${LAYER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (game_id, id) DO NOTHING`,
			[layer.gameId, layer.id, layer.name, layer.description, layer.createdAt, layer.updatedAt],
		);
		return rowCount === 1;
	}

	async updateLayer(layer: LayerRecord): Promise<boolean> {
		const { rowCount } = await this.#pool.query(
			`UPDATE experiment_layers SET name = $3, description = $4, updated_at = $5 WHERE game_id = $1 AND id = $2`,
			[layer.gameId, layer.id, layer.name, layer.description, layer.updatedAt],
		);
		return rowCount === 1;
	}

	async deleteLayer(gameId: string, id: string): Promise<boolean> {
		const { rowCount } = await this.#pool.query("DELETE FROM experiment_layers WHERE game_id = $1 AND id = $2", [
			gameId,
			id,
		]);
		return rowCount === 1;
	}

	async getHoldout(gameId: string): Promise<HoldoutRecord | undefined> {
		const { rows } = await this.#pool.query<HoldoutRow>(
			`SELECT ${HOLDOUT_COLUMNS} FROM game_holdouts WHERE game_id = $1`,
			[gameId],
		);
		const row = rows[0];
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
		await this.#pool.query(
			`INSERT INTO game_holdouts (${HOLDOUT_COLUMNS}) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (game_id) DO UPDATE SET percent = excluded.percent, seed = excluded.seed,
				updated_at = excluded.updated_at`,
			[holdout.gameId, holdout.percent, holdout.seed, holdout.createdAt, holdout.updatedAt],
		);
	}

	async listAdaptiveRuns(): Promise<AdaptiveRun[]> {
		const { rows } = await this.#pool.query<AdaptiveRunRow>(
			"SELECT game_id, experiment_key, ran_at FROM adaptive_runs ORDER BY game_id, experiment_key",
		);
		return rows.map((row) => ({ gameId: row.game_id, experimentKey: row.experiment_key, ranAt: row.ran_at }));
	}

	async recordAdaptiveRun(run: AdaptiveRun): Promise<void> {
		await this.#pool.query(
			`INSERT INTO adaptive_runs (game_id, experiment_key, ran_at) VALUES ($1, $2, $3)
			ON CONFLICT (game_id, experiment_key) DO UPDATE SET ran_at = excluded.ran_at`,
			[run.gameId, run.experimentKey, run.ranAt],
		);
	}
}
