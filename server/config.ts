import { z } from "zod";
import { compileTrustedProxies } from "./http/client-ip.js";

/** Log levels in increasing severity. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const MIB = 1024 * 1024;

/**
 * The one place where defaults live. The schema below and the documentation table both read from here, so the
 * README can be checked against {@link CONFIG_VARIABLES} instead of drifting.
 */
export const CONFIG_DEFAULTS = {
	PORT: 8080,
	HOST: "0.0.0.0",
	VANTAGE_DATA_DIR: "./data",
	LOG_LEVEL: "info",
	VANTAGE_MAX_BODY_BYTES: 1 * MIB,
	VANTAGE_MAX_INFLATED_BYTES: 8 * MIB,
	VANTAGE_ISSUER: "vantage",
	VANTAGE_TOKEN_TTL_SECONDS: 900,
	VANTAGE_ADMIN_TOKEN_TTL_SECONDS: 3600,
	VANTAGE_CLOCK_TOLERANCE_SECONDS: 30,
	VANTAGE_SIGNING_KEY_ROTATION_DAYS: 30,
	VANTAGE_GAME_RATE_PER_SECOND: 100,
	VANTAGE_GAME_BURST: 500,
	VANTAGE_TOKEN_RATE_PER_MINUTE: 60,
	VANTAGE_TOKEN_BURST: 20,
	VANTAGE_CORS_ORIGINS: "",
	VANTAGE_METRICS_TOKEN: "",
	VANTAGE_SESSION_IDLE_MINUTES: 30,
	VANTAGE_SESSION_MAX_HOURS: 12,
	VANTAGE_TRUSTED_PROXIES: "",
	VANTAGE_ROBLOX_WEBHOOK_SECRET: "",
	VANTAGE_MASTER_KEY: "",
	VANTAGE_MASTER_KEY_PREVIOUS: "",
	VANTAGE_METADATA_URL: "",
	VANTAGE_EVENTS_URL: "",
	VANTAGE_REDIS_URL: "",
	VANTAGE_JOB_LEASE_SECONDS: 30,
	NODE_ENV: "development",
} as const satisfies Record<string, string | number>;

export type ConfigVariableName = keyof typeof CONFIG_DEFAULTS;

const MEANINGS: Record<ConfigVariableName, string> = {
	PORT: "TCP port the HTTP server listens on (0 picks a free port).",
	HOST: "Interface address the HTTP server binds to.",
	VANTAGE_DATA_DIR: "Directory holding the SQLite database file vantage.db; created if missing.",
	LOG_LEVEL: "Lowest log level written: debug, info, warn or error.",
	VANTAGE_MAX_BODY_BYTES: "Largest request body accepted on the wire (compressed size), in bytes; larger is 413.",
	VANTAGE_MAX_INFLATED_BYTES: "Largest body after gzip inflation, in bytes; larger is 413 (zip-bomb guard).",
	VANTAGE_ISSUER: "The iss claim of every token this backend signs and the only issuer it accepts.",
	VANTAGE_TOKEN_TTL_SECONDS: "Lifetime of a game server's access token from POST /v1/oauth/token (60 to 3600).",
	VANTAGE_ADMIN_TOKEN_TTL_SECONDS: "Lifetime of an admin token from POST /v1/admin/login (60 to 86400).",
	VANTAGE_CLOCK_TOLERANCE_SECONDS: "Clock skew allowed when checking a token's exp, nbf and iat (0 to 30).",
	VANTAGE_SIGNING_KEY_ROTATION_DAYS:
		"Age in days after which a new token-signing key replaces the active one (checked every minute).",
	VANTAGE_GAME_RATE_PER_SECOND: "Batch requests per second each game may sustain (token bucket refill rate).",
	VANTAGE_GAME_BURST: "Batch requests a game may send at once above its rate (token bucket size).",
	VANTAGE_TOKEN_RATE_PER_MINUTE: "Token and login requests per minute allowed from one IP address.",
	VANTAGE_TOKEN_BURST: "Token and login requests one IP address may send at once above that rate.",
	VANTAGE_CORS_ORIGINS: "Comma-separated browser origins allowed to call the admin API; empty allows none.",
	VANTAGE_METRICS_TOKEN: "Bearer token a Prometheus scraper sends to /metrics; empty means admin tokens only.",
	VANTAGE_SESSION_IDLE_MINUTES: "A dashboard session ends after this many minutes without a request (5 to 1440).",
	VANTAGE_SESSION_MAX_HOURS: "A dashboard session ends this many hours after login, however active (1 to 720).",
	VANTAGE_TRUSTED_PROXIES:
		"Comma-separated IPs or CIDRs of proxies whose X-Forwarded-For and -Proto are believed; empty: none.",
	VANTAGE_ROBLOX_WEBHOOK_SECRET:
		"Secret of Roblox's erasure webhook (POST /v1/webhooks/roblox; 16+ chars); empty: answers 503.",
	VANTAGE_MASTER_KEY:
		"Base64 of 32 random bytes wrapping player keys and stored secrets; empty: generated in master.key (not production).",
	VANTAGE_MASTER_KEY_PREVIOUS:
		"While rotating the master key: the old key; what it wrapped is rewrapped under VANTAGE_MASTER_KEY at start.",
	VANTAGE_METADATA_URL:
		"PostgreSQL for metadata (postgres://user:password@host/db); empty: SQLite. Set with VANTAGE_EVENTS_URL.",
	VANTAGE_EVENTS_URL:
		"ClickHouse for events (clickhouse://host:8123[,host:8123]/db?cluster=name, a host per shard); empty: SQLite.",
	VANTAGE_REDIS_URL:
		"Redis shared by instances (redis://host:6379): per-game and per-address rate limits; empty: per instance.",
	VANTAGE_JOB_LEASE_SECONDS:
		"Lease on each background job, so one instance runs it; a crashed holder's jobs move after this (1 to 600).",
	NODE_ENV: "production makes VANTAGE_MASTER_KEY required (no key generated into the data directory).",
};

/** One row of the environment documentation table. */
export interface ConfigVariable {
	readonly name: ConfigVariableName;
	readonly default: string;
	readonly meaning: string;
}

/** Every environment variable the backend reads, with its default and meaning (for the README). */
export const CONFIG_VARIABLES: readonly ConfigVariable[] = Object.freeze(
	(Object.keys(CONFIG_DEFAULTS) as ConfigVariableName[]).map((name) =>
		Object.freeze({ name, default: String(CONFIG_DEFAULTS[name]), meaning: MEANINGS[name] }),
	),
);

const positiveBytes = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const positiveInt = (max: number) => z.coerce.number().int().positive().max(max);
const origins = z
	.string()
	.transform((value) =>
		value
			.split(",")
			.map((origin) => origin.trim())
			.filter(Boolean),
	)
	.pipe(z.array(z.url({ protocol: /^https?$/ }).transform((url) => new URL(url).origin)));
// Addresses and CIDRs (IPv4, IPv6) as proxy-addr compiles them; a bad entry is named at start, not at the first request.
const proxyList = z
	.string()
	.transform((value) =>
		value
			.split(",")
			.map((ip) => ip.trim())
			.filter(Boolean),
	)
	.pipe(
		z.array(
			z.string().refine(
				(entry) => {
					try {
						compileTrustedProxies([entry]);
						return true;
					} catch {
						return false;
					}
				},
				{ message: "must be IP addresses or CIDR ranges (10.0.0.0/8, fd00::/8)" },
			),
		),
	);

/**
 * A connection URL whose scheme is one of `schemes` (checked here, so a typo stops the start before anything opens).
 * The rest is the engine's to parse: a ClickHouse URL lists several hosts, which WHATWG URL parsing refuses.
 */
const engineUrl = (schemes: readonly string[], example: string) =>
	z.string().refine(
		(value) => {
			const match = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]+)/i.exec(value);
			return match !== null && schemes.includes(match[1]!.toLowerCase());
		},
		{ message: `must be a ${schemes.map((s) => `${s}://`).join(" or ")} URL with a host (${example})` },
	);

const envSchema = z
	.object({
		PORT: z.coerce.number().int().min(0).max(65535).default(CONFIG_DEFAULTS.PORT),
		HOST: z.string().min(1).default(CONFIG_DEFAULTS.HOST),
		VANTAGE_DATA_DIR: z.string().min(1).default(CONFIG_DEFAULTS.VANTAGE_DATA_DIR),
		LOG_LEVEL: z.enum(LOG_LEVELS).default(CONFIG_DEFAULTS.LOG_LEVEL),
		VANTAGE_MAX_BODY_BYTES: positiveBytes.default(CONFIG_DEFAULTS.VANTAGE_MAX_BODY_BYTES),
		VANTAGE_MAX_INFLATED_BYTES: positiveBytes.default(CONFIG_DEFAULTS.VANTAGE_MAX_INFLATED_BYTES),
		VANTAGE_ISSUER: z.string().min(1).max(256).default(CONFIG_DEFAULTS.VANTAGE_ISSUER),
		VANTAGE_TOKEN_TTL_SECONDS: z.coerce
			.number()
			.int()
			.min(60)
			.max(3600)
			.default(CONFIG_DEFAULTS.VANTAGE_TOKEN_TTL_SECONDS),
		VANTAGE_ADMIN_TOKEN_TTL_SECONDS: z.coerce
			.number()
			.int()
			.min(60)
			.max(86_400)
			.default(CONFIG_DEFAULTS.VANTAGE_ADMIN_TOKEN_TTL_SECONDS),
		VANTAGE_CLOCK_TOLERANCE_SECONDS: z.coerce
			.number()
			.int()
			.min(0)
			.max(30)
			.default(CONFIG_DEFAULTS.VANTAGE_CLOCK_TOLERANCE_SECONDS),
		VANTAGE_SIGNING_KEY_ROTATION_DAYS: positiveInt(3650).default(CONFIG_DEFAULTS.VANTAGE_SIGNING_KEY_ROTATION_DAYS),
		VANTAGE_GAME_RATE_PER_SECOND: positiveInt(1_000_000).default(CONFIG_DEFAULTS.VANTAGE_GAME_RATE_PER_SECOND),
		VANTAGE_GAME_BURST: positiveInt(10_000_000).default(CONFIG_DEFAULTS.VANTAGE_GAME_BURST),
		VANTAGE_TOKEN_RATE_PER_MINUTE: positiveInt(1_000_000).default(CONFIG_DEFAULTS.VANTAGE_TOKEN_RATE_PER_MINUTE),
		VANTAGE_TOKEN_BURST: positiveInt(1_000_000).default(CONFIG_DEFAULTS.VANTAGE_TOKEN_BURST),
		VANTAGE_CORS_ORIGINS: origins.default([]),
		// A scrape token shorter than 32 characters would be guessable; refuse it rather than run with it.
		VANTAGE_METRICS_TOKEN: z.string().min(32).max(512).optional(),
		VANTAGE_SESSION_IDLE_MINUTES: z.coerce
			.number()
			.int()
			.min(5)
			.max(1440)
			.default(CONFIG_DEFAULTS.VANTAGE_SESSION_IDLE_MINUTES),
		VANTAGE_SESSION_MAX_HOURS: z.coerce
			.number()
			.int()
			.min(1)
			.max(720)
			.default(CONFIG_DEFAULTS.VANTAGE_SESSION_MAX_HOURS),
		VANTAGE_TRUSTED_PROXIES: proxyList.default([]),
		// The secret set on the webhook in Roblox's Creator Hub; a short one could be guessed and erasures forged.
		VANTAGE_ROBLOX_WEBHOOK_SECRET: z.string().min(16).max(512).optional(),
		// Refused unless it is exactly 32 bytes: a shorter key would silently weaken every player's key wrapping.
		VANTAGE_MASTER_KEY: z
			.string()
			.regex(/^[A-Za-z0-9+/]{43}=?$/, "must be base64 of exactly 32 bytes (openssl rand -base64 32)")
			.transform((value) => Buffer.from(value, "base64"))
			.optional(),
		VANTAGE_MASTER_KEY_PREVIOUS: z
			.string()
			.regex(/^[A-Za-z0-9+/]{43}=?$/, "must be base64 of exactly 32 bytes (the master key being replaced)")
			.transform((value) => Buffer.from(value, "base64"))
			.optional(),
		VANTAGE_METADATA_URL: engineUrl(["postgres", "postgresql"], "postgres://vantage@db:5432/vantage").optional(),
		VANTAGE_EVENTS_URL: engineUrl(["clickhouse"], "clickhouse://ch1:8123,ch2:8123/vantage?cluster=events").optional(),
		VANTAGE_REDIS_URL: engineUrl(["redis", "rediss"], "redis://cache.internal:6379").optional(),
		VANTAGE_JOB_LEASE_SECONDS: positiveInt(600).default(CONFIG_DEFAULTS.VANTAGE_JOB_LEASE_SECONDS),
		NODE_ENV: z.string().max(64).default(CONFIG_DEFAULTS.NODE_ENV),
	} satisfies Record<ConfigVariableName, z.ZodType>)
	.transform((env) => ({
		port: env.PORT,
		host: env.HOST,
		dataDir: env.VANTAGE_DATA_DIR,
		logLevel: env.LOG_LEVEL,
		maxBodyBytes: env.VANTAGE_MAX_BODY_BYTES,
		maxInflatedBytes: env.VANTAGE_MAX_INFLATED_BYTES,
		issuer: env.VANTAGE_ISSUER,
		tokenTtlSeconds: env.VANTAGE_TOKEN_TTL_SECONDS,
		adminTokenTtlSeconds: env.VANTAGE_ADMIN_TOKEN_TTL_SECONDS,
		clockToleranceSeconds: env.VANTAGE_CLOCK_TOLERANCE_SECONDS,
		signingKeyRotationDays: env.VANTAGE_SIGNING_KEY_ROTATION_DAYS,
		gameRateLimit: { perSecond: env.VANTAGE_GAME_RATE_PER_SECOND, burst: env.VANTAGE_GAME_BURST },
		tokenRateLimit: { perSecond: env.VANTAGE_TOKEN_RATE_PER_MINUTE / 60, burst: env.VANTAGE_TOKEN_BURST },
		corsOrigins: env.VANTAGE_CORS_ORIGINS,
		metricsToken: env.VANTAGE_METRICS_TOKEN,
		dashboardSession: {
			idleTimeoutMs: env.VANTAGE_SESSION_IDLE_MINUTES * 60_000,
			absoluteTimeoutMs: env.VANTAGE_SESSION_MAX_HOURS * 3_600_000,
		},
		trustedProxies: env.VANTAGE_TRUSTED_PROXIES,
		robloxWebhookSecret: env.VANTAGE_ROBLOX_WEBHOOK_SECRET,
		masterKey: env.VANTAGE_MASTER_KEY,
		previousMasterKey: env.VANTAGE_MASTER_KEY_PREVIOUS,
		/** PostgreSQL metadata store; undefined: SQLite (server/store/open-stores.ts). */
		metadataUrl: env.VANTAGE_METADATA_URL,
		/** ClickHouse event store; undefined: SQLite. */
		eventsUrl: env.VANTAGE_EVENTS_URL,
		/** Shared instance state; undefined: per instance. */
		redisUrl: env.VANTAGE_REDIS_URL,
		/** How long a background job's lease lasts (shared-state/job-leases.ts). */
		jobLeaseMs: env.VANTAGE_JOB_LEASE_SECONDS * 1000,
		production: env.NODE_ENV === "production",
	}));

/** The parsed, validated configuration. Frozen: nothing downstream re-reads the environment. */
export type Config = Readonly<z.output<typeof envSchema>>;

/** Thrown by {@link loadConfig}; the message names every invalid variable at once. */
export class ConfigError extends Error {
	override readonly name = "ConfigError";
	constructor(readonly problems: readonly string[]) {
		super(`Invalid environment:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
	}
}

/**
 * Parses the environment once, applying the defaults in {@link CONFIG_DEFAULTS}.
 *
 * @example
 * const config = loadConfig(); // process.env
 * const testConfig = loadConfig({ PORT: "0", VANTAGE_DATA_DIR: tmpDir });
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
	// An empty variable (`PORT=`) means "unset" in shells and .env files; without this it would coerce to 0.
	const relevant: Record<string, string> = {};
	for (const name of Object.keys(CONFIG_DEFAULTS)) {
		const value = env[name];
		if (value !== undefined && value.trim() !== "") relevant[name] = value.trim();
	}

	const result = envSchema.safeParse(relevant);
	if (!result.success) {
		// Values are not echoed: later variables will hold secrets (signing keys) and errors end up in logs.
		const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "(env)"}: ${issue.message}`);
		throw new ConfigError(problems);
	}
	return Object.freeze(result.data);
}
