// Pseudonymous player ids end to end on database files: vantage.db holds each player's pseudonym and never their
// UserId, every API answers with UserIds, a backup of vantage.db taken before an erasure names nobody once the
// erasure shredded the vault row, and a player seen for the first time by concurrent batches gets one vault row.
import BetterSqlite3 from "better-sqlite3";
import { parse } from "csv-parse/sync";
import { tableFromIPC } from "apache-arrow";
import { readParquet } from "parquet-wasm";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { exposureMetric } from "../experiments/exposures.js";
import type { IngestEvent } from "../ingest/schema.js";
import { openPrivacyBackend, scanForUserId, type PrivacyBackend } from "./privacy-harness.js";

const HOUR = 3_600_000;
/** The player erased below, and one who stays. Distinctive digits, so a scan cannot hit them by chance. */
const ERASED = 731_902_846;
const STAYS = 52_004_117;
const GAME = "8880001";

let backend: PrivacyBackend;
let owner: string;
beforeEach(async () => {
	backend = await openPrivacyBackend();
	owner = await backend.adminAuth("owner");
});
afterEach(() => backend.close());

let seq = 0;
/** An event shaped as the SDK sends it: time-ordered ids, a session id that is an id too (no UserId in either). */
function ev(userId: number, time: number, type: IngestEvent["type"], name: string, props: IngestEvent["props"] = {}) {
	seq += 1;
	return {
		id: `01JH${String(time).padStart(14, "0")}${String(seq).padStart(6, "0")}`,
		time,
		userId,
		sessionId: userId === 0 ? "" : `01JHSESSION${userId === ERASED ? "A" : "B"}${Math.floor(time / (24 * HOUR))}`,
		type,
		name,
		props,
	};
}

/** Two players over two days: sessions with attributes, play, a purchase, an exposure, a consent choice. */
function dataset(): IngestEvent[] {
	const start = backend.clock.now - 30 * HOUR;
	const events: IngestEvent[] = [];
	for (const [i, userId] of [ERASED, STAYS].entries()) {
		for (const day of [0, 1]) {
			const t = start + day * 24 * HOUR + i * HOUR;
			events.push(ev(userId, t, "session_start", "player", { device: "phone", country: "DE", premium: i === 0 }));
			events.push(ev(userId, t + 1000, "custom", "jump", { zone: "lobby", height: 3 }));
			events.push(ev(userId, t + 2000, "purchase", "developer_product", { productId: 9, robux: 25 }));
			events.push(ev(userId, t + 3000, "exposure", "exp1", { variation: i }));
			events.push(ev(userId, t + 60_000, "session_end", "player", { duration: 59 }));
		}
		events.push(
			ev(userId, start + 5000, "consent", "player", {
				policyVersion: "v1",
				analytics: true,
				experiments: true,
				personalization: false,
				uiVersion: "1",
				region: "DE",
				source: "prompt",
			}),
		);
	}
	events.push(ev(0, start, "custom", "server_tick"));
	return events.sort((a, b) => (a.id < b.id ? -1 : 1));
}

function vantageDb(): string {
	return backend.databaseFiles[0]!;
}

/** The distinct user_id values of the game's rows in `table` of a vantage.db file. */
function userIdsIn(file: string, table: string): number[] {
	const db = new BetterSqlite3(file, { readonly: true });
	try {
		return db
			.prepare<[string], { user_id: number }>(`SELECT DISTINCT user_id FROM "${table}" WHERE game_id = ? ORDER BY 1`)
			.all(GAME)
			.map((row) => row.user_id);
	} finally {
		db.close();
	}
}

async function feed(events: IngestEvent[]): Promise<void> {
	for (let i = 0; i < events.length; i += 7) await backend.ingest(GAME, `b-${i}`, events.slice(i, i + 7));
	await backend.store.warehouse.catchUp();
}

async function get(path: string): Promise<Response> {
	const res = await backend.app.request(path, { headers: { Authorization: owner } });
	expect(res.status, path).toBe(200);
	return res;
}

describe("pseudonymous player ids", () => {
	it("keeps only pseudonyms in vantage.db's player columns, rollups included", async () => {
		await feed(dataset());
		const erased = backend.playerKeys.pseudonymOf(GAME, ERASED)!;
		const stays = backend.playerKeys.pseudonymOf(GAME, STAYS)!;
		expect(erased).toBeGreaterThan(0);
		expect(erased).not.toBe(ERASED);
		expect(new Set([erased, stays]).size).toBe(2);
		const expected = [0, erased, stays].sort((a, b) => a - b);
		expect(userIdsIn(vantageDb(), "events")).toEqual(expected);
		for (const table of ["wh_players", "wh_user_days", "wh_sessions", "wh_exposures", "consent_records"]) {
			expect(userIdsIn(vantageDb(), table), table).toEqual([erased, stays].sort((a, b) => a - b));
		}
		// Not one cell of vantage.db holds either UserId; the vault (player-keys.db) does, in its own rows.
		expect(scanForUserId([vantageDb()], ERASED)).toEqual([]);
		expect(scanForUserId([vantageDb()], STAYS)).toEqual([]);
		expect(scanForUserId([backend.databaseFiles[1]!], ERASED).map((t) => t.table)).toEqual(["player_keys"]);
	});

	it("answers with UserIds: events page, every events export format, the access export and consent records", async () => {
		const events = dataset();
		await feed(events);
		const mine = events.filter((e) => e.userId === ERASED).map((e) => e.id);

		const page = (await (await get(`/v1/games/${GAME}/events?userId=${ERASED}&limit=1000`)).json()) as {
			events: { id: string; userId: number }[];
		};
		expect(page.events.map((e) => e.id)).toEqual(mine);
		expect(new Set(page.events.map((e) => e.userId))).toEqual(new Set([ERASED]));

		const all = events.map((e) => [e.id, e.userId]);
		const ndjson = (await (await get(`/v1/games/${GAME}/events/export?format=ndjson`)).text())
			.split("\n")
			.filter(Boolean)
			.map((line) => JSON.parse(line) as { id: string; userId: number });
		expect(ndjson.map((e) => [e.id, e.userId])).toEqual(all);

		const csv = parse(await (await get(`/v1/games/${GAME}/events/export?format=csv`)).text()) as string[][];
		const [header, ...rows] = csv;
		const id = header!.indexOf("id");
		const user = header!.indexOf("userId");
		expect(rows.map((r) => [r[id], Number(r[user])])).toEqual(all);

		const parquet = new Uint8Array(await (await get(`/v1/games/${GAME}/events/export?format=parquet`)).arrayBuffer());
		const table = tableFromIPC(readParquet(parquet).intoIPCStream());
		const parquetRows = table.toArray().map((row: { toJSON(): { id: string; userId: bigint } }) => row.toJSON());
		expect(parquetRows.map((r) => [r.id, Number(r.userId)])).toEqual(all);

		const exported = (await (await get(`/v1/games/${GAME}/players/${ERASED}/export`)).json()) as {
			userId: number;
			events: { id: string; userId: number }[];
			records: Record<string, { user_id: number }[]>;
		};
		expect(exported.userId).toBe(ERASED);
		expect(exported.events.map((e) => e.id)).toEqual(mine);
		expect(new Set(exported.events.map((e) => e.userId))).toEqual(new Set([ERASED]));
		for (const table of ["wh_players", "wh_user_days", "wh_sessions", "wh_exposures", "consent_records"]) {
			expect(exported.records[table]!.length, table).toBeGreaterThan(0);
			expect(new Set(exported.records[table]!.map((r) => r.user_id)), table).toEqual(new Set([ERASED]));
		}

		const consent = (await (await get(`/v1/games/${GAME}/players/${ERASED}/consent`)).json()) as {
			userId: number;
			records: { readable: boolean; region: string | null }[];
		};
		expect(consent.userId).toBe(ERASED);
		expect(consent.records).toMatchObject([{ readable: true, region: "DE" }]);
	});

	it("leaves a backup of vantage.db taken before an erasure without a way back to the player", async () => {
		await feed(dataset());
		const backup = join(backend.dir, "backup-vantage.db");
		const live = new BetterSqlite3(vantageDb(), { readonly: true });
		live.prepare("VACUUM INTO ?").run(backup);
		live.close();
		// The backup holds the erased player's rows, under the pseudonym the running server resolves for now.
		const pseudonym = backend.playerKeys.pseudonymOf(GAME, ERASED)!;
		expect(userIdsIn(backup, "events")).toContain(pseudonym);
		expect(backend.playerKeys.userIdOf(GAME, pseudonym)).toBe(ERASED);

		const res = await backend.app.request(`/v1/games/${GAME}/players/${ERASED}`, {
			method: "DELETE",
			headers: { Authorization: owner },
		});
		expect(res.status).toBe(202);
		await backend.erasure.jobs.idle();

		// The copy has no UserId of the player in any cell, and the pseudonym it holds resolves to nobody, also
		// through a fresh connection to the vault file (no cache).
		expect(scanForUserId([backup], ERASED)).toEqual([]);
		expect(userIdsIn(backup, "events")).toContain(pseudonym);
		expect(backend.playerKeys.userIdOf(GAME, pseudonym)).toBeUndefined();
		const vault = new BetterSqlite3(backend.databaseFiles[1]!, { readonly: true });
		try {
			expect(
				vault.prepare("SELECT * FROM player_keys WHERE game_id = ? AND pseudonym = ?").all(GAME, pseudonym),
			).toEqual([]);
		} finally {
			vault.close();
		}
		// The live database holds neither; the other player keeps theirs.
		expect(scanForUserId([vantageDb()], pseudonym)).toEqual([]);
		expect(backend.playerKeys.userIdOf(GAME, backend.playerKeys.pseudonymOf(GAME, STAYS)!)).toBe(STAYS);
	});

	it("leaves QA users, named by UserId in the experiment, out of the experiment's units", async () => {
		const events = dataset();
		await feed(events);
		const from = events[0]!.time;
		const query = { gameId: GAME, experimentKey: "exp1", from, to: backend.clock.now, metric: exposureMetric("exp1") };
		const units = async (excludeUserIds: number[]) =>
			(await backend.store.experimentMetricSums({ ...query, excludeUserIds })).reduce((n, row) => n + row.units, 0);
		expect(await units([])).toBe(2);
		expect(await units([ERASED])).toBe(1);
		expect(await units([ERASED, STAYS, 999])).toBe(0);
	});

	it("gives a player first seen by concurrent batches exactly one vault row and one pseudonym", async () => {
		const start = backend.clock.now - HOUR;
		const batches = Array.from({ length: 8 }, (_, b) =>
			Array.from({ length: 20 }, (_, i) => ev(i % 2 ? ERASED : STAYS, start + b * 100 + i, "custom", "jump")),
		);
		await Promise.all(batches.map((events, b) => backend.ingest(GAME, `c-${b}`, events)));
		const vault = new BetterSqlite3(backend.databaseFiles[1]!, { readonly: true });
		try {
			const rows = vault
				.prepare<[string], { user_id: number; pseudonym: number }>(
					"SELECT user_id, pseudonym FROM player_keys WHERE game_id = ? ORDER BY user_id",
				)
				.all(GAME);
			expect(rows.map((r) => r.user_id)).toEqual([STAYS, ERASED]);
			expect(userIdsIn(vantageDb(), "events")).toEqual(rows.map((r) => r.pseudonym).sort((a, b) => a - b));
		} finally {
			vault.close();
		}
		const listed = await backend.store.listEvents({ gameId: GAME, limit: 1000 });
		expect(listed).toHaveLength(160);
		expect(listed.filter((e) => e.userId === ERASED)).toHaveLength(80);
	});
});
