// The consent ledger on SQLite (version 9, consent-migration.ts): policy versions, consent records and their tallies.
// Records are appended by the ingest transaction (appendConsent below, called from sqlite-store.ts), so a consent
// event is stored with its record or not at all.
import type BetterSqlite3 from "better-sqlite3";
import type { ConsentPolicyRecord, ConsentRecordRow, ConsentTallyRow, SealedConsent } from "../../domain/consent.js";
import type { MainWriteLock } from "./write-lock.js";
import type { ConsentRecordInsert, MetadataConsentStore } from "../contracts.js";
import type { PlayerPseudonyms } from "../../domain/players.js";
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

/**
 * The statements the ingest transaction needs to record consent events. Prepared once per connection.
 *
 * @example
 * const append = consentAppender(db);
 * append("g1", event.id, pseudonym, event.time, receivedAt, sealed); // inside the ingest transaction
 *
 * `userId` is the player's pseudonym (server/privacy/pseudonyms.ts), as in every player row of vantage.db.
 */
export function consentAppender(
	db: BetterSqlite3.Database,
): (
	gameId: string,
	eventId: string,
	userId: number,
	time: number,
	receivedAt: number,
	sealed: Pick<SealedConsent, "details" | "policyVersion" | "tally">,
) => boolean {
	// ON CONFLICT DO NOTHING: the caller appends only after storing the event itself, so the record is new unless a
	// record of that id exists without its event (an event row purged by retention): then the first record stands.
	const insertRecord = db.prepare<[string, string, number, number, number, string, Uint8Array]>(
		`INSERT INTO consent_records (${CONSENT_RECORD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (game_id, event_id) DO NOTHING`,
	);
	const countTally = db.prepare<[string, string, string, number, number, number]>(
		`INSERT INTO consent_tallies (game_id, policy_version, source, analytics, experiments, personalization, records)
		VALUES (?, ?, ?, ?, ?, ?, 1)
		ON CONFLICT (game_id, policy_version, source, analytics, experiments, personalization)
		DO UPDATE SET records = records + 1`,
	);
	return (gameId, eventId, userId, time, receivedAt, sealed) => {
		const { changes } = insertRecord.run(
			gameId,
			eventId,
			userId,
			time,
			receivedAt,
			sealed.policyVersion,
			sealed.details,
		);
		if (changes !== 1) return false;
		const { tally } = sealed;
		countTally.run(
			gameId,
			sealed.policyVersion,
			tally.source,
			tally.analytics ? 1 : 0,
			tally.experiments ? 1 : 0,
			tally.personalization ? 1 : 0,
		);
		return true;
	};
}

export class SqliteConsentStore implements MetadataConsentStore {
	readonly #db: BetterSqlite3.Database;
	readonly #lock: MainWriteLock | undefined;
	readonly #selectPolicy;
	readonly #latestPolicy;
	readonly #insertPolicy;
	readonly #listPolicies;
	readonly #listRecords;
	readonly #latestRecords;
	readonly #tallies;
	readonly #players;
	readonly #pseudonyms: PlayerPseudonyms;
	readonly #append;

	constructor(db: BetterSqlite3.Database, pseudonyms: PlayerPseudonyms, lock?: MainWriteLock) {
		this.#db = db;
		this.#pseudonyms = pseudonyms;
		this.#lock = lock;
		this.#append = consentAppender(db);
		this.#selectPolicy = db.prepare<[string, string], { version: string }>(
			"SELECT version FROM consent_policies WHERE game_id = ? AND version = ?",
		);
		this.#latestPolicy = db.prepare<[string], { effective_at: number }>(
			"SELECT max(effective_at) AS effective_at FROM consent_policies WHERE game_id = ?",
		);
		this.#insertPolicy = db.prepare<[ConsentPolicyDbRow]>(
			`INSERT INTO consent_policies (${CONSENT_POLICY_COLUMNS})
			VALUES (@game_id, @version, @summary, @url, @effective_at, @created_at, @created_by)`,
		);
		this.#listPolicies = db.prepare<[string], ConsentPolicyDbRow>(
			`SELECT ${CONSENT_POLICY_COLUMNS} FROM consent_policies WHERE game_id = ? ORDER BY effective_at, created_at, version`,
		);
		this.#listRecords = db.prepare<[string, number], ConsentRecordDbRow>(
			`SELECT ${CONSENT_RECORD_COLUMNS} FROM consent_records WHERE game_id = ? AND user_id = ? ORDER BY time, event_id`,
		);
		// Each listed pseudonym's last record in listRecords' order; the list is a JSON array (one statement for any
		// number of players), read through the (game_id, user_id, time) index.
		this.#latestRecords = db.prepare<[string, string], ConsentRecordDbRow>(
			`SELECT ${CONSENT_RECORD_COLUMNS} FROM (
				SELECT ${CONSENT_RECORD_COLUMNS},
					row_number() OVER (PARTITION BY user_id ORDER BY time DESC, event_id DESC) AS latest
				FROM consent_records
				WHERE game_id = ? AND user_id IN (SELECT value FROM json_each(?))
			) WHERE latest = 1`,
		);
		this.#tallies = db.prepare<[string], ConsentTallyDbRow>(
			`SELECT policy_version, source, analytics, experiments, personalization, records FROM consent_tallies
			WHERE game_id = ? ORDER BY policy_version, source, analytics, experiments, personalization`,
		);
		this.#players = db.prepare<[string], { policy_version: string; players: number }>(
			`SELECT policy_version, count(DISTINCT user_id) AS players FROM consent_records WHERE game_id = ?
			GROUP BY policy_version ORDER BY policy_version`,
		);
	}

	async insertPolicy(record: ConsentPolicyRecord): Promise<"created" | "version_taken" | "out_of_order"> {
		// Under the ingest/warehouse write lock, as every write on this connection.
		const waiting = this.#lock?.acquire();
		if (waiting) await waiting;
		try {
			return this.#db
				.transaction(() => {
					if (this.#selectPolicy.get(record.gameId, record.version)) return "version_taken" as const;
					const latest = this.#latestPolicy.get(record.gameId)?.effective_at ?? null;
					if (latest !== null && latest > record.effectiveAt) return "out_of_order" as const;
					this.#insertPolicy.run({
						game_id: record.gameId,
						version: record.version,
						summary: record.summary,
						url: record.url,
						effective_at: record.effectiveAt,
						created_at: record.createdAt,
						created_by: record.createdBy,
					});
					return "created" as const;
				})
				.immediate();
		} finally {
			this.#lock?.release();
		}
	}

	/**
	 * Appends records made elsewhere (an event engine's ingest, a migration), each counted once in its tally: a record
	 * whose (game, event id) is stored already is skipped. Their `userId` is the pseudonym, as the rows hold it.
	 */
	async appendRecords(records: readonly ConsentRecordInsert[]): Promise<number> {
		if (records.length === 0) return 0;
		const waiting = this.#lock?.acquire();
		if (waiting) await waiting;
		try {
			return this.#db
				.transaction(() => {
					let added = 0;
					for (const record of records) {
						const isNew = this.#append(
							record.gameId,
							record.eventId,
							record.userId,
							record.time,
							record.receivedAt,
							record,
						);
						if (isNew) added++;
					}
					return added;
				})
				.immediate();
		} finally {
			this.#lock?.release();
		}
	}

	async listPolicies(gameId: string): Promise<ConsentPolicyRecord[]> {
		return this.#listPolicies.all(gameId).map(toConsentPolicy);
	}

	async listRecords(gameId: string, userId: number): Promise<ConsentRecordRow[]> {
		// The rows hold the player's pseudonym; a player the vault does not know (or no longer knows) has none.
		const pseudonym = this.#pseudonyms.pseudonymOf(gameId, userId);
		if (pseudonym === undefined) return [];
		return this.#listRecords.all(gameId, pseudonym).map((row) => toConsentRecord(row, userId));
	}

	async latestRecords(gameId: string, userIds: readonly number[]): Promise<ConsentRecordRow[]> {
		// pseudonym → UserId of the players the vault knows; the others (never seen, erased) have no records to read.
		const players = new Map<number, number>();
		for (const userId of userIds) {
			const pseudonym = this.#pseudonyms.pseudonymOf(gameId, userId);
			if (pseudonym !== undefined && pseudonym !== 0) players.set(pseudonym, userId);
		}
		if (players.size === 0) return [];
		return this.#latestRecords
			.all(gameId, JSON.stringify([...players.keys()]))
			.map((row) => toConsentRecord(row, players.get(row.user_id)!));
	}

	async summary(
		gameId: string,
	): Promise<{ tallies: ConsentTallyRow[]; players: { policyVersion: string; players: number }[] }> {
		const tallies = this.#tallies.all(gameId).map(toConsentTally);
		const players = this.#players
			.all(gameId)
			.map((row) => ({ policyVersion: row.policy_version, players: row.players }));
		return { tallies, players };
	}
}
