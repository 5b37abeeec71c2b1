// A game's latest predictions on SQLite (migration 17): the training run's document (model cards, recommendations,
// KPI anomalies: no player in it) in `predictions`, and its player rankings (at risk of churning, likely buyers, top
// LTV) in `prediction_players`, one row per ranked player keyed by (game_id, user_id) like every player row of the
// database: the pseudonym, never the UserId, so an erasure deletes them with the player's other rows and a copy of the
// database names nobody.
import type BetterSqlite3 from "better-sqlite3";
import type { Migration } from "./migrations.js";
import type { MainWriteLock } from "./write-lock.js";
import type { PlayerPseudonyms } from "../../domain/players.js";
import type { PredictionStore, PredictionPlayerRow, PredictionRecord } from "../contracts.js";

export const PREDICTION_MIGRATION: Migration = {
	version: 17,
	name: "predictions",
	up: `
		CREATE TABLE predictions (
			game_id TEXT PRIMARY KEY REFERENCES games (id),
			trained_at INTEGER NOT NULL,
			document TEXT NOT NULL
		) STRICT;
		CREATE TABLE prediction_players (
			game_id TEXT NOT NULL REFERENCES games (id),
			list TEXT NOT NULL CHECK (list IN ('churn', 'purchase', 'ltv')),
			rank INTEGER NOT NULL CHECK (rank >= 1),
			user_id INTEGER NOT NULL,
			score REAL NOT NULL,
			details TEXT NOT NULL,
			PRIMARY KEY (game_id, list, rank)
		) STRICT, WITHOUT ROWID;
		CREATE INDEX prediction_players_user ON prediction_players (game_id, user_id);
	`,
};

interface PlayerRow {
	list: string;
	rank: number;
	user_id: number;
	score: number;
	details: string;
}

export class SqlitePredictionStore implements PredictionStore {
	readonly #db: BetterSqlite3.Database;
	readonly #players: PlayerPseudonyms;
	readonly #lock: MainWriteLock | undefined;
	readonly #get;
	readonly #list;

	constructor(db: BetterSqlite3.Database, players: PlayerPseudonyms, lock?: MainWriteLock) {
		this.#db = db;
		this.#players = players;
		this.#lock = lock;
		this.#get = db.prepare<[string], { trained_at: number; document: string }>(
			"SELECT trained_at, document FROM predictions WHERE game_id = ?",
		);
		this.#list = db.prepare<[string, string], PlayerRow>(
			"SELECT list, rank, user_id, score, details FROM prediction_players WHERE game_id = ? AND list = ? ORDER BY rank",
		);
	}

	async put(record: PredictionRecord, players: readonly PredictionPlayerRow[]): Promise<void> {
		// Pseudonyms are looked up (or made) before the transaction, as ingest does: the vault commits on its own.
		const pseudonyms = this.#players.pseudonymize(
			record.gameId,
			players.map((p) => p.userId),
			record.trainedAt,
		);
		const replace = this.#db.transaction(() => {
			this.#db.prepare("DELETE FROM prediction_players WHERE game_id = ?").run(record.gameId);
			this.#db
				.prepare(
					`INSERT INTO predictions (game_id, trained_at, document) VALUES (?, ?, ?)
					ON CONFLICT (game_id) DO UPDATE SET trained_at = excluded.trained_at, document = excluded.document`,
				)
				.run(record.gameId, record.trainedAt, record.document);
			const insert = this.#db.prepare(
				"INSERT INTO prediction_players (game_id, list, rank, user_id, score, details) VALUES (?, ?, ?, ?, ?, ?)",
			);
			for (const p of players) {
				insert.run(record.gameId, p.list, p.rank, pseudonyms.get(p.userId)!, p.score, p.details);
			}
		});
		// Writes take the ingest/warehouse write lock, as every write on the store's connection does.
		const waiting = this.#lock?.acquire();
		if (waiting) await waiting;
		try {
			replace.immediate();
		} finally {
			this.#lock?.release();
		}
	}

	async get(gameId: string): Promise<PredictionRecord | undefined> {
		const row = this.#get.get(gameId);
		return row ? { gameId, trainedAt: row.trained_at, document: row.document } : undefined;
	}

	async players(gameId: string, list: PredictionPlayerRow["list"]): Promise<PredictionPlayerRow[]> {
		const out: PredictionPlayerRow[] = [];
		for (const row of this.#list.all(gameId, list)) {
			// A pseudonym the vault no longer resolves is an erased player's: left out.
			const userId = this.#players.userIdOf(gameId, row.user_id);
			if (userId === undefined) continue;
			out.push({ list, rank: row.rank, userId, score: row.score, details: row.details });
		}
		return out;
	}
}
