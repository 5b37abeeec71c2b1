// One @clickhouse/client per shard (HTTP with keep-alive), and the few helpers the ClickHouse engine queries with.
// Debian's clickhouse-server 18.16 is old: it has no query parameters ({x:Type}, "Unknown setting param_x"), no
// JSONCompactEachRow and no mutations_sync, so values go into SQL as escaped literals (sqlString, sqlInt) and results
// come back as JSONEachRow (64-bit integers quoted, as strings).
import { ClickHouseLogLevel, createClient, type ClickHouseClient, type ClickHouseSettings } from "@clickhouse/client";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { hostLabel, type ClickHouseTarget } from "./url.js";

/** One shard: its client and how errors name it. */
export interface ClickHouseShard {
	/** 0-based position in the cluster (shard_num - 1). */
	index: number;
	/** `host:port`. */
	label: string;
	client: ClickHouseClient;
}

export interface ShardClientOptions {
	/** Longest a single request may take before it fails (under half a batch claim's ttl, events-store.ts). @default 20000 */
	requestTimeoutMs?: number;
	/** Sockets per shard. @default 16 */
	maxOpenConnections?: number;
	/** Settings sent with every request. @default none */
	settings?: ClickHouseSettings;
}

/** A shard that did not answer, or answered with an error, when it had to: names the shard and the cause. */
export class ClickHouseUnreachableError extends Error {
	override readonly name = "ClickHouseUnreachableError";
	constructor(
		readonly shard: string,
		cause: unknown,
		what = "is unreachable",
	) {
		super(`ClickHouse shard ${shard} ${what}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
	}
}

/**
 * Makes one client per shard of `target` (nothing is sent yet: see {@link pingShards}).
 *
 * @example
 * const shards = openShardClients(parseClickHouseUrl(process.env.VANTAGE_EVENTS_URL!));
 * await pingShards(shards);
 */
export function openShardClients(target: ClickHouseTarget, options: ShardClientOptions = {}): ClickHouseShard[] {
	return target.hosts.map((host, index) => ({
		index,
		label: hostLabel(host),
		client: createClient({
			url: `http://${host.host}:${host.port}`,
			username: target.user,
			password: target.password,
			request_timeout: options.requestTimeoutMs ?? 20_000,
			max_open_connections: options.maxOpenConnections ?? 16,
			// ClickHouse closes idle sockets after its keep_alive_timeout (3 s by default): drop ours a little sooner, so a
			// request never goes out on a socket the server is closing.
			keep_alive: { enabled: true, idle_socket_ttl: 2_000 },
			// Every table is named with its database (the database may not exist yet when the schema is made).
			clickhouse_settings: options.settings ?? {},
			// The engine reports failures itself, with the shard's name; the client's own log would repeat them.
			log: { level: ClickHouseLogLevel.OFF },
		}),
	}));
}

/**
 * Asks every shard `SELECT 1`; rejects with a {@link ClickHouseUnreachableError} naming the first shard that fails
 * (`host:port`) and why.
 */
export async function pingShards(shards: readonly ClickHouseShard[]): Promise<void> {
	await Promise.all(
		shards.map(async (shard) => {
			try {
				await queryRows(shard, "SELECT 1 AS ok");
			} catch (error) {
				throw new ClickHouseUnreachableError(shard.label, unwrap(error));
			}
		}),
	);
}

/**
 * Checks that the URL lists the hosts in the cluster's shard order: each host must be the local shard (`is_local`)
 * at its position of `cluster` in its own system.clusters, every shard of weight 1 with one replica (rows are written
 * to the shard `cityHash64(...) % shards` picks, as a Distributed table with equal weights does).
 */
export async function checkClusterLayout(shards: readonly ClickHouseShard[], cluster: string): Promise<void> {
	await Promise.all(
		shards.map(async (shard) => {
			const rows = await queryRows<{ shard_num: number; shard_weight: number; replica_num: number; is_local: number }>(
				shard,
				`SELECT shard_num, shard_weight, replica_num, is_local FROM system.clusters WHERE cluster = ${sqlString(cluster)}`,
			);
			if (rows.length === 0) {
				throw new Error(
					`ClickHouse shard ${shard.label} has no cluster "${cluster}" in its remote_servers (VANTAGE_EVENTS_URL ?cluster=).`,
				);
			}
			const shardNums = new Set(rows.map((row) => Number(row.shard_num)));
			if (shardNums.size !== shards.length) {
				throw new Error(
					`Cluster "${cluster}" has ${shardNums.size} shards on ${shard.label}, but VANTAGE_EVENTS_URL lists ` +
						`${shards.length} hosts: list one host per shard, in shard order.`,
				);
			}
			if (rows.some((row) => Number(row.shard_weight) !== 1 || Number(row.replica_num) !== 1)) {
				throw new Error(
					`Cluster "${cluster}" must have shards of weight 1 with one replica each (seen on ${shard.label}).`,
				);
			}
			const local = rows.find((row) => Number(row.is_local) === 1);
			if (!local || Number(local.shard_num) !== shard.index + 1) {
				throw new Error(
					`VANTAGE_EVENTS_URL lists ${shard.label} as shard ${shard.index + 1}, but it is ` +
						`${local ? `shard ${local.shard_num}` : "no shard"} of cluster "${cluster}": list the hosts in shard order.`,
				);
			}
		}),
	);
}

/** Runs a query on one shard and returns its rows (JSONEachRow; 64-bit integers arrive as strings). */
export async function queryRows<T>(shard: ClickHouseShard, sql: string, settings?: ClickHouseSettings): Promise<T[]> {
	const result = await shard.client.query({
		query: sql,
		format: "JSONEachRow",
		...(settings ? { clickhouse_settings: settings } : {}),
	});
	return await result.json<T>();
}

/** Runs a statement without a result (DDL, ALTER) on one shard. */
export async function command(shard: ClickHouseShard, sql: string, settings?: ClickHouseSettings): Promise<void> {
	await shard.client.command({ query: sql, ...(settings ? { clickhouse_settings: settings } : {}) });
}

/**
 * Inserts rows (JSONEachRow) into `table` of one shard. Returns once the server answered: for a MergeTree table the
 * part is written (to the file system; 18.16 does not fsync parts) and visible to every later query. The rows are
 * encoded here rather than by the client, in slices between which other work of the process runs (see
 * {@link encodeRows}); the body is the same.
 */
export async function insertRows(shard: ClickHouseShard, table: string, rows: readonly object[]): Promise<void> {
	if (rows.length === 0) return;
	const body = await encodeRows(rows);
	const result = await shard.client.exec({
		query: `INSERT INTO ${table} FORMAT JSONEachRow`,
		values: Readable.from(body, { objectMode: false }),
	});
	result.stream.resume();
	await finished(result.stream);
}

/** Longest stretch {@link encodeRows} runs before letting the event loop serve other work (requests waiting). */
const ENCODE_SLICE_MS = 4;

/**
 * JSONEachRow lines of the rows, in chunks of 256 rows. A large insert (a fold step's tens of thousands of fact rows)
 * takes tens of milliseconds to encode: done in one go, it would hold up every request of the instance that long.
 */
export async function encodeRows(rows: readonly object[]): Promise<string[]> {
	const chunks: string[] = [];
	let slice = performance.now();
	for (let start = 0; start < rows.length; start += 256) {
		let chunk = "";
		for (const row of rows.slice(start, start + 256)) chunk += `${JSON.stringify(row)}\n`;
		chunks.push(chunk);
		if (performance.now() - slice > ENCODE_SLICE_MS) {
			await new Promise((resolve) => setImmediate(resolve));
			slice = performance.now();
		}
	}
	return chunks;
}

/**
 * Group commit for inserts: rows handed to one table of one shard while an insert into it is on its way wait and go
 * together in the next insert, which starts as soon as that one returns. An idle table inserts at once, unless the
 * caller asks it to linger (`lingerMs`: it knows more rows are coming, e.g. other batches in flight): then the first
 * insert waits that long for them. Under concurrent requests each insert carries many of them, so the shard writes
 * fewer, larger parts (ClickHouse's own advice: few large inserts) and spends less per row. Each caller's promise settles with the insert
 * that carried its rows: resolved once they are written and visible, rejected with that insert's error (nothing of a
 * failed insert is answered as stored; the callers' retries find what was written, as after any failed insert).
 *
 * @example
 * const groups = new InsertGroups();
 * await Promise.all([groups.insert(shard, "db.events_local", rowsA), groups.insert(shard, "db.events_local", rowsB)]);
 */
export class InsertGroups {
	readonly #maxRows: number;
	/** Per `shard NUL table`: the groups waiting their turn, oldest first, and whether an insert is on its way. */
	readonly #tables = new Map<string, { waiting: InsertGroup[]; busy: boolean }>();

	/** @param maxRows rows at most in one insert (a group is closed at that size; ClickHouse writes a block atomically). */
	constructor(maxRows = 200_000) {
		this.#maxRows = maxRows;
	}

	insert(shard: ClickHouseShard, table: string, rows: readonly object[], lingerMs = 0): Promise<void> {
		if (rows.length === 0) return Promise.resolve();
		const key = `${shard.index}\u0000${table}`;
		let state = this.#tables.get(key);
		if (!state) this.#tables.set(key, (state = { waiting: [], busy: false }));
		return new Promise<void>((resolve, reject) => {
			let group = state.waiting.at(-1);
			if (!group || group.rows.length + rows.length > this.#maxRows) {
				state.waiting.push((group = { rows: [], settle: [] }));
			}
			for (const row of rows) group.rows.push(row);
			group.settle.push({ resolve, reject });
			if (!state.busy) void this.#drain(shard, table, key, state, lingerMs);
		});
	}

	async #drain(
		shard: ClickHouseShard,
		table: string,
		key: string,
		state: { waiting: InsertGroup[]; busy: boolean },
		lingerMs: number,
	): Promise<void> {
		state.busy = true;
		try {
			if (lingerMs > 0) await new Promise((resolve) => setTimeout(resolve, lingerMs));
			for (let group = state.waiting.shift(); group; group = state.waiting.shift()) {
				try {
					await insertRows(shard, table, group.rows);
					for (const { resolve } of group.settle) resolve();
				} catch (error) {
					for (const { reject } of group.settle) reject(error);
				}
			}
		} finally {
			state.busy = false;
			this.#tables.delete(key);
		}
	}
}

interface InsertGroup {
	rows: object[];
	settle: { resolve: () => void; reject: (error: unknown) => void }[];
}

/** A ClickHouse string literal: backslashes and single quotes escaped (18.16 reads every other byte as is). */
export function sqlString(value: string): string {
	return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** An integer literal; refuses anything but a safe integer (no SQL from a number that is not one). */
export function sqlInt(value: number): string {
	if (!Number.isSafeInteger(value)) throw new TypeError(`not a safe integer: ${value}`);
	return String(value);
}

/** One column of a {@link sqlSet}: its ClickHouse type and values. */
export interface SqlSetColumn {
	type: "String" | "Int64";
	values: readonly (string | number)[];
}

/**
 * The right side of `IN` for many values: a subquery over array literals (several columns are zipped by ARRAY JOIN,
 * for a tuple on the left). ClickHouse 18.16 parses an array of literals in one step, where a parenthesized list costs
 * a syntax node and an evaluation per value: a lookup of 500 ids among 50 players took 5.1 ms of server CPU as lists
 * and 2.4 ms as arrays. The primary key still narrows the read by the set.
 *
 * @example
 * `user_id IN ${sqlSet([{ type: "Int64", values: players }])} AND id IN ${sqlSet([{ type: "String", values: ids }])}`
 */
export function sqlSet(columns: readonly SqlSetColumn[]): string {
	const arrays = columns.map((column) => {
		const literal =
			column.type === "String"
				? (v: string | number) => sqlString(String(v))
				: (v: string | number) => sqlInt(Number(v));
		return `CAST([${column.values.map(literal).join(",")}] AS Array(${column.type}))`;
	});
	if (arrays.length === 1) return `(SELECT arrayJoin(${arrays[0]}))`;
	const names = columns.map((_, i) => `v${i}`);
	return `(SELECT ${names.join(", ")} FROM (SELECT ${arrays.map((a, i) => `${a} AS a${i}`).join(", ")})
		ARRAY JOIN ${names.map((name, i) => `a${i} AS ${name}`).join(", ")})`;
}

/** The useful error inside a client failure (the client wraps socket errors). */
function unwrap(error: unknown): unknown {
	if (error instanceof AggregateError && error.errors.length > 0) return error.errors[0];
	return error;
}

/** Closes every shard's client. */
export async function closeShards(shards: readonly ClickHouseShard[]): Promise<void> {
	await Promise.all(shards.map((shard) => shard.client.close()));
}
