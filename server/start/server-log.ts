import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { LOG_LEVELS, type LogLevel } from "../config.js";
import { createLogger, type LogSink, type Logger } from "../logger.js";

/** In the data directory: the backend's JSON-lines log while `npm start` runs. */
export const SERVER_LOG_FILE = "server.log";

export interface ServerLog {
	logger: Logger;
	/** Where the full log goes. */
	path: string;
	/** Flushes and closes the file. */
	close(): Promise<void>;
}

/**
 * The log of the backend `npm start` runs. A request line per batch would bury the URL, the login and the progress
 * bar on the terminal, so every line at `level` goes to `<dataDir>/server.log` and only warnings and errors also to
 * `console` (stderr).
 *
 * @example
 * const log = openServerLog({ dataDir: "./data", level: "info", console: process.stderr });
 * log.logger.info("listening", { url });
 * await log.close();
 */
export function openServerLog(options: { dataDir: string; level: LogLevel; console: LogSink }): ServerLog {
	const path = join(options.dataDir, SERVER_LOG_FILE);
	const file = createWriteStream(path, { flags: "a", mode: 0o600 });
	let failed = false;
	file.on("error", (error) => {
		// Said once; the console still gets warnings and errors.
		if (!failed) options.console.write(`Cannot write ${path}: ${error.message}\n`);
		failed = true;
	});
	const consoleLevel = LOG_LEVELS[Math.max(LOG_LEVELS.indexOf("warn"), LOG_LEVELS.indexOf(options.level))] ?? "warn";
	const logger = fanOut([
		createLogger({ level: options.level, sink: file }),
		createLogger({ level: consoleLevel, sink: options.console }),
	]);
	return {
		logger,
		path,
		close: () => new Promise<void>((resolve) => file.end(() => resolve())),
	};
}

/** One logger writing every line to each of `loggers` (each with its own level and sink). */
function fanOut(loggers: readonly Logger[]): Logger {
	return {
		debug: (msg, fields) => loggers.forEach((logger) => logger.debug(msg, fields)),
		info: (msg, fields) => loggers.forEach((logger) => logger.info(msg, fields)),
		warn: (msg, fields) => loggers.forEach((logger) => logger.warn(msg, fields)),
		error: (msg, fields) => loggers.forEach((logger) => logger.error(msg, fields)),
		child: (fields) => fanOut(loggers.map((logger) => logger.child(fields))),
	};
}
