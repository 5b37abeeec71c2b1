// The PostgreSQL player vault: the keyring's behaviour (privacy/player-keys.test.ts) with several instances (pools)
// sharing one vault, and the async consent sealer over it.
import { randomBytes } from "node:crypto";
import { mulberry32 } from "../../stats/prng.js";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { consentDetailsAad, consentSealerAsync, loadedPlayerConsent } from "../../privacy/consent-records.js";
import { MasterKeys } from "../../privacy/master-keys.js";
import { MasterKeyError, SealedValueError, masterKeyId } from "../../privacy/player-keys.js";
import { T0 } from "../../testing/fixtures.js";
import { serviceRequired, startPostgres, type PostgresService } from "../../testing/services.js";
import {
	PlayerKeyNotLoadedError,
	openPostgresPlayerVault,
	rewrapPostgresPlayerVault,
	type PostgresPlayerVault,
} from "./player-vault.js";
import { privacyTestDatabase, type PrivacyTestDatabase } from "./privacy-testing.js";

const text = (value: string) => Buffer.from(value, "utf8");

const consentEvent = (id: string, userId: number) => ({
	id,
	time: T0,
	userId,
	sessionId: "s",
	type: "consent" as const,
	name: "consent",
	props: {
		policyVersion: "1",
		analytics: true,
		experiments: false,
		personalization: true,
		region: "DE",
		uiVersion: "v1",
		source: "prompt",
	},
});

describe.skipIf(!serviceRequired("postgres"))("PostgresPlayerVault", () => {
	let service: PostgresService;
	let db: PrivacyTestDatabase;
	let masterKey: Buffer;
	const vaults: PostgresPlayerVault[] = [];
	/** A vault on its own pool: one backend instance. */
	const instance = async (key = masterKey) => {
		const vault = await openPostgresPlayerVault({ pool: db.openPool(), masterKey: key });
		vaults.push(vault);
		return vault;
	};

	beforeAll(async () => {
		service = await startPostgres();
	}, 60_000);
	afterAll(async () => {
		await service?.stop();
	}, 60_000);
	beforeEach(async () => {
		db = await privacyTestDatabase(service, "vault");
		masterKey = randomBytes(32);
	});
	afterEach(async () => {
		for (const vault of vaults.splice(0)) await vault.close();
		await db.close();
	});

	it("gives each player of a game one random pseudonym, resolvable both ways until the player's row is shredded", async () => {
		const vault = await instance();
		const ids = await vault.pseudonymize("g1", [0, 42, 43, 42], T0);
		expect(ids.get(0)).toBe(0);
		const p42 = ids.get(42)!;
		expect(Number.isSafeInteger(p42) && p42 > 0).toBe(true);
		expect(new Set([p42, ids.get(43)]).size).toBe(2);
		expect(ids.size).toBe(3);
		// The same player again (cached, and through a second instance reading the vault) keeps their pseudonym.
		expect((await vault.pseudonymize("g1", [42], T0 + 1)).get(42)).toBe(p42);
		const other = await instance();
		expect(await other.pseudonymOf("g1", 42)).toBe(p42);
		expect(await other.userIdOf("g1", p42)).toBe(42);
		// Another game: another pseudonym.
		expect((await vault.pseudonymize("g2", [42], T0)).get(42)).not.toBe(p42);
		expect(await vault.pseudonymOf("g1", 7)).toBeUndefined();
		await expect(vault.pseudonymize("g1", [-1], T0)).rejects.toThrow(RangeError);

		expect(await other.shred("g1", 42)).toBe(true);
		expect(await other.shred("g1", 42)).toBe(false);
		expect(await other.pseudonymOf("g1", 42)).toBeUndefined();
		expect(await other.userIdOf("g1", p42)).toBeUndefined();
		expect(await vault.hasKey("g1", 42)).toBe(false);
		expect(await vault.hasKey("g1", 43)).toBe(true);
	});

	it("keeps `avoid`'s pseudonyms out of the draw", async () => {
		const vault = await instance();
		const seen: number[] = [];
		const ids = await vault.pseudonymize("g1", [1, 2, 3], T0, (p) => {
			seen.push(p);
			return seen.length <= 5;
		});
		for (const p of ids.values()) expect(seen.indexOf(p)).toBeGreaterThanOrEqual(5);
	});

	it("seals and opens with loaded keys, bound to the player and the context, and refuses a key not loaded", async () => {
		const vault = await instance();
		await vault.ensureKeys("g1", [42, 43, 0], T0);
		expect(() => vault.seal("g1", 42, text("x"), "r")).toThrow(PlayerKeyNotLoadedError);
		await vault.loadKeys("g1", [42, 43, 44]);
		const sealed = vault.seal("g1", 42, text("secret choice"), "record-1");
		expect(sealed.includes(text("secret choice"))).toBe(false);
		expect(vault.open("g1", 42, sealed, "record-1")?.toString()).toBe("secret choice");
		expect(() => vault.open("g1", 42, sealed, "record-2")).toThrow(SealedValueError);
		expect(() => vault.open("g1", 43, sealed, "record-1")).toThrow(SealedValueError);
		// 44 has no key: nothing opens, nothing seals.
		expect(vault.open("g1", 44, sealed, "record-1")).toBeUndefined();
		expect(() => vault.seal("g1", 44, text("x"), "r")).toThrow(RangeError);
		// Another instance loads the same key from the vault.
		const other = await instance();
		await other.loadKeys("g1", [42]);
		expect(other.open("g1", 42, sealed, "record-1")?.toString()).toBe("secret choice");
	});

	it("gives two instances pseudonymizing the same 500 new players at once the same pseudonyms, one row each", async () => {
		const [a, b] = [await instance(), await instance()];
		const players = Array.from({ length: 500 }, (_, i) => 1_000_000 + i);
		// Several overlapping batches per instance, as concurrent ingest requests would send them.
		const batches = (reverse: boolean) =>
			Array.from({ length: 5 }, (_, i) => {
				const batch = players.slice(i * 100, i * 100 + 150);
				return reverse ? batch.reverse() : batch;
			});
		const results = await Promise.all([
			...batches(false).map((batch) => a.pseudonymize("g1", batch, T0)),
			...batches(true).map((batch) => b.pseudonymize("g1", batch, T0)),
		]);
		const agreed = new Map<number, number>();
		for (const result of results) {
			for (const [userId, pseudonym] of result) {
				if (agreed.has(userId)) expect(pseudonym).toBe(agreed.get(userId));
				agreed.set(userId, pseudonym);
			}
		}
		expect(agreed.size).toBe(500);
		expect(new Set(agreed.values()).size).toBe(500);
		const { rows } = await db.pool.query<{ n: number }>(
			"SELECT count(*)::bigint AS n FROM player_keys WHERE game_id = 'g1'",
		);
		expect(rows[0]!.n).toBe(500);
		for (const userId of players) {
			expect(await a.pseudonymOf("g1", userId)).toBe(agreed.get(userId));
			expect(await b.pseudonymOf("g1", userId)).toBe(agreed.get(userId));
		}
	});

	it("does not deadlock when concurrent batches bring the same new players in different orders", async () => {
		const [a, b] = [await instance(), await instance()];
		const random = mulberry32(16);
		// Game servers' batches share players and list them in any order: 3 games × 16 concurrent shuffled batches of
		// 300 out of 1,000 new players (PostgreSQL reported "deadlock detected" here before the inserts were ordered).
		for (const game of ["g1", "g2", "g3"]) {
			const players = Array.from({ length: 1000 }, (_, i) => 2_000_000 + i);
			const batches = Array.from({ length: 16 }, () => {
				const batch = [...players];
				for (let i = batch.length - 1; i > 0; i--) {
					const j = Math.floor(random() * (i + 1));
					[batch[i], batch[j]] = [batch[j]!, batch[i]!];
				}
				return batch.slice(0, 300);
			});
			const results = await Promise.all(batches.map((batch, i) => (i % 2 ? a : b).pseudonymize(game, batch, T0)));
			expect(results.every((result, i) => result.size === batches[i]!.length)).toBe(true);
		}
	});

	it("makes sealed consent details unreadable once shredded, also for an instance that had the key loaded", async () => {
		const [ingest, admin] = [await instance(), await instance()];
		const sealer = consentSealerAsync(ingest);
		const event = consentEvent("c-1", 42);
		await sealer.prepare("g1", [event], T0);
		const sealed = sealer.seal("g1", event, T0);
		const row = { gameId: "g1", userId: 42, eventId: "c-1", details: sealed.details };
		expect(sealed.tally).toEqual({ source: "prompt", analytics: true, experiments: false, personalization: true });

		await admin.loadKeys("g1", [42]);
		const stale = await instance();
		await stale.loadKeys("g1", [42]);
		const aad = consentDetailsAad("g1", 42, "c-1");
		expect(JSON.parse(admin.open("g1", 42, sealed.details, aad)!.toString())).toMatchObject({ region: "DE" });
		expect(consentSealerAsync(admin).tallyOf!(row)).toEqual(sealed.tally);

		expect(await ingest.shred("g1", 42)).toBe(true);
		// The admin instance still holds the key in memory; loading again (as every request does) drops it.
		await admin.loadKeys("g1", [42]);
		expect(admin.open("g1", 42, sealed.details, aad)).toBeUndefined();
		expect(consentSealerAsync(admin).tallyOf!(row)).toBeUndefined();
		// A new key for a returning player does not open what the old one sealed.
		const returning = consentEvent("c-2", 42);
		await sealer.prepare("g1", [returning], T0 + 1);
		const resealed = sealer.seal("g1", returning, T0 + 1);
		await admin.loadKeys("g1", [42]);
		expect(() => admin.open("g1", 42, sealed.details, aad)).toThrow(SealedValueError);
		// An instance that held the old key all along (never loaded in between) takes the new one at its next load.
		expect(JSON.parse(stale.open("g1", 42, sealed.details, aad)!.toString())).toMatchObject({ region: "DE" });
		await stale.loadKeys("g1", [42]);
		expect(stale.open("g1", 42, resealed.details, consentDetailsAad("g1", 42, "c-2"))).toBeDefined();
	});

	it("shows an admin a player's consent through an instance that loaded no key before, and nothing once shredded", async () => {
		const [ingest, admin] = [await instance(), await instance()];
		const sealer = consentSealerAsync(ingest);
		const event = consentEvent("c-1", 42);
		await sealer.prepare("g1", [event], T0);
		const sealed = sealer.seal("g1", event, T0);
		const input = {
			gameId: "g1",
			userId: 42,
			rows: [
				{
					gameId: "g1",
					eventId: "c-1",
					userId: 42,
					time: T0,
					receivedAt: T0,
					policyVersion: "1",
					details: sealed.details,
				},
			],
			policies: [],
		};
		const view = await loadedPlayerConsent(admin, input, T0);
		expect(view.records[0]).toMatchObject({ readable: true, region: "DE", uiVersion: "v1", source: "prompt" });
		expect(view.state?.choices).toEqual({ analytics: true, experiments: false, personalization: true });
		await ingest.shred("g1", 42);
		const after = await loadedPlayerConsent(admin, input, T0);
		expect(after.records[0]).toMatchObject({ readable: false, choices: null, region: null });
		expect(after.state).toBeNull();
	});

	it("keeps one secret: the first of several instances creating it at once wins", async () => {
		const all = await Promise.all([instance(), instance(), instance()]);
		const values = await Promise.all(all.map((vault, i) => vault.secret("s", () => `value-${i}`)));
		expect(new Set(values).size).toBe(1);
		expect(await all[0]!.secret("s", () => "later")).toBe(values[0]);
	});

	it("refuses another master key, naming both fingerprints, and a tampered wrapped key when loaded", async () => {
		const vault = await instance();
		await vault.ensureKeys("g1", [42], T0);
		const wrong = randomBytes(32);
		await expect(openPostgresPlayerVault({ pool: db.pool, masterKey: wrong })).rejects.toThrow(
			new MasterKeyError(
				`The player keys were wrapped by master key ${masterKeyId(masterKey)}, but the configured master key is ` +
					`${masterKeyId(wrong)}: set VANTAGE_MASTER_KEY to the key this data was written with.`,
			),
		);
		await db.pool.query("UPDATE player_keys SET wrapped = $1 WHERE user_id = 42", [randomBytes(61)]);
		await expect(vault.loadKeys("g1", [42])).rejects.toThrow(/does not unwrap with the configured master key/);
	});

	it("rewraps every key under a new master key at open, keeping what the keys sealed readable", async () => {
		const vault = await instance();
		const players = Array.from({ length: 25 }, (_, i) => i + 1);
		await vault.ensureKeys("g1", players, T0);
		await vault.loadKeys("g1", players);
		const sealed = players.map((userId) => vault.seal("g1", userId, text(`v${userId}`), "r"));
		const next = randomBytes(32);
		const rotated = await openPostgresPlayerVault({
			url: db.url,
			masterKey: new MasterKeys(next, masterKey),
		});
		vaults.push(rotated);
		await rotated.loadKeys("g1", players);
		players.forEach((userId, i) => expect(rotated.open("g1", userId, sealed[i]!, "r")?.toString()).toBe(`v${userId}`));
		const { rows } = await db.pool.query<{ id: string }>("SELECT DISTINCT master_key_id AS id FROM player_keys");
		expect(rows).toEqual([{ id: masterKeyId(next) }]);
		// The old key alone is now refused.
		await expect(openPostgresPlayerVault({ pool: db.pool, masterKey })).rejects.toThrow(MasterKeyError);
	});

	it("rewraps each key once when several instances start with the new master key at once", async () => {
		const vault = await instance();
		const players = Array.from({ length: 200 }, (_, i) => i + 1);
		await vault.ensureKeys("g1", players, T0);
		const keys = new MasterKeys(randomBytes(32), masterKey);
		// Small batches, so the instances' batches interleave and wait on each other's rows.
		const counts = await Promise.all([0, 1, 2].map(() => rewrapPostgresPlayerVault(db.openPool(), keys, 7)));
		expect(counts.reduce((a, b) => a + b, 0)).toBe(200);
		// And instances opening the vault during a rotation all pass the master key check (keys of the old master
		// key again, written by an instance that still runs with it).
		await vault.ensureKeys("g2", players, T0);
		const opened = await Promise.all(
			[0, 1].map(() => openPostgresPlayerVault({ pool: db.openPool(), masterKey: keys })),
		);
		vaults.push(...opened);
		await opened[0]!.loadKeys("g1", players);
		await opened[1]!.loadKeys("g2", players);
	});
});
