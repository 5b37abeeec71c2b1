// The consent ledger on SQLite (version 9, consent-migration.ts): policy versions, consent records and their tallies.
// Records are appended by the ingest transaction (appendConsent below, called from sqlite-store.ts), so a consent
// event is stored with its record or not at all.
import type BetterSqlite3 from "better-sqlite3";
import type {
	ConsentPolicyRecord,
	ConsentRecordRow,
	ConsentSource,
	ConsentTallyRow,
	SealedConsent,
} from "../../domain/consent.js";
import type { MainWriteLock } from "./write-lock.js";
import type { ConsentRecordInsert, MetadataConsentStore } from "../contracts.js";
import type { PlayerPseudonyms } from "../../domain/players.js";

interface PolicyRow {
	game_id: string;
	version: string;
	summary: string | null;
	url: string | null;
	effective_at: number;
	created_at: number;
	created_by: string;
}

interface RecordRow {
	game_id: string;
	event_id: string;
	user_id: number;
	time: number;
	received_at: number;
	policy_version: string;
	details: Buffer;
}

interface TallyRow {
	policy_version: string;
	source: string;
	analytics: number;
	experiments: number;
	personalization: number;
	records: number;
}

const POLICY_COLUMNS = "game_id, version, summary, url, effective_at, created_at, created_by";
const RECORD_COLUMNS = "game_id, event_id, user_id, time, received_at, policy_version, details";

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
		`INSERT INTO consent_records (${RECORD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)
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
		this.#insertPolicy = db.prepare<[PolicyRow]>(
			`INSERT INTO consent_policies (${POLICY_COLUMNS})
			VALUES (@game_id, @version, @summary, @url, @effective_at, @created_at, @created_by)`,
		);
		this.#listPolicies = db.prepare<[string], PolicyRow>(
			`SELECT ${POLICY_COLUMNS} FROM consent_policies WHERE game_id = ? ORDER BY effective_at, created_at, version`,
		);
		this.#listRecords = db.prepare<[string, number], RecordRow>(
			`SELECT ${RECORD_COLUMNS} FROM consent_records WHERE game_id = ? AND user_id = ? ORDER BY time, event_id`,
		);
		this.#tallies = db.prepare<[string], TallyRow>(
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
		return this.#listPolicies.all(gameId).map((row) => ({
			gameId: row.game_id,
			version: row.version,
			summary: row.summary,
			url: row.url,
			effectiveAt: row.effective_at,
			createdAt: row.created_at,
			createdBy: row.created_by,
		}));
	}

	async listRecords(gameId: string, userId: number): Promise<ConsentRecordRow[]> {
		// The rows hold the player's pseudonym; a player the vault does not know (or no longer knows) has none.
		const pseudonym = this.#pseudonyms.pseudonymOf(gameId, userId);
		if (pseudonym === undefined) return [];
		return this.#listRecords.all(gameId, pseudonym).map((row) => ({
			gameId: row.game_id,
			eventId: row.event_id,
			userId,
			time: row.time,
			receivedAt: row.received_at,
			policyVersion: row.policy_version,
			details: row.details,
		}));
	}

	async summary(
		gameId: string,
	): Promise<{ tallies: ConsentTallyRow[]; players: { policyVersion: string; players: number }[] }> {
		const tallies = this.#tallies.all(gameId).map((row) => ({
			policyVersion: row.policy_version,
			// The column has a CHECK constraint on the sources.
			source: row.source as ConsentSource,
			analytics: row.analytics === 1,
			experiments: row.experiments === 1,
			personalization: row.personalization === 1,
			records: row.records,
		}));
		const players = this.#players
			.all(gameId)
			.map((row) => ({ policyVersion: row.policy_version, players: row.players }));
		return { tallies, players };
	}
}
