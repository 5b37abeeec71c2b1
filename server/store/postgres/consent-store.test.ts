// The consent ledger on PostgreSQL: the SQLite ledger's behaviour (policies, records by UserId, summary, append-only
// tables) and what several instances appending the same records at once must not break: each record counted once.
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ConsentPolicyRecord, ConsentTally } from "../../privacy/consent-store.js";
import { T0 } from "../../testing/fixtures.js";
import { serviceRequired, startPostgres, type PostgresService } from "../../testing/services.js";
import type { ConsentRecordInsert } from "../contracts.js";
import { PostgresConsentStore } from "./consent-store.js";
import { openPostgresPlayerVault, type PostgresPlayerVault } from "./player-vault.js";
import { privacyTestDatabase, type PrivacyTestDatabase } from "./privacy-testing.js";

const policy = (version: string, effectiveAt: number, createdAt = T0): ConsentPolicyRecord => ({
	gameId: "g1",
	version,
	summary: `policy ${version}`,
	url: null,
	effectiveAt,
	createdAt,
	createdBy: "admin:u1",
});

const TALLY_YES: ConsentTally = { source: "prompt", analytics: true, experiments: true, personalization: false };
const TALLY_NO: ConsentTally = { source: "api", analytics: false, experiments: false, personalization: false };

describe.skipIf(!serviceRequired("postgres"))("PostgresConsentStore", () => {
	let service: PostgresService;
	let db: PrivacyTestDatabase;
	let vault: PostgresPlayerVault;
	let consent: PostgresConsentStore;
	/** A record of `userId` (mapped to their pseudonym, as the event engine stores it). */
	const record = async (
		eventId: string,
		userId: number,
		tally = TALLY_YES,
		policyVersion = "1",
	): Promise<ConsentRecordInsert> => ({
		gameId: "g1",
		eventId,
		userId: (await vault.pseudonymize("g1", [userId], T0)).get(userId)!,
		time: T0 + Number(eventId.replace(/\D/g, "") || 0),
		receivedAt: T0 + 5,
		policyVersion,
		details: randomBytes(40),
		tally,
	});

	beforeAll(async () => {
		service = await startPostgres();
	}, 60_000);
	afterAll(async () => {
		await service?.stop();
	}, 60_000);
	beforeEach(async () => {
		db = await privacyTestDatabase(service, "consent");
		await db.createGame("g1");
		await db.createGame("g2");
		vault = await openPostgresPlayerVault({ pool: db.pool, masterKey: randomBytes(32) });
		consent = new PostgresConsentStore(db.pool, vault);
	});
	afterEach(async () => {
		await vault.close();
		await db.close();
	});

	it("publishes policies: a taken version and an earlier effectiveAt are refused; lists oldest effective first", async () => {
		expect(await consent.insertPolicy(policy("1", T0))).toBe("created");
		expect(await consent.insertPolicy(policy("1", T0 + 10))).toBe("version_taken");
		expect(await consent.insertPolicy(policy("2", T0 - 1))).toBe("out_of_order");
		expect(await consent.insertPolicy(policy("3", T0 + 5, T0 + 2))).toBe("created");
		// Same effectiveAt as the latest is not out of order; ties list by publication time.
		expect(await consent.insertPolicy(policy("2", T0 + 5, T0 + 1))).toBe("created");
		expect((await consent.listPolicies("g1")).map((p) => p.version)).toEqual(["1", "2", "3"]);
		expect(await consent.listPolicies("g2")).toEqual([]);
		expect((await consent.listPolicies("g1"))[0]).toEqual(policy("1", T0));
	});

	it("publishes a version once when two instances publish it at the same moment", async () => {
		const other = new PostgresConsentStore(db.openPool(), vault);
		for (let i = 0; i < 10; i++) {
			const outcomes = await Promise.all([
				consent.insertPolicy(policy(`v${i}`, T0 + i)),
				other.insertPolicy(policy(`v${i}`, T0 + i)),
			]);
			expect(outcomes.sort()).toEqual(["created", "version_taken"]);
		}
	});

	it("refuses to update or delete a published policy and to update a record; an erasure may delete a record", async () => {
		await consent.insertPolicy(policy("1", T0));
		await expect(db.pool.query("UPDATE consent_policies SET summary = 'changed'")).rejects.toThrow(/append-only/);
		await expect(db.pool.query("DELETE FROM consent_policies")).rejects.toThrow(/append-only/);
		await consent.appendRecords([await record("c-1", 42)]);
		await expect(db.pool.query("UPDATE consent_records SET policy_version = '2'")).rejects.toThrow(/append-only/);
		expect((await db.pool.query("DELETE FROM consent_records WHERE game_id = 'g1'")).rowCount).toBe(1);
	});

	it("stores records by pseudonym, lists them by UserId oldest first, and skips a record appended again", async () => {
		const first = [await record("c-2", 42), await record("c-1", 42), await record("c-3", 43, TALLY_NO)];
		expect(await consent.appendRecords(first)).toBe(3);
		// A resent record (and a duplicate inside one call) is neither stored nor counted again.
		expect(await consent.appendRecords([first[0]!, await record("c-4", 42, TALLY_NO, "2"), first[0]!])).toBe(1);
		expect(await consent.appendRecords([])).toBe(0);

		const rows = await consent.listRecords("g1", 42);
		expect(rows.map((r) => r.eventId)).toEqual(["c-1", "c-2", "c-4"]);
		expect(rows[0]).toEqual({
			gameId: "g1",
			eventId: "c-1",
			userId: 42,
			time: T0 + 1,
			receivedAt: T0 + 5,
			policyVersion: "1",
			details: Buffer.from(first[1]!.details),
		});
		expect(await consent.listRecords("g1", 99)).toEqual([]);
		expect(await consent.listRecords("g2", 42)).toEqual([]);
		// Nothing in the table names the UserId.
		const stored = await db.pool.query<{ user_id: number }>("SELECT DISTINCT user_id FROM consent_records");
		expect(stored.rows.map((r) => r.user_id).sort()).toEqual(
			[await vault.pseudonymOf("g1", 42), await vault.pseudonymOf("g1", 43)].sort(),
		);

		expect(await consent.summary("g1")).toEqual({
			tallies: [
				{ policyVersion: "1", ...TALLY_NO, records: 1 },
				{ policyVersion: "1", ...TALLY_YES, records: 2 },
				{ policyVersion: "2", ...TALLY_NO, records: 1 },
			],
			players: [
				{ policyVersion: "1", players: 2 },
				{ policyVersion: "2", players: 1 },
			],
		});
		expect(await consent.summary("g2")).toEqual({ tallies: [], players: [] });
	});

	it("stores and counts a new record given twice in one call once, with the first one's tally", async () => {
		const twice = await record("c-9", 42);
		expect(await consent.appendRecords([twice, await record("c-8", 43, TALLY_NO), { ...twice, tally: TALLY_NO }])).toBe(
			2,
		);
		expect((await consent.summary("g1")).tallies).toEqual([
			{ policyVersion: "1", ...TALLY_NO, records: 1 },
			{ policyVersion: "1", ...TALLY_YES, records: 1 },
		]);
	});

	it("refuses a record naming no player", async () => {
		await expect(consent.appendRecords([{ ...(await record("c-1", 42)), userId: 0 }])).rejects.toThrow(RangeError);
		expect(await consent.summary("g1")).toEqual({ tallies: [], players: [] });
	});

	it("counts each record once when two instances append the same records at the same moment", async () => {
		const other = new PostgresConsentStore(db.openPool(), vault);
		const records: ConsentRecordInsert[] = [];
		for (let i = 0; i < 300; i++)
			records.push(await record(`c-${i}`, 1000 + (i % 50), i % 3 === 0 ? TALLY_NO : TALLY_YES));
		// Overlapping batches in opposite orders from both instances, several in flight at once (retries of one batch
		// after a timeout, a replay on another instance).
		const calls: Promise<number>[] = [];
		for (let round = 0; round < 3; round++) {
			calls.push(consent.appendRecords(records.slice(0, 200)));
			calls.push(other.appendRecords(records.slice(100).reverse()));
			calls.push(other.appendRecords(records));
		}
		const added = await Promise.all(calls);
		expect(added.reduce((a, b) => a + b, 0)).toBe(300);
		const { tallies } = await consent.summary("g1");
		expect(tallies).toEqual([
			{ policyVersion: "1", ...TALLY_NO, records: 100 },
			{ policyVersion: "1", ...TALLY_YES, records: 200 },
		]);
		const { rows } = await db.pool.query<{ n: number }>("SELECT count(*)::bigint AS n FROM consent_records");
		expect(rows[0]!.n).toBe(300);
	});
});
