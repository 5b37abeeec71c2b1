// The privacy module's tables on SQLite (version 8, privacy-migration.ts), and the one transaction that erases a
// player from a game with every aggregate kept exact. Runs on the store's own connection; writes take the same
// write lock as ingest so the warehouse worker never writes between an erasure's reads and its writes.
import type BetterSqlite3 from "better-sqlite3";
import type { PropValue } from "../../domain/ingest.js";
import type {
	AuditHead,
	AuditRow,
	ErasePlayerOutcome,
	PlayerData,
	PrivacyJobRecord,
	PrivacyStore,
} from "../../domain/privacy.js";
import { emptyFacts, foldEvents, type FoldEvent } from "../../warehouse/fold.js";
import { localDayFn } from "../../warehouse/time-zone.js";
import type { MainWriteLock } from "./write-lock.js";
import { type EventRow, toStoredEvent } from "./event-rows.js";
import type { ConsentSealer } from "../../domain/consent.js";
import { NoPlayerVaultError, type PlayerPseudonyms } from "../../domain/players.js";
import { playerIdTables, playerIdsConverted } from "./pseudonym-conversion.js";
import type { EraseEventsOutcome, EraseRecordsOutcome, PrivacyMetadataStore } from "../contracts.js";
import type { StoredEvent } from "../types.js";
import { fromJob, toAuditRow, toJob, type AuditDbRow, type JobRow } from "../rows.js";

/** Events read per page while looking for a player's events (about 10 ms of reading each). */
const SCAN_PAGE = 20_000;

const AUDIT_COLUMNS = "seq, at, actor, action, game_id, subject, details, prev_hash, hash";
const JOB_COLUMNS =
	"id, kind, source, status, game_ids, user_id, requested_by, created_at, started_at, finished_at, result, error";

/** A pseudonym no row holds: what a player unknown to the vault is looked up by (pseudonyms are > 0). */
const NOBODY = -1;

export class SqlitePrivacyStore implements PrivacyStore, PrivacyMetadataStore {
	readonly #db: BetterSqlite3.Database;
	readonly #lock: MainWriteLock | undefined;
	/** Player rows hold pseudonyms: this store is asked by UserId and answers with UserIds. */
	readonly #players: PlayerPseudonyms;

	/** Reads what a consent record counted for in the tallies (with the player's key), for erasures. */
	readonly #tallyOf: ConsentSealer["tallyOf"];

	constructor(
		db: BetterSqlite3.Database,
		players: PlayerPseudonyms,
		lock?: MainWriteLock,
		consentSealer?: ConsentSealer,
	) {
		this.#db = db;
		this.#players = players;
		this.#lock = lock;
		this.#tallyOf = consentSealer?.tallyOf;
	}

	/** Runs `work` as one IMMEDIATE transaction under the ingest/warehouse write lock. */
	async #write<T>(work: () => T): Promise<T> {
		const waiting = this.#lock?.acquire();
		if (waiting) await waiting;
		try {
			return this.#db.transaction(work).immediate();
		} finally {
			this.#lock?.release();
		}
	}

	async secret(name: string, create: () => string): Promise<string> {
		// With the vault, secrets live beside the pseudonyms in player-keys.db, out of every copy of vantage.db.
		if (this.#players.secret) return this.#players.secret(name, create);
		const select = this.#db.prepare<[string], { value: string }>("SELECT value FROM privacy_secrets WHERE name = ?");
		const existing = select.get(name);
		if (existing) return existing.value;
		// Converted to pseudonyms, the database's secrets are in the vault: one made here would differ from them.
		if (playerIdsConverted(this.#db)) {
			throw new NoPlayerVaultError(`The secret "${name}" is kept in the player vault (player-keys.db), not open here.`);
		}
		// Two processes may race to create it: the first insert wins and both read the winner back.
		return this.#write(() => {
			this.#db
				.prepare("INSERT INTO privacy_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING")
				.run(name, create(), Date.now());
			return select.get(name)!.value;
		});
	}

	async appendAudit(build: (head: AuditHead | null) => AuditRow): Promise<AuditRow> {
		return this.#write(() => {
			const head = this.#head();
			const row = build(head);
			if (row.seq !== (head?.seq ?? 0) + 1) throw new Error(`audit seq ${row.seq} does not follow ${head?.seq ?? 0}`);
			this.#db
				.prepare(
					`INSERT INTO audit_log (${AUDIT_COLUMNS}) VALUES (@seq, @at, @actor, @action, @game_id, @subject, @details,
						@prev_hash, @hash)`,
				)
				.run({
					seq: row.seq,
					at: row.at,
					actor: row.actor,
					action: row.action,
					game_id: row.gameId,
					subject: row.subject,
					details: row.details,
					prev_hash: row.prevHash,
					hash: row.hash,
				});
			this.#db
				.prepare(
					"INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
				)
				.run(row.seq, row.hash);
			return row;
		});
	}

	async listAudit(afterSeq: number, limit: number): Promise<AuditRow[]> {
		const rows = this.#db
			.prepare<[number, number], AuditDbRow>(
				`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?`,
			)
			.all(afterSeq, limit);
		return rows.map(toAuditRow);
	}

	async auditHead(): Promise<AuditHead | null> {
		return this.#head();
	}

	#head(): AuditHead | null {
		return this.#db.prepare<[], AuditHead>("SELECT seq, hash FROM audit_head WHERE id = 1").get() ?? null;
	}

	async addTombstone(gameId: string, subject: string, at: number): Promise<void> {
		await this.#write(() =>
			this.#db
				.prepare("INSERT INTO erasure_tombstones (game_id, subject, erased_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
				.run(gameId, subject, at),
		);
	}

	async tombstones(gameId: string): Promise<string[]> {
		return this.#db
			.prepare<[string], { subject: string }>("SELECT subject FROM erasure_tombstones WHERE game_id = ?")
			.all(gameId)
			.map((row) => row.subject);
	}

	async createJob(
		job: PrivacyJobRecord,
		userId: number,
		notificationId?: string,
	): Promise<{ job: PrivacyJobRecord; created: boolean }> {
		return this.#write(() => {
			if (notificationId !== undefined) {
				const seen = this.#db
					.prepare<[string], { job_id: string }>("SELECT job_id FROM roblox_notifications WHERE notification_id = ?")
					.get(notificationId);
				if (seen) return { job: this.#job(seen.job_id)!, created: false };
			}
			this.#db
				.prepare(
					`INSERT INTO privacy_jobs (${JOB_COLUMNS}) VALUES (@id, @kind, @source, @status, @game_ids, @user_id,
						@requested_by, @created_at, @started_at, @finished_at, @result, @error)`,
				)
				.run({ ...fromJob(job), user_id: userId });
			if (notificationId !== undefined) {
				this.#db
					.prepare("INSERT INTO roblox_notifications (notification_id, job_id, received_at) VALUES (?, ?, ?)")
					.run(notificationId, job.id, job.createdAt);
			}
			return { job, created: true };
		});
	}

	async getJob(id: string): Promise<PrivacyJobRecord | undefined> {
		return this.#job(id);
	}

	#job(id: string): PrivacyJobRecord | undefined {
		const row = this.#db.prepare<[string], JobRow>(`SELECT ${JOB_COLUMNS} FROM privacy_jobs WHERE id = ?`).get(id);
		return row && toJob(row);
	}

	async unfinishedJobs(): Promise<{ job: PrivacyJobRecord; userId: number }[]> {
		return this.#db
			.prepare<[], JobRow>(
				`SELECT ${JOB_COLUMNS} FROM privacy_jobs WHERE status IN ('pending', 'running', 'failed')
				ORDER BY created_at, id`,
			)
			.all()
			.filter((row) => row.user_id !== null)
			.map((row) => ({ job: toJob(row), userId: row.user_id! }));
	}

	async updateJob(
		id: string,
		changes: Pick<PrivacyJobRecord, "status"> &
			Partial<Pick<PrivacyJobRecord, "startedAt" | "finishedAt" | "result" | "error">>,
	): Promise<void> {
		await this.#write(() =>
			this.#db
				.prepare(
					`UPDATE privacy_jobs SET status = @status,
						started_at = coalesce(@started_at, started_at), finished_at = coalesce(@finished_at, finished_at),
						result = coalesce(@result, result), error = @error,
						user_id = CASE WHEN @status = 'completed' THEN NULL ELSE user_id END
					WHERE id = @id`,
				)
				.run({
					id,
					status: changes.status,
					started_at: changes.startedAt ?? null,
					finished_at: changes.finishedAt ?? null,
					result: changes.result === undefined || changes.result === null ? null : JSON.stringify(changes.result),
					error: changes.error ?? null,
				}),
		);
	}

	async playerData(gameId: string, userId: number): Promise<PlayerData> {
		// The rows hold the player's pseudonym; the export shows their UserId in its place.
		const pseudonym = this.#players.pseudonymOf(gameId, userId) ?? NOBODY;
		const read = this.#db.transaction((): PlayerData => {
			const events = this.#db
				.prepare<[string, number], EventRow>(
					`SELECT game_id, id, batch_id, user_id, session_id, type, name, time, received_at, props FROM events
					WHERE game_id = ? AND user_id = ? ORDER BY id`,
				)
				.all(gameId, pseudonym)
				.map((row) => toStoredEvent({ ...row, user_id: userId }));
			const records: Record<string, Record<string, unknown>[]> = {};
			for (const table of this.#playerTables()) {
				if (table === "events") continue;
				records[table] = this.#db
					.prepare<[string, number], Record<string, unknown>>(
						`SELECT * FROM "${table}" WHERE game_id = ? AND user_id = ?`,
					)
					.all(gameId, pseudonym)
					.map((row) => ({ ...row, user_id: userId }));
			}
			return { events, records, forcedVariations: this.#forcedVariations(gameId, userId) };
		});
		return read.deferred();
	}

	async erasePlayer(gameId: string, userId: number, at: number): Promise<ErasePlayerOutcome> {
		// Rows hold the pseudonym; a player the vault does not know has none (their forced variations still go).
		const pseudonym = this.#players.pseudonymOf(gameId, userId) ?? NOBODY;
		const { ids, scannedTo } = await this.#playerEventIds(gameId, pseudonym);
		// Freed pages are overwritten with zeros, so the player's rows do not linger in the file's free space.
		const secureDelete = this.#db.pragma("secure_delete", { simple: true }) as number;
		this.#db.pragma("secure_delete = ON");
		try {
			return await this.#write(() => this.#erase(gameId, { userId, pseudonym }, ids, scannedTo, at));
		} finally {
			this.#db.pragma(`secure_delete = ${secureDelete ? "ON" : "OFF"}`);
		}
	}

	/** The player's raw events in one game, with their UserId (the event half of {@link playerData}). */
	async playerEvents(gameId: string, userId: number): Promise<StoredEvent[]> {
		const pseudonym = this.#players.pseudonymOf(gameId, userId) ?? NOBODY;
		return this.#db
			.prepare<[string, number], EventRow>(
				`SELECT game_id, id, batch_id, user_id, session_id, type, name, time, received_at, props FROM events
				WHERE game_id = ? AND user_id = ? ORDER BY id`,
			)
			.all(gameId, pseudonym)
			.map((row) => toStoredEvent({ ...row, user_id: userId }));
	}

	/** The player's rows of the metadata half (consent records …) and forced variations, in one read transaction. */
	async playerRecords(gameId: string, userId: number): Promise<Omit<PlayerData, "events">> {
		const pseudonym = this.#players.pseudonymOf(gameId, userId) ?? NOBODY;
		const read = this.#db.transaction((): Omit<PlayerData, "events"> => {
			const records: Record<string, Record<string, unknown>[]> = {};
			for (const table of this.#playerTables("metadata")) {
				records[table] = this.#db
					.prepare<[string, number], Record<string, unknown>>(
						`SELECT * FROM "${table}" WHERE game_id = ? AND user_id = ?`,
					)
					.all(gameId, pseudonym)
					.map((row) => ({ ...row, user_id: userId }));
			}
			return { records, forcedVariations: this.#forcedVariations(gameId, userId) };
		});
		return read.deferred();
	}

	/** The event half of {@link erasePlayer}: raw events, their rollup contributions and per-player rollups. */
	async erasePlayerEvents(gameId: string, userId: number, _at: number): Promise<EraseEventsOutcome> {
		const pseudonym = this.#players.pseudonymOf(gameId, userId) ?? NOBODY;
		const { ids, scannedTo } = await this.#playerEventIds(gameId, pseudonym);
		return this.#secureDelete(() => this.#write(() => this.#eraseEvents(gameId, pseudonym, ids, scannedTo)));
	}

	/** The metadata half of {@link erasePlayer}: consent records (out of their tallies with `tallyOf`), forced variations. */
	async erasePlayerRecords(
		gameId: string,
		userId: number,
		at: number,
		tallyOf?: ConsentSealer["tallyOf"],
	): Promise<EraseRecordsOutcome> {
		const pseudonym = this.#players.pseudonymOf(gameId, userId) ?? NOBODY;
		return this.#secureDelete(() => this.#write(() => this.#eraseRecords(gameId, { userId, pseudonym }, at, tallyOf)));
	}

	/** Runs `work` with freed pages overwritten by zeros, so erased rows do not linger in the file's free space. */
	async #secureDelete<T>(work: () => Promise<T>): Promise<T> {
		const secureDelete = this.#db.pragma("secure_delete", { simple: true }) as number;
		this.#db.pragma("secure_delete = ON");
		try {
			return await work();
		} finally {
			this.#db.pragma(`secure_delete = ${secureDelete ? "ON" : "OFF"}`);
		}
	}

	/**
	 * 1. events of the game not folded yet, or a rebuild running → wait (the rollups must hold exactly what the raw
	 *    events hold before a contribution can be taken out);
	 * 2. player-keyed aggregates (days, cohorts) lose what the player's rollup rows say they gave: one active day per
	 *    user-day row, one install on the first day, the user-days' events, revenue and purchases;
	 * 3. event-keyed aggregates (event counts, economy, progression, products) lose the fold of the player's raw
	 *    events, folded in the rollups' time zone (raw events already purged by retention cannot be folded: their
	 *    counts carry no UserId and stay);
	 * 4. aggregate rows left at zero that this erasure touched are deleted, as a fresh fold would never write them;
	 * 5. every row keyed by (game_id, user_id), in any table, is deleted; forced variations naming the player go.
	 * Rows are found by the player's pseudonym; forced variations (experiment configuration) name the UserId.
	 */
	#erase(
		gameId: string,
		player: { userId: number; pseudonym: number },
		scanned: string[],
		scannedTo: string,
		at: number,
	): ErasePlayerOutcome {
		const events = this.#eraseEvents(gameId, player.pseudonym, scanned, scannedTo);
		if (!events.done) return events;
		const records = this.#eraseRecords(gameId, player, at, this.#tallyOf);
		return {
			done: true,
			deleted: { ...events.deleted, ...records.deleted },
			experimentsUpdated: records.experimentsUpdated,
		};
	}

	/** Steps 1–3 and 5 of {@link #erase} for the event half: raw events, rollup contributions, per-player rollups. */
	#eraseEvents(gameId: string, pseudonym: number, scanned: string[], scannedTo: string): EraseEventsOutcome {
		const db = this.#db;
		if (db.prepare("SELECT 1 FROM ingest_log WHERE game_id = ? LIMIT 1").get(gameId)) {
			return { done: false, reason: "unfolded_events" };
		}
		const state = db
			.prepare<[string], { time_zone: string; rebuild_cursor: string | null }>(
				"SELECT time_zone, rebuild_cursor FROM wh_state WHERE game_id = ?",
			)
			.get(gameId);
		if (state && state.rebuild_cursor !== null) return { done: false, reason: "rebuilding" };
		db.pragma("defer_foreign_keys = ON");

		// The ids found before the lock, and any stored after the scan's last id (none, as ingest drops the player's
		// events by now; read to be sure), each read by its key.
		const tail = db
			.prepare<[string, string, number], { id: string }>(
				"SELECT id FROM events WHERE game_id = ? AND id > ? AND user_id = ?",
			)
			.all(gameId, scannedTo, pseudonym)
			.map((row) => row.id);
		const byKey = db.prepare<[string, string], Omit<EventRow, "game_id" | "batch_id" | "received_at">>(
			"SELECT id, user_id, session_id, type, name, time, props FROM events WHERE game_id = ? AND id = ?",
		);
		const events: FoldEvent[] = [];
		for (const id of [...scanned, ...tail]) {
			const row = byKey.get(gameId, id);
			// Gone since the scan (a retention purge): its rollup contribution is kept, as for every purged event.
			if (!row || row.user_id !== pseudonym) continue;
			events.push({
				id: row.id,
				userId: row.user_id,
				sessionId: row.session_id,
				type: row.type,
				name: row.name,
				time: row.time,
				props: JSON.parse(row.props) as Record<string, PropValue>,
			});
		}

		if (state) this.#subtract(gameId, pseudonym, state.time_zone, events);

		const deleted: Record<string, number> = {};
		const deleteEvent = db.prepare<[string, string]>("DELETE FROM events WHERE game_id = ? AND id = ?");
		for (const event of events) deleted.events = (deleted.events ?? 0) + deleteEvent.run(gameId, event.id).changes;
		for (const table of this.#playerTables("events")) {
			// Deleted above by key; a delete by user_id would scan the game's events again, under the lock.
			if (table === "events") continue;
			const { changes } = db.prepare(`DELETE FROM "${table}" WHERE game_id = ? AND user_id = ?`).run(gameId, pseudonym);
			if (changes > 0) deleted[table] = changes;
		}
		return { done: true, deleted };
	}

	/** Step 5 of {@link #erase} for the metadata half: consent records (out of their tallies), forced variations. */
	#eraseRecords(
		gameId: string,
		player: { userId: number; pseudonym: number },
		at: number,
		tallyOf: ConsentSealer["tallyOf"],
	): EraseRecordsOutcome {
		this.#subtractConsentTallies(gameId, player, tallyOf);
		const deleted: Record<string, number> = {};
		for (const table of this.#playerTables("metadata")) {
			const { changes } = this.#db
				.prepare(`DELETE FROM "${table}" WHERE game_id = ? AND user_id = ?`)
				.run(gameId, player.pseudonym);
			if (changes > 0) deleted[table] = changes;
		}
		const experimentsUpdated = this.#dropForcedVariations(gameId, player.userId, at);
		return { deleted, experimentsUpdated };
	}

	/**
	 * The consent tallies (anonymous counts behind the consent summary) lose the player's records, read with their key
	 * before it is shredded; rows left at zero go, as a fresh count would never write them. A record whose key is
	 * already gone cannot say what it counted for and stays counted.
	 */
	#subtractConsentTallies(
		gameId: string,
		{ userId, pseudonym }: { userId: number; pseudonym: number },
		tallyOf: ConsentSealer["tallyOf"],
	): void {
		if (!tallyOf) return;
		const db = this.#db;
		const rows = db
			.prepare<[string, number], { event_id: string; policy_version: string; details: Uint8Array }>(
				"SELECT event_id, policy_version, details FROM consent_records WHERE game_id = ? AND user_id = ?",
			)
			.all(gameId, pseudonym);
		const decrement = db.prepare(
			`UPDATE consent_tallies SET records = records - 1 WHERE game_id = ? AND policy_version = ? AND source = ?
			AND analytics = ? AND experiments = ? AND personalization = ?`,
		);
		for (const row of rows) {
			const tally = tallyOf({ gameId, userId, eventId: row.event_id, details: row.details });
			if (!tally) continue;
			const bit = (b: boolean) => (b ? 1 : 0);
			decrement.run(
				gameId,
				row.policy_version,
				tally.source,
				bit(tally.analytics),
				bit(tally.experiments),
				bit(tally.personalization),
			);
		}
		if (rows.length > 0) db.prepare("DELETE FROM consent_tallies WHERE game_id = ? AND records <= 0").run(gameId);
	}

	/**
	 * The ids of the player's raw events, in pages by key with a pause between them: a large game's events are read
	 * without holding the write lock and without blocking the event loop for long. Ingest drops the player's events
	 * before this runs, so the set only shrinks (retention) until the erasing transaction.
	 */
	async #playerEventIds(gameId: string, pseudonym: number): Promise<{ ids: string[]; scannedTo: string }> {
		const page = this.#db.prepare<[string, string, number], { id: string; user_id: number }>(
			"SELECT id, user_id FROM events WHERE game_id = ? AND id > ? ORDER BY id LIMIT ?",
		);
		const ids: string[] = [];
		let after = "";
		for (;;) {
			const rows = page.all(gameId, after, SCAN_PAGE);
			for (const row of rows) if (row.user_id === pseudonym) ids.push(row.id);
			if (rows.length < SCAN_PAGE) return { ids, scannedTo: rows.at(-1)?.id ?? after };
			after = rows.at(-1)!.id;
			await new Promise((resolve) => setImmediate(resolve));
		}
	}

	/** `userId` is the player's id as the rows hold it (their pseudonym). */
	#subtract(gameId: string, userId: number, zone: string, events: FoldEvent[]): void {
		const db = this.#db;
		const player = db
			.prepare<[string, number], { first_day: number; last_day: number }>(
				"SELECT first_day, last_day FROM wh_players WHERE game_id = ? AND user_id = ?",
			)
			.get(gameId, userId);
		const userDays = db
			.prepare<[string, number], { day: number; events: number; revenue: number; purchases: number }>(
				"SELECT day, events, revenue, purchases FROM wh_user_days WHERE game_id = ? AND user_id = ?",
			)
			.all(gameId, userId);

		const touched = { days: new Set<number>(), cohorts: new Set<string>(), lasts: new Set<string>() };
		const day = db.prepare(
			`UPDATE wh_days SET dau = dau - ?, new_users = new_users - ?, payers = payers - ?, revenue = revenue - ?,
				purchases = purchases - ?, events = events - ? WHERE game_id = ? AND day = ?`,
		);
		const cohort = db.prepare(
			`UPDATE wh_cohorts SET users = users - ?, revenue = revenue - ?
			WHERE game_id = ? AND cohort_day = ? AND day_offset = ?`,
		);
		for (const ud of userDays) {
			day.run(1, 0, ud.purchases > 0 ? 1 : 0, ud.revenue, ud.purchases, ud.events, gameId, ud.day);
			touched.days.add(ud.day);
			if (player) {
				cohort.run(1, ud.revenue, gameId, player.first_day, ud.day - player.first_day);
				touched.cohorts.add(`${player.first_day}:${ud.day - player.first_day}`);
			}
		}
		if (player) {
			day.run(0, 1, 0, 0, 0, 0, gameId, player.first_day);
			touched.days.add(player.first_day);
			const offset = player.last_day - player.first_day;
			db.prepare(
				"UPDATE wh_cohort_last SET users = users - 1 WHERE game_id = ? AND cohort_day = ? AND max_offset = ?",
			).run(gameId, player.first_day, offset);
			touched.lasts.add(`${player.first_day}:${offset}`);
		}

		const facts = emptyFacts();
		foldEvents(facts, events, localDayFn(zone));
		const run = (sql: string, ...params: unknown[]) => db.prepare(sql).run(...params);
		for (const v of facts.eventDays.values()) {
			run(
				"UPDATE wh_event_days SET events = events - ? WHERE game_id = ? AND type = ? AND name = ? AND day = ?",
				v.events,
				gameId,
				v.type,
				v.name,
				v.day,
			);
			run(
				"DELETE FROM wh_event_days WHERE game_id = ? AND type = ? AND name = ? AND day = ? AND events = 0",
				gameId,
				v.type,
				v.name,
				v.day,
			);
		}
		for (const v of facts.eventHours.values()) {
			run(
				"UPDATE wh_event_hours SET events = events - ? WHERE game_id = ? AND type = ? AND name = ? AND hour = ?",
				v.events,
				gameId,
				v.type,
				v.name,
				v.hour,
			);
			run(
				"DELETE FROM wh_event_hours WHERE game_id = ? AND type = ? AND name = ? AND hour = ? AND events = 0",
				gameId,
				v.type,
				v.name,
				v.hour,
			);
		}
		for (const v of facts.economy.values()) {
			const key = [gameId, v.day, v.currency, v.flow, v.itemType, v.itemId];
			const where = "game_id = ? AND day = ? AND currency = ? AND flow = ? AND item_type = ? AND item_id = ?";
			run(`UPDATE wh_economy SET amount = amount - ?, events = events - ? WHERE ${where}`, v.amount, v.events, ...key);
			run(`DELETE FROM wh_economy WHERE ${where} AND events = 0`, ...key);
		}
		for (const v of facts.progression.values()) {
			const key = [gameId, v.day, v.path, v.status];
			const where = "game_id = ? AND day = ? AND path = ? AND status = ?";
			run(
				`UPDATE wh_progression SET events = events - ?, attempts = attempts - ?, attempts_n = attempts_n - ?,
					seconds = seconds - ?, seconds_n = seconds_n - ? WHERE ${where}`,
				v.events,
				v.attempts,
				v.attemptsN,
				v.seconds,
				v.secondsN,
				...key,
			);
			run(`DELETE FROM wh_progression WHERE ${where} AND events = 0`, ...key);
		}
		for (const v of facts.products.values()) {
			const key = [gameId, v.day, v.product];
			const where = "game_id = ? AND day = ? AND product = ?";
			run(
				`UPDATE wh_products SET revenue = revenue - ?, purchases = purchases - ? WHERE ${where}`,
				v.revenue,
				v.purchases,
				...key,
			);
			run(`DELETE FROM wh_products WHERE ${where} AND purchases = 0`, ...key);
		}

		for (const d of touched.days) {
			run(
				`DELETE FROM wh_days WHERE game_id = ? AND day = ? AND dau = 0 AND new_users = 0 AND payers = 0
					AND purchases = 0 AND events = 0 AND revenue = 0`,
				gameId,
				d,
			);
		}
		for (const key of touched.cohorts) {
			const [cohortDay, offset] = key.split(":").map(Number);
			run(
				"DELETE FROM wh_cohorts WHERE game_id = ? AND cohort_day = ? AND day_offset = ? AND users = 0 AND revenue = 0",
				gameId,
				cohortDay,
				offset,
			);
		}
		for (const key of touched.lasts) {
			const [cohortDay, offset] = key.split(":").map(Number);
			run(
				"DELETE FROM wh_cohort_last WHERE game_id = ? AND cohort_day = ? AND max_offset = ? AND users = 0",
				gameId,
				cohortDay,
				offset,
			);
		}
	}

	/**
	 * Every table with a game_id and an INTEGER user_id column: the tables holding per-player rows, whoever added them
	 * (the erasure job's own row aside). With a half: the event half's (raw events and the warehouse's `wh_` rollups)
	 * or the metadata half's (every other: consent records …), as the split stores hold them (store/contracts.ts).
	 */
	#playerTables(half?: "events" | "metadata"): string[] {
		const tables = playerIdTables(this.#db);
		if (half === undefined) return tables;
		const isEventTable = (table: string) => table === "events" || table.startsWith("wh_");
		return tables.filter((table) => isEventTable(table) === (half === "events"));
	}

	#forcedVariations(gameId: string, userId: number): Record<string, string> {
		const out: Record<string, string> = {};
		for (const row of this.#experimentDefinitions(gameId)) {
			const variation = row.forced[String(userId)];
			if (variation !== undefined) out[row.key] = variation;
		}
		return out;
	}

	#dropForcedVariations(gameId: string, userId: number, at: number): string[] {
		const updated: string[] = [];
		const update = this.#db.prepare(
			"UPDATE experiments SET definition = ?, revision = revision + 1, updated_at = ? WHERE game_id = ? AND key = ?",
		);
		for (const row of this.#experimentDefinitions(gameId)) {
			if (!(String(userId) in row.forced)) continue;
			delete row.forced[String(userId)];
			update.run(JSON.stringify(row.definition), at, gameId, row.key);
			updated.push(row.key);
		}
		return updated;
	}

	#experimentDefinitions(
		gameId: string,
	): { key: string; definition: Record<string, unknown>; forced: Record<string, string> }[] {
		return this.#db
			.prepare<[string], { key: string; definition: string }>(
				"SELECT key, definition FROM experiments WHERE game_id = ?",
			)
			.all(gameId)
			.map((row) => {
				const definition = JSON.parse(row.definition) as Record<string, unknown>;
				const forced = (definition.forcedVariations ?? {}) as Record<string, string>;
				definition.forcedVariations = forced;
				return { key: row.key, definition, forced };
			});
	}
}
