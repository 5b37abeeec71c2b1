// The ClickHouse event engine's tables, made on every shard by numbered, idempotent migrations (a `schema_versions`
// table per shard records which ran). ClickHouse 18.16 has no distributed DDL without ZooKeeper (ON CLUSTER), so the
// store runs every statement on every shard itself; each statement is `… IF NOT EXISTS`, so two instances starting at
// once, or a start that died half way, do no harm.
//
// Tables (database from VANTAGE_EVENTS_URL), on each shard:
// - events_local: ReplacingMergeTree ORDER BY (game_id, user_id, id), PARTITION BY month of the event's time. One row
//   per (game, player, event id): the write side (events-store.ts) inserts only ids not stored yet, under a claim of the
//   batch, so a retried or replayed batch adds nothing; ReplacingMergeTree (same key → one row after a merge) and the
//   reads' `LIMIT 1 BY id` are the second line of defence for the one race the claim does not cover (one event resent
//   in two different batches at the same instant on two instances).
// - events: Distributed(cluster, db, events_local, cityHash64(game_id, user_id)), for reads across the shards.
//   Sharding key: a player's events all land on one shard, so per-player work (sessions, retention, funnels,
//   experiment units, a player's export and erasure) runs shard-locally and merges only small per-shard results, and a
//   resent event (same game, player and id) always reaches the shard holding its first copy, so deduplication is a
//   local primary-key lookup. user_id is the player's pseudonym (random, so players spread evenly); game_id in the key
//   keeps one game's player N and another's apart. Server-level events (user_id 0) of a game all go to one shard: a
//   small share of a game's events.
// - batches_local / batches: where the answers of batches were stored before they moved to the batch ledger in the
//   metadata store (PostgreSQL `batches`, beside the claims: a one-row ClickHouse part per batch saved). Still made,
//   so a database of an older version opens as it was; nothing writes or reads them any more.
// Without a cluster (one shard) the Distributed tables are not made and reads use the local tables ({@link tableNames}).
//
// Other modules add tables through the same runner: pass their migrations to migrateClickHouse (openClickHouseEvents
// does, index.ts). Versions: 1-99 this file (the events core), 100-199 the warehouse (rollups-schema.ts, helper E).
import { command, queryRows, sqlInt, sqlString, type ClickHouseShard } from "./client.js";
import type { ClickHouseTarget } from "./url.js";

/** What a migration's statements may depend on. */
export interface SchemaContext {
	database: string;
	/** The cluster of the Distributed tables; undefined for one shard (no Distributed tables). */
	cluster: string | undefined;
	/** The shard the statements run on (0-based) and how many there are. */
	shardIndex: number;
	shardCount: number;
}

/** One schema change, run once per shard. */
export interface ClickHouseMigration {
	/** Unique and increasing; see the ranges at the top of this file. */
	version: number;
	name: string;
	/** The statements, each idempotent (IF NOT EXISTS …): a migration cut short is run again whole. */
	statements(context: SchemaContext): string[];
}

/** The names queries use: `events` reads every shard (the local tables when there is one shard). */
export interface TableNames {
	/** This shard's events (for inserts, lookups by key and mutations). */
	eventsLocal: string;
	/** Every shard's events (Distributed), or the local table without a cluster. */
	events: string;
}

/** Fully qualified table names for `target`. */
export function tableNames(target: Pick<ClickHouseTarget, "database" | "cluster">): TableNames {
	const db = target.database;
	const distributed = target.cluster !== undefined;
	return {
		eventsLocal: `${db}.events_local`,
		events: distributed ? `${db}.events` : `${db}.events_local`,
	};
}

/**
 * The sharding key of the events, as SQL over the columns `game_id` and `user_id` (Int64). The store computes a row's
 * shard as `cityHash64(game_id, toInt64(user_id)) % shardCount` (asked of ClickHouse, never re-implemented), which is
 * the shard a Distributed table of equal weights picks.
 */
export const EVENTS_SHARDING_KEY = "cityHash64(game_id, user_id)";
export const BATCHES_SHARDING_KEY = "cityHash64(game_id, batch_id)";

/**
 * Rows per index mark. Every ingest asks events_local which of a batch's ids it holds (a lookup by primary key for
 * each of ~50 players) and batches_local for the batch's answer (one key): ClickHouse reads whole granules, so with the
 * default 8,192 a lookup decompresses 8,192 rows per player, most of them other players'. Measured on 400k events of
 * 800 players (one 18.16 server, idle): the 50-player, 500-id lookup takes 18.8 ms at 8,192 and 8.8 ms at 1,024;
 * inserts cost the same. Scans (the fold, exports) read the same rows either way. Tables made before this setting keep
 * theirs (18.16 cannot change it): they work the same, only their lookups read more.
 */
export const EVENTS_GRANULARITY = 1024;
/** batches_local is only ever read by key (one answer) or pruned by month: small granules. */
export const BATCHES_GRANULARITY = 256;

/** The columns of events_local, in order (user_id holds the player's pseudonym). */
export const EVENT_COLUMNS = [
	"game_id",
	"id",
	"batch_id",
	"user_id",
	"session_id",
	"type",
	"name",
	"time",
	"received_at",
	"props",
] as const;

/** The events core's migrations. */
export const EVENT_MIGRATIONS: readonly ClickHouseMigration[] = [
	{
		version: 1,
		name: "events and batches",
		statements: ({ database: db, cluster }) => [
			// LowCardinality is not production-ready in 18.16: plain String columns.
			`CREATE TABLE IF NOT EXISTS ${db}.events_local (
				game_id String,
				id String,
				batch_id String,
				user_id Int64,
				session_id String,
				type String,
				name String,
				time Int64,
				received_at Int64,
				props String
			) ENGINE = ReplacingMergeTree
			PARTITION BY toYYYYMM(toDate(intDiv(time, 1000)))
			ORDER BY (game_id, user_id, id)
			SETTINGS index_granularity = ${EVENTS_GRANULARITY}`,
			`CREATE TABLE IF NOT EXISTS ${db}.batches_local (
				game_id String,
				batch_id String,
				received_at Int64,
				response String,
				fingerprint String
			) ENGINE = ReplacingMergeTree
			PARTITION BY toYYYYMM(toDate(intDiv(received_at, 1000)))
			ORDER BY (game_id, batch_id)
			SETTINGS index_granularity = ${BATCHES_GRANULARITY}`,
			...(cluster === undefined
				? []
				: [
						`CREATE TABLE IF NOT EXISTS ${db}.events AS ${db}.events_local
						ENGINE = Distributed(${cluster}, ${db}, events_local, ${EVENTS_SHARDING_KEY})`,
						`CREATE TABLE IF NOT EXISTS ${db}.batches AS ${db}.batches_local
						ENGINE = Distributed(${cluster}, ${db}, batches_local, ${BATCHES_SHARDING_KEY})`,
					]),
		],
	},
];

/** The database was migrated by a newer Vantage (a version this code does not know). */
export class ClickHouseSchemaError extends Error {
	override readonly name = "ClickHouseSchemaError";
}

/**
 * Creates the database and runs every migration not yet recorded, on every shard (shards in parallel, each shard's
 * migrations in version order). `extra` are other modules' migrations (the warehouse's). Returns the versions run per
 * shard.
 *
 * @example
 * await migrateClickHouse(shards, target, WAREHOUSE_MIGRATIONS);
 */
export async function migrateClickHouse(
	shards: readonly ClickHouseShard[],
	target: Pick<ClickHouseTarget, "database" | "cluster">,
	extra: readonly ClickHouseMigration[] = [],
): Promise<number[][]> {
	const migrations = [...EVENT_MIGRATIONS, ...extra].sort((a, b) => a.version - b.version);
	for (let i = 1; i < migrations.length; i++) {
		if (migrations[i]!.version === migrations[i - 1]!.version) {
			throw new ClickHouseSchemaError(`two ClickHouse migrations have the version ${migrations[i]!.version}`);
		}
	}
	const known = new Set(migrations.map((m) => m.version));
	// A version is "from a newer Vantage" only within a range this call knows (1-99, and the hundreds of the extra
	// migrations given): a tool opening the store without the warehouse must not trip over the warehouse's versions.
	const ranges = new Set([0, ...extra.map((m) => Math.floor(m.version / 100))]);
	const db = target.database;
	return await Promise.all(
		shards.map(async (shard) => {
			await command(shard, `CREATE DATABASE IF NOT EXISTS ${db}`);
			await command(
				shard,
				`CREATE TABLE IF NOT EXISTS ${db}.schema_versions (version UInt32, name String, applied_at DateTime)
				ENGINE = ReplacingMergeTree ORDER BY version`,
			);
			const applied = new Set(
				(await queryRows<{ version: number }>(shard, `SELECT DISTINCT version FROM ${db}.schema_versions`)).map((row) =>
					Number(row.version),
				),
			);
			const unknown = [...applied].filter((version) => !known.has(version) && ranges.has(Math.floor(version / 100)));
			if (unknown.length > 0) {
				throw new ClickHouseSchemaError(
					`ClickHouse shard ${shard.label}: database ${db} has schema version ${Math.max(...unknown)}, which this ` +
						"Vantage does not know (made by a newer version?).",
				);
			}
			const context: SchemaContext = {
				database: db,
				cluster: target.cluster,
				shardIndex: shard.index,
				shardCount: shards.length,
			};
			const ran: number[] = [];
			for (const migration of migrations) {
				if (applied.has(migration.version)) continue;
				for (const statement of migration.statements(context)) await command(shard, statement);
				await command(
					shard,
					`INSERT INTO ${db}.schema_versions (version, name, applied_at)
					VALUES (${sqlInt(migration.version)}, ${sqlString(migration.name)}, now())`,
				);
				ran.push(migration.version);
			}
			return ran;
		}),
	);
}
