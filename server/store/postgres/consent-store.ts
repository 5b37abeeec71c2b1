// The consent ledger on PostgreSQL (tables: privacy-migrations.ts): policy versions, consent records and their
// tallies, shared by every backend instance. Same behaviour as store/sqlite/consent-store.ts. The difference is who
// writes records: with the events in another engine (ClickHouse), the event engine calls appendRecords for each new
// consent event before it acknowledges the batch, and a retry (another instance, after a crash) may append the same
// records again, even at the same moment: the records' key makes the second append a no-op, tallies included.
import type pg from "pg";
import type { ConsentPolicyRecord, ConsentRecordRow, ConsentTallyRow } from "../../domain/consent.js";
import type { AsyncPlayerPseudonyms } from "../../domain/players.js";
import type { ConsentRecordInsert, MetadataConsentStore } from "../contracts.js";
import { advisoryXactLock, statement, transaction } from "./pool.js";
import {
	CONSENT_POLICY_COLUMNS,
	CONSENT_RECORD_COLUMNS,
	toConsentPolicy,
	toConsentRecord,
	toConsentTally,
	type ConsentPolicyDbRow,
	type ConsentRecordDbRow,
	type ConsentTallyDbRow,
} from "../rows.js";

/** Records written per INSERT statement (7 array parameters, whatever the count; this bounds one statement's work). */
const APPEND_CHUNK = 1000;

/**
 * @example
 * const consent = new PostgresConsentStore(pool, vault);
 * await consent.appendRecords([{ gameId, eventId, userId: pseudonym, time, receivedAt, policyVersion, details, tally }]);
 */
export class PostgresConsentStore implements MetadataConsentStore {
	readonly #pool: pg.Pool;
	readonly #players: AsyncPlayerPseudonyms;

	/** `players`: the vault mapping UserIds to the pseudonyms the records hold. */
	constructor(pool: pg.Pool, players: AsyncPlayerPseudonyms) {
		this.#pool = pool;
		this.#players = players;
	}

	async insertPolicy(record: ConsentPolicyRecord): Promise<"created" | "version_taken" | "out_of_order"> {
		// The game's policy publications queue on one lock (held to commit), so "out_of_order" is decided against
		// every version committed before, by any instance; the first version of a game has no row to lock.
		return await transaction(this.#pool, async (client) => {
			await advisoryXactLock(client, `consent_policies:${record.gameId}`);
			const taken = await client.query("SELECT 1 FROM consent_policies WHERE game_id = $1 AND version = $2", [
				record.gameId,
				record.version,
			]);
			if (taken.rowCount) return "version_taken" as const;
			const latest = await client.query<{ effective_at: number | null }>(
				"SELECT max(effective_at) AS effective_at FROM consent_policies WHERE game_id = $1",
				[record.gameId],
			);
			const effectiveAt = latest.rows[0]?.effective_at ?? null;
			if (effectiveAt !== null && effectiveAt > record.effectiveAt) return "out_of_order" as const;
			await client.query(
				`INSERT INTO consent_policies (${CONSENT_POLICY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				[
					record.gameId,
					record.version,
					record.summary,
					record.url,
					record.effectiveAt,
					record.createdAt,
					record.createdBy,
				],
			);
			return "created" as const;
		});
	}

	async listPolicies(gameId: string): Promise<ConsentPolicyRecord[]> {
		const { rows } = await this.#pool.query<ConsentPolicyDbRow>(
			`SELECT ${CONSENT_POLICY_COLUMNS} FROM consent_policies WHERE game_id = $1 ORDER BY effective_at, created_at, version`,
			[gameId],
		);
		return rows.map(toConsentPolicy);
	}

	async listRecords(gameId: string, userId: number): Promise<ConsentRecordRow[]> {
		// The rows hold the player's pseudonym; a player the vault does not know (or no longer knows) has none.
		const pseudonym = await this.#players.pseudonymOf(gameId, userId);
		if (pseudonym === undefined) return [];
		const { rows } = await this.#pool.query<ConsentRecordDbRow>(
			`SELECT ${CONSENT_RECORD_COLUMNS} FROM consent_records WHERE game_id = $1 AND user_id = $2 ORDER BY time, event_id`,
			[gameId, pseudonym],
		);
		return rows.map((row) => toConsentRecord(row, userId));
	}

	async latestRecords(gameId: string, userIds: readonly number[]): Promise<ConsentRecordRow[]> {
		// pseudonym → UserId of the players the vault knows; the others (never seen, erased) have no records to read.
		const players = new Map<number, number>();
		const unique = [...new Set(userIds)].filter((userId) => userId > 0);
		const pseudonyms = await Promise.all(unique.map((userId) => this.#players.pseudonymOf(gameId, userId)));
		unique.forEach((userId, i) => {
			const pseudonym = pseudonyms[i];
			if (pseudonym !== undefined) players.set(pseudonym, userId);
		});
		if (players.size === 0) return [];
		// DISTINCT ON keeps each player's first row in the ORDER BY: the last of listRecords' order.
		const { rows } = await this.#pool.query<ConsentRecordDbRow>(
			`SELECT DISTINCT ON (user_id) ${CONSENT_RECORD_COLUMNS} FROM consent_records
			WHERE game_id = $1 AND user_id = ANY($2::bigint[])
			ORDER BY user_id, time DESC, event_id DESC`,
			[gameId, [...players.keys()]],
		);
		return rows.map((row) => toConsentRecord(row, players.get(row.user_id)!));
	}

	async summary(
		gameId: string,
	): Promise<{ tallies: ConsentTallyRow[]; players: { policyVersion: string; players: number }[] }> {
		const tallies = await this.#pool.query<ConsentTallyDbRow>(
			`SELECT policy_version, source, analytics, experiments, personalization, records FROM consent_tallies
			WHERE game_id = $1 ORDER BY policy_version, source, analytics, experiments, personalization`,
			[gameId],
		);
		const players = await this.#pool.query<{ policy_version: string; players: number }>(
			`SELECT policy_version, count(DISTINCT user_id)::bigint AS players FROM consent_records WHERE game_id = $1
			GROUP BY policy_version ORDER BY policy_version`,
			[gameId],
		);
		return {
			tallies: tallies.rows.map(toConsentTally),
			players: players.rows.map((row) => ({ policyVersion: row.policy_version, players: row.players })),
		};
	}

	/**
	 * Inserts the records whose (game, event id) is new and counts exactly those in their tallies, in one statement
	 * per 1,000 records (its own transaction: records and tallies commit together; no BEGIN and COMMIT round trips).
	 * Why a record is counted once even when two instances append it at the same moment: the INSERT's `ON CONFLICT DO
	 * NOTHING … RETURNING` returns only the rows this statement inserted; a concurrent insert of the same key waits
	 * for the first statement to end and then inserts (and returns) nothing. The tally increments are computed from
	 * what was returned, in the same statement. A record given twice in one call is inserted once and counted once,
	 * with the first one's tally (the insert takes the rows in input order). Records and tallies are written in key
	 * order, so two appenders of overlapping sets lock rows in the same order and do not deadlock (a deadlock would
	 * still be retried).
	 */
	async appendRecords(records: readonly ConsentRecordInsert[]): Promise<number> {
		if (records.length === 0) return 0;
		for (const record of records) {
			if (!Number.isSafeInteger(record.userId) || record.userId <= 0) {
				throw new RangeError(`A consent record needs a player's pseudonym (> 0), not ${record.userId}.`);
			}
		}
		const sorted = [...records].sort((a, b) => compare(a.gameId, b.gameId) || compare(a.eventId, b.eventId));
		let added = 0;
		for (let start = 0; start < sorted.length; start += APPEND_CHUNK) {
			const chunk = sorted.slice(start, start + APPEND_CHUNK);
			const { rows } = await statement<{ added: number }>(
				this.#pool,
				`WITH input AS (
					SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[],
						$7::bytea[], $8::text[], $9::boolean[], $10::boolean[], $11::boolean[]) WITH ORDINALITY
					AS i (game_id, event_id, user_id, time, received_at, policy_version, details, source, analytics,
						experiments, personalization, n)
				),
				inserted AS (
					INSERT INTO consent_records (${CONSENT_RECORD_COLUMNS})
					SELECT game_id, event_id, user_id, time, received_at, policy_version, details FROM input ORDER BY n
					ON CONFLICT (game_id, event_id) DO NOTHING
					RETURNING game_id, event_id
				),
				counted AS (
					SELECT i.game_id, i.policy_version, i.source, i.analytics, i.experiments, i.personalization,
						count(*) AS records
					FROM inserted r
					JOIN (SELECT DISTINCT ON (game_id, event_id) * FROM input ORDER BY game_id, event_id, n) i
						ON i.game_id = r.game_id AND i.event_id = r.event_id
					GROUP BY 1, 2, 3, 4, 5, 6
				),
				tallied AS (
					INSERT INTO consent_tallies (game_id, policy_version, source, analytics, experiments, personalization,
						records)
					SELECT * FROM counted ORDER BY 1, 2, 3, 4, 5, 6
					ON CONFLICT (game_id, policy_version, source, analytics, experiments, personalization)
					DO UPDATE SET records = consent_tallies.records + excluded.records
				)
				SELECT coalesce(sum(records), 0)::int AS added FROM counted`,
				[
					chunk.map((r) => r.gameId),
					chunk.map((r) => r.eventId),
					chunk.map((r) => r.userId),
					chunk.map((r) => r.time),
					chunk.map((r) => r.receivedAt),
					chunk.map((r) => r.policyVersion),
					chunk.map((r) => Buffer.from(r.details.buffer, r.details.byteOffset, r.details.byteLength)),
					chunk.map((r) => r.tally.source),
					chunk.map((r) => r.tally.analytics),
					chunk.map((r) => r.tally.experiments),
					chunk.map((r) => r.tally.personalization),
				],
				"vantage_consent_append",
			);
			added += rows[0]?.added ?? 0;
		}
		return added;
	}
}

/** Byte order of UTF-16 code units, as the "C" collation orders ASCII ids (event ids are ASCII). */
function compare(a: string, b: string): number {
	return a < b ? -1 : a > b ? 1 : 0;
}
