import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEMO_CREDENTIALS_FILE, type DemoState } from "./demo-seed.js";
import { simulateDemo, type SimulateDemoInput } from "./simulate-demo.js";
import { SimulatorMissingError, type RunSimulation, type RunSimulationOptions } from "./simulation.js";

let dir: string;
let demo: DemoState;
beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), "vantage-simulate-"));
	demo = {
		gameId: "1818",
		gameName: "Obby Tycoon demo",
		gameKey: "vk_x.secret",
		adminEmail: "admin@vantage.local",
		adminPassword: "pw",
		historySeeded: false,
		createdAt: "2025-01-01T00:00:00.000Z",
	};
	writeFileSync(join(dir, DEMO_CREDENTIALS_FILE), JSON.stringify(demo));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const remembered = (): DemoState => JSON.parse(readFileSync(join(dir, DEMO_CREDENTIALS_FILE), "utf8")) as DemoState;

/** Runs simulateDemo with `run` as the simulator; answers what it printed and the options the simulator got. */
async function simulate(
	run: (options: RunSimulationOptions) => Promise<unknown>,
	input: Partial<SimulateDemoInput> = {},
) {
	const stdout: string[] = [];
	const stderr: string[] = [];
	const calls: RunSimulationOptions[] = [];
	const runSimulation: RunSimulation = (options) => {
		calls.push(options);
		return run(options);
	};
	await simulateDemo({
		url: "http://127.0.0.1:1234",
		experiment: async () => {},
		dataDir: dir,
		demo,
		options: { players: 300, days: 5 },
		signal: new AbortController().signal,
		stdout: { isTTY: false, write: (text: string) => stdout.push(text) },
		stderr: { write: (text: string) => stderr.push(text) },
		load: async () => runSimulation,
		...input,
	});
	return { stdout: stdout.join(""), stderr: stderr.join(""), calls };
}

describe("simulateDemo", () => {
	it("seeds the history on the first start, records it once the last step is reported, then goes live", async () => {
		const { stdout, stderr, calls } = await simulate(async ({ onProgress }) => {
			for (let day = 0; day < 5; day++) onProgress(day, 5, `day ${day + 1} of 5`);
			expect(remembered().historySeeded).toBe(false);
			onProgress(5, 5, "history done");
			expect(remembered().historySeeded).toBe(true);
		});
		const { onProgress, signal, ...passed } = calls[0]!;
		expect(passed).toEqual({
			url: "http://127.0.0.1:1234",
			gameKey: "vk_x.secret",
			gameId: "1818",
			players: 300,
			days: 5,
			seedHistory: true,
			live: true,
		});
		expect(typeof onProgress).toBe("function");
		expect(signal).toBeInstanceOf(AbortSignal);
		expect(stdout).toMatch(/^Seeding 5 days of history for about 300 daily players…\n {2}0% {2}day 1 of 5/);
		expect(stdout).toContain('100%  history done (5/5)\nLive: about 300 daily players are playing "Obby Tycoon demo"');
		expect(stderr).toBe("");
	});

	it("plays live at once when the history was seeded before", async () => {
		demo = { ...demo, historySeeded: true };
		const { stdout, calls } = await simulate(async () => undefined);
		expect(calls[0]).toMatchObject({ seedHistory: false, live: true });
		expect(stdout).toMatch(/^Live: about 300 daily players/);
		expect(stdout).not.toContain("Seeding");
	});

	it("does not count a history stopped by Ctrl-C as seeded, even if the simulator reports its end", async () => {
		const controller = new AbortController();
		await simulate(
			async ({ onProgress }) => {
				onProgress(0, 5, "day 1 of 5");
				controller.abort();
				onProgress(5, 5, "history done");
			},
			{ signal: controller.signal },
		);
		expect(remembered().historySeeded).toBe(false);
	});

	it("says when the simulator is missing and returns, leaving the backend running", async () => {
		const { stderr } = await simulate(async () => undefined, {
			load: async () => {
				throw new SimulatorMissingError("The simulator is not in this checkout (no example/simulator/index.ts).");
			},
		});
		expect(stderr).toBe(
			"The simulator is not in this checkout (no example/simulator/index.ts). (--no-sim skips it.) " +
				"The backend runs without simulated players.\n",
		);
	});

	it("reports a failing simulation and returns", async () => {
		const { stdout } = await simulate(async ({ onProgress }) => {
			onProgress(1, 5, "day 2 of 5");
			throw new Error("VM out of memory");
		});
		expect(stdout).toContain("The simulation failed: VM out of memory. The backend keeps running");
		expect(remembered().historySeeded).toBe(false);
	});

	it("stays quiet about a simulation that ends because it was aborted", async () => {
		const controller = new AbortController();
		const { stdout, stderr } = await simulate(
			async () => {
				controller.abort();
				throw new DOMException("aborted", "AbortError");
			},
			{ signal: controller.signal },
		);
		expect(stdout).not.toMatch(/failed|ended/);
		expect(stderr).toBe("");
	});
});
