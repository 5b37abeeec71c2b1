import BetterSqlite3 from "better-sqlite3";
import type { EventType, IngestResult, ValidatedBatch } from "../../ingest/schema.js";
import type { ListEventsQuery, Store, StoredEvent } from "../types.js";
import { migrate } from "./migrate.js";
import { MIGRATIONS, type Migration } from "./migrations.js";

export interface SqliteStoreOptions {
	/** Database file path, or ":memory:" for tests. */
	path: string;
	/** @default MIGRATIONS (tests pass other lists to exercise upgrades) */
	migrations?: readonly Migration[];
	/** How long a writer waits for another process's lock before failing. @default 5000 */
	busyTimeoutMs?: number;
}

interface EventRow {
	game_id: string;
	id: string;
	batch_id: string;
	user_id: number;
	session_id: string;
	type: string;
	name: string;
	time: number;
	received_at: number;
	props: string;
}

/**
 * Opens (creating if needed) and migrates a SQLite database.
 *
 * @example
 * const store = openSqliteStore({ path: join(config.dataDir, "vantage.db") });
 */
export function openSqliteStore(options: SqliteStoreOptions): Store {
	const db = new BetterSqlite3(options.path);
	try {
		configureConnection(db, options.busyTimeoutMs ?? 5000);
		migrate(db, options.migrations ?? MIGRATIONS);
		return new SqliteStore(db);
	} catch (error) {
		db.close();
		throw error;
	}
}

/** Per-connection settings every connection to a Vantage database needs. */
export function configureConnection(db: BetterSqlite3.Database, busyTimeoutMs: number): void {
	// WAL lets readers (dashboard) run during ingest writes; NORMAL is durable across application crashes
	// in WAL mode and only risks the last transactions on power loss, which batch retries cover.
	db.pragma("journal_mode = WAL");
	db.pragma("synchronous = NORMAL");
	db.pragma("foreign_keys = ON");
	db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
}

class SqliteStore implements Store {
	readonly #db: BetterSqlite3.Database;
	readonly #ping;
	readonly #selectBatch;
	readonly #insertGame;
	readonly #insertEvent;
	readonly #insertBatch;
	readonly #listEvents;
	readonly #ingest;

	constructor(db: BetterSqlite3.Database) {
		this.#db = db;
		this.#ping = db.prepare<[], { ok: number }>("SELECT 1 AS ok");
		this.#selectBatch = db.prepare<[string, string], { response: string }>(
			"SELECT response FROM batches WHERE game_id = ? AND batch_id = ?",
		);
		this.#insertGame = db.prepare<[string, string, number]>(
			"INSERT INTO games (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
		);
		// ON CONFLICT on the key, not INSERT OR IGNORE: OR IGNORE would also swallow NOT NULL and type errors
		// and count them as duplicates.
		this.#insertEvent = db.prepare<[EventRow]>(
			`INSERT INTO events (game_id, id, batch_id, user_id, session_id, type, name, time, received_at, props)
			VALUES (@game_id, @id, @batch_id, @user_id, @session_id, @type, @name, @time, @received_at, @props)
			ON CONFLICT (game_id, id) DO NOTHING`,
		);
		this.#insertBatch = db.prepare<[string, string, number, string]>(
			"INSERT INTO batches (game_id, batch_id, received_at, response) VALUES (?, ?, ?, ?)",
		);
		// One statement for every filter combination: a NULL parameter disables its filter. The (game_id, id)
		// key still drives the scan.
		this.#listEvents = db.prepare<
			[
				{
					gameId: string;
					after: string;
					batchId: string | null;
					userId: number | null;
					type: string | null;
					limit: number;
				},
			],
			EventRow
		>(
			`SELECT game_id, id, batch_id, user_id, session_id, type, name, time, received_at, props
			FROM events
			WHERE game_id = @gameId AND id > @after
				AND (@batchId IS NULL OR batch_id = @batchId)
				AND (@userId IS NULL OR user_id = @userId)
				AND (@type IS NULL OR type = @type)
			ORDER BY id
			LIMIT @limit`,
		);
		this.#ingest = db.transaction((gameId: string, batch: ValidatedBatch, receivedAt: number): IngestResult => {
			const seen = this.#selectBatch.get(gameId, batch.batchId);
			if (seen) return JSON.parse(seen.response) as IngestResult;

			// Until auth exists nothing else registers games; auth will make an unknown game a 401 before this point.
			this.#insertGame.run(gameId, gameId, receivedAt);
			let accepted = 0;
			let duplicates = 0;
			for (const event of batch.events) {
				const { changes } = this.#insertEvent.run({
					game_id: gameId,
					id: event.id,
					batch_id: batch.batchId,
					user_id: event.userId,
					session_id: event.sessionId,
					type: event.type,
					name: event.name,
					time: event.time,
					received_at: receivedAt,
					props: JSON.stringify(event.props),
				});
				if (changes === 1) accepted++;
				else duplicates++;
			}
			const response: IngestResult = { accepted, duplicates, rejected: batch.rejected };
			this.#insertBatch.run(gameId, batch.batchId, receivedAt, JSON.stringify(response));
			return response;
		});
	}

	async ping(): Promise<void> {
		this.#ping.get();
	}

	async ingestBatch(gameId: string, batch: ValidatedBatch, receivedAt: number): Promise<IngestResult> {
		// IMMEDIATE takes the write lock up front, so a concurrent writer in another process waits (busy_timeout)
		// instead of failing when this read-then-write transaction upgrades its lock.
		return this.#ingest.immediate(gameId, batch, receivedAt);
	}

	async listEvents(query: ListEventsQuery): Promise<StoredEvent[]> {
		const rows = this.#listEvents.all({
			gameId: query.gameId,
			after: query.after ?? "",
			batchId: query.batchId ?? null,
			userId: query.userId ?? null,
			type: query.type ?? null,
			limit: query.limit,
		});
		return rows.map(toStoredEvent);
	}

	async close(): Promise<void> {
		if (this.#db.open) this.#db.close();
	}
}

function toStoredEvent(row: EventRow): StoredEvent {
	return {
		gameId: row.game_id,
		id: row.id,
		batchId: row.batch_id,
		userId: row.user_id,
		sessionId: row.session_id,
		// Only ever written from a validated event.
		type: row.type as EventType,
		name: row.name,
		time: row.time,
		receivedAt: row.received_at,
		props: JSON.parse(row.props) as StoredEvent["props"],
	};
}
