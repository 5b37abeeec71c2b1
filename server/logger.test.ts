import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";

function capture(level?: "debug" | "info" | "warn" | "error") {
	const raw: string[] = [];
	const logger = createLogger({ level, sink: { write: (line) => raw.push(line) }, now: () => Date.UTC(2025, 0, 1) });
	return { logger, raw, lines: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe("createLogger", () => {
	it("writes one JSON object per line with time, level and msg first", () => {
		const { logger, raw } = capture();
		logger.info("hello", { answer: 42 });
		expect(raw).toEqual(['{"time":"2025-01-01T00:00:00.000Z","level":"info","msg":"hello","answer":42}\n']);
	});

	it("drops lines below the level", () => {
		const { logger, lines } = capture("warn");
		logger.debug("d");
		logger.info("i");
		logger.warn("w");
		logger.error("e");
		expect(lines().map((line) => line.level)).toEqual(["warn", "error"]);
	});

	it("defaults to info", () => {
		const { logger, lines } = capture();
		logger.debug("hidden");
		logger.info("shown");
		expect(lines().map((line) => line.msg)).toEqual(["shown"]);
	});

	it("adds child fields to every line, call fields winning", () => {
		const { logger, lines } = capture();
		const child = logger.child({ component: "ingest", gameId: "g" });
		child.info("one", { gameId: "h" });
		expect(lines()[0]).toMatchObject({ component: "ingest", gameId: "h", msg: "one" });
	});

	it("serializes errors with name, message and stack", () => {
		const { logger, lines } = capture();
		logger.error("boom", { error: new TypeError("bad thing") });
		const error = lines()[0]?.error as Record<string, unknown>;
		expect(error).toMatchObject({ name: "TypeError", message: "bad thing" });
		expect(error.stack).toMatch(/bad thing/);
	});

	it("never throws on unserializable fields", () => {
		const { logger, lines } = capture();
		const circular: Record<string, unknown> = {};
		circular.self = circular;
		expect(() => logger.info("cyclic", { circular })).not.toThrow();
		expect(lines()[0]).toMatchObject({ msg: "cyclic", logError: "fields not serializable" });
	});
});
