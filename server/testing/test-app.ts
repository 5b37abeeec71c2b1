import type { Hono } from "hono";
import { createApp } from "../app.js";
import { createAdminUser, createGameKey } from "../auth/provisioning.js";
import type { AdminRole, GameScope } from "../auth/roles.js";
import { SigningKeyRing, signingKeyRingOptions } from "../auth/signing-keys.js";
import { loadConfig } from "../config.js";
import type { DashboardAssets } from "../dashboard/assets.js";
import type { AppEnv } from "../http/app-env.js";
import type { LiveEventHub } from "../live/event-hub.js";
import { createMetrics, type Metrics } from "../metrics/metrics.js";
import { randomBytes } from "node:crypto";
import { consentSealer } from "../privacy/consent-records.js";
import { PlayerKeyring } from "../privacy/player-keys.js";
import { MasterKeys } from "../privacy/master-keys.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/types.js";
import { T0, memoryLogger } from "./fixtures.js";

/**
 * What a test user of `role` is: "admin" an instance admin; "owner" an instance admin too unless `games` is given
 * explicitly (`explicitGames`); analyst or viewer that role on `games`.
 */
export function testUserAccess(
	role: AdminRole | "admin",
	games: readonly string[],
	explicitGames = false,
): { admin: boolean; grants: { gameId: string; role: AdminRole }[] } {
	if (role === "admin" || (role === "owner" && !explicitGames)) return { admin: true, grants: [] };
	return { admin: false, grants: games.map((gameId) => ({ gameId, role })) };
}

/** Cheap argon2 parameters: test users are hashed quickly; production hashing is tested in passwords.test.ts. */
export const TEST_HASH_OPTIONS = { memoryCost: 1024, timeCost: 1 };
export const TEST_PASSWORD = "correct horse battery staple";

export interface TestApp {
	app: Hono<AppEnv>;
	store: Store;
	keys: SigningKeyRing;
	/** The player keys (in memory, under a random master key) that seal consent records. */
	playerKeys: PlayerKeyring;
	metrics: Metrics;
	lines: Record<string, unknown>[];
	/** The app's clock (unix ms); tests move it. */
	clock: { now: number };
	/** Creates the game if new and a key for it; returns the full key. */
	gameKey(gameId: string, scopes?: GameScope[]): Promise<string>;
	/** A fresh key exchanged at the token endpoint: the `Authorization` header value for game routes. */
	gameAuth(gameId: string, scopes?: GameScope[]): Promise<string>;
	/**
	 * A user logged in: the `Authorization` header value for admin routes. With `games`, the user has `role` on those
	 * games only ("admin": an instance admin). Without, "owner" (the default) is an instance admin — what migration 13
	 * makes of existing owners — and analyst or viewer is that role on every game of the store, now and later.
	 */
	adminAuth(role?: AdminRole | "admin", games?: readonly string[]): Promise<string>;
	close(): Promise<void>;
}

/**
 * The real app over an in-memory store with real signing keys, a pinned clock and generous per-IP limits (every
 * `app.request` shares one client address).
 *
 * @example
 * const t = await createTestApp();
 * const res = await t.app.request("/v1/batches", jsonRequest(batch, { headers: { Authorization: await t.gameAuth("g1") } }));
 */
export async function createTestApp(
	options: {
		env?: Record<string, string>;
		now?: number;
		dashboardAssets?: DashboardAssets;
		/** The live event stream's publisher, for tests that watch its streams. */
		liveEvents?: LiveEventHub;
	} = {},
): Promise<TestApp> {
	const config = loadConfig({ VANTAGE_TOKEN_BURST: "100000", VANTAGE_GAME_BURST: "100000", ...options.env });
	const playerKeys = PlayerKeyring.open({ path: ":memory:", masterKey: randomBytes(32) });
	const store = openSqliteStore({ path: ":memory:", consentSealer: consentSealer(playerKeys), players: playerKeys });
	const clock = { now: options.now ?? T0 + 1000 };
	const keys = await SigningKeyRing.open({
		store,
		secrets: new MasterKeys(randomBytes(32)),
		clock: () => clock.now,
		...signingKeyRingOptions(config),
	});
	const metrics = createMetrics();
	const { logger, lines } = memoryLogger();
	const app = createApp({
		store,
		config,
		logger,
		keys,
		metrics,
		clock: () => clock.now,
		dashboardAssets: options.dashboardAssets,
		liveEvents: options.liveEvents,
		playerKeys,
	});
	let users = 0;
	// Users of adminAuth(analyst|viewer) without games: members of every game, including the ones made after them
	// (by the store's createGame, which the API, the CLI helpers and tests all go through).
	const everyGameUsers: { userId: string; role: AdminRole }[] = [];
	const createGame = store.createGame.bind(store);
	store.createGame = async (game) => {
		const created = await createGame(game);
		if (created) {
			for (const { userId, role } of everyGameUsers) {
				await store.access.putGrant({ userId, gameId: game.id, role, grantedAt: clock.now });
			}
		}
		return created;
	};

	const gameKey = async (gameId: string, scopes?: GameScope[]) => {
		const created = await createGameKey(store, {
			gameId,
			now: clock.now,
			createGameIfMissing: true,
			...(scopes ? { scopes } : {}),
		});
		return created.key;
	};

	return {
		app,
		store,
		keys,
		playerKeys,
		metrics,
		lines,
		clock,
		gameKey,
		async gameAuth(gameId, scopes) {
			const res = await app.request("/v1/oauth/token", {
				method: "POST",
				headers: {
					Authorization: `Bearer ${await gameKey(gameId, scopes)}`,
					"Content-Type": "application/x-www-form-urlencoded",
				},
				body: "grant_type=client_credentials",
			});
			if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${await res.text()}`);
			return `Bearer ${((await res.json()) as { access_token: string }).access_token}`;
		},
		async adminAuth(role = "owner", games) {
			const email = `user${++users}@example.com`;
			const existing = (await store.listGames()).map((g) => g.id);
			const user = await createAdminUser(store, {
				email,
				password: TEST_PASSWORD,
				...testUserAccess(role, games ?? existing, games !== undefined),
				now: clock.now,
				hashOptions: TEST_HASH_OPTIONS,
			});
			if (games === undefined && role !== "owner" && role !== "admin") everyGameUsers.push({ userId: user.id, role });
			const res = await app.request("/v1/admin/login", {
				method: "POST",
				headers: { "Content-Type": "application/json" },
				body: JSON.stringify({ email, password: TEST_PASSWORD }),
			});
			if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
			return `Bearer ${((await res.json()) as { access_token: string }).access_token}`;
		},
		close: async () => {
			await store.close();
			playerKeys.close();
		},
	};
}
