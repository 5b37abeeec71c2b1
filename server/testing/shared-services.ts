// The database servers one test run shares: test/global-services.ts (vitest's globalSetup) starts PostgreSQL, two
// ClickHouse shards and Redis once for the whole run, and test files reach them here. Each test takes a database of
// its own (PostgreSQL: a new database; ClickHouse: a new database name), so files and tests stay apart. Tests that
// kill or restart a server (the fault suite) start their own with server/testing/services.ts instead.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { inject } from "vitest";

declare module "vitest" {
	export interface ProvidedContext {
		/** `postgres://vantage@127.0.0.1:<port>/vantage`, or "" when PostgreSQL is not installed. */
		sharedPostgresUrl: string;
		/** The shards' HTTP URLs in cluster order (empty when ClickHouse is not installed). */
		sharedClickHouseShards: string[];
		sharedClickHouseCluster: string;
		/** `redis://127.0.0.1:<port>`, or "". */
		sharedRedisUrl: string;
	}
}

/** A unique lower-case name for a test's own database. */
export function uniqueDatabaseName(prefix: string): string {
	return `${prefix}_${randomBytes(6).toString("hex")}`;
}

/**
 * A new empty PostgreSQL database on the run's shared server; its URL.
 *
 * @example
 * const url = await sharedPostgresDatabase("contract");
 */
export async function sharedPostgresDatabase(prefix = "t"): Promise<string> {
	const base = inject("sharedPostgresUrl");
	if (!base) throw new Error("PostgreSQL is not installed (apt-get install postgresql; .ci/run does it).");
	const url = new URL(base);
	const name = uniqueDatabaseName(prefix);
	const r = spawnSync(
		"/usr/bin/psql",
		["-h", url.hostname, "-p", url.port, "-U", url.username, "-d", "postgres", "-c", `CREATE DATABASE ${name}`],
		{ encoding: "utf8" },
	);
	if (r.status !== 0) throw new Error(`CREATE DATABASE failed: ${r.stderr}`);
	url.pathname = `/${name}`;
	return url.toString();
}

/**
 * A VANTAGE_EVENTS_URL for a new database (created by the event store on open) on the run's shared ClickHouse shards:
 * both shards with the cluster, or only the first (`shards: 1`, no cluster: plain MergeTree tables).
 *
 * @example
 * const url = sharedClickHouseEventsUrl("events");
 */
export function sharedClickHouseEventsUrl(prefix = "t", options: { shards?: 1 | 2 } = {}): string {
	const shards = inject("sharedClickHouseShards");
	if (shards.length === 0)
		throw new Error("ClickHouse is not installed (apt-get install clickhouse-server; .ci/run does it).");
	const name = uniqueDatabaseName(prefix);
	const hosts = shards.map((s) => new URL(s).host);
	if (options.shards === 1) return `clickhouse://${hosts[0]}/${name}`;
	return `clickhouse://${hosts.join(",")}/${name}?cluster=${inject("sharedClickHouseCluster")}`;
}

/** The run's shared Redis URL. */
export function sharedRedisUrl(): string {
	const url = inject("sharedRedisUrl");
	if (!url) throw new Error("Redis is not installed (apt-get install redis-server; .ci/run does it).");
	return url;
}
