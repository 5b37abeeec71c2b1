import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { IngestEvent, ValidatedBatch } from "../../ingest/schema.js";
import { T0, makeEvent, makeEvents } from "../../testing/fixtures.js";
import type { ListEventsQuery, Store } from "../types.js";
import { configureConnection, openSqliteStore } from "./sqlite-store.js";

const RECEIVED = T0 + 1000;

function batch(batchId: string, events: IngestEvent[], rejected: ValidatedBatch["rejected"] = []): ValidatedBatch {
	return { batchId, sentAt: T0, events, rejected };
}

let store: Store;
beforeEach(async () => {
	store = openSqliteStore({ path: ":memory:" });
	await store.createGame({ id: "g1", name: "Game one", createdAt: T0 });
	await store.createGame({ id: "g2", name: "Game two", createdAt: T0 });
});
afterEach(() => store.close());

describe("openSqliteStore", () => {
	it("configures WAL, synchronous=NORMAL, foreign keys and a busy timeout", () => {
		const dir = mkdtempSync(join(tmpdir(), "vantage-store-"));
		const db = new BetterSqlite3(join(dir, "vantage.db"));
		try {
			configureConnection(db, 1234);
			expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
			expect(db.pragma("synchronous", { simple: true })).toBe(1); // NORMAL
			expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
			expect(db.pragma("busy_timeout", { simple: true })).toBe(1234);
		} finally {
			db.close();
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it("creates the database file in WAL mode", async () => {
		const dir = mkdtempSync(join(tmpdir(), "vantage-store-"));
		try {
			const path = join(dir, "vantage.db");
			await openSqliteStore({ path }).close();
			const db = new BetterSqlite3(path);
			expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
			db.close();
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});

describe("SqliteStore.ingestBatch", () => {
	it("stores every event of a new batch", async () => {
		const outcome = await store.ingestBatch("g1", batch("b1", makeEvents(3)), RECEIVED);
		expect(outcome).toEqual({ result: { accepted: 3, duplicates: 0, rejected: [] }, replayed: false });
		expect(await store.listEvents({ gameId: "g1", limit: 10 })).toHaveLength(3);
	});

	it("answers a repeated batchId with the stored response and writes nothing", async () => {
		const rejected = [{ index: 3, code: "invalid_event" as const, message: "name: too short" }];
		const first = await store.ingestBatch("g1", batch("b1", makeEvents(3), rejected), RECEIVED);
		const retry = await store.ingestBatch("g1", batch("b1", makeEvents(5, "other")), RECEIVED + 5000);
		expect(retry).toEqual({ result: first.result, replayed: true });
		const events = await store.listEvents({ gameId: "g1", limit: 10 });
		expect(events.map((e) => e.id)).toEqual(["e-0001", "e-0002", "e-0003"]);
		expect(events.every((e) => e.receivedAt === RECEIVED)).toBe(true);
	});

	it("counts an event id already stored as a duplicate", async () => {
		await store.ingestBatch("g1", batch("b1", makeEvents(2)), RECEIVED);
		const { result } = await store.ingestBatch("g1", batch("b2", makeEvents(3)), RECEIVED);
		expect(result).toEqual({ accepted: 1, duplicates: 2, rejected: [] });
		expect(await store.listEvents({ gameId: "g1", limit: 10 })).toHaveLength(3);
	});

	it("counts a repeated id within one batch as a duplicate", async () => {
		const { result } = await store.ingestBatch("g1", batch("b1", [makeEvent(), makeEvent()]), RECEIVED);
		expect(result).toEqual({ accepted: 1, duplicates: 1, rejected: [] });
	});

	it("scopes batch ids and event ids to the game", async () => {
		await store.ingestBatch("g1", batch("b1", makeEvents(2)), RECEIVED);
		const other = await store.ingestBatch("g2", batch("b1", makeEvents(2)), RECEIVED);
		expect(other.result).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
		expect(await store.listEvents({ gameId: "g1", limit: 10 })).toHaveLength(2);
		expect(await store.listEvents({ gameId: "g2", limit: 10 })).toHaveLength(2);
	});

	it("writes nothing when the transaction fails", async () => {
		const bad = makeEvent({ id: "e-bad", userId: "x" as unknown as number });
		await expect(store.ingestBatch("g1", batch("b1", [...makeEvents(2), bad]), RECEIVED)).rejects.toThrow();
		expect(await store.listEvents({ gameId: "g1", limit: 10 })).toEqual([]);
		// The batch id was not consumed either, so a corrected retry goes through.
		expect((await store.ingestBatch("g1", batch("b1", makeEvents(2)), RECEIVED)).result).toMatchObject({ accepted: 2 });
	});
});

describe("SqliteStore.listEvents", () => {
	beforeEach(async () => {
		await store.ingestBatch(
			"g1",
			batch("b1", [
				makeEvent({ id: "a1", userId: 1, type: "session_start", name: "start", props: {} }),
				makeEvent({ id: "a2", userId: 1, type: "custom", name: "jump", props: { height: 2.5, ok: true } }),
			]),
			RECEIVED,
		);
		await store.ingestBatch(
			"g1",
			batch("b2", [makeEvent({ id: "a3", userId: 2, type: "custom", name: "jump", props: { note: null } })]),
			RECEIVED + 1,
		);
	});

	it("reads events back in id order with props as objects", async () => {
		const events = await store.listEvents({ gameId: "g1", limit: 10 });
		expect(events.map((e) => e.id)).toEqual(["a1", "a2", "a3"]);
		expect(events[1]).toEqual({
			gameId: "g1",
			id: "a2",
			batchId: "b1",
			userId: 1,
			sessionId: "s-1",
			type: "custom",
			name: "jump",
			time: T0,
			receivedAt: RECEIVED,
			props: { height: 2.5, ok: true },
		});
	});

	it.each([
		[{ batchId: "b2" }, ["a3"]],
		[{ userId: 1 }, ["a1", "a2"]],
		[{ type: "custom" as const }, ["a2", "a3"]],
		[{ userId: 1, type: "custom" as const }, ["a2"]],
		[{ userId: 0 }, []],
	])("filters by %o", async (filter, ids) => {
		const events = await store.listEvents({ gameId: "g1", limit: 10, ...filter });
		expect(events.map((e) => e.id)).toEqual(ids);
	});

	it("pages with limit and after", async () => {
		const first = await store.listEvents({ gameId: "g1", limit: 2 });
		expect(first.map((e) => e.id)).toEqual(["a1", "a2"]);
		const second = await store.listEvents({ gameId: "g1", limit: 2, after: "a2" });
		expect(second.map((e) => e.id)).toEqual(["a3"]);
	});

	it("returns nothing for another game", async () => {
		expect(await store.listEvents({ gameId: "g2", limit: 10 })).toEqual([]);
	});
});

describe("SqliteStore.listEvents by name and time", () => {
	// Ids and times deliberately disagree in places (a late id with an early time and the reverse), so a result
	// that relied on ids following time would show here. Another game shares names and times.
	const events: IngestEvent[] = Array.from({ length: 60 }, (_, i) =>
		makeEvent({
			id: `e-${String(i).padStart(3, "0")}`,
			time: T0 + (i % 10 === 7 ? 59 - i : i) * 1000,
			userId: i % 3,
			type: i % 4 === 0 ? "progression" : "custom",
			name: ["jump", "shop", "die"][i % 3],
		}),
	);
	beforeEach(async () => {
		await store.ingestBatch("g1", batch("b1", events), RECEIVED);
		await store.ingestBatch("g2", batch("b1", events.slice(0, 20)), RECEIVED);
	});

	/** Every page of a query, following `after` like a client. */
	async function allPages(query: Omit<ListEventsQuery, "after">): Promise<string[]> {
		const ids: string[] = [];
		for (let after: string | undefined, page = 0; page < 100; page++) {
			const rows = await store.listEvents({ ...query, ...(after === undefined ? {} : { after }) });
			ids.push(...rows.map((e) => e.id));
			if (rows.length < query.limit) return ids;
			after = rows.at(-1)?.id;
		}
		throw new Error("paging did not end");
	}

	it.each<[Pick<ListEventsQuery, "name" | "from" | "to" | "type" | "userId">]>([
		[{ from: T0 + 10_000, to: T0 + 20_000 }],
		[{ from: T0 + 50_000 }],
		[{ to: T0 + 5_000 }],
		[{ name: "shop" }],
		[{ name: "shop", from: T0 + 5_000, to: T0 + 45_000 }],
		[{ name: "die", type: "progression", userId: 2 }],
		[{ from: T0 + 2_000, to: T0 + 3_000 }],
		[{ from: T0 + 100_000 }],
		[{ name: "none" }],
	])("pages through %o exactly like filtering every event, at every page size", async (filter) => {
		const expected = events
			.filter(
				(e) =>
					(filter.from === undefined || e.time >= filter.from) &&
					(filter.to === undefined || e.time < filter.to) &&
					(filter.name === undefined || e.name === filter.name) &&
					(filter.type === undefined || e.type === filter.type) &&
					(filter.userId === undefined || e.userId === filter.userId),
			)
			.map((e) => e.id)
			.sort();
		for (const limit of [1, 2, 3, 7, 100]) {
			expect(await allPages({ gameId: "g1", limit, ...filter }), `limit ${limit}`).toEqual(expected);
		}
	});

	it("pages exactly through a range of more events than the id probe covers on later pages", async () => {
		// 30,000 events in a game of their own; a few early ids carry late times, so ids do not follow time.
		const many = Array.from({ length: 30_000 }, (_, i) =>
			makeEvent({
				id: `m-${String(i).padStart(6, "0")}`,
				time: T0 + (i % 1000 === 500 && i < 10_000 ? 26_000 + Math.floor(i / 1000) : i),
				name: "tick",
			}),
		);
		await store.createGame({ id: "g3", name: "Game three", createdAt: T0 });
		for (let i = 0; i < many.length; i += 10_000) {
			await store.ingestBatch("g3", batch(`many-${i}`, many.slice(i, i + 10_000)), RECEIVED);
		}
		const from = T0 + 2_000;
		const to = T0 + 27_000;
		const expected = many
			.filter((e) => e.time >= from && e.time < to)
			.map((e) => e.id)
			.sort();
		expect(expected.length).toBeGreaterThan(20_000);
		for (const query of [
			{ from, to },
			{ from, to, name: "tick" },
		]) {
			expect(await allPages({ gameId: "g3", limit: 4000, ...query })).toEqual(expected);
		}
	});

	it("finds an event whose id is far from its time neighbours, on the first page and after a cursor", async () => {
		// [10 s, 20 s) holds e-010…e-019 except e-017 (its time is 42 s), plus e-047 (time 12 s).
		const range = { gameId: "g1", from: T0 + 10_000, to: T0 + 20_000, limit: 100 };
		const inRange = ["e-010", "e-011", "e-012", "e-013", "e-014", "e-015", "e-016", "e-018", "e-019", "e-047"];
		expect((await store.listEvents(range)).map((e) => e.id)).toEqual(inRange);
		expect((await store.listEvents({ ...range, after: "e-012" })).map((e) => e.id)).toEqual(inRange.slice(3));
		expect((await store.listEvents({ ...range, after: "e-047" })).map((e) => e.id)).toEqual([]);
	});
});

describe("SqliteStore games", () => {
	it("creates a game once and lists games by id", async () => {
		expect(await store.createGame({ id: "a0", name: "First", createdAt: T0 + 5 })).toBe(true);
		expect(await store.createGame({ id: "a0", name: "Again", createdAt: T0 + 6 })).toBe(false);
		expect(await store.getGame("a0")).toEqual({ id: "a0", name: "First", createdAt: T0 + 5 });
		expect((await store.listGames()).map((g) => g.id)).toEqual(["a0", "g1", "g2"]);
		expect(await store.getGame("nope")).toBeUndefined();
	});

	it("refuses a batch for a game that is not registered", async () => {
		await expect(store.ingestBatch("unknown", batch("b1", makeEvents(1)), RECEIVED)).rejects.toThrow();
	});
});

describe("SqliteStore API keys", () => {
	const key = {
		id: "vk_1",
		gameId: "g1",
		name: "production",
		secretHash: "ab".repeat(32),
		scopes: ["ingest" as const, "config" as const],
		createdAt: T0,
		revokedAt: null,
	};

	it("stores, reads and lists keys", async () => {
		await store.insertApiKey(key);
		await store.insertApiKey({ ...key, id: "vk_2", gameId: "g2", scopes: ["ingest"] });
		expect(await store.getApiKey("vk_1")).toEqual(key);
		expect((await store.listApiKeys("g2")).map((k) => [k.id, k.scopes])).toEqual([["vk_2", ["ingest"]]]);
		expect((await store.listApiKeys()).map((k) => k.id)).toEqual(["vk_1", "vk_2"]);
	});

	it("revokes a key once", async () => {
		await store.insertApiKey(key);
		expect(await store.revokeApiKey("vk_1", T0 + 9)).toBe(true);
		expect(await store.revokeApiKey("vk_1", T0 + 10)).toBe(false);
		expect(await store.revokeApiKey("nope", T0 + 10)).toBe(false);
		expect((await store.getApiKey("vk_1"))?.revokedAt).toBe(T0 + 9);
	});

	it("refuses a key for an unknown game", async () => {
		await expect(store.insertApiKey({ ...key, gameId: "missing" })).rejects.toThrow();
	});
});

describe("SqliteStore admin users", () => {
	const user = {
		id: "u1",
		email: "ada@example.com",
		passwordHash: "$argon2id$x",
		admin: true,
		createdAt: T0,
		disabledAt: null,
	};

	it("stores users with unique emails", async () => {
		expect(await store.insertAdminUser(user)).toBe(true);
		expect(await store.insertAdminUser({ ...user, id: "u2" })).toBe(false);
		expect(await store.getAdminUser("u1")).toEqual(user);
		expect(await store.getAdminUserByEmail("ada@example.com")).toEqual(user);
		expect(await store.listAdminUsers()).toEqual([user]);
	});

	it("changes the admin role, disables and re-enables a user", async () => {
		await store.insertAdminUser(user);
		expect(await store.updateAdminUser("u1", { admin: false })).toBe(true);
		expect(await store.getAdminUser("u1")).toMatchObject({ admin: false, disabledAt: null });
		await store.updateAdminUser("u1", { disabledAt: T0 + 5 });
		expect(await store.getAdminUser("u1")).toMatchObject({ admin: false, disabledAt: T0 + 5 });
		await store.updateAdminUser("u1", { disabledAt: null });
		expect((await store.getAdminUser("u1"))?.disabledAt).toBeNull();
		expect(await store.updateAdminUser("nope", { admin: true })).toBe(false);
	});

	it("keeps one role per user and game, and refuses an unknown role", async () => {
		await store.insertAdminUser({ ...user, admin: false });
		await store.createGame({ id: "g1", name: "g1", createdAt: T0 });
		await store.createGame({ id: "g2", name: "g2", createdAt: T0 });
		await store.access.putGrant({ userId: "u1", gameId: "g1", role: "viewer", grantedAt: T0 });
		await store.access.putGrant({ userId: "u1", gameId: "g1", role: "analyst", grantedAt: T0 + 1 });
		await store.access.putGrant({ userId: "u1", gameId: "g2", role: "owner", grantedAt: T0 + 2 });
		expect(await store.access.listUserGrants("u1")).toEqual([
			{ userId: "u1", gameId: "g1", role: "analyst", grantedAt: T0 + 1 },
			{ userId: "u1", gameId: "g2", role: "owner", grantedAt: T0 + 2 },
		]);
		expect((await store.access.listGameGrants("g2")).map((g) => g.userId)).toEqual(["u1"]);
		expect(await store.access.deleteGrant("u1", "g2")).toBe(true);
		expect(await store.access.deleteGrant("u1", "g2")).toBe(false);
		await expect(
			store.access.putGrant({ userId: "u1", gameId: "g1", role: "root" as "owner", grantedAt: T0 }),
		).rejects.toThrow();
		// A grant names a real user and a real game.
		await expect(
			store.access.putGrant({ userId: "u1", gameId: "nope", role: "owner", grantedAt: T0 }),
		).rejects.toThrow();
	});
});

describe("SqliteStore admin sessions", () => {
	const session = {
		id: "a".repeat(64),
		userId: "u1",
		csrfToken: "csrf-1",
		createdAt: T0,
		lastSeenAt: T0,
		expiresAt: T0 + 10_000,
	};
	beforeEach(() =>
		store.insertAdminUser({
			id: "u1",
			email: "ada@example.com",
			passwordHash: "$argon2id$x",
			admin: true,
			createdAt: T0,
			disabledAt: null,
		}),
	);

	it("stores, touches and deletes a session", async () => {
		await store.insertAdminSession(session);
		expect(await store.getAdminSession(session.id)).toEqual(session);
		expect(await store.touchAdminSession(session.id, T0 + 500)).toBe(true);
		// A touch never moves lastSeenAt back (two requests finishing out of order).
		await store.touchAdminSession(session.id, T0 + 100);
		expect((await store.getAdminSession(session.id))?.lastSeenAt).toBe(T0 + 500);
		expect(await store.deleteAdminSession(session.id)).toBe(true);
		expect(await store.deleteAdminSession(session.id)).toBe(false);
		expect(await store.getAdminSession(session.id)).toBeUndefined();
		expect(await store.touchAdminSession(session.id, T0 + 600)).toBe(false);
	});

	it("deletes sessions past their absolute expiry or idle for too long, and only those", async () => {
		await store.insertAdminSession(session);
		await store.insertAdminSession({ ...session, id: "b".repeat(64), expiresAt: T0 + 1_000 });
		await store.insertAdminSession({ ...session, id: "c".repeat(64), lastSeenAt: T0 - 1 });
		expect(await store.deleteStaleAdminSessions(T0 + 1_000, T0)).toBe(2);
		expect(await store.getAdminSession(session.id)).toEqual(session);
	});

	it("refuses a session of an unknown user", async () => {
		await expect(store.insertAdminSession({ ...session, userId: "nobody" })).rejects.toThrow();
	});
});

describe("SqliteStore signing keys", () => {
	const signingKey = (kid: string, createdAt: number) => ({
		kid,
		alg: "EdDSA",
		privateJwk: "{}",
		publicJwk: "{}",
		createdAt,
		retiredAt: null,
	});

	it("retires the previous active key when a new one is added", async () => {
		expect(await store.addSigningKey(signingKey("k1", T0))).toBe(true);
		expect(await store.addSigningKey(signingKey("k2", T0 + 100))).toBe(true);
		expect((await store.listSigningKeys()).map((k) => [k.kid, k.retiredAt])).toEqual([
			["k2", null],
			["k1", T0 + 100],
		]);
	});

	it("adds nothing when an active key is newer than unlessActiveNewerThan", async () => {
		await store.addSigningKey(signingKey("k1", T0));
		expect(
			await store.addSigningKey(signingKey("k2", T0 + 100), { unlessActiveNewerThan: Number.NEGATIVE_INFINITY }),
		).toBe(false);
		expect(await store.addSigningKey(signingKey("k3", T0 + 100), { unlessActiveNewerThan: T0 })).toBe(true);
		expect((await store.listSigningKeys()).map((k) => k.kid)).toEqual(["k3", "k1"]);
	});
});

describe("SqliteStore.ping and close", () => {
	it("pings while open and rejects after close", async () => {
		await expect(store.ping()).resolves.toBeUndefined();
		await store.close();
		await expect(store.ping()).rejects.toThrow();
	});

	it("can be closed twice", async () => {
		await store.close();
		await expect(store.close()).resolves.toBeUndefined();
	});
});
