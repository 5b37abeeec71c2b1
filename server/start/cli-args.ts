import { parseArgs } from "node:util";

/** What `npm start` was asked to do. */
export interface StartOptions {
	/** Run the backend alone, without the simulated game. @default false */
	noSim: boolean;
	/** Simulated daily players. @default 2000 (two servers in worker threads; see the simulator benchmark) */
	players: number;
	/** Days of simulated history seeded on the first start. @default 28 */
	days: number;
	/** Print the usage and exit. @default false */
	help: boolean;
}

export const START_DEFAULTS: Readonly<StartOptions> = Object.freeze({
	noSim: false,
	players: 2000,
	days: 28,
	help: false,
});

export const MAX_PLAYERS = 1_000_000;
export const MAX_DAYS = 365;

export const START_USAGE = `Usage: npm start [-- options]

Runs the Vantage backend on embedded SQLite (VANTAGE_DATA_DIR, default ./data) with a demo game. The first start
creates the game "Obby Tycoon demo", an owner admin and a game key, and seeds simulated history; every start prints
the URL, the admin login and the game key, then keeps the simulated game live.

Options:
  --no-sim       run the backend alone, without simulated players
  --players N    simulated daily players (1 to ${MAX_PLAYERS}; default ${START_DEFAULTS.players})
  --days N       days of history seeded on the first start (1 to ${MAX_DAYS}; default ${START_DEFAULTS.days})
  --help         print this and exit

Environment variables (PORT, HOST, VANTAGE_DATA_DIR, LOG_LEVEL, ...) apply as for the plain backend (see README).
`;

/** A command line `npm start` cannot run: the message says why, for stderr; the exit code is 2. */
export type StartArgsResult = { ok: true; options: StartOptions } | { ok: false; message: string };

/**
 * Parses `npm start`'s arguments (what follows `--`).
 * 1. an unknown flag, a stray positional argument or a flag missing its value → the reason;
 * 2. `--players` and `--days` must be whole numbers in range (digits only: "1e3" and "-5" are refused);
 * 3. everything left out takes {@link START_DEFAULTS}.
 *
 * @example
 * parseStartArgs(["--players", "500", "--no-sim"]); // { ok: true, options: { noSim: true, players: 500, days: 28, help: false } }
 * parseStartArgs(["--bogus"]); // { ok: false, message: "Unknown option '--bogus'. ..." }
 */
export function parseStartArgs(argv: readonly string[]): StartArgsResult {
	let values;
	try {
		({ values } = parseArgs({
			args: [...argv],
			options: {
				"no-sim": { type: "boolean" },
				players: { type: "string" },
				days: { type: "string" },
				help: { type: "boolean", short: "h" },
			},
			strict: true,
			allowPositionals: false,
		}));
	} catch (error) {
		return { ok: false, message: describeParseError(error) };
	}

	const players = wholeNumber("--players", values.players, START_DEFAULTS.players, MAX_PLAYERS);
	if (typeof players === "string") return { ok: false, message: players };
	const days = wholeNumber("--days", values.days, START_DEFAULTS.days, MAX_DAYS);
	if (typeof days === "string") return { ok: false, message: days };
	return {
		ok: true,
		options: { noSim: values["no-sim"] ?? false, players, days, help: values.help ?? false },
	};
}

/** The number, or why it is refused. */
function wholeNumber(flag: string, raw: string | undefined, fallback: number, max: number): number | string {
	if (raw === undefined) return fallback;
	const value = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
	if (!Number.isInteger(value) || value < 1 || value > max) {
		return `${flag} takes a whole number from 1 to ${max}, not "${raw}".`;
	}
	return value;
}

/** node:util's parse errors, without its hints about positional arguments (npm start takes none). */
function describeParseError(error: unknown): string {
	const message = error instanceof Error ? error.message : String(error);
	const code = (error as { code?: unknown }).code;
	const quoted = /'([^']*)'/.exec(message)?.[1];
	if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && quoted !== undefined) return `Unknown option "${quoted}".`;
	if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL" && quoted !== undefined) {
		return `Unexpected argument "${quoted}": npm start takes options only.`;
	}
	return message.split("\n")[0] ?? message;
}
