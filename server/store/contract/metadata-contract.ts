// The metadata store's contract suite (store/contracts.ts MetadataStore), engine-neutral: it calls only the contract's
// methods, so every engine that implements the metadata half runs the same cases.
//
// To run it on another engine, add `<engine>.contract.test.ts` beside sqlite.contract.test.ts:
//
//   describeMetadataContract("postgres", async () => {
//     const db = await server.createDatabase(`contract_${randomUUID().replaceAll("-", "")}`);
//     const players = await openPostgresPlayerVault({ url: db, masterKey });
//     const store = await openPostgresMetadata({ url: db, players });
//     return { store, players, close: async () => { await store.close(); await players.close(); } };
//   });
//
// `open()` is called once per group of cases (a `describe` below) and must give an EMPTY store each time (a fresh
// database); `players` is the vault the store maps UserIds with (pseudonyms are what consent records hold).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConsentTally } from "../../domain/consent.js";
import type { AsyncPlayerPseudonyms } from "../../domain/players.js";
import type { AuditHead, AuditRow, PrivacyJobRecord } from "../../domain/privacy.js";
import type { ConsentRecordInsert, MetadataStore } from "../contracts.js";
import type { ExperimentDefinition } from "../../domain/experiments.js";
import type { FlagDefinition } from "../../domain/experiments.js";
import { DEFAULT_GAME_SETTINGS, type ExperimentRecord, type FlagRecord, type SigningKeyRecord } from "../types.js";

/** What an engine's `open()` gives the metadata suite. */
export interface OpenedMetadata {
	store: MetadataStore;
	/** The player vault the store was opened with. */
	players: AsyncPlayerPseudonyms;
	close(): Promise<void>;
}

const T0 = Date.UTC(2025, 0, 1);
const DAY = 86_400_000;

/**
 * Registers the metadata contract's cases for `engine` (vitest `describe` blocks).
 *
 * @example
 * describeMetadataContract("sqlite", async () => {
 *   const store = openSqliteStore({ path: ":memory:", players });
 *   return { store, players, close: () => store.close() };
 * });
 */
export function describeMetadataContract(engine: string, open: () => Promise<OpenedMetadata>): void {
	/** A fresh store for the cases of the enclosing describe. */
	function fresh(): () => OpenedMetadata {
		let opened: OpenedMetadata | undefined;
		beforeAll(async () => {
			opened = await open();
		}, 60_000);
		afterAll(async () => {
			await opened?.close();
		}, 60_000);
		return () => {
			if (!opened) throw new Error("the store did not open");
			return opened;
		};
	}

	describe(`MetadataStore contract on ${engine}`, () => {
		describe("games and API keys", () => {
			const s = fresh();
			it("creates a game once, reads it back, lists games by id", async () => {
				const { store } = s();
				expect(await store.createGame({ id: "g2", name: "Two", createdAt: T0 })).toBe(true);
				expect(await store.createGame({ id: "g1", name: "One", createdAt: T0 + 1 })).toBe(true);
				expect(await store.createGame({ id: "g1", name: "Other", createdAt: T0 + 2 })).toBe(false);
				expect(await store.getGame("g1")).toEqual({ id: "g1", name: "One", createdAt: T0 + 1 });
				expect(await store.getGame("nope")).toBeUndefined();
				expect((await store.listGames()).map((g) => g.id)).toEqual(["g1", "g2"]);
			});

			it("stores keys, lists them per game and in all, and revokes a key once", async () => {
				const { store } = s();
				const key = (id: string, gameId: string) => ({
					id,
					gameId,
					name: `key ${id}`,
					secretHash: "ab".repeat(32),
					scopes: ["ingest" as const],
					createdAt: T0,
					revokedAt: null,
				});
				await store.insertApiKey(key("k2", "g1"));
				await store.insertApiKey(key("k1", "g1"));
				await store.insertApiKey(key("k3", "g2"));
				expect(await store.getApiKey("k1")).toEqual(key("k1", "g1"));
				expect(await store.getApiKey("nope")).toBeUndefined();
				expect((await store.listApiKeys("g1")).map((k) => k.id)).toEqual(["k1", "k2"]);
				expect((await store.listApiKeys()).map((k) => k.id)).toEqual(["k1", "k2", "k3"]);
				expect(await store.revokeApiKey("k1", T0 + 5)).toBe(true);
				expect(await store.revokeApiKey("k1", T0 + 6)).toBe(false);
				expect(await store.revokeApiKey("nope", T0 + 6)).toBe(false);
				expect((await store.getApiKey("k1"))?.revokedAt).toBe(T0 + 5);
			});

			it("refuses a key of a game that does not exist", async () => {
				const { store } = s();
				await expect(
					store.insertApiKey({
						id: "k9",
						gameId: "missing",
						name: "x",
						secretHash: "00",
						scopes: [],
						createdAt: T0,
						revokedAt: null,
					}),
				).rejects.toThrow();
			});
		});

		describe("admin users and sessions", () => {
			const s = fresh();
			const user = (id: string, email: string) => ({
				id,
				email,
				passwordHash: "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA",
				admin: false,
				createdAt: T0,
				disabledAt: null,
			});

			it("keeps emails unique, finds users by id and email, lists them by email", async () => {
				const { store } = s();
				expect(await store.insertAdminUser(user("u2", "b@example.com"))).toBe(true);
				expect(await store.insertAdminUser(user("u1", "a@example.com"))).toBe(true);
				expect(await store.insertAdminUser(user("u3", "a@example.com"))).toBe(false);
				expect(await store.getAdminUser("u1")).toEqual(user("u1", "a@example.com"));
				expect((await store.getAdminUserByEmail("b@example.com"))?.id).toBe("u2");
				expect(await store.getAdminUserByEmail("c@example.com")).toBeUndefined();
				expect((await store.listAdminUsers()).map((u) => u.id)).toEqual(["u1", "u2"]);
			});

			it("updates admin and disabled apart, re-enables with null, and says false for an unknown user", async () => {
				const { store } = s();
				expect(await store.updateAdminUser("u1", { admin: true })).toBe(true);
				expect(await store.updateAdminUser("u1", { disabledAt: T0 + 9 })).toBe(true);
				expect(await store.getAdminUser("u1")).toMatchObject({ admin: true, disabledAt: T0 + 9 });
				expect(await store.updateAdminUser("u1", { disabledAt: null })).toBe(true);
				expect(await store.getAdminUser("u1")).toMatchObject({ admin: true, disabledAt: null });
				expect(await store.updateAdminUser("nope", { admin: true })).toBe(false);
			});

			it("stores, touches (never backwards), deletes sessions and prunes stale ones", async () => {
				const { store } = s();
				const session = (id: string, lastSeenAt: number, expiresAt: number) => ({
					id,
					userId: "u1",
					csrfToken: `csrf-${id}`,
					createdAt: T0,
					lastSeenAt,
					expiresAt,
				});
				await store.insertAdminSession(session("s1", T0, T0 + DAY));
				await store.insertAdminSession(session("s2", T0, T0 + DAY));
				await store.insertAdminSession(session("s3", T0, T0 + 10));
				expect(await store.getAdminSession("s1")).toEqual(session("s1", T0, T0 + DAY));
				expect(await store.touchAdminSession("s1", T0 + 100)).toBe(true);
				expect(await store.touchAdminSession("s1", T0 + 50)).toBe(true);
				expect((await store.getAdminSession("s1"))?.lastSeenAt).toBe(T0 + 100);
				expect(await store.touchAdminSession("nope", T0)).toBe(false);
				expect(await store.deleteAdminSession("s2")).toBe(true);
				expect(await store.deleteAdminSession("s2")).toBe(false);
				// s3 expired at T0 + 10; s1 was seen at T0 + 100, after the idle cut-off at T0 + 50.
				expect(await store.deleteStaleAdminSessions(T0 + 20, T0 + 50)).toBe(1);
				expect(await store.getAdminSession("s3")).toBeUndefined();
				expect(await store.getAdminSession("s1")).toBeDefined();
				// Idle since before T0 + 200: s1 goes.
				expect(await store.deleteStaleAdminSessions(T0 + 20, T0 + 200)).toBe(1);
			});
		});

		describe("signing keys", () => {
			const s = fresh();
			const key = (kid: string, createdAt: number): SigningKeyRecord => ({
				kid,
				alg: "ES256",
				privateJwk: `{"kid":"${kid}","d":"secret"}`,
				publicJwk: `{"kid":"${kid}"}`,
				createdAt,
				retiredAt: null,
			});

			it("makes the newest key active and retires the previous one", async () => {
				const { store } = s();
				expect(await store.listSigningKeys()).toEqual([]);
				expect(await store.addSigningKey(key("k1", T0))).toBe(true);
				expect(await store.addSigningKey(key("k2", T0 + DAY))).toBe(true);
				const keys = await store.listSigningKeys();
				expect(keys.map((k) => [k.kid, k.retiredAt])).toEqual([
					["k2", null],
					["k1", T0 + DAY],
				]);
				expect(keys[0]).toEqual(key("k2", T0 + DAY));
			});

			it("adds nothing with unlessActiveNewerThan when the active key is newer (concurrent rotations add one key)", async () => {
				const { store } = s();
				expect(await store.addSigningKey(key("k3", T0 + 2 * DAY), { unlessActiveNewerThan: T0 })).toBe(false);
				const results = await Promise.all(
					["a", "b", "c"].map((kid) =>
						store.addSigningKey(key(kid, T0 + 3 * DAY), { unlessActiveNewerThan: T0 + DAY }),
					),
				);
				expect(results.filter(Boolean)).toHaveLength(1);
				const active = (await store.listSigningKeys()).filter((k) => k.retiredAt === null);
				expect(active).toHaveLength(1);
			});
		});

		describe("experiments and flags", () => {
			const s = fresh();
			beforeAll(async () => {
				await s().store.createGame({ id: "g1", name: "One", createdAt: T0 });
				await s().store.createGame({ id: "g2", name: "Two", createdAt: T0 });
			});

			it("inserts an experiment once and lists by game and status", async () => {
				const { store } = s();
				expect(await store.insertExperiment(experiment("g1", "b", "running"))).toBe(true);
				expect(await store.insertExperiment(experiment("g1", "a", "draft"))).toBe(true);
				expect(await store.insertExperiment(experiment("g2", "a", "running"))).toBe(true);
				expect(await store.insertExperiment(experiment("g1", "a", "running"))).toBe(false);
				expect(await store.getExperiment("g1", "a")).toEqual(experiment("g1", "a", "draft"));
				expect(await store.getExperiment("g1", "zz")).toBeUndefined();
				const keys = (records: ExperimentRecord[]) => records.map((r) => `${r.gameId}/${r.key}`);
				expect(keys(await store.listExperiments({}))).toEqual(["g1/a", "g1/b", "g2/a"]);
				expect(keys(await store.listExperiments({ gameId: "g1" }))).toEqual(["g1/a", "g1/b"]);
				expect(keys(await store.listExperiments({ status: "running" }))).toEqual(["g1/b", "g2/a"]);
				expect(keys(await store.listExperiments({ gameId: "g1", status: "running" }))).toEqual(["g1/b"]);
			});

			it("updates only from the stored revision (optimistic concurrency) and bumps it", async () => {
				const { store } = s();
				const read = (await store.getExperiment("g1", "a"))!;
				const changed = { ...read, status: "running" as const, updatedAt: T0 + 5 };
				expect(await store.updateExperiment(changed)).toBe(true);
				// A second writer that read revision 1 too is refused.
				expect(await store.updateExperiment({ ...read, status: "stopped", updatedAt: T0 + 6 })).toBe(false);
				const after = (await store.getExperiment("g1", "a"))!;
				expect(after).toMatchObject({ status: "running", revision: read.revision + 1, updatedAt: T0 + 5 });
				expect(await store.updateExperiment({ ...read, key: "missing" })).toBe(false);
			});

			it("stores adaptive weights apart from updates, and deletes", async () => {
				const { store } = s();
				expect(await store.setAdaptiveWeights("g1", "b", [0.25, 0.75], T0 + 7)).toBe(true);
				expect(await store.setAdaptiveWeights("g1", "missing", [1], T0 + 7)).toBe(false);
				const b = (await store.getExperiment("g1", "b"))!;
				expect(b).toMatchObject({ adaptiveWeights: [0.25, 0.75], adaptiveUpdatedAt: T0 + 7 });
				// An update keeps the weights.
				expect(await store.updateExperiment({ ...b, status: "stopped", updatedAt: T0 + 8 })).toBe(true);
				expect((await store.getExperiment("g1", "b"))!.adaptiveWeights).toEqual([0.25, 0.75]);
				expect(await store.deleteExperiment("g1", "b")).toBe(true);
				expect(await store.deleteExperiment("g1", "b")).toBe(false);
			});

			it("does the same for flags", async () => {
				const { store } = s();
				expect(await store.insertFlag(flag("g1", "f2"))).toBe(true);
				expect(await store.insertFlag(flag("g1", "f1"))).toBe(true);
				expect(await store.insertFlag(flag("g1", "f1"))).toBe(false);
				expect(await store.getFlag("g1", "f1")).toEqual(flag("g1", "f1"));
				expect((await store.listFlags("g1")).map((f) => f.key)).toEqual(["f1", "f2"]);
				expect(await store.listFlags("g2")).toEqual([]);
				const read = (await store.getFlag("g1", "f1"))!;
				const on = { ...read, definition: { ...read.definition, enabled: true }, updatedAt: T0 + 3 };
				expect(await store.updateFlag(on)).toBe(true);
				expect(await store.updateFlag(on)).toBe(false);
				expect(await store.getFlag("g1", "f1")).toMatchObject({ revision: 2, definition: { enabled: true } });
				expect(await store.deleteFlag("g1", "f1")).toBe(true);
				expect(await store.deleteFlag("g1", "f1")).toBe(false);
			});
		});

		describe("metric library", () => {
			const s = fresh();
			const metric = (key: string, version: number, event: string) => ({
				gameId: "g1",
				key,
				version,
				definition: { key, type: "conversion" as const, event },
				role: "goal" as const,
				createdAt: T0 + version,
				createdBy: "admin:u1",
				archivedAt: null,
			});

			it("stores immutable versions, the latest or a given one, and refuses a version taken", async () => {
				const { store } = s();
				await store.createGame({ id: "g1", name: "One", createdAt: T0 });
				expect(await store.insertLibraryMetric(metric("buy", 1, "buy"))).toBe(true);
				expect(await store.insertLibraryMetric(metric("buy", 2, "purchase"))).toBe(true);
				expect(await store.insertLibraryMetric(metric("buy", 2, "other"))).toBe(false);
				expect(await store.insertLibraryMetric(metric("arpu", 1, "buy"))).toBe(true);
				expect(await store.getLibraryMetric("g1", "buy")).toEqual(metric("buy", 2, "purchase"));
				expect(await store.getLibraryMetric("g1", "buy", 1)).toEqual(metric("buy", 1, "buy"));
				expect(await store.getLibraryMetric("g1", "buy", 3)).toBeUndefined();
				expect((await store.listLibraryMetrics("g1")).map((m) => [m.key, m.version])).toEqual([
					["arpu", 1],
					["buy", 2],
				]);
				expect((await store.listLibraryMetricVersions("g1", "buy")).map((m) => m.version)).toEqual([1, 2]);
				expect(await store.listLibraryMetricVersions("g1", "nope")).toEqual([]);
			});

			it("archives every version once; archived keys stay readable and take no new version", async () => {
				const { store } = s();
				expect(await store.archiveLibraryMetric("g1", "buy", T0 + 50)).toBe(true);
				expect(await store.archiveLibraryMetric("g1", "buy", T0 + 60)).toBe(false);
				expect(await store.archiveLibraryMetric("g1", "nope", T0 + 60)).toBe(false);
				expect((await store.listLibraryMetricVersions("g1", "buy")).map((m) => m.archivedAt)).toEqual([
					T0 + 50,
					T0 + 50,
				]);
				expect((await store.listLibraryMetrics("g1")).map((m) => m.key)).toEqual(["arpu"]);
				expect((await store.listLibraryMetrics("g1", { includeArchived: true })).map((m) => m.key)).toEqual([
					"arpu",
					"buy",
				]);
				expect(await store.insertLibraryMetric(metric("buy", 3, "x"))).toBe(false);
			});
		});

		describe("game settings and digests", () => {
			const s = fresh();

			it("gives the defaults until a change, then keeps the other settings on a partial change", async () => {
				const { store } = s();
				await store.createGame({ id: "g1", name: "One", createdAt: T0 });
				expect(await store.getGameSettings("g1")).toEqual({ gameId: "g1", ...DEFAULT_GAME_SETTINGS });
				expect(await store.listGameSettings()).toEqual([]);
				const first = await store.updateGameSettings("g1", { timeZone: "Europe/Paris", rawRetentionDays: 30 }, T0 + 1);
				expect(first).toEqual({
					...DEFAULT_GAME_SETTINGS,
					gameId: "g1",
					timeZone: "Europe/Paris",
					rawRetentionDays: 30,
					updatedAt: T0 + 1,
				});
				const second = await store.updateGameSettings(
					"g1",
					{ digestWebhookUrl: "https://discord.example/hook/secret", digestHour: 7, rawRetentionDays: null },
					T0 + 2,
				);
				expect(second).toMatchObject({
					timeZone: "Europe/Paris",
					rawRetentionDays: null,
					digestWebhookUrl: "https://discord.example/hook/secret",
					digestHour: 7,
					updatedAt: T0 + 2,
				});
				expect(await store.getGameSettings("g1")).toEqual(second);
				expect(await store.listGameSettings()).toEqual([second]);
			});

			it("refuses settings of a game that does not exist", async () => {
				const { store } = s();
				await expect(store.updateGameSettings("missing", { digestHour: 3 }, T0)).rejects.toThrow();
			});

			it("lets one process claim a digest day at a time, settles it for good, and frees an expired claim", async () => {
				const { store } = s();
				expect(await store.getDigestState("g1")).toBeUndefined();
				const claims = await Promise.all([1, 2, 3].map(() => store.claimDigestDay("g1", "2025-01-02", T0, T0 + 100)));
				expect(claims.filter(Boolean)).toHaveLength(1);
				expect(await store.claimDigestDay("g1", "2025-01-02", T0 + 50, T0 + 150)).toBe(false);
				// Expired: another process takes it over.
				expect(await store.claimDigestDay("g1", "2025-01-02", T0 + 100, T0 + 200)).toBe(true);
				await store.finishDigestDay("g1", { day: "2025-01-02", settled: true, attempts: 2, error: null }, T0 + 120);
				expect(await store.getDigestState("g1")).toMatchObject({
					lastDay: "2025-01-02",
					attempts: 2,
					lastError: null,
					claimedDay: null,
					claimedUntil: null,
				});
				// A settled day (or an earlier one) is never claimed again; the next day is.
				expect(await store.claimDigestDay("g1", "2025-01-02", T0 + 300, T0 + 400)).toBe(false);
				expect(await store.claimDigestDay("g1", "2025-01-01", T0 + 300, T0 + 400)).toBe(false);
				expect(await store.claimDigestDay("g1", "2025-01-03", T0 + 300, T0 + 400)).toBe(true);
				// A failed delivery releases the claim without settling the day.
				await store.finishDigestDay("g1", { day: "2025-01-03", settled: false, attempts: 1, error: "503" }, T0 + 310);
				expect(await store.getDigestState("g1")).toMatchObject({ lastDay: "2025-01-02", lastError: "503" });
				expect(await store.claimDigestDay("g1", "2025-01-03", T0 + 320, T0 + 400)).toBe(true);
			});
		});

		describe("leases", () => {
			const s = fresh();

			it("gives a free lease to one of several concurrent takers", async () => {
				const { leases } = s().store;
				const taken = await Promise.all(
					["a", "b", "c", "d"].map((holder) => leases.acquire("rollups", holder, T0, T0 + 1000)),
				);
				expect(taken.filter(Boolean)).toHaveLength(1);
				const winner = ["a", "b", "c", "d"][taken.indexOf(true)]!;
				expect(await leases.holder("rollups", T0 + 1)).toBe(winner);
			});

			it("renews for its holder, refuses others until it expires, then passes on", async () => {
				const { leases } = s().store;
				expect(await leases.acquire("job", "one", T0, T0 + 100)).toBe(true);
				expect(await leases.acquire("job", "two", T0 + 50, T0 + 150)).toBe(false);
				expect(await leases.acquire("job", "one", T0 + 60, T0 + 200)).toBe(true);
				// Renewed until T0 + 200: still held at T0 + 150.
				expect(await leases.acquire("job", "two", T0 + 150, T0 + 300)).toBe(false);
				expect(await leases.holder("job", T0 + 199)).toBe("one");
				expect(await leases.holder("job", T0 + 200)).toBeNull();
				expect(await leases.acquire("job", "two", T0 + 200, T0 + 300)).toBe(true);
				expect(await leases.holder("job", T0 + 250)).toBe("two");
			});

			it("releases only for its holder, and a released lease is free at once", async () => {
				const { leases } = s().store;
				expect(await leases.acquire("prune", "one", T0, T0 + 1000)).toBe(true);
				await leases.release("prune", "two");
				expect(await leases.holder("prune", T0 + 1)).toBe("one");
				await leases.release("prune", "one");
				expect(await leases.holder("prune", T0 + 1)).toBeNull();
				expect(await leases.acquire("prune", "two", T0 + 2, T0 + 1000)).toBe(true);
				expect(await leases.holder("unknown", T0)).toBeNull();
			});

			it("prunes leases expired before the cutoff, slice by slice, and keeps the held and the later-expired", async () => {
				const { leases } = s().store;
				const B = T0 + 10_000_000;
				// The cases above left their leases (all expired by B): gone first, so the counts below are this case's.
				await leases.pruneExpired(B, 1000);
				expect(await leases.acquire("batch:g1:a", "h1", B, B + 100)).toBe(true);
				expect(await leases.acquire("batch:g1:b", "h1", B, B + 200)).toBe(true);
				expect(await leases.acquire("batch:g1:c", "h1", B, B + 300)).toBe(true);
				expect(await leases.acquire("live-job", "h2", B, B + 10_000)).toBe(true);
				expect(await leases.pruneExpired(B + 250, 1)).toBe(1);
				expect(await leases.pruneExpired(B + 250, 10)).toBe(1);
				expect(await leases.pruneExpired(B + 250, 10)).toBe(0);
				// Expired exactly at the cutoff is not before it.
				expect(await leases.pruneExpired(B + 300, 10)).toBe(0);
				expect(await leases.holder("batch:g1:c", B + 299)).toBe("h1");
				expect(await leases.holder("live-job", B + 5000)).toBe("h2");
				// A pruned lease is free, as an expired one was.
				expect(await leases.acquire("batch:g1:a", "h3", B + 400, B + 500)).toBe(true);
				expect(await leases.holder("batch:g1:a", B + 450)).toBe("h3");
				expect(await leases.pruneExpired(B + 400, 10)).toBe(1);
				expect(await leases.holder("live-job", B + 5000)).toBe("h2");
			});
		});

		describe("security, access and allocation sub-stores", () => {
			const s = fresh();
			beforeAll(async () => {
				const { store } = s();
				await store.createGame({ id: "g1", name: "One", createdAt: T0 });
				await store.createGame({ id: "g2", name: "Two", createdAt: T0 });
				for (const [id, email] of [
					["u1", "a@example.com"],
					["u2", "b@example.com"],
				] as const) {
					await store.insertAdminUser({ id, email, passwordHash: "h", admin: false, createdAt: T0, disabledAt: null });
				}
			});

			it("throttles logins per account and forgets on clear", async () => {
				const { security } = s().store;
				expect(await security.getLoginThrottle("a@example.com")).toBeUndefined();
				const record = { account: "a@example.com", failures: 3, lastFailureAt: T0, lockedUntil: T0 + 60_000 };
				await security.putLoginThrottle(record, T0 - DAY);
				expect(await security.getLoginThrottle("a@example.com")).toEqual(record);
				await security.putLoginThrottle({ ...record, failures: 4 }, T0 - DAY);
				expect((await security.getLoginThrottle("a@example.com"))?.failures).toBe(4);
				await security.clearLoginThrottle("a@example.com");
				expect(await security.getLoginThrottle("a@example.com")).toBeUndefined();
			});

			it("enrols a second factor, accepts each step once and confirms on the first code", async () => {
				const { security } = s().store;
				await security.putPendingTotp({
					userId: "u1",
					secret: "sealed",
					confirmedAt: null,
					lastStep: 0,
					createdAt: T0,
				});
				expect(await security.useTotpStep("u1", 100, T0 + 5)).toBe(true);
				expect(await security.useTotpStep("u1", 100, T0 + 6)).toBe(false);
				expect(await security.useTotpStep("u1", 99, T0 + 6)).toBe(false);
				expect(await security.getTotp("u1")).toMatchObject({ confirmedAt: T0 + 5, lastStep: 100 });
				expect((await security.listTotp()).map((t) => t.userId)).toEqual(["u1"]);
				expect(await security.setTotpSecret("u1", "rewrapped")).toBe(true);
				expect((await security.getTotp("u1"))?.secret).toBe("rewrapped");
				expect(await security.deleteTotp("u1")).toBe(true);
				expect(await security.deleteTotp("u1")).toBe(false);
			});

			it("lists a user's live sessions of both kinds and revokes them", async () => {
				const { store } = s();
				const { security } = store;
				await store.insertAdminSession({
					id: "d1",
					userId: "u1",
					csrfToken: "c",
					createdAt: T0,
					lastSeenAt: T0,
					expiresAt: T0 + DAY,
				});
				await security.insertTokenSession({ id: "t1", userId: "u1", createdAt: T0 + 1, expiresAt: T0 + DAY });
				await security.insertTokenSession({ id: "t2", userId: "u1", createdAt: T0 + 2, expiresAt: T0 + 10 });
				const live = await security.listAdminSessions("u1", T0 + 100);
				expect(live.map((l) => [l.id, l.kind])).toEqual([
					["t1", "token"],
					["d1", "dashboard"],
				]);
				expect(await security.deleteAdminSessionOfUser("u2", "t1")).toBe(false);
				expect(await security.deleteAdminSessionOfUser("u1", "t1")).toBe(true);
				expect(await security.deleteAdminSessionsOfUser("u1", "d1")).toBe(1);
				expect((await security.listAdminSessions("u1", T0)).map((l) => l.id)).toEqual(["d1"]);
				expect(await security.setAdminPasswordHash("u1", "new-hash")).toBe(true);
				expect((await store.getAdminUser("u1"))?.passwordHash).toBe("new-hash");
				expect(await security.setAdminPasswordHash("nope", "x")).toBe(false);
			});

			it("replaces a signing key's stored private JWK", async () => {
				const { store } = s();
				await store.addSigningKey({
					kid: "k1",
					alg: "ES256",
					privateJwk: "plain",
					publicJwk: "{}",
					createdAt: T0,
					retiredAt: null,
				});
				expect(await store.security.setSigningKeyPrivateJwk("k1", "sealed")).toBe(true);
				expect((await store.listSigningKeys())[0]?.privateJwk).toBe("sealed");
				expect(await store.security.setSigningKeyPrivateJwk("nope", "x")).toBe(false);
			});

			it("grants one role per user and game, lists by user and by game, and removes", async () => {
				const { access } = s().store;
				await access.putGrant({ userId: "u1", gameId: "g2", role: "viewer", grantedAt: T0 });
				await access.putGrant({ userId: "u1", gameId: "g1", role: "analyst", grantedAt: T0 });
				await access.putGrant({ userId: "u2", gameId: "g1", role: "viewer", grantedAt: T0 });
				await access.putGrant({ userId: "u1", gameId: "g2", role: "owner", grantedAt: T0 + 1 });
				expect(await access.listUserGrants("u1")).toEqual([
					{ userId: "u1", gameId: "g1", role: "analyst", grantedAt: T0 },
					{ userId: "u1", gameId: "g2", role: "owner", grantedAt: T0 + 1 },
				]);
				expect((await access.listGameGrants("g1")).map((g) => g.userId)).toEqual(["u1", "u2"]);
				expect(await access.deleteGrant("u2", "g1")).toBe(true);
				expect(await access.deleteGrant("u2", "g1")).toBe(false);
				await expect(
					access.putGrant({ userId: "nobody", gameId: "g1", role: "viewer", grantedAt: T0 }),
				).rejects.toThrow();
			});

			it("keeps layers, a holdout per game and adaptive run times", async () => {
				const { allocation } = s().store;
				const layer = { gameId: "g1", id: "shop", name: "Shop", description: "", createdAt: T0, updatedAt: T0 };
				expect(await allocation.insertLayer(layer)).toBe(true);
				expect(await allocation.insertLayer(layer)).toBe(false);
				expect(await allocation.updateLayer({ ...layer, name: "Store", updatedAt: T0 + 1 })).toBe(true);
				expect(await allocation.getLayer("g1", "shop")).toMatchObject({ name: "Store", updatedAt: T0 + 1 });
				expect(await allocation.updateLayer({ ...layer, id: "nope" })).toBe(false);
				expect((await allocation.listLayers("g1")).map((l) => l.id)).toEqual(["shop"]);
				expect(await allocation.deleteLayer("g1", "shop")).toBe(true);
				expect(await allocation.deleteLayer("g1", "shop")).toBe(false);
				expect(await allocation.getHoldout("g1")).toBeUndefined();
				const holdout = { gameId: "g1", percent: 5, seed: "s", createdAt: T0, updatedAt: T0 };
				await allocation.putHoldout(holdout);
				await allocation.putHoldout({ ...holdout, percent: 10, updatedAt: T0 + 1 });
				expect(await allocation.getHoldout("g1")).toEqual({ ...holdout, percent: 10, updatedAt: T0 + 1 });
				await store().insertExperiment(experiment("g1", "adaptive", "running"));
				await allocation.recordAdaptiveRun({ gameId: "g1", experimentKey: "adaptive", ranAt: T0 });
				await allocation.recordAdaptiveRun({ gameId: "g1", experimentKey: "adaptive", ranAt: T0 + 5 });
				expect(await allocation.listAdaptiveRuns()).toEqual([
					{ gameId: "g1", experimentKey: "adaptive", ranAt: T0 + 5 },
				]);
			});
			const store = () => s().store;
		});

		describe("consent policies and records", () => {
			const s = fresh();
			beforeAll(async () => {
				await s().store.createGame({ id: "g1", name: "One", createdAt: T0 });
			});

			it("publishes policy versions forward only, once each", async () => {
				const { consent } = s().store;
				const policy = (version: string, effectiveAt: number) => ({
					gameId: "g1",
					version,
					summary: `policy ${version}`,
					url: null,
					effectiveAt,
					createdAt: T0,
					createdBy: "admin:u1",
				});
				expect(await consent.insertPolicy(policy("1", T0))).toBe("created");
				expect(await consent.insertPolicy(policy("1", T0 + 5))).toBe("version_taken");
				expect(await consent.insertPolicy(policy("2", T0 + 10))).toBe("created");
				expect(await consent.insertPolicy(policy("0", T0 + 5))).toBe("out_of_order");
				expect(await consent.listPolicies("g1")).toEqual([policy("1", T0), policy("2", T0 + 10)]);
			});

			it("appends records idempotently, counting each new one once in its tally", async () => {
				const { store, players } = s();
				const pseudonyms = await players.pseudonymize("g1", [101, 102], T0);
				const p101 = pseudonyms.get(101)!;
				const p102 = pseudonyms.get(102)!;
				const granted = tally("prompt", true);
				const refused = tally("prompt", false);
				const first = [record("c1", p101, T0, "1", granted), record("c2", p102, T0 + 1, "1", refused)];
				expect(await store.consent.appendRecords(first)).toBe(2);
				// A retry (same event ids) and one new record: only the new one counts.
				expect(await store.consent.appendRecords([...first, record("c3", p101, T0 + 2, "2", refused)])).toBe(1);
				expect(await store.consent.appendRecords([])).toBe(0);
				const summary = await store.consent.summary("g1");
				expect(summary.tallies).toEqual([
					{ policyVersion: "1", ...refused, records: 1 },
					{ policyVersion: "1", ...granted, records: 1 },
					{ policyVersion: "2", ...refused, records: 1 },
				]);
				expect(summary.players).toEqual([
					{ policyVersion: "1", players: 2 },
					{ policyVersion: "2", players: 1 },
				]);
				// Read back by UserId, oldest first, sealed details as stored.
				const records = await store.consent.listRecords("g1", 101);
				expect(records.map((r) => [r.eventId, r.userId, r.policyVersion])).toEqual([
					["c1", 101, "1"],
					["c3", 101, "2"],
				]);
				expect(Buffer.from(records[0]!.details).toString()).toBe(JSON.stringify(granted));
				expect(await store.consent.listRecords("g1", 999)).toEqual([]);
			});

			it("gives a player's records and forced variations, and erases them once, out of the tallies", async () => {
				const { store, players } = s();
				await store.insertExperiment(experiment("g1", "qa", "running", { "101": "b", "7": "a" }));
				await store.insertExperiment(experiment("g1", "other", "running", { "7": "a" }));
				const data = await store.privacy.playerRecords("g1", 101);
				expect(data.forcedVariations).toEqual({ qa: "b" });
				expect(data.records.consent_records?.map((r) => [r.event_id ?? r.eventId, r.user_id ?? r.userId])).toEqual([
					["c1", 101],
					["c3", 101],
				]);

				const tallyOf = (row: { details: Uint8Array }) =>
					JSON.parse(Buffer.from(row.details).toString()) as ConsentTally;
				const erased = await store.privacy.erasePlayerRecords("g1", 101, T0 + 100, tallyOf);
				expect(erased.experimentsUpdated).toEqual(["qa"]);
				expect(erased.deleted.consent_records).toBe(2);
				expect(await store.consent.listRecords("g1", 101)).toEqual([]);
				// The other player's record stays counted; the erased player's tallies are gone (rows at zero dropped).
				expect((await store.consent.summary("g1")).tallies).toEqual([
					{ policyVersion: "1", ...tally("prompt", false), records: 1 },
				]);
				const qa = (await store.getExperiment("g1", "qa"))!;
				expect(qa.definition.forcedVariations).toEqual({ "7": "a" });
				expect(qa.revision).toBe(2);
				expect((await store.getExperiment("g1", "other"))!.revision).toBe(1);

				const again = await store.privacy.erasePlayerRecords("g1", 101, T0 + 200, tallyOf);
				expect(again).toEqual({ deleted: {}, experimentsUpdated: [] });
				expect((await store.privacy.playerRecords("g1", 101)).forcedVariations).toEqual({});
				void players;
			});
		});

		describe("consent: each player's latest record", () => {
			const s = fresh();
			beforeAll(async () => {
				await s().store.createGame({ id: "g1", name: "One", createdAt: T0 });
			});

			it("gives each listed player's last record by time then event id, by UserId, none without records", async () => {
				const { store, players } = s();
				const ids = await players.pseudonymize("g1", [201, 202, 203, 204], T0);
				const p = (userId: number) => ids.get(userId)!;
				const granted = tally("prompt", true);
				const refused = tally("withdrawal", false);
				await store.consent.appendRecords([
					// 201 granted, then withdrew.
					record("r1", p(201), T0, "1", granted),
					record("r2", p(201), T0 + 5, "1", refused),
					// 202 withdrew, then granted again (an older record written later changes nothing).
					record("r4", p(202), T0 + 9, "2", granted),
					record("r3", p(202), T0 + 3, "1", refused),
					// 203: two records at the same time: the greater event id is the later.
					record("r6", p(203), T0 + 7, "1", refused),
					record("r5", p(203), T0 + 7, "1", granted),
				]);
				const latest = await store.consent.latestRecords("g1", [201, 202, 203, 204, 999, 201]);
				const byPlayer = Object.fromEntries(latest.map((r) => [r.userId, [r.eventId, r.policyVersion]]));
				expect(byPlayer).toEqual({ 201: ["r2", "1"], 202: ["r4", "2"], 203: ["r6", "1"] });
				const r2 = latest.find((r) => r.eventId === "r2")!;
				expect(r2).toMatchObject({ gameId: "g1", userId: 201, time: T0 + 5, receivedAt: T0 + 6 });
				expect(Buffer.from(r2.details).toString()).toBe(JSON.stringify(refused));
				expect(await store.consent.latestRecords("g1", [])).toEqual([]);
				expect(await store.consent.latestRecords("g1", [204, 999])).toEqual([]);
				expect(await store.consent.latestRecords("other", [201])).toEqual([]);
			});

			it("leaves out a player whose records were erased", async () => {
				const { store } = s();
				const tallyOf = (row: { details: Uint8Array }) =>
					JSON.parse(Buffer.from(row.details).toString()) as ConsentTally;
				await store.privacy.erasePlayerRecords("g1", 201, T0 + 100, tallyOf);
				const latest = await store.consent.latestRecords("g1", [201, 202]);
				expect(latest.map((r) => r.userId)).toEqual([202]);
			});
		});

		describe("privacy: secrets, audit chain, tombstones, erasure jobs", () => {
			const s = fresh();

			it("creates a secret once; later calls read the first value", async () => {
				const { privacy } = s().store;
				const first = await privacy.secret("audit-salt", () => "one");
				expect(await privacy.secret("audit-salt", () => "two")).toBe(first);
			});

			it("appends audit rows in a chain, pages through them and keeps the head", async () => {
				const { privacy } = s().store;
				expect(await privacy.auditHead()).toBeNull();
				const rows: AuditRow[] = [];
				for (let i = 0; i < 5; i++) {
					rows.push(await privacy.appendAudit((head) => auditRow(head, i)));
				}
				expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
				expect(rows[1]!.prevHash).toBe(rows[0]!.hash);
				expect(await privacy.auditHead()).toEqual({ seq: 5, hash: rows[4]!.hash });
				expect(await privacy.listAudit(0, 2)).toEqual(rows.slice(0, 2));
				expect(await privacy.listAudit(2, 10)).toEqual(rows.slice(2));
				// A row that does not follow the head is refused, and nothing moves.
				await expect(privacy.appendAudit((head) => ({ ...auditRow(head, 9), seq: 99 }))).rejects.toThrow();
				expect((await privacy.auditHead())?.seq).toBe(5);
				// Concurrent appends each chain to the one before.
				const more = await Promise.all([0, 1, 2].map((i) => privacy.appendAudit((head) => auditRow(head, 10 + i))));
				expect(more.map((r) => r.seq).sort()).toEqual([6, 7, 8]);
				const all = await privacy.listAudit(0, 100);
				for (let i = 1; i < all.length; i++) expect(all[i]!.prevHash).toBe(all[i - 1]!.hash);
			});

			it("records tombstones once per game and subject", async () => {
				const { store } = s();
				await store.createGame({ id: "g1", name: "One", createdAt: T0 });
				await store.privacy.addTombstone("g1", "p-1", T0);
				await store.privacy.addTombstone("g1", "p-1", T0 + 1);
				await store.privacy.addTombstone("g1", "p-2", T0 + 2);
				expect((await store.privacy.tombstones("g1")).sort()).toEqual(["p-1", "p-2"]);
				expect(await store.privacy.tombstones("g2")).toEqual([]);
			});

			it("creates a job once per notification, lists unfinished ones with their UserId, and clears it on completion", async () => {
				const { privacy } = s().store;
				const made = await privacy.createJob(job("j1", T0), 555, "notif-1");
				expect(made).toEqual({ job: job("j1", T0), created: true });
				const again = await privacy.createJob(job("j2", T0 + 1), 555, "notif-1");
				expect(again).toEqual({ job: job("j1", T0), created: false });
				expect(await privacy.getJob("j2")).toBeUndefined();
				await privacy.createJob(job("j3", T0 + 2), 777);
				expect((await privacy.unfinishedJobs()).map((u) => [u.job.id, u.userId])).toEqual([
					["j1", 555],
					["j3", 777],
				]);
				await privacy.updateJob("j1", { status: "running", startedAt: T0 + 10 });
				await privacy.updateJob("j3", { status: "failed", error: "boom", finishedAt: T0 + 11 });
				await privacy.updateJob("j1", { status: "completed", finishedAt: T0 + 12, result: { g1: { events: 3 } } });
				expect(await privacy.getJob("j1")).toMatchObject({
					status: "completed",
					startedAt: T0 + 10,
					finishedAt: T0 + 12,
					result: { g1: { events: 3 } },
					error: null,
				});
				// The completed job no longer holds the UserId; the failed one does (it is resumed).
				expect((await privacy.unfinishedJobs()).map((u) => [u.job.id, u.job.status, u.userId])).toEqual([
					["j3", "failed", 777],
				]);
			});
		});
	});
}

function experiment(
	gameId: string,
	key: string,
	status: ExperimentRecord["status"],
	forcedVariations: Record<string, string> = {},
): ExperimentRecord {
	const definition: ExperimentDefinition = {
		name: key,
		description: "",
		variations: [
			{ key: "a", name: "A", weight: 0.5 },
			{ key: "b", name: "B", weight: 0.5 },
		],
		coverage: 1,
		hashAttribute: "id",
		seed: key,
		hashVersion: 2,
		namespace: null,
		condition: null,
		assignment: { mode: "deterministic" },
		startAt: null,
		endAt: null,
		primaryMetric: { key: "bought", type: "conversion", event: "buy" } as ExperimentDefinition["primaryMetric"],
		guardrailMetrics: [],
		forcedVariations,
	};
	return {
		gameId,
		key,
		status,
		definition,
		revision: 1,
		createdAt: T0,
		updatedAt: T0,
		adaptiveWeights: null,
		adaptiveUpdatedAt: null,
	};
}

function flag(gameId: string, key: string): FlagRecord {
	const definition: FlagDefinition = {
		name: key,
		description: "",
		enabled: false,
		defaultValue: false,
		variations: [{ key: "on", value: true, weight: 1 }],
		coverage: 1,
		hashAttribute: "id",
		seed: key,
		hashVersion: 2,
		condition: null,
	};
	return { gameId, key, definition, revision: 1, createdAt: T0, updatedAt: T0 };
}

function tally(source: ConsentTally["source"], analytics: boolean): ConsentTally {
	return { source, analytics, experiments: analytics, personalization: false };
}

/** A record whose "sealed" details are its tally as JSON, so the suite's tallyOf can read it back. */
function record(eventId: string, pseudonym: number, time: number, policyVersion: string, t: ConsentTally) {
	return {
		gameId: "g1",
		eventId,
		userId: pseudonym,
		time,
		receivedAt: time + 1,
		policyVersion,
		details: Buffer.from(JSON.stringify(t)),
		tally: t,
	} satisfies ConsentRecordInsert;
}

/** An audit row chained to `head`; the hash is any 64-hex string unique per row (the chain's maths is privacy/'s). */
function auditRow(head: AuditHead | null, i: number): AuditRow {
	const seq = (head?.seq ?? 0) + 1;
	return {
		seq,
		at: T0 + i,
		actor: "system",
		action: "test.row",
		gameId: null,
		subject: null,
		details: `{"i":${i}}`,
		prevHash: head?.hash ?? "0".repeat(64),
		hash: seq.toString(16).padStart(8, "0").repeat(8),
	};
}

function job(id: string, createdAt: number): PrivacyJobRecord {
	return {
		id,
		kind: "erasure",
		source: "roblox_webhook",
		status: "pending",
		gameIds: ["g1"],
		requestedBy: "webhook:roblox:n",
		createdAt,
		startedAt: null,
		finishedAt: null,
		result: null,
		error: null,
	};
}
