// A game's latest predictions on PostgreSQL (component "predictions"): as on SQLite (sqlite/prediction-store.ts), the
// run's document in `predictions` and its ranked players under their pseudonyms in `prediction_players`, which the
// privacy store's erasure deletes with the player's other rows.
import type pg from "pg";
import type { AsyncPlayerPseudonyms } from "../../domain/players.js";
import type { PredictionPlayerRow, PredictionRecord, PredictionStore } from "../contracts.js";
import type { PgMigration } from "./migrations.js";
import { transaction } from "./pool.js";

export const PREDICTION_COMPONENT = "predictions";

export const PREDICTION_MIGRATIONS: readonly PgMigration[] = [
	{
		version: 1,
		name: "predictions",
		up: `
			CREATE TABLE predictions (
				game_id TEXT COLLATE "C" PRIMARY KEY REFERENCES games (id),
				trained_at BIGINT NOT NULL,
				document TEXT NOT NULL
			);
			CREATE TABLE prediction_players (
				game_id TEXT COLLATE "C" NOT NULL REFERENCES games (id),
				list TEXT NOT NULL CHECK (list IN ('churn', 'purchase', 'ltv')),
				rank INTEGER NOT NULL CHECK (rank >= 1),
				user_id BIGINT NOT NULL,
				score DOUBLE PRECISION NOT NULL,
				details TEXT NOT NULL,
				PRIMARY KEY (game_id, list, rank)
			);
			CREATE INDEX prediction_players_user ON prediction_players (game_id, user_id);
		`,
	},
];

export class PostgresPredictionStore implements PredictionStore {
	readonly #pool: pg.Pool;
	readonly #players: AsyncPlayerPseudonyms;

	constructor(pool: pg.Pool, players: AsyncPlayerPseudonyms) {
		this.#pool = pool;
		this.#players = players;
	}

	async put(record: PredictionRecord, players: readonly PredictionPlayerRow[]): Promise<void> {
		// The vault commits new players' rows itself, before the rankings name their pseudonyms.
		const pseudonyms = await this.#players.pseudonymize(
			record.gameId,
			players.map((p) => p.userId),
			record.trainedAt,
		);
		await transaction(this.#pool, async (client) => {
			await client.query("DELETE FROM prediction_players WHERE game_id = $1", [record.gameId]);
			await client.query(
				`INSERT INTO predictions (game_id, trained_at, document) VALUES ($1, $2, $3)
				ON CONFLICT (game_id) DO UPDATE SET trained_at = excluded.trained_at, document = excluded.document`,
				[record.gameId, record.trainedAt, record.document],
			);
			// One multi-row insert per 500 players (at most 600 rows a run).
			for (let i = 0; i < players.length; i += 500) {
				const chunk = players.slice(i, i + 500);
				const values: unknown[] = [];
				const tuples = chunk.map((p, j) => {
					values.push(record.gameId, p.list, p.rank, pseudonyms.get(p.userId)!, p.score, p.details);
					const b = j * 6;
					return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6})`;
				});
				await client.query(
					`INSERT INTO prediction_players (game_id, list, rank, user_id, score, details) VALUES ${tuples.join(", ")}`,
					values,
				);
			}
		});
	}

	async get(gameId: string): Promise<PredictionRecord | undefined> {
		const { rows } = await this.#pool.query<{ trained_at: number; document: string }>(
			"SELECT trained_at, document FROM predictions WHERE game_id = $1",
			[gameId],
		);
		const row = rows[0];
		return row ? { gameId, trainedAt: Number(row.trained_at), document: row.document } : undefined;
	}

	async players(gameId: string, list: PredictionPlayerRow["list"]): Promise<PredictionPlayerRow[]> {
		const { rows } = await this.#pool.query<{ rank: number; user_id: number; score: number; details: string }>(
			"SELECT rank, user_id, score, details FROM prediction_players WHERE game_id = $1 AND list = $2 ORDER BY rank",
			[gameId, list],
		);
		const out: PredictionPlayerRow[] = [];
		for (const row of rows) {
			// A pseudonym the vault no longer resolves is an erased player's: left out.
			const userId = await this.#players.userIdOf(gameId, Number(row.user_id));
			if (userId === undefined) continue;
			out.push({ list, rank: row.rank, userId, score: row.score, details: row.details });
		}
		return out;
	}
}
