// The migration to the scale path on a real deployment: the example game played by the simulator for a few days against
// the embedded (SQLite) backend, then moved into PostgreSQL + two ClickHouse shards, interrupted half way and resumed.
// Nothing is lost or doubled (per-table counts, every event on the shard its sharding key picks), every metric and
// experiment's units agree between the SQLite and the ClickHouse warehouses, stored batch answers still replay, and
// the same master key opens the moved player vault.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { MasterKeys } from "../privacy/master-keys.js";
import { PLAYER_KEYS_FILE, PlayerKeyring } from "../privacy/player-keys.js";
import type { AsyncPlayerPseudonyms, PlayerPseudonyms } from "../privacy/pseudonyms.js";
import { startServer } from "../server.js";
import { openShardClients, queryRows } from "../store/clickhouse/client.js";
import { parseClickHouseUrl } from "../store/clickhouse/url.js";
import { DATABASE_FILE, openStores } from "../store/open-stores.js";
import { openPool } from "../store/postgres/pool.js";
import { openPostgresPlayerVault } from "../store/postgres/player-vault.js";
import { fetchAdminAuth, provisionAdmin, provisionGameKey } from "../testing/provision.js";
import {
	serviceRequired,
	startClickHouse,
	startPostgres,
	type ClickHouseService,
	type PostgresService,
} from "../testing/services.js";
import { runCli } from "./run-cli.js";
import { MigrationInterrupted, diff, migrateToScale, type MigrationReport } from "./migrate-to.js";

const GAME = "4242";
const DAY = 86_400_000;
const DAYS = 3;

interface SimulatorModule {
	runSimulation(options: Record<string, unknown>): Promise<{ sessions: number; players: number }>;
}
interface SetupModule {
	setupDemoExperiment(options: { url: string; gameId: string; adminAuth: string; startAt: number }): Promise<void>;
}

/** Fills a data directory the way a studio's does: the example game played for DAYS days, plus admin objects. */
async function fillDeployment(dataDir: string, masterKey: string): Promise<void> {
	// The simulator runs the SDK model (out/), built once per checkout.
	const { ensureSdkBuilt } = (await import(new URL("../../test/e2e/sdk-build.js", import.meta.url).href)) as {
		ensureSdkBuilt(): void;
	};
	ensureSdkBuilt();
	const server = await startServer(
		loadConfig({
			PORT: "0",
			HOST: "127.0.0.1",
			VANTAGE_DATA_DIR: dataDir,
			VANTAGE_MASTER_KEY: masterKey,
			// The simulated servers refresh tokens on a clock where days pass in seconds.
			VANTAGE_TOKEN_RATE_PER_MINUTE: "100000",
			VANTAGE_TOKEN_BURST: "100000",
		}),
		{ logger: createLogger({ level: "error" }) },
	);
	try {
		const gameKey = await provisionGameKey(dataDir, GAME);
		const owner = await fetchAdminAuth(server.url, await provisionAdmin(dataDir, "owner"));
		const call = async (method: string, path: string, body: unknown) => {
			const res = await fetch(`${server.url}${path}`, {
				method,
				headers: { Authorization: owner, "Content-Type": "application/json" },
				body: JSON.stringify(body),
			});
			if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
		};
		const now = Date.now();
		await call("PATCH", `/v1/admin/games/${GAME}/settings`, { trustClientClock: true });
		await call("POST", `/v1/admin/games/${GAME}/consent/policies`, { version: "1", summary: "We count plays." });
		await call("POST", `/v1/admin/games/${GAME}/flags`, { key: "banner" });
		await call("POST", `/v1/admin/games/${GAME}/layers`, { id: "main" });
		await call("POST", `/v1/admin/games/${GAME}/metric-library`, {
			role: "guardrail",
			definition: { key: "d1", type: "retention", day: 1 },
		});
		const setup = (await import(new URL("../../example/simulator/setup.js", import.meta.url).href)) as SetupModule;
		await setup.setupDemoExperiment({
			url: server.url,
			gameId: GAME,
			adminAuth: owner,
			startAt: now - (DAYS + 1) * DAY,
		});
		const simulator = (await import(
			new URL("../../example/simulator/index.js", import.meta.url).href
		)) as SimulatorModule;
		const report = await simulator.runSimulation({
			url: server.url,
			gameKey,
			gameId: GAME,
			players: 120,
			days: DAYS,
			seedHistory: true,
			live: false,
			now,
			servers: 1,
		});
		expect(report.sessions).toBeGreaterThan(DAYS * 50);
	} finally {
		await server.close();
	}
}

describe.skipIf(!serviceRequired("postgres") || !serviceRequired("clickhouse"))(
	"migrate --to PostgreSQL + ClickHouse",
	() => {
		let root: string;
		let dataDir: string;
		let postgres: PostgresService;
		let clickhouse: ClickHouseService;
		let metadataUrl: string;
		let eventsUrl: string;
		const masterKey = randomBytes(32).toString("base64");
		const masterKeys = () => new MasterKeys(Buffer.from(masterKey, "base64"), undefined);
		let sourceEvents: number;
		let sourceBatches: number;
		let interruptedAfter: number;
		let report: MigrationReport;
		/** The PostgreSQL database the CLI migrated into (ClickHouse: by_cli). */
		let cliMetadataUrl: string;

		beforeAll(async () => {
			root = mkdtempSync(join(tmpdir(), "vantage-migrate-"));
			dataDir = join(root, "data");
			// The services start while the simulator plays.
			const services = Promise.all([startPostgres(), startClickHouse({ shards: 2 })]);
			try {
				await fillDeployment(dataDir, masterKey);
			} finally {
				[postgres, clickhouse] = await services;
			}
			metadataUrl = await postgres.createDatabase("migrated");
			eventsUrl = clickhouse.eventsUrl("migrated");
			const db = new BetterSqlite3(join(dataDir, DATABASE_FILE), { readonly: true });
			sourceEvents = (db.prepare("SELECT count(*) AS n FROM events").get() as { n: number }).n;
			sourceBatches = (db.prepare("SELECT count(*) AS n FROM batches").get() as { n: number }).n;
			// The rows copied before the events: every metadata table of both files, the stored batch answers included (the
			// migration copies them first).
			const count = (from: BetterSqlite3.Database, table: string) =>
				(from.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
			const tables = (from: BetterSqlite3.Database) =>
				(
					from.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as {
						name: string;
					}[]
				)
					.map((r) => r.name)
					.filter((n) => !/^(events|ingest_log|schema_migrations|player_id_state|leases)$|^wh_/.test(n));
			const vaultDb = new BetterSqlite3(join(dataDir, PLAYER_KEYS_FILE), { readonly: true });
			const metadataRows =
				tables(db).reduce((n, t) => n + count(db, t), 0) + tables(vaultDb).reduce((n, t) => n + count(vaultDb, t), 0);
			vaultDb.close();
			db.close();
			expect(sourceEvents).toBeGreaterThan(2000);

			// A first run dies half way through the events (after inserting a chunk, before its checkpoint: a kill -9 there
			// is the worst moment), then the same command runs again.
			const options = { dataDir, metadataUrl, eventsUrl, masterKeys: masterKeys(), batchSize: 500 };
			await expect(
				migrateToScale({ ...options, interruptAfterRows: metadataRows + Math.floor(sourceEvents / 2) }),
			).rejects.toThrow(MigrationInterrupted);
			const ch = openShardClients(parseClickHouseUrl(eventsUrl));
			interruptedAfter = Number(
				(await queryRows<{ n: string }>(ch[0]!, "SELECT count() AS n FROM migrated.events"))[0]!.n,
			);
			await Promise.all(ch.map((s) => s.client.close()));
			report = await migrateToScale(options);
		}, 600_000);

		afterAll(async () => {
			await Promise.all([postgres?.stop(), clickhouse?.stop()]);
			if (root) rmSync(root, { recursive: true, force: true });
		}, 60_000);

		it("stopped part way through the events, then continued from its checkpoints", () => {
			expect(interruptedAfter).toBeGreaterThan(0);
			expect(interruptedAfter).toBeLessThan(sourceEvents);
			expect(report.resumed).toBe(true);
			// The second run wrote only what the first had not (the chunk inserted before the kill was skipped).
			expect(report.copied["events.events"]).toBe(sourceEvents - interruptedAfter);
		});

		it("copies every table with the same number of rows, events and stored answers once each", () => {
			const byTable = Object.fromEntries(report.counts.map((c) => [c.table, c]));
			for (const c of report.counts) expect(c.target, c.table).toBe(c.source);
			expect(byTable["events.events"]!.target).toBe(sourceEvents);
			expect(byTable["metadata.batches"]!.target).toBe(sourceBatches);
			for (const table of [
				"games",
				"api_keys",
				"admin_users",
				"signing_keys",
				"experiments",
				"flags",
				"metric_definitions",
				"experiment_layers",
				"consent_policies",
				"audit_log",
				"player_keys",
			]) {
				expect(byTable[`metadata.${table}`]?.source, table).toBeGreaterThan(0);
			}
		});

		it("finds every metric and every experiment's units equal on SQLite and ClickHouse", () => {
			expect(report.differences).toEqual([]);
			// Per game: 7 metrics + event counts + experiment units; and the audit chain.
			expect(report.comparisons).toBeGreaterThanOrEqual(10);
			expect(report.ok).toBe(true);
		});

		it("puts every event on the shard its sharding key picks", async () => {
			const shards = openShardClients(parseClickHouseUrl(eventsUrl));
			try {
				let total = 0;
				for (const shard of shards) {
					const [row] = await queryRows<{ n: string; wrong: string }>(
						shard,
						`SELECT count() AS n, countIf(cityHash64(game_id, user_id) % 2 != ${shard.index}) AS wrong FROM migrated.events_local`,
					);
					expect(Number(row!.wrong)).toBe(0);
					expect(Number(row!.n)).toBeGreaterThan(0);
					total += Number(row!.n);
				}
				expect(total).toBe(sourceEvents);
			} finally {
				await Promise.all(shards.map((s) => s.client.close()));
			}
		});

		it("answers a retried batch from its stored answer, and opens the moved vault with the same master key", async () => {
			const db = new BetterSqlite3(join(dataDir, DATABASE_FILE), { readonly: true });
			const batch = db.prepare("SELECT batch_id AS batchId FROM batches WHERE game_id = ? LIMIT 1").get(GAME) as {
				batchId: string;
			};
			const sample = db
				.prepare("SELECT id, user_id AS pseudonym FROM events WHERE game_id = ? AND user_id <> 0 ORDER BY id LIMIT 20")
				.all(GAME) as { id: string; pseudonym: number }[];
			db.close();
			const keyring = PlayerKeyring.open({ path: join(dataDir, PLAYER_KEYS_FILE), masterKey: masterKeys().current });
			const pool = openPool({ url: metadataUrl, poolSize: 2 });
			const vault = await openPostgresPlayerVault({ pool, masterKey: masterKeys() });
			const store = await openStores(
				{ dataDir: join(root, "instance"), metadataUrl, eventsUrl, masterKey: masterKeys().current },
				{ players: vault as AsyncPlayerPseudonyms as PlayerPseudonyms },
			);
			try {
				for (const { pseudonym } of sample) {
					expect(await vault.userIdOf(GAME, pseudonym)).toBe(keyring.userIdOf(GAME, pseudonym));
				}
				const replay = await store.ingestBatch(
					GAME,
					{
						batchId: batch.batchId,
						sentAt: Date.now(),
						events: [
							{
								id: "ZZZZZZZZZZretry00001",
								time: Date.now(),
								userId: 0,
								sessionId: "",
								type: "custom",
								name: "x",
								props: {},
							},
						],
						rejected: [],
					},
					Date.now(),
				);
				expect(replay.replayed).toBe(true);
				expect(await store.listEvents({ gameId: GAME, after: "ZZZZZZZZZZ", limit: 10 })).toEqual([]);
			} finally {
				await store.close();
				await pool.end();
				keyring.close();
			}
		});

		it("runs as `npm run vantage -- migrate --to <postgres> <clickhouse>` and prints the verdict", async () => {
			const out: string[] = [];
			const err: string[] = [];
			const io = {
				env: { VANTAGE_DATA_DIR: dataDir, VANTAGE_MASTER_KEY: masterKey },
				stdout: { write: (t: string) => out.push(t) },
				stderr: { write: (t: string) => err.push(t) },
				readStdin: async () => "",
				runDir: join(root, "run"),
			};
			const target = await postgres.createDatabase("by_cli");
			cliMetadataUrl = target;
			const code = await runCli(["migrate", "--to", clickhouse.eventsUrl("by_cli"), target], io);
			expect(err.join("")).toBe("");
			expect(code).toBe(0);
			const text = out.join("");
			expect(text).toMatch(/metadata\.audit_log\s+\d+\s+\d+/);
			expect(text).toContain("all equal");
			expect(text).toContain("Migration verified.");
			// Into ClickHouse databases that already hold events: refused, nothing merged.
			const fresh = await postgres.createDatabase("fresh");
			expect(await runCli(["migrate", "--to", fresh, clickhouse.eventsUrl("migrated")], io)).toBe(1);
			expect(err.join("")).toMatch(/The target is not empty \(events \(ClickHouse\) have rows\)/);
			// Usage: two URLs of the two kinds.
			expect(await runCli(["migrate", "--to", target], io)).toBe(2);
		}, 300_000);

		it("fails the verification of a target that differs from the source, naming the table and the metric", async () => {
			// An event the source never had, on the shard its player's events live on.
			const shards = openShardClients(parseClickHouseUrl(clickhouse.eventsUrl("by_cli")));
			try {
				const [player] = await queryRows<{ user_id: string; s: string }>(
					shards[0]!,
					`SELECT user_id, cityHash64(game_id, user_id) % 2 AS s FROM by_cli.events
					WHERE game_id = '${GAME}' AND user_id != 0 LIMIT 1`,
				);
				const [first] = await queryRows<{ t: string }>(shards[0]!, "SELECT min(time) AS t FROM by_cli.events");
				await shards[Number(player!.s)]!.client.insert({
					table: "by_cli.events_local",
					format: "JSONEachRow",
					values: [
						{
							game_id: GAME,
							id: "0000000000extra00001",
							batch_id: "extra",
							user_id: Number(player!.user_id),
							session_id: "extra",
							type: "custom",
							name: "not_in_the_source",
							time: Number(first!.t),
							received_at: Number(first!.t),
							props: "{}",
						},
					],
				});
			} finally {
				await Promise.all(shards.map((s) => s.client.close()));
			}
			const again = await migrateToScale({
				dataDir,
				metadataUrl: cliMetadataUrl,
				eventsUrl: clickhouse.eventsUrl("by_cli"),
				masterKeys: masterKeys(),
			});
			expect(again.ok).toBe(false);
			expect(again.counts.find((c) => c.table === "events.events")).toEqual({
				table: "events.events",
				source: sourceEvents,
				target: sourceEvents + 1,
			});
			expect(again.differences.map((d) => d.what)).toContain("event counts");
		}, 300_000);
	},
);

describe("diff (the verification's comparison)", () => {
	it("names the path of each difference and tolerates only floating-point noise", () => {
		expect(diff({ a: [1, 2, { b: 0.1 + 0.2 }] }, { a: [1, 2, { b: 0.3 }] }, "")).toEqual([]);
		expect(diff({ a: [1, 2, { b: 3 }] }, { a: [1, 5, { b: 3 }] }, "")).toEqual([
			{ path: "a[1]", source: 2, target: 5 },
		]);
		expect(diff({ a: [1] }, { a: [1, 2] }, "")).toEqual([{ path: "a.length", source: 1, target: 2 }]);
		expect(diff({ x: null }, { x: 0 }, "")).toEqual([{ path: "x", source: null, target: 0 }]);
	});
});
