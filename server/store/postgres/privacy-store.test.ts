// The privacy metadata on PostgreSQL: the SQLite store's behaviour (audit chain and its tamper checks, secrets,
// tombstones, erasure jobs, a player's records and their erasure), and what several instances writing at once must not
// break: a gapless audit chain, one secret, one job per Roblox notification.
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GENESIS_HASH, auditHash, recordAudit, verifyAuditChain } from "../../privacy/audit.js";
import { consentSealerAsync } from "../../privacy/consent-records.js";
import type { PrivacyJobRecord } from "../../privacy/privacy-store.js";
import { NO_PLAYER_VAULT } from "../../privacy/pseudonyms.js";
import { subjectOf } from "../../privacy/subject.js";
import { T0 } from "../../testing/fixtures.js";
import { serviceRequired, startPostgres, type PostgresService } from "../../testing/services.js";
import type { Store } from "../types.js";
import { PostgresConsentStore } from "./consent-store.js";
import { openPostgresPlayerVault, type PostgresPlayerVault } from "./player-vault.js";
import { PostgresPrivacyMetadataStore } from "./privacy-store.js";
import { privacyTestDatabase, type PrivacyTestDatabase } from "./privacy-testing.js";

/**
 * The audit helpers take the app's Store (whose privacy member also has the event half's calls); they use only
 * secret, appendAudit, listAudit and auditHead, which this store has.
 */
const asStore = (privacy: PostgresPrivacyMetadataStore) => ({ privacy }) as unknown as Pick<Store, "privacy">;

const job = (id: string, createdAt: number, source: PrivacyJobRecord["source"] = "admin"): PrivacyJobRecord => ({
	id,
	kind: "erasure",
	source,
	status: "pending",
	gameIds: ["g1", "g2"],
	requestedBy: "admin:u1",
	createdAt,
	startedAt: null,
	finishedAt: null,
	result: null,
	error: null,
});

describe.skipIf(!serviceRequired("postgres"))("PostgresPrivacyMetadataStore", () => {
	let service: PostgresService;
	let db: PrivacyTestDatabase;
	let privacy: PostgresPrivacyMetadataStore;

	beforeAll(async () => {
		service = await startPostgres();
	}, 60_000);
	afterAll(async () => {
		await service?.stop();
	}, 60_000);
	beforeEach(async () => {
		db = await privacyTestDatabase(service, "privacy");
		privacy = new PostgresPrivacyMetadataStore(db.pool, NO_PLAYER_VAULT);
	});
	afterEach(async () => {
		await db.close();
	});

	describe("audit chain", () => {
		beforeEach(async () => {
			for (let i = 1; i <= 5; i++) {
				await recordAudit(
					asStore(privacy),
					{ action: "player.exported", actor: "admin:u1", gameId: "g1", userId: 7_340_000 + i, details: { n: i } },
					1_000 + i,
				);
			}
		});
		const rows = async () =>
			(await db.pool.query<{ seq: number; hash: string }>("SELECT seq, hash FROM audit_log ORDER BY seq")).rows;

		it("chains each entry to the previous one, stores pseudonyms, and verifies an untouched log", async () => {
			const all = await privacy.listAudit(0, 100);
			expect(all.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
			expect(all[0]!.prevHash).toBe(GENESIS_HASH);
			for (let i = 1; i < all.length; i++) expect(all[i]!.prevHash).toBe(all[i - 1]!.hash);
			expect(all[0]!.subject).toBe(await subjectOf(asStore(privacy), "g1", 7_340_001));
			expect(JSON.stringify(all)).not.toContain("7340001");
			expect(await privacy.listAudit(3, 1)).toEqual([all[3]]);
			expect(await verifyAuditChain(asStore(privacy))).toEqual({
				ok: true,
				entries: 5,
				head: { seq: 5, hash: all[4]!.hash },
			});
		});

		it("detects an altered entry, a deleted entry, an entry appended after the head, and a head moved back", async () => {
			await db.pool.query("UPDATE audit_log SET details = '{\"n\":999}' WHERE seq = 3");
			expect(await verifyAuditChain(asStore(privacy))).toMatchObject({ ok: false, brokenAt: 3, entries: 2 });
			await db.pool.query("DELETE FROM audit_log WHERE seq = 3");
			expect(await verifyAuditChain(asStore(privacy))).toMatchObject({ ok: false, brokenAt: 3 });
		});

		it("detects entries past the recorded head and a missing head", async () => {
			const all = await rows();
			await db.pool.query("UPDATE audit_head SET seq = 4, hash = $1", [all[3]!.hash]);
			expect(await verifyAuditChain(asStore(privacy))).toMatchObject({ ok: false, brokenAt: 5 });
			await db.pool.query("DELETE FROM audit_head");
			expect(await privacy.auditHead()).toBeNull();
			expect(await verifyAuditChain(asStore(privacy))).toMatchObject({ ok: false, brokenAt: 1 });
			// An append after the head row was deleted collides with the stored entries instead of forking the chain.
			await expect(recordAudit(asStore(privacy), { action: "a.b", actor: "x" }, 1)).rejects.toThrow();
		});

		it("refuses a row whose seq does not follow the head, writing nothing", async () => {
			await expect(
				privacy.appendAudit((head) => {
					const row = {
						seq: (head?.seq ?? 0) + 2,
						at: 1,
						actor: "x",
						action: "a.b",
						gameId: null,
						subject: null,
						details: "{}",
						prevHash: head!.hash,
					};
					return { ...row, hash: auditHash(row) };
				}),
			).rejects.toThrow(/does not follow 5/);
			expect(await verifyAuditChain(asStore(privacy))).toMatchObject({ ok: true, entries: 5 });
		});
	});

	it("reports no head on an empty log", async () => {
		expect(await privacy.auditHead()).toBeNull();
		expect(await verifyAuditChain(asStore(privacy))).toEqual({ ok: true, entries: 0, head: null });
	});

	it("keeps seq 1..400 and a valid chain when two instances append 200 entries each at once", async () => {
		const other = new PostgresPrivacyMetadataStore(db.openPool(), NO_PLAYER_VAULT);
		const append = (store: PostgresPrivacyMetadataStore, name: string) =>
			Array.from({ length: 200 }, (_, i) =>
				recordAudit(asStore(store), { action: "test.append", actor: name, details: { i } }, T0 + i),
			);
		const written = await Promise.all([...append(privacy, "a"), ...append(other, "b")]);
		expect(written.map((row) => row.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
		const verdict = await verifyAuditChain(asStore(other));
		expect(verdict).toMatchObject({ ok: true, entries: 400, head: { seq: 400 } });
		const actors = (await privacy.listAudit(0, 1000)).map((row) => row.actor);
		expect(actors.filter((a) => a === "a")).toHaveLength(200);
	});

	it("keeps one secret: the first of several instances creating it at once wins", async () => {
		const stores = [privacy, new PostgresPrivacyMetadataStore(db.openPool(), NO_PLAYER_VAULT)];
		const values = await Promise.all(stores.map((store, i) => store.secret("k", () => `v${i}`)));
		expect(values[0]).toBe(values[1]);
		expect(await privacy.secret("k", () => "later")).toBe(values[0]);
	});

	it("keeps secrets in the vault, out of the privacy tables, also for a process opened without the vault", async () => {
		const vault = await openPostgresPlayerVault({ pool: db.pool, masterKey: randomBytes(32) });
		const withVault = new PostgresPrivacyMetadataStore(db.pool, vault);
		const value = await withVault.secret("k", () => "from-vault");
		expect(value).toBe("from-vault");
		expect((await db.pool.query("SELECT * FROM privacy_secrets")).rowCount).toBe(0);
		expect(await vault.secret("k", () => "other")).toBe("from-vault");
		// A process opened without the vault (a CLI command) on the same database reads the vault's secret, so the
		// audit subjects it writes are the servers' ones.
		const cli = new PostgresPrivacyMetadataStore(db.openPool(), NO_PLAYER_VAULT);
		expect(await cli.secret("k", () => "from-cli")).toBe("from-vault");
		expect(await subjectOf(asStore(cli), "g1", 42)).toBe(await subjectOf(asStore(withVault), "g1", 42));
		expect((await db.pool.query("SELECT * FROM privacy_secrets")).rowCount).toBe(0);
		await vault.close();
	});

	it("records tombstones once per game and pseudonym", async () => {
		await privacy.addTombstone("g1", "s1", T0);
		await privacy.addTombstone("g1", "s1", T0 + 1);
		await privacy.addTombstone("g1", "s2", T0);
		await privacy.addTombstone("g2", "s3", T0);
		expect((await privacy.tombstones("g1")).sort()).toEqual(["s1", "s2"]);
		expect(await privacy.tombstones("g3")).toEqual([]);
	});

	describe("erasure jobs", () => {
		it("stores a job with its UserId until it completes; a failed one keeps it for the retry", async () => {
			const a = job("a", T0 + 2);
			const b = job("b", T0 + 1);
			expect(await privacy.createJob(a, 111)).toEqual({ job: a, created: true });
			expect(await privacy.createJob(b, 222)).toEqual({ job: b, created: true });
			expect(await privacy.getJob("a")).toEqual(a);
			expect(await privacy.getJob("zz")).toBeUndefined();
			expect(await privacy.unfinishedJobs()).toEqual([
				{ job: b, userId: 222 },
				{ job: a, userId: 111 },
			]);

			await privacy.updateJob("a", { status: "running", startedAt: T0 + 3 });
			await privacy.updateJob("a", { status: "completed", finishedAt: T0 + 4, result: { g1: { status: "erased" } } });
			await privacy.updateJob("b", { status: "failed", finishedAt: T0 + 5, error: "boom" });
			expect(await privacy.getJob("a")).toEqual({
				...a,
				status: "completed",
				startedAt: T0 + 3,
				finishedAt: T0 + 4,
				result: { g1: { status: "erased" } },
			});
			const userIds = await db.pool.query<{ id: string; user_id: number | null }>(
				"SELECT id, user_id FROM privacy_jobs ORDER BY id",
			);
			expect(userIds.rows).toEqual([
				{ id: "a", user_id: null },
				{ id: "b", user_id: 222 },
			]);
			expect(await privacy.unfinishedJobs()).toEqual([
				{ job: { ...b, status: "failed", finishedAt: T0 + 5, error: "boom" }, userId: 222 },
			]);
			// A retry clears the error it sets anew, and keeps the result and times it does not give.
			await privacy.updateJob("b", { status: "running", startedAt: T0 + 6 });
			expect(await privacy.getJob("b")).toMatchObject({ status: "running", error: null, finishedAt: T0 + 5 });
		});

		it("creates one job per Roblox notification, also when two instances receive its retries at once", async () => {
			const other = new PostgresPrivacyMetadataStore(db.openPool(), NO_PLAYER_VAULT);
			for (let i = 0; i < 10; i++) {
				const outcomes = await Promise.all([
					privacy.createJob(job(`x${i}`, T0, "roblox_webhook"), 5, `n${i}`),
					other.createJob(job(`y${i}`, T0, "roblox_webhook"), 5, `n${i}`),
				]);
				expect(outcomes.map((o) => o.created).sort()).toEqual([false, true]);
				expect(outcomes[0]!.job).toEqual(outcomes[1]!.job);
			}
			const { rows } = await db.pool.query<{ n: number }>("SELECT count(*)::bigint AS n FROM privacy_jobs");
			expect(rows[0]!.n).toBe(10);
		});
	});

	describe("a player's records", () => {
		/** The ingest instance's vault (sealed the records) and the erasing instance's (loaded no key yet). */
		let vault: PostgresPlayerVault;
		let reader: PostgresPlayerVault;
		let withVault: PostgresPrivacyMetadataStore;
		let consent: PostgresConsentStore;
		const sealer = () => consentSealerAsync(vault);
		const readerSealer = () => consentSealerAsync(reader);

		/** Seals consent events of `userId` as ingest does and appends their records. */
		const consentOf = async (userId: number, ids: string[], props: Record<string, unknown>) => {
			const events = ids.map((id, i) => ({
				id,
				time: T0 + i,
				userId,
				sessionId: "s",
				type: "consent" as const,
				name: "consent",
				props: { policyVersion: "1", region: "FR", source: "api", ...props } as never,
			}));
			await sealer().prepare("g1", events, T0);
			const pseudonym = (await vault.pseudonymOf("g1", userId))!;
			await consent.appendRecords(
				events.map((event) => {
					const sealed = sealer().seal("g1", event, T0);
					return {
						gameId: "g1",
						eventId: event.id,
						userId: pseudonym,
						time: event.time,
						receivedAt: T0,
						policyVersion: sealed.policyVersion,
						details: sealed.details,
						tally: sealed.tally,
					};
				}),
			);
		};
		const experiment = async (key: string, forced: Record<string, string>) => {
			const definition = { key, variations: [{ key: "control" }, { key: "b" }], forcedVariations: forced };
			await db.pool.query(
				`INSERT INTO experiments (game_id, key, status, definition, revision, created_at, updated_at)
				VALUES ('g1', $1, 'running', $2, 1, 0, 0)`,
				[key, JSON.stringify(definition)],
			);
		};

		beforeEach(async () => {
			await db.createGame("g1");
			const masterKey = randomBytes(32);
			vault = await openPostgresPlayerVault({ pool: db.openPool(), masterKey });
			// The sealer's tallyOf reads keys its vault loaded: erasing with another instance's vault, which has loaded
			// none, shows the store loads the player's key before it reads the tallies.
			reader = await openPostgresPlayerVault({ pool: db.openPool(), masterKey });
			consent = new PostgresConsentStore(db.pool, vault);
			await consentOf(42, ["c-1", "c-2"], { analytics: true, experiments: true, personalization: false });
			await consentOf(43, ["c-3"], { analytics: true, experiments: true, personalization: false });
			await consentOf(42, ["c-4"], { analytics: false, experiments: false, personalization: false });
			await experiment("e1", { "42": "b", "43": "control" });
			await experiment("e2", { "43": "b" });
			withVault = new PostgresPrivacyMetadataStore(db.pool, reader);
		});
		afterEach(async () => {
			await vault.close();
			await reader.close();
		});

		it("reads the player's consent records under their UserId and their forced variations", async () => {
			const data = await withVault.playerRecords("g1", 42);
			expect(Object.keys(data.records)).toEqual(["consent_records"]);
			expect(data.records.consent_records!.map((r) => [r.event_id, r.user_id])).toEqual([
				["c-1", 42],
				["c-4", 42],
				["c-2", 42],
			]);
			expect(data.forcedVariations).toEqual({ e1: "b" });
			expect(await withVault.playerRecords("g1", 99)).toEqual({
				records: { consent_records: [] },
				forcedVariations: {},
			});
		});

		it("erases the player's records and their tallies, their forced variations and their head, once", async () => {
			const before = await consent.summary("g1");
			expect(before.tallies.map((t) => t.records)).toEqual([1, 3]);
			// The batch ledger's heads of the player (42) and of another (43): only 42's goes.
			const heads = [(await vault.pseudonymOf("g1", 42))!, (await vault.pseudonymOf("g1", 43))!];
			await db.pool.query(
				"INSERT INTO player_heads (game_id, player, max_id) SELECT 'g1', p, 'e9' FROM unnest($1::bigint[]) AS p",
				[heads],
			);
			const outcome = await withVault.erasePlayerRecords("g1", 42, T0 + 100, readerSealer().tallyOf);
			expect(outcome).toEqual({ deleted: { consent_records: 3, player_heads: 1 }, experimentsUpdated: ["e1"] });
			expect((await db.pool.query("SELECT player FROM player_heads")).rows).toEqual([{ player: heads[1] }]);
			expect(await consent.summary("g1")).toEqual({
				tallies: [
					{ policyVersion: "1", source: "api", analytics: true, experiments: true, personalization: false, records: 1 },
				],
				players: [{ policyVersion: "1", players: 1 }],
			});
			expect(await consent.listRecords("g1", 42)).toEqual([]);
			expect((await consent.listRecords("g1", 43)).length).toBe(1);
			const e1 = await db.pool.query<{ definition: string; revision: number; updated_at: number }>(
				"SELECT definition, revision, updated_at FROM experiments WHERE key = 'e1'",
			);
			expect(JSON.parse(e1.rows[0]!.definition).forcedVariations).toEqual({ "43": "control" });
			expect(e1.rows[0]).toMatchObject({ revision: 2, updated_at: T0 + 100 });

			expect(await withVault.erasePlayerRecords("g1", 42, T0 + 200, readerSealer().tallyOf)).toEqual({
				deleted: {},
				experimentsUpdated: [],
			});
			expect((await consent.summary("g1")).tallies.map((t) => t.records)).toEqual([1]);
		});

		it("erases a player once when two instances erase them at the same moment", async () => {
			const players = Array.from({ length: 20 }, (_, i) => 100 + i);
			for (const userId of players) {
				await consentOf(userId, [`p-${userId}-1`, `p-${userId}-2`], {
					analytics: true,
					experiments: true,
					personalization: false,
				});
			}
			expect((await consent.summary("g1")).tallies.map((t) => t.records)).toEqual([1, 43]);
			// Each instance with its own pool and vault, as two backend processes running the same erasure job.
			const other = new PostgresPrivacyMetadataStore(db.openPool(), vault);
			const outcomes = await Promise.all(
				players.flatMap((userId) => [
					withVault.erasePlayerRecords("g1", userId, T0 + 100, readerSealer().tallyOf),
					other.erasePlayerRecords("g1", userId, T0 + 100, sealer().tallyOf),
				]),
			);
			expect(outcomes.reduce((n, o) => n + (o.deleted.consent_records ?? 0), 0)).toBe(40);
			expect((await consent.summary("g1")).tallies.map((t) => t.records)).toEqual([1, 3]);
		});

		it("cannot find the records of a player whose vault row is gone: they stay, counted, under a dead pseudonym", async () => {
			await vault.shred("g1", 43);
			// The pseudonym is gone with the vault row: the records cannot be found by UserId any more.
			expect(await withVault.erasePlayerRecords("g1", 43, T0, readerSealer().tallyOf)).toMatchObject({
				deleted: {},
				experimentsUpdated: ["e1", "e2"],
			});
			expect((await consent.summary("g1")).tallies.map((t) => t.records)).toEqual([1, 3]);
		});
	});
});
