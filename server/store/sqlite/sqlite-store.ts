import BetterSqlite3 from "better-sqlite3";
import type { AdminRole, GameScope } from "../../auth/roles.js";
import type { ExperimentDefinition, ExperimentStatus } from "../../experiments/experiment.js";
import type { FlagDefinition } from "../../experiments/flag.js";
import { DAY_MS, HOUR_MS, type MetricDefinition } from "../../experiments/metric.js";
import type { EventType, IngestResult, ValidatedBatch } from "../../ingest/schema.js";
import type {
	AdminUser,
	ApiKeyRecord,
	ExperimentMetricQuery,
	ExperimentMetricRow,
	ExperimentRecord,
	FlagRecord,
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

interface ExperimentRow {
	game_id: string;
	key: string;
	status: string;
	definition: string;
	revision: number;
	created_at: number;
	updated_at: number;
	adaptive_weights: string | null;
	adaptive_updated_at: number | null;
}

interface FlagRow {
	game_id: string;
	key: string;
	definition: string;
	revision: number;
	created_at: number;
	updated_at: number;
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
	readonly #insertExperiment;
	readonly #selectExperiment;
	readonly #listExperiments;
	readonly #updateExperiment;
	readonly #deleteExperiment;
	readonly #setAdaptiveWeights;
	readonly #insertFlag;
	readonly #selectFlag;
	readonly #listFlags;
	readonly #updateFlag;
	readonly #deleteFlag;
	/** The metric's candidate events, one statement per metric type, prepared on first use. */
	readonly #metricCandidates = new Map<
		MetricDefinition["type"],
		BetterSqlite3.Statement<[MetricSumsParams], unknown[]>
	>();
	#exposedUnits: BetterSqlite3.Statement<[MetricSumsParams], unknown[]> | undefined;

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

		const experimentColumns =
			"game_id, key, status, definition, revision, created_at, updated_at, adaptive_weights, adaptive_updated_at";
		this.#insertExperiment = db.prepare<[ExperimentRow]>(
			`INSERT INTO experiments (${experimentColumns})
			VALUES (@game_id, @key, @status, @definition, @revision, @created_at, @updated_at, @adaptive_weights,
				@adaptive_updated_at)
			ON CONFLICT (game_id, key) DO NOTHING`,
		);
		this.#selectExperiment = db.prepare<[string, string], ExperimentRow>(
			`SELECT ${experimentColumns} FROM experiments WHERE game_id = ? AND key = ?`,
		);
		this.#listExperiments = db.prepare<[{ gameId: string | null; status: string | null }], ExperimentRow>(
			`SELECT ${experimentColumns} FROM experiments
			WHERE (@gameId IS NULL OR game_id = @gameId) AND (@status IS NULL OR status = @status)
			ORDER BY game_id, key`,
		);
		this.#updateExperiment = db.prepare<[ExperimentRow]>(
			`UPDATE experiments SET status = @status, definition = @definition, revision = revision + 1,
				updated_at = @updated_at
			WHERE game_id = @game_id AND key = @key AND revision = @revision`,
		);
		this.#deleteExperiment = db.prepare<[string, string]>("DELETE FROM experiments WHERE game_id = ? AND key = ?");
		this.#setAdaptiveWeights = db.prepare<[string, number, string, string]>(
			"UPDATE experiments SET adaptive_weights = ?, adaptive_updated_at = ? WHERE game_id = ? AND key = ?",
		);
		const flagColumns = "game_id, key, definition, revision, created_at, updated_at";
		this.#insertFlag = db.prepare<[FlagRow]>(
			`INSERT INTO flags (${flagColumns})
			VALUES (@game_id, @key, @definition, @revision, @created_at, @updated_at)
			ON CONFLICT (game_id, key) DO NOTHING`,
		);
		this.#selectFlag = db.prepare<[string, string], FlagRow>(
			`SELECT ${flagColumns} FROM flags WHERE game_id = ? AND key = ?`,
		);
		this.#listFlags = db.prepare<[string], FlagRow>(`SELECT ${flagColumns} FROM flags WHERE game_id = ? ORDER BY key`);
		this.#updateFlag = db.prepare<[FlagRow]>(
			`UPDATE flags SET definition = @definition, revision = revision + 1, updated_at = @updated_at
			WHERE game_id = @game_id AND key = @key AND revision = @revision`,
		);
		this.#deleteFlag = db.prepare<[string, string]>("DELETE FROM flags WHERE game_id = ? AND key = ?");
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

	async insertExperiment(record: ExperimentRecord): Promise<boolean> {
		return this.#insertExperiment.run(fromExperiment(record)).changes === 1;
	}

	async getExperiment(gameId: string, key: string): Promise<ExperimentRecord | undefined> {
		const row = this.#selectExperiment.get(gameId, key);
		return row && toExperiment(row);
	}

	async listExperiments(query: { gameId?: string; status?: ExperimentStatus }): Promise<ExperimentRecord[]> {
		const rows = this.#listExperiments.all({ gameId: query.gameId ?? null, status: query.status ?? null });
		return rows.map(toExperiment);
	}

	async updateExperiment(record: ExperimentRecord): Promise<boolean> {
		return this.#updateExperiment.run(fromExperiment(record)).changes === 1;
	}

	async deleteExperiment(gameId: string, key: string): Promise<boolean> {
		return this.#deleteExperiment.run(gameId, key).changes === 1;
	}

	async setAdaptiveWeights(gameId: string, key: string, weights: readonly number[], at: number): Promise<boolean> {
		return this.#setAdaptiveWeights.run(JSON.stringify(weights), at, gameId, key).changes === 1;
	}

	async experimentMetricSums(query: ExperimentMetricQuery): Promise<ExperimentMetricRow[]> {
		const params = metricSumsParams(query);
		const type = query.metric.type;
		let candidates = this.#metricCandidates.get(type);
		if (!candidates) {
			candidates = this.#db.prepare<[MetricSumsParams], unknown[]>(metricCandidatesSql(type)).raw();
			this.#metricCandidates.set(type, candidates);
		}
		this.#exposedUnits ??= this.#db.prepare<[MetricSumsParams], unknown[]>(EXPOSED_UNITS_SQL).raw();
		const units = new Map<number, Unit>();
		for (const [userId, t, variation, lastVariation] of this.#exposedUnits.iterate(params)) {
			units.set(userId as number, {
				t: t as number,
				variation: variation as string | number | null,
				multiple: variation !== lastVariation,
				x: 0,
			});
		}
		for (const [userId, time, value] of candidates.iterate(params)) {
			const unit = units.get(userId as number);
			if (unit) addMetricEvent(type, params, unit, time as number, value);
		}
		return sumUnits(type, params, units);
	}

	async insertFlag(record: FlagRecord): Promise<boolean> {
		return this.#insertFlag.run(fromFlag(record)).changes === 1;
	}

	async getFlag(gameId: string, key: string): Promise<FlagRecord | undefined> {
		const row = this.#selectFlag.get(gameId, key);
		return row && toFlag(row);
	}

	async listFlags(gameId: string): Promise<FlagRecord[]> {
		return this.#listFlags.all(gameId).map(toFlag);
	}

	async updateFlag(record: FlagRecord): Promise<boolean> {
		return this.#updateFlag.run(fromFlag(record)).changes === 1;
	}

	async deleteFlag(gameId: string, key: string): Promise<boolean> {
		return this.#deleteFlag.run(gameId, key).changes === 1;
	}

	async close(): Promise<void> {
		if (this.#db.open) this.#db.close();
	}
}

interface MetricSumsParams {
	gameId: string;
	key: string;
	from: number;
	to: number;
	excluded: string;
	event: string | null;
	eventType: string | null;
	windowMs: number;
	valuePath: string;
	dayStart: number;
	dayEnd: number;
}

/** No metric window: events count until the end of the analysis window (this is past any unix-ms time). */
const NO_WINDOW_MS = 8.64e15;

function metricSumsParams(query: ExperimentMetricQuery): MetricSumsParams {
	const m = query.metric;
	const hours = m.type === "retention" ? undefined : m.windowHours;
	return {
		gameId: query.gameId,
		key: query.experimentKey,
		from: query.from,
		to: query.to,
		excluded: JSON.stringify(query.excludeUserIds),
		event: m.type === "retention" ? null : (m.event ?? null),
		eventType: m.type === "conversion" || m.type === "count" ? (m.eventType ?? null) : null,
		windowMs: hours === undefined ? NO_WINDOW_MS : Math.round(hours * HOUR_MS),
		// valueProp is validated as [A-Za-z0-9_]+, so it needs no quoting inside the JSON path.
		valuePath: m.type === "revenue" ? `$.${m.valueProp}` : "$",
		dayStart: m.type === "retention" ? m.day * DAY_MS : 0,
		dayEnd: m.type === "retention" ? (m.day + 1) * DAY_MS : 0,
	};
}

/**
 * Results of one metric are computed in two range reads and one pass in memory, so the cost grows with exposures
 * plus candidate events, never their product, and ingest keeps only append-friendly indexes:
 * 1. the units: a unit is a user whose first exposure to the experiment is in [from, to) (the partial exposure
 *    index); its variation is the one its exposures name — users whose exposures name different variations are
 *    kept apart (min ≠ max);
 * 2. the metric's candidate events in the window, by range: (game_id, name, time) for conversion and count, the
 *    purchases' partial index for revenue, (game_id, time) for retention;
 * 3. each candidate event counts for its user's unit if it falls in the unit's window; then sums per variation and
 *    UTC day of first exposure, so the daily series needs no second pass.
 */
const EXPOSED_UNITS_SQL = `
	SELECT user_id, min(time) AS t, min(json_extract(props, '$.variation')) AS variation,
		max(json_extract(props, '$.variation')) AS last_variation
	FROM events
	WHERE game_id = @gameId AND name = @key AND type = 'exposure' AND time >= @from AND time < @to
		AND user_id > 0 AND user_id NOT IN (SELECT value FROM json_each(@excluded))
	GROUP BY user_id`;

function metricCandidatesSql(type: MetricDefinition["type"]): string {
	const named = `SELECT user_id, time, NULL FROM events WHERE game_id = @gameId AND name = @event
		AND (@eventType IS NULL OR type = @eventType) AND time >= @from AND time < @to`;
	return {
		conversion: named,
		count: named,
		revenue: `SELECT user_id, time, json_extract(props, @valuePath) FROM events
			WHERE game_id = @gameId AND type = 'purchase' AND (@event IS NULL OR name = @event)
				AND time >= @from AND time < @to`,
		retention: `SELECT user_id, time, NULL FROM events WHERE game_id = @gameId
			AND time >= @from + @dayStart AND time < @to AND user_id > 0`,
	}[type];
}

interface Unit {
	t: number;
	variation: string | number | null;
	multiple: boolean;
	/** The unit's metric value: 0/1 for conversion and retention, a count, or a revenue sum. */
	x: number;
}

function addMetricEvent(
	type: MetricDefinition["type"],
	p: MetricSumsParams,
	unit: Unit,
	time: number,
	value: unknown,
): void {
	if (type === "retention") {
		if (time >= unit.t + p.dayStart && time < unit.t + p.dayEnd) unit.x = 1;
		return;
	}
	if (time < unit.t || time >= Math.min(p.to, unit.t + p.windowMs)) return;
	if (type === "conversion") unit.x = 1;
	else if (type === "count") unit.x += 1;
	else if (typeof value === "number" && Number.isFinite(value)) unit.x += value;
}

function sumUnits(
	type: MetricDefinition["type"],
	p: MetricSumsParams,
	units: Map<number, Unit>,
): ExperimentMetricRow[] {
	const groups = new Map<string, ExperimentMetricRow>();
	for (const unit of units.values()) {
		// Retention is only known once the unit's day N has passed inside the window.
		if (type === "retention" && unit.t + p.dayEnd > p.to) continue;
		const day = Math.floor(unit.t / DAY_MS);
		const variation = unit.multiple ? null : unit.variation;
		const key = JSON.stringify([variation, unit.multiple, day]);
		let row = groups.get(key);
		if (!row) {
			row = { variation, multipleVariations: unit.multiple, day, units: 0, sum: 0, sumSquares: 0 };
			groups.set(key, row);
		}
		row.units += 1;
		row.sum += unit.x;
		row.sumSquares += unit.x * unit.x;
	}
	return [...groups.values()].sort((a, b) => a.day - b.day);
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

function fromExperiment(record: ExperimentRecord): ExperimentRow {
	return {
		game_id: record.gameId,
		key: record.key,
		status: record.status,
		definition: JSON.stringify(record.definition),
		revision: record.revision,
		created_at: record.createdAt,
		updated_at: record.updatedAt,
		adaptive_weights: record.adaptiveWeights && JSON.stringify(record.adaptiveWeights),
		adaptive_updated_at: record.adaptiveUpdatedAt,
	};
}

function toExperiment(row: ExperimentRow): ExperimentRecord {
	return {
		gameId: row.game_id,
		key: row.key,
		// The column has a CHECK constraint on the statuses; the definition is only written validated.
		status: row.status as ExperimentStatus,
		definition: JSON.parse(row.definition) as ExperimentDefinition,
		revision: row.revision,
		createdAt: row.created_at,
		updatedAt: row.updated_at,
		adaptiveWeights: row.adaptive_weights === null ? null : (JSON.parse(row.adaptive_weights) as number[]),
		adaptiveUpdatedAt: row.adaptive_updated_at,
	};
}

function fromFlag(record: FlagRecord): FlagRow {
	return {
		game_id: record.gameId,
		key: record.key,
		definition: JSON.stringify(record.definition),
		revision: record.revision,
		created_at: record.createdAt,
		updated_at: record.updatedAt,
	};
}

function toFlag(row: FlagRow): FlagRecord {
	return {
		gameId: row.game_id,
		key: row.key,
		// Only ever written validated.
		definition: JSON.parse(row.definition) as FlagDefinition,
		revision: row.revision,
		createdAt: row.created_at,
		updatedAt: row.updated_at,
	};
}
