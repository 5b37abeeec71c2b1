// The fault suite of the scale path, on loopback: PostgreSQL (metadata), two ClickHouse shards (events), Redis, two
// backend instances (the real entry point, each its own process) behind HAProxy with deploy/haproxy.cfg. Game servers
// send a steady stream while, one after another: instance 1 is killed with SIGKILL (and started again), PostgreSQL
// crashes (immediate shutdown) and restarts, ClickHouse shard 2 is killed and restarts (on a 64 MiB tmpfs), and that
// small disk fills up (then is freed). Then the load stops and the game servers' retries drain what they hold.
// Afterwards: every event the backend acknowledged is stored exactly once (counted per id in ClickHouse through the
// Distributed table, and through the events API), nothing acknowledged is missing, and every metric the API answers
// equals a recomputation from the raw events read back (server/warehouse/fold.ts).
//
// The load: four Node game servers speaking the SDK's exact protocol (server/testing/game-load.ts: token exchange,
// gzip batches with a batchId, one in flight, the same batch resent with backoff, Retry-After honoured) carry most of
// it, because a harness VM costs far more per event; one real game server runs the SDK model in the harness
// (test/e2e/scale-sdk-server.ts: Vantage.start/track/purchase by 10 players), its answers read by a recording proxy.
//
// VANTAGE_FAULT_ENGINES=sqlite runs the same faults over two instances sharing one SQLite directory on the tmpfs (the
// PostgreSQL and ClickHouse steps then do nothing): the embedded default behind a load balancer.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, openSync, closeSync, writeSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "../../server/testing/cluster.js";
import {
	AckLedger,
	SimulatedGameServer,
	startAckRecordingProxy,
	type LoadEvent,
} from "../../server/testing/game-load.js";
import { loadBalancerRequired } from "../../server/testing/load-balancer.js";
import { serviceRequired } from "../../server/testing/services.js";
import { emptyFacts, foldEvents, type FoldEvent } from "../../server/warehouse/fold.js";
import { dayToDate, localDayFn } from "../../server/warehouse/time-zone.js";
import { HarnessGameServer, type SdkStats } from "./scale-sdk-server.js";

const GAME = "5150";
const ENGINES = process.env.VANTAGE_FAULT_ENGINES === "sqlite" ? "sqlite" : "scale";
const NEEDED =
	ENGINES === "sqlite"
		? loadBalancerRequired("haproxy")
		: serviceRequired("postgres") &&
			serviceRequired("clickhouse") &&
			serviceRequired("redis") &&
			loadBalancerRequired("haproxy");
/** Mounting a tmpfs needs root (CI runs as root; elsewhere the disk step would need sudo). */
const CAN_MOUNT = process.getuid?.() === 0;
const NODE_SERVERS = 4;
const PLAYERS_PER_SERVER = 10;
const SDK_PLAYERS = Array.from({ length: 10 }, (_, i) => 900 + i);
const TMPFS_BYTES = 64 * 1024 * 1024;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface StoredEvent extends FoldEvent {
	id: string;
}

describe.skipIf(!NEEDED || !CAN_MOUNT)(`a ${ENGINES} deployment under faults, with steady load`, () => {
	let cluster: Cluster;
	let gameKey: string;
	let adminAuth: string;
	/** The small disk: a tmpfs under the events' data (ClickHouse shard 2's, or the shared SQLite directory). */
	let smallDisk: string;
	let mounted = false;
	const log = (line: string) => process.stdout.write(`[scale-faults] ${line}\n`);

	beforeAll(async () => {
		let dataDir: string | undefined;
		if (ENGINES === "sqlite") {
			smallDisk = mkdtempSync(join(tmpdir(), "vantage-faults-disk-"));
			mount(smallDisk);
			mounted = true;
			dataDir = smallDisk;
		}
		cluster = await startCluster({
			engines: ENGINES,
			dataDir,
			env: {
				// Every game server here calls from 127.0.0.1: the per-address token limit would be theirs together.
				VANTAGE_TOKEN_RATE_PER_MINUTE: "100000",
				VANTAGE_TOKEN_BURST: "100000",
			},
		});
		gameKey = await cluster.gameKey(GAME);
		adminAuth = await cluster.adminAuth();
	}, 120_000);

	afterAll(async () => {
		// The shard (or the instances) first, so nothing holds the mount; a lazy unmount in case something still does.
		if (mounted && ENGINES === "scale") await cluster?.clickhouse?.shards[1]?.stopServer("SIGKILL");
		if (mounted && ENGINES === "sqlite") for (const i of cluster?.instances ?? []) await cluster.kill(i.index);
		if (mounted) spawnSync("umount", ["-l", smallDisk]);
		await cluster?.stop();
	}, 120_000);

	/** Mounts a 64 MiB tmpfs at `dir` (as root). */
	function mount(dir: string): void {
		const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${TMPFS_BYTES}`, "tmpfs", dir], { encoding: "utf8" });
		if (r.status !== 0) throw new Error(`mount tmpfs failed: ${r.stderr}`);
	}

	/** Fills the small disk with a file until no byte is left; returns the file to delete to free it. */
	function fillDisk(): string {
		const filler = join(smallDisk, "filler.bin");
		const fd = openSync(filler, "w");
		const chunk = Buffer.alloc(1024 * 1024, 1);
		try {
			for (;;) {
				try {
					writeSync(fd, chunk);
				} catch {
					// ENOSPC: fill the last partial megabyte byte-block by byte-block too.
					if (chunk.length === 1) break;
					const size = Math.max(1, Math.floor(chunk.length / 2));
					return fillRest(fd, filler, size);
				}
			}
		} finally {
			closeSync(fd);
		}
		return filler;
	}
	function fillRest(fd: number, filler: string, size: number): string {
		let block = Buffer.alloc(size, 1);
		while (block.length >= 1) {
			try {
				writeSync(fd, block);
			} catch {
				if (block.length === 1) break;
				block = Buffer.alloc(Math.floor(block.length / 2), 1);
			}
		}
		return filler;
	}

	/** Every event the backend stores for the game, through the events API (admin, via the load balancer). */
	async function eventsFromApi(): Promise<StoredEvent[]> {
		const events: StoredEvent[] = [];
		let after: string | null = null;
		do {
			const query = new URLSearchParams({ limit: "1000", ...(after ? { after } : {}) });
			const res = await fetch(`${cluster.url}/v1/games/${GAME}/events?${query}`, {
				headers: { Authorization: adminAuth },
			});
			if (res.status !== 200) throw new Error(`events API: ${res.status} ${await res.text()}`);
			const page = (await res.json()) as { events: StoredEvent[]; next: string | null };
			events.push(...page.events);
			after = page.next;
		} while (after);
		return events;
	}

	/** Copies per event id in ClickHouse, read through the Distributed table (every shard), without FINAL. */
	async function copiesInClickHouse(): Promise<Map<string, number>> {
		const shard = cluster.clickhouse!.shards[0]!;
		const sql =
			`SELECT id, count() AS copies FROM ${cluster.eventsDatabase}.events ` +
			`WHERE game_id = '${GAME}' GROUP BY id FORMAT TabSeparated`;
		const res = await fetch(`${shard.url}/`, { method: "POST", body: sql });
		const text = await res.text();
		if (res.status !== 200) throw new Error(`ClickHouse: ${res.status} ${text}`);
		const copies = new Map<string, number>();
		for (const line of text.split("\n")) {
			if (!line) continue;
			const [id, count] = line.split("\t");
			copies.set(id!, Number(count));
		}
		return copies;
	}

	async function metric<T>(name: string, query: string): Promise<T> {
		const res = await fetch(`${cluster.url}/v1/games/${GAME}/metrics/${name}?${query}`, {
			headers: { Authorization: adminAuth },
		});
		if (res.status !== 200) throw new Error(`metric ${name}: ${res.status} ${await res.text()}`);
		return (await res.json()) as T;
	}

	/** Waits until the warehouse has folded every stored batch into the rollups the metrics read. */
	async function waitForRollups(timeoutMs = 60_000): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const res = await fetch(`${cluster.url}/v1/admin/warehouse`, { headers: { Authorization: adminAuth } });
			if (res.status === 200) {
				const status = (await res.json()) as { pendingBatches: number; rebuilding: number };
				if (status.pendingBatches === 0 && status.rebuilding === 0) return;
			}
			if (Date.now() > deadline) throw new Error(`rollups not caught up: ${res.status}`);
			await sleep(250);
		}
	}

	/**
	 * The metrics (DAU, players, revenue, purchases, payers, sessions, event counts) as the API answers them and as
	 * recomputed here from the raw events with the warehouse's pure fold.
	 */
	async function metricsBothWays(events: StoredEvent[]) {
		const dayOf = localDayFn("UTC");
		const facts = emptyFacts();
		foldEvents(facts, events, dayOf);
		const days = events.map((e) => dayOf(e.time));
		const from = Math.min(...days);
		const to = Math.max(...days);
		const range = `from=${dayToDate(from)}&to=${dayToDate(to)}`;
		const dayList = Array.from({ length: to - from + 1 }, (_, i) => from + i);

		const userDays = [...facts.userDays.values()];
		const sessionStarts = [...facts.sessions.values()].flatMap((s) => {
			const start = s.startTime ?? (s.endTime !== undefined ? s.endTime - (s.duration ?? 0) * 1000 : undefined);
			return start === undefined ? [] : [{ day: dayOf(start), userId: s.userId }];
		});
		const eventKinds = [...new Set([...facts.eventDays.values()].map((e) => `${e.type}:${e.name}`))].sort();
		const recomputed = {
			dau: dayList.map((day) => ({ date: dayToDate(day), dau: userDays.filter((u) => u.day === day).length })),
			players: new Set(userDays.map((u) => u.userId)).size,
			revenue: userDays.reduce((sum, u) => sum + u.revenue, 0),
			purchases: userDays.reduce((sum, u) => sum + u.purchases, 0),
			payers: new Set(userDays.filter((u) => u.purchases > 0).map((u) => u.userId)).size,
			sessions: sessionStarts.length,
			sessionPlayers: new Set(sessionStarts.map((s) => s.userId)).size,
			events: Object.fromEntries(
				eventKinds.map((kind) => [
					kind,
					[...facts.eventDays.values()]
						.filter((e) => `${e.type}:${e.name}` === kind)
						.reduce((sum, e) => sum + e.events, 0),
				]),
			),
		};

		type Segment<T> = { segments: T[] };
		const active = await metric<Segment<{ players: number; days: { date: string; dau: number }[] }>>(
			"active-users",
			range,
		);
		const revenue = await metric<Segment<{ revenue: number; purchases: number; payers: number }>>("revenue", range);
		const sessions = await metric<Segment<{ sessions: number; players: number }>>("sessions", range);
		const trends = await metric<{
			segments: { events: { event: { type?: string; name: string }; total: number }[] }[];
		}>("trends", `${range}&events=${encodeURIComponent(eventKinds.join(","))}&measure=count`);
		const answered = {
			dau: active.segments[0]!.days.map((d) => ({ date: d.date, dau: d.dau })),
			players: active.segments[0]!.players,
			revenue: revenue.segments[0]!.revenue,
			purchases: revenue.segments[0]!.purchases,
			payers: revenue.segments[0]!.payers,
			sessions: sessions.segments[0]!.sessions,
			sessionPlayers: sessions.segments[0]!.players,
			events: Object.fromEntries(
				trends.segments[0]!.events.map((e) => [`${e.event.type ?? ""}:${e.event.name}`, e.total]),
			),
		};
		return { answered, recomputed };
	}

	it("kill -9 an instance, crash PostgreSQL, crash a ClickHouse shard, fill its disk: every acknowledged event stored once, metrics equal the raw events", async () => {
		const started = Date.now();
		const ledger = new AckLedger();
		const sdkLedger = new AckLedger();
		const setPhase = (phase: string) => {
			ledger.phase = sdkLedger.phase = phase;
			log(`${((Date.now() - started) / 1000).toFixed(1)} s: ${phase}`);
		};
		const proxy = await startAckRecordingProxy(cluster.url, sdkLedger);
		const servers = Array.from(
			{ length: NODE_SERVERS },
			(_, i) =>
				new SimulatedGameServer({
					url: cluster.url,
					gameKey,
					ledger,
					jobId: `node${i + 1}`,
					firstUserId: 10_000 + i * 1000,
					players: PLAYERS_PER_SERVER,
					eventsPerPlayerSecond: 0.5,
				}),
		);
		let sdk: HarnessGameServer | undefined;
		let sdkStats: SdkStats | undefined;
		let restarting: Promise<void> | undefined;
		let restartFailure: unknown;
		try {
			sdk = await HarnessGameServer.start({
				url: proxy.url,
				gameKey,
				gameId: Number(GAME),
				jobId: "sdk-server-1",
				userIds: SDK_PLAYERS,
			});
			setPhase("steady");
			for (const server of servers) server.start();
			await sleep(6000);

			// 1. kill -9 one backend instance; HAProxy's checks take it out; it is started again a few seconds later
			// (and comes back on its port while the next faults go on, as a supervisor would restart it).
			setPhase("kill-instance-1");
			await cluster.kill(1, "SIGKILL");
			await sleep(4000);
			restarting = cluster.restart(1).catch((error: unknown) => {
				restartFailure = error;
			});
			await sleep(3000);

			// 2. PostgreSQL crashes (immediate shutdown: recovery at the next start) and comes back.
			setPhase("restart-postgres");
			if (cluster.postgres) {
				await cluster.postgres.stopServer("immediate");
				await sleep(4000);
				await cluster.postgres.startServer();
			}
			await sleep(4000);

			// 3. ClickHouse shard 2 crashes; it restarts with its data on a small disk (a 64 MiB tmpfs).
			setPhase("restart-shard-2");
			if (cluster.clickhouse) {
				const shard = cluster.clickhouse.shards[1]!;
				await shard.stopServer("SIGKILL");
				smallDisk = join(shard.dataDir, "data");
				const moved = join(shard.dataDir, "data-before-tmpfs");
				cpSync(smallDisk, moved, { recursive: true });
				rmSync(smallDisk, { recursive: true, force: true });
				mkdirSync(smallDisk);
				mount(smallDisk);
				mounted = true;
				cpSync(moved, smallDisk, { recursive: true });
				rmSync(moved, { recursive: true, force: true });
				await sleep(2000);
				await shard.startServer();
			}
			await sleep(4000);

			// 4. The small disk fills up: the backend must refuse (503, retry later), never acknowledge and lose.
			setPhase("disk-full");
			const filler = fillDisk();
			await sleep(6000);
			rmSync(filler);
			setPhase("disk-freed");
			await sleep(4000);

			// Stop the load; every game server keeps retrying until the backend has acknowledged all it sealed.
			await restarting;
			if (restartFailure) throw restartFailure;
			expect(cluster.instances[0]!.running()).toBe(true);
			setPhase("drain");
			await Promise.all(servers.map((server) => server.stop(90_000)));
			sdkStats = await sdk.stop(90);
			expect(sdk.errors()).toEqual([]);
		} finally {
			await restarting;
			for (const server of servers) await server.stop(1000).catch(() => undefined);
			await sdk?.stop(1).catch(() => undefined);
			await proxy.close();
			log(`Node game servers (SDK protocol):\n${ledger.summary()}`);
			log(`SDK game server in the harness (through the recording proxy):\n${sdkLedger.summary()}`);
			log(`SDK stats: ${JSON.stringify(sdkStats)}`);
		}

		// The SDK delivered everything it tracked: nothing left, dropped or spilled away.
		expect(sdkStats).toMatchObject({ queued: 0, dropped: 0, rejected: 0 });
		// Every sealed event was acknowledged in the end (the retries carried the load through), none refused.
		for (const l of [ledger, sdkLedger]) {
			expect(l.rejected.size).toBe(0);
			expect(l.acknowledged.size).toBe(l.sent.size);
		}
		const acknowledged = new Set([...ledger.acknowledged, ...sdkLedger.acknowledged]);
		expect(acknowledged.size).toBeGreaterThan(1000);
		// The full disk was answered with 503 (retry later), not with an acknowledgment.
		const diskFull = ledger.counts("disk-full").statuses;
		expect(diskFull["503"] ?? 0).toBeGreaterThan(0);

		const sent = new Map<string, LoadEvent>([...ledger.sent, ...sdkLedger.sent]);
		const usersOf = (ids: string[]) => [...new Set(ids.map((id) => sent.get(id)?.userId))].sort();
		let copies: Map<string, number> | undefined;
		if (cluster.clickhouse) {
			// Exactly one row per id in ClickHouse itself, across both shards, without FINAL or a merge.
			copies = await copiesInClickHouse();
			log(`ClickHouse holds ${copies.size} ids`);
			expect([...copies].filter(([, n]) => n !== 1)).toEqual([]);
			const notOnce = [...acknowledged].filter((id) => copies!.get(id) !== 1);
			if (notOnce.length > 0)
				log(`acknowledged, not in ClickHouse once: ${notOnce.length}, players ${usersOf(notOnce)}`);
			expect(notOnce).toEqual([]);
		}

		await waitForRollups();
		const stored = await eventsFromApi();
		const storedIds = stored.map((e) => e.id);
		// Stored once each through the API, every acknowledged one there, and nothing that was never sent.
		expect(new Set(storedIds).size).toBe(storedIds.length);
		const storedSet = new Set(storedIds);
		const missing = [...acknowledged].filter((id) => !storedSet.has(id));
		if (missing.length > 0) log(`acknowledged, not in the events API: ${missing.length}, players ${usersOf(missing)}`);
		expect(missing).toEqual([]);
		expect(storedIds.filter((id) => !sent.has(id))).toEqual([]);
		log(`stored ${stored.length} events, ${acknowledged.size} acknowledged`);

		if (copies) expect(copies.size).toBe(stored.length);

		// Every metric equals the recomputation from the raw events read back.
		const { answered, recomputed } = await metricsBothWays(stored);
		log(`metrics: ${JSON.stringify(recomputed)}`);
		expect(answered).toEqual(recomputed);
		expect(recomputed.revenue).toBeGreaterThan(0);
		log(`total ${((Date.now() - started) / 1000).toFixed(1)} s`);
	}, 240_000);
});
