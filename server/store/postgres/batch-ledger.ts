// The batch ledger on PostgreSQL (contracts.ts BatchLedger; table `batches`, metadata migration 2): the claims and
// answers of the batches whose events ClickHouse stores. One row per (game, batchId): while an instance stores the
// batch it holds the row's claim (holder, until); its answer then replaces the claim (received_at, response,
// fingerprint). Every call is one statement, so the ingest of a new batch costs two here: the claim, and the answer
// that also ends the claim. The answer also names the batch's players (migration 3) until the rollup job has folded
// them (toFold, markFolded): the job's inbox. The players' heads (migration 4, `player_heads`) spare ClickHouse the
// lookup of a batch whose ids are all new: the claim reads and raises them.
import type pg from "pg";
import type { BatchClaim, BatchLedger, BatchToFold, PlayerIds, StoredBatchAnswer } from "../contracts.js";
import { named, statement } from "./pool.js";

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
	 *
	 * With `ids`, the same statement reads the players' heads as its snapshot saw them (→ clear: head below the batch's
	 * smallest id; headless: no head) and, if the claim was taken, raises the heads that exist to the batch's largest
	 * ids, locking them in player order (two claims of overlapping players wait for each other, never deadlock). A head
	 * raised by a batch whose events are already stored committed before they were inserted, so the snapshot has it.
	 */
	async claim(
		gameId: string,
		batchId: string,
		holder: string,
		now: number,
		until: number,
		ids: readonly PlayerIds[] = [],
	): Promise<BatchClaim> {
		const params: unknown[] = [gameId, batchId, holder, now, until];
		let heads = "";
		let selects = "";
		if (ids.length > 0) {
			params.push(
				ids.map((entry) => entry.player),
				ids.map((entry) => entry.lo),
				ids.map((entry) => entry.hi),
			);
			heads = `,
			k AS (SELECT * FROM unnest($6::bigint[], $7::text[], $8::text[]) AS k (player, lo, hi)),
			seen AS (
				SELECT k.player, h.max_id < (k.lo COLLATE "C") AS clear
				FROM k JOIN player_heads h ON h.game_id = $1 AND h.player = k.player
			),
			locked AS (
				SELECT h.player FROM player_heads h JOIN k ON h.game_id = $1 AND h.player = k.player
				WHERE EXISTS (SELECT 1 FROM taken) AND h.max_id < (k.hi COLLATE "C")
				ORDER BY h.player FOR UPDATE OF h
			),
			raised AS (
				UPDATE player_heads h SET max_id = k.hi FROM k, locked
				WHERE h.game_id = $1 AND h.player = k.player AND locked.player = k.player AND h.max_id < (k.hi COLLATE "C")
				RETURNING 1
			)`;
			selects = `,
				(SELECT array_agg(player) FROM seen WHERE clear) AS clear,
				(SELECT array_agg(player) FROM seen) AS known,
				(SELECT count(*) FROM raised)::int AS raised`;
		}
		const { rows } = await statement<
			AnswerRow & { taken: number; clear?: (string | number)[] | null; known?: (string | number)[] | null }
		>(
			this.#pool,
			`WITH taken AS (
				INSERT INTO batches (game_id, batch_id, holder, until) VALUES ($1, $2, $3, $5)
				ON CONFLICT (game_id, batch_id) DO UPDATE SET holder = excluded.holder, until = excluded.until
				WHERE batches.response IS NULL AND (batches.until <= $4 OR batches.holder = $3)
				RETURNING 1
			)${heads}
			SELECT (SELECT count(*) FROM taken)::int AS taken, b.received_at, b.response, b.fingerprint${selects}
			FROM (SELECT 1) AS one
			LEFT JOIN batches b ON b.game_id = $1 AND b.batch_id = $2 AND b.response IS NOT NULL`,
			params,
			ids.length > 0 ? "vantage_batch_claim_heads" : "vantage_batch_claim",
		);
		const row = rows[0]!;
		if (row.taken > 0) {
			if (ids.length === 0) return { claimed: true };
			const known = new Set((row.known ?? []).map(Number));
			return {
				claimed: true,
				clear: (row.clear ?? []).map(Number),
				headless: ids.map((entry) => entry.player).filter((player) => !known.has(player)),
			};
		}
		const answer = toAnswer(row);
		return answer ? { claimed: false, answer } : { claimed: false };
	}

	/** One upsert in player order (locks taken in that order); a head only ever goes up. */
	async raiseHeads(gameId: string, heads: readonly { player: number; hi: string }[]): Promise<void> {
		if (heads.length === 0) return;
		const sorted = [...heads].sort((a, b) => a.player - b.player);
		await this.#pool.query(
			`INSERT INTO player_heads (game_id, player, max_id)
			SELECT $1, k.player, k.hi FROM unnest($2::bigint[], $3::text[]) AS k (player, hi) ORDER BY k.player
			ON CONFLICT (game_id, player) DO UPDATE SET max_id = excluded.max_id
			WHERE player_heads.max_id < excluded.max_id`,
			[gameId, sorted.map((head) => head.player), sorted.map((head) => head.hi)],
		);
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
			named(
				"vantage_batch_answer",
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
			),
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
