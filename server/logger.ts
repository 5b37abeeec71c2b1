import { LOG_LEVELS, type LogLevel } from "./config.js";

export type LogFields = Readonly<Record<string, unknown>>;

/** A JSON-lines logger: one object per line with `time`, `level`, `msg` and any fields. */
export interface Logger {
	debug(msg: string, fields?: LogFields): void;
	info(msg: string, fields?: LogFields): void;
	warn(msg: string, fields?: LogFields): void;
	error(msg: string, fields?: LogFields): void;
	/** A logger that adds `fields` to every line it writes. */
	child(fields: LogFields): Logger;
}

/** Anything with a `write(string)`: process.stdout, a file stream, or an array-backed sink in tests. */
export interface LogSink {
	write(line: string): unknown;
}

export interface LoggerOptions {
	/** @default "info" */
	level?: LogLevel;
	/** @default process.stdout */
	sink?: LogSink;
	/** Milliseconds since the epoch. @default Date.now */
	now?: () => number;
	/** Fields written on every line. */
	fields?: LogFields;
}

const SEVERITY: Record<LogLevel, number> = Object.fromEntries(LOG_LEVELS.map((level, i) => [level, i])) as Record<
	LogLevel,
	number
>;

/**
 * Creates a logger. The sink is injected so tests can read the lines back.
 *
 * @example
 * const lines: string[] = [];
 * const logger = createLogger({ level: "debug", sink: { write: (l) => lines.push(l) } });
 * logger.info("listening", { url });
 */
export function createLogger(options: LoggerOptions = {}): Logger {
	const threshold = SEVERITY[options.level ?? "info"];
	const sink = options.sink ?? process.stdout;
	const now = options.now ?? Date.now;

	const make = (bound: LogFields): Logger => {
		const write = (level: LogLevel, msg: string, fields?: LogFields): void => {
			if (SEVERITY[level] < threshold) return;
			const record = { time: new Date(now()).toISOString(), level, msg, ...bound, ...fields };
			sink.write(`${stringify(record)}\n`);
		};
		return {
			debug: (msg, fields) => write("debug", msg, fields),
			info: (msg, fields) => write("info", msg, fields),
			warn: (msg, fields) => write("warn", msg, fields),
			error: (msg, fields) => write("error", msg, fields),
			child: (fields) => make({ ...bound, ...fields }),
		};
	};
	return make(options.fields ?? {});
}

/** A logger that drops everything; handy as a default in tests. */
export const silentLogger: Logger = createLogger({ sink: { write: () => undefined }, level: "error" });

// Errors have no enumerable own properties, so JSON.stringify would print `{}` and lose the stack.
function serializeValue(_key: string, value: unknown): unknown {
	if (value instanceof Error) {
		const out: Record<string, unknown> = { name: value.name, message: value.message, stack: value.stack };
		if ("code" in value) out.code = value.code;
		if (value.cause !== undefined) out.cause = value.cause;
		return out;
	}
	if (typeof value === "bigint") return value.toString();
	return value;
}

// A logging call must never throw (circular fields, hostile getters): fall back to the message alone.
function stringify(record: Record<string, unknown>): string {
	try {
		return JSON.stringify(record, serializeValue);
	} catch {
		return JSON.stringify({
			time: record.time,
			level: record.level,
			msg: record.msg,
			logError: "fields not serializable",
		});
	}
}
