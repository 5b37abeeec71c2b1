// `npm start` as a person runs it: the real npm script in a child process, on a temporary data directory.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DATABASE_FILE } from "../server.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import { DEMO_ADMIN_EMAIL, DEMO_CREDENTIALS_FILE, DEMO_GAME_ID, DEMO_GAME_NAME } from "./demo-seed.js";

const ROOT = join(import.meta.dirname, "..", "..");
/** The last line `npm start -- --no-sim` prints once it is up. */
const READY = /Simulation off \(--no-sim\)/;

interface Started {
	child: ChildProcess;
	output: { stdout: string; stderr: string };
	url: string;
	password: string;
	gameKey: string;
}

let dir: string;
const running = new Set<ChildProcess>();
beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), "vantage-start-"));
});
afterEach(async () => {
	for (const child of running) await stop(child, "SIGKILL");
	running.clear();
	rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs `npm start -- <args>` in its own process group (as a terminal would: Ctrl-C signals the whole group) with
 * PORT=0, so the port comes back in the printed URL.
 */
function npmStart(args: string[]): { child: ChildProcess; output: { stdout: string; stderr: string } } {
	const child = spawn("npm", ["start", "--", ...args], {
		cwd: ROOT,
		env: { ...process.env, PORT: "0", HOST: "127.0.0.1", VANTAGE_DATA_DIR: dir, LOG_LEVEL: "info" },
		stdio: ["ignore", "pipe", "pipe"],
		detached: true,
	});
	running.add(child);
	child.once("close", () => running.delete(child));
	const output = { stdout: "", stderr: "" };
	child.stdout?.on("data", (chunk: Buffer) => (output.stdout += chunk.toString()));
	child.stderr?.on("data", (chunk: Buffer) => (output.stderr += chunk.toString()));
	return { child, output };
}

/** Starts `npm start -- <args>` and waits until its stdout matches `ready` (rejects if it exits or takes too long). */
async function startUntil(
	args: string[],
	ready: RegExp,
	timeoutMs: number,
): Promise<{ child: ChildProcess; output: { stdout: string; stderr: string } }> {
	const { child, output } = npmStart(args);
	await new Promise<void>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`npm start did not get there:\n${show(output)}`)), timeoutMs);
		const check = () => {
			if (!ready.test(output.stdout)) return;
			clearTimeout(timer);
			resolve();
		};
		child.stdout?.on("data", check);
		child.once("exit", (code) => {
			clearTimeout(timer);
			reject(new Error(`npm start exited with ${code}:\n${show(output)}`));
		});
	});
	return { child, output };
}

async function startNoSim(): Promise<Started> {
	const { child, output } = await startUntil(["--no-sim"], READY, 45_000);
	const field = (label: string) => {
		const value = new RegExp(`^\\s*${label}\\s+(\\S+)`, "m").exec(output.stdout)?.[1];
		if (!value) throw new Error(`no "${label}" in:\n${output.stdout}`);
		return value;
	};
	return {
		child,
		output,
		url: field("Dashboard / API"),
		password: field("Admin password"),
		gameKey: field("Game key"),
	};
}

/**
 * Signals the whole process group, as Ctrl-C in a terminal does, and waits for the output to close: npm itself
 * dies of the signal at once, the node process it started holds the pipes until its own shutdown is done.
 */
function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
	return new Promise((resolve) => {
		if (child.stdout?.closed && child.stderr?.closed) return resolve();
		child.once("close", () => resolve());
		try {
			process.kill(-child.pid!, signal);
		} catch {
			// The group is gone already; "close" follows.
		}
	});
}

/** What the main job prints last after a signal when its shutdown was clean. */
function expectCleanStop(output: { stdout: string; stderr: string }, signal: NodeJS.Signals): void {
	expect(output.stdout).toMatch(new RegExp(`${signal}: stopping…\nStopped\\.\n$`));
	expect(output.stderr).not.toMatch(/Forced exit|failed/);
}

async function exitCode(child: ChildProcess): Promise<number | null> {
	if (child.exitCode !== null) return child.exitCode;
	return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

function show(output: { stdout: string; stderr: string }): string {
	return `stdout:\n${output.stdout}\nstderr:\n${output.stderr}`;
}

async function login(url: string, password: string): Promise<Response> {
	return fetch(`${url}/v1/admin/login`, {
		method: "POST",
		headers: { "Content-Type": "application/json" },
		body: JSON.stringify({ email: DEMO_ADMIN_EMAIL, password }),
	});
}

describe("npm start -- --no-sim", () => {
	it("prints the URL, the login, the key and the docs; the backend answers and the printed login works", async () => {
		const started = await startNoSim();
		const { stdout } = started.output;
		expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
		expect(stdout).toContain(`Admin email      ${DEMO_ADMIN_EMAIL}`);
		expect(stdout).toContain(`${started.url}/docs`);
		expect(stdout).toContain(`${DEMO_GAME_ID} "${DEMO_GAME_NAME}"`);
		expect(stdout).toMatch(/First start: created the demo game/);
		expect(started.gameKey).toMatch(/^vk_/);
		// The request log went to the file, not to the terminal.
		expect(stdout).not.toContain('"msg":"listening"');

		const health = await fetch(`${started.url}/healthz`);
		expect(health.status).toBe(200);
		expect((await fetch(`${started.url}/docs`)).status).toBe(200);

		expect((await login(started.url, "wrong password")).status).toBe(401);
		const res = await login(started.url, started.password);
		expect(res.status).toBe(200);
		const { access_token: token, admin } = (await res.json()) as { access_token: string; admin: boolean };
		expect(admin).toBe(true);
		const settings = await fetch(`${started.url}/v1/admin/games/${DEMO_GAME_ID}/settings`, {
			headers: { Authorization: `Bearer ${token}` },
		});
		expect(await settings.json()).toMatchObject({ gameId: DEMO_GAME_ID, trustClientClock: true });

		// The printed key is a working game key.
		const tokenRes = await fetch(`${started.url}/v1/oauth/token`, {
			method: "POST",
			headers: {
				Authorization: `Bearer ${started.gameKey}`,
				"Content-Type": "application/x-www-form-urlencoded",
			},
			body: "grant_type=client_credentials",
		});
		expect(tokenRes.status).toBe(200);

		expect(statSync(join(dir, DEMO_CREDENTIALS_FILE)).mode & 0o777).toBe(0o600);
		// SIGTERM (or Ctrl-C) closes the server cleanly.
		await stop(started.child, "SIGTERM");
		expectCleanStop(started.output, "SIGTERM");
		await expect(fetch(`${started.url}/healthz`)).rejects.toThrow();
	}, 90_000);

	it("does not seed again on a second start on the same data directory", async () => {
		const first = await startNoSim();
		await stop(first.child, "SIGINT");
		expectCleanStop(first.output, "SIGINT");

		const second = await startNoSim();
		expect(second.output.stdout).toMatch(/Demo game found: login and key as on its first start/);
		expect(second.output.stdout).not.toMatch(/First start/);
		expect(second.gameKey).toBe(first.gameKey);
		expect(second.password).toBe(first.password);
		expect((await login(second.url, second.password)).status).toBe(200);
		await stop(second.child, "SIGINT");
		expectCleanStop(second.output, "SIGINT");

		const store = openSqliteStore({ path: join(dir, DATABASE_FILE), warehouse: "inline", autoFold: false });
		try {
			expect((await store.listGames()).map((game) => game.id)).toEqual([DEMO_GAME_ID]);
			expect((await store.listAdminUsers()).map((user) => user.email)).toEqual([DEMO_ADMIN_EMAIL]);
			expect(await store.listApiKeys(DEMO_GAME_ID)).toHaveLength(1);
		} finally {
			await store.close();
		}
	}, 120_000);
});

describe("npm start arguments", () => {
	it("refuses an unknown flag with a clear message and exit code 2, before touching the data directory", async () => {
		const { child, output } = npmStart(["--player", "10"]);
		expect(await exitCode(child)).toBe(2);
		expect(output.stderr).toContain('npm start: Unknown option "--player".');
		expect(output.stderr).toContain("npm start -- --help");
		expect(() => statSync(join(dir, DATABASE_FILE))).toThrow();
	}, 60_000);

	it("prints the usage for --help and exits 0", async () => {
		const { child, output } = npmStart(["--help"]);
		expect(await exitCode(child)).toBe(0);
		expect(output.stdout).toContain("Usage: npm start [-- options]");
		expect(output.stdout).toContain("--players N");
	}, 60_000);
});

describe("npm start with the simulated game", () => {
	it("seeds simulated history once, at its simulated days, then plays live; a second start does not seed again", async () => {
		const first = await startUntil(["--players", "40", "--days", "2"], /^Live: /m, 120_000);
		expect(first.output.stdout).toMatch(/Seeding 2 days of history/);
		expect(first.output.stdout).toMatch(/history done/);
		const url = /^\s*Dashboard \/ API\s+(\S+)/m.exec(first.output.stdout)![1]!;
		const password = /^\s*Admin password\s+(\S+)/m.exec(first.output.stdout)![1]!;
		expect((await fetch(`${url}/healthz`)).status).toBe(200);
		const token = ((await (await login(url, password)).json()) as { access_token: string }).access_token;
		const from = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
		// The warehouse folds within about a second of ingest.
		const today = new Date().toISOString().slice(0, 10);
		let past: { date: string; dau: number }[] = [];
		for (let i = 0; i < 50; i++) {
			const res = await fetch(`${url}/v1/games/${DEMO_GAME_ID}/metrics/active-users?from=${from}`, {
				headers: { Authorization: `Bearer ${token}` },
			});
			const days = ((await res.json()) as { segments: { days: { date: string; dau: number }[] }[] }).segments[0]!.days;
			past = days.filter((d) => d.date < today);
			if (past.some((d) => d.dau > 10)) break;
			await new Promise((r) => setTimeout(r, 200));
		}
		// Players on the simulated days before today, though every batch arrived in the last minute.
		expect(past.some((d) => d.dau > 10)).toBe(true);
		// The predictions are trained on the seeded history at once (the daily job would look only in an hour).
		let predictions: Response | undefined;
		for (let i = 0; i < 100; i++) {
			predictions = await fetch(`${url}/v1/admin/games/${DEMO_GAME_ID}/predictions`, {
				headers: { Authorization: `Bearer ${token}` },
			});
			if (predictions.status === 200) break;
			await new Promise((r) => setTimeout(r, 200));
		}
		expect(predictions!.status).toBe(200);
		const trained = (await predictions!.json()) as { data: { events: number } };
		expect(trained.data.events).toBeGreaterThan(100);
		await stop(first.child, "SIGTERM");
		expectCleanStop(first.output, "SIGTERM");

		const second = await startUntil(["--players", "40", "--days", "2"], /^Live: /m, 120_000);
		expect(second.output.stdout).not.toMatch(/Seeding/);
		expect(second.output.stdout).toMatch(/Demo game found/);
		await stop(second.child, "SIGTERM");
	}, 240_000);
});
