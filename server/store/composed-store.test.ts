// composeStore on the embedded engine: each half is a real SQLite store, so what the composition routes where and how
// it joins a player's data and erasure is checked against SQLite's own one-transaction answers.
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { IngestEvent } from "../ingest/schema.js";
import { consentSealer } from "../privacy/consent-records.js";
import { PlayerKeyring } from "../privacy/player-keys.js";
import { composeStore } from "./composed-store.js";
import { openSqliteStore, type SqliteEngine } from "./sqlite/sqlite-store.js";
import type { Store } from "./types.js";

const T0 = Date.UTC(2026, 0, 5);

const consent = (id: string, userId: number, analytics: boolean): IngestEvent => ({
	id,
	time: T0 + 1,
	userId,
	sessionId: "s",
	type: "consent",
	name: "consent",
	props: { policyVersion: "1", analytics, experiments: false, personalization: false, region: "US", source: "api" },
});
const custom = (id: string, userId: number, name = "level_up"): IngestEvent => ({
	id,
	time: T0 + 2,
	userId,
	sessionId: "s",
	type: "custom",
	name,
	props: {},
});

describe("composeStore", () => {
	let keyring: PlayerKeyring;
	const opened: SqliteEngine[] = [];
	const open = () => {
		const engine = openSqliteStore({ path: ":memory:", players: keyring, consentSealer: consentSealer(keyring) });
		opened.push(engine);
		return engine;
	};
	beforeEach(() => {
		keyring = PlayerKeyring.open({ path: ":memory:", masterKey: randomBytes(32) });
	});
	afterEach(async () => {
		for (const engine of opened.splice(0)) await engine.close();
		keyring.close();
	});

	/** The same game, experiments and events in `store`: player 7 has consent records, events and a forced variation. */
	async function fill(store: Store): Promise<void> {
		await store.createGame({ id: "g1", name: "One", createdAt: T0 });
		const definition = { forcedVariations: { "7": "b", "8": "a" } } as never;
		await store.insertExperiment({
			gameId: "g1",
			key: "qa",
			status: "running",
			definition,
			revision: 1,
			createdAt: T0,
			updatedAt: T0,
			adaptiveWeights: null,
			adaptiveUpdatedAt: null,
		});
		const events = [consent("c1", 7, true), consent("c2", 8, false), custom("e1", 7), custom("e2", 8), custom("e3", 7)];
		await store.ingestBatch("g1", { batchId: "b1", sentAt: T0, events, rejected: [] }, T0 + 10);
		await store.warehouse.catchUp();
	}

	it("routes metadata to the metadata half and events, their pruning and the warehouse to the event half", async () => {
		const metadata = open();
		const events = open();
		const store = composeStore({ metadata, events });
		expect(await store.createGame({ id: "g1", name: "One", createdAt: T0 })).toBe(true);
		expect(await metadata.getGame("g1")).toBeDefined();
		expect(await events.getGame("g1")).toBeUndefined();
		// The SQLite event half keeps events per game row, as its foreign keys want.
		await events.createGame({ id: "g1", name: "One", createdAt: T0 });
		await store.ingestBatch(
			"g1",
			{ batchId: "b1", sentAt: T0, events: [custom("e1", 0), custom("e2", 0)], rejected: [] },
			T0,
		);
		expect(await events.listEvents({ gameId: "g1", limit: 10 })).toHaveLength(2);
		expect(await metadata.listEvents({ gameId: "g1", limit: 10 })).toHaveLength(0);
		expect((await store.listEvents({ gameId: "g1", limit: 10 })).map((e) => e.id)).toEqual(["e1", "e2"]);
		expect(store.warehouse).toBe(events.warehouse);
		// Stored batch answers live with the events: security.pruneBatches prunes there.
		expect(await store.security.pruneBatches(T0 + 1, 10)).toBe(1);
		expect((await events.ingestBatch("g1", { batchId: "b1", sentAt: T0, events: [], rejected: [] }, T0)).replayed).toBe(
			false,
		);
		// Every other security member is the metadata half's.
		await store.security.putLoginThrottle({ account: "a", failures: 1, lastFailureAt: T0, lockedUntil: null }, 0);
		expect(await metadata.security.getLoginThrottle("a")).toBeDefined();
		expect(await events.security.getLoginThrottle("a")).toBeUndefined();
		expect(store.consent).toBe(metadata.consent);
		expect(store.access).toBe(metadata.access);
	});

	it("gives a player's data as SQLite does in one read: events, consent records, forced variations", async () => {
		const single = open();
		await fill(single);
		const store = composeStore({ metadata: single, events: single, consentSealer: consentSealer(keyring) });
		const joined = await store.privacy.playerData("g1", 7);
		const direct = await single.privacy.playerData("g1", 7);
		expect(joined.events).toEqual(direct.events);
		expect(joined.events.map((e) => e.id)).toEqual(["c1", "e1", "e3"]);
		expect(joined.forcedVariations).toEqual({ qa: "b" });
		expect(joined.records.consent_records).toEqual(direct.records.consent_records);
		expect(joined.records.consent_records).toHaveLength(1);
	});

	it("erases a player in both halves with the same result as SQLite's single transaction", async () => {
		const viaHalves = open();
		const whole = open();
		await fill(viaHalves);
		await fill(whole);
		const store = composeStore({ metadata: viaHalves, events: viaHalves, consentSealer: consentSealer(keyring) });
		// The same player in both databases shares one vault row: erase from the whole store second, by its own path.
		const joined = await store.privacy.erasePlayer("g1", 7, T0 + 100);
		const direct = await whole.privacy.erasePlayer("g1", 7, T0 + 100);
		expect(joined).toEqual(direct);
		expect(joined).toMatchObject({
			done: true,
			experimentsUpdated: ["qa"],
			deleted: { events: 3, consent_records: 1 },
		});
		for (const engine of [viaHalves, whole]) {
			expect(await engine.listEvents({ gameId: "g1", limit: 10 })).toHaveLength(2);
			expect((await engine.consent.summary("g1")).tallies).toEqual([
				{ policyVersion: "1", source: "api", analytics: false, experiments: false, personalization: false, records: 1 },
			]);
			expect((await engine.getExperiment("g1", "qa"))!.definition.forcedVariations).toEqual({ "8": "a" });
		}
		// Idempotent: nothing left to delete.
		expect(await store.privacy.erasePlayer("g1", 7, T0 + 200)).toEqual({
			done: true,
			deleted: {},
			experimentsUpdated: [],
		});
	});

	it("returns the event half's refusal and leaves the metadata half untouched", async () => {
		const metadata = open();
		const events = openSqliteStore({ path: ":memory:", players: keyring, autoFold: false });
		opened.push(events);
		await fill(metadata);
		await events.createGame({ id: "g1", name: "One", createdAt: T0 });
		await events.ingestBatch("g1", { batchId: "b", sentAt: T0, events: [custom("e9", 7)], rejected: [] }, T0);
		const store = composeStore({ metadata, events, consentSealer: consentSealer(keyring) });
		expect(await store.privacy.erasePlayer("g1", 7, T0 + 100)).toEqual({ done: false, reason: "unfolded_events" });
		expect((await metadata.privacy.playerRecords("g1", 7)).forcedVariations).toEqual({ qa: "b" });
		expect(await metadata.consent.listRecords("g1", 7)).toHaveLength(1);
		await events.warehouse.catchUp();
		expect(await store.privacy.erasePlayer("g1", 7, T0 + 100)).toMatchObject({
			done: true,
			experimentsUpdated: ["qa"],
		});
	});

	it("pings and closes both halves", async () => {
		const metadata = open();
		const events = open();
		const store = composeStore({ metadata, events });
		await store.ping();
		await events.close();
		await expect(store.ping()).rejects.toThrow();
		await store.close();
		await expect(metadata.ping()).rejects.toThrow();
	});
});
