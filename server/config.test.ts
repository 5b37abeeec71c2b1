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
		});
		for (const variable of CONFIG_VARIABLES) expect(variable.meaning.length).toBeGreaterThan(10);
	});
});
