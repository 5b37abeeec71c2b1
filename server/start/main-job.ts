// `npm start`: the backend on embedded SQLite with a demo game, its login and key printed, and the simulated game
// playing against it. server/main.ts stays the plain backend entry (no demo, no simulation).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, loadConfig, type Config } from "../config.js";
import { startServer, type RunningServer } from "../server.js";
import { openStores } from "../store/open-stores.js";
import { START_USAGE, parseStartArgs } from "./cli-args.js";
import { DEMO_CREDENTIALS_FILE, ensureDemo, type EnsuredDemo } from "./demo-seed.js";
import { openServerLog, type ServerLog } from "./server-log.js";
import { describeError, simulateDemo } from "./simulate-demo.js";

/** Backend settings `npm start` uses for the simulated game unless the environment sets them. */
const SIMULATION_ENV_DEFAULTS: Readonly<Record<string, string>> = {
	VANTAGE_TOKEN_TTL_SECONDS: "3600",
	VANTAGE_TOKEN_RATE_PER_MINUTE: "6000",
	VANTAGE_TOKEN_BURST: "1000",
};

/** How long a stopping simulation may take before the server closes anyway. */
const SIMULATION_STOP_MS = 10_000;
/**
 * A signal repeated sooner than this is the same stop request delivered twice (a terminal signals the whole process
 * group, and a wrapper such as the tsx CLI may relay it again), not a person pressing Ctrl-C a second time.
 */
const REPEATED_SIGNAL_MS = 1_000;

const stdout = process.stdout;
const stderr = process.stderr;

/**
 * 1. arguments (bad → exit 2) and configuration from the environment (bad → exit 1);
 * 2. the demo game, key and admin: created on the first start, found on later ones;
 * 3. the backend listens; the URL, login, key and docs are printed;
 * 4. unless --no-sim, the simulated game: history on the first start (with a progress bar), then live;
 * 5. Ctrl-C / SIGTERM stop the simulation and close the server.
 */
async function main(argv: readonly string[]): Promise<void> {
	const parsed = parseStartArgs(argv);
	if (!parsed.ok) {
		stderr.write(`npm start: ${parsed.message}\nRun "npm start -- --help" for the options.\n`);
		process.exitCode = 2;
		return;
	}
	const options = parsed.options;
	if (options.help) {
		stdout.write(START_USAGE);
		return;
	}

	let config: Config;
	try {
		// The simulated game server lives on a virtual clock (days pass in seconds) and refreshes its access token on
		// it: with the simulation on, tokens last an hour and one address may ask for many, unless set otherwise.
		config = loadConfig(options.noSim ? process.env : { ...SIMULATION_ENV_DEFAULTS, ...process.env });
	} catch (error) {
		if (!(error instanceof ConfigError)) throw error;
		stderr.write(`npm start: ${error.message}\n`);
		process.exitCode = 1;
		return;
	}

	mkdirSync(config.dataDir, { recursive: true });
	const ensured = await prepareDemo(config);
	const log = openServerLog({ dataDir: config.dataDir, level: config.logLevel, console: stderr });
	let server: RunningServer;
	try {
		server = await startServer(config, { logger: log.logger });
	} catch (error) {
		await log.close();
		throw error;
	}
	printBanner({ config, server, log, ensured });

	const controller = new AbortController();
	let simulation: Promise<void> = Promise.resolve();
	let stoppingSince: number | undefined;
	const shutdown = (signal: NodeJS.Signals): void => {
		if (stoppingSince !== undefined) {
			if (performance.now() - stoppingSince < REPEATED_SIGNAL_MS) return;
			// A second Ctrl-C means "now".
			stderr.write("Forced exit.\n");
			process.exit(1);
		}
		stoppingSince = performance.now();
		stdout.write(`\n${signal}: stopping…\n`);
		controller.abort();
		(async () => {
			await settleWithin(simulation, SIMULATION_STOP_MS);
			await server.close();
			await log.close();
		})().then(
			() => {
				stdout.write("Stopped.\n");
				process.exit(0);
			},
			(error: unknown) => {
				stderr.write(`Shutdown failed: ${describeError(error)}\n`);
				process.exit(1);
			},
		);
	};
	process.on("SIGINT", () => shutdown("SIGINT"));
	process.on("SIGTERM", () => shutdown("SIGTERM"));

	if (options.noSim) {
		stdout.write("Simulation off (--no-sim): the backend runs alone. Ctrl-C stops it.\n");
		return;
	}
	simulation = simulateDemo({
		url: server.url,
		dataDir: config.dataDir,
		demo: ensured.demo,
		options,
		signal: controller.signal,
		stdout,
		stderr,
		// The Predictions page gets its models from the seeded history at once, not at the daily job's next look.
		onSeeded: () => {
			server.trainDuePredictions().then(
				(games) => log.logger.info("predictions trained on the seeded history", { games }),
				(error: unknown) => log.logger.error("predictions not trained on the seeded history", { error }),
			);
		},
	});
}

/** The demo, on a short-lived connection of its own (as the CLI does) before the server opens the database. */
async function prepareDemo(config: Config): Promise<EnsuredDemo> {
	const store = await openStores(config, { sqlite: { warehouse: "inline", autoFold: false } });
	try {
		return await ensureDemo(store, { dataDir: config.dataDir, now: Date.now() });
	} finally {
		await store.close();
	}
}

function printBanner(input: { config: Config; server: RunningServer; log: ServerLog; ensured: EnsuredDemo }): void {
	const { config, server, log, ensured } = input;
	const { demo } = ensured;
	const credentials = join(config.dataDir, DEMO_CREDENTIALS_FILE);
	const rows: [string, string][] = [
		["Dashboard / API", server.url],
		["API docs", `${server.url}/docs  (OpenAPI: ${server.url}/openapi.json)`],
		["Admin email", demo.adminEmail],
		["Admin password", demo.adminPassword ?? "(unknown: the user existed before npm start)"],
		["Game key", demo.gameKey],
		["Game", `${demo.gameId} "${demo.gameName}"`],
		["Data", `${config.dataDir}  (server log: ${log.path})`],
	];
	const width = Math.max(...rows.map(([label]) => label.length));
	const lines = [
		"",
		"Vantage is running on embedded SQLite.",
		"",
		...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
		"",
		ensured.seeded
			? `First start: created the demo game, its key and the admin (kept in ${credentials}).`
			: `Demo game found: login and key as on its first start (kept in ${credentials}).`,
		...ensured.notes.map((note) => `Note: ${note}`),
		"",
	];
	stdout.write(lines.join("\n") + "\n");
}

/** Waits for `promise` to settle, or `ms`, whichever comes first; never rejects. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
	let timer: NodeJS.Timeout | undefined;
	await Promise.race([
		promise.catch(() => undefined),
		new Promise<void>((resolve) => {
			timer = setTimeout(resolve, ms);
		}),
	]);
	clearTimeout(timer);
}

main(process.argv.slice(2)).catch((error: unknown) => {
	stderr.write(`npm start failed: ${describeError(error)}\n`);
	if (error instanceof Error && error.stack) stderr.write(`${error.stack}\n`);
	process.exit(1);
});
