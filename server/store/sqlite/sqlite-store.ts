import BetterSqlite3 from "better-sqlite3";
import type { AdminRole, GameScope } from "../../auth/roles.js";
import type { EventType, IngestResult, ValidatedBatch } from "../../ingest/schema.js";
import type {
	AdminUser,
	ApiKeyRecord,
	Game,
	IngestOutcome,
	ListEventsQuery,
	SigningKeyRecord,
	Store,
	StoredEvent,
} from "../types.js";
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

interface GameRow {
	id: string;
	name: string;
	created_at: number;
}

interface ApiKeyRow {
	id: string;
	game_id: string;
	name: string;
	secret_hash: string;
	scopes: string;
	created_at: number;
	revoked_at: number | null;
}

interface AdminUserRow {
	id: string;
	email: string;
	password_hash: string;
	role: string;
	created_at: number;
	disabled_at: number | null;
}

interface SigningKeyRow {
	kid: string;
	alg: string;
	private_jwk: string;
	public_jwk: string;
	created_at: number;
	retired_at: number | null;
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
	readonly #selectGame;
	readonly #listGames;
	readonly #insertApiKey;
	readonly #selectApiKey;
	readonly #listApiKeys;
	readonly #listAllApiKeys;
	readonly #revokeApiKey;
	readonly #insertAdminUser;
	readonly #selectAdminUser;
	readonly #selectAdminUserByEmail;
	readonly #listAdminUsers;
	readonly #updateAdminUser;
	readonly #listSigningKeys;
	readonly #addSigningKey;
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
		this.#selectGame = db.prepare<[string], GameRow>("SELECT id, name, created_at FROM games WHERE id = ?");
		this.#listGames = db.prepare<[], GameRow>("SELECT id, name, created_at FROM games ORDER BY id");
		this.#insertApiKey = db.prepare<[ApiKeyRow]>(
			`INSERT INTO api_keys (id, game_id, name, secret_hash, scopes, created_at, revoked_at)
			VALUES (@id, @game_id, @name, @secret_hash, @scopes, @created_at, @revoked_at)`,
		);
		const keyColumns = "id, game_id, name, secret_hash, scopes, created_at, revoked_at";
		this.#selectApiKey = db.prepare<[string], ApiKeyRow>(`SELECT ${keyColumns} FROM api_keys WHERE id = ?`);
		this.#listApiKeys = db.prepare<[string], ApiKeyRow>(
			`SELECT ${keyColumns} FROM api_keys WHERE game_id = ? ORDER BY id`,
		);
		this.#listAllApiKeys = db.prepare<[], ApiKeyRow>(`SELECT ${keyColumns} FROM api_keys ORDER BY game_id, id`);
		this.#revokeApiKey = db.prepare<[number, string]>(
			"UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
		);
		const userColumns = "id, email, password_hash, role, created_at, disabled_at";
		this.#insertAdminUser = db.prepare<[AdminUserRow]>(
			`INSERT INTO admin_users (${userColumns})
			VALUES (@id, @email, @password_hash, @role, @created_at, @disabled_at)
			ON CONFLICT (email) DO NOTHING`,
		);
		this.#selectAdminUser = db.prepare<[string], AdminUserRow>(`SELECT ${userColumns} FROM admin_users WHERE id = ?`);
		this.#selectAdminUserByEmail = db.prepare<[string], AdminUserRow>(
			`SELECT ${userColumns} FROM admin_users WHERE email = ?`,
		);
		this.#listAdminUsers = db.prepare<[], AdminUserRow>(`SELECT ${userColumns} FROM admin_users ORDER BY email`);
		// A NULL role leaves it unchanged; @setDisabled tells "re-enable" (NULL) apart from "leave as is".
		this.#updateAdminUser = db.prepare<
			[{ id: string; role: string | null; disabledAt: number | null; setDisabled: number }]
		>(
			`UPDATE admin_users SET
				role = coalesce(@role, role),
				disabled_at = CASE WHEN @setDisabled = 1 THEN @disabledAt ELSE disabled_at END
			WHERE id = @id`,
		);
		this.#listSigningKeys = db.prepare<[], SigningKeyRow>(
			`SELECT kid, alg, private_jwk, public_jwk, created_at, retired_at FROM signing_keys
			ORDER BY retired_at IS NOT NULL, created_at DESC, kid DESC`,
		);
		const newestActive = db.prepare<[], { created_at: number }>(
			"SELECT max(created_at) AS created_at FROM signing_keys WHERE retired_at IS NULL",
		);
		const retireActive = db.prepare<[number]>("UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL");
		const insertSigningKey = db.prepare<[SigningKeyRow]>(
			`INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk, created_at, retired_at)
			VALUES (@kid, @alg, @private_jwk, @public_jwk, @created_at, @retired_at)`,
		);
		this.#addSigningKey = db.transaction(
			(key: SigningKeyRecord, unlessActiveNewerThan: number | undefined): boolean => {
				const newest = newestActive.get()?.created_at ?? null;
				if (unlessActiveNewerThan !== undefined && newest !== null && newest > unlessActiveNewerThan) return false;
				retireActive.run(key.createdAt);
				insertSigningKey.run({
					kid: key.kid,
					alg: key.alg,
					private_jwk: key.privateJwk,
					public_jwk: key.publicJwk,
					created_at: key.createdAt,
					retired_at: null,
				});
				return true;
			},
		);
		// ON CONFLICT on the key, not INSERT OR IGNORE: OR IGNORE would also swallow NOT NULL and type errors
		// and count them as duplicates. Positional parameters: this runs once per event, and binding by name costs
		// a property lookup per column.
		this.#insertEvent = db.prepare<[string, string, string, number, string, string, string, number, number, string]>(
			`INSERT INTO events (game_id, id, batch_id, user_id, session_id, type, name, time, received_at, props)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
		this.#ingest = db.transaction((gameId: string, batch: ValidatedBatch, receivedAt: number): IngestOutcome => {
			const seen = this.#selectBatch.get(gameId, batch.batchId);
			if (seen) return { result: JSON.parse(seen.response) as IngestResult, replayed: true };

			let accepted = 0;
			let duplicates = 0;
			for (const event of batch.events) {
				const { changes } = this.#insertEvent.run(
					gameId,
					event.id,
					batch.batchId,
					event.userId,
					event.sessionId,
					event.type,
					event.name,
					event.time,
					receivedAt,
					JSON.stringify(event.props),
				);
				if (changes === 1) accepted++;
				else duplicates++;
			}
			const response: IngestResult = { accepted, duplicates, rejected: batch.rejected };
			this.#insertBatch.run(gameId, batch.batchId, receivedAt, JSON.stringify(response));
			return { result: response, replayed: false };
		});
	}

	async ping(): Promise<void> {
		this.#ping.get();
	}

	async ingestBatch(gameId: string, batch: ValidatedBatch, receivedAt: number): Promise<IngestOutcome> {
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

	async createGame(game: Game): Promise<boolean> {
		return this.#insertGame.run(game.id, game.name, game.createdAt).changes === 1;
	}

	async getGame(id: string): Promise<Game | undefined> {
		const row = this.#selectGame.get(id);
		return row && toGame(row);
	}

	async listGames(): Promise<Game[]> {
		return this.#listGames.all().map(toGame);
	}

	async insertApiKey(key: ApiKeyRecord): Promise<void> {
		this.#insertApiKey.run({
			id: key.id,
			game_id: key.gameId,
			name: key.name,
			secret_hash: key.secretHash,
			scopes: key.scopes.join(" "),
			created_at: key.createdAt,
			revoked_at: key.revokedAt,
		});
	}

	async getApiKey(id: string): Promise<ApiKeyRecord | undefined> {
		const row = this.#selectApiKey.get(id);
		return row && toApiKey(row);
	}

	async listApiKeys(gameId?: string): Promise<ApiKeyRecord[]> {
		const rows = gameId === undefined ? this.#listAllApiKeys.all() : this.#listApiKeys.all(gameId);
		return rows.map(toApiKey);
	}

	async revokeApiKey(id: string, at: number): Promise<boolean> {
		return this.#revokeApiKey.run(at, id).changes === 1;
	}

	async insertAdminUser(user: AdminUser): Promise<boolean> {
		const { changes } = this.#insertAdminUser.run({
			id: user.id,
			email: user.email,
			password_hash: user.passwordHash,
			role: user.role,
			created_at: user.createdAt,
			disabled_at: user.disabledAt,
		});
		return changes === 1;
	}

	async getAdminUser(id: string): Promise<AdminUser | undefined> {
		const row = this.#selectAdminUser.get(id);
		return row && toAdminUser(row);
	}

	async getAdminUserByEmail(email: string): Promise<AdminUser | undefined> {
		const row = this.#selectAdminUserByEmail.get(email);
		return row && toAdminUser(row);
	}

	async listAdminUsers(): Promise<AdminUser[]> {
		return this.#listAdminUsers.all().map(toAdminUser);
	}

	async updateAdminUser(id: string, changes: { role?: AdminRole; disabledAt?: number | null }): Promise<boolean> {
		const { changes: count } = this.#updateAdminUser.run({
			id,
			role: changes.role ?? null,
			disabledAt: changes.disabledAt ?? null,
			setDisabled: changes.disabledAt === undefined ? 0 : 1,
		});
		return count === 1;
	}

	async listSigningKeys(): Promise<SigningKeyRecord[]> {
		return this.#listSigningKeys.all().map(toSigningKey);
	}

	async addSigningKey(key: SigningKeyRecord, options: { unlessActiveNewerThan?: number } = {}): Promise<boolean> {
		return this.#addSigningKey.immediate(key, options.unlessActiveNewerThan);
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

function toGame(row: GameRow): Game {
	return { id: row.id, name: row.name, createdAt: row.created_at };
}

function toApiKey(row: ApiKeyRow): ApiKeyRecord {
	return {
		id: row.id,
		gameId: row.game_id,
		name: row.name,
		secretHash: row.secret_hash,
		// Only ever written from validated scopes.
		scopes: row.scopes.split(" ").filter(Boolean) as GameScope[],
		createdAt: row.created_at,
		revokedAt: row.revoked_at,
	};
}

function toAdminUser(row: AdminUserRow): AdminUser {
	return {
		id: row.id,
		email: row.email,
		passwordHash: row.password_hash,
		// The column has a CHECK constraint on the role names.
		role: row.role as AdminRole,
		createdAt: row.created_at,
		disabledAt: row.disabled_at,
	};
}

function toSigningKey(row: SigningKeyRow): SigningKeyRecord {
	return {
		kid: row.kid,
		alg: row.alg,
		privateJwk: row.private_jwk,
		publicJwk: row.public_jwk,
		createdAt: row.created_at,
		retiredAt: row.retired_at,
	};
}
