import { describe, expect, it } from "vitest";
import { CONFIG_DEFAULTS, CONFIG_VARIABLES, ConfigError, loadConfig } from "./config.js";

describe("loadConfig", () => {
	it("applies every default when the environment is empty", () => {
		expect(loadConfig({})).toEqual({
			port: 8080,
			host: "0.0.0.0",
			dataDir: "./data",
			logLevel: "info",
			maxBodyBytes: 1024 * 1024,
			maxInflatedBytes: 8 * 1024 * 1024,
			issuer: "vantage",
			tokenTtlSeconds: 900,
			adminTokenTtlSeconds: 3600,
			clockToleranceSeconds: 30,
			signingKeyRotationDays: 30,
			gameRateLimit: { perSecond: 100, burst: 500 },
			tokenRateLimit: { perSecond: 1, burst: 20 },
			corsOrigins: [],
			metricsToken: undefined,
			dashboardSession: { idleTimeoutMs: 30 * 60_000, absoluteTimeoutMs: 12 * 3_600_000 },
			trustedProxies: [],
			masterKey: undefined,
			previousMasterKey: undefined,
			jobLeaseMs: 30_000,
			production: false,
		});
	});

	it("parses values from the environment", () => {
		const config = loadConfig({
			PORT: "0",
			HOST: "127.0.0.1",
			VANTAGE_DATA_DIR: "/var/lib/vantage",
			LOG_LEVEL: "debug",
			VANTAGE_MAX_BODY_BYTES: "2048",
			VANTAGE_MAX_INFLATED_BYTES: "4096",
		});
		expect(config).toMatchObject({ port: 0, host: "127.0.0.1", dataDir: "/var/lib/vantage", logLevel: "debug" });
		expect(config.maxBodyBytes).toBe(2048);
		expect(config.maxInflatedBytes).toBe(4096);
	});

	it("treats empty variables as unset", () => {
		expect(loadConfig({ PORT: "", LOG_LEVEL: "  " })).toMatchObject({ port: 8080, logLevel: "info" });
	});

	it("ignores unrelated variables", () => {
		expect(loadConfig({ PATH: "/bin", SECRET: "x" })).toEqual(loadConfig({}));
	});

	it("returns a frozen object", () => {
		expect(Object.isFrozen(loadConfig({}))).toBe(true);
	});

	it("names every invalid variable in one error", () => {
		let caught: unknown;
		try {
			loadConfig({ PORT: "eighty", LOG_LEVEL: "verbose", VANTAGE_MAX_BODY_BYTES: "-1", HOST: "ok" });
		} catch (error) {
			caught = error;
		}
		expect(caught).toBeInstanceOf(ConfigError);
		const error = caught as ConfigError;
		expect(error.problems).toHaveLength(3);
		expect(error.message).toMatch(/PORT/);
		expect(error.message).toMatch(/LOG_LEVEL/);
		expect(error.message).toMatch(/VANTAGE_MAX_BODY_BYTES/);
	});

	it("parses the auth, rate-limit, CORS and dashboard session variables", () => {
		const config = loadConfig({
			VANTAGE_ISSUER: "https://vantage.example.com",
			VANTAGE_TOKEN_TTL_SECONDS: "300",
			VANTAGE_CLOCK_TOLERANCE_SECONDS: "5",
			VANTAGE_GAME_RATE_PER_SECOND: "10",
			VANTAGE_GAME_BURST: "20",
			VANTAGE_TOKEN_RATE_PER_MINUTE: "120",
			VANTAGE_CORS_ORIGINS: "https://dash.example.com/, http://localhost:5173",
			VANTAGE_METRICS_TOKEN: "m".repeat(32),
			VANTAGE_SESSION_IDLE_MINUTES: "15",
			VANTAGE_SESSION_MAX_HOURS: "8",
			VANTAGE_TRUSTED_PROXIES: "10.0.0.2, ::1",
		});
		expect(config).toMatchObject({
			issuer: "https://vantage.example.com",
			tokenTtlSeconds: 300,
			clockToleranceSeconds: 5,
			gameRateLimit: { perSecond: 10, burst: 20 },
			tokenRateLimit: { perSecond: 2, burst: 20 },
			corsOrigins: ["https://dash.example.com", "http://localhost:5173"],
			metricsToken: "m".repeat(32),
			dashboardSession: { idleTimeoutMs: 15 * 60_000, absoluteTimeoutMs: 8 * 3_600_000 },
			trustedProxies: ["10.0.0.2", "::1"],
		});
	});

	it.each([
		["VANTAGE_CLOCK_TOLERANCE_SECONDS", "31"],
		["VANTAGE_TOKEN_TTL_SECONDS", "59"],
		["VANTAGE_TOKEN_TTL_SECONDS", "3601"],
		["VANTAGE_CORS_ORIGINS", "*"],
		["VANTAGE_CORS_ORIGINS", "ftp://x.example.com"],
		["VANTAGE_METRICS_TOKEN", "short"],
		["VANTAGE_SESSION_IDLE_MINUTES", "4"],
		["VANTAGE_SESSION_MAX_HOURS", "721"],
		["VANTAGE_TRUSTED_PROXIES", "proxy.example.com"],
		["VANTAGE_METADATA_URL", "mysql://db:3306/vantage"],
		["VANTAGE_METADATA_URL", "db.internal:5432"],
		["VANTAGE_EVENTS_URL", "http://ch1:8123/vantage"],
		["VANTAGE_EVENTS_URL", "clickhouse:///vantage"],
		["VANTAGE_REDIS_URL", "memcached://cache:11211"],
	])("rejects %s=%s", (name, value) => {
		expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
	});

	it("parses the engine URLs of the scale path; empty means unset (SQLite, per-instance state)", () => {
		const config = loadConfig({
			VANTAGE_METADATA_URL: "postgresql://vantage:secret@db.internal:5432/vantage",
			VANTAGE_EVENTS_URL: "clickhouse://ch1:8123,ch2:8123/vantage?cluster=events",
			VANTAGE_REDIS_URL: "redis://cache.internal:6379",
		});
		expect(config).toMatchObject({
			metadataUrl: "postgresql://vantage:secret@db.internal:5432/vantage",
			eventsUrl: "clickhouse://ch1:8123,ch2:8123/vantage?cluster=events",
			redisUrl: "redis://cache.internal:6379",
		});
		const unset = loadConfig({ VANTAGE_METADATA_URL: " ", VANTAGE_EVENTS_URL: "", VANTAGE_REDIS_URL: "" });
		expect([unset.metadataUrl, unset.eventsUrl, unset.redisUrl]).toEqual([undefined, undefined, undefined]);
	});

	it("names a bad engine URL's variable but never echoes the URL (it may hold a password)", () => {
		expect(() => loadConfig({ VANTAGE_METADATA_URL: "mysql://root:hunter2@db/vantage" })).toThrow(
			/VANTAGE_METADATA_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/,
		);
		expect(() => loadConfig({ VANTAGE_METADATA_URL: "mysql://root:hunter2@db/vantage" })).not.toThrow(/hunter2/);
	});

	it.each([["65536"], ["1.5"], ["-1"]])("rejects PORT=%s", (port) => {
		expect(() => loadConfig({ PORT: port })).toThrow(ConfigError);
	});
});

describe("CONFIG_VARIABLES", () => {
	it("documents every variable with the default the parser applies", () => {
		expect(CONFIG_VARIABLES.map((v) => v.name)).toEqual(Object.keys(CONFIG_DEFAULTS));
		const parsedDefaults = loadConfig({});
		const byName = Object.fromEntries(CONFIG_VARIABLES.map((v) => [v.name, v.default]));
		expect(byName).toEqual({
			PORT: String(parsedDefaults.port),
			HOST: parsedDefaults.host,
			VANTAGE_DATA_DIR: parsedDefaults.dataDir,
			LOG_LEVEL: parsedDefaults.logLevel,
			VANTAGE_MAX_BODY_BYTES: String(parsedDefaults.maxBodyBytes),
			VANTAGE_MAX_INFLATED_BYTES: String(parsedDefaults.maxInflatedBytes),
			VANTAGE_ISSUER: parsedDefaults.issuer,
			VANTAGE_TOKEN_TTL_SECONDS: String(parsedDefaults.tokenTtlSeconds),
			VANTAGE_ADMIN_TOKEN_TTL_SECONDS: String(parsedDefaults.adminTokenTtlSeconds),
			VANTAGE_CLOCK_TOLERANCE_SECONDS: String(parsedDefaults.clockToleranceSeconds),
			VANTAGE_SIGNING_KEY_ROTATION_DAYS: String(parsedDefaults.signingKeyRotationDays),
			VANTAGE_GAME_RATE_PER_SECOND: String(parsedDefaults.gameRateLimit.perSecond),
			VANTAGE_GAME_BURST: String(parsedDefaults.gameRateLimit.burst),
			VANTAGE_TOKEN_RATE_PER_MINUTE: String(parsedDefaults.tokenRateLimit.perSecond * 60),
			VANTAGE_TOKEN_BURST: String(parsedDefaults.tokenRateLimit.burst),
			VANTAGE_CORS_ORIGINS: parsedDefaults.corsOrigins.join(","),
			VANTAGE_METRICS_TOKEN: parsedDefaults.metricsToken ?? "",
			VANTAGE_SESSION_IDLE_MINUTES: String(parsedDefaults.dashboardSession.idleTimeoutMs / 60_000),
			VANTAGE_SESSION_MAX_HOURS: String(parsedDefaults.dashboardSession.absoluteTimeoutMs / 3_600_000),
			VANTAGE_TRUSTED_PROXIES: parsedDefaults.trustedProxies.join(","),
			VANTAGE_MASTER_KEY: parsedDefaults.masterKey?.toString("base64") ?? "",
			VANTAGE_MASTER_KEY_PREVIOUS: parsedDefaults.previousMasterKey?.toString("base64") ?? "",
			VANTAGE_METADATA_URL: parsedDefaults.metadataUrl ?? "",
			VANTAGE_EVENTS_URL: parsedDefaults.eventsUrl ?? "",
			VANTAGE_REDIS_URL: parsedDefaults.redisUrl ?? "",
			VANTAGE_JOB_LEASE_SECONDS: String(parsedDefaults.jobLeaseMs / 1000),
			NODE_ENV: parsedDefaults.production ? "production" : "development",
			VANTAGE_ROBLOX_WEBHOOK_SECRET: parsedDefaults.robloxWebhookSecret ?? "",
		});
		for (const variable of CONFIG_VARIABLES) expect(variable.meaning.length).toBeGreaterThan(10);
	});
});

describe("VANTAGE_MASTER_KEY", () => {
	it("decodes base64 of 32 bytes into the key", () => {
		const key = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
		expect(loadConfig({ VANTAGE_MASTER_KEY: key.toString("base64") }).masterKey).toEqual(key);
	});

	it.each([
		["16 bytes", Buffer.alloc(16, 1).toString("base64")],
		["33 bytes", Buffer.alloc(33, 1).toString("base64")],
		["not base64", "!".repeat(44)],
	])("refuses %s, naming the variable but not the value", (_, value) => {
		expect(() => loadConfig({ VANTAGE_MASTER_KEY: value })).toThrow(
			/VANTAGE_MASTER_KEY: must be base64 of exactly 32 bytes/,
		);
		try {
			loadConfig({ VANTAGE_MASTER_KEY: value });
		} catch (error) {
			expect((error as Error).message).not.toContain(value);
		}
	});
});

describe("VANTAGE_ROBLOX_WEBHOOK_SECRET", () => {
	it("is kept as given, and unset when empty", () => {
		expect(loadConfig({ VANTAGE_ROBLOX_WEBHOOK_SECRET: "a-webhook-secret-of-some-length" }).robloxWebhookSecret).toBe(
			"a-webhook-secret-of-some-length",
		);
		expect(loadConfig({ VANTAGE_ROBLOX_WEBHOOK_SECRET: "" }).robloxWebhookSecret).toBeUndefined();
	});

	it("refuses a secret shorter than 16 characters, naming the variable but not the value", () => {
		expect(() => loadConfig({ VANTAGE_ROBLOX_WEBHOOK_SECRET: "short-secret" })).toThrow(
			/VANTAGE_ROBLOX_WEBHOOK_SECRET/,
		);
		expect(() => loadConfig({ VANTAGE_ROBLOX_WEBHOOK_SECRET: "short-secret" })).not.toThrow(/short-secret/);
	});
});
