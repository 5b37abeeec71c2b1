// The ClickHouse warehouse's table (migration versions 100-199, see schema.ts): one fact table per shard.
//
// Why one table of typed "kinds" rather than a table per rollup: the rollup job (rollups.ts) folds a slice of new
// events with the pure fold (warehouse/fold.ts) and writes every resulting row AND the markers of the folded units in
// ONE insert into ONE unpartitioned MergeTree table of one shard. ClickHouse writes such an insert as one part, all or
// nothing, so a crash (of the instance or of the shard) between "rollups written" and "units marked folded" cannot
// happen: there is no such in-between. With one table per rollup it could, and a redo would count twice.
//
// Every row carries the player (user_id) its events came from, so:
// - the rows of a player live on the player's shard (the events' sharding key), and joins of a player's facts
//   (install day × active days, attributes × sessions) are shard-local;
// - erasing a player deletes their rows (a mutation by key), which takes their contribution out of every rollup,
//   game-wide sums included, exactly.
// Rows are deltas: a query aggregates them by key (sum, min, max, earliest by (time, id)), which is how fold.ts
// defines them ("any order and any split into chunks gives the same applied result"). Background merges keep the
// part count small; the rollup job's compaction (rollups.ts) rewrites a shard's rows into one per key now and then, so
// between two compactions a key has at most one row per unit folded (a player's events of one batch) since the last.
import type { ClickHouseMigration } from "./schema.js";

/** Kinds of rows of `wh_facts_local` (`kind` column) and what their generic columns hold. */
export const FACT = {
	/** A folded unit (a batch's events of one player on this shard): batch_id, user_id, received_at. */
	unit: "unit",
	/** The time zone the game's rows were folded in: s1 = zone, t1 = when set. */
	zone: "zone",
	/** A player's activity on a local day: day, n1 events, n2 Robux, n3 purchases. */
	userDay: "ud",
	/** A player: t1 first time, day = its local day, t2 latest day, t3 first purchase, t4/id/props attrs. */
	player: "pl",
	/** A session: s1 session id, t1 start, t2 end, n1 duration (s). */
	session: "se",
	/** Events per (type s1, name s2, local day). */
	eventDay: "ed",
	/** Events per (type s1, name s2, UTC hour in `day`). */
	eventHour: "eh",
	/** Economy: day, s1 currency, s2 flow, s3 item type, s4 item id, n1 amount, n2 events. */
	economy: "ec",
	/** Progression: day, s1 path, s2 status, n1 events, n2 attempts, n3 attempts counted, n4 seconds, n5 counted. */
	progression: "pr",
	/** Products: day, s1 product, n1 Robux, n2 purchases. */
	product: "pd",
	/** A funnel step arrival: s1 funnel, day = step, t1 time, id, s2 step name. */
	funnelStep: "fs",
	/** An exposure: s1 experiment, t1 time, id, s2 variation (JSON), s3 variations seen (JSON array). */
	exposure: "ex",
} as const;

/** "None" of a time kept as a minimum (first purchase, session start): later than any event. */
export const NONE_MIN = 8_640_000_000_000_000;
/** "None" of a time kept as a maximum (session end): earlier than any event. */
export const NONE_MAX = -8_640_000_000_000_000;

/** Table names of the warehouse for a database. */
export function factTable(database: string): string {
	return `${database}.wh_facts_local`;
}

/** A column added here must also be carried by compactionSelects (rollups.ts), which lists every column. */
export const WAREHOUSE_MIGRATIONS: readonly ClickHouseMigration[] = [
	{
		version: 100,
		name: "warehouse facts",
		statements: ({ database: db }) => [
			`CREATE TABLE IF NOT EXISTS ${db}.wh_facts_local (
				game_id String,
				kind String,
				user_id Int64,
				batch_id String,
				received_at Int64,
				day Int64,
				s1 String,
				s2 String,
				s3 String,
				s4 String,
				n1 Float64,
				n2 Float64,
				n3 Float64,
				n4 Float64,
				n5 Float64,
				t1 Int64,
				t2 Int64,
				t3 Int64,
				t4 Int64,
				id String,
				props String
			) ENGINE = MergeTree
			ORDER BY (game_id, kind, user_id, day)`,
		],
	},
];
