// The simulator end to end: the example game's real scripts and the real SDK in the harness, played by synthetic
// players for a few simulated days against the real backend. The results API finds the planted effect, every metric
// has data for the simulated days, history lands at its simulated times, and the game uses only Vantage's public API.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIFFICULTY_EXPERIMENT, setupDemoExperiment } from "../../example/simulator/setup.js";
import { runSimulation, type SimulationReport } from "../../example/simulator/index.js";
import { fetchAdminAuth, provisionAdmin } from "../../server/testing/provision.js";
import { startTestBackend, waitForRollups, type TestBackend } from "./backend.js";
import { ensureSdkBuilt, repoRoot } from "./sdk-build.js";

const GAME = "1818";
const DAY = 86_400_000;
const DAYS = 4;

describe("the simulator → backend", () => {
	let server: TestBackend;
	let owner: string;
	let report: SimulationReport;
	const now = Date.now();

	beforeAll(async () => {
		ensureSdkBuilt();
		// The simulated server refreshes its token on the virtual clock, days in seconds: the per-address token limit
		// of this loopback backend is raised for it, as npm start does.
		server = await startTestBackend(GAME, { VANTAGE_TOKEN_RATE_PER_MINUTE: "100000", VANTAGE_TOKEN_BURST: "100000" });
		owner = await fetchAdminAuth(server.url, await provisionAdmin(server.dataDir, "owner"));
		const patch = await fetch(`${server.url}/v1/admin/games/${GAME}/settings`, {
			method: "PATCH",
			headers: { Authorization: owner, "Content-Type": "application/json" },
			body: JSON.stringify({ trustClientClock: true }),
		});
		expect(patch.status).toBe(200);
		await setupDemoExperiment({ url: server.url, gameId: GAME, adminAuth: owner, startAt: now - (DAYS + 1) * DAY });
		report = await runSimulation({
			url: server.url,
			gameKey: server.gameKey,
			gameId: GAME,
			players: 300,
			days: DAYS,
			seedHistory: true,
			live: false,
			now,
			// Two game servers, each in its own worker thread with half the players: the path npm start takes at its
			// default population.
			servers: 2,
		});
		// The warehouse folds what arrived (the backend's worker does it within about a second).
		await waitForRollups(server.url, owner);
	}, 300_000);

	afterAll(async () => {
		await server?.close();
	});

	const get = async <T>(path: string): Promise<T> => {
		const res = await fetch(`${server.url}${path}`, { headers: { Authorization: owner } });
		expect(res.status, path).toBe(200);
		return (await res.json()) as T;
	};

	it("plays sessions of several hundred players a day", () => {
		expect(report.days).toBe(DAYS);
		expect(report.sessions).toBeGreaterThan(DAYS * 250);
	});

	it("plays on two game servers, each with its own players", async () => {
		const from = new Date(now - DAYS * DAY).toISOString().slice(0, 10);
		const kpi = await get<{ segments: { groups: { group: string | null; total: number }[] }[] }>(
			`/v1/games/${GAME}/metrics/kpi?event=session_start:player&measure=users&groupBy=jobId&from=${from}`,
		);
		const groups = kpi.segments[0]!.groups;
		expect(groups).toHaveLength(2);
		for (const g of groups) expect(g.total).toBeGreaterThan(DAYS * 50);
	});

	it("has players on every kind of device, each reported by the game's real client", async () => {
		const from = new Date(now - DAYS * DAY).toISOString().slice(0, 10);
		const byDevice = await get<{ segments: { groups: { group: string | null; total: number }[] }[] }>(
			`/v1/games/${GAME}/metrics/kpi?event=session_start:player&measure=users&groupBy=device&from=${from}`,
		);
		const totals = Object.fromEntries(byDevice.segments[0]!.groups.map((g) => [g.group, g.total]));
		// Phones lead, then computers, then consoles; VR is rare. Every session knows its device.
		expect(Object.keys(totals).sort()).toEqual(["console", "desktop", "phone", "vr"]);
		expect(totals.phone!).toBeGreaterThan(totals.desktop!);
		expect(totals.desktop!).toBeGreaterThan(totals.console!);
		expect(totals.console!).toBeGreaterThan(totals.vr!);
		// The example's LocalScript tracks client_loaded through VantageClient: one per session.
		const loaded = await get<{ segments: { groups: { total: number }[] }[] }>(
			`/v1/games/${GAME}/metrics/kpi?event=custom:client_loaded&measure=count&from=${from}`,
		);
		const count = loaded.segments[0]!.groups.reduce((a, g) => a + g.total, 0);
		expect(count).toBeGreaterThan(report.sessions * 0.9);
		expect(count).toBeLessThanOrEqual(report.sessions);
	});

	it("lands history at its simulated times", async () => {
		const from = new Date(now - DAYS * DAY).toISOString().slice(0, 10);
		const to = new Date(now).toISOString().slice(0, 10);
		const active = await get<{ segments: { days: { date: string; dau: number }[] }[] }>(
			`/v1/games/${GAME}/metrics/active-users?from=${from}&to=${to}`,
		);
		const days = active.segments[0]!.days;
		// Players on every simulated day, not all on the day the batches arrived.
		expect(days.filter((d) => d.dau > 100).length).toBeGreaterThanOrEqual(DAYS - 1);
	});

	it("gives every metric data for the simulated days", async () => {
		const from = new Date(now - DAYS * DAY).toISOString().slice(0, 10);
		const range = `from=${from}&to=${new Date(now).toISOString().slice(0, 10)}`;
		const q = (metric: string, extra = "") =>
			get<Record<string, unknown>>(`/v1/games/${GAME}/metrics/${metric}?${range}${extra}`);
		const sessions = (await q("sessions")) as { segments: { sessions: number; medianSeconds: number }[] };
		expect(sessions.segments[0]!.sessions).toBeGreaterThan(DAYS * 250);
		expect(sessions.segments[0]!.medianSeconds).toBeGreaterThan(60);
		const retention = (await q("retention", "&days=1")) as { segments: { average: { rate: number | null }[] }[] };
		expect(retention.segments[0]!.average[0]!.rate).toBeGreaterThan(0.1);
		const funnel = (await q("funnel", "&funnel=onboarding")) as { segments: { steps: { players: number }[] }[] };
		expect(funnel.segments[0]!.steps.length).toBeGreaterThanOrEqual(4);
		expect(funnel.segments[0]!.steps[1]!.players).toBeGreaterThan(0);
		const revenue = (await q("revenue")) as { segments: { revenue: number; topProducts: unknown[] }[] };
		expect(revenue.segments[0]!.revenue).toBeGreaterThan(0);
		expect(revenue.segments[0]!.topProducts.length).toBeGreaterThan(0);
		const economy = (await q("economy")) as {
			segments: { currencies: { currency: string; sources: number; sinks: number }[] }[];
		};
		const coins = economy.segments[0]!.currencies.find((c) => c.currency === "Coins")!;
		expect(coins.sources).toBeGreaterThan(0);
		expect(coins.sinks).toBeGreaterThan(0);
		const progression = (await q("progression")) as { segments: { levels: { path: string; completes: number }[] }[] };
		expect(progression.segments[0]!.levels.find((l) => l.path === "World1:Level1")!.completes).toBeGreaterThan(0);
		const kpi = (await q("kpi", "&event=custom:shop_opened&measure=users")) as {
			segments: { groups: { total: number }[] }[];
		};
		expect(kpi.segments[0]!.groups[0]!.total).toBeGreaterThan(0);
		const overview = (await q("overview")) as { segments: { kpis: { key: string; value: number | null }[] }[] };
		expect(overview.segments[0]!.kpis.find((k) => k.key === "dau")!.value).toBeGreaterThan(100);
		for (const metric of ["active-users", "trends"]) {
			const extra = metric === "trends" ? "&events=session_start:player" : "";
			expect((await q(metric, extra)).segments).toBeDefined();
		}
	});

	it("finds the planted effect of the difficulty experiment", async () => {
		const results = await get<{
			variations: { key: string; n: number; mean: number }[];
			comparisons: { adjustedPValue: number }[];
		}>(
			`/v1/admin/games/${GAME}/experiments/${DIFFICULTY_EXPERIMENT}/results?metric=reached_level_3&difference=absolute`,
		);
		const [classic, hard] = results.variations;
		expect(classic!.n).toBeGreaterThan(200);
		expect(hard!.n).toBeGreaterThan(200);
		// Hard levels make fewer players reach level 3.
		expect(classic!.mean).toBeGreaterThan(hard!.mean);
		expect(results.comparisons[0]!.adjustedPValue).toBeLessThan(0.01);
	});

	it("uses only Vantage's public API in the example game", () => {
		const index = readFileSync(join(repoRoot, "src/index.ts"), "utf8");
		const serverApi = new Set([...index.matchAll(/export (?:function|const|namespace) (\w+)/g)].map((m) => m[1]!));
		const files: string[] = [];
		const walk = (dir: string) => {
			for (const entry of readdirSync(dir)) {
				const path = join(dir, entry);
				if (statSync(path).isDirectory()) walk(path);
				else if (path.endsWith(".luau")) files.push(path);
			}
		};
		walk(join(repoRoot, "example/src"));
		const used = new Set<string>();
		for (const file of files) {
			const source = readFileSync(file, "utf8");
			// Only the package's entry: never a path into its internals.
			expect(source, file).not.toMatch(/Vantage\.(shared|server|client|include)\b/);
			for (const m of source.matchAll(/\bVantage(?:Client)?\.(\w+)/g)) used.add(m[1]!);
		}
		expect(used.size).toBeGreaterThan(5);
		for (const name of used) expect(serverApi.has(name), name).toBe(true);
	});
});
