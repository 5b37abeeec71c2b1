// Connections to the PostgreSQL metadata engine (the scale path, issue 16): a `pg` pool opened from a postgres://
// URL, the transaction helper every multi-statement write goes through, and the readiness probe. Shared by the
// metadata core (metadata-store.ts) and the privacy half (privacy-store.ts, consent-store.ts, player-vault.ts).
import pg from "pg";

/** How to reach PostgreSQL. */
export interface PgPoolOptions {
	/** `postgres://user:password@host:port/database` (or `postgresql://…`). */
	url: string;
	/**
	 * Connections per instance. Metadata queries are short (a key lookup, a small list), so a few connections serve
	 * many concurrent requests; N instances × poolSize must stay under the server's max_connections. @default 10
	 */
	poolSize?: number;
	/** The server cancels any statement running longer than this (a stuck query must not hold a connection). @default 30000 */
	statementTimeoutMs?: number;
	/** How long to wait for a connection to the server before failing. @default 10000 */
	connectTimeoutMs?: number;
	/** Told of errors of idle connections (a server restart drops them; the pool reconnects on the next query). */
	onIdleError?: (error: Error) => void;
}

/** The OID of int8 (bigint): unix ms and counts. */
const INT8_OID = 20;

/**
 * bigint columns come back as JS numbers (pg gives strings by default, since int8 can exceed 2^53): every value we
 * store as bigint is a unix ms time, a count or a pseudonym, all far below 2^53. A value that is not a safe integer
 * throws rather than silently losing digits.
 */
function parseInt8(text: string): number {
	const value = Number(text);
	if (!Number.isSafeInteger(value)) throw new RangeError(`bigint ${text} does not fit a JS number exactly`);
	return value;
}

/**
 * Per-pool type parsers (not pg's global registry, which other pg users in the process would share): int8 → number,
 * everything else pg's default.
 */
const TYPES: pg.CustomTypesConfig = {
	getTypeParser: ((oid: number, format?: "text" | "binary") =>
		oid === INT8_OID && format !== "binary"
			? parseInt8
			: pg.types.getTypeParser(oid, format as "text")) as pg.CustomTypesConfig["getTypeParser"],
};

/** Where a postgres:// URL points, as `host:port` (for messages: never the password). */
export function postgresTarget(url: string): string {
	const parsed = parsePostgresUrl(url);
	return `${parsed.hostname || "localhost"}:${parsed.port || "5432"}`;
}

function parsePostgresUrl(url: string): URL {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		throw new Error(`Not a PostgreSQL URL: expected postgres://user@host:port/database`);
	}
	if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
		throw new Error(`Not a PostgreSQL URL (scheme "${parsed.protocol}"): expected postgres://user@host:port/database`);
	}
	return parsed;
}

/**
 * Opens a pool (no connection is made until the first query; {@link ping} checks the server is there).
 *
 * @example
 * const pool = openPool({ url: "postgres://vantage@127.0.0.1:5432/vantage" });
 * await ping(pool);
 */
export function openPool(options: PgPoolOptions): pg.Pool {
	parsePostgresUrl(options.url);
	const pool = new pg.Pool({
		connectionString: options.url,
		max: options.poolSize ?? 10,
		statement_timeout: options.statementTimeoutMs ?? 30_000,
		connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
		idleTimeoutMillis: 30_000,
		application_name: "vantage",
		keepAlive: true,
		types: TYPES,
	});
	// An idle connection dropped by the server (restart, failover) emits 'error' on the pool; unhandled, that would
	// crash the process. The pool discards the connection and makes a new one on demand.
	pool.on("error", (error) => options.onIdleError?.(error));
	return pool;
}

/** Resolves if the server answers a query; rejects with the driver's error otherwise. */
export async function ping(pool: pg.Pool): Promise<void> {
	await pool.query("SELECT 1");
}

/** SQLSTATEs after which the whole transaction can simply run again: serialization failure and deadlock. */
const RETRYABLE = new Set(["40001", "40P01"]);

/** A PostgreSQL error's SQLSTATE, if it has one. */
export function sqlState(error: unknown): string | undefined {
	const code = (error as { code?: unknown } | null)?.code;
	return typeof code === "string" ? code : undefined;
}

export interface TransactionOptions {
	/** @default "read committed" (PostgreSQL's default); "serializable" for read-decide-write without row locks */
	isolation?: "read committed" | "repeatable read" | "serializable";
	/** Attempts in all when the server aborts the transaction as a serialization failure or deadlock. @default 8 */
	attempts?: number;
}

/**
 * Runs `work` in one transaction on one connection: commits what it returns, rolls back what it throws. When the
 * server aborts it with a serialization failure (40001) or a deadlock (40P01), `work` runs again from the start
 * after a short random pause, so `work` must do nothing outside the database that it cannot repeat.
 *
 * @example
 * const added = await transaction(pool, async (client) => {
 * 	await client.query("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE");
 * 	...
 * 	return true;
 * });
 */
export async function transaction<T>(
	pool: pg.Pool,
	work: (client: pg.PoolClient) => Promise<T>,
	options: TransactionOptions = {},
): Promise<T> {
	const attempts = options.attempts ?? 8;
	const begin = `BEGIN ISOLATION LEVEL ${(options.isolation ?? "read committed").toUpperCase()}`;
	for (let attempt = 1; ; attempt++) {
		const client = await pool.connect();
		let broken: Error | undefined;
		try {
			await client.query(begin);
			const result = await work(client);
			await client.query("COMMIT");
			return result;
		} catch (error) {
			try {
				await client.query("ROLLBACK");
			} catch (rollbackError) {
				// The connection is gone or unusable: it goes back to the pool destroyed, not reused.
				broken = rollbackError as Error;
			}
			if (attempt >= attempts || !RETRYABLE.has(sqlState(error) ?? "")) throw error;
		} finally {
			client.release(broken);
		}
		// Jittered backoff (1–3 ms, doubling up to 32–96 ms), so transactions that collided do not collide again in step.
		const base = 2 ** Math.min(attempt, 6);
		await new Promise((resolve) => setTimeout(resolve, base / 2 + Math.random() * base));
	}
}

/**
 * Runs one statement (its own transaction), again after a serialization failure or a deadlock, as {@link transaction}
 * runs a block: for writes that fit in one statement (data-modifying CTEs), which save the BEGIN and COMMIT round trips.
 * `name`: a statement run for every batch is prepared once per connection (see {@link named}).
 */
export async function statement<R extends pg.QueryResultRow>(
	pool: pg.Pool,
	sql: string,
	values: readonly unknown[],
	name?: string,
	attempts = 8,
): Promise<pg.QueryResult<R>> {
	for (let attempt = 1; ; attempt++) {
		try {
			return await pool.query<R>(name ? named(name, sql, values) : { text: sql, values: values as unknown[] });
		} catch (error) {
			if (attempt >= attempts || !RETRYABLE.has(sqlState(error) ?? "")) throw error;
		}
		const base = 2 ** Math.min(attempt, 6);
		await new Promise((resolve) => setTimeout(resolve, base / 2 + Math.random() * base));
	}
}

/**
 * A statement prepared once per connection under `name` and then only executed: PostgreSQL parses and plans an
 * unnamed statement every time, which for the CTEs run per ingested batch (the claim with its players' heads, the
 * answer, consent records) cost more than running them. Measured: claim and answer of a 50-player batch, 1.04 → 0.38 ms
 * of server CPU. One name, one text: the texts must not vary (values go in `values`).
 */
export function named(name: string, text: string, values: readonly unknown[]): pg.QueryConfig {
	return { name, text, values: values as unknown[] };
}

/**
 * Takes a transaction-scoped advisory lock on `name` (released at COMMIT or ROLLBACK): serializes work on one
 * logical thing (a game's settings, a metric key) across every instance, including its first row's creation,
 * which row locks cannot cover.
 */
export async function advisoryXactLock(client: pg.PoolClient, name: string): Promise<void> {
	await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [name]);
}
