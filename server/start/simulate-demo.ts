import type { StartOptions } from "./cli-args.js";
import { markHistorySeeded, type DemoState } from "./demo-seed.js";
import { createProgressReporter, type ProgressOutput } from "./progress.js";
import { SimulatorMissingError, loadSimulator, type RunSimulation } from "./simulation.js";

export interface SimulateDemoInput {
	/** The backend's base URL. */
	url: string;
	dataDir: string;
	demo: DemoState;
	options: Pick<StartOptions, "players" | "days">;
	/** Aborted on Ctrl-C / SIGTERM. */
	signal: AbortSignal;
	stdout: ProgressOutput;
	stderr: { write(text: string): unknown };
	/** @default loadSimulator (example/simulator/) */
	load?: () => Promise<RunSimulation>;
	/** Called once the history is seeded (not when it was seeded by an earlier start). */
	onSeeded?: () => void;
	/** Creates the demo experiment before the history. @default through the admin API (setUpExperiment) */
	experiment?: (input: SimulateDemoInput, demo: DemoState, stderr: { write(text: string): unknown }) => Promise<void>;
}

/**
 * Plays the demo game until `signal` aborts.
 * 1. the simulator missing or failing to load → said on stderr; the backend keeps running without it;
 * 2. history not seeded yet → `seedHistory`, with a progress bar; once the simulator reports the last step the
 *    data directory records it, so a start interrupted while seeding seeds again and a finished one never does;
 * 3. then (or at once) live, until aborted; a simulation that fails is reported and the backend keeps running.
 *
 * @example
 * await simulateDemo({ url, dataDir, demo, options, signal, stdout: process.stdout, stderr: process.stderr });
 */
export async function simulateDemo(input: SimulateDemoInput): Promise<void> {
	const { options, signal, stdout, stderr } = input;
	let demo = input.demo;
	let runSimulation: RunSimulation;
	try {
		runSimulation = await (input.load ?? loadSimulator)();
	} catch (error) {
		const why = error instanceof SimulatorMissingError ? `${error.message} (--no-sim skips it.)` : describeError(error);
		stderr.write(`${why} The backend runs without simulated players.\n`);
		return;
	}

	const seedHistory = !demo.historySeeded;
	const progress = createProgressReporter(stdout);
	let live = false;
	const goLive = (): void => {
		if (live) return;
		live = true;
		progress.finish(`Live: about ${options.players} daily players are playing "${demo.gameName}". Ctrl-C stops.`);
	};
	if (seedHistory)
		stdout.write(`Seeding ${options.days} days of history for about ${options.players} daily players…\n`);
	else goLive();

	if (seedHistory) await (input.experiment ?? setUpExperiment)(input, demo, stderr);

	try {
		await runSimulation({
			url: input.url,
			gameKey: demo.gameKey,
			gameId: demo.gameId,
			players: options.players,
			days: options.days,
			seedHistory,
			live: true,
			signal,
			onProgress(done, total, label) {
				// A simulator stopped mid-history may still report its end: that is no finished history.
				if (live || signal.aborted) return;
				progress.update(done, total, label);
				if (total <= 0 || done < total) return;
				try {
					demo = markHistorySeeded(input.dataDir, demo);
				} catch (error) {
					stderr.write(`Could not record that the history is seeded: ${describeError(error)}\n`);
				}
				goLive();
				input.onSeeded?.();
			},
		});
		if (!signal.aborted) stdout.write("The simulation ended; the backend keeps running. Ctrl-C stops it.\n");
	} catch (error) {
		if (signal.aborted) return;
		progress.finish(`The simulation failed: ${describeError(error)}. The backend keeps running; Ctrl-C stops it.`);
	}
}

/** An error's message, with its cause's. */
export function describeError(error: unknown): string {
	if (!(error instanceof Error)) return String(error);
	const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
	return `${error.message}${cause}`;
}

/**
 * The example game's difficulty experiment, created through the admin API with the demo admin's login, so the
 * history has an experiment to analyse. A failure is reported and seeding goes on without it.
 */
async function setUpExperiment(
	input: SimulateDemoInput,
	demo: DemoState,
	stderr: { write(text: string): unknown },
): Promise<void> {
	if (!demo.adminPassword) return;
	try {
		const login = await fetch(`${input.url}/v1/admin/login`, {
			method: "POST",
			headers: { "Content-Type": "application/json" },
			body: JSON.stringify({ email: demo.adminEmail, password: demo.adminPassword }),
		});
		if (login.status !== 200) throw new Error(`admin login answered ${login.status}`);
		const { access_token } = (await login.json()) as { access_token: string };
		const { setupDemoExperiment } = (await import("../../example/simulator/setup.js")) as {
			setupDemoExperiment: (o: { url: string; gameId: string; adminAuth: string; startAt: number }) => Promise<void>;
		};
		await setupDemoExperiment({
			url: input.url,
			gameId: demo.gameId,
			adminAuth: `Bearer ${access_token}`,
			startAt: Date.now() - (input.options.days + 1) * 86_400_000,
		});
	} catch (error) {
		stderr.write(`Could not create the demo experiment: ${describeError(error)}\n`);
	}
}
