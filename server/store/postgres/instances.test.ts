// The PostgreSQL metadata engine with several instances on one database: N instances starting at once migrate once,
// a lease has one holder however many race for it, signing-key rotation adds one key, and a server that is down (at
// start, or restarted under a running instance) gives a clear error or is reconnected to.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { T0 } from "../../testing/fixtures.js";
import { freePort, serviceRequired, startPostgres, type PostgresService } from "../../testing/services.js";
import type { SigningKeyRecord } from "../types.js";
import { METADATA_COMPONENT, openPostgresMetadata, PostgresUnreachableError } from "./index.js";
import { METADATA_MIGRATIONS } from "./metadata-migrations.js";
import type { PostgresMetadataStore } from "./metadata-store.js";
import { runMigrations } from "./migrations.js";
import { openPool, transaction } from "./pool.js";

const signingKey = (kid: string, createdAt: number): SigningKeyRecord => ({
	kid,
	alg: "ES256",
	privateJwk: "{}",
	publicJwk: "{}",
	createdAt,
	retiredAt: null,
});

describe.skipIf(!serviceRequired("postgres"))("PostgreSQL metadata with several instances", () => {
	let server: PostgresService;
	let databases = 0;
	const opened: PostgresMetadataStore[] = [];

	async function database(): Promise<string> {
		return await server.createDatabase(`inst_${++databases}`);
	}

	/** `count` instances (stores with their own pools) on one fresh database. */
	async function instances(count: number): Promise<PostgresMetadataStore[]> {
		const url = await database();
		const stores = await Promise.all(Array.from({ length: count }, () => openPostgresMetadata({ url, poolSize: 12 })));
		opened.push(...stores);
		return stores;
	}

	beforeAll(async () => {
		server = await startPostgres();
	});
	afterAll(async () => {
		await Promise.all(opened.map((store) => store.close()));
		await server?.stop();
	});

	it("migrates once when 3 instances start at once", async () => {
		const url = await database();
		const pools = [0, 1, 2].map(() => openPool({ url }));
		try {
			const outcomes = await Promise.all(
				pools.map((pool) => runMigrations(pool, METADATA_COMPONENT, METADATA_MIGRATIONS)),
			);
			// Each step is applied once, by whichever instance got to it first.
			const versions = METADATA_MIGRATIONS.map((migration) => migration.version);
			expect(outcomes.flatMap((outcome) => outcome.applied).sort((a, b) => a - b)).toEqual(versions);
			const { rows } = await pools[0]!.query<{ component: string; version: number }>(
				"SELECT component, version FROM schema_versions ORDER BY component, version",
			);
			expect(rows).toEqual(versions.map((version) => ({ component: "metadata", version })));
			// And again, later: nothing to do.
			expect((await runMigrations(pools[1]!, METADATA_COMPONENT, METADATA_MIGRATIONS)).applied).toEqual([]);
		} finally {
			await Promise.all(pools.map((pool) => pool.end()));
		}
	});

	it("opens 3 stores at once on a new database, every component migrated once", async () => {
		const stores = await instances(3);
		const { rows } = await stores[0]!.pool.query<{ component: string; n: number }>(
			"SELECT component, count(*)::int AS n FROM schema_versions GROUP BY component ORDER BY component",
		);
		expect(rows.map((row) => row.component)).toEqual(["metadata", "predictions", "privacy"]);
		const applied = await stores[0]!.pool.query<{ n: number }>("SELECT count(*) AS n FROM schema_versions");
		expect(applied.rows[0]?.n).toBe(rows.reduce((sum, row) => sum + row.n, 0));
	});

	it("refuses a migration list that is not 1..n, and a database newer than the list", async () => {
		const url = await database();
		const pool = openPool({ url });
		try {
			await expect(runMigrations(pool, "x", [{ version: 2, name: "two", up: "SELECT 1" }])).rejects.toThrow(/1\.\.n/);
			await runMigrations(pool, "x", [
				{ version: 1, name: "one", up: "CREATE TABLE x1 (a int)" },
				{ version: 2, name: "two", up: "CREATE TABLE x2 (a int)" },
			]);
			await expect(
				runMigrations(pool, "x", [{ version: 1, name: "one", up: "CREATE TABLE x1 (a int)" }]),
			).rejects.toThrow(/newer than this build/);
			await expect(
				runMigrations(pool, "x", [
					{ version: 1, name: "uno", up: "SELECT 1" },
					{ version: 2, name: "two", up: "SELECT 1" },
				]),
			).rejects.toThrow(/"one" but this build has "uno"/);
		} finally {
			await pool.end();
		}
	});

	it("gives a lease to exactly one of 20 concurrent takers on 2 instances, then to the next once it expires", async () => {
		const [a, b] = await instances(2);
		const take = (now: number, until: number) =>
			Promise.all(
				Array.from({ length: 20 }, (_, i) => (i % 2 ? b! : a!).leases.acquire("rollups", `holder-${i}`, now, until)),
			);
		const first = await take(T0, T0 + 1000);
		expect(first.filter(Boolean)).toHaveLength(1);
		const winner = `holder-${first.indexOf(true)}`;
		expect(await a!.leases.holder("rollups", T0 + 999)).toBe(winner);
		expect(await b!.leases.holder("rollups", T0 + 1000)).toBeNull();

		// Still held: nobody else gets it; the holder renews.
		const during = await take(T0 + 999, T0 + 2000);
		expect(during.filter(Boolean)).toHaveLength(1);
		expect(during.indexOf(true)).toBe(first.indexOf(true));

		// Expired (held up to, not at, its until): exactly one new taker.
		const after = await take(T0 + 2000, T0 + 3000);
		expect(after.filter(Boolean)).toHaveLength(1);
		const next = `holder-${after.indexOf(true)}`;
		expect(await b!.leases.holder("rollups", T0 + 2500)).toBe(next);

		// Released by someone else: nothing happens; by its holder: free at once.
		await a!.leases.release("rollups", next === "holder-0" ? "holder-1" : "holder-0");
		expect(await a!.leases.holder("rollups", T0 + 2500)).toBe(next);
		await a!.leases.release("rollups", next);
		expect(await a!.leases.holder("rollups", T0 + 2500)).toBeNull();
		expect(await b!.leases.acquire("rollups", "late", T0 + 2500, T0 + 3000)).toBe(true);
		// Leases are independent by name.
		expect(await a!.leases.acquire("adaptive", "other", T0 + 2500, T0 + 3000)).toBe(true);
	});

	it("adds one signing key when 2 instances rotate at once", async () => {
		const [a, b] = await instances(2);
		await a!.addSigningKey(signingKey("k0", T0));
		for (let round = 1; round <= 10; round++) {
			const now = T0 + round * 1000;
			// Each instance rotates when the active key is older than 500 ms.
			const added = await Promise.all([
				a!.addSigningKey(signingKey(`a${round}`, now), { unlessActiveNewerThan: now - 500 }),
				b!.addSigningKey(signingKey(`b${round}`, now), { unlessActiveNewerThan: now - 500 }),
			]);
			expect(added.filter(Boolean)).toHaveLength(1);
		}
		const keys = await b!.listSigningKeys();
		expect(keys).toHaveLength(11);
		expect(keys.filter((key) => key.retiredAt === null)).toHaveLength(1);
		expect(keys[0]?.retiredAt).toBeNull();
	});

	it("runs a transaction again when the server aborts it as a deadlock", async () => {
		const url = await database();
		const pool = openPool({ url, poolSize: 4 });
		try {
			await pool.query("CREATE TABLE t (id int PRIMARY KEY, n int NOT NULL); INSERT INTO t VALUES (1, 0), (2, 0)");
			let runs = 0;
			const locked: Array<() => void> = [];
			const both = Promise.all([0, 1].map((i) => new Promise<void>((resolve) => (locked[i] = resolve))));
			// Each locks its first row, waits until the other has too, then wants the other's row: a deadlock, which
			// the server breaks by aborting one of them (40P01); that one runs again and both land.
			const work = (first: number, second: number, i: number) =>
				transaction(pool, async (client) => {
					runs++;
					await client.query("UPDATE t SET n = n + 1 WHERE id = $1", [first]);
					locked[i]!();
					await both;
					await client.query("UPDATE t SET n = n + 1 WHERE id = $1", [second]);
				});
			await Promise.all([work(1, 2, 0), work(2, 1, 1)]);
			expect(runs).toBe(3);
			const { rows } = await pool.query<{ n: number }>("SELECT n FROM t ORDER BY id");
			expect(rows.map((row) => row.n)).toEqual([2, 2]);
		} finally {
			await pool.end();
		}
	});

	it("rejects with host:port and the cause when the server cannot be reached", async () => {
		const port = await freePort();
		const error = await openPostgresMetadata({ url: `postgres://vantage@127.0.0.1:${port}/vantage` }).catch(
			(e: unknown) => e,
		);
		expect(error).toBeInstanceOf(PostgresUnreachableError);
		expect((error as Error).message).toBe(
			`cannot reach PostgreSQL at 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
		);
		// By host name, as a configuration usually names it.
		await expect(openPostgresMetadata({ url: `postgres://vantage@localhost:${port}/vantage` })).rejects.toThrow(
			new RegExp(`^cannot reach PostgreSQL at localhost:${port}: .*ECONNREFUSED`),
		);
		await expect(openPostgresMetadata({ url: "mysql://localhost/x" })).rejects.toThrow(/Not a PostgreSQL URL/);
	});

	it("reconnects after a PostgreSQL restart under a running instance", async () => {
		const [store] = await instances(1);
		await store!.createGame({ id: "g1", name: "Game", createdAt: T0 });
		// Several idle connections in the pool, all cut by the restart.
		await Promise.all(Array.from({ length: 6 }, () => store!.listGames()));
		await server.stopServer("fast");
		await expect(store!.getGame("g1")).rejects.toThrow();
		await server.startServer();
		expect(await store!.getGame("g1")).toEqual({ id: "g1", name: "Game", createdAt: T0 });
		await store!.ping();
	});
});
