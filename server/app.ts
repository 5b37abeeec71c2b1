import { Hono, type Context } from "hono";
import { every } from "hono/combine";
import { HTTPException } from "hono/http-exception";
import { AdminLogin } from "./auth/admin-login.js";
import { adminRoutes } from "./auth/admin-routes.js";
import { sessionRoutes } from "./auth/session-routes.js";
import { accessRoutes } from "./auth/access-routes.js";
import type { AccessRequirement } from "./auth/game-access.js";
import type { SigningKeyRing } from "./auth/signing-keys.js";
import { tokenRoutes } from "./auth/token-routes.js";
import { TokenService } from "./auth/tokens.js";
import { userRoutes } from "./auth/user-routes.js";
import type { Config } from "./config.js";
import type { DashboardAssets } from "./dashboard/assets.js";
import { dashboardRoutes } from "./dashboard/routes.js";
import { DashboardSessions } from "./dashboard/sessions.js";
import { NO_DIGEST_KPIS, type DigestKpiSource } from "./digest/payload.js";
import { digestRoutes } from "./digest/routes.js";
import { InternalError, NotFoundError, ProblemError, ServiceUnavailableError, codeForStatus } from "./errors.js";
import { experimentRoutes } from "./experiments/admin-routes.js";
import { metricLibraryRoutes } from "./experiments/metric-library-routes.js";
import { configRoutes } from "./experiments/config-routes.js";
import { planningRoutes } from "./experiments/planning-routes.js";
import { resultsRoutes } from "./experiments/results-routes.js";
import { digestAlertSource } from "./experiments/alerts.js";
import { predictionRoutes } from "./predict/routes.js";
import { digestAnomalySource } from "./predict/predictions.js";
import { sharedResultsAnalyzer } from "./experiments/results-analyzer.js";
import { layerRoutes } from "./experiments/layer-routes.js";
import type { AppEnv } from "./http/app-env.js";
import { clientIp, compileTrustedProxies } from "./http/client-ip.js";
import { problemResponse } from "./http/problem.js";
import { isHttpsRequest } from "./http/secure-request.js";
import { ClientClockTrust } from "./ingest/client-clock-trust.js";
import { ingestRoutes } from "./ingest/routes.js";
import { SdkVersionMonitor } from "./ingest/sdk-versions.js";
import { LiveEventHub } from "./live/event-hub.js";
import { liveRoutes } from "./live/routes.js";
import type { Logger } from "./logger.js";
import { createMetrics, type Metrics } from "./metrics/metrics.js";
import { metricsApiRoutes } from "./metrics/api-routes.js";
import { metricsRoute } from "./metrics/routes.js";
import { auditAdminChanges } from "./middleware/admin-audit/index.js";
import { httpMetrics } from "./middleware/http-metrics/index.js";
import { rateLimit, SharedTokenBuckets, TokenBuckets, type RateLimiter } from "./middleware/rate-limit/index.js";
import { requestId } from "./middleware/request-id/index.js";
import { requestLogger } from "./middleware/request-logger/index.js";
import { requireAdmin, requireGameToken } from "./middleware/require-token/index.js";
import { adminCors, securityHeaders } from "./middleware/security/index.js";
import { openApiRoutes } from "./openapi/routes.js";
import { auditEventsRead, auditPlayersRead } from "./privacy/audit.js";
import { createErasure, type Erasure } from "./privacy/erasure.js";
import { privacyRoutes } from "./privacy/routes.js";
import { consentRoutes } from "./privacy/consent-routes.js";
import type { ConsentKeys } from "./privacy/consent-records.js";
import type { MasterKeys } from "./privacy/master-keys.js";
import { settingsRoutes } from "./settings/routes.js";
import type { SharedRedis } from "./shared-state/redis.js";
import type { Store } from "./store/types.js";
import { storeUnavailable } from "./store/unavailable.js";
import { warehouseRoutes } from "./warehouse/admin-routes.js";

export interface AppDeps {
	store: Store;
	config: Config;
	logger: Logger;
	/** Server time in unix ms (tests pin it). @default Date.now */
	clock?: () => number;
	/** How long /readyz waits for the store before answering 503. @default 2000 */
	readinessTimeoutMs?: number;
	/** Token-signing keys; opening them reads (or creates) keys in the store, so the caller does it. */
	keys: SigningKeyRing;
	/** @default fresh metrics without process metrics */
	metrics?: Metrics;
	/** The KPIs of the daily digest's test send (the server passes the scheduler's source). @default NO_DIGEST_KPIS */
	digestKpis?: DigestKpiSource;
	/** The built dashboard (the server reads it from dashboard/dist). @default none: / says how to build it */
	dashboardAssets?: DashboardAssets;
	/** The live event stream's publisher (the server passes one it closes at shutdown). @default a new one */
	liveEvents?: LiveEventHub;
	/**
	 * Erasure jobs and ingest's guard against erased players (the server passes the pair whose unfinished jobs it
	 * resumes, with the player keyring's shredding). @default a new pair shredding keys in `playerKeys`, if given
	 */
	erasure?: Erasure;
	/**
	 * The per-player keys that seal personal fields (the same keyring the store's consentSealer uses); the consent API
	 * opens records with it. @default none: a player's consent records answer 503
	 */
	playerKeys?: ConsentKeys & { shred(gameId: string, userId: number): boolean | Promise<boolean> };
	/** Seals the users' TOTP secrets. @default the signing keys' master keys (`keys.secrets`) */
	masterKeys?: MasterKeys;
	/**
	 * The Redis instances share (VANTAGE_REDIS_URL): the per-game and per-address rate limits then hold across every
	 * instance, falling back to this instance's buckets while Redis cannot answer. @default none: per-instance limits
	 */
	sharedRedis?: SharedRedis;
}

/**
 * Builds the HTTP app. Does no I/O: everything it touches arrives in `deps`, so tests call `app.request()`.
 *
 * @example
 * const store = openSqliteStore({ path: ":memory:" });
 * const keys = await SigningKeyRing.open({ store, clock: Date.now, rotateAfterMs: 30 * DAY, retainMs: 2 * HOUR });
 * const app = createApp({ store, config: loadConfig({}), logger, keys });
 * const res = await app.request("/healthz");
 */
export function createApp(deps: AppDeps): Hono<AppEnv> {
	const { store, config, logger, keys } = deps;
	const clock = deps.clock ?? Date.now;
	const metrics = deps.metrics ?? createMetrics();
	const tokens = new TokenService({
		keys,
		issuer: config.issuer,
		clock,
		gameTtlSeconds: config.tokenTtlSeconds,
		adminTtlSeconds: config.adminTokenTtlSeconds,
		clockToleranceSeconds: config.clockToleranceSeconds,
	});
	// Dashboard logins: a session cookie that the admin guard accepts in place of an admin token.
	const sessions = new DashboardSessions({ store, clock, ...config.dashboardSession });
	const requireRole = (role: AccessRequirement) => requireAdmin({ tokens, store, logger, role, sessions });
	// Who is a proxy (VANTAGE_TRUSTED_PROXIES) decides whether X-Forwarded-For names the client (http/client-ip.ts).
	const trustProxy = compileTrustedProxies(config.trustedProxies);
	const ipOf = (c: Context) => clientIp(c, trustProxy);
	// With a shared Redis, a limit's buckets live there (one limit across instances) and these stay the fallback.
	const limiter = (name: string, limit: { perSecond: number; burst: number }): RateLimiter => {
		const local = new TokenBuckets({ ...limit, clock });
		const redis = deps.sharedRedis;
		return redis ? new SharedTokenBuckets({ redis, name, ...limit, fallback: local }) : local;
	};
	// One budget per address for token requests, API logins and dashboard logins.
	const perIpBuckets = limiter("ip", config.tokenRateLimit);
	const perIp = rateLimit({
		buckets: perIpBuckets,
		key: ipOf,
		detail: "Too many token or login requests from this address.",
	});
	// Admin sign-in (API and dashboard form): per-account throttling and the second factor (auth/admin-login.ts).
	const masterKeys = deps.masterKeys ?? keys.secrets;
	const login = new AdminLogin({ store, clock, secrets: masterKeys, logger });
	const perGame = rateLimit({
		buckets: limiter("game", config.gameRateLimit),
		key: (c) => c.get("game").gameId,
		detail: "This game is sending batches faster than its rate limit.",
	});
	// Each game's trustClientClock, kept in memory for ingest; the settings routes invalidate it on a change.
	const clientClock = new ClientClockTrust({ store, clock });
	const liveEvents = deps.liveEvents ?? new LiveEventHub();
	const playerKeys = deps.playerKeys;
	const erasure =
		deps.erasure ??
		createErasure({
			store,
			clock,
			logger,
			...(playerKeys ? { shredPlayerKey: (gameId: string, userId: number) => playerKeys.shred(gameId, userId) } : {}),
		});

	const app = new Hono<AppEnv>();
	app.use(requestId(), requestLogger({ logger }), httpMetrics({ metrics }), securityHeaders());
	// Every admin state change is audited, after the route has answered (middleware/admin-audit).
	app.use("/v1/*", auditAdminChanges({ store, clock, logger }));
	app.use(
		"/v1/admin/*",
		adminCors(config.corsOrigins, (path) => allowedMethods(app, path)),
	);

	app.get("/healthz", (c) => c.json({ status: "ok" }));

	app.get("/readyz", async (c) => {
		try {
			await withTimeout(store.ping(), deps.readinessTimeoutMs ?? 2000);
		} catch (error) {
			logger.warn("store not ready", { requestId: c.get("requestId"), error });
			throw new ServiceUnavailableError("The store is not reachable.");
		}
		// Redis is reported, never required: without it the instance serves on with its own rate limits.
		const redis = await deps.sharedRedis?.health();
		if (redis && !redis.ok) deps.sharedRedis?.warn("redis not reachable", redis.error);
		return c.json({ status: "ok", ...(redis ? { redis: redis.ok ? "ok" : "unreachable" } : {}) });
	});

	app.route("/", openApiRoutes());
	// The dashboard: the app shell at /, its login and its assets; its data comes from the JSON APIs below.
	app.route(
		"/",
		dashboardRoutes({
			store,
			sessions,
			assets: deps.dashboardAssets,
			loginLimit: (c) => perIpBuckets.take(ipOf(c)),
			login,
			ipOf,
			isHttps: (c) => isHttpsRequest(c, trustProxy),
		}),
	);
	app.route("/metrics", metricsRoute({ metrics, scrapeToken: config.metricsToken, adminGuard: requireRole("admin") }));

	// Every route below authenticates: a game access token, an admin token, or (token endpoint, login) a credential.
	const { v1: token, wellKnown } = tokenRoutes({ store, tokens, keys, guard: perIp });
	app.route("/.well-known", wellKnown);
	const v1 = new Hono<AppEnv>();
	v1.route("/", token);
	// The SDK versions each game's batches carry: ingest notes them, the games list shows them (outdated ones warned).
	const sdkVersions = new SdkVersionMonitor({ logger, clock });
	v1.route("/admin", adminRoutes({ store, tokens, clock, loginGuard: perIp, requireRole, sdkVersions, login, ipOf }));
	// A user's sessions (listed, revoked one by one), password change and reset, and TOTP second factor.
	v1.route("/admin", sessionRoutes({ store, clock, secrets: masterKeys, requireRole }));
	v1.route(
		"/",
		ingestRoutes({
			store,
			config,
			clock,
			metrics,
			clientClock,
			ingestGuard: every(requireGameToken({ tokens, store, logger, scope: "ingest" }), perGame),
			readGuard: requireRole("analyst"),
			onStored: (gameId, batch) => liveEvents.publish(gameId, batch),
			erasures: erasure.guard,
			onEventsRead: auditEventsRead(store, clock),
			sdkVersions,
		}),
	);
	// The live event stream (SSE), fed by ingest above; who may read raw events may watch them arrive.
	v1.route(
		"/",
		liveRoutes({ store, hub: liveEvents, guard: requireRole("analyst"), onWatch: auditEventsRead(store, clock) }),
	);
	// Dashboard/admin users (owners).
	v1.route("/admin", userRoutes({ store, clock, requireRole }));
	// Who may see which game: grants of a role per game (instance admins and each game's owners manage them).
	v1.route("/admin", accessRoutes({ store, clock, requireRole }));
	// Experiments and flags: admin CRUD and results under /v1/admin, the SDK's config at /v1/config.
	v1.route("/admin", experimentRoutes({ store, clock, requireRole }));
	v1.route("/admin", resultsRoutes({ store, clock, requireRole }));
	// The game's metric library: versioned metric definitions experiments pick from (viewers read, analysts write).
	v1.route("/admin", metricLibraryRoutes({ store, clock, requireRole }));
	// The dashboard's planning aids: power calculator, assignment preview, exposures (read-only, viewers too).
	v1.route("/admin", planningRoutes({ store, clock, requireRole, onPlayersRead: auditPlayersRead(store, clock) }));
	// Layers (namespaces) and the global holdout: viewers read, analysts change (audited as admin changes).
	v1.route("/admin", layerRoutes({ store, clock, requireRole }));
	// Per-game settings (time zone, retention, digest webhook) and the digest's test send.
	v1.route("/admin", settingsRoutes({ store, clock, requireRole, clientClock }));
	// The rollup job: status, and a game's rollups rebuilt from its raw events.
	v1.route("/admin", warehouseRoutes({ store, requireRole }));
	v1.route(
		"/admin",
		digestRoutes({
			store,
			clock,
			requireRole,
			kpis: deps.digestKpis ?? NO_DIGEST_KPIS,
			// The test send lists guardrail regressions and KPI anomalies as the daily digest does (server.ts).
			alerts: digestAlertSource({ store, analyzer: sharedResultsAnalyzer, clock }),
			anomalies: digestAnomalySource(store),
		}),
	);
	// Predictions: model cards, player rankings, recommendations and KPI anomalies (server/predict).
	v1.route("/admin", predictionRoutes({ store, clock, requireRole, playerKeys: deps.playerKeys }));
	// Game analytics: every metric from the warehouse's rollups.
	v1.route("/", metricsApiRoutes({ store, clock, guard: requireRole("viewer") }));
	// Privacy: a player's access export and erasure (owners), erasure jobs, Roblox's Right-to-Erasure webhook.
	v1.route(
		"/",
		privacyRoutes({
			store,
			clock,
			jobs: erasure.jobs,
			requireRole,
			robloxWebhookSecret: config.robloxWebhookSecret,
			playerKeys,
		}),
	);
	// Consent: policy versions (owners publish), a player's records (analysts, audited), the game's summary.
	v1.route("/", consentRoutes({ store, clock, requireRole, playerKeys: deps.playerKeys }));
	v1.route(
		"/",
		configRoutes({
			store,
			clock,
			guard: requireGameToken({ tokens, store, logger, scope: "config" }),
			// The shop's item-to-item model goes to the SDK (Vantage.recommend).
			predictions: store.predictions,
		}),
	);
	app.route("/v1", v1);

	app.notFound((c) => {
		// A path that exists for other methods is 405 with Allow (RFC 9110 §15.5.6), not 404.
		const allowed = allowedMethods(app, c.req.path);
		if (allowed.length > 0) {
			const problem = new ProblemError(
				405,
				"method_not_allowed",
				"Method not allowed",
				`${c.req.method} is not allowed here; use ${allowed.join(", ")}.`,
				{},
				{ Allow: allowed.join(", ") },
			);
			return problemResponse(c, withRequestId(problem.toProblem(c.req.path), c), new Headers(problem.headers));
		}
		return problemResponse(c, withRequestId(new NotFoundError().toProblem(c.req.path), c));
	});

	app.onError((error, c) => {
		const { problem, headers } = toProblem(error);
		if (problem.status >= 500) {
			logger.error("unhandled error", { requestId: c.get("requestId"), path: c.req.path, error });
		}
		return problemResponse(c, withRequestId(problem.toProblem(c.req.path), c), headers);
	});

	return app;
}

const ROUTE_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/**
 * The methods a route (not a middleware, which is registered for every method) answers at `path`; GET brings HEAD,
 * which Hono serves with the GET handler.
 */
function allowedMethods(app: Hono<AppEnv>, path: string): string[] {
	const allowed: string[] = [];
	for (const method of ROUTE_METHODS) {
		const [matches] = app.router.match(method, path) as unknown as [[[unknown, { method: string }], unknown][]];
		if (matches.some(([[, route]]) => route.method === method)) allowed.push(method);
	}
	if (allowed.includes("GET")) allowed.splice(1, 0, "HEAD");
	return allowed;
}

// Every failure leaves as one shape. HTTPException comes from Hono and third-party middleware; its headers
// (WWW-Authenticate, Retry-After) are kept, its body is replaced.
function toProblem(error: unknown): { problem: ProblemError; headers: Headers } {
	if (error instanceof ProblemError) return { problem: error, headers: new Headers(error.headers) };
	// A full disk or a restarting database: 503 + Retry-After (nothing was acknowledged; the client retries).
	const unavailable = storeUnavailable(error);
	if (unavailable) return { problem: unavailable, headers: new Headers(unavailable.headers) };
	if (error instanceof HTTPException) {
		const status = error.status;
		const code = codeForStatus(status);
		const headers = new Headers(error.res?.headers);
		headers.delete("content-type");
		headers.delete("content-length");
		if (status >= 500) return { problem: new InternalError(), headers };
		const title = code.replaceAll("_", " ").replace(/^./, (ch) => ch.toUpperCase());
		return { problem: new ProblemError(status, code, title, error.message || title), headers };
	}
	return { problem: new InternalError(), headers: new Headers() };
}

function withRequestId<T extends object>(problem: T, c: Context<AppEnv>): T & { requestId: string } {
	return { ...problem, requestId: c.get("requestId") };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
	});
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
