// The batch ledger on PostgreSQL (contracts.ts BatchLedger; table `batches`, metadata migration 2): the claims and
// answers of the batches whose events ClickHouse stores. One row per (game, batchId): while an instance stores the
// batch it holds the row's claim (holder, until); its answer then replaces the claim (received_at, response,
// fingerprint). Every call is one statement, so the ingest of a new batch costs two here: the claim, and the answer
// that also ends the claim. The answer also names the batch's players (migration 3) until the rollup job has folded
// them (toFold, markFolded): the job's inbox.
import type pg from "pg";
import type { BatchClaim, BatchLedger, BatchToFold, StoredBatchAnswer } from "../contracts.js";

interface AnswerRow {
	received_at: number | null;
	response: string | null;
	fingerprint: string | null;
}

export class PostgresBatchLedger implements BatchLedger {
	readonly #pool: pg.Pool;

	constructor(pool: pg.Pool) {
		this.#pool = pool;
	}

	/**
	 * One statement: the upsert takes the claim when the row is new, or unanswered and its claim expired at `now`, or
	 * ours (a renewal); ON CONFLICT DO UPDATE locks the row and re-checks its WHERE after a concurrent writer commits,
	 * so two instances never both take it. The outer SELECT reads the row as the statement's snapshot saw it: an answer
	 * stored before we came. An answer stored while we were blocked on the row is not seen: the claim then fails with no
	 * answer, and the caller's next claim finds it.
	 */
	async claim(gameId: string, batchId: string, holder: string, now: number, until: number): Promise<BatchClaim> {
		const { rows } = await this.#pool.query<AnswerRow & { taken: number }>(
			`WITH taken AS (
				INSERT INTO batches (game_id, batch_id, holder, until) VALUES ($1, $2, $3, $5)
				ON CONFLICT (game_id, batch_id) DO UPDATE SET holder = excluded.holder, until = excluded.until
				WHERE batches.response IS NULL AND (batches.until <= $4 OR batches.holder = $3)
				RETURNING 1
			)
			SELECT (SELECT count(*) FROM taken)::int AS taken, b.received_at, b.response, b.fingerprint
			FROM (SELECT 1) AS one
			LEFT JOIN batches b ON b.game_id = $1 AND b.batch_id = $2 AND b.response IS NOT NULL`,
			[gameId, batchId, holder, now, until],
		);
		const row = rows[0]!;
		if (row.taken > 0) return { claimed: true };
		const answer = toAnswer(row);
		return answer ? { claimed: false, answer } : { claimed: false };
	}

	/**
	 * Inserted if the claim row is gone (pruned past its expiry); an answered row keeps its first answer. The players
	 * (none: NULL) put the batch in the rollup job's inbox (toFold).
	 */
	async answer(
		gameId: string,
		batchId: string,
		answer: StoredBatchAnswer,
		players: readonly number[] = [],
	): Promise<void> {
		await this.#pool.query(
			`INSERT INTO batches (game_id, batch_id, received_at, response, fingerprint, players)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (game_id, batch_id) DO UPDATE SET received_at = excluded.received_at,
				response = excluded.response, fingerprint = excluded.fingerprint, players = excluded.players,
				holder = NULL, until = NULL
			WHERE batches.response IS NULL`,
			[
				gameId,
				batchId,
				answer.receivedAt,
				answer.response,
				// '' is "no fingerprint": NULL here, as SQLite's batches has it.
				answer.fingerprint === "" ? null : answer.fingerprint,
				players.length === 0 ? null : players.map(String),
			],
		);
	}

	/** By the partial index batches_to_fold. */
	async toFold(limit: number): Promise<BatchToFold[]> {
		const { rows } = await this.#pool.query<{
			game_id: string;
			batch_id: string;
			received_at: string | number;
			players: (string | number)[];
		}>(
			`SELECT game_id, batch_id, received_at, players FROM batches WHERE players IS NOT NULL
			ORDER BY received_at LIMIT $1`,
			[limit],
		);
		return rows.map((row) => ({
			gameId: row.game_id,
			batchId: row.batch_id,
			receivedAt: Number(row.received_at),
			players: row.players.map(Number),
		}));
	}

	async markFolded(batches: readonly { gameId: string; batchId: string }[]): Promise<void> {
		if (batches.length === 0) return;
		await this.#pool.query(
			`UPDATE batches b SET players = NULL FROM unnest($1::text[], $2::text[]) AS k (game_id, batch_id)
			WHERE b.game_id = k.game_id AND b.batch_id = k.batch_id AND b.players IS NOT NULL`,
			[batches.map((b) => b.gameId), batches.map((b) => b.batchId)],
		);
	}

	async release(gameId: string, batchId: string, holder: string): Promise<void> {
		await this.#pool.query(
			"DELETE FROM batches WHERE game_id = $1 AND batch_id = $2 AND holder = $3 AND response IS NULL",
			[gameId, batchId, holder],
		);
	}

	async answered(batches: readonly { gameId: string; batchId: string }[]): Promise<Set<string>> {
		if (batches.length === 0) return new Set();
		const { rows } = await this.#pool.query<{ game_id: string; batch_id: string }>(
			`SELECT b.game_id, b.batch_id FROM batches b
			JOIN unnest($1::text[], $2::text[]) AS k (game_id, batch_id) ON b.game_id = k.game_id AND b.batch_id = k.batch_id
			WHERE b.response IS NOT NULL`,
			[batches.map((b) => b.gameId), batches.map((b) => b.batchId)],
		);
		return new Set(rows.map((row) => `${row.game_id}\u0000${row.batch_id}`));
	}

	/**
	 * The oldest answers first (by the partial index on received_at; one the rollup job has not folded stays until it
	 * has), then unanswered claims that expired before the
	 * same time (an attempt that died; any new claim would take such a row over anyway). The outer conditions are
	 * checked again on the rows as the DELETE locks them: a claim renewed meanwhile stays.
	 */
	async prune(receivedBefore: number, limit: number): Promise<number> {
		if (limit <= 0) return 0;
		const answers = await this.#pool.query(
			`DELETE FROM batches WHERE response IS NOT NULL AND received_at < $1 AND players IS NULL
			AND (game_id, batch_id) IN (
				SELECT game_id, batch_id FROM batches WHERE response IS NOT NULL AND received_at < $1 AND players IS NULL
				ORDER BY received_at LIMIT $2)`,
			[receivedBefore, limit],
		);
		const deleted = answers.rowCount ?? 0;
		if (deleted < limit) {
			await this.#pool.query(
				`DELETE FROM batches WHERE response IS NULL AND until < $1 AND (game_id, batch_id) IN (
					SELECT game_id, batch_id FROM batches WHERE response IS NULL AND until < $1 LIMIT $2)`,
				[receivedBefore, limit - deleted],
			);
		}
		return deleted;
	}
}

function toAnswer(row: AnswerRow): StoredBatchAnswer | undefined {
	if (row.response === null || row.received_at === null) return undefined;
	return { response: row.response, fingerprint: row.fingerprint ?? "", receivedAt: Number(row.received_at) };
}
