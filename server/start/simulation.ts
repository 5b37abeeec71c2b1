// The bridge to the simulated game in example/simulator/, which plays the example game with synthetic players and
// sends their events through the SDK's real wire protocol. It is loaded when `npm start` runs it, not imported
// statically, so the backend (and `npm start -- --no-sim`) never depends on it.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** What `npm start` passes to the simulator's `runSimulation`. */
export interface RunSimulationOptions {
	/** The backend's base URL, e.g. `http://127.0.0.1:8080`. */
	url: string;
	/** The demo game's key (exchanged for access tokens as a game server does). */
	gameKey: string;
	gameId: string;
	/** Daily players. */
	players: number;
	/** Days of history to seed before going live. */
	days: number;
	/** Whether to seed `days` of history first (true until it has been seeded once). */
	seedHistory: boolean;
	/** Whether to keep playing in real time after the history (until `signal` aborts). */
	live: boolean;
	/** Seeding progress: `done` of `total` steps; `label` says what is being done. */
	onProgress: (done: number, total: number, label: string) => void;
	/** Aborted on Ctrl-C / SIGTERM: the simulation stops and its promise settles. */
	signal: AbortSignal;
}

export type RunSimulation = (options: RunSimulationOptions) => Promise<unknown>;

/** The simulator's entry module, relative to this file (tsx maps `.js` to the `.ts` source). */
export const SIMULATOR_MODULE = new URL("../../example/simulator/index.js", import.meta.url);

/** The simulator is not in this checkout. */
export class SimulatorMissingError extends Error {
	override readonly name = "SimulatorMissingError";
}

/**
 * Loads `runSimulation` from the simulator module.
 * 1. neither `index.ts` nor `index.js` there → {@link SimulatorMissingError};
 * 2. the module fails to load, or exports no `runSimulation` function → an Error saying so (the cause attached).
 *
 * @example
 * const runSimulation = await loadSimulator();
 * await runSimulation({ url, gameKey, gameId: "1818", players: 2000, days: 28, seedHistory: true, live: true, onProgress, signal });
 */
export async function loadSimulator(moduleUrl: URL = SIMULATOR_MODULE): Promise<RunSimulation> {
	const jsPath = fileURLToPath(moduleUrl);
	const tsPath = jsPath.replace(/\.js$/, ".ts");
	if (!existsSync(tsPath) && !existsSync(jsPath)) {
		throw new SimulatorMissingError(`The simulator is not in this checkout (no ${tsPath}).`);
	}
	let module: { runSimulation?: unknown };
	try {
		module = (await import(moduleUrl.href)) as { runSimulation?: unknown };
	} catch (error) {
		throw new Error(`The simulator (${tsPath}) failed to load.`, { cause: error });
	}
	if (typeof module.runSimulation !== "function") {
		throw new Error(`The simulator (${tsPath}) exports no runSimulation function.`);
	}
	return module.runSimulation as RunSimulation;
}
