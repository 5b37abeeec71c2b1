import { describe, expect, it } from "vitest";
import { DEFAULT_GAME_SETTINGS, type GameSettings } from "../store/types.js";
import { CLIENT_CLOCK_TRUST_TTL_MS, ClientClockTrust } from "./client-clock-trust.js";

/** A store holding only settings, counting its reads. */
function fakeStore(trusted: Record<string, boolean> = {}) {
	const reads: string[] = [];
	let failing = false;
	return {
		trusted,
		reads,
		fail(on: boolean) {
			failing = on;
		},
		async getGameSettings(gameId: string): Promise<GameSettings> {
			reads.push(gameId);
			if (failing) throw new Error("database is locked");
			return { gameId, ...DEFAULT_GAME_SETTINGS, trustClientClock: trusted[gameId] ?? false };
		},
	};
}

describe("ClientClockTrust", () => {
	it("reads a game's setting once and answers from memory until the TTL passes", async () => {
		const store = fakeStore({ a: true });
		const clock = { now: 1000 };
		const trust = new ClientClockTrust({ store, clock: () => clock.now });
		expect(await trust.trusts("a")).toBe(true);
		expect(await trust.trusts("b")).toBe(false);
		store.trusted.a = false;
		clock.now += CLIENT_CLOCK_TRUST_TTL_MS - 1;
		expect(await trust.trusts("a")).toBe(true);
		expect(store.reads).toEqual(["a", "b"]);

		clock.now += 1;
		expect(await trust.trusts("a")).toBe(false);
		expect(store.reads).toEqual(["a", "b", "a"]);
	});

	it("makes one read for a burst of batches arriving together", async () => {
		const store = fakeStore({ a: true });
		const trust = new ClientClockTrust({ store, clock: () => 0 });
		expect(await Promise.all([trust.trusts("a"), trust.trusts("a"), trust.trusts("a")])).toEqual([true, true, true]);
		expect(store.reads).toEqual(["a"]);
	});

	it("reads again at once after forget (a settings change in this process)", async () => {
		const store = fakeStore();
		const trust = new ClientClockTrust({ store, clock: () => 0 });
		expect(await trust.trusts("a")).toBe(false);
		store.trusted.a = true;
		trust.forget("a");
		expect(await trust.trusts("a")).toBe(true);
		expect(store.reads).toEqual(["a", "a"]);
	});

	it("does not remember a failed read", async () => {
		const store = fakeStore({ a: true });
		const trust = new ClientClockTrust({ store, clock: () => 0 });
		store.fail(true);
		await expect(trust.trusts("a")).rejects.toThrow(/locked/);
		store.fail(false);
		expect(await trust.trusts("a")).toBe(true);
	});

	it("forgets the game cached first once it holds more than maxGames", async () => {
		const store = fakeStore();
		const trust = new ClientClockTrust({ store, clock: () => 0, maxGames: 2 });
		for (const game of ["a", "b", "c", "b", "c"]) await trust.trusts(game);
		expect(store.reads).toEqual(["a", "b", "c"]);
		await trust.trusts("a");
		expect(store.reads).toEqual(["a", "b", "c", "a"]);
	});
});
