import { describe, expect, it } from "vitest";
import pg from "pg";
import { createClient } from "@clickhouse/client";
import { serviceRequired } from "./services.js";
import { sharedClickHouseEventsUrl, sharedPostgresDatabase } from "./shared-services.js";

describe.skipIf(!serviceRequired("postgres") || !serviceRequired("clickhouse"))("the run's shared services", () => {
	it("gives each caller a database of its own on PostgreSQL", async () => {
		const a = await sharedPostgresDatabase("a");
		const b = await sharedPostgresDatabase("a");
		expect(a).not.toBe(b);
		const client = new pg.Client({ connectionString: a });
		await client.connect();
		const { rows } = await client.query<{ db: string }>("SELECT current_database() AS db");
		await client.end();
		expect(a.endsWith(`/${rows[0]!.db}`)).toBe(true);
	});

	it("names both ClickHouse shards and the cluster they form", async () => {
		const url = sharedClickHouseEventsUrl("x");
		const match = /^clickhouse:\/\/([^/]+)\/(x_[0-9a-f]{12})\?cluster=(\w+)$/.exec(url);
		expect(match).not.toBeNull();
		const hosts = match![1]!.split(",");
		expect(hosts).toHaveLength(2);
		const client = createClient({ url: `http://${hosts[0]}` });
		const result = await client.query({
			// ClickHouse 18.16 has no query parameters; the name matched \w+ above.
			query: `SELECT count() AS shards FROM system.clusters WHERE cluster = '${match![3]}'`,
			format: "JSONEachRow",
		});
		const [row] = await result.json<{ shards: string }>();
		await client.close();
		expect(Number(row!.shards)).toBe(2);
		expect(sharedClickHouseEventsUrl("x", { shards: 1 })).not.toContain(",");
	});
});
