import { z } from "zod";

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
} as const satisfies Record<string, string | number>;

export type ConfigVariableName = keyof typeof CONFIG_DEFAULTS;

const MEANINGS: Record<ConfigVariableName, string> = {
	PORT: "TCP port the HTTP server listens on (0 picks a free port).",
	HOST: "Interface address the HTTP server binds to.",
	VANTAGE_DATA_DIR: "Directory holding the SQLite database file vantage.db; created if missing.",
	LOG_LEVEL: "Lowest log level written: debug, info, warn or error.",
	VANTAGE_MAX_BODY_BYTES: "Largest request body accepted on the wire (compressed size), in bytes; larger is 413.",
	VANTAGE_MAX_INFLATED_BYTES: "Largest body after gzip inflation, in bytes; larger is 413 (zip-bomb guard).",
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

const envSchema = z
	.object({
		PORT: z.coerce.number().int().min(0).max(65535).default(CONFIG_DEFAULTS.PORT),
		HOST: z.string().min(1).default(CONFIG_DEFAULTS.HOST),
		VANTAGE_DATA_DIR: z.string().min(1).default(CONFIG_DEFAULTS.VANTAGE_DATA_DIR),
		LOG_LEVEL: z.enum(LOG_LEVELS).default(CONFIG_DEFAULTS.LOG_LEVEL),
		VANTAGE_MAX_BODY_BYTES: positiveBytes.default(CONFIG_DEFAULTS.VANTAGE_MAX_BODY_BYTES),
		VANTAGE_MAX_INFLATED_BYTES: positiveBytes.default(CONFIG_DEFAULTS.VANTAGE_MAX_INFLATED_BYTES),
	} satisfies Record<ConfigVariableName, z.ZodType>)
	.transform((env) => ({
		port: env.PORT,
		host: env.HOST,
		dataDir: env.VANTAGE_DATA_DIR,
		logLevel: env.LOG_LEVEL,
		maxBodyBytes: env.VANTAGE_MAX_BODY_BYTES,
		maxInflatedBytes: env.VANTAGE_MAX_INFLATED_BYTES,
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
