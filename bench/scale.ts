// The scale path (issue 16) measured: ingest events/s through the full HTTP path (a real backend process, gzip batches
// the way the SDK sends them, the client of bench/ingest.ts) on each engine, next to the raw @clickhouse/client insert
// ceiling for the same rows in the same run; the CPU a backend instance spends per event; and the metric queries of
// bench/metrics.ts on ClickHouse over a generated game of 10M events.
//
//   npm run bench -- scale [--engines sqlite,clickhouse1,clickhouse2|none] [--rounds 8] [--batches 128] [--clients 16]
//                          [--ceiling-clients 4,16] [--events 500] [--servers 64] [--players-per-server 50]
//                          [--metrics-events 10000000] [--metrics-rounds 3] [--metrics-shards 2]
//
// Engines: `sqlite` (the embedded default), `clickhouse1` (PostgreSQL metadata + one ClickHouse server, plain
// MergeTree tables), `clickhouse2` (PostgreSQL + two ClickHouse shards, Distributed tables). Each engine gets its own
// fresh services and backend process, one after another, so they do not share the machine. Round 0 is a warm-up.
// The ceiling inserts each batch's rows as JSONEachRow straight into `events_local` (a table of the same schema in a
// database of its own on the same servers), each row on the shard the sharding key cityHash64(game_id, user_id) picks
// (on two shards a batch is two inserts, as in the product), with as many batches at a time as the HTTP run has
// clients and with each of `--ceiling-clients` (each into a database of its own, one after another): the round's
// ceiling is the best of them, what ClickHouse takes from one client process doing nothing else. After each HTTP
// round the bench waits for the backend to go idle (its rollup job folds the round): the backend's and ClickHouse's
// CPU per event include that work, and the ceiling runs next to an idle backend.
// Both sides run at saturation: 16 batches in flight (a game at scale has hundreds of servers posting at once, each
// one batch at a time), 128 batches a round (8 per client, so the round's ramp-up and tail are small), from 64 game
// servers (no server has two batches in flight, as the SDK never does). With 4 clients the HTTP path is bound by one
// batch's latency (two PostgreSQL commits, the insert linger and the insert), not by what an instance can take, and
// the comparison would measure latency against a ceiling that is not: `--clients 4 --batches 48 --servers 16` gives
// the earlier figures of docs/scale.md.
// `--metrics-events 0` skips the metric queries (they take minutes at 10M: the events go through the event store's
// real ingest, 10,000 per batch).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from "@clickhouse/client";
import type { IngestEvent } from "../server/ingest/schema.js";
import type { AsyncPlayerPseudonyms, PlayerPseudonyms } from "../server/privacy/pseudonyms.js";
import { spawnServer, type ChildServer } from "../server/testing/child-server.js";
import { fetchGameAuth } from "../server/testing/provision.js";
import {
	startClickHouse,
	startPostgres,
	type ClickHouseService,
	type PostgresService,
} from "../server/testing/services.js";
import { mulberry32 as prng } from "../server/stats/prng.js";
import { base32, median, percentile, postRound, realisticEvents, type Round } from "./ingest.js";
import { EVENTS_GRANULARITY } from "../server/store/clickhouse/schema.js";
import { generate, GENERATED_NOW, GENERATED_START, QUERIES } from "./metrics.js";

const ROOT = join(import.meta.dirname, "..");
const ENGINES = ["sqlite", "clickhouse1", "clickhouse2"] as const;
type Engine = (typeof ENGINES)[number];

/** The columns of `events_local` (server/store/clickhouse schema), for the ceiling's own table. */
const RAW_EVENTS_DDL = (database: string) => `
	CREATE TABLE IF NOT EXISTS ${database}.events_local (
		game_id String, id String, batch_id String, user_id Int64, session_id String, type String, name String,
		time Int64, received_at Int64, props String
	) ENGINE = ReplacingMergeTree ORDER BY (game_id, user_id, id) PARTITION BY toYYYYMM(toDate(intDiv(time, 1000)))
	SETTINGS index_granularity = ${EVENTS_GRANULARITY}`;

interface EngineResult {
	engine: Engine;
	/** Median events/s through HTTP. */
	rate: number;
	p50: number;
	p99: number;
	/** Median CPU ms the backend process spent per 1,000 events. */
	cpuMsPer1000: number;
	/** Median raw insert ceiling (rows/s): each round's best over the ceiling's concurrencies; ClickHouse engines only. */
	ceiling?: number;
	/** How many rounds' ceilings each concurrency gave (batches in flight → rounds it was the best). */
	ceilingBest?: Map<number, number>;
	/** Median of each round's own ratio (its HTTP rate over the ceiling measured right after it). */
	roundRatio?: number;
	/** Median CPU ms the ClickHouse servers spent per 1,000 events: through HTTP, and in the ceiling's inserts. */
	clickhouseCpu?: { http: number; ceiling: number };
	/** Median CPU ms PostgreSQL (metadata, batch ledger, player vault) spent per 1,000 events through HTTP. */
	postgresCpu?: number;
	/** Active parts of the engine's events_local per shard after the run (many small inserts make many parts). */
	parts?: number[];
	error?: string;
}

/** User + system CPU time of a process so far, in ms (Linux /proc; every thread of the process counts). */
function processCpuMs(pid: number): number {
	const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
	// Fields after the command name (which may hold spaces) start after the last ")"; utime and stime are 14 and 15.
	const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
	const ticks = Number(fields[11]) + Number(fields[12]);
	return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

/** CPU ms so far of the processes whose command line holds `marker` (a deployment's ClickHouse servers). */
function processesCpuMs(marker: string): number {
	let total = 0;
	for (const entry of readdirSync("/proc")) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(marker)) total += processCpuMs(Number(entry));
		} catch {
			// The process ended meanwhile.
		}
	}
	return total;
}

/** CPU ms so far of a PostgreSQL server: the postmaster (its pid heads `postmaster.pid`) and its children. */
function postgresCpuMs(dataDir: string): number {
	const postmaster = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
	let total = processCpuMs(postmaster);
	for (const entry of readdirSync("/proc")) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
			// The parent's pid is the second field after the command name.
			if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === postmaster)
				total += processCpuMs(Number(entry));
		} catch {
			// The process ended meanwhile.
		}
	}
	return total;
}

/** Waits until process `pid` uses under 2% of a core over a second (at most 20 s). */
async function settle(pid: number): Promise<void> {
	const deadline = Date.now() + 20_000;
	while (Date.now() < deadline) {
		const before = processCpuMs(pid);
		await new Promise((resolve) => setTimeout(resolve, 1000));
		if (processCpuMs(pid) - before < 20) return;
	}
}

/**
 * Waits until the ClickHouse servers are done with the work a round left behind: no merge running on any of them and
 * their processes under 5% of a core over half a second (at most 30 s). Each side's CPU then includes the merges of its
 * own parts, and the next round starts on an idle machine instead of next to the previous round's merges.
 */
async function settleClickHouse(clients: ClickHouseClient[], marker: string): Promise<void> {
	const deadline = Date.now() + 30_000;
	while (Date.now() < deadline) {
		const merging = await Promise.all(
			clients.map(async (client) => {
				const result = await client.query({ query: "SELECT count() AS n FROM system.merges", format: "JSONEachRow" });
				return Number((await result.json<{ n: string }>())[0]?.n ?? 0);
			}),
		);
		const before = processesCpuMs(marker);
		await new Promise((resolve) => setTimeout(resolve, 500));
		if (merging.every((n) => n === 0) && processesCpuMs(marker) - before < 25) return;
	}
}

/** Runs `npm run vantage -- <args>` with `env`; its standard output, or an error with its error output. */
async function cli(args: string[], env: Record<string, string>): Promise<string> {
	const proc = spawn(process.execPath, ["--import", "tsx", "server/cli.ts", ...args], {
		cwd: ROOT,
		env: { ...process.env, TSX_TSCONFIG_PATH: "server/tsconfig.json", LOG_LEVEL: "error", ...env },
		stdio: ["ignore", "pipe", "pipe"],
	});
	let stdout = "";
	let stderr = "";
	proc.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
	proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
	const code = await new Promise<number | null>((resolve) => proc.once("exit", resolve));
	if (code !== 0) throw new Error(`vantage ${args.join(" ")} failed (${code}): ${stderr || stdout}`);
	return stdout;
}

/**
 * The rounds' batches: realistic events (bench/ingest.ts's mix), gzip JSON as the SDK posts them. Batch b comes from
 * game server b mod `servers`, whose batches all hold its own `playersPerServer` players (a Roblox server holds up to
 * about 50), as a real game's batches do; `servers` 0 draws every batch's players from 5,000 across the game.
 */
function planRounds(
	rounds: number,
	batchesPerRound: number,
	eventsPerBatch: number,
	servers: number,
	playersPerServer: number,
): Round[] {
	const random = prng(42);
	const start = Date.now() - 3_600_000;
	// Batches 10 s apart as a server sends them, but all within the last hour (ingest refuses times in the future).
	const step = Math.min(10_000, Math.floor(3_000_000 / ((rounds + 1) * batchesPerRound)));
	return Array.from({ length: rounds + 1 }, (_, r) => ({
		batches: Array.from({ length: batchesPerRound }, (_, b) => {
			const server = servers > 0 ? b % servers : -1;
			const events = realisticEvents(
				eventsPerBatch,
				base32(r * 1000 + b, 8),
				start + (r * batchesPerRound + b) * step,
				random,
				server >= 0 ? { first: 1_000_000 + server * playersPerServer, count: playersPerServer } : undefined,
			);
			const batchId = `r${r}-b${b}`;
			const json = JSON.stringify({
				batchId,
				sentAt: Date.now(),
				sdk: { name: "vantage-roblox", version: "0.1.0" },
				events,
			});
			return { batchId, events: (JSON.parse(json) as { events: IngestEvent[] }).events, gzip: gzipSync(json) };
		}),
	}));
}

/**
 * The shard of each of the rounds' players for the ceiling's rows (game "raw"): `cityHash64(game_id, user_id) % shards`,
 * the sharding key of the Distributed tables, asked of ClickHouse once before any round (not timed).
 */
async function ceilingRoutes(client: ClickHouseClient, plan: Round[], shards: number): Promise<Map<number, number>> {
	const players = [...new Set(plan.flatMap((round) => round.batches.flatMap((b) => b.events.map((e) => e.userId))))];
	if (shards === 1) return new Map(players.map((player) => [player, 0]));
	const result = await client.query({
		query: `SELECT arrayMap(u -> cityHash64('raw', u) % ${shards}, CAST([${players.join(",")}] AS Array(Int64))) AS s`,
		format: "JSONEachRow",
	});
	const [row] = await result.json<{ s: (string | number)[] }>();
	return new Map(players.map((player, i) => [player, Number(row!.s[i])]));
}

/**
 * The raw insert ceiling of one round: each batch's rows as JSONEachRow inserts into the events_local of the shards
 * its players live on (one insert per shard holding some of them, at once), as many batches at a time as the HTTP run
 * has clients. The rows sit where the sharding key puts them, as the product must put them.
 */
async function ceilingRound(
	clients: ClickHouseClient[],
	database: string,
	round: Round,
	concurrency: number,
	routes: Map<number, number>,
): Promise<number> {
	const receivedAt = Date.now();
	const inserts = round.batches.map((batch) => {
		const byShard = new Map<number, object[]>();
		for (const e of batch.events) {
			const shard = routes.get(e.userId)!;
			let rows = byShard.get(shard);
			if (!rows) byShard.set(shard, (rows = []));
			rows.push({
				game_id: "raw",
				id: e.id,
				batch_id: batch.batchId,
				user_id: e.userId,
				session_id: e.sessionId,
				type: e.type,
				name: e.name,
				time: e.time,
				received_at: receivedAt,
				props: JSON.stringify(e.props),
			});
		}
		return byShard;
	});
	let next = 0;
	const worker = async () => {
		for (let i = next++; i < inserts.length; i = next++) {
			await Promise.all(
				[...inserts[i]!].map(([shard, values]) =>
					clients[shard]!.insert({ table: `${database}.events_local`, values, format: "JSONEachRow" }),
				),
			);
		}
	};
	const started = performance.now();
	await Promise.all(Array.from({ length: concurrency }, worker));
	const seconds = (performance.now() - started) / 1000;
	return round.batches.reduce((n, batch) => n + batch.events.length, 0) / seconds;
}

/** Active parts of the backend's events_local on each shard (ClickHouse merges them in the background). */
async function activeParts(clients: ClickHouseClient[]): Promise<number[]> {
	return await Promise.all(
		clients.map(async (client) => {
			const result = await client.query({
				query:
					"SELECT count() AS n FROM system.parts WHERE database = 'vantage_bench' AND table = 'events_local' AND active",
				format: "JSONEachRow",
			});
			return Number((await result.json<{ n: string }>())[0]?.n ?? 0);
		}),
	);
}

interface Deployment {
	env: Record<string, string>;
	/**
	 * The ClickHouse servers (one per shard), the ceiling's databases on them (one per concurrency, so each holds every
	 * round's rows once, as the backend's does), and what marks their processes.
	 */
	raw?: { clients: ClickHouseClient[]; databases: Map<number, string>; marker: string; postgresDataDir: string };
	stop(): Promise<void>;
}

/** Fresh services for one engine: a data directory, and for ClickHouse engines PostgreSQL and the shards. */
async function deploy(engine: Engine, dir: string, ceilingClients: number[]): Promise<Deployment> {
	const env: Record<string, string> = {
		VANTAGE_DATA_DIR: join(dir, engine),
		VANTAGE_MASTER_KEY: randomBytes(32).toString("base64"),
		// The bench measures the engine, not the per-game limit.
		VANTAGE_GAME_RATE_PER_SECOND: "1000000",
		VANTAGE_GAME_BURST: "1000000",
	};
	if (engine === "sqlite") return { env, stop: async () => {} };
	const shards = engine === "clickhouse1" ? 1 : 2;
	let postgres: PostgresService | undefined;
	let clickhouse: ClickHouseService | undefined;
	try {
		[postgres, clickhouse] = await Promise.all([startPostgres(), startClickHouse({ shards })]);
		env.VANTAGE_METADATA_URL = postgres.url;
		// One shard: plain MergeTree tables, no cluster (what a one-server deployment configures).
		env.VANTAGE_EVENTS_URL =
			shards === 1
				? `clickhouse://127.0.0.1:${clickhouse.shards[0]!.httpPort}/vantage_bench`
				: clickhouse.eventsUrl("vantage_bench");
		const clients = clickhouse.shards.map((s) =>
			createClient({ url: s.url, request_timeout: 120_000, log: { level: ClickHouseLogLevel.OFF } }),
		);
		const databases = new Map(ceilingClients.map((n) => [n, `vantage_ceiling_${n}`]));
		for (const client of clients) {
			for (const database of databases.values()) {
				await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
				await client.command({ query: RAW_EVENTS_DDL(database) });
			}
		}
		const [pg, ch] = [postgres, clickhouse];
		return {
			env,
			// Every shard's command line names its config file under the deployment's own directory.
			raw: { clients, databases, marker: dirname(clickhouse.shards[0]!.dataDir), postgresDataDir: postgres.dataDir },
			stop: async () => {
				await Promise.all(clients.map((c) => c.close()));
				await Promise.all([pg.stop(), ch.stop()]);
			},
		};
	} catch (error) {
		await Promise.all([postgres?.stop(), clickhouse?.stop()]);
		throw error;
	}
}

async function benchEngine(
	engine: Engine,
	dir: string,
	plan: Round[],
	clients: number,
	ceilingClients: number[],
): Promise<EngineResult> {
	const deployment = await deploy(engine, dir, ceilingClients);
	let server: ChildServer | undefined;
	try {
		server = await spawnServer(deployment.env);
		const pid = server.process.pid!;
		const key = (await cli(["keys", "create", "--game", "bench"], deployment.env)).trim().split("\n").at(-1)!.trim();
		const auth = await fetchGameAuth(server.url, key);
		const routes = deployment.raw
			? await ceilingRoutes(deployment.raw.clients[0]!, plan, deployment.raw.clients.length)
			: undefined;
		const rates: number[] = [];
		const p50s: number[] = [];
		const p99s: number[] = [];
		const cpus: number[] = [];
		const ceilings: number[] = [];
		const chHttps: number[] = [];
		const chCeilings: number[] = [];
		const pgHttps: number[] = [];
		const ratios: number[] = [];
		const ceilingBest = new Map(ceilingClients.map((n) => [n, 0]));
		const pgDir = deployment.raw?.postgresDataDir;
		for (let r = 0; r < plan.length; r++) {
			const round = plan[r]!;
			const events = round.batches.reduce((n, b) => n + b.events.length, 0);
			const marker = deployment.raw?.marker;
			const cpuBefore = processCpuMs(pid);
			const chBefore = marker ? processesCpuMs(marker) : 0;
			const pgBefore = pgDir ? postgresCpuMs(pgDir) : 0;
			const { seconds, latencies } = await postRound(server.url, auth, round, clients);
			// The rollup job folds the round's events after their answers: its CPU (the backend's and ClickHouse's)
			// counts for the round, and the ceiling then runs next to an idle backend.
			await settle(pid);
			if (deployment.raw) await settleClickHouse(deployment.raw.clients, deployment.raw.marker);
			const cpuMs = processCpuMs(pid) - cpuBefore;
			const chHttp = marker ? processesCpuMs(marker) - chBefore : 0;
			const pgHttp = pgDir ? postgresCpuMs(pgDir) - pgBefore : 0;
			// The ceiling at each of its concurrencies (in turn, the order alternating by round so that none always runs
			// first), each settled before the next; the round's ceiling is the best of them, with that one's CPU.
			const tries: { concurrency: number; rate: number; cpu: number }[] = [];
			if (deployment.raw) {
				const order = r % 2 === 0 ? ceilingClients : [...ceilingClients].reverse();
				for (const concurrency of order) {
					const before = processesCpuMs(marker!);
					const rate = await ceilingRound(
						deployment.raw.clients,
						deployment.raw.databases.get(concurrency)!,
						round,
						concurrency,
						routes!,
					);
					await settleClickHouse(deployment.raw.clients, deployment.raw.marker);
					tries.push({ concurrency, rate, cpu: processesCpuMs(marker!) - before });
				}
			}
			const best = tries.length ? tries.reduce((a, b) => (b.rate > a.rate ? b : a)) : undefined;
			const ceiling = best?.rate;
			const chCeiling = best?.cpu ?? 0;
			if (r === 0) continue;
			if (best) ceilingBest.set(best.concurrency, ceilingBest.get(best.concurrency)! + 1);
			if (marker) {
				chHttps.push((chHttp / events) * 1000);
				chCeilings.push((chCeiling / events) * 1000);
				pgHttps.push((pgHttp / events) * 1000);
			}
			const rate = events / seconds;
			rates.push(rate);
			p50s.push(percentile(latencies, 50));
			p99s.push(percentile(latencies, 99));
			cpus.push((cpuMs / events) * 1000);
			if (ceiling !== undefined) {
				ceilings.push(ceiling);
				ratios.push(rate / ceiling);
			}
			console.log(
				`  ${engine} round ${r}: ${fmt(rate)} events/s  p50 ${percentile(latencies, 50).toFixed(1)} ms  ` +
					`p99 ${percentile(latencies, 99).toFixed(1)} ms  backend CPU ${((cpuMs / events) * 1000).toFixed(1)} ms/1k events` +
					(ceiling === undefined
						? ""
						: `  ClickHouse CPU ${((chHttp / events) * 1000).toFixed(1)} ms/1k` +
							`  PostgreSQL CPU ${((pgHttp / events) * 1000).toFixed(1)} ms/1k` +
							`  | raw @clickhouse/client ${fmt(ceiling)} rows/s (${tries
								.map((t) => `${t.concurrency} in flight ${fmt(t.rate)}`)
								.join(", ")}), ClickHouse CPU ${((chCeiling / events) * 1000).toFixed(1)} ms/1k`),
			);
		}
		return {
			engine,
			rate: median(rates),
			p50: median(p50s),
			p99: median(p99s),
			cpuMsPer1000: median(cpus),
			...(ceilings.length ? { ceiling: median(ceilings), roundRatio: median(ratios), ceilingBest } : {}),
			...(pgHttps.length ? { postgresCpu: median(pgHttps) } : {}),
			...(chHttps.length ? { clickhouseCpu: { http: median(chHttps), ceiling: median(chCeilings) } } : {}),
			...(deployment.raw ? { parts: await activeParts(deployment.raw.clients) } : {}),
		};
	} finally {
		await server?.killHard();
		await deployment.stop();
	}
}

/**
 * bench/metrics.ts's queries on ClickHouse: a generated game of `size` events ingested through the event store (PostgreSQL
 * metadata, the player vault, `shards` shards), the rollups caught up, then each query `rounds` times.
 */
async function metricsOnClickHouse(size: number, rounds: number, shards: number, dir: string): Promise<void> {
	const [postgres, clickhouse] = await Promise.all([startPostgres(), startClickHouse({ shards })]);
	const stops: (() => Promise<void>)[] = [() => postgres.stop(), () => clickhouse.stop()];
	try {
		const { openStores } = await import("../server/store/open-stores.js");
		const { openPostgresPlayerVault } = await import("../server/store/postgres/player-vault.js");
		const masterKey = randomBytes(32);
		// The scale path's player vault: PostgreSQL's, as every instance uses it.
		const players = await openPostgresPlayerVault({ url: postgres.url, masterKey, poolSize: 2 });
		stops.unshift(() => players.close());
		const store = await openStores(
			{
				dataDir: join(dir, "metrics"),
				metadataUrl: postgres.url,
				eventsUrl:
					shards === 1
						? `clickhouse://127.0.0.1:${clickhouse.shards[0]!.httpPort}/metrics`
						: clickhouse.eventsUrl("metrics"),
				masterKey,
			},
			{ players: players as AsyncPlayerPseudonyms as PlayerPseudonyms },
		);
		stops.unshift(() => store.close());
		await store.createGame({ id: "g", name: "g", createdAt: GENERATED_START });
		const t0 = performance.now();
		let b = 0;
		for (const events of generate(size, 10_000, 42)) {
			await store.ingestBatch("g", { batchId: `b${b++}`, sentAt: GENERATED_NOW, events, rejected: [] }, GENERATED_NOW);
		}
		const ingestMs = performance.now() - t0;
		const f0 = performance.now();
		await store.warehouse.catchUp();
		const foldMs = performance.now() - f0;
		// The queries run on a quiet warehouse, as a dashboard mostly finds it: after the job's next steps (a compaction
		// falls due when the fact table has doubled) and ClickHouse's merges.
		const clients = clickhouse.shards.map((s) =>
			createClient({ url: s.url, request_timeout: 120_000, log: { level: ClickHouseLogLevel.OFF } }),
		);
		stops.unshift(() => Promise.all(clients.map((c) => c.close())).then(() => {}));
		const s0 = performance.now();
		for (let pass = 0; pass < 6; pass++) {
			await new Promise((resolve) => setTimeout(resolve, 3_000));
			await settleClickHouse(clients, dirname(clickhouse.shards[0]!.dataDir));
		}
		const settleMs = performance.now() - s0;
		console.log(
			`\nClickHouse (${shards} shard${shards === 1 ? "" : "s"}) metrics over ${fmt(size)} events: ingest ` +
				`${(ingestMs / 1000).toFixed(1)} s (${fmt(size / (ingestMs / 1000))} events/s through the event store), ` +
				`rollups caught up in ${(foldMs / 1000).toFixed(1)} s, then ${(settleMs / 1000).toFixed(1)} s until the ` +
				`rollup job and ClickHouse's merges were quiet`,
		);
		for (const [name, query] of Object.entries(QUERIES)) {
			await query(store);
			const times: number[] = [];
			for (let r = 0; r < rounds; r++) {
				const q0 = performance.now();
				await query(store);
				times.push(performance.now() - q0);
			}
			console.log(`  ${name.padEnd(34)} median ${median(times).toFixed(1)} ms`);
		}
	} finally {
		for (const stop of stops) await stop().catch(() => {});
	}
}

export async function run(args: string[]): Promise<void> {
	const { values } = parseArgs({
		args,
		options: {
			engines: { type: "string", default: ENGINES.join(",") },
			rounds: { type: "string", default: "8" },
			batches: { type: "string", default: "128" },
			clients: { type: "string", default: "16" },
			"ceiling-clients": { type: "string", default: "4,16" },
			events: { type: "string", default: "500" },
			servers: { type: "string", default: "64" },
			"players-per-server": { type: "string", default: "50" },
			"metrics-events": { type: "string", default: "10000000" },
			"metrics-rounds": { type: "string", default: "3" },
			"metrics-shards": { type: "string", default: "2" },
		},
	});
	// `--engines none`: only the metric queries.
	const engines = values.engines === "none" ? [] : values.engines.split(",").map((e) => e.trim());
	for (const e of engines) {
		if (!(ENGINES as readonly string[]).includes(e))
			throw new Error(`--engines: unknown engine "${e}" (${ENGINES.join(", ")})`);
	}
	const rounds = Number(values.rounds);
	const batches = Number(values.batches);
	const clients = Number(values.clients);
	const events = Number(values.events);
	const metricsEvents = Number(values["metrics-events"]);
	const metricsShards = Number(values["metrics-shards"]);
	for (const [name, n] of Object.entries({ rounds, batches, clients, events, metricsEvents, metricsShards })) {
		if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, not ${n}`);
	}
	if (clients < 1 || batches < 1 || events < 1) throw new Error("--clients, --batches and --events must be at least 1");

	const dir = mkdtempSync(join(tmpdir(), "vantage-bench-scale-"));
	const servers = Number(values.servers);
	const playersPerServer = Number(values["players-per-server"]);
	if (!Number.isInteger(servers) || servers < 0)
		throw new Error(`--servers: a whole number ≥ 0, not "${values.servers}"`);
	if (!Number.isInteger(playersPerServer) || playersPerServer < 1)
		throw new Error(`--players-per-server: a whole number ≥ 1, not "${values["players-per-server"]}"`);
	// The ceiling's concurrencies: the HTTP run's own and those asked for, each round's ceiling the best of them.
	const ceilingClients = [...new Set([clients, ...values["ceiling-clients"].split(",").map((n) => Number(n.trim()))])];
	if (ceilingClients.some((n) => !Number.isInteger(n) || n < 1))
		throw new Error(`--ceiling-clients: whole numbers ≥ 1, comma-separated, not "${values["ceiling-clients"]}"`);
	ceilingClients.sort((a, b) => a - b);
	const plan = planRounds(rounds, batches, events, servers, playersPerServer);
	console.log(
		`scale: ${rounds} rounds × ${batches} batches × ${events} events, ${clients} concurrent clients, gzip ` +
			`(${(plan[0]!.batches[0]!.gzip.length / 1024).toFixed(1)} KiB per batch on the wire), ` +
			(servers > 0
				? `from ${servers} game servers of ${playersPerServer} players each`
				: "players drawn from 5,000 across the game"),
	);
	const results: EngineResult[] = [];
	let failed = false;
	try {
		for (const engine of engines as Engine[]) {
			try {
				results.push(await benchEngine(engine, dir, plan, clients, ceilingClients));
			} catch (error) {
				failed = true;
				const message = error instanceof Error ? error.message : String(error);
				console.log(`  ${engine}: FAILED: ${message.split("\n").slice(0, 6).join("\n    ")}`);
				results.push({ engine, rate: 0, p50: 0, p99: 0, cpuMsPer1000: 0, error: message });
			}
		}
		console.log("\nmedians:");
		for (const r of results) {
			if (r.error) {
				console.log(`  ${r.engine.padEnd(12)} failed (above)`);
				continue;
			}
			console.log(
				`  ${r.engine.padEnd(12)} ${fmt(r.rate).padStart(8)} events/s  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  ` +
					`(${fmt(r.rate / events)} batches/s)  backend CPU ${r.cpuMsPer1000.toFixed(1)} ms per 1,000 events ` +
					`(${fmt(1000 / (r.cpuMsPer1000 / 1000))} events per CPU-second)` +
					(r.parts ? `; events_local active parts per shard at the end: ${r.parts.join(", ")}` : "") +
					(r.ceiling === undefined
						? ""
						: `; raw insert ceiling ${fmt(r.ceiling)} rows/s (each round's best of ${[...r.ceilingBest!]
								.map(([n, rounds]) => `${n} in flight: best in ${rounds}`)
								.join(", ")}), ratio ${(r.rate / r.ceiling).toFixed(2)} (target ≥ 0.50; ` +
							`median of the rounds' own ratios ${r.roundRatio!.toFixed(2)})`) +
					(r.clickhouseCpu
						? `; ClickHouse CPU per 1,000 events ${r.clickhouseCpu.http.toFixed(1)} ms through HTTP, ` +
							`${r.clickhouseCpu.ceiling.toFixed(1)} ms in the ceiling's inserts`
						: "") +
					(r.postgresCpu === undefined ? "" : `; PostgreSQL CPU per 1,000 events ${r.postgresCpu.toFixed(1)} ms`),
			);
		}
		if (metricsEvents > 0) {
			try {
				await metricsOnClickHouse(metricsEvents, Number(values["metrics-rounds"]), metricsShards, dir);
			} catch (error) {
				failed = true;
				console.log(`\nmetrics on ClickHouse: FAILED: ${error instanceof Error ? error.message : String(error)}`);
			}
		}
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
	if (failed) process.exitCode = 1;
}

function fmt(n: number): string {
	return Math.round(n).toLocaleString("en-US");
}
