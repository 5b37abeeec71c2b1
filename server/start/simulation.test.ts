import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SIMULATOR_MODULE, SimulatorMissingError, loadSimulator } from "./simulation.js";

let dir: string;
beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), "vantage-sim-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A module at `<dir>/<name>/index.js` with `source`, as a URL. */
function moduleAt(name: string, source?: string): URL {
	const folder = join(dir, name);
	mkdirSync(folder);
	if (source !== undefined) writeFileSync(join(folder, "index.js"), source);
	return pathToFileURL(join(folder, "index.js"));
}

describe("loadSimulator", () => {
	it("looks for example/simulator/index at the repository root", () => {
		expect(fileURLToPath(SIMULATOR_MODULE)).toBe(
			join(import.meta.dirname, "..", "..", "example", "simulator", "index.js"),
		);
	});

	it("says clearly when the simulator is not in the checkout", async () => {
		const missing = moduleAt("missing");
		await expect(loadSimulator(missing)).rejects.toThrow(SimulatorMissingError);
		await expect(loadSimulator(missing)).rejects.toThrow(/not in this checkout/);
	});

	it("refuses a module without a runSimulation function", async () => {
		await expect(loadSimulator(moduleAt("other", "export const runSimulation = 3;\n"))).rejects.toThrow(
			/exports no runSimulation function/,
		);
	});

	it("reports a module that fails to load, with the cause", async () => {
		const broken = moduleAt("broken", 'import "./nowhere.js";\n');
		await expect(loadSimulator(broken)).rejects.toThrow(/failed to load/);
	});

	it("answers the module's runSimulation", async () => {
		const url = moduleAt("ok", "export async function runSimulation(options) { return options.players * 2; }\n");
		const runSimulation = await loadSimulator(url);
		const signal = new AbortController().signal;
		const options = { url: "http://x", gameKey: "k", gameId: "1818", players: 21, days: 1, seedHistory: false };
		expect(await runSimulation({ ...options, live: false, onProgress: () => undefined, signal })).toBe(42);
	});
});
