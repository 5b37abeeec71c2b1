import { randomBytes } from "node:crypto";
import type pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { IngestEvent, ValidatedBatch } from "../../ingest/schema.js";
import { consentSealer } from "../../privacy/consent-records.js";
import { PlayerKeyring } from "../../privacy/player-keys.js";
import { T0, makeEvent } from "../../testing/fixtures.js";
import {
	serviceRequired,
	startClickHouse,
	startPostgres,
	type ClickHouseService,
	type PostgresService,
} from "../../testing/services.js";
import { PostgresConsentStore } from "../postgres/consent-store.js";
import { PostgresBatchLedger } from "../postgres/batch-ledger.js";
import { METADATA_MIGRATIONS } from "../postgres/metadata-migrations.js";
import { runMigrations } from "../postgres/migrations.js";
import { openPool } from "../postgres/pool.js";
import { PRIVACY_COMPONENT, PRIVACY_MIGRATIONS } from "../postgres/privacy-migrations.js";
import { openSqliteStore } from "../sqlite/sqlite-store.js";
import type { BatchLedger } from "../contracts.js";
import { DEFAULT_GAME_SETTINGS, type IngestOutcome, type Store } from "../types.js";
import { insertRows, queryRows } from "./client.js";
import { ClickHouseEventStore, EventsUnavailableError, playerIds } from "./events-store.js";
import { ClickHouseUnreachableError, openClickHouseEvents, type OpenClickHouseEventsOptions } from "./index.js";

// Against two real ClickHouse 18.16 shards (one cluster) and a real PostgreSQL for the batch ledger (claims and
// answers: the metadata store's) and consent records, as the scale path composes them.

let ch: ClickHouseService;
let postgres: PostgresService;
let pool: pg.Pool;
/** The batch ledger of each ClickHouse database (stores opened on one database share it, as instances do). */
const ledgers = new Map<string, PostgresBatchLedger>();
const ledgerPools: pg.Pool[] = [];
let consentRecords: PostgresConsentStore;
let keyring: PlayerKeyring;
let database = 0;
const opened: ClickHouseEventStore[] = [];

beforeAll(async () => {
	if (!serviceRequired("clickhouse") || !serviceRequired("postgres")) return;
	[ch, postgres] = await Promise.all([startClickHouse({ shards: 2 }), startPostgres()]);
	pool = openPool({ url: await postgres.createDatabase("events_store_test") });
	await runMigrations(pool, "metadata", METADATA_MIGRATIONS);
	await runMigrations(pool, PRIVACY_COMPONENT, PRIVACY_MIGRATIONS);
	// Consent records belong to a game of the metadata store.
	await pool.query("INSERT INTO games (id, name, created_at) VALUES ('g1', 'g1', $1)", [T0]);
}, 120_000);

afterAll(async () => {
	await Promise.all(ledgerPools.map((p) => p.end()));
	await pool?.end();
	await Promise.all([ch?.stop(), postgres?.stop()]);
}, 120_000);

afterEach(async () => {
	await Promise.all(opened.splice(0).map((store) => store.close()));
	keyring?.close();
});

/** A store on a fresh database (or `db`, to open a second instance on the same one). */
async function open(
	options: Partial<OpenClickHouseEventsOptions> & {
		db?: string;
		/** Wraps the database's batch ledger (a slow metadata store). */
		ledger?: (ledger: BatchLedger) => BatchLedger;
	} = {},
) {
	const db = options.db ?? `t${++database}_${process.pid}`;
	if (!options.db) {
		keyring = PlayerKeyring.open({ path: ":memory:", masterKey: randomBytes(32) });
		consentRecords = new PostgresConsentStore(pool, keyring);
	}
	const store = await openClickHouseEvents({
		url: ch.eventsUrl(db),
		players: keyring,
		consent: { sealer: consentSealer(keyring), appendRecords: (records) => consentRecords.appendRecords(records) },
		settings: async (gameId) => ({ gameId, ...DEFAULT_GAME_SETTINGS }),
		listSettings: async () => [],
		batches: (options.ledger ?? ((ledger) => ledger))(await ledgerOf(db)),
		...options,
	});
	opened.push(store);
	return { store, db };
}

/** The batch ledger of a ClickHouse database: a metadata database of its own, made on first use. */
async function ledgerOf(db: string): Promise<PostgresBatchLedger> {
	let ledger = ledgers.get(db);
	if (!ledger) {
		const ledgerPool = openPool({ url: await postgres.createDatabase(`ledger_${db}`) });
		ledgerPools.push(ledgerPool);
		await runMigrations(ledgerPool, "metadata", METADATA_MIGRATIONS);
		ledgers.set(db, (ledger = new PostgresBatchLedger(ledgerPool)));
	}
	return ledger;
}

/** The ledger with a slow release (a busy metadata store). */
function slowRelease(ledger: BatchLedger, ms: number): BatchLedger {
	return {
		claim: (...args) => ledger.claim(...args),
		raiseHeads: (...args) => ledger.raiseHeads(...args),
		answer: (...args) => ledger.answer(...args),
		release: async (...args) => {
			await new Promise((resolve) => setTimeout(resolve, ms));
			await ledger.release(...args);
		},
		answered: (...args) => ledger.answered(...args),
		toFold: (...args) => ledger.toFold(...args),
		markFolded: (...args) => ledger.markFolded(...args),
		prune: (...args) => ledger.prune(...args),
	};
}

function batch(batchId: string, events: IngestEvent[], extra: Partial<ValidatedBatch> = {}): ValidatedBatch {
	return { batchId, sentAt: T0, events, rejected: [], fingerprint: `fp-${batchId}`, ...extra };
}

function ev(id: string, userId: number, overrides: Partial<IngestEvent> = {}): IngestEvent {
	return makeEvent({ id, userId, time: T0 + Number(id.replace(/\D/g, "") || 0), ...overrides });
}

/** Raw rows per shard (no dedup: what is physically stored). */
async function rawRows(store: ClickHouseEventStore, where = "1") {
	return await Promise.all(
		store.shards.map((shard) =>
			queryRows<{ id: string; user_id: string; n: string }>(
				shard,
				`SELECT id, user_id, count() AS n FROM ${store.tables.eventsLocal} WHERE ${where} GROUP BY id, user_id`,
			),
		),
	);
}

describe("playerIds", () => {
	it("gives each player's smallest and largest id in byte order, sorted by player; lone surrogates apart", () => {
		const pseudonyms = new Map([
			[10, 3],
			[20, 1],
			[30, 2],
		]);
		const events = [
			// UTF-16 puts U+1F600 (a surrogate pair) below U+FFFD; UTF-8 (ClickHouse, PostgreSQL "C") above it.
			ev("\u{1F600}", 10),
			ev("\uFFFD", 10),
			ev("m", 10),
			ev("b", 20),
			ev("a", 20),
			ev("c", 20),
			ev("x\uD800", 30),
			ev("y", 30),
		];
		expect(playerIds(events, pseudonyms)).toEqual({
			ranges: [
				{ player: 1, lo: "a", hi: "c" },
				{ player: 2, lo: "y", hi: "y" },
				{ player: 3, lo: "m", hi: "\u{1F600}" },
			],
			irregular: new Set([2]),
		});
	});
});

describe.skipIf(!serviceRequired("clickhouse") || !serviceRequired("postgres"))("ClickHouse event store", () => {
	it("answers accepted, duplicate, replay and conflict exactly as SQLite does", async () => {
		const { store } = await open();
		const sqlite: Store = openSqliteStore({ path: ":memory:", warehouse: "inline", autoFold: false });
		await sqlite.createGame({ id: "g1", name: "g1", createdAt: T0 });
		try {
			const steps: [ValidatedBatch, number][] = [
				[
					batch("b1", [ev("e01", 1), ev("e02", 2), ev("e03", 0)], {
						rejected: [{ index: 3, code: "invalid_event", message: "x" }],
					}),
					T0,
				],
				// A retry: the first answer, nothing written.
				[batch("b1", [ev("e01", 1), ev("e02", 2), ev("e03", 0)]), T0 + 5],
				// The batchId reused for other events: a conflict.
				[batch("b1", [ev("e09", 1)], { fingerprint: "other" }), T0 + 6],
				// Old ids in a new batch, and an id twice in one batch: duplicates.
				[batch("b2", [ev("e02", 2), ev("e04", 2), ev("e04", 2), ev("e05", 7), ev("e01", 1)]), T0 + 7],
				// Stored without a fingerprint: a later one never conflicts.
				[batch("b3", [ev("e06", 3)], { fingerprint: undefined }), T0 + 8],
				[batch("b3", [ev("e07", 3)]), T0 + 9],
				// Every event refused: nothing to store but the answer.
				[batch("b4", [], { rejected: [{ index: 0, code: "implausible_time", message: "y" }] }), T0 + 10],
				[batch("b4", []), T0 + 11],
			];
			const answers: [IngestOutcome, IngestOutcome][] = [];
			for (const [b, at] of steps) {
				answers.push([await store.ingestBatch("g1", b, at), await sqlite.ingestBatch("g1", b, at)]);
			}
			for (const [clickhouse, expected] of answers) expect(clickhouse).toEqual(expected);
			expect(answers.map(([a]) => [a.result.accepted, a.result.duplicates, a.replayed, a.conflict ?? false])).toEqual([
				[3, 0, false, false],
				[3, 0, true, false],
				[3, 0, true, true],
				[2, 3, false, false],
				[1, 0, false, false],
				[1, 0, true, false],
				[0, 0, false, false],
				[0, 0, true, false],
			]);
			const query = { gameId: "g1", limit: 100 };
			const sqliteEvents = await sqlite.listEvents(query);
			expect(await store.listEvents(query)).toEqual(sqliteEvents);
			expect(sqliteEvents.map((e) => e.id)).toEqual(["e01", "e02", "e03", "e04", "e05", "e06"]);
		} finally {
			await sqlite.close();
		}
	});

	it("spreads players over both shards by cityHash64(game_id, user_id), each player on one shard, batch after batch", async () => {
		const { store } = await open();
		const events = Array.from({ length: 300 }, (_, i) => ev(`e${String(i).padStart(4, "0")}`, 1000 + (i % 100)));
		// The second batch has players of the first (routed from the store's memory) and new ones (asked of ClickHouse).
		const first = events.filter((event) => event.userId < 1050);
		const second = events.filter((event) => event.userId >= 1050 || event.id >= "e0200");
		const answers = [
			await store.ingestBatch(
				"g1",
				batch(
					"b1",
					first.filter((event) => event.id < "e0200"),
				),
				T0,
			),
			await store.ingestBatch("g1", batch("b2", second), T0),
		];
		expect(answers.map((answer) => answer.result.accepted)).toEqual([100, 200]);
		const perShard = await rawRows(store);
		expect(perShard.map((rows) => rows.length)).toEqual([expect.any(Number), expect.any(Number)]);
		expect(perShard[0]!.length).toBeGreaterThan(50);
		expect(perShard[1]!.length).toBeGreaterThan(50);
		expect(perShard[0]!.length + perShard[1]!.length).toBe(300);
		const players = perShard.map((rows) => new Set(rows.map((row) => row.user_id)));
		expect([...players[0]!].filter((player) => players[1]!.has(player))).toEqual([]);
		expect(players[0]!.size + players[1]!.size).toBe(100);
		// Each row sits on the shard the Distributed table's sharding key picks.
		for (const [index, shard] of store.shards.entries()) {
			const [misplaced] = await queryRows<{ n: string }>(
				shard,
				`SELECT count() AS n FROM ${store.tables.eventsLocal} WHERE cityHash64(game_id, user_id) % 2 != ${index}`,
			);
			expect(Number(misplaced!.n)).toBe(0);
		}
	});

	it("stores a batch once when two instances take it at the same time, 20 times over", async () => {
		const first = await open({ instanceId: "one", claimWaitMs: 50 });
		const second = await open({ db: first.db, instanceId: "two", claimWaitMs: 50 });
		let unavailable = 0;
		for (let round = 0; round < 20; round++) {
			const events = Array.from({ length: 40 }, (_, i) => ev(`r${round}-e${String(i).padStart(3, "0")}`, 1 + (i % 9)));
			const b = batch(`b${round}`, events);
			const outcomes = await Promise.allSettled([
				first.store.ingestBatch("g1", b, T0 + round),
				second.store.ingestBatch("g1", b, T0 + round),
			]);
			const answers = outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
			for (const o of outcomes) {
				if (o.status === "rejected") {
					expect(o.reason).toBeInstanceOf(EventsUnavailableError);
					unavailable++;
				}
			}
			// At most one answer stored the events; any other is its replay.
			expect(answers.filter((a) => !a.replayed)).toHaveLength(1);
			for (const a of answers) expect(a.result).toEqual({ accepted: 40, duplicates: 0, rejected: [] });
		}
		const rows = (await rawRows(first.store)).flat();
		expect(rows).toHaveLength(20 * 40);
		expect(rows.filter((row) => Number(row.n) !== 1)).toEqual([]);
		expect(unavailable).toBeLessThanOrEqual(20);
	});

	it("counts each event once when a retry follows a crash between the insert and the stored answer", async () => {
		let crash = true;
		const { store } = await open({
			// A release that takes its time (a busy metadata store): the retry must still find the claim free.
			ledger: (ledger) => slowRelease(ledger, 300),
			testHooks: {
				afterInsert: () => {
					if (crash) throw new Error("simulated crash after the insert");
				},
			},
		});
		const events = Array.from({ length: 30 }, (_, i) => ev(`e${String(i).padStart(3, "0")}`, 1 + (i % 7)));
		await expect(store.ingestBatch("g1", batch("b1", events), T0)).rejects.toThrow(/simulated crash/);
		crash = false;
		const retry = await store.ingestBatch("g1", batch("b1", events), T0 + 1000);
		expect(retry).toEqual({ result: { accepted: 0, duplicates: 30, rejected: [] }, replayed: false });
		const rows = (await rawRows(store)).flat();
		expect(rows).toHaveLength(30);
		expect(rows.every((row) => Number(row.n) === 1)).toBe(true);
		// And the retry's answer is the one stored from now on.
		expect(await store.ingestBatch("g1", batch("b1", events), T0 + 2000)).toEqual({ ...retry, replayed: true });
	});

	it("asks ClickHouse only of players whose ids are not all above their heads, and still finds every stored id", async () => {
		let crash = false;
		const lookedUp: Record<string, number> = {};
		const { store } = await open({
			testHooks: {
				lookedUp: (_game, batchId, events) => (lookedUp[batchId] = (lookedUp[batchId] ?? 0) + events),
				afterInsert: () => {
					if (crash) throw new Error("simulated crash after the insert");
				},
			},
		});
		const ids = (prefix: string, from: number, to: number, player: number) =>
			Array.from({ length: to - from + 1 }, (_, i) => ev(`${prefix}${String(from + i).padStart(3, "0")}`, player));
		const result = async (batchId: string, events: IngestEvent[], at = T0) =>
			(await store.ingestBatch("g1", batch(batchId, events), at)).result;

		// New players: looked up (nothing stored), their heads made from the batch.
		expect(await result("b1", [...ids("a", 1, 4, 1), ...ids("b", 5, 9, 2)])).toMatchObject({ accepted: 9 });
		// Later ids of the same players: no question to ClickHouse.
		expect(await result("b2", [...ids("a", 10, 12, 1), ...ids("b", 13, 15, 2)])).toMatchObject({ accepted: 6 });
		// An id equal to a player's head may be stored (it is): that player is looked up, the other is not.
		expect(await result("b3", [...ids("a", 12, 13, 1), ...ids("b", 16, 16, 2)])).toMatchObject({
			accepted: 2,
			duplicates: 1,
		});
		// A crash after the insert: the first attempt's claim raised the heads, so the retry looks its ids up.
		crash = true;
		await expect(store.ingestBatch("g1", batch("b4", ids("a", 20, 25, 1)), T0)).rejects.toThrow(/simulated crash/);
		crash = false;
		expect(await result("b4", ids("a", 20, 25, 1), T0 + 1)).toMatchObject({ accepted: 0, duplicates: 6 });
		// A row stored without a head (as `migrate --to` copies events): the player's first batch is looked up and
		// their head starts at the largest id stored, not the batch's, so the old id resent later is found.
		const pseudonym = (await keyring.pseudonymize("g1", [9], T0)).get(9)!;
		const [route] = await queryRows<{ shard: string }>(
			store.shards[0]!,
			`SELECT toString(cityHash64('g1', toInt64(${pseudonym})) % 2) AS shard`,
		);
		await insertRows(store.shards[Number(route!.shard)]!, store.tables.eventsLocal, [
			{ game_id: "g1", id: "z999", batch_id: "old", user_id: pseudonym, session_id: "s", type: "custom", name: "x" },
		]);
		expect(await result("b5", ids("c", 100, 101, 9))).toMatchObject({ accepted: 2, duplicates: 0 });
		expect(await result("b6", [ev("z999", 9)])).toMatchObject({ accepted: 0, duplicates: 1 });

		expect(lookedUp).toEqual({ b1: 9, b2: 0, b3: 2, b4: 6, b5: 2, b6: 1 });
		const rows = (await rawRows(store)).flat();
		expect(rows.filter((row) => Number(row.n) !== 1)).toEqual([]);
		expect(rows).toHaveLength(9 + 6 + 2 + 6 + 1 + 2);
	});

	it("does not insert twice when a slow instance's claim lapsed and another stored the batch meanwhile", async () => {
		const events = Array.from({ length: 20 }, (_, i) => ev(`e${String(i).padStart(3, "0")}`, 1 + (i % 5)));
		const other: { store?: ClickHouseEventStore } = {};
		let otherAnswer: IngestOutcome | undefined;
		const slow = await open({
			instanceId: "slow",
			claimTtlMs: 200,
			testHooks: {
				// The slow instance stalls past its claim; the other takes the lapsed claim and stores the batch.
				beforeInsert: async () => {
					await new Promise((resolve) => setTimeout(resolve, 300));
					otherAnswer = await other.store!.ingestBatch("g1", batch("b1", events), T0);
				},
			},
		});
		// The other instance's answer ends its claim: the slow one's renewal finds the answer stored.
		other.store = (await open({ db: slow.db, instanceId: "fast" })).store;
		const answer = await slow.store.ingestBatch("g1", batch("b1", events), T0);
		expect(otherAnswer).toEqual({ result: { accepted: 20, duplicates: 0, rejected: [] }, replayed: false });
		expect(answer).toEqual({ ...otherAnswer, replayed: true });
		const rows = (await rawRows(slow.store)).flat();
		expect(rows).toHaveLength(20);
		expect(rows.every((row) => Number(row.n) === 1)).toBe(true);
	});

	it("answers 503 when the metadata store cannot take the claim, and stores nothing", async () => {
		const gone = openPool({ url: await postgres.createDatabase(`gone_${process.pid}`) });
		await gone.end();
		const { store } = await open({ batches: new PostgresBatchLedger(gone) });
		const error = await store.ingestBatch("g1", batch("b1", [ev("e1", 1)]), T0).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(EventsUnavailableError);
		expect((error as EventsUnavailableError).status).toBe(503);
		expect((await rawRows(store)).flat()).toEqual([]);
	});

	it("answers 503 with Retry-After while another instance holds the batch", async () => {
		const { store, db } = await open({ claimWaitMs: 100 });
		const holder = "another-instance";
		const ledger = await ledgerOf(db);
		expect(await ledger.claim("g1", "b1", holder, Date.now(), Date.now() + 60_000)).toEqual({ claimed: true });
		const error = await store.ingestBatch("g1", batch("b1", [ev("e1", 1)]), T0).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(EventsUnavailableError);
		expect((error as EventsUnavailableError).status).toBe(503);
		expect((error as EventsUnavailableError).headers["Retry-After"]).toBe("2");
		expect((await rawRows(store)).flat()).toEqual([]);
		await ledger.release("g1", "b1", holder);
		expect((await store.ingestBatch("g1", batch("b1", [ev("e1", 1)]), T0)).result.accepted).toBe(1);
	});

	it("pages through events of both shards in id order, with every filter, as SQLite does", async () => {
		const { store } = await open();
		const sqlite: Store = openSqliteStore({ path: ":memory:", warehouse: "inline", autoFold: false, players: keyring });
		await sqlite.createGame({ id: "g1", name: "g1", createdAt: T0 });
		try {
			const types = ["custom", "progression", "economy"] as const;
			const events = Array.from({ length: 120 }, (_, i) =>
				ev(`e${String(i).padStart(4, "0")}`, 1 + (i % 13), { type: types[i % 3]!, name: i % 2 ? "odd" : "even" }),
			);
			for (const [n, slice] of [events.slice(0, 50), events.slice(50)].entries()) {
				await store.ingestBatch("g1", batch(`b${n}`, slice), T0 + n);
				await sqlite.ingestBatch("g1", batch(`b${n}`, slice), T0 + n);
			}
			const queries = [
				{},
				{ userId: 3 },
				{ type: "economy" as const },
				{ name: "odd" },
				{ from: T0 + 30, to: T0 + 90 },
				{ batchId: "b1", name: "even" },
				{ userId: 999 },
			];
			for (const filters of queries) {
				const pages: string[][] = [];
				let after: string | undefined;
				for (;;) {
					const page = await store.listEvents({ gameId: "g1", limit: 7, ...filters, after });
					expect(page).toEqual(await sqlite.listEvents({ gameId: "g1", limit: 7, ...filters, after }));
					pages.push(page.map((e) => e.id));
					if (page.length < 7) break;
					after = page.at(-1)!.id;
				}
				const all = await sqlite.listEvents({ gameId: "g1", limit: 1000, ...filters });
				expect(pages.flat()).toEqual(all.map((e) => e.id));
			}
			// Both shards hold some of these events: the pages above merged them.
			expect((await rawRows(store)).every((rows) => rows.length > 0)).toBe(true);
		} finally {
			await sqlite.close();
		}
	});

	it("erases a player's events from their shard, idempotently, and leaves the others", async () => {
		const { store } = await open();
		await store.ingestBatch("g1", batch("b1", [ev("e1", 5), ev("e2", 6), ev("e3", 5), ev("e4", 0)]), T0);
		expect((await store.playerEvents("g1", 5)).map((e) => [e.id, e.userId])).toEqual([
			["e1", 5],
			["e3", 5],
		]);
		const pseudonym = keyring.pseudonymOf("g1", 5)!;
		expect(await store.erasePlayerEvents("g1", 5, T0)).toEqual({ done: true, deleted: { events: 2 } });
		expect((await rawRows(store, `user_id = ${pseudonym}`)).flat()).toEqual([]);
		expect(await store.playerEvents("g1", 5)).toEqual([]);
		expect((await store.listEvents({ gameId: "g1", limit: 10 })).map((e) => e.id)).toEqual(["e2", "e4"]);
		expect(await store.erasePlayerEvents("g1", 5, T0)).toEqual({ done: true, deleted: {} });
		expect(await store.erasePlayerEvents("g1", 77, T0)).toEqual({ done: true, deleted: {} });
	});

	it("leaves out rows of players the vault no longer knows", async () => {
		const { store, db } = await open();
		await store.ingestBatch("g1", batch("b1", [ev("e1", 5), ev("e2", 6), ev("e3", 5)]), T0);
		// Another instance's view after player 5's vault row is gone (an erasure elsewhere): their rows name nobody.
		const pseudonym5 = keyring.pseudonymOf("g1", 5)!;
		const other = await open({
			db,
			players: {
				pseudonymize: (g, ids, now) => keyring.pseudonymize(g, ids, now),
				pseudonymOf: (g, u) => (u === 5 ? undefined : keyring.pseudonymOf(g, u)),
				userIdOf: (g, p) => (p === pseudonym5 ? undefined : keyring.userIdOf(g, p)),
			},
		});
		expect((await other.store.listEvents({ gameId: "g1", limit: 1 })).map((e) => e.id)).toEqual(["e2"]);
	});

	it("seals consent events and appends their records before answering, once", async () => {
		// What the metadata store held when each insert began: the records come first (a crash in between leaves a
		// record whose event the retry stores, never an event without its record).
		const recordsAtInsert: string[][] = [];
		const { store } = await open({
			testHooks: {
				beforeInsert: async () => {
					recordsAtInsert.push((await consentRecords.listRecords("g1", 42)).map((r) => r.eventId));
				},
			},
		});
		const consent = ev("c1", 42, {
			type: "consent",
			name: "consent",
			props: {
				policyVersion: "1",
				analytics: true,
				experiments: false,
				personalization: false,
				region: "US",
				source: "api",
			},
		});
		const b = batch("b1", [consent, ev("e2", 42)]);
		expect((await store.ingestBatch("g1", b, T0)).result.accepted).toBe(2);
		expect((await store.ingestBatch("g1", batch("b2", [consent]), T0)).result.duplicates).toBe(1);
		const records = await consentRecords.listRecords("g1", 42);
		expect(records.map((r) => [r.eventId, r.userId, r.policyVersion])).toEqual([["c1", 42, "1"]]);
		const [stored] = await store.listEvents({ gameId: "g1", type: "consent", limit: 10 });
		expect(stored!.props).toEqual({ policyVersion: "1" });
		expect(recordsAtInsert[0]).toEqual(["c1"]);
		// A replay of b1 and the duplicate in b2 appended the record again: a no-op, counted once in the tally.
		expect((await store.ingestBatch("g1", b, T0)).replayed).toBe(true);
		const tallies = async () => (await consentRecords.summary("g1")).tallies.map((t) => t.records);
		expect(await tallies()).toEqual([1]);

		// A consent event whose record cannot be appended is not stored, nor is anything of its batch; the retry is.
		const c2 = { ...consent, id: "c2" };
		const failing = await open({
			consent: {
				sealer: consentSealer(keyring),
				appendRecords: async () => {
					throw new Error("metadata store down");
				},
			},
		});
		await expect(failing.store.ingestBatch("g1", batch("b3", [c2, ev("e3", 42)]), T0)).rejects.toThrow(
			"metadata store down",
		);
		expect(await failing.store.listEvents({ gameId: "g1", limit: 10 })).toEqual([]);
		const retry = await open({ db: failing.db });
		expect((await retry.store.ingestBatch("g1", batch("b3", [c2, ev("e3", 42)]), T0)).result.accepted).toBe(2);
	});

	it("prunes stored answers older than a time, at most `limit` per call, once the rollup job has folded them", async () => {
		const { store, db } = await open();
		for (let i = 0; i < 6; i++) await store.ingestBatch("g1", batch(`b${i}`, [ev(`e${i}`, i)]), T0 + i * 1000);
		// Each answer names its batch's players to the rollup job, and stays until they are folded.
		const ledger = await ledgerOf(db);
		const inbox = await ledger.toFold(10);
		expect(inbox.map((b) => [b.batchId, b.players.length])).toEqual([0, 1, 2, 3, 4, 5].map((i) => [`b${i}`, 1]));
		expect(await store.pruneBatches(T0 + 4000, 3)).toBe(0);
		await ledger.markFolded(inbox);
		expect(await store.pruneBatches(T0 + 4000, 3)).toBe(3);
		expect(await store.pruneBatches(T0 + 4000, 3)).toBe(1);
		expect(await store.pruneBatches(T0 + 4000, 3)).toBe(0);
		// b4 and b5 are kept: a retry is still a replay; b0 is gone: a retry stores nothing new (its event is there).
		expect((await store.ingestBatch("g1", batch("b4", [ev("e4", 4)]), T0)).replayed).toBe(true);
		expect(await store.ingestBatch("g1", batch("b0", [ev("e0", 0)]), T0)).toMatchObject({
			replayed: false,
			result: { accepted: 0, duplicates: 1 },
		});
	});

	it("refuses to open when a shard is unreachable, naming its host:port", async () => {
		const url = ch.eventsUrl("unreachable").replace(/,127\.0\.0\.1:\d+/, ",127.0.0.1:1");
		const error = await openClickHouseEvents({
			url,
			players: keyring ?? PlayerKeyring.open({ path: ":memory:", masterKey: randomBytes(32) }),
			settings: async (gameId) => ({ gameId, ...DEFAULT_GAME_SETTINGS }),
			listSettings: async () => [],
			batches: await ledgerOf("unreachable"),
		}).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(ClickHouseUnreachableError);
		expect((error as Error).message).toMatch(/^ClickHouse shard 127\.0\.0\.1:1 is unreachable: .*ECONNREFUSED/);
	});

	it("refuses hosts listed out of the cluster's shard order", async () => {
		const [a, b] = ch.shards;
		const url = `clickhouse://127.0.0.1:${b!.httpPort},127.0.0.1:${a!.httpPort}/swapped?cluster=${ch.cluster}`;
		await expect(open({ url })).rejects.toThrow(
			/VANTAGE_EVENTS_URL lists 127\.0\.0\.1:\d+ as shard (1|2), but it is shard (2|1) of cluster "vantage": list the hosts in shard order/,
		);
		await expect(open({ url: ch.eventsUrl("x").replace(/cluster=\w+/, "cluster=nope") })).rejects.toThrow(
			/has no cluster "nope"/,
		);
	});

	it("runs on one shard without a cluster (local tables only)", async () => {
		const url = `clickhouse://127.0.0.1:${ch.shards[0]!.httpPort}/single_${process.pid}`;
		const { store } = await open({ url });
		expect(store.tables.events).toBe(store.tables.eventsLocal);
		await store.ingestBatch("g1", batch("b1", [ev("e2", 1), ev("e1", 2)]), T0);
		expect((await store.ingestBatch("g1", batch("b2", [ev("e1", 2), ev("e3", 3)]), T0)).result).toEqual({
			accepted: 1,
			duplicates: 1,
			rejected: [],
		});
		expect((await store.listEvents({ gameId: "g1", limit: 10 })).map((e) => e.id)).toEqual(["e1", "e2", "e3"]);
	});

	it("creates its tables once, however often it is opened", async () => {
		const { store, db } = await open();
		await store.ingestBatch("g1", batch("b1", [ev("e1", 1)]), T0);
		await open({ db });
		for (const shard of store.shards) {
			const versions = await queryRows<{ version: string; n: string }>(
				shard,
				`SELECT version, count() AS n FROM ${db}.schema_versions GROUP BY version`,
			);
			expect(versions).toEqual([{ version: 1, n: "1" }]);
		}
		expect((await store.listEvents({ gameId: "g1", limit: 10 })).map((e) => e.id)).toEqual(["e1"]);
	});

	it("refuses a database a newer Vantage migrated", async () => {
		const { store, db } = await open();
		await store.shards[1]!.client.command({
			query: `INSERT INTO ${db}.schema_versions (version, name, applied_at) VALUES (99, 'future', now())`,
		});
		await expect(open({ db })).rejects.toThrow(
			new RegExp(`shard 127\\.0\\.0\\.1:${ch.shards[1]!.httpPort}: database ${db} has schema version 99`),
		);
		// Versions of a part it was not opened with (the warehouse's 100-199) are not its business.
		const other = await open();
		await other.store.shards[0]!.client.command({
			query: `INSERT INTO ${other.db}.schema_versions (version, name, applied_at) VALUES (150, 'warehouse', now())`,
		});
		await expect(open({ db: other.db })).resolves.toBeDefined();
	});

	// Last: it restarts a shard.
	it("answers 503 (retryable) while a shard is down, and stores the batch once when it is back", async () => {
		const { store } = await open();
		const events = Array.from({ length: 40 }, (_, i) => ev(`e${String(i).padStart(3, "0")}`, 1 + (i % 11)));
		await ch.shards[1]!.stopServer("SIGKILL");
		try {
			const error = await store.ingestBatch("g1", batch("b1", events), T0).catch((e: unknown) => e);
			expect(error).toBeInstanceOf(EventsUnavailableError);
			expect((error as EventsUnavailableError).headers["Retry-After"]).toBe("2");
			expect((error as Error).message).toMatch(
				/^The event store is unavailable \(ClickHouse shard 127\.0\.0\.1:\d+ failed/,
			);
			await expect(store.ping()).rejects.toThrow(`ClickHouse shard 127.0.0.1:${ch.shards[1]!.httpPort} is unreachable`);
		} finally {
			await ch.shards[1]!.startServer();
		}
		expect((await store.ingestBatch("g1", batch("b1", events), T0)).result.accepted).toBe(40);
		expect((await store.ingestBatch("g1", batch("b1", events), T0)).replayed).toBe(true);
		const rows = (await rawRows(store)).flat();
		expect(rows).toHaveLength(40);
		expect(rows.every((row) => Number(row.n) === 1)).toBe(true);
	}, 120_000);
});
