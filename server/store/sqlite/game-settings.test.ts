// SqliteStore: per-game settings and the digest state (migration 4). Kept apart from sqlite-store.test.ts so each
// part of the store contract can grow on its own.
import BetterSqlite3 from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { T0 } from "../../testing/fixtures.js";
import type { Store } from "../types.js";
import { migrate } from "./migrate.js";
import { MIGRATIONS } from "./migrations.js";
import { openSqliteStore } from "./sqlite-store.js";

let store: Store;
beforeEach(async () => {
	store = openSqliteStore({ path: ":memory:" });
	await store.createGame({ id: "g1", name: "Game one", createdAt: T0 });
	await store.createGame({ id: "g2", name: "Game two", createdAt: T0 });
});
afterEach(() => store.close());

describe("SqliteStore game settings", () => {
	it("answers the defaults for a game never configured", async () => {
		expect(await store.getGameSettings("g1")).toEqual({
			gameId: "g1",
			timeZone: "UTC",
			rawRetentionDays: null,
			digestWebhookUrl: null,
			digestHour: 9,
			trustClientClock: false,
			consentDefault: "opt-in",
			updatedAt: null,
		});
		expect(await store.listGameSettings()).toEqual([]);
	});

	it("changes only the settings named, and clears one with null", async () => {
		const first = await store.updateGameSettings("g1", { timeZone: "Europe/Berlin", rawRetentionDays: 90 }, T0 + 1);
		expect(first).toEqual({
			gameId: "g1",
			timeZone: "Europe/Berlin",
			rawRetentionDays: 90,
			digestWebhookUrl: null,
			digestHour: 9,
			trustClientClock: false,
			consentDefault: "opt-in",
			updatedAt: T0 + 1,
		});
		await store.updateGameSettings("g1", { digestWebhookUrl: "https://example.com/hook", digestHour: 0 }, T0 + 2);
		const cleared = await store.updateGameSettings("g1", { rawRetentionDays: null, timeZone: undefined }, T0 + 3);
		expect(cleared).toEqual({
			gameId: "g1",
			timeZone: "Europe/Berlin",
			rawRetentionDays: null,
			digestWebhookUrl: "https://example.com/hook",
			digestHour: 0,
			trustClientClock: false,
			consentDefault: "opt-in",
			updatedAt: T0 + 3,
		});
		expect(await store.getGameSettings("g1")).toEqual(cleared);
		expect(await store.getGameSettings("g2")).toMatchObject({ timeZone: "UTC", updatedAt: null });
		expect((await store.listGameSettings()).map((s) => s.gameId)).toEqual(["g1"]);
	});

	it("turns trustClientClock on and off without touching the other settings (migration 6)", async () => {
		await store.updateGameSettings("g1", { timeZone: "Asia/Tokyo" }, T0 + 1);
		const on = await store.updateGameSettings("g1", { trustClientClock: true }, T0 + 2);
		expect(on).toMatchObject({ timeZone: "Asia/Tokyo", trustClientClock: true, updatedAt: T0 + 2 });
		expect(await store.getGameSettings("g1")).toEqual(on);
		expect((await store.listGameSettings())[0]).toEqual(on);
		// A change of another setting keeps it.
		expect(await store.updateGameSettings("g1", { digestHour: 5 }, T0 + 3)).toMatchObject({ trustClientClock: true });
		expect(await store.updateGameSettings("g1", { trustClientClock: false }, T0 + 4)).toMatchObject({
			timeZone: "Asia/Tokyo",
			digestHour: 5,
			trustClientClock: false,
		});
		expect((await store.getGameSettings("g2")).trustClientClock).toBe(false);
	});

	it("refuses settings of an unknown game and an hour outside 0..23", async () => {
		await expect(store.updateGameSettings("nope", { digestHour: 3 }, T0)).rejects.toThrow(/FOREIGN KEY/);
		await expect(store.updateGameSettings("g1", { digestHour: 24 }, T0)).rejects.toThrow(/CHECK/);
	});
});

describe("migration 6 (trust_client_clock)", () => {
	it("gives settings stored before it trustClientClock off, and refuses a value other than 0 or 1", () => {
		const db = new BetterSqlite3(":memory:");
		try {
			migrate(db, MIGRATIONS.slice(0, 5));
			db.prepare("INSERT INTO games (id, name, created_at) VALUES ('g1', 'Game one', 0)").run();
			db.prepare("INSERT INTO game_settings (game_id, time_zone, updated_at) VALUES ('g1', 'Europe/Berlin', 1)").run();
			expect(migrate(db, MIGRATIONS.slice(0, 6)).applied).toEqual([6]);
			expect(db.prepare("SELECT time_zone, trust_client_clock FROM game_settings").get()).toEqual({
				time_zone: "Europe/Berlin",
				trust_client_clock: 0,
			});
			expect(() => db.prepare("UPDATE game_settings SET trust_client_clock = 2").run()).toThrow(/CHECK/);
		} finally {
			db.close();
		}
	});
});

describe("SqliteStore digest state", () => {
	it("claims a day once, settles it, and never claims it (or an earlier day) again", async () => {
		expect(await store.getDigestState("g1")).toBeUndefined();
		expect(await store.claimDigestDay("g1", "2025-01-01", T0, T0 + 60_000)).toBe(true);
		// Another process while the claim holds.
		expect(await store.claimDigestDay("g1", "2025-01-01", T0 + 1, T0 + 60_001)).toBe(false);
		expect(await store.getDigestState("g1")).toMatchObject({ claimedDay: "2025-01-01", claimedUntil: T0 + 60_000 });

		await store.finishDigestDay("g1", { day: "2025-01-01", settled: true, attempts: 2, error: null }, T0 + 5);
		expect(await store.getDigestState("g1")).toEqual({
			gameId: "g1",
			lastDay: "2025-01-01",
			attempts: 2,
			lastError: null,
			claimedDay: null,
			claimedUntil: null,
			updatedAt: T0 + 5,
		});
		expect(await store.claimDigestDay("g1", "2025-01-01", T0 + 10, T0 + 70_000)).toBe(false);
		expect(await store.claimDigestDay("g1", "2024-12-31", T0 + 10, T0 + 70_000)).toBe(false);
		expect(await store.claimDigestDay("g1", "2025-01-02", T0 + 10, T0 + 70_000)).toBe(true);
		expect(await store.claimDigestDay("g2", "2025-01-01", T0 + 10, T0 + 70_000)).toBe(true);
	});

	it("lets a day be claimed again when its claim expired or was released unsettled", async () => {
		await store.claimDigestDay("g1", "2025-01-01", T0, T0 + 60_000);
		expect(await store.claimDigestDay("g1", "2025-01-01", T0 + 60_000, T0 + 120_000)).toBe(true);

		await store.finishDigestDay("g1", { day: "2025-01-01", settled: false, attempts: 1, error: "aborted" }, T0 + 1);
		expect(await store.getDigestState("g1")).toMatchObject({ lastDay: null, lastError: "aborted", claimedDay: null });
		expect(await store.claimDigestDay("g1", "2025-01-01", T0 + 2, T0 + 60_000)).toBe(true);
	});

	it("records a day given up as settled, with its error", async () => {
		await store.claimDigestDay("g1", "2025-01-01", T0, T0 + 60_000);
		await store.finishDigestDay("g1", { day: "2025-01-01", settled: true, attempts: 1, error: "HTTP 404" }, T0 + 1);
		expect(await store.getDigestState("g1")).toMatchObject({ lastDay: "2025-01-01", lastError: "HTTP 404" });
		expect(await store.claimDigestDay("g1", "2025-01-01", T0 + 2, T0 + 60_000)).toBe(false);
	});
});
