/* eslint-disable @typescript-eslint/no-explicit-any -- compares metric JSON of many shapes */
// The ClickHouse warehouse against the SQLite one: the same events (several games and time zones, players, days,
// late and resent events) ingested into both; every metric, breakdown and filter, the event names, experiment units
// and sums must be equal (floats to 1e-9 relative). Two real ClickHouse 18.16 shards.
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { MetricDefinition } from "../../domain/experiments.js";
import type { BreakdownDimension } from "../../domain/experiments.js";
import type { IngestEvent, ValidatedBatch } from "../../ingest/schema.js";
import type { MetricRequest } from "../../metrics/engine.js";
import { parseDimension, parseFilter, type SegmentSpec } from "../../metrics/segments.js";
import { PlayerKeyring } from "../../privacy/player-keys.js";
import { serviceRequired, startClickHouse, type ClickHouseService } from "../../testing/services.js";
import { localDayFn } from "../../warehouse/time-zone.js";
import { openSqliteStore } from "../sqlite/sqlite-store.js";
import { DEFAULT_GAME_SETTINGS, type GameSettings, type Store } from "../types.js";
import { queryRows } from "./client.js";
import { compareBytes, type ClickHouseEventStore, type ClickHouseTestHooks } from "./events-store.js";
import type { BatchClaim, BatchLedger, BatchToFold, LeaseStore, PlayerIds, StoredBatchAnswer } from "../contracts.js";
import { openClickHouseEvents } from "./index.js";
import { ANSWER_GRACE_MS, SETTLE_MS, type CompactionOptions } from "./rollups.js";
import { clickHouseWarehouse } from "./warehouse.js";

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 2, 1);
const DAYS = 12;
const NOW = T0 + (DAYS + 3) * DAY;
const GAMES: Record<string, string> = { g1: "America/Los_Angeles", g2: "Asia/Kolkata", g3: "UTC" };

let ch: ClickHouseService;
let database = 0;
const cleanup: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
	if (!serviceRequired("clickhouse")) return;
	ch = await startClickHouse({ shards: 2 });
}, 120_000);

afterAll(async () => {
	await ch?.stop();
}, 120_000);

afterEach(async () => {
	for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A seeded generator (mulberry32): the same events every run. */
function random(seed: number): () => number {
	let a = seed;
	return () => {
		a = (a + 0x6d2b79f5) | 0;
		let t = Math.imul(a ^ (a >>> 15), 1 | a);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** Players' sessions over DAYS days: every event kind the warehouse folds, with player 0's server events. */
function generate(gameId: string, players: number, seed: number): IngestEvent[] {
	const r = random(seed);
	const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
	const events: IngestEvent[] = [];
	let n = 0;
	const id = (time: number) => `${time.toString(36).padStart(10, "0")}${String(n++).padStart(6, "0")}`;
	for (let p = 1; p <= players; p++) {
		const userId = 1000 + p;
		const device = pick(["desktop", "phone", "tablet", "unknown"]);
		const country = pick(["US", "DE", "IN", null]);
		const variation = r() < 0.1 ? null : pick([0, 1, "ctl"]);
		const firstDay = Math.floor(r() * DAYS);
		const sessions = 1 + Math.floor(r() * 5);
		for (let s = 0; s < sessions; s++) {
			const day = Math.min(DAYS - 1, firstDay + Math.floor(r() * 6));
			let time = T0 + day * DAY + Math.floor(r() * DAY);
			const sessionId = `${gameId}-${userId}-${s}`;
			const at = (ms: number) => (time += ms);
			const base = () => ({ userId, sessionId, time: at(1000 + Math.floor(r() * 600_000)) });
			const onlyEnd = r() < 0.1;
			if (!onlyEnd) {
				events.push({
					...base(),
					id: "",
					type: "session_start",
					name: "player",
					props: { device, ...(country ? { country } : {}), premium: r() < 0.3, accountAge: Math.floor(r() * 900) },
				});
			}
			if (variation !== null && r() < 0.6) {
				const v = r() < 0.05 ? pick([0, 1]) : variation;
				events.push({
					...base(),
					id: "",
					type: "exposure",
					name: "exp1",
					props: { variation: v, "attr.tier": pick(["a", "b"]) },
				});
			}
			const actions = Math.floor(r() * 8);
			for (let k = 0; k < actions; k++) {
				const kind = pick(["jump", "purchase", "source", "sink", "progress", "funnel", "jump"]);
				switch (kind) {
					case "jump":
						events.push({
							...base(),
							id: "",
							type: "custom",
							name: "jump",
							props: { height: Math.round(r() * 100) / 10, mode: pick(["a", "b"]), ok: r() < 0.5 },
						});
						break;
					case "purchase":
						events.push({
							...base(),
							id: "",
							type: "purchase",
							name: pick(["developer_product", "game_pass"]),
							props: { productId: pick([11, 12, 13]), robux: pick([25, 50, 100, 399]) },
						});
						break;
					case "source":
					case "sink":
						events.push({
							...base(),
							id: "",
							type: "economy",
							name: `${kind}:Coins`,
							props: {
								flow: kind,
								currency: pick(["Coins", "Gems"]),
								amount: 1 + Math.floor(r() * 50),
								itemType: "shop",
								itemId: pick(["sword", "hat", "potion"]),
							},
						});
						break;
					case "progress":
						events.push({
							...base(),
							id: "",
							type: "progression",
							name: pick(["world1:level1", "world1:level2", "world1:level10"]),
							props: {
								status: pick(["start", "complete", "fail"]),
								attempt: 1 + Math.floor(r() * 3),
								seconds: Math.floor(r() * 300),
							},
						});
						break;
					case "funnel": {
						const step = 1 + Math.floor(r() * 3);
						events.push({
							...base(),
							id: "",
							type: "funnel",
							name: "onboarding",
							props: { step, stepName: `step${step}` },
						});
						break;
					}
				}
			}
			events.push({
				...base(),
				id: "",
				type: "session_end",
				name: "player",
				props: { duration: Math.floor(r() * 3600), device },
			});
		}
	}
	// Server events (player 0).
	for (let k = 0; k < 60; k++) {
		const time = T0 + Math.floor(r() * DAYS * DAY);
		events.push({
			userId: 0,
			sessionId: "",
			time,
			id: "",
			type: "custom",
			name: "server_tick",
			props: { players: Math.floor(r() * 30) },
		});
	}
	for (const e of events) e.id = id(e.time);
	return events;
}

/** Batches of ~80 in random order, some resent whole and some events repeated in a later batch. */
function batchesOf(gameId: string, events: IngestEvent[], seed: number): ValidatedBatch[] {
	const r = random(seed);
	const shuffled = [...events].sort(() => r() - 0.5);
	const out: ValidatedBatch[] = [];
	for (let i = 0; i < shuffled.length; i += 80) {
		const chunk = shuffled.slice(i, i + 80);
		if (out.length > 0 && r() < 0.3) chunk.push(...out.at(-1)!.events.slice(0, 5));
		out.push({ batchId: `${gameId}-b${out.length}`, sentAt: T0, events: chunk, rejected: [] });
		if (r() < 0.1) out.push(out.at(-1)!);
	}
	return out;
}

interface Pair {
	sqlite: Store;
	clickhouse: ClickHouseEventStore;
	db: string;
	keyring: PlayerKeyring;
}

function newKeyring(): PlayerKeyring {
	const keyring = PlayerKeyring.open({ path: ":memory:", masterKey: randomBytes(32) });
	cleanup.push(() => keyring.close());
	return keyring;
}

/** A SQLite store and a ClickHouse store (fresh database) sharing one player vault, so pseudonyms match. */
async function openPair(zones: Record<string, string> = GAMES): Promise<Pair> {
	const keyring = newKeyring();
	const sqlite = openSqliteStore({ path: ":memory:", warehouse: "inline", autoFold: false, players: keyring });
	cleanup.push(() => sqlite.close());
	for (const [gameId, timeZone] of Object.entries(zones)) {
		await sqlite.createGame({ id: gameId, name: gameId, createdAt: T0 });
		await sqlite.updateGameSettings(gameId, { timeZone, rawRetentionDays: 30 }, T0);
	}
	const db = `wh${++database}_${process.pid}`;
	const clickhouse = await openClickHouse(db, keyring, zones);
	return { sqlite, clickhouse, db, keyring };
}

/** A ClickHouse event store with its warehouse on database `db` (a second one on the same `db` is another instance). */
async function openClickHouse(
	db: string,
	keyring: PlayerKeyring,
	zones: Record<string, string>,
	extra: {
		leases?: LeaseStore;
		testHooks?: ClickHouseTestHooks;
		compaction?: CompactionOptions;
		clock?: () => number;
	} = {},
): Promise<ClickHouseEventStore> {
	const settings = async (gameId: string): Promise<GameSettings> => ({
		gameId,
		...DEFAULT_GAME_SETTINGS,
		timeZone: zones[gameId] ?? "UTC",
		rawRetentionDays: 30,
	});
	let ledger = ledgers.get(db);
	if (!ledger) ledgers.set(db, (ledger = new MemoryBatchLedger()));
	const clickhouse = await openClickHouseEvents({
		url: ch.eventsUrl(db),
		players: keyring,
		settings,
		listSettings: async () => Promise.all(Object.keys(zones).map(settings)),
		batches: ledger,
		warehouse: clickHouseWarehouse({ leases: extra.leases, compaction: extra.compaction, clock: extra.clock }),
		testHooks: extra.testHooks,
	});
	cleanup.push(() => clickhouse.close());
	return clickhouse;
}

/**
 * Counts, per shard, the compactions tried (`attempts`: their first INSERT into the staging table) and the INSERTs of
 * the last one (`last`), by wrapping the shards' clients.
 */
function countCompactionStatements(store: ClickHouseEventStore): { attempts: number[]; last: number[] } {
	const counts = { attempts: store.shards.map(() => 0), last: store.shards.map(() => 0) };
	for (const [index, shard] of store.shards.entries()) {
		const command = shard.client.command.bind(shard.client);
		shard.client.command = (params) => {
			if (params.query.startsWith("CREATE TABLE") && params.query.includes("wh_facts_compacting")) {
				counts.attempts[index]!++;
				counts.last[index] = 0;
			}
			if (params.query.startsWith("INSERT INTO") && params.query.includes("wh_facts_compacting")) counts.last[index]!++;
			return command(params);
		};
	}
	return counts;
}

/** The batch ledger of each database: the instances of a test share it, as they share the metadata store's. */
const ledgers = new Map<string, MemoryBatchLedger>();

/**
 * The batch ledger in memory, as PostgreSQL's behaves (server/store/postgres/batch-ledger.ts, tested against
 * PostgreSQL by the event store's tests): these tests are about folding, in one process.
 */
class MemoryBatchLedger implements BatchLedger {
	readonly #rows = new Map<
		string,
		{ holder?: string; until?: number; answer?: StoredBatchAnswer; players?: number[] | undefined }
	>();
	readonly #heads = new Map<string, string>();
	async claim(
		gameId: string,
		batchId: string,
		holder: string,
		now: number,
		until: number,
		ids: readonly PlayerIds[] = [],
	): Promise<BatchClaim> {
		const key = `${gameId}\u0000${batchId}`;
		const row = this.#rows.get(key);
		if (row?.answer) return { claimed: false, answer: row.answer };
		if (row && row.until! > now && row.holder !== holder) return { claimed: false };
		this.#rows.set(key, { holder, until });
		const clear: number[] = [];
		const headless: number[] = [];
		for (const { player, lo, hi } of ids) {
			const head = this.#heads.get(`${gameId}\u0000${player}`);
			if (head === undefined) {
				headless.push(player);
				continue;
			}
			if (compareBytes(head, lo) < 0) clear.push(player);
			if (compareBytes(head, hi) < 0) this.#heads.set(`${gameId}\u0000${player}`, hi);
		}
		return { claimed: true, clear, headless };
	}
	async raiseHeads(gameId: string, heads: readonly { player: number; hi: string }[]): Promise<void> {
		for (const { player, hi } of heads) {
			const head = this.#heads.get(`${gameId}\u0000${player}`);
			if (head === undefined || compareBytes(head, hi) < 0) this.#heads.set(`${gameId}\u0000${player}`, hi);
		}
	}
	async answer(gameId: string, batchId: string, answer: StoredBatchAnswer, players: readonly number[] = []) {
		const key = `${gameId}\u0000${batchId}`;
		if (!this.#rows.get(key)?.answer) {
			this.#rows.set(key, { answer, players: players.length > 0 ? [...players] : undefined });
		}
	}
	async toFold(limit: number): Promise<BatchToFold[]> {
		return [...this.#rows]
			.filter(([, row]) => row.answer && row.players)
			.map(([key, row]) => {
				const [gameId, batchId] = key.split("\u0000") as [string, string];
				return { gameId, batchId, receivedAt: row.answer!.receivedAt, players: row.players! };
			})
			.sort((a, b) => a.receivedAt - b.receivedAt)
			.slice(0, limit);
	}
	async markFolded(batches: readonly { gameId: string; batchId: string }[]): Promise<void> {
		for (const b of batches) {
			const row = this.#rows.get(`${b.gameId}\u0000${b.batchId}`);
			if (row) row.players = undefined;
		}
	}
	async release(gameId: string, batchId: string, holder: string): Promise<void> {
		const key = `${gameId}\u0000${batchId}`;
		const row = this.#rows.get(key);
		if (row && !row.answer && row.holder === holder) this.#rows.delete(key);
	}
	async answered(batches: readonly { gameId: string; batchId: string }[]): Promise<Set<string>> {
		const keys = batches.map((b) => `${b.gameId}\u0000${b.batchId}`);
		return new Set(keys.filter((key) => this.#rows.get(key)?.answer));
	}
	async prune(receivedBefore: number, limit: number): Promise<number> {
		const old = [...this.#rows].filter(
			([, row]) => row.answer && !row.players && row.answer.receivedAt < receivedBefore,
		);
		for (const [key] of old.slice(0, limit)) this.#rows.delete(key);
		return Math.min(limit, old.length);
	}
}

/** Leases in memory (one process: the tests' instances share it as instances share the metadata store's). */
class MemoryLeases implements LeaseStore {
	readonly #held = new Map<string, { holder: string; until: number }>();
	async acquire(name: string, holder: string, now: number, until: number): Promise<boolean> {
		const lease = this.#held.get(name);
		if (lease && lease.until > now && lease.holder !== holder) return false;
		this.#held.set(name, { holder, until });
		return true;
	}
	async release(name: string, holder: string): Promise<void> {
		if (this.#held.get(name)?.holder === holder) this.#held.delete(name);
	}
	async holder(name: string, now: number): Promise<string | null> {
		const lease = this.#held.get(name);
		return lease && lease.until > now ? lease.holder : null;
	}
	async pruneExpired(expiredBefore: number, limit: number): Promise<number> {
		const expired = [...this.#held].filter(([, lease]) => lease.until < expiredBefore).slice(0, limit);
		for (const [name] of expired) this.#held.delete(name);
		return expired.length;
	}
}

async function ingestBoth(pair: Pair, gameId: string, batches: ValidatedBatch[]): Promise<void> {
	for (const [i, batch] of batches.entries()) {
		const receivedAt = T0 + i * 1000;
		const a = await pair.sqlite.ingestBatch(gameId, batch, receivedAt);
		const b = await pair.clickhouse.ingestBatch(gameId, batch, receivedAt);
		expect(b).toEqual(a);
	}
}

/** Deep equality; numbers equal to 1e-9 relative, typed arrays as arrays. */
function expectSame(actual: unknown, expected: unknown, path = "$"): void {
	if (ArrayBuffer.isView(actual)) actual = Array.from(actual as unknown as ArrayLike<number>);
	if (ArrayBuffer.isView(expected)) expected = Array.from(expected as unknown as ArrayLike<number>);
	if (typeof expected === "number" && typeof actual === "number") {
		const ok =
			actual === expected || Math.abs(actual - expected) <= 1e-9 * Math.max(Math.abs(expected), Math.abs(actual));
		if (!ok) expect.fail(`${path}: ${actual} ≠ ${expected}`);
		return;
	}
	if (Array.isArray(expected)) {
		if (!Array.isArray(actual)) expect.fail(`${path}: not an array`);
		if (actual.length !== expected.length) {
			expect.fail(
				`${path}: length ${actual.length} ≠ ${expected.length}: ${JSON.stringify(actual).slice(0, 400)} vs ${JSON.stringify(expected).slice(0, 400)}`,
			);
		}
		expected.forEach((e, i) => expectSame((actual as unknown[])[i], e, `${path}[${i}]`));
		return;
	}
	if (expected !== null && typeof expected === "object") {
		if (actual === null || typeof actual !== "object")
			expect.fail(`${path}: ${JSON.stringify(actual)} is not an object`);
		const keys = new Set([...Object.keys(expected), ...Object.keys(actual as object)]);
		for (const key of keys) expectSame((actual as any)[key], (expected as any)[key], `${path}.${key}`);
		return;
	}
	if (actual !== expected) expect.fail(`${path}: ${JSON.stringify(actual)} ≠ ${JSON.stringify(expected)}`);
}

function spec(breakdown?: string, ...filters: string[]): SegmentSpec {
	const out: SegmentSpec = {
		filters: filters.map((f) => parseFilter(f) as Exclude<ReturnType<typeof parseFilter>, string>),
	};
	if (breakdown) out.breakdown = parseDimension(breakdown) as Exclude<ReturnType<typeof parseDimension>, string>;
	return out;
}

/** Every metric the API offers, whole game and segmented. */
function requests(gameId: string): MetricRequest[] {
	const dayOf = localDayFn(GAMES[gameId] ?? "UTC");
	const range = { from: dayOf(T0) - 1, to: dayOf(T0) + DAYS };
	const specs: SegmentSpec[] = [
		spec(),
		spec("platform"),
		spec("country"),
		spec("premium"),
		spec("new_vs_returning"),
		spec("variant:exp1"),
		spec("attr:accountAge"),
		spec(undefined, "platform:phone"),
		spec("country", "variant:exp1:1"),
		spec("platform", "new_vs_returning:new"),
	];
	const out: MetricRequest[] = [];
	for (const s of specs) {
		const common = { range, spec: s };
		const cohortable = !s.breakdown || s.breakdown.kind !== "newVsReturning";
		const noNvr = cohortable && !s.filters.some((f) => f.dimension.kind === "newVsReturning");
		out.push({ metric: "active-users", ...common });
		out.push({ metric: "sessions", ...common });
		if (noNvr) {
			out.push({ metric: "retention", mode: "classic", days: [0, 1, 2, 3, 7], ...common });
			out.push({ metric: "retention", mode: "rolling", days: [0, 1, 3, 7], ...common });
			out.push({ metric: "funnel", funnel: "onboarding", windowDays: 7, ...common });
		}
		out.push({
			metric: "funnel",
			steps: [
				{ type: "session_start", name: "player" },
				{ name: "jump" },
				{ type: "purchase", name: "developer_product" },
			],
			windowDays: 3,
			...common,
		});
		out.push({ metric: "revenue", usdPerRobux: 0.0038, developerShare: 0.7, ltvDays: [0, 1, 7], ...common });
		out.push({ metric: "economy", ...common });
		out.push({ metric: "progression", ...common });
		out.push({ metric: "kpi", event: { type: "custom", name: "jump" }, measure: "count", where: [], ...common });
		out.push({ metric: "kpi", event: { name: "jump" }, measure: "users", where: [], ...common });
		out.push({
			metric: "kpi",
			event: { name: "jump" },
			measure: "mean",
			property: "height",
			where: [{ prop: "mode", op: "=", value: "a" }],
			groupBy: "ok",
			...common,
		});
		out.push({
			metric: "kpi",
			event: { name: "server_tick" },
			measure: "sum",
			property: "players",
			where: [],
			...common,
		});
		out.push({
			metric: "trends",
			events: [{ name: "jump" }, { type: "purchase", name: "game_pass" }],
			measure: "users",
			interval: "day",
			...common,
		});
		if (!s.breakdown && s.filters.length === 0) {
			out.push({
				metric: "trends",
				events: [{ name: "jump" }, { name: "server_tick" }],
				measure: "count",
				interval: "hour",
				...common,
			});
			out.push({ metric: "overview", ...common });
		}
	}
	return out;
}

const METRICS: MetricDefinition[] = [
	{ key: "conv", type: "conversion", event: "developer_product", eventType: "purchase" },
	{ key: "jumps", type: "count", event: "jump", cap: { percentile: 0.9 } },
	{ key: "height", type: "sum", event: "jump", valueProp: "height", windowHours: 48 },
	{ key: "robux", type: "revenue", valueProp: "robux" },
	{ key: "d1", type: "retention", day: 1 },
	{
		key: "perSession",
		type: "ratio",
		numerator: { eventType: "purchase", valueProp: "robux" },
		denominator: { event: "player", eventType: "session_start" },
	},
	{ key: "medianHeight", type: "quantile", event: "jump", valueProp: "height", quantile: 0.5, aggregate: "max" },
] as MetricDefinition[];

const DIMENSIONS: BreakdownDimension[] = ["platform", "country", "newVsReturning", "attr:tier", "attr:premium"];

/** ClickHouse answer times per metric (reported by the equality test). */
const timings = new Map<string, { n: number; ms: number; max: number }>();

async function compareEverything(pair: Pair, gameId: string): Promise<number> {
	let compared = 0;
	for (const request of requests(gameId)) {
		const expected = await pair.sqlite.warehouse.metric(gameId, request, NOW);
		const started = performance.now();
		const actual = await pair.clickhouse.warehouse.metric(gameId, request, NOW);
		const ms = performance.now() - started;
		const t = timings.get(request.metric) ?? { n: 0, ms: 0, max: 0 };
		timings.set(request.metric, { n: t.n + 1, ms: t.ms + ms, max: Math.max(t.max, ms) });
		try {
			expectSame(actual, expected);
		} catch (error) {
			throw new Error(`${gameId} ${request.metric} ${JSON.stringify(request.spec)}: ${(error as Error).message}`);
		}
		compared++;
	}
	for (const range of [null, { from: localDayFn(GAMES[gameId]!)(T0) + 2, to: localDayFn(GAMES[gameId]!)(T0) + 4 }]) {
		expectSame(
			await pair.clickhouse.warehouse.eventNames(gameId, range),
			await pair.sqlite.warehouse.eventNames(gameId, range),
		);
	}
	for (const metric of METRICS) {
		for (const [from, to, lookback] of [
			[T0, T0 + DAYS * DAY, 0],
			[T0 + 3 * DAY, T0 + 9 * DAY, 3],
		] as const) {
			const query = {
				gameId,
				experimentKey: "exp1",
				from,
				to,
				metric,
				excludeUserIds: [1003],
				covariateLookbackDays: lookback,
				dimensions: DIMENSIONS,
			};
			const expected = await pair.sqlite.experimentUnits(query);
			expect(expected.count).toBeGreaterThan(0);
			try {
				expectSame(await pair.clickhouse.experimentUnits(query), expected);
			} catch (error) {
				throw new Error(`units ${metric.key} ${from}: ${(error as Error).message}`);
			}
			if (["conversion", "count", "sum", "revenue", "retention"].includes(metric.type)) {
				const sums = { ...query, covariateLookbackDays: 0, dimensions: [] };
				expectSame(await pair.clickhouse.experimentMetricSums(sums), await pair.sqlite.experimentMetricSums(sums));
			}
			compared++;
		}
	}
	return compared;
}

describe.skipIf(!serviceRequired("clickhouse"))("ClickHouse warehouse (2 shards) equals the SQLite warehouse", () => {
	it("gives every metric, event names, experiment units and sums exactly as SQLite on the same events", async () => {
		const pair = await openPair();
		let events = 0;
		for (const [i, gameId] of Object.keys(GAMES).entries()) {
			const list = generate(gameId, 60, 17 + i);
			events += list.length;
			await ingestBoth(pair, gameId, batchesOf(gameId, list, 99 + i));
		}
		expect(events).toBeGreaterThan(3000);
		await pair.sqlite.warehouse.catchUp();
		const foldStarted = performance.now();
		const fold = await pair.clickhouse.warehouse.catchUp();
		console.info(`folded ${fold.events} events in ${Math.round(performance.now() - foldStarted)} ms`);
		expect(fold.events).toBe(events);
		expect((await pair.clickhouse.warehouse.status()).pendingBatches).toBe(0);
		// The players really are spread over both shards.
		const perShard = await Promise.all(
			pair.clickhouse.shards.map((shard) =>
				queryRows<{ n: string }>(
					shard,
					`SELECT uniqExact(user_id) AS n FROM ${pair.db}.wh_facts_local WHERE kind = 'pl'`,
				),
			),
		);
		for (const rows of perShard) expect(Number(rows[0]!.n)).toBeGreaterThan(20);
		const started = performance.now();
		let compared = 0;
		for (const gameId of Object.keys(GAMES)) compared += await compareEverything(pair, gameId);
		console.info(`compared ${compared} answers in ${Math.round(performance.now() - started)} ms`);
		console.info(
			[...timings]
				.map(([metric, t]) => `${metric}: mean ${Math.round(t.ms / t.n)} ms, max ${Math.round(t.max)} ms`)
				.join("; "),
		);
		// A second catch-up folds nothing more (every unit is marked once).
		expect((await pair.clickhouse.warehouse.catchUp()).events).toBe(0);
	}, 600_000);

	it("folds the batches an instance stored whole from the rows it kept, exactly as SQLite; another instance reads them back", async () => {
		const zones = { g1: GAMES.g1!, g3: GAMES.g3! };
		const pair = await openPair(zones);
		const other = await openClickHouse(pair.db, pair.keyring, zones);
		// Each instance's first step scans events_local (empty here); the steps after it take the ledger's inbox.
		await pair.clickhouse.warehouse.catchUp();
		let events = 0;
		for (const [i, gameId] of Object.keys(zones).entries()) {
			const list = generate(gameId, 30, 41 + i);
			events += list.length;
			const batches = batchesOf(gameId, list, 7 + i);
			const half = Math.floor(batches.length / 2);
			await ingestBoth(pair, gameId, batches.slice(0, half));
			// The rest stored by another instance: read back by the folding one.
			for (const [j, batch] of batches.slice(half).entries()) {
				const receivedAt = T0 + (half + j) * 1000;
				expect(await other.ingestBatch(gameId, batch, receivedAt)).toEqual(
					await pair.sqlite.ingestBatch(gameId, batch, receivedAt),
				);
			}
		}
		await pair.sqlite.warehouse.catchUp();
		expect((await pair.clickhouse.warehouse.catchUp()).events).toBe(events);
		for (const gameId of Object.keys(zones)) expect(await compareEverything(pair, gameId)).toBeGreaterThan(50);
		expect((await pair.clickhouse.warehouse.catchUp()).events).toBe(0);
	}, 300_000);

	it("after erasing a player, equals a recomputation without them; a rebuild gives the same rollups", async () => {
		const all = generate("g2", 30, 5);
		const victim = 1007;
		const pair = await openPair({ g2: GAMES.g2! });
		await ingestBoth(pair, "g2", batchesOf("g2", all, 6));
		await pair.clickhouse.warehouse.catchUp();
		const erased = await pair.clickhouse.erasePlayerEvents("g2", victim, NOW);
		expect(erased.done).toBe(true);
		// The reference: a store that never had the player.
		const reference = await openPair({ g2: GAMES.g2! });
		await ingestBoth(
			reference,
			"g2",
			batchesOf(
				"g2",
				all.filter((e) => e.userId !== victim),
				6,
			),
		);
		await reference.sqlite.warehouse.catchUp();
		for (const request of requests("g2")) {
			expectSame(
				await pair.clickhouse.warehouse.metric("g2", request, NOW),
				await reference.sqlite.warehouse.metric("g2", request, NOW),
			);
		}
		// A new time zone refolds the game in it (as SQLite rebuilds), then back: the same answers again.
		const zones = { g2: "Europe/Berlin" };
		const moved = await openClickHouse(pair.db, pair.keyring, zones);
		await moved.warehouse.catchUp();
		const berlin: MetricRequest = { metric: "active-users", range: { from: 20512, to: 20528 }, spec: { filters: [] } };
		const again = await openPair(zones);
		await ingestBoth(
			again,
			"g2",
			batchesOf(
				"g2",
				all.filter((e) => e.userId !== victim),
				6,
			),
		);
		await again.sqlite.warehouse.catchUp();
		expectSame(await moved.warehouse.metric("g2", berlin, NOW), await again.sqlite.warehouse.metric("g2", berlin, NOW));
		expect(((await moved.warehouse.metric("g2", berlin, NOW)) as any).timeZone).toBe("Europe/Berlin");
		// A rebuild refolds the raw events into the same answers.
		await pair.clickhouse.warehouse.rebuild("g2");
		await pair.clickhouse.warehouse.catchUp();
		for (const request of requests("g2").slice(0, 12)) {
			expectSame(
				await pair.clickhouse.warehouse.metric("g2", request, NOW),
				await reference.sqlite.warehouse.metric("g2", request, NOW),
			);
		}
	}, 600_000);

	it("compacts the fact table to one row per key as it folds batch after batch; every answer stays equal", async () => {
		const zones = { g1: GAMES.g1! };
		const pair = await openPair(zones);
		// Due at every check that finds new rows: each catch-up below ends with a compaction of both shards, a game's
		// facts taken in ranges of players of about 60 rows each.
		const compaction = { minNewRows: 1, maxAgeMs: 0, checkEveryMs: 0, rowsPerStatement: 60 };
		const compacting = await openClickHouse(pair.db, pair.keyring, zones, { leases: new MemoryLeases(), compaction });
		const statements = countCompactionStatements(compacting);
		const batches = batchesOf("g1", generate("g1", 40, 31), 32);
		expect(batches.length).toBeGreaterThan(8);
		// One fold per batch: a player's sessions, days and exposures span batches, so their keys get a row per fold.
		for (const batch of batches) {
			// Received now: the fold job scans back from its low-water mark, which follows the clock.
			const at = Date.now();
			expect(await compacting.ingestBatch("g1", batch, at)).toEqual(await pair.sqlite.ingestBatch("g1", batch, at));
			await compacting.warehouse.catchUp();
		}
		// Rows per key, with each kind's key as its readers group it (unit markers and zone rows are not merged).
		const perKey = await Promise.all(
			compacting.shards.map((shard) =>
				queryRows<{ kind: string; rows: string; keys: string }>(
					shard,
					`SELECT kind, max(n) AS rows, count() AS keys FROM (
						SELECT kind, count() AS n FROM ${pair.db}.wh_facts_local WHERE kind NOT IN ('unit', 'zone')
						GROUP BY game_id, kind, user_id, multiIf(kind = 'pl', '', kind IN ('se', 'ex'), s1,
							kind = 'fs', concat(s1, '/', toString(day)), concat(toString(day), '/', s1, '/', s2, '/', s3, '/', s4))
					) GROUP BY kind ORDER BY kind`,
				),
			),
		);
		const kinds = new Set(perKey.flat().map((row) => row.kind));
		for (const kind of ["pl", "ud", "se", "ed", "eh", "ex", "fs", "ec", "pr", "pd"]) expect(kinds).toContain(kind);
		// The last compactions took each shard's facts in several ranges of players (6 statements a range).
		const facts = await Promise.all(
			compacting.shards.map((shard) =>
				queryRows<{ n: string }>(shard, `SELECT count() AS n FROM ${pair.db}.wh_facts_local`),
			),
		);
		expect(Math.min(...facts.map((f) => Number(f[0]!.n)))).toBeGreaterThan(3 * 60);
		expect(Math.max(...statements.last)).toBeGreaterThanOrEqual(3 * 6);
		for (const row of perKey.flat())
			expect({ kind: row.kind, rows: Number(row.rows) }).toEqual({ kind: row.kind, rows: 1 });
		// What is folded stays marked: nothing is folded again.
		expect((await compacting.warehouse.catchUp()).events).toBe(0);
		await pair.sqlite.warehouse.catchUp();
		expect(await compareEverything({ ...pair, clickhouse: compacting }, "g1")).toBeGreaterThan(100);
	}, 600_000);

	it("does not retry a failed compaction at every check: the shard is due again once doubled or an hour on", async () => {
		const zones = { g2: GAMES.g2! };
		const pair = await openPair(zones);
		let now = Date.now();
		const compaction = { minNewRows: 1, maxAgeMs: 3_600_000, checkEveryMs: 0 };
		const store = await openClickHouse(pair.db, pair.keyring, zones, { compaction, clock: () => now });
		const statements = countCompactionStatements(store);
		let failing = true;
		for (const shard of store.shards) {
			const command = shard.client.command.bind(shard.client);
			shard.client.command = (params) => {
				if (failing && params.query.startsWith("INSERT INTO") && params.query.includes("wh_facts_compacting"))
					return Promise.reject(new Error("Timeout error."));
				return command(params);
			};
		}
		const batches = batchesOf("g2", generate("g2", 60, 17), 5).filter((b, i, all) => all.indexOf(b) === i);
		expect(batches.length).toBeGreaterThanOrEqual(12);
		const ingest = async (...some: ValidatedBatch[]) => {
			for (const batch of some) {
				await store.ingestBatch("g2", batch, now);
				await pair.sqlite.ingestBatch("g2", batch, now);
			}
			await store.warehouse.catchUp();
		};
		// First seen: the shards' sizes are noted. Then the tables more than double: each shard's compaction is
		// tried, and fails.
		await ingest(batches[0]!);
		expect(statements.attempts).toEqual([0, 0]);
		await ingest(...batches.slice(1, 8));
		expect(statements.attempts).toEqual([1, 1]);
		// Grown, not doubled, within the hour: not tried again.
		for (const batch of batches.slice(8, 10)) await ingest(batch);
		now += 60_000;
		await ingest(batches[10]!);
		expect(statements.attempts).toEqual([1, 1]);
		// An hour after the failure, with new rows: tried again, and it works.
		failing = false;
		now += 3_600_000;
		await ingest(batches[11]!);
		expect(statements.attempts).toEqual([2, 2]);
		await pair.sqlite.warehouse.catchUp();
		expect(await compareEverything({ ...pair, clickhouse: store }, "g2")).toBeGreaterThan(50);
	}, 300_000);

	it("folds answered batches from the ledger wherever their rows sit; rows the ledger does not name by the periodic full scan", async () => {
		const zones = { g4: "UTC" };
		const pair = await openPair(zones);
		let now = Date.now();
		const store = await openClickHouse(pair.db, pair.keyring, zones, { clock: () => now });
		const batches = batchesOf("g4", generate("g4", 12, 5), 4).filter((b, i, all) => all.indexOf(b) === i);
		const [first, late, crashed] = [batches[0]!, batches[1]!, batches[2]!];
		const newIds = (batch: ValidatedBatch, before: ValidatedBatch[]) => {
			const ids = new Set(batch.events.map((e) => e.id));
			for (const id of before.flatMap((b) => b.events.map((e) => e.id))) ids.delete(id);
			return ids.size;
		};
		await store.ingestBatch("g4", first, now);
		await pair.sqlite.ingestBatch("g4", first, now);
		expect((await store.warehouse.catchUp()).events).toBe(newIds(first, []));
		// An ingest that took longer than SETTLE_MS (more than its claim allows) lands behind the scans' start. The
		// steps after the first scan do not read events_local at all: the ledger names the batch and its players.
		now += 1_000;
		await store.ingestBatch("g4", late, now - SETTLE_MS - 60_000);
		await pair.sqlite.ingestBatch("g4", late, now);
		expect((await store.warehouse.catchUp()).events).toBe(newIds(late, [first]));
		// An attempt that died before its answer, behind the scans too: the ledger never names it...
		const crashing = await openClickHouse(pair.db, pair.keyring, zones, {
			clock: () => now,
			testHooks: {
				afterInsert: () => {
					throw new Error("crash before the answer");
				},
			},
		});
		await expect(crashing.ingestBatch("g4", crashed, now - SETTLE_MS - 60_000)).rejects.toThrow("crash");
		await pair.sqlite.ingestBatch("g4", crashed, now);
		expect((await store.warehouse.catchUp()).events).toBe(0);
		// ... the scan of the whole hour, every 10 minutes, finds it (still waiting for an answer that may come)...
		now += 600_000;
		expect((await store.warehouse.catchUp()).events).toBe(0);
		// ... and folds it once the answer's grace is over: nothing is lost.
		now += ANSWER_GRACE_MS;
		expect((await store.warehouse.catchUp()).events).toBe(newIds(crashed, [first, late]));
		expect((await store.warehouse.catchUp()).events).toBe(0);
		await pair.sqlite.warehouse.catchUp();
		for (const request of requests("g4").slice(0, 12)) {
			expectSame(
				await store.warehouse.metric("g4", request, NOW),
				await pair.sqlite.warehouse.metric("g4", request, NOW),
			);
		}
	}, 120_000);

	it("folds a batch only once its answer is stored, and once across two instances folding at the same time", async () => {
		const zones = { g3: "UTC" };
		const pair = await openPair(zones);
		const events = generate("g3", 25, 11);
		const batches = batchesOf("g3", events, 12).filter((b, i, all) => all.indexOf(b) === i);
		// The first batch's rows are stored, then the instance "crashes" before its answer: not folded yet.
		const crashing = await openClickHouse(pair.db, pair.keyring, zones, {
			testHooks: {
				afterInsert: () => {
					throw new Error("crash before the answer");
				},
			},
		});
		const now = Date.now();
		await expect(crashing.ingestBatch("g3", batches[0]!, now)).rejects.toThrow("crash before the answer");
		expect((await pair.clickhouse.warehouse.catchUp()).events).toBe(0);
		// Not pending either (not ready), on any instance: the answer's place, the ledger, is shared.
		expect((await crashing.warehouse.status()).pendingBatches).toBe(0);
		// The SDK's retry: nothing new stored, the answer is; now the rows are pending, then folded, once.
		const first = new Set(batches[0]!.events.map((e) => e.id));
		const retried = await pair.clickhouse.ingestBatch("g3", batches[0]!, now + 1000);
		expect(retried.result.duplicates).toBe(batches[0]!.events.length);
		expect((await crashing.warehouse.status()).pendingBatches).toBe(1);
		expect((await pair.clickhouse.warehouse.catchUp()).events).toBe(first.size);
		expect((await crashing.warehouse.status()).pendingBatches).toBe(0);
		await pair.sqlite.ingestBatch("g3", batches[0]!, now);
		// The rest, folded by two instances at once that share the fold lease.
		const leases = new MemoryLeases();
		const a = await openClickHouse(pair.db, pair.keyring, zones, { leases });
		const b = await openClickHouse(pair.db, pair.keyring, zones, { leases });
		for (const [i, batch] of batches.slice(1).entries()) {
			await pair.sqlite.ingestBatch("g3", batch, now + i);
			await (i % 2 === 0 ? a : b).ingestBatch("g3", batch, now + i);
		}
		const [x, y] = await Promise.all([a.warehouse.catchUp(), b.warehouse.catchUp()]);
		expect(x.events + y.events).toBe(
			[...new Set(batches.slice(1).flatMap((batch) => batch.events.map((e) => e.id)))].filter((id) => !first.has(id))
				.length,
		);
		await pair.sqlite.warehouse.catchUp();
		for (const request of requests("g3").slice(0, 16)) {
			expectSame(await a.warehouse.metric("g3", request, NOW), await pair.sqlite.warehouse.metric("g3", request, NOW));
		}
		// Raw events past the retention (30 days) go; the rollups keep every metric as it was.
		const later = NOW + 60 * DAY;
		const purged = await a.warehouse.purge(later);
		expect(purged).toEqual(await pair.sqlite.warehouse.purge(later));
		expect(purged[0]!.deleted).toBeGreaterThan(300);
		expect(await a.listEvents({ gameId: "g3", limit: 10 })).toEqual([]);
		const overview: MetricRequest = { metric: "overview", range: requests("g3")[0]!.range, spec: { filters: [] } };
		expectSame(await a.warehouse.metric("g3", overview, NOW), await pair.sqlite.warehouse.metric("g3", overview, NOW));
	}, 600_000);
});
