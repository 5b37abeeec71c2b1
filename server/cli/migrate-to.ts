// `npm run vantage -- migrate --to <postgres-url> <clickhouse-url>`: moves an embedded deployment (SQLite in
// VANTAGE_DATA_DIR: vantage.db, player-keys.db, the master key) to the scale path (PostgreSQL for metadata, ClickHouse
// for events) without loss, resumably, and proves it.
//
// - Metadata: every table of vantage.db that has a twin in PostgreSQL is copied row for row, values as stored (hashes,
//   sealed secrets, wrapped player keys, the audit log with its hash chain and head), so the same master key opens
//   what it opened before and `audit verify` finds the same head. The player vault (player-keys.db) goes into the
//   metadata database, as the scale path keeps it. A table of the source that has no place in the target stops the
//   migration (nothing is left behind silently); event-side and derived tables are handled below.
// - Events: every raw event with its batch id, received time and pseudonym goes into ClickHouse's events_local of the
//   shard the Distributed table's sharding key picks. Every stored batch answer goes into the metadata database's
//   batch ledger (`batches`, copied as a metadata table), so a batch the SDK retries after the move is still answered
//   from its first answer. The rollups are not copied: ClickHouse's
//   warehouse rebuilds them from the raw events, and the verification below shows they say the same.
// - Resumable: per table a checkpoint (the last copied key, in the source's key order) in `migration_progress` of the
//   target metadata database. A metadata chunk and its checkpoint commit in one transaction; an event chunk is
//   inserted first and checkpointed after, so a run killed in between sends the chunk again: the ids already in
//   ClickHouse are looked up and skipped, so nothing is stored twice.
// - Verified: per table the source and target row counts, then, for every game, metrics over its whole history (DAU,
//   sessions, retention, revenue, economy, progression, the overview, event counts) and every experiment's units
//   computed by the SQLite warehouse and by the ClickHouse warehouse; any difference is named and fails the command.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import type pg from "pg";
import { rewrapPlayerKeyVault } from "../auth/secrets-at-rest.js";
import type { MetricRequest } from "../metrics/engine.js";
import type { MasterKeys } from "../privacy/master-keys.js";
import { PLAYER_KEYS_FILE, PlayerKeyring } from "../privacy/player-keys.js";
import { verifyAuditChain } from "../privacy/audit.js";
import { MIGRATE_USAGE } from "./migrate-to-usage.js";
import {
	closeShards,
	insertRows,
	openShardClients,
	queryRows,
	sqlString,
	type ClickHouseShard,
} from "../store/clickhouse/client.js";
import { tableNames, type TableNames } from "../store/clickhouse/schema.js";
import { parseClickHouseUrl, type ClickHouseTarget } from "../store/clickhouse/url.js";
import { composeStore } from "../store/composed-store.js";
import { openClickHouseEvents } from "../store/clickhouse/index.js";
import { clickHouseWarehouse } from "../store/clickhouse/warehouse.js";
import { DATABASE_FILE } from "../store/open-stores.js";
import { openPostgresMetadata } from "../store/postgres/index.js";
import { openPool, transaction } from "../store/postgres/pool.js";
import { openPostgresPlayerVault } from "../store/postgres/player-vault.js";
import type { EventRow } from "../store/sqlite/event-rows.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/types.js";

const DAY = 86_400_000;

/**
 * Metadata tables in the order they are copied (a row's references are copied before it), each with the columns
 * that order its keyset pages (its primary key). `vault: true`: in player-keys.db.
 */
const METADATA_TABLES: readonly { table: string; key: readonly string[]; vault?: true; upsert?: true }[] = [
	{ table: "games", key: ["id"] },
	{ table: "admin_users", key: ["id"] },
	{ table: "api_keys", key: ["id"] },
	{ table: "admin_sessions", key: ["id"] },
	{ table: "signing_keys", key: ["kid"] },
	{ table: "experiments", key: ["game_id", "key"] },
	{ table: "flags", key: ["game_id", "key"] },
	{ table: "game_settings", key: ["game_id"] },
	{ table: "digest_state", key: ["game_id"] },
	{ table: "admin_login_throttle", key: ["account"] },
	{ table: "admin_totp", key: ["user_id"] },
	{ table: "game_grants", key: ["user_id", "game_id"] },
	{ table: "metric_definitions", key: ["game_id", "key", "version"] },
	{ table: "experiment_layers", key: ["game_id", "id"] },
	{ table: "game_holdouts", key: ["game_id"] },
	{ table: "adaptive_runs", key: ["game_id", "experiment_key"] },
	{ table: "consent_policies", key: ["game_id", "version"] },
	{ table: "consent_records", key: ["game_id", "event_id"] },
	{
		table: "consent_tallies",
		key: ["game_id", "policy_version", "source", "analytics", "experiments", "personalization"],
	},
	{ table: "audit_log", key: ["seq"] },
	// The target has its one head row from the start (seq 0: empty log): the source's replaces it.
	{ table: "audit_head", key: ["id"], upsert: true },
	{ table: "privacy_secrets", key: ["name"] },
	{ table: "erasure_tombstones", key: ["game_id", "subject"] },
	{ table: "privacy_jobs", key: ["id"] },
	{ table: "roblox_notifications", key: ["notification_id"] },
	// Stored batch answers: the scale path keeps them in the batch ledger, beside the claims.
	{ table: "batches", key: ["game_id", "batch_id"] },
	// The latest prediction run of each game and its ranked players (by pseudonym, as everywhere).
	{ table: "predictions", key: ["game_id"] },
	{ table: "prediction_players", key: ["game_id", "list", "rank"] },
	{ table: "player_keys", key: ["game_id", "user_id"], vault: true },
	{ table: "vault_secrets", key: ["name"], vault: true },
];

/**
 * Tables of vantage.db that are not copied as rows, and why: the raw events have their own copy below;
 * the rest is derived (the rollups and their inbox, rebuilt by ClickHouse's warehouse) or bookkeeping of this SQLite
 * file (its schema versions, the pseudonym conversion flag, its job leases, which expire anyway).
 */
const NOT_COPIED_AS_ROWS = new Set([
	"events",
	"ingest_log",
	"wh_state",
	"schema_migrations",
	"player_id_state",
	"leases",
]);
const isRollupTable = (table: string) => table.startsWith("wh_");

/** What a migration run is given. */
export interface MigrateToOptions {
	/** The SQLite deployment's VANTAGE_DATA_DIR. */
	dataDir: string;
	/** postgres:// URL of the target metadata database. */
	metadataUrl: string;
	/** clickhouse:// URL of the target event database (VANTAGE_EVENTS_URL's form). */
	eventsUrl: string;
	/** The deployment's master keys (the same key must then be every instance's VANTAGE_MASTER_KEY). */
	masterKeys: MasterKeys;
	/** Rows per chunk (and per checkpoint). @default 5000 */
	batchSize?: number;
	/**
	 * Test hook, what a kill looks like: after writing the chunk that brings this run's copied rows to at least this
	 * many, stop with {@link MigrationInterrupted} before that chunk's checkpoint is saved.
	 */
	interruptAfterRows?: number;
	/** Progress lines. @default none */
	log?: (line: string) => void;
	/** "now" of the metric comparison. @default Date.now */
	now?: () => number;
}

/** The migration was stopped by {@link MigrateToOptions.interruptAfterRows}; running it again continues. */
export class MigrationInterrupted extends Error {
	override readonly name = "MigrationInterrupted";
}

/** The migration cannot run as things are; the message says what to do. */
export class MigrationRefused extends Error {
	override readonly name = "MigrationRefused";
}

export interface TableCount {
	/** `metadata.<table>` or `events.<table>`. */
	table: string;
	source: number;
	target: number;
}

/** One value a metric has on one engine and not on the other. */
export interface MetricDifference {
	gameId: string;
	/** What was compared: `active-users`, `experimentUnits <key> <metric>`, `audit head` … */
	what: string;
	/** Where in the answer (`segments[0].days[3].dau`). */
	path: string;
	source: unknown;
	target: unknown;
}

export interface MigrationReport {
	/** True when this run continued an earlier one (checkpoints found). */
	resumed: boolean;
	/** Rows this run wrote, per table. */
	copied: Record<string, number>;
	counts: TableCount[];
	/** Answers compared (metrics, event counts, experiment units), over every game. */
	comparisons: number;
	differences: MetricDifference[];
	/** Counts equal and no difference. */
	ok: boolean;
}

interface Progress {
	lastKey: unknown[] | null;
	rows: number;
	finished: boolean;
}

/**
 * Copies the SQLite deployment in `dataDir` to PostgreSQL + ClickHouse, then verifies the copy (see the top of this
 * file). Rerunning after an interruption continues from the checkpoints; rerunning after success copies nothing and
 * verifies again.
 *
 * @example
 * const report = await migrateToScale({ dataDir: "./data", metadataUrl, eventsUrl, masterKeys });
 * if (!report.ok) process.exitCode = 1;
 */
export async function migrateToScale(options: MigrateToOptions): Promise<MigrationReport> {
	const log = options.log ?? (() => {});
	const batchSize = options.batchSize ?? 5000;
	if (!Number.isInteger(batchSize) || batchSize < 1)
		throw new MigrationRefused("The batch size must be a whole number ≥ 1.");
	const databasePath = join(options.dataDir, DATABASE_FILE);
	if (!existsSync(databasePath)) {
		throw new MigrationRefused(
			`No Vantage database at ${databasePath}: set VANTAGE_DATA_DIR to the deployment's data directory.`,
		);
	}
	const vaultPath = join(options.dataDir, PLAYER_KEYS_FILE);
	const closers: (() => Promise<void> | void)[] = [];
	try {
		// 1. The source, opened the way a server start opens it: the schema brought up to date, player ids converted
		//    to pseudonyms, every pending batch folded into the rollups (the SQLite side of the comparison).
		rewrapPlayerKeyVault(vaultPath, options.masterKeys);
		const keyring = PlayerKeyring.open({ path: vaultPath, masterKey: options.masterKeys.current });
		closers.push(() => keyring.close());
		const source = openSqliteStore({ path: databasePath, players: keyring, warehouse: "inline", autoFold: false });
		closers.push(() => source.close());
		await source.warehouse.catchUp();
		const db = new BetterSqlite3(databasePath, { readonly: true, fileMustExist: true });
		closers.push(() => {
			db.close();
		});
		const vaultDb = new BetterSqlite3(vaultPath, { readonly: true, fileMustExist: true });
		closers.push(() => {
			vaultDb.close();
		});
		checkSourceTables(db);

		// 2. The target: its schemas made by the engines themselves (the same code every instance runs at start).
		const pool = openPool({ url: options.metadataUrl, poolSize: 4 });
		closers.push(() => pool.end());
		const vault = await openPostgresPlayerVault({ pool, masterKey: options.masterKeys });
		// The target store as an instance composes it (open-stores.ts), but with the rollup job left to this command
		// (no timer): it rebuilds and catches up when the events are in. The scale path's vault is PostgreSQL's.
		const metadata = await openPostgresMetadata({
			url: options.metadataUrl,
			players: vault,
			secrets: options.masterKeys,
			poolSize: 4,
		});
		closers.push(() => metadata.close());
		const events = await openClickHouseEvents({
			url: options.eventsUrl,
			players: vault,
			// No consent sealer: this store ingests nothing (consent records are copied as stored).
			settings: (gameId) => metadata.getGameSettings(gameId),
			listSettings: () => metadata.listGameSettings(),
			batches: metadata.batches,
			warehouse: clickHouseWarehouse({ autoFold: false, leases: metadata.leases }),
			client: { requestTimeoutMs: 300_000 },
		});
		closers.push(() => events.close());
		const target = composeStore({ metadata, events });
		const clickhouse = parseClickHouseUrl(options.eventsUrl);
		const shards = openShardClients(clickhouse, { requestTimeoutMs: 300_000 });
		closers.push(() => closeShards(shards));
		const tables = tableNames(clickhouse);

		// The source as an absolute path: `./data` and `/srv/vantage/data` are one deployment.
		const resumed = await prepareProgress(pool, shards, tables, resolve(options.dataDir));
		if (resumed) log("Continuing the migration from its checkpoints.");
		const budget = { left: options.interruptAfterRows ?? Number.POSITIVE_INFINITY };
		const copied: Record<string, number> = {};

		// 3. Metadata, table by table.
		const pgColumns = await targetColumns(pool);
		for (const spec of METADATA_TABLES) {
			const from = spec.vault ? vaultDb : db;
			if (!tableExists(from, spec.table)) continue;
			const columns = pgColumns.get(spec.table);
			if (!columns) {
				throw new MigrationRefused(
					`The target metadata database has no table ${spec.table}: was it made by another Vantage version?`,
				);
			}
			copied[`metadata.${spec.table}`] = await copyMetadataTable(from, pool, spec, columns, batchSize, budget, log);
		}

		// 4. Raw events.
		copied["events.events"] = await copyEvents(db, pool, shards, clickhouse, tables, batchSize, budget, log);

		// 5. ClickHouse's rollups, from the raw events now there.
		const games = await target.listGames();
		for (const game of games) await target.warehouse.rebuild(game.id);
		await target.warehouse.catchUp();
		log(`Rebuilt the ClickHouse rollups of ${games.length} game${games.length === 1 ? "" : "s"}.`);
		await setProgress(pool, "rollups", { lastKey: null, rows: games.length, finished: true });

		// 6. The proof.
		const counts = await compareCounts(db, vaultDb, pool, shards, tables);
		const { comparisons, differences } = await compareMetrics(db, source, target, options.now?.() ?? Date.now());
		const ok = counts.every((c) => c.source === c.target) && differences.length === 0;
		if (ok) await setProgress(pool, "verified", { lastKey: null, rows: comparisons, finished: true });
		return { resumed, copied, counts, comparisons, differences, ok };
	} finally {
		for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => {});
	}
}

function tableExists(db: BetterSqlite3.Database, table: string): boolean {
	return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
}

/** Every table of vantage.db must be copied, rebuilt or known to be bookkeeping: otherwise its rows would be lost. */
function checkSourceTables(db: BetterSqlite3.Database): void {
	const copied = new Set(METADATA_TABLES.filter((t) => !t.vault).map((t) => t.table));
	const names = db
		.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
		.all()
		.map((r) => r.name);
	const unknown = names.filter((n) => !copied.has(n) && !NOT_COPIED_AS_ROWS.has(n) && !isRollupTable(n));
	if (unknown.length > 0) {
		throw new MigrationRefused(
			`vantage.db has table${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} that this migration does not know how ` +
				"to move; nothing was copied (update Vantage's migration before moving this deployment).",
		);
	}
	const state = tableExists(db, "player_id_state")
		? db.prepare<[], { pseudonymous: number }>("SELECT pseudonymous FROM player_id_state").get()
		: undefined;
	if (state && state.pseudonymous !== 1) {
		throw new MigrationRefused(
			"vantage.db still holds UserIds, not pseudonyms: start the server on it once, then migrate.",
		);
	}
}

// ------------------------------------------------------------------------------------------------------ checkpoints

/**
 * Makes the progress table and decides whether this run starts or continues one. A first run needs an empty target (a
 * deployment's data must not be merged into another's); a continuing one must copy from the same data directory.
 */
async function prepareProgress(
	pool: pg.Pool,
	shards: readonly ClickHouseShard[],
	tables: TableNames,
	dataDir: string,
): Promise<boolean> {
	await pool.query(`CREATE TABLE IF NOT EXISTS migration_progress (
		name text COLLATE "C" PRIMARY KEY,
		last_key text,
		rows bigint NOT NULL DEFAULT 0,
		finished boolean NOT NULL DEFAULT false,
		updated_at bigint NOT NULL
	)`);
	const origin = await pool.query<{ last_key: string }>(
		"SELECT last_key FROM migration_progress WHERE name = 'source'",
	);
	const sourceKey = JSON.stringify([dataDir]);
	if (origin.rows[0]) {
		if (origin.rows[0].last_key !== sourceKey) {
			throw new MigrationRefused(
				`The target holds a migration from ${JSON.parse(origin.rows[0].last_key)[0]}, not from ${dataDir}: ` +
					"migrate each deployment into databases of its own.",
			);
		}
		return true;
	}
	const nonEmpty: string[] = [];
	for (const table of ["games", "admin_users", "signing_keys", "audit_log", "player_keys"]) {
		const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
		if ((rows[0]?.n ?? 0) > 0) nonEmpty.push(table);
	}
	const events = await queryRows<{ n: string }>(shards[0]!, `SELECT count() AS n FROM ${tables.events}`);
	if (Number(events[0]?.n ?? 0) > 0) nonEmpty.push("events (ClickHouse)");
	if (nonEmpty.length > 0) {
		throw new MigrationRefused(
			`The target is not empty (${nonEmpty.join(", ")} have rows): migrate into new databases, before any instance ` +
				"has started on them.",
		);
	}
	await setProgress(pool, "source", { lastKey: [dataDir], rows: 0, finished: true });
	return false;
}

async function getProgress(pool: pg.Pool | pg.PoolClient, name: string): Promise<Progress> {
	const { rows } = await pool.query<{ last_key: string | null; rows: number; finished: boolean }>(
		"SELECT last_key, rows, finished FROM migration_progress WHERE name = $1",
		[name],
	);
	const row = rows[0];
	if (!row) return { lastKey: null, rows: 0, finished: false };
	return {
		lastKey: row.last_key === null ? null : (JSON.parse(row.last_key) as unknown[]),
		rows: Number(row.rows),
		finished: row.finished,
	};
}

async function setProgress(pool: pg.Pool | pg.PoolClient, name: string, progress: Progress): Promise<void> {
	await pool.query(
		`INSERT INTO migration_progress (name, last_key, rows, finished, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (name) DO UPDATE SET last_key = EXCLUDED.last_key, rows = EXCLUDED.rows, finished = EXCLUDED.finished,
			updated_at = EXCLUDED.updated_at`,
		[
			name,
			progress.lastKey === null ? null : JSON.stringify(progress.lastKey),
			progress.rows,
			progress.finished,
			Date.now(),
		],
	);
}

/** Rows of `table` after `lastKey` in key order (SQLite's row values compare column by column, as the key sorts). */
function pageAfter(
	db: BetterSqlite3.Database,
	table: string,
	key: readonly string[],
	lastKey: unknown[] | null,
	limit: number,
): Record<string, unknown>[] {
	const order = key.join(", ");
	const where = lastKey === null ? "" : `WHERE (${order}) > (${key.map(() => "?").join(", ")})`;
	return db
		.prepare(`SELECT * FROM ${table} ${where} ORDER BY ${order} LIMIT ?`)
		.all(...(lastKey ?? []), limit) as Record<string, unknown>[];
}

/** Counts this run's rows; past the test hook's budget, stops as a kill would (before the checkpoint). */
function spend(budget: { left: number }, rows: number): void {
	budget.left -= rows;
	if (budget.left <= 0) throw new MigrationInterrupted("interrupted after the configured number of rows (test hook)");
}

// ------------------------------------------------------------------------------------------------------ metadata

/** PostgreSQL's column types per table of the current schema. */
async function targetColumns(pool: pg.Pool): Promise<Map<string, Map<string, string>>> {
	const { rows } = await pool.query<{ table_name: string; column_name: string; data_type: string }>(
		`SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema()`,
	);
	const tables = new Map<string, Map<string, string>>();
	for (const row of rows) {
		let columns = tables.get(row.table_name);
		if (!columns) tables.set(row.table_name, (columns = new Map()));
		columns.set(row.column_name, row.data_type);
	}
	return tables;
}

/** A SQLite value as PostgreSQL's column takes it: 0/1 → boolean, BLOB → bytea; everything else as stored. */
function pgValue(value: unknown, type: string): unknown {
	if (value === null || value === undefined) return null;
	if (type === "boolean") return value === 1 || value === true;
	return value;
}

async function copyMetadataTable(
	db: BetterSqlite3.Database,
	pool: pg.Pool,
	spec: (typeof METADATA_TABLES)[number],
	pgColumns: Map<string, string>,
	batchSize: number,
	budget: { left: number },
	log: (line: string) => void,
): Promise<number> {
	const name = `metadata.${spec.table}`;
	const sourceColumns = (db.prepare(`PRAGMA table_info(${spec.table})`).all() as { name: string }[]).map((c) => c.name);
	const missing = sourceColumns.filter((c) => !pgColumns.has(c));
	if (missing.length > 0) {
		throw new MigrationRefused(
			`The target's ${spec.table} has no column ${missing.join(", ")}: copying would lose it (Vantage versions differ?).`,
		);
	}
	let progress = await getProgress(pool, name);
	if (progress.finished) return 0;
	let copied = 0;
	for (;;) {
		const rows = pageAfter(db, spec.table, spec.key, progress.lastKey, batchSize);
		if (rows.length === 0) break;
		const last = rows.at(-1)!;
		const next: Progress = {
			lastKey: spec.key.map((k) => last[k]),
			rows: progress.rows + rows.length,
			finished: false,
		};
		await transaction(pool, async (client) => {
			// Bind parameters stay under PostgreSQL's 65,535 per statement.
			const perStatement = Math.max(1, Math.floor(30_000 / sourceColumns.length));
			for (let i = 0; i < rows.length; i += perStatement) {
				const slice = rows.slice(i, i + perStatement);
				const values: unknown[] = [];
				const tuples = slice.map((row) => {
					const placeholders = sourceColumns.map((column) => {
						values.push(pgValue(row[column], pgColumns.get(column)!));
						return `$${values.length}`;
					});
					return `(${placeholders.join(", ")})`;
				});
				const conflict = spec.upsert
					? `ON CONFLICT (${spec.key.join(", ")}) DO UPDATE SET ${sourceColumns
							.filter((c) => !spec.key.includes(c))
							.map((c) => `${c} = EXCLUDED.${c}`)
							.join(", ")}`
					: "ON CONFLICT DO NOTHING";
				await client.query(
					`INSERT INTO ${spec.table} (${sourceColumns.join(", ")}) VALUES ${tuples.join(", ")} ${conflict}`,
					values,
				);
			}
			await setProgress(client, name, next);
		});
		progress = next;
		copied += rows.length;
		spend(budget, rows.length);
	}
	await setProgress(pool, name, { ...progress, finished: true });
	if (copied > 0) log(`${name}: ${copied} rows copied.`);
	return copied;
}

// ------------------------------------------------------------------------------------------------------ events

/**
 * The shard (0-based) of each (game, player): `cityHash64(game_id, user_id) % shards`, asked of ClickHouse itself (the
 * hash the Distributed table routes with), so rows land where a Distributed insert would put them.
 */
async function shardsOf(
	shards: readonly ClickHouseShard[],
	keys: readonly [string, number][],
): Promise<Map<string, number>> {
	const out = new Map<string, number>();
	if (shards.length === 1) {
		for (const [a, b] of keys) out.set(`${a}\0${b}`, 0);
		return out;
	}
	const distinct = [...new Map(keys.map((k) => [`${k[0]}\0${k[1]}`, k])).values()];
	for (let i = 0; i < distinct.length; i += 2000) {
		const slice = distinct.slice(i, i + 2000);
		const literal = slice.map(([a, b]) => `(${sqlString(a)}, toInt64(${Number(b)}))`).join(", ");
		const rows = await queryRows<{ a: string; b: string; s: string | number }>(
			shards[0]!,
			`SELECT tupleElement(t, 1) AS a, toString(tupleElement(t, 2)) AS b,
				cityHash64(tupleElement(t, 1), tupleElement(t, 2)) % ${shards.length} AS s
			FROM (SELECT arrayJoin([${literal}]) AS t)`,
		);
		for (const row of rows) out.set(`${row.a}\0${row.b}`, Number(row.s));
	}
	return out;
}

/** Which of `ids` of one game the table has already (a chunk sent again after a kill). */
async function existingKeys(
	shard: ClickHouseShard,
	table: string,
	gameId: string,
	ids: readonly string[],
): Promise<Set<string>> {
	const found = new Set<string>();
	for (let i = 0; i < ids.length; i += 2000) {
		const list = ids
			.slice(i, i + 2000)
			.map(sqlString)
			.join(", ");
		const rows = await queryRows<{ k: string }>(
			shard,
			`SELECT DISTINCT id AS k FROM ${table} WHERE game_id = ${sqlString(gameId)} AND id IN (${list})`,
		);
		for (const row of rows) found.add(row.k);
	}
	return found;
}

/** Inserts rows grouped by shard into each shard's local table. */
async function insertByShard(
	shards: readonly ClickHouseShard[],
	table: string,
	rows: readonly { shard: number; row: object }[],
): Promise<void> {
	await Promise.all(
		shards.map((shard) =>
			insertRows(
				shard,
				table,
				rows.filter((r) => r.shard === shard.index).map((r) => r.row),
			),
		),
	);
}

/** The raw events' copy: where they come from in vantage.db and where they go. */
interface EventsCopy {
	/** The progress checkpoint's name. */
	name: string;
	/** The SQLite table, read in (game_id, id) order. */
	table: string;
	/** The Distributed table asked which ids are there already. */
	distributed: string;
	/** The shards' local table written. */
	local: string;
}

/**
 * Copies the raw events to the shards, resumable: pages of `batchSize` rows in (game, id) order from the last
 * checkpoint; each row goes to the shard a Distributed insert would route it to (by game and player), and a chunk after
 * the checkpoint that is there already (the run before was killed after inserting it) is skipped row by row. Returns
 * the rows copied and skipped, or null when an earlier run finished the table.
 */
async function copyToShards(
	db: BetterSqlite3.Database,
	pool: pg.Pool,
	shards: readonly ClickHouseShard[],
	copy: EventsCopy,
	batchSize: number,
	budget: { left: number },
): Promise<{ copied: number; skipped: number } | null> {
	let progress = await getProgress(pool, copy.name);
	if (progress.finished) return null;
	let copied = 0;
	let skipped = 0;
	for (;;) {
		const rows = pageAfter(db, copy.table, ["game_id", "id"], progress.lastKey, batchSize) as unknown as EventRow[];
		if (rows.length === 0) break;
		const routes = await shardsOf(
			shards,
			rows.map((r) => [r.game_id, r.user_id]),
		);
		const fresh: { shard: number; row: object }[] = [];
		for (const [gameId, gameRows] of groupBy(rows, (r) => r.game_id)) {
			const present = await existingKeys(
				shards[0]!,
				copy.distributed,
				gameId,
				gameRows.map((r) => r.id),
			);
			for (const row of gameRows) {
				if (present.has(row.id)) skipped++;
				else {
					const shard = routes.get(`${row.game_id}\0${row.user_id}`)!;
					fresh.push({ shard, row });
				}
			}
		}
		await insertByShard(shards, copy.local, fresh);
		copied += fresh.length;
		spend(budget, rows.length);
		const last = rows.at(-1)!;
		progress = { lastKey: [last.game_id, last.id], rows: progress.rows + rows.length, finished: false };
		await setProgress(pool, copy.name, progress);
	}
	await setProgress(pool, copy.name, { ...progress, finished: true });
	return { copied, skipped };
}

/** Copies the raw events to the shards; returns the rows copied. */
async function copyEvents(
	db: BetterSqlite3.Database,
	pool: pg.Pool,
	shards: readonly ClickHouseShard[],
	target: ClickHouseTarget,
	tables: TableNames,
	batchSize: number,
	budget: { left: number },
	log: (line: string) => void,
): Promise<number> {
	const events = await copyToShards(
		db,
		pool,
		shards,
		{
			name: "events.events",
			table: "events",
			distributed: tables.events,
			local: `${target.database}.events_local`,
		},
		batchSize,
		budget,
	);
	if (events) {
		const { copied, skipped } = events;
		log(`events: ${copied} rows copied${skipped ? ` (${skipped} already there from an interrupted run)` : ""}.`);
	}
	return events?.copied ?? 0;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
	const groups = new Map<string, T[]>();
	for (const item of items) {
		const k = key(item);
		const list = groups.get(k);
		if (list) list.push(item);
		else groups.set(k, [item]);
	}
	return groups;
}

// ------------------------------------------------------------------------------------------------------ verification

async function compareCounts(
	db: BetterSqlite3.Database,
	vaultDb: BetterSqlite3.Database,
	pool: pg.Pool,
	shards: readonly ClickHouseShard[],
	tables: TableNames,
): Promise<TableCount[]> {
	const counts: TableCount[] = [];
	const sqliteCount = (from: BetterSqlite3.Database, table: string) =>
		(from.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
	for (const spec of METADATA_TABLES) {
		const from = spec.vault ? vaultDb : db;
		if (!tableExists(from, spec.table)) continue;
		const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${spec.table}`);
		counts.push({ table: `metadata.${spec.table}`, source: sqliteCount(from, spec.table), target: rows[0]?.n ?? 0 });
	}
	// Every stored row, duplicates included: equal counts mean no event was stored twice.
	const rows = await queryRows<{ n: string }>(shards[0]!, `SELECT count() AS n FROM ${tables.events}`);
	counts.push({ table: "events.events", source: sqliteCount(db, "events"), target: Number(rows[0]?.n ?? 0) });
	return counts;
}

/** The metric requests compared per game, over `range` (its whole history). */
function metricRequests(range: { from: number; to: number }): MetricRequest[] {
	const spec = { filters: [] };
	return [
		{ metric: "active-users", range, spec },
		{ metric: "sessions", range, spec },
		{ metric: "retention", range, spec, mode: "classic", days: [0, 1, 3, 7, 14, 30] },
		{ metric: "revenue", range, spec, usdPerRobux: 0.0035, developerShare: 0.7, ltvDays: [0, 1, 7, 30] },
		{ metric: "economy", range, spec },
		{ metric: "progression", range, spec },
		{ metric: "overview", range, spec },
	] as MetricRequest[];
}

async function compareMetrics(
	db: BetterSqlite3.Database,
	source: Store,
	target: Store,
	now: number,
): Promise<{ comparisons: number; differences: MetricDifference[] }> {
	const differences: MetricDifference[] = [];
	let comparisons = 0;
	const compare = (gameId: string, what: string, a: unknown, b: unknown) => {
		comparisons++;
		for (const d of diff(a, b, "")) differences.push({ gameId, what, ...d });
	};
	const auditSource = await verifyAuditChain(source);
	const auditTarget = await verifyAuditChain(target);
	compare("*", "audit chain", auditSource, auditTarget);
	for (const game of await source.listGames()) {
		const span = db
			.prepare<[string], { lo: number | null; hi: number | null }>(
				"SELECT min(time) AS lo, max(time) AS hi FROM events WHERE game_id = ?",
			)
			.get(game.id);
		if (span?.lo === null || span?.lo === undefined || span.hi === null) continue;
		// Day numbers (days since the epoch); a day either side covers every time zone's local days.
		const range = { from: Math.floor(span.lo / DAY) - 1, to: Math.floor(Math.max(span.hi, now) / DAY) + 1 };
		for (const request of metricRequests(range)) {
			const [a, b] = await Promise.all([
				source.warehouse.metric(game.id, request, now),
				target.warehouse.metric(game.id, request, now),
			]);
			compare(game.id, request.metric, withoutSource(a), withoutSource(b));
		}
		const [namesA, namesB] = await Promise.all([
			source.warehouse.eventNames(game.id, null),
			target.warehouse.eventNames(game.id, null),
		]);
		compare(game.id, "event counts", sortRows(namesA), sortRows(namesB));
		for (const experiment of await source.listExperiments({ gameId: game.id })) {
			const metrics = [experiment.definition.primaryMetric, ...experiment.definition.guardrailMetrics].filter(
				(m) => m !== null,
			);
			for (const metric of metrics) {
				const query = {
					gameId: game.id,
					experimentKey: experiment.key,
					from: experiment.definition.startAt ?? 0,
					to: now,
					metric,
					excludeUserIds: [],
					covariateLookbackDays: metric.type === "quantile" ? 0 : 7,
					dimensions: [],
				};
				const [a, b] = await Promise.all([source.experimentUnits(query), target.experimentUnits(query)]);
				compare(game.id, `experiment units ${experiment.key} / ${metric.key}`, unitRows(a), unitRows(b));
			}
		}
	}
	return { comparisons, differences };
}

/** Whether an answer came from rollups or raw events is the engine's business, not the metric's. */
function withoutSource(envelope: Record<string, unknown>): Record<string, unknown> {
	const { source: _source, ...rest } = envelope;
	return rest;
}

/** Rows in a canonical order (engines may list equal things in another order). */
function sortRows<T>(rows: readonly T[]): T[] {
	return [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

/** An experiment's units as rows, in a canonical order (the columnar arrays' order is the engine's). */
function unitRows(units: import("../experiments/units.js").ExperimentUnits): unknown {
	const rows = [];
	for (let i = 0; i < units.count; i++) {
		rows.push([
			units.variation[i],
			units.multipleVariations[i],
			units.firstExposure[i],
			units.value[i],
			units.denominator?.[i] ?? null,
			units.covariate?.[i] ?? null,
			units.covariateDenominator?.[i] ?? null,
		]);
	}
	return { count: units.count, cap: units.cap, units: sortRows(rows) };
}

/**
 * Where `a` and `b` differ, by path. Numbers are equal within 1e-9 relative (sums of floating-point values in another
 * order differ in the last bits); everything else must be identical.
 */
export function diff(a: unknown, b: unknown, path: string): { path: string; source: unknown; target: unknown }[] {
	if (typeof a === "number" && typeof b === "number") {
		if (a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b))) return [];
		return [{ path: path || "(value)", source: a, target: b }];
	}
	if (Array.isArray(a) && Array.isArray(b)) {
		if (a.length !== b.length) return [{ path: `${path}.length`, source: a.length, target: b.length }];
		return a.flatMap((item, i) => diff(item, b[i], `${path}[${i}]`));
	}
	if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
		const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
		return keys.flatMap((k) =>
			diff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k),
		);
	}
	return Object.is(a, b) ? [] : [{ path: path || "(value)", source: a, target: b }];
}

// ------------------------------------------------------------------------------------------------------ the command

interface MigrateIo {
	env: Readonly<Record<string, string | undefined>>;
	stdout: { write(text: string): unknown };
	stderr: { write(text: string): unknown };
	runDir?: string;
}

/**
 * `migrate --to <postgres-url> <clickhouse-url>`: parses the arguments (the two URLs in either order, told apart by
 * their schemes), runs {@link migrateToScale} and prints its report. 0: copied and verified; 1: refused, failed or a
 * difference found; 2: usage.
 */
export async function runMigrateCommand(args: readonly string[], io: MigrateIo): Promise<number> {
	const { parseArgs } = await import("node:util");
	const usage = (message: string) => {
		io.stderr.write(`${message}\n\nUsage:\n${MIGRATE_USAGE}`);
		return 2;
	};
	let values: { to?: string | undefined; "batch-size"?: string | undefined };
	let positionals: string[];
	try {
		({ values, positionals } = parseArgs({
			args: [...args],
			allowPositionals: true,
			options: { to: { type: "string" }, "batch-size": { type: "string" } },
		}));
	} catch (error) {
		return usage((error as Error).message);
	}
	const urls = [values.to, ...positionals].filter((u): u is string => u !== undefined);
	if (values.to === undefined || urls.length !== 2) {
		return usage("migrate takes --to and two URLs: the PostgreSQL one (metadata) and the ClickHouse one (events).");
	}
	const scheme = (url: string) => /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
	const metadataUrl = urls.find((u) => scheme(u) === "postgres" || scheme(u) === "postgresql");
	const eventsUrl = urls.find((u) => scheme(u) === "clickhouse");
	if (!metadataUrl || !eventsUrl) {
		return usage("migrate --to needs one postgres:// URL and one clickhouse:// URL.");
	}
	const batchSize = values["batch-size"] === undefined ? 5000 : Number(values["batch-size"]);
	if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
		return usage("--batch-size must be a whole number from 1 to 100000.");
	}

	const { ConfigError, loadConfig } = await import("../config.js");
	const { createLogger } = await import("../logger.js");
	const { loadMasterKeys } = await import("../privacy/master-keys.js");
	const { MasterKeyError } = await import("../privacy/player-keys.js");
	const { canonicalDataDir, listRunningServers } = await import("../running-servers.js");
	try {
		const config = loadConfig(io.env);
		const running = listRunningServers(io.runDir === undefined ? {} : { runDir: io.runDir }).filter(
			(s) => s.dataDir === canonicalDataDir(config.dataDir),
		);
		if (running.length > 0) {
			io.stderr.write(
				`A Vantage server (pid ${running.map((s) => s.pid).join(", ")}) is running on ${config.dataDir}: stop it first, ` +
					"or events it accepts during the copy would be left behind.\n",
			);
			return 1;
		}
		const masterKeys = loadMasterKeys(config, createLogger({ level: "error", sink: io.stderr }));
		const report = await migrateToScale({
			dataDir: config.dataDir,
			metadataUrl,
			eventsUrl,
			masterKeys,
			batchSize,
			log: (line) => io.stdout.write(`${line}\n`),
		});
		io.stdout.write(formatReport(report));
		if (!report.ok) return 1;
		io.stdout.write(
			"\nThe deployment now runs on the scale path: start every instance with\n" +
				`  VANTAGE_METADATA_URL=${redact(metadataUrl)}\n  VANTAGE_EVENTS_URL=${redact(eventsUrl)}\n` +
				(config.masterKey
					? "  VANTAGE_MASTER_KEY set to this deployment's key (the one this command ran with).\n"
					: `  VANTAGE_MASTER_KEY set to the key in ${join(config.dataDir, "master.key")} (it opens the player keys, ` +
						"signing keys and second factors copied).\n"),
		);
		return 0;
	} catch (error) {
		if (
			error instanceof MigrationRefused ||
			error instanceof MigrationInterrupted ||
			error instanceof ConfigError ||
			error instanceof MasterKeyError
		) {
			io.stderr.write(`${error.message}\n`);
			return 1;
		}
		const message = error instanceof Error ? error.message : String(error);
		io.stderr.write(
			`The migration stopped: ${message}\nRun the same command again to continue from where it stopped.\n`,
		);
		return 1;
	}
}

/** The report as the command prints it: counts per table, then the verdict and each difference. */
export function formatReport(report: MigrationReport): string {
	const width = Math.max(...report.counts.map((c) => c.table.length), 5);
	const lines = [
		"",
		`${"table".padEnd(width)}  ${"source".padStart(10)}  ${"target".padStart(10)}`,
		...report.counts.map(
			(c) =>
				`${c.table.padEnd(width)}  ${String(c.source).padStart(10)}  ${String(c.target).padStart(10)}` +
				(c.source === c.target ? "" : "  DIFFERENT"),
		),
		"",
	];
	if (report.differences.length === 0) {
		lines.push(
			`Metrics: ${report.comparisons} answers compared (SQLite warehouse vs ClickHouse warehouse), all equal.`,
		);
	} else {
		lines.push(`Metrics: ${report.differences.length} differences in ${report.comparisons} answers compared:`);
		for (const d of report.differences.slice(0, 50)) {
			lines.push(
				`  game ${d.gameId}, ${d.what}, ${d.path}: SQLite ${JSON.stringify(d.source)}, ClickHouse ${JSON.stringify(d.target)}`,
			);
		}
		if (report.differences.length > 50) lines.push(`  … and ${report.differences.length - 50} more`);
	}
	lines.push(report.ok ? "Migration verified." : "Migration NOT verified: see the differences above.");
	return `${lines.join("\n")}\n`;
}

/** A URL without its password (for the advice printed at the end). */
function redact(url: string): string {
	return url.replace(/(\/\/[^:/@]+:)[^@]*@/, "$1***@").replace(/([?&]password=)[^&]*/, "$1***");
}
