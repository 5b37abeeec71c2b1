import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceRequired } from "../../testing/services.js";
import { sharedClickHouseEventsUrl } from "../../testing/shared-services.js";
import {
	closeShards,
	encodeRows,
	command,
	InsertGroups,
	openShardClients,
	queryRows,
	sqlSet,
	type ClickHouseShard,
} from "./client.js";
import { parseClickHouseUrl } from "./url.js";

describe.skipIf(!serviceRequired("clickhouse"))("InsertGroups (group commit)", () => {
	let shard: ClickHouseShard;
	let table: string;
	/** The inserts the shard's client was asked for, with their row counts. */
	const inserts: number[] = [];

	beforeAll(async () => {
		const target = parseClickHouseUrl(sharedClickHouseEventsUrl("groups", { shards: 1 }));
		shard = openShardClients(target)[0]!;
		await command(shard, `CREATE DATABASE IF NOT EXISTS ${target.database}`);
		table = `${target.database}.rows`;
		await command(shard, `CREATE TABLE ${table} (k String, n Int64) ENGINE = MergeTree ORDER BY k`);
		// Counts the inserts (their JSONEachRow lines) on their way to the real server (rows are still written by it).
		const exec = shard.client.exec.bind(shard.client);
		shard.client.exec = (async (params: Parameters<typeof exec>[0] & { values?: Readable }) => {
			if (!params.values) return exec(params);
			const chunks: Buffer[] = [];
			for await (const chunk of params.values) chunks.push(Buffer.from(chunk as Buffer));
			const body = Buffer.concat(chunks);
			inserts.push(body.toString("utf8").split("\n").length - 1);
			return exec({ ...params, values: Readable.from([body]) });
		}) as typeof shard.client.exec;
	});
	afterAll(async () => {
		if (shard) await closeShards([shard]);
	});

	it("inserts at once when idle, and carries the rows of requests made meanwhile in one next insert", async () => {
		inserts.length = 0;
		const groups = new InsertGroups();
		const row = (k: string, n: number) => ({ k, n });
		const first = groups.insert(shard, table, [row("a", 1)]);
		// Made while the first insert is on its way: one group.
		const more = Array.from({ length: 20 }, (_, i) => groups.insert(shard, table, [row(`b${i}`, i), row(`c${i}`, i)]));
		await Promise.all([first, ...more]);
		expect(inserts).toEqual([1, 40]);
		const [count] = await queryRows<{ n: string }>(shard, `SELECT count() AS n FROM ${table}`);
		expect(Number(count!.n)).toBe(41);
	});

	it("lingers when asked: rows handed over during the linger go in the first insert", async () => {
		inserts.length = 0;
		const groups = new InsertGroups();
		// A mark of this run's rows (the table is shared with earlier runs).
		const mark = Date.now();
		const row = (k: string) => ({ k, n: mark });
		const first = groups.insert(shard, table, [row("l1")], 50);
		await new Promise((resolve) => setTimeout(resolve, 20));
		const second = groups.insert(shard, table, [row("l2"), row("l3")]);
		await Promise.all([first, second]);
		expect(inserts).toEqual([3]);
		// Without a linger, a request made after the insert left goes in an insert of its own.
		const third = groups.insert(shard, table, [row("l4")]);
		await new Promise((resolve) => setTimeout(resolve, 20));
		await Promise.all([third, groups.insert(shard, table, [row("l5")])]);
		expect(inserts.length).toBeGreaterThanOrEqual(2);
		const [count] = await queryRows<{ c: string }>(shard, `SELECT count() AS c FROM ${table} WHERE n = ${mark}`);
		expect(Number(count!.c)).toBe(5);
	});

	it("closes a group at maxRows, and a failed insert rejects only the requests it carried", async () => {
		inserts.length = 0;
		const groups = new InsertGroups(5);
		const ok = (k: string) => ({ k, n: 1 });
		const first = groups.insert(shard, table, [ok("d")]);
		const a = groups.insert(shard, table, [ok("e"), ok("f"), ok("g")]);
		// A row the server refuses (n is not a number): 3 more rows would pass 5, so its group is new: [x, x2, x3, h].
		const bad = groups.insert(shard, table, [{ k: "x", n: "not a number" }, ok("x2"), ok("x3")]);
		const b = groups.insert(shard, table, [ok("h")]);
		const results = await Promise.allSettled([first, a, bad, b]);
		expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "rejected"]);
		expect(inserts).toEqual([1, 3, 4]);
		const after = groups.insert(shard, table, [ok("i")]);
		await after;
		const keys = await queryRows<{ k: string }>(
			shard,
			`SELECT k FROM ${table} WHERE k IN ('d','e','f','g','h','i','x','x2','x3') ORDER BY k`,
		);
		expect(keys.map((r) => r.k)).toEqual(["d", "e", "f", "g", "i"]);
	});
});

describe.skipIf(!serviceRequired("clickhouse"))("sqlSet (IN over array literals)", () => {
	let shard: ClickHouseShard;
	let table: string;

	beforeAll(async () => {
		const target = parseClickHouseUrl(sharedClickHouseEventsUrl("sets", { shards: 1 }));
		shard = openShardClients(target)[0]!;
		await command(shard, `CREATE DATABASE IF NOT EXISTS ${target.database}`);
		table = `${target.database}.keyed`;
		await command(shard, `DROP TABLE IF EXISTS ${table}`);
		await command(shard, `CREATE TABLE ${table} (g String, u Int64, id String) ENGINE = MergeTree ORDER BY (g, u, id)`);
		await shard.client.insert({
			table,
			values: [
				{ g: "a", u: -9_007_199_254_740_991, id: "it's" },
				{ g: "a", u: 7, id: "back\\slash" },
				{ g: "a", u: 7, id: "x" },
				{ g: "b", u: 7, id: "x" },
			],
			format: "JSONEachRow",
		});
	});
	afterAll(async () => {
		if (shard) await closeShards([shard]);
	});

	it("matches strings with quotes and backslashes, any Int64, and zipped tuples; an empty set matches nothing", async () => {
		const ids = async (where: string) =>
			(await queryRows<{ id: string }>(shard, `SELECT id FROM ${table} WHERE ${where} ORDER BY g, u, id`)).map(
				(row) => row.id,
			);
		expect(await ids(`id IN ${sqlSet([{ type: "String", values: ["it's", "back\\slash", "nope"] }])}`)).toEqual([
			"it's",
			"back\\slash",
		]);
		expect(await ids(`u IN ${sqlSet([{ type: "Int64", values: [-9_007_199_254_740_991] }])}`)).toEqual(["it's"]);
		const tuples = sqlSet([
			{ type: "String", values: ["a", "b"] },
			{ type: "Int64", values: [7, 8] },
			{ type: "String", values: ["x", "x"] },
		]);
		// ("a", 7, "x") only: ("b", 8, "x") is not a row, and ("b", 7, "x") not in the set.
		expect(await ids(`(g, u, id) IN ${tuples}`)).toEqual(["x"]);
		expect(await ids(`id IN ${sqlSet([{ type: "String", values: [] }])}`)).toEqual([]);
		expect(await ids(`id NOT IN ${sqlSet([{ type: "String", values: [] }])}`)).toHaveLength(4);
	});
});

describe("encodeRows", () => {
	it("gives the rows' JSONEachRow lines, in slices that let other work of the process run", async () => {
		const rows = Array.from({ length: 200_000 }, (_, i) => ({ game_id: "g", n: i, s: `quote " and \\ ${i}` }));
		let ran = false;
		setImmediate(() => (ran = true));
		const encoded = await encodeRows(rows).then((chunks) => ({ chunks, ranMeanwhile: ran }));
		expect(encoded.ranMeanwhile).toBe(true);
		expect(encoded.chunks.join("")).toBe(rows.map((row) => `${JSON.stringify(row)}\n`).join(""));
		expect(await encodeRows([])).toEqual([]);
	});
});
