// PostgresMetadataStore against the SQLite engine it reproduces: one script of calls (every MetadataMethod, the
// security, access and allocation sub-stores; ties, unusual ids, refusals) runs on both, and every answer must be the
// same — including list orders, on a PostgreSQL database whose own collation (ICU en-US) orders text unlike SQLite.
// Plus what only the server engine has: numbers back as numbers, the sealed webhook URL, leases, closing.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MasterKeys } from "../../privacy/master-keys.js";
import { T0 } from "../../testing/fixtures.js";
import { serviceRequired, startPostgres, type PostgresService } from "../../testing/services.js";
import type { MetadataMethod, MetadataStore } from "../contracts.js";
import { openSqliteStore } from "../sqlite/sqlite-store.js";
import type { ExperimentRecord, FlagRecord, LibraryMetricRecord, SigningKeyRecord, Store } from "../types.js";
import { openPostgresMetadata } from "./index.js";
import type { PostgresMetadataStore } from "./metadata-store.js";

type Target = Pick<Store, MetadataMethod> & Pick<MetadataStore, "leases">;

/** Runs `call`, recording its answer or the fact that it threw (engines word their errors differently). */
async function step(log: unknown[], label: string, call: () => Promise<unknown>): Promise<void> {
	try {
		log.push([label, await call()]);
	} catch {
		log.push([label, "threw"]);
	}
}

// Ids chosen so byte order (SQLite, "C") differs from a natural-language collation: case, punctuation, non-ASCII.
const GAMES = ["b", "B", "a_1", "a-1", "ä", "A", "10", "9"];

const signingKey = (kid: string, createdAt: number): SigningKeyRecord => ({
	kid,
	alg: "ES256",
	privateJwk: `{"d":"${kid}"}`,
	publicJwk: `{"x":"${kid}"}`,
	createdAt,
	retiredAt: null,
});

const experiment = (gameId: string, key: string, status: ExperimentRecord["status"]): ExperimentRecord => ({
	gameId,
	key,
	status,
	definition: { key, variations: [{ key: "control" }, { key: "treatment" }], weights: [0.5, 0.5] } as never,
	revision: 1,
	createdAt: T0,
	updatedAt: T0,
	adaptiveWeights: null,
	adaptiveUpdatedAt: null,
});

const flag = (gameId: string, key: string): FlagRecord => ({
	gameId,
	key,
	definition: { key, defaultValue: { nested: [1, 2.5, "x"], z: null, a: true } } as never,
	revision: 1,
	createdAt: T0,
	updatedAt: T0,
});

const metric = (key: string, version: number): LibraryMetricRecord => ({
	gameId: "b",
	key,
	version,
	definition: { key, type: "retention", day: version } as never,
	role: "guardrail",
	createdAt: T0 + version,
	createdBy: version === 1 ? null : "admin:u1",
	archivedAt: null,
});

/** Every metadata call the contract has, with the awkward cases; returns the answers in order. */
async function script(store: Target): Promise<unknown[]> {
	const log: unknown[] = [];
	const s = (label: string, call: () => Promise<unknown>) => step(log, label, call);

	for (const id of GAMES)
		await s(`createGame ${id}`, () => store.createGame({ id, name: `Game ${id}`, createdAt: T0 }));
	await s("createGame again", () => store.createGame({ id: "b", name: "other", createdAt: T0 + 1 }));
	await s("getGame", () => store.getGame("ä"));
	await s("getGame missing", () => store.getGame("zz"));
	await s("listGames", () => store.listGames());

	// API keys: ids in non-sorted order, several games, a key for an unknown game.
	for (const [id, gameId] of [
		["k_b", "b"],
		["K-a", "B"],
		["ka", "b"],
		["k1", "a_1"],
	] as const) {
		await s(`insertApiKey ${id}`, () =>
			store.insertApiKey({
				id,
				gameId,
				name: `key ${id}`,
				secretHash: "ab".repeat(32),
				scopes: ["ingest", "config"] as never,
				createdAt: T0 + 5,
				revokedAt: null,
			}),
		);
	}
	await s("insertApiKey unknown game", () =>
		store.insertApiKey({
			id: "kx",
			gameId: "nope",
			name: "x",
			secretHash: "00",
			scopes: [],
			createdAt: T0,
			revokedAt: null,
		}),
	);
	await s("insertApiKey duplicate id", () =>
		store.insertApiKey({
			id: "ka",
			gameId: "b",
			name: "x",
			secretHash: "00",
			scopes: [],
			createdAt: T0,
			revokedAt: null,
		}),
	);
	await s("listApiKeys all", () => store.listApiKeys());
	await s("listApiKeys b", () => store.listApiKeys("b"));
	await s("revokeApiKey", () => store.revokeApiKey("ka", T0 + 9));
	await s("revokeApiKey twice", () => store.revokeApiKey("ka", T0 + 10));
	await s("revokeApiKey missing", () => store.revokeApiKey("nope", T0 + 10));
	await s("getApiKey", () => store.getApiKey("ka"));

	// Admin users, sessions.
	for (const [id, email, admin] of [
		["u2", "Zed@x", false],
		["u1", "amy@x", true],
		["u3", "_bob@x", false],
	] as const) {
		await s(`insertAdminUser ${id}`, () =>
			store.insertAdminUser({ id, email, passwordHash: `$argon2id$${id}`, admin, createdAt: T0, disabledAt: null }),
		);
	}
	await s("insertAdminUser email taken", () =>
		store.insertAdminUser({
			id: "u9",
			email: "amy@x",
			passwordHash: "h",
			admin: false,
			createdAt: T0,
			disabledAt: null,
		}),
	);
	await s("listAdminUsers", () => store.listAdminUsers());
	await s("updateAdminUser admin", () => store.updateAdminUser("u2", { admin: true }));
	await s("updateAdminUser disable", () => store.updateAdminUser("u2", { disabledAt: T0 + 3 }));
	await s("updateAdminUser nothing", () => store.updateAdminUser("u2", {}));
	await s("getAdminUser", () => store.getAdminUser("u2"));
	await s("updateAdminUser re-enable", () => store.updateAdminUser("u2", { disabledAt: null }));
	await s("updateAdminUser missing", () => store.updateAdminUser("nope", { admin: true }));
	await s("getAdminUserByEmail", () => store.getAdminUserByEmail("Zed@x"));
	await s("getAdminUserByEmail case", () => store.getAdminUserByEmail("zed@x"));
	for (const [id, created] of [
		["s2", T0 + 100],
		["s1", T0 + 100],
		["s3", T0 + 50],
	] as const) {
		await s(`insertAdminSession ${id}`, () =>
			store.insertAdminSession({
				id,
				userId: "u1",
				csrfToken: `csrf-${id}`,
				createdAt: created,
				lastSeenAt: created,
				expiresAt: created + 1000,
			}),
		);
	}
	await s("insertAdminSession unknown user", () =>
		store.insertAdminSession({ id: "sx", userId: "nope", csrfToken: "", createdAt: 0, lastSeenAt: 0, expiresAt: 1 }),
	);
	await s("touchAdminSession", () => store.touchAdminSession("s1", T0 + 200));
	await s("touchAdminSession older", () => store.touchAdminSession("s1", T0 + 150));
	await s("getAdminSession", () => store.getAdminSession("s1"));
	await s("touchAdminSession missing", () => store.touchAdminSession("nope", T0));
	await s("security.insertTokenSession", () =>
		store.security.insertTokenSession({ id: "t1", userId: "u1", createdAt: T0 + 100, expiresAt: T0 + 5000 }),
	);
	await s("security.listAdminSessions", () => store.security.listAdminSessions("u1", T0));
	await s("security.listAdminSessions later", () => store.security.listAdminSessions("u1", T0 + 1100));
	await s("deleteAdminSession", () => store.deleteAdminSession("s3"));
	await s("deleteStaleAdminSessions", () => store.deleteStaleAdminSessions(T0 + 1100, T0 + 120));
	await s("security.listAdminSessions after", () => store.security.listAdminSessions("u1", T0));
	await s("deleteAdminSession again", () => store.deleteAdminSession("s3"));
	await s("security.deleteAdminSessionOfUser other", () => store.security.deleteAdminSessionOfUser("u2", "t1"));
	await s("security.deleteAdminSessionsOfUser", () => store.security.deleteAdminSessionsOfUser("u1", "t1"));
	await s("security.deleteAdminSessionsOfUser all", () => store.security.deleteAdminSessionsOfUser("u1"));

	// Signing keys: rotation, the unless-newer guard, ties on created_at.
	await s("listSigningKeys empty", () => store.listSigningKeys());
	await s("addSigningKey first", () => store.addSigningKey(signingKey("kid-b", T0)));
	await s("addSigningKey unless newer (refused)", () =>
		store.addSigningKey(signingKey("kid-c", T0 + 10), { unlessActiveNewerThan: T0 - 1 }),
	);
	await s("addSigningKey unless newer (added)", () =>
		store.addSigningKey(signingKey("kid-a", T0 + 10), { unlessActiveNewerThan: T0 }),
	);
	await s("addSigningKey same time", () => store.addSigningKey(signingKey("kid-z", T0 + 10)));
	await s("addSigningKey same time 2", () => store.addSigningKey(signingKey("kid-Y", T0 + 10)));
	await s("addSigningKey duplicate kid", () => store.addSigningKey(signingKey("kid-a", T0 + 20)));
	await s("listSigningKeys", () => store.listSigningKeys());
	await s("security.setSigningKeyPrivateJwk", () => store.security.setSigningKeyPrivateJwk("kid-a", "sealed"));
	await s("security.setSigningKeyPrivateJwk missing", () => store.security.setSigningKeyPrivateJwk("nope", "x"));

	// Experiments and flags: optimistic revisions, list orders and filters, adaptive weights.
	for (const [gameId, key, status] of [
		["b", "exp_b", "running"],
		["b", "Exp-a", "draft"],
		["B", "x", "running"],
		["a_1", "y", "stopped"],
	] as const) {
		await s(`insertExperiment ${gameId}/${key}`, () => store.insertExperiment(experiment(gameId, key, status)));
	}
	await s("insertExperiment again", () => store.insertExperiment(experiment("b", "exp_b", "draft")));
	await s("insertExperiment unknown game", () => store.insertExperiment(experiment("nope", "k", "draft")));
	await s("listExperiments all", () => store.listExperiments({}));
	await s("listExperiments game", () => store.listExperiments({ gameId: "b" }));
	await s("listExperiments status", () => store.listExperiments({ status: "running" }));
	await s("listExperiments both", () => store.listExperiments({ gameId: "b", status: "draft" }));
	await s("updateExperiment", () =>
		store.updateExperiment({ ...experiment("b", "exp_b", "stopped"), updatedAt: T0 + 7 }),
	);
	await s("updateExperiment stale", () => store.updateExperiment({ ...experiment("b", "exp_b", "running") }));
	await s("updateExperiment missing", () => store.updateExperiment({ ...experiment("b", "nope", "running") }));
	await s("setAdaptiveWeights", () => store.setAdaptiveWeights("b", "exp_b", [0.25, 0.75], T0 + 8));
	await s("setAdaptiveWeights missing", () => store.setAdaptiveWeights("b", "nope", [1], T0 + 8));
	await s("getExperiment", () => store.getExperiment("b", "exp_b"));
	await s("updateExperiment keeps weights", () =>
		store.updateExperiment({ ...experiment("b", "exp_b", "running"), revision: 2, adaptiveWeights: null }),
	);
	await s("getExperiment after", () => store.getExperiment("b", "exp_b"));
	await s("allocation.recordAdaptiveRun", () =>
		store.allocation.recordAdaptiveRun({ gameId: "b", experimentKey: "exp_b", ranAt: T0 + 1 }),
	);
	await s("allocation.recordAdaptiveRun 2", () =>
		store.allocation.recordAdaptiveRun({ gameId: "b", experimentKey: "Exp-a", ranAt: T0 + 2 }),
	);
	await s("allocation.recordAdaptiveRun again", () =>
		store.allocation.recordAdaptiveRun({ gameId: "b", experimentKey: "exp_b", ranAt: T0 + 3 }),
	);
	await s("allocation.recordAdaptiveRun unknown", () =>
		store.allocation.recordAdaptiveRun({ gameId: "b", experimentKey: "nope", ranAt: T0 + 3 }),
	);
	await s("allocation.listAdaptiveRuns", () => store.allocation.listAdaptiveRuns());
	await s("deleteExperiment", () => store.deleteExperiment("b", "Exp-a"));
	await s("deleteExperiment again", () => store.deleteExperiment("b", "Exp-a"));
	await s("allocation.listAdaptiveRuns after delete", () => store.allocation.listAdaptiveRuns());

	for (const key of ["f_2", "F1", "f-1"]) await s(`insertFlag ${key}`, () => store.insertFlag(flag("b", key)));
	await s("insertFlag again", () => store.insertFlag(flag("b", "F1")));
	await s("listFlags", () => store.listFlags("b"));
	await s("updateFlag", () => store.updateFlag({ ...flag("b", "F1"), updatedAt: T0 + 4 }));
	await s("updateFlag stale", () => store.updateFlag(flag("b", "F1")));
	await s("getFlag", () => store.getFlag("b", "F1"));
	await s("deleteFlag", () => store.deleteFlag("b", "f-1"));
	await s("deleteFlag again", () => store.deleteFlag("b", "f-1"));
	await s("getFlag missing", () => store.getFlag("b", "f-1"));

	// The metric library: versions in order, archive, lists.
	await s("insertLibraryMetric v2 first", () => store.insertLibraryMetric(metric("m_b", 2)));
	await s("insertLibraryMetric v1", () => store.insertLibraryMetric(metric("m_b", 1)));
	await s("insertLibraryMetric v1 again", () => store.insertLibraryMetric(metric("m_b", 1)));
	await s("insertLibraryMetric v2", () => store.insertLibraryMetric(metric("m_b", 2)));
	await s("insertLibraryMetric other", () => store.insertLibraryMetric(metric("M-a", 1)));
	await s("insertLibraryMetric third", () => store.insertLibraryMetric(metric("m-c", 1)));
	await s("archiveLibraryMetric", () => store.archiveLibraryMetric("b", "m-c", T0 + 9));
	await s("archiveLibraryMetric again", () => store.archiveLibraryMetric("b", "m-c", T0 + 10));
	await s("archiveLibraryMetric unknown", () => store.archiveLibraryMetric("b", "nope", T0 + 10));
	await s("insertLibraryMetric archived", () => store.insertLibraryMetric(metric("m-c", 2)));
	await s("getLibraryMetric latest", () => store.getLibraryMetric("b", "m_b"));
	await s("getLibraryMetric v1", () => store.getLibraryMetric("b", "m_b", 1));
	await s("getLibraryMetric v9", () => store.getLibraryMetric("b", "m_b", 9));
	await s("listLibraryMetrics", () => store.listLibraryMetrics("b"));
	await s("listLibraryMetrics archived", () => store.listLibraryMetrics("b", { includeArchived: true }));
	await s("listLibraryMetricVersions", () => store.listLibraryMetricVersions("b", "m_b"));
	await s("listLibraryMetricVersions unknown", () => store.listLibraryMetricVersions("b", "nope"));

	// Settings and the digest.
	await s("getGameSettings default", () => store.getGameSettings("b"));
	await s("updateGameSettings", () =>
		store.updateGameSettings("b", { timeZone: "Europe/Berlin", rawRetentionDays: 30, trustClientClock: true }, T0 + 1),
	);
	await s("updateGameSettings more", () =>
		store.updateGameSettings(
			"b",
			{ digestWebhookUrl: "https://example.com/hook", digestHour: 0, consentDefault: "opt-out" },
			T0 + 2,
		),
	);
	await s("updateGameSettings clear", () => store.updateGameSettings("b", { rawRetentionDays: null }, T0 + 3));
	await s("updateGameSettings other", () => store.updateGameSettings("B", { digestHour: 23 }, T0 + 4));
	await s("updateGameSettings bad hour", () => store.updateGameSettings("B", { digestHour: 24 }, T0 + 5));
	await s("updateGameSettings bad retention", () => store.updateGameSettings("B", { rawRetentionDays: 0 }, T0 + 5));
	await s("updateGameSettings unknown game", () => store.updateGameSettings("nope", { digestHour: 1 }, T0 + 5));
	await s("listGameSettings", () => store.listGameSettings());
	await s("security.listStoredDigestWebhookUrls", () => store.security.listStoredDigestWebhookUrls());
	await s("security.setStoredDigestWebhookUrl", () => store.security.setStoredDigestWebhookUrl("b", "https://x/y"));
	await s("security.setStoredDigestWebhookUrl none", () => store.security.setStoredDigestWebhookUrl("B", "https://x"));
	await s("getGameSettings", () => store.getGameSettings("b"));
	await s("getDigestState none", () => store.getDigestState("b"));
	await s("claimDigestDay", () => store.claimDigestDay("b", "2025-01-01", T0, T0 + 100));
	await s("claimDigestDay held", () => store.claimDigestDay("b", "2025-01-01", T0 + 50, T0 + 150));
	await s("claimDigestDay expired", () => store.claimDigestDay("b", "2025-01-01", T0 + 100, T0 + 200));
	await s("finishDigestDay unsettled", () =>
		store.finishDigestDay("b", { day: "2025-01-01", settled: false, attempts: 3, error: "HTTP 500" }, T0 + 110),
	);
	await s("getDigestState unsettled", () => store.getDigestState("b"));
	await s("claimDigestDay again", () => store.claimDigestDay("b", "2025-01-01", T0 + 120, T0 + 220));
	await s("finishDigestDay settled", () =>
		store.finishDigestDay("b", { day: "2025-01-01", settled: true, attempts: 1, error: null }, T0 + 130),
	);
	await s("claimDigestDay settled day", () => store.claimDigestDay("b", "2025-01-01", T0 + 300, T0 + 400));
	await s("claimDigestDay earlier day", () => store.claimDigestDay("b", "2024-12-31", T0 + 300, T0 + 400));
	await s("claimDigestDay next day", () => store.claimDigestDay("b", "2025-01-02", T0 + 300, T0 + 400));
	await s("finishDigestDay no row", () =>
		store.finishDigestDay("B", { day: "2025-01-01", settled: true, attempts: 1, error: null }, T0),
	);
	await s("getDigestState", () => store.getDigestState("b"));
	await s("getDigestState no row", () => store.getDigestState("B"));
	await s("claimDigestDay unknown game", () => store.claimDigestDay("nope", "2025-01-01", T0, T0 + 1));

	// Security: throttling, TOTP, passwords.
	await s("security.putLoginThrottle", () =>
		store.security.putLoginThrottle({ account: "b@x", failures: 1, lastFailureAt: T0, lockedUntil: null }, T0 - 10),
	);
	await s("security.putLoginThrottle 2", () =>
		store.security.putLoginThrottle({ account: "a@x", failures: 5, lastFailureAt: T0 + 5, lockedUntil: T0 + 500 }, 0),
	);
	await s("security.putLoginThrottle forgets", () =>
		store.security.putLoginThrottle(
			{ account: "c@x", failures: 2, lastFailureAt: T0 + 200, lockedUntil: null },
			T0 + 100,
		),
	);
	await s("security.getLoginThrottle forgotten", () => store.security.getLoginThrottle("b@x"));
	await s("security.getLoginThrottle locked kept", () => store.security.getLoginThrottle("a@x"));
	await s("security.clearLoginThrottle", () => store.security.clearLoginThrottle("a@x"));
	await s("security.getLoginThrottle cleared", () => store.security.getLoginThrottle("a@x"));
	await s("security.putPendingTotp", () =>
		store.security.putPendingTotp({ userId: "u2", secret: "s2", confirmedAt: T0, lastStep: 5, createdAt: T0 }),
	);
	await s("security.putPendingTotp u1", () =>
		store.security.putPendingTotp({ userId: "u1", secret: "s1", confirmedAt: null, lastStep: 0, createdAt: T0 }),
	);
	await s("security.putPendingTotp unknown user", () =>
		store.security.putPendingTotp({ userId: "nope", secret: "s", confirmedAt: null, lastStep: 0, createdAt: T0 }),
	);
	await s("security.useTotpStep", () => store.security.useTotpStep("u2", 6, T0 + 1));
	await s("security.useTotpStep same", () => store.security.useTotpStep("u2", 6, T0 + 2));
	await s("security.useTotpStep older", () => store.security.useTotpStep("u2", 4, T0 + 2));
	await s("security.useTotpStep big", () => store.security.useTotpStep("u1", 58_000_000, T0 + 3));
	await s("security.getTotp", () => store.security.getTotp("u2"));
	await s("security.setTotpSecret", () => store.security.setTotpSecret("u1", "sealed-s1"));
	await s("security.setTotpSecret missing", () => store.security.setTotpSecret("nope", "x"));
	await s("security.listTotp", () => store.security.listTotp());
	await s("security.deleteTotp", () => store.security.deleteTotp("u1"));
	await s("security.deleteTotp again", () => store.security.deleteTotp("u1"));
	await s("security.setAdminPasswordHash", () => store.security.setAdminPasswordHash("u3", "$argon2id$new"));
	await s("security.setAdminPasswordHash missing", () => store.security.setAdminPasswordHash("nope", "x"));
	await s("getAdminUser after password", () => store.getAdminUser("u3"));

	// Access: grants, orders, replacement, unknown user or game.
	for (const [userId, gameId, role] of [
		["u2", "b", "viewer"],
		["u1", "b", "owner"],
		["u3", "b", "analyst"],
		["u2", "B", "owner"],
		["u2", "a_1", "analyst"],
	] as const) {
		await s(`access.putGrant ${userId}/${gameId}`, () =>
			store.access.putGrant({ userId, gameId, role, grantedAt: T0 }),
		);
	}
	await s("access.putGrant replace", () =>
		store.access.putGrant({ userId: "u2", gameId: "b", role: "owner", grantedAt: T0 + 1 }),
	);
	await s("access.putGrant unknown game", () =>
		store.access.putGrant({ userId: "u2", gameId: "nope", role: "owner", grantedAt: T0 }),
	);
	await s("access.putGrant unknown user", () =>
		store.access.putGrant({ userId: "nope", gameId: "b", role: "owner", grantedAt: T0 }),
	);
	await s("access.listUserGrants", () => store.access.listUserGrants("u2"));
	await s("access.listGameGrants", () => store.access.listGameGrants("b"));
	await s("access.deleteGrant", () => store.access.deleteGrant("u2", "B"));
	await s("access.deleteGrant again", () => store.access.deleteGrant("u2", "B"));
	await s("access.listUserGrants after", () => store.access.listUserGrants("u2"));

	// Allocation: layers and holdouts.
	for (const id of ["l_2", "L1", "l-1"]) {
		await s(`allocation.insertLayer ${id}`, () =>
			store.allocation.insertLayer({
				gameId: "b",
				id,
				name: `Layer ${id}`,
				description: "",
				createdAt: T0,
				updatedAt: T0,
			}),
		);
	}
	await s("allocation.insertLayer again", () =>
		store.allocation.insertLayer({ gameId: "b", id: "L1", name: "x", description: "x", createdAt: T0, updatedAt: T0 }),
	);
	await s("allocation.insertLayer unknown game", () =>
		store.allocation.insertLayer({
			gameId: "nope",
			id: "L1",
			name: "x",
			description: "",
			createdAt: T0,
			updatedAt: T0,
		}),
	);
	await s("allocation.updateLayer", () =>
		store.allocation.updateLayer({
			gameId: "b",
			id: "L1",
			name: "New",
			description: "d",
			createdAt: 0,
			updatedAt: T0 + 5,
		}),
	);
	await s("allocation.updateLayer missing", () =>
		store.allocation.updateLayer({ gameId: "b", id: "nope", name: "x", description: "", createdAt: 0, updatedAt: 0 }),
	);
	await s("allocation.listLayers", () => store.allocation.listLayers("b"));
	await s("allocation.getLayer", () => store.allocation.getLayer("b", "L1"));
	await s("allocation.deleteLayer", () => store.allocation.deleteLayer("b", "l-1"));
	await s("allocation.deleteLayer again", () => store.allocation.deleteLayer("b", "l-1"));
	await s("allocation.getHoldout none", () => store.allocation.getHoldout("b"));
	await s("allocation.putHoldout", () =>
		store.allocation.putHoldout({ gameId: "b", percent: 12.5, seed: "s1", createdAt: T0, updatedAt: T0 }),
	);
	await s("allocation.putHoldout replace", () =>
		store.allocation.putHoldout({ gameId: "b", percent: 0, seed: "s2", createdAt: T0 + 9, updatedAt: T0 + 9 }),
	);
	await s("allocation.putHoldout out of range", () =>
		store.allocation.putHoldout({ gameId: "b", percent: 51, seed: "s2", createdAt: T0, updatedAt: T0 }),
	);
	await s("allocation.getHoldout", () => store.allocation.getHoldout("b"));

	// Leases: free, held, renewed, expired at exactly `until`, released.
	const lease = (label: string, holder: string, now: number, until: number) =>
		s(`leases.acquire ${label}`, () => store.leases.acquire("job", holder, now, until));
	await lease("free", "i1", T0, T0 + 100);
	await lease("held", "i2", T0 + 50, T0 + 150);
	await lease("renewed", "i1", T0 + 60, T0 + 200);
	await s("leases.holder", () => store.leases.holder("job", T0 + 199));
	await s("leases.holder at until", () => store.leases.holder("job", T0 + 200));
	await lease("just before until", "i2", T0 + 199, T0 + 300);
	await lease("at until", "i2", T0 + 200, T0 + 300);
	await s("leases.release not holder", () => store.leases.release("job", "i1"));
	await s("leases.holder kept", () => store.leases.holder("job", T0 + 250));
	await s("leases.release", () => store.leases.release("job", "i2"));
	await s("leases.holder released", () => store.leases.holder("job", T0 + 250));
	await lease("after release", "i3", T0 + 250, T0 + 260);
	return log;
}

describe.skipIf(!serviceRequired("postgres"))("PostgresMetadataStore (against the SQLite engine)", () => {
	let server: PostgresService;
	let databases = 0;
	const opened: PostgresMetadataStore[] = [];

	/** A store on a fresh database; with `icu`, one whose default collation is ICU's en-US (not byte order). */
	async function open(options: { icu?: boolean; secrets?: MasterKeys } = {}): Promise<PostgresMetadataStore> {
		const name = `meta_${++databases}`;
		let url: string;
		if (options.icu) {
			const admin = new pg.Client({ connectionString: server.url });
			await admin.connect();
			await admin.query(
				`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`,
			);
			await admin.end();
			url = server.url.replace(/\/vantage$/, `/${name}`);
		} else url = await server.createDatabase(name);
		const store = await openPostgresMetadata({ url, ...(options.secrets ? { secrets: options.secrets } : {}) });
		opened.push(store);
		return store;
	}

	beforeAll(async () => {
		server = await startPostgres();
	});
	afterAll(async () => {
		await Promise.all(opened.map((store) => store.close()));
		await server?.stop();
	});

	it("answers every metadata call as SQLite does, orders and ties included", async () => {
		const sqlite = openSqliteStore({ path: ":memory:" });
		try {
			const expected = await script(sqlite);
			if (process.env.DUMP_SCRIPT) for (const entry of expected) console.log(JSON.stringify(entry).slice(0, 220));
			const actual = await script(await open({ icu: true }));
			// Compared step by step, so a difference names its call.
			for (let i = 0; i < expected.length; i++) expect(actual[i]).toEqual(expected[i]);
			expect(actual.length).toBe(expected.length);
		} finally {
			await sqlite.close();
		}
	});

	it("orders text by bytes even where the database's own collation would not", async () => {
		const store = await open({ icu: true });
		for (const id of GAMES) await store.createGame({ id, name: id, createdAt: T0 });
		const byBytes = [...GAMES].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
		expect((await store.listGames()).map((game) => game.id)).toEqual(byBytes);
		// The database's collation really is another order (else this test would prove nothing).
		const { rows } = await store.pool.query<{ id: string }>(
			'SELECT id FROM (SELECT unnest($1::text[]) AS id) AS t ORDER BY id COLLATE "default"',
			[GAMES],
		);
		expect(rows.map((row) => row.id)).not.toEqual(byBytes);
	});

	it("gives times back as numbers, not strings", async () => {
		const store = await open();
		const at = 1_767_225_600_123; // past 2^32, below 2^53
		await store.createGame({ id: "g1", name: "Game", createdAt: at });
		const game = await store.getGame("g1");
		expect(game).toEqual({ id: "g1", name: "Game", createdAt: at });
		expect(typeof game?.createdAt).toBe("number");
	});

	it("seals the digest webhook URL at rest and opens it on read", async () => {
		const keys = new MasterKeys(randomBytes(32));
		const store = await open({ secrets: keys });
		await store.createGame({ id: "g1", name: "Game", createdAt: T0 });
		const url = "https://discord.com/api/webhooks/1/secret-token";
		expect((await store.updateGameSettings("g1", { digestWebhookUrl: url }, T0)).digestWebhookUrl).toBe(url);
		expect((await store.getGameSettings("g1")).digestWebhookUrl).toBe(url);
		expect((await store.listGameSettings())[0]?.digestWebhookUrl).toBe(url);
		const [stored] = await store.security.listStoredDigestWebhookUrls();
		expect(stored?.value).not.toContain("secret-token");
		expect(keys.isSealed(stored!.value)).toBe(true);
		// Another game's settings row cannot take it over (the seal is bound to its game).
		await store.createGame({ id: "g2", name: "Other", createdAt: T0 });
		await store.updateGameSettings("g2", { digestHour: 1 }, T0);
		await store.pool.query("UPDATE game_settings SET digest_webhook_url = $1 WHERE game_id = 'g2'", [stored!.value]);
		await expect(store.getGameSettings("g2")).rejects.toThrow();
	});

	it("keeps both of two concurrent settings edits, also on a game's first edit", async () => {
		const store = await open();
		await store.createGame({ id: "g1", name: "Game", createdAt: T0 });
		await Promise.all([
			store.updateGameSettings("g1", { timeZone: "Asia/Tokyo" }, T0 + 1),
			store.updateGameSettings("g1", { digestHour: 3 }, T0 + 2),
			store.updateGameSettings("g1", { rawRetentionDays: 7 }, T0 + 3),
		]);
		expect(await store.getGameSettings("g1")).toMatchObject({
			timeZone: "Asia/Tokyo",
			digestHour: 3,
			rawRetentionDays: 7,
		});
	});

	it("lets one of many concurrent changes of a library metric's version land", async () => {
		const store = await open();
		await store.createGame({ id: "b", name: "Game", createdAt: T0 });
		const results = await Promise.all(
			Array.from({ length: 8 }, (_, i) => store.insertLibraryMetric({ ...metric("m", 1), createdBy: `admin:${i}` })),
		);
		expect(results.filter(Boolean)).toHaveLength(1);
		expect(await store.listLibraryMetricVersions("b", "m")).toHaveLength(1);
	});

	it("never leaves a version unarchived when a change races the archive", async () => {
		const store = await open();
		await store.createGame({ id: "b", name: "Game", createdAt: T0 });
		for (let round = 0; round < 10; round++) {
			const key = `m${round}`;
			await store.insertLibraryMetric(metric(key, 1));
			const [inserted] = await Promise.all([
				store.insertLibraryMetric(metric(key, 2)),
				store.archiveLibraryMetric("b", key, T0 + 50),
			]);
			const versions = await store.listLibraryMetricVersions("b", key);
			expect(versions.every((version) => version.archivedAt === T0 + 50)).toBe(true);
			expect(versions).toHaveLength(inserted ? 2 : 1);
		}
	});

	it("lets one of two concurrent claims of a digest day win", async () => {
		const store = await open();
		await store.createGame({ id: "g1", name: "Game", createdAt: T0 });
		const claims = await Promise.all(
			Array.from({ length: 10 }, () => store.claimDigestDay("g1", "2025-01-01", T0, T0 + 60_000)),
		);
		expect(claims.filter(Boolean)).toHaveLength(1);
	});

	it("accepts a TOTP step once however many requests bring it at once", async () => {
		const store = await open();
		await store.insertAdminUser({
			id: "u1",
			email: "a@x",
			passwordHash: "h",
			admin: true,
			createdAt: T0,
			disabledAt: null,
		});
		await store.security.putPendingTotp({ userId: "u1", secret: "s", confirmedAt: null, lastStep: 0, createdAt: T0 });
		const uses = await Promise.all(Array.from({ length: 10 }, () => store.security.useTotpStep("u1", 7, T0 + 1)));
		expect(uses.filter(Boolean)).toHaveLength(1);
	});

	it("answers pruneBatches with 0: batches are the event store's", async () => {
		const store = await open();
		expect(await store.security.pruneBatches(Date.now(), 1000)).toBe(0);
	});

	it("rejects calls after close, and closes twice without error", async () => {
		const store = await open();
		await store.ping();
		await store.close();
		await store.close();
		await expect(store.ping()).rejects.toThrow();
		await expect(store.listGames()).rejects.toThrow();
	});
});
