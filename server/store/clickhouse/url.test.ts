import { describe, expect, it } from "vitest";
import { ClickHouseUrlError, parseClickHouseUrl, redactClickHouseUrl } from "./url.js";

describe("parseClickHouseUrl", () => {
	it("reads one host per shard, in order, the database, the cluster and the credentials", () => {
		expect(
			parseClickHouseUrl(
				"clickhouse://10.0.0.1:8123,ch-2.internal:8124/vantage?cluster=events&user=ingest&password=p%40ss",
			),
		).toEqual({
			hosts: [
				{ host: "10.0.0.1", port: 8123 },
				{ host: "ch-2.internal", port: 8124 },
			],
			database: "vantage",
			cluster: "events",
			user: "ingest",
			password: "p@ss",
		});
	});

	it("takes a single shard without a cluster, with the default user", () => {
		expect(parseClickHouseUrl("clickhouse://localhost:8123/events")).toEqual({
			hosts: [{ host: "localhost", port: 8123 }],
			database: "events",
			cluster: undefined,
			user: "default",
			password: "",
		});
	});

	it("takes the credentials as user:password@ before the hosts", () => {
		expect(parseClickHouseUrl("clickhouse://ingest:p%3Ass@a:1,b:2/db?cluster=c")).toMatchObject({
			hosts: [
				{ host: "a", port: 1 },
				{ host: "b", port: 2 },
			],
			user: "ingest",
			password: "p:ss",
		});
		expect(parseClickHouseUrl("clickhouse://ingest@a:1/db")).toMatchObject({ user: "ingest", password: "" });
	});

	it("accepts an IPv6 host in brackets", () => {
		expect(parseClickHouseUrl("clickhouse://[::1]:8123/db").hosts).toEqual([{ host: "[::1]", port: 8123 }]);
	});

	it.each([
		["postgres://h:1/db", /scheme "postgres:"/],
		["clickhouse:///db", /no host/],
		["clickhouse://h/db", /no port/],
		["clickhouse://h:0/db", /port 0/],
		["clickhouse://h:99999/db", /port 99999/],
		["clickhouse://h:1,h:1/db?cluster=c", /twice/],
		["clickhouse://h:1", /no database/],
		["clickhouse://h:1/", /no database/],
		["clickhouse://h:1/my-db", /database "my-db"/],
		["clickhouse://h:1,g:2/db", /no \?cluster/],
		["clickhouse://h:1/db?cluster=a;b", /cluster "a;b"/],
		["clickhouse://h:1/db?shards=2", /unknown parameter "shards"/],
		["clickhouse://h:1/db?user=a&user=b", /more than once/],
		["clickhouse://u:p@h:1/db?user=v", /credentials twice/],
		["clickhouse://:p@h:1/db", /user must not be empty/],
		["clickhouse://h:1/db#x", /fragment/],
		["clickhouse://h_1:1/db", /valid host name/],
		["not a url", /must look like/],
	])("refuses %s with a clear error", (url, message) => {
		expect(() => parseClickHouseUrl(url)).toThrow(ClickHouseUrlError);
		expect(() => parseClickHouseUrl(url)).toThrow(message);
	});

	it("never puts the password in an error", () => {
		expect(() => parseClickHouseUrl("clickhouse://h:1/db?password=secret&x=1")).toThrow(/^(?!.*secret)/s);
		expect(redactClickHouseUrl("clickhouse://h:1/db?user=u&password=secret")).toBe(
			"clickhouse://h:1/db?user=u&password=***",
		);
		expect(redactClickHouseUrl("clickhouse://u:secret@h:1,g:2/db")).toBe("clickhouse://u:***@h:1,g:2/db");
	});
});
