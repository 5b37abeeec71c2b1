// The Experiments and Flags pages in a real browser: Debian's Chromium driven by playwright-core against the real
// backend, filled by the simulator (the example game played by synthetic players through the real SDK, with the
// obby_difficulty experiment and its planted effect). Checks the list and the results page against the results API
// (numbers shown are the API's, none invented), creates an experiment through the form with its preview and power
// calculator, starts it, toggles and retargets a flag, and makes sure a viewer sees no write controls and is refused
// when writing anyway. No console error, no failed request but the refused one, no serious axe-core violation;
// screenshots go to .tmp/test-results/screenshots/. Without /usr/bin/chromium the suite fails (CI installs it).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatEffect } from "../../dashboard/src/pages/experiments-data.js";
import { DIFFICULTY_EXPERIMENT, setupDemoExperiment } from "../../example/simulator/setup.js";
import { runSimulation } from "../../example/simulator/index.js";
import type { PlanResult } from "../../server/experiments/planning.js";
import type { ExperimentResults } from "../../server/experiments/results.js";
import { fetchAdminAuth, provisionAdmin } from "../../server/testing/provision.js";
import { TEST_PASSWORD } from "../../server/testing/test-app.js";
import { startTestBackend, type TestBackend } from "./backend.js";
import { ensureSdkBuilt } from "./sdk-build.js";

const CHROMIUM = "/usr/bin/chromium";
const ROOT = join(import.meta.dirname, "..", "..");
const SCREENSHOTS = join(ROOT, ".tmp", "test-results", "screenshots");
const GAME = "1818";
const DAY = 86_400_000;
const DAYS = 5;

/** Requests a test refuses on purpose: recorded, not counted as problems. */
type Refusal = { method: string; path: string; status: number };

/** What went wrong in a page: console errors, uncaught exceptions, failed requests (refusals expected aside). */
function watch(page: Page, expected: Refusal[] = []): { problems: string[]; refused: Refusal[] } {
	const problems: string[] = [];
	const refused: Refusal[] = [];
	const isExpected = (method: string, url: string, status: number) =>
		expected.some((r) => r.method === method && new URL(url).pathname === r.path && r.status === status);
	page.on("console", (message) => {
		if (message.type() !== "error") return;
		// Chromium logs every 4xx fetch as "Failed to load resource"; the refusals a test provokes are expected.
		const url = message.location().url;
		if (/Failed to load resource/.test(message.text()) && expected.some((r) => url.endsWith(r.path))) return;
		problems.push(`console: ${message.text()}`);
	});
	page.on("pageerror", (error) => problems.push(`exception: ${error.message}`));
	page.on("requestfailed", (request) => {
		if (request.failure()?.errorText !== "net::ERR_ABORTED") {
			problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
		}
	});
	page.on("response", (response) => {
		if (response.status() < 400) return;
		const method = response.request().method();
		if (isExpected(method, response.url(), response.status())) {
			refused.push({ method, path: new URL(response.url()).pathname, status: response.status() });
		} else problems.push(`HTTP ${response.status()}: ${method} ${response.url()}`);
	});
	return { problems, refused };
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** axe-core's serious and critical violations on the page as it is now (WCAG 2.x A and AA rules). */
async function accessibilityViolations(page: Page): Promise<string[]> {
	await page.evaluate(AXE_SOURCE);
	const result = (await page.evaluate(
		`axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } })`,
	)) as { violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] };
	return result.violations
		.filter((v) => v.impact === "serious" || v.impact === "critical")
		.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

/** For every uPlot canvas on the page, how many pixels are not transparent. */
function canvasInk(page: Page): Promise<number[]> {
	return page.evaluate(`[...document.querySelectorAll(".chart canvas")].map((canvas) => {
		const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
		let ink = 0;
		for (let i = 3; i < data.length; i += 4) if (data[i] > 0) ink++;
		return ink;
	})`);
}

async function logIn(page: Page, email: string): Promise<void> {
	await page.getByLabel("Email").fill(email);
	await page.getByLabel("Password").fill(TEST_PASSWORD);
	await page.getByRole("button", { name: "Sign in" }).click();
}

const integer = new Intl.NumberFormat("en-US");

describe("experiments and flags in Chromium", () => {
	let server: TestBackend;
	let browser: Browser;
	let ownerEmail: string;
	let analystEmail: string;
	let viewerEmail: string;
	let owner: string;

	let setupError: unknown;
	const ready = () => {
		if (setupError !== undefined) throw setupError;
	};

	beforeAll(async () => {
		try {
			await setUp();
		} catch (error) {
			setupError = error;
		}
	}, 300_000);

	async function setUp(): Promise<void> {
		if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get install -y chromium`);
		mkdirSync(SCREENSHOTS, { recursive: true });
		// The bundle from the sources as they are now (the server reads dashboard/dist when it starts).
		execFileSync(process.execPath, [join(ROOT, "dashboard", "build.mjs")], { stdio: "pipe" });
		ensureSdkBuilt();
		// The simulated server refreshes its token on the virtual clock: the per-address token limit is raised.
		server = await startTestBackend(GAME, { VANTAGE_TOKEN_RATE_PER_MINUTE: "100000", VANTAGE_TOKEN_BURST: "100000" });
		ownerEmail = await provisionAdmin(server.dataDir, "owner");
		analystEmail = await provisionAdmin(server.dataDir, "analyst");
		viewerEmail = await provisionAdmin(server.dataDir, "viewer");
		owner = await fetchAdminAuth(server.url, ownerEmail);
		const patch = await fetch(`${server.url}/v1/admin/games/${GAME}/settings`, {
			method: "PATCH",
			headers: { Authorization: owner, "Content-Type": "application/json" },
			body: JSON.stringify({ trustClientClock: true }),
		});
		if (patch.status !== 200) throw new Error(`settings: ${patch.status}`);
		const now = Date.now();
		await setupDemoExperiment({ url: server.url, gameId: GAME, adminAuth: owner, startAt: now - (DAYS + 1) * DAY });
		await runSimulation({
			url: server.url,
			gameKey: server.gameKey,
			gameId: GAME,
			players: 200,
			days: DAYS,
			seedHistory: true,
			live: false,
			now,
			servers: 1,
		});
		const deadline = Date.now() + 30_000;
		for (;;) {
			const status = (await (await api("/v1/admin/warehouse")).json()) as {
				pendingBatches: number;
				rebuilding: number;
			};
			if (status.pendingBatches === 0 && status.rebuilding === 0) break;
			if (Date.now() > deadline) throw new Error(`rollups not ready: ${JSON.stringify(status)}`);
			await new Promise((resolve) => setTimeout(resolve, 200));
		}
		browser = await chromium.launch({
			executablePath: CHROMIUM,
			args: [
				"--headless",
				"--no-sandbox",
				"--disable-gpu",
				"--disable-quic",
				"--no-first-run",
				"--disable-background-networking",
				"--disable-component-update",
				"--disable-sync",
			],
		});
	}

	afterAll(async () => {
		await browser?.close();
		await server?.close();
	});

	/** The admin API as the owner, outside the browser: what the pages must agree with. */
	function api(path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
		return fetch(`${server.url}${path}`, {
			method: init.method ?? "GET",
			headers: { Authorization: owner, ...(init.body === undefined ? {} : { "Content-Type": "application/json" }) },
			...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
		});
	}

	async function open(options: { width?: number; expected?: Refusal[] } = {}): Promise<{
		context: BrowserContext;
		page: Page;
		problems: string[];
		refused: Refusal[];
	}> {
		ready();
		const context = await browser.newContext({
			baseURL: server.url,
			viewport: { width: options.width ?? 1280, height: 900 },
			colorScheme: "light",
		});
		context.setDefaultTimeout(15_000);
		const page = await context.newPage();
		return { context, page, ...watch(page, options.expected) };
	}

	it("lists obby_difficulty and shows its results as the API computes them: CI plots, table, warnings, trend", async () => {
		const { context, page, problems } = await open();
		try {
			await page.goto(`/?page=experiments&game=${GAME}`);
			await logIn(page, ownerEmail);
			const row = page.locator(`tr[data-experiment="${DIFFICULTY_EXPERIMENT}"]`);
			await row.waitFor();
			expect(await row.locator(".badge").textContent()).toBe("Running");
			expect(await row.textContent()).toContain("classic 50% · hard 50%");
			const exposures = (await (
				await api(`/v1/admin/games/${GAME}/experiments/${DIFFICULTY_EXPERIMENT}/exposures`)
			).json()) as {
				units: number;
			};
			expect(exposures.units).toBeGreaterThan(200);
			await expect.poll(() => row.locator("td.num").textContent()).toBe(integer.format(exposures.units));
			expect(await accessibilityViolations(page)).toEqual([]);
			await page.screenshot({ path: join(SCREENSHOTS, "experiments-list.png"), fullPage: true });

			await page.getByRole("link", { name: `Results of ${DIFFICULTY_EXPERIMENT}` }).click();
			await expect.poll(() => new URL(page.url()).searchParams.get("experiment")).toBe(DIFFICULTY_EXPERIMENT);
			const primary = page.locator('.metric-results[data-metric="reached_level_3"]');
			await primary.locator("svg.ci-plot").waitFor();

			// The table shows the API's numbers.
			const results = (await (
				await api(`/v1/admin/games/${GAME}/experiments/${DIFFICULTY_EXPERIMENT}/results?metric=reached_level_3`)
			).json()) as ExperimentResults;
			const cells = (variation: string) =>
				primary.locator(".results-table tbody tr", { has: page.locator(`th:text-is("${variation}")`) }).locator("td");
			for (const v of results.variations) expect(await cells(v.key).nth(0).textContent()).toBe(integer.format(v.n));
			const hard = results.comparisons[0]!;
			expect(await cells("hard").nth(2).textContent()).toBe(formatEffect(hard.frequentist.effect, "relative", true));
			expect(await cells("hard").nth(3).textContent()).toBe(
				`${formatEffect(hard.frequentist.ci.lower, "relative", true)} to ${formatEffect(hard.frequentist.ci.upper, "relative", true)}`,
			);
			expect(await cells("hard").nth(5).textContent()).toMatch(/^\d+\.\d%$/);
			expect(await cells("hard").nth(7).textContent()).toMatch(/Conclusive|Not conclusive yet/);
			// The planted effect: hard levels lose players before level 3, and the plot says so.
			expect(hard.frequentist.effect).toBeLessThan(0);
			expect(await primary.locator(".ci-row").count()).toBe(1);
			expect(await primary.locator(".ci-row circle").count()).toBe(1);
			expect(await primary.locator(".ci-row").getAttribute("class")).toContain(
				hard.frequentist.significant ? "ci-worse" : "ci-unclear",
			);
			expect(await primary.locator("svg.ci-plot desc").textContent()).toContain(
				`hard: ${formatEffect(hard.frequentist.effect, "relative", true)}`,
			);
			// Warnings in plain words, the sample-ratio check among them.
			const warnings = page.getByRole("region", { name: "Warnings for reached_level_3" });
			expect(await warnings.locator("li").first().textContent()).toMatch(/^Sample ratio (OK|mismatch)/);
			// The guardrail has its own section, plot and warnings.
			const guardrail = page.locator('.metric-results[data-metric="day1_retention"]');
			await guardrail.locator("svg.ci-plot").waitFor();
			expect(await page.getByRole("region", { name: "Warnings for day1_retention" }).count()).toBe(1);
			// The daily trends: uPlot drew each, with axis labels.
			await expect.poll(async () => (await canvasInk(page)).length).toBe(2);
			for (const ink of await canvasInk(page)) expect(ink).toBeGreaterThan(50);
			expect(await primary.locator(".chart").getAttribute("data-x-ticks")).toMatch(/[A-Z][a-z]{2} \d/);
			expect(await accessibilityViolations(page)).toEqual([]);
			await page.screenshot({ path: join(SCREENSHOTS, "experiment-results.png"), fullPage: true });

			// Absolute effects: percentage points for a rate.
			await page.getByLabel("Effect as").selectOption("absolute");
			await expect.poll(() => cells("hard").nth(2).textContent()).toMatch(/^[+−]\d+\.\d pp$/);
			// The view is a link: a reload opens the same results.
			await page.reload();
			await primary.locator("svg.ci-plot").waitFor();
			expect(problems).toEqual([]);
		} finally {
			await context.close();
		}
	});

	it("creates an experiment through the form with its preview and power calculator, starts it and opens its results", async () => {
		const create = { method: "POST", path: `/v1/admin/games/${GAME}/experiments`, status: 409 };
		const { context, page, problems, refused } = await open({ expected: [create] });
		try {
			await page.goto(`/?page=experiments&game=${GAME}`);
			await logIn(page, analystEmail);
			await page.getByRole("link", { name: "New experiment" }).click();
			await expect.poll(() => page.locator("h1").textContent()).toBe("New experiment");

			// Mistakes are said next to their fields, in plain words, before anything is sent.
			await page.locator("#key").fill("shop layout!");
			await page.getByRole("button", { name: "Create draft" }).click();
			await page.locator(".error-summary").waitFor();
			expect(await page.locator("#key-error").textContent()).toMatch(/^Use 1 to 100 letters, digits/);
			expect(await page.locator("#key").getAttribute("aria-invalid")).toBe("true");
			expect(await page.locator("#primary-event-error").textContent()).toBe(
				"Name the event that counts as a conversion.",
			);
			expect(await accessibilityViolations(page)).toEqual([]);
			await page.screenshot({ path: join(SCREENSHOTS, "experiment-form-errors.png"), fullPage: true });

			// What only the server knows, said next to its field too: the key is taken.
			await page.locator("#key").fill(DIFFICULTY_EXPERIMENT);
			await page.locator("#primary-event").fill("shop_opened");
			await page.getByRole("button", { name: "Create draft" }).click();
			await expect
				.poll(() => page.locator("#key-error").textContent())
				.toBe(`Experiment "${DIFFICULTY_EXPERIMENT}" already exists in this game. Pick another key.`);
			expect(refused).toEqual([create]);

			await page.locator("#key").fill("shop_layout");
			await page.locator("#name").fill("Shop layout");
			await page.locator("#primary-eventType").selectOption("custom");
			await page.getByRole("button", { name: "Add a rule" }).click();
			await page.locator("#rule-0-attribute").fill("premium");
			await page.locator("#rule-0-value").fill("false");

			// Who would be assigned where, among the game's recent players: the preview API's own numbers.
			await page.getByRole("button", { name: "Preview assignment" }).click();
			const previewed = page.locator(".preview-result");
			await expect.poll(() => previewed.textContent()).toMatch(/would take part/);
			const preview = (await (
				await api(`/v1/admin/games/${GAME}/experiments/preview`, {
					method: "POST",
					body: {
						seed: "shop_layout",
						variations: [
							{ key: "control", weight: 0.5 },
							{ key: "treatment", weight: 0.5 },
						],
						coverage: 1,
						condition: { premium: false },
						sample: { source: "recent" },
					},
				})
			).json()) as { players: number; inExperiment: number; eligibleShare: number; variations: { players: number }[] };
			expect(preview.players).toBeGreaterThan(100);
			expect(await previewed.textContent()).toContain(
				`Of ${integer.format(preview.players)} recent players, ${integer.format(preview.inExperiment)}`,
			);
			for (const [i, v] of preview.variations.entries()) {
				expect(await previewed.locator("tbody tr").nth(i).locator("td").first().textContent()).toBe(
					integer.format(v.players),
				);
			}

			// The power calculator: today's rate of the primary metric from the game's last 28 days (the share of
			// active players who opened the shop, as the metrics API counts them), then players and days for a 10% change.
			await page.getByRole("button", { name: "Estimate today's rate from the game" }).click();
			await expect.poll(() => page.locator(".power [role=status]").textContent()).toMatch(/^Last 28 days: /);
			const today = new Date().toISOString().slice(0, 10);
			const day = (offset: number) => new Date(Date.parse(today) + offset * DAY).toISOString().slice(0, 10);
			const range = `from=${day(-28)}&to=${day(-1)}`;
			const opened = (await (
				await api(`/v1/games/${GAME}/metrics/kpi?${range}&event=custom:shop_opened&measure=users`)
			).json()) as { segments: { groups: { total: number }[] }[] };
			const active = (await (await api(`/v1/games/${GAME}/metrics/active-users?${range}`)).json()) as {
				segments: { players: number }[];
			};
			const rate = opened.segments[0]!.groups[0]!.total / active.segments[0]!.players;
			expect(rate).toBeGreaterThan(0);
			expect(await page.locator("#power-rate").inputValue()).toBe(String(Math.round(rate * 10000) / 100));
			await page.locator("#power-mde").fill("10");
			await page.getByRole("button", { name: "Calculate" }).click();
			await page.locator(".plan-players").waitFor();
			const plan = (await (
				await api(`/v1/admin/games/${GAME}/experiments/plan`, {
					method: "POST",
					body: {
						baseline: { kind: "proportion", rate: Number(await page.locator("#power-rate").inputValue()) / 100 },
						mde: 0.1,
						weights: [0.5, 0.5],
						eligibleShare: preview.eligibleShare,
					},
				})
			).json()) as PlanResult;
			expect(plan.traffic?.dailyActive).toBeGreaterThan(50);
			expect(await page.locator(".plan-players").textContent()).toMatch(
				new RegExp(
					`^${integer.format(plan.totalUnits)} players in the test \\(${integer.format(plan.variations[0]!.units)} per variation\\)`,
				),
			);
			expect(await page.locator(".plan-days").textContent()).toMatch(
				plan.days === null ? /^More than a year/ : new RegExp(`^About ${plan.days} days? at today's traffic`),
			);
			expect(await page.locator(".power tbody tr").count()).toBe(4);
			expect(await accessibilityViolations(page)).toEqual([]);
			await page.screenshot({ path: join(SCREENSHOTS, "experiment-form-planned.png"), fullPage: true });

			// Saved as a draft, back on the list; then started after a confirmation.
			await page.getByRole("button", { name: "Create draft" }).click();
			const row = page.locator('tr[data-experiment="shop_layout"]');
			await row.waitFor();
			expect(await row.locator(".badge").textContent()).toBe("Draft");
			await page.getByRole("button", { name: "Start shop_layout" }).click();
			await page.getByRole("button", { name: "Start experiment" }).click();
			await expect.poll(() => page.locator('tr[data-experiment="shop_layout"] .badge').textContent()).toBe("Running");
			const saved = (await (await api(`/v1/admin/games/${GAME}/experiments/shop_layout`)).json()) as Record<
				string,
				unknown
			>;
			expect(saved).toMatchObject({
				status: "running",
				name: "Shop layout",
				condition: { premium: false },
				primaryMetric: { key: "converted", type: "conversion", event: "shop_opened", eventType: "custom" },
			});

			// Its results: nobody exposed yet, said plainly, with the warnings area in place.
			await page.getByRole("link", { name: "Results of shop_layout" }).click();
			const section = page.locator('.metric-results[data-metric="converted"]');
			await expect.poll(() => section.textContent()).toContain("No players counted yet");
			expect(await page.getByRole("region", { name: "Warnings for converted" }).count()).toBe(1);
			expect(await accessibilityViolations(page)).toEqual([]);
			await page.screenshot({ path: join(SCREENSHOTS, "experiment-new-results.png"), fullPage: true });
			expect(problems).toEqual([]);
		} finally {
			await context.close();
		}
	});

	it("creates a flag, switches it on and off, and retargets it", async () => {
		const { context, page, problems } = await open();
		const flag = async () =>
			(await (await api(`/v1/admin/games/${GAME}/flags/double_coins`)).json()) as {
				enabled: boolean;
				coverage: number;
				condition: unknown;
			};
		try {
			await page.goto(`/?page=flags&game=${GAME}`);
			await logIn(page, analystEmail);
			await page.getByRole("button", { name: "New flag" }).click();
			await page.locator("#new-flag-key").fill("double_coins");
			await page.locator("#new-flag-name").fill("Double coins");
			await page.getByRole("button", { name: "Create flag" }).click();
			const toggle = page.getByRole("switch", { name: "double_coins is off" });
			await toggle.waitFor();
			expect(await toggle.getAttribute("aria-checked")).toBe("false");

			await toggle.click();
			await page.getByRole("switch", { name: "double_coins is on" }).waitFor();
			expect((await flag()).enabled).toBe(true);

			await page.getByRole("button", { name: "Edit targeting and values of double_coins" }).click();
			await page.locator("#flag-coverage").fill("50");
			await page.getByRole("button", { name: "Add a rule" }).click();
			await page.locator("#flag-rule-0-attribute").fill("premium");
			await page.locator("#flag-rule-0-value").fill("true");
			await page.getByRole("button", { name: "Save flag" }).click();
			const item = page.locator('[data-flag="double_coins"]');
			await expect.poll(() => item.locator(".flag-targeting").textContent()).toBe("premium is true");
			expect(await item.locator(".flag-state").textContent()).toBe("On for 50% of matching players");
			expect(await flag()).toMatchObject({ enabled: true, coverage: 0.5, condition: { premium: true } });
			expect(await accessibilityViolations(page)).toEqual([]);
			await page.screenshot({ path: join(SCREENSHOTS, "flags.png"), fullPage: true });

			await page.getByRole("switch", { name: "double_coins is on" }).click();
			await page.getByRole("switch", { name: "double_coins is off" }).waitFor();
			expect((await flag()).enabled).toBe(false);
			expect(problems).toEqual([]);
		} finally {
			await context.close();
		}
	});

	it("shows a viewer everything read-only, and the API refuses the viewer's write", async () => {
		const path = `/v1/admin/games/${GAME}/experiments/${DIFFICULTY_EXPERIMENT}`;
		const { context, page, problems, refused } = await open({
			width: 375,
			expected: [{ method: "PATCH", path, status: 403 }],
		});
		try {
			await page.goto(`/?page=experiments&game=${GAME}`);
			await logIn(page, viewerEmail);
			await page.locator(`tr[data-experiment="${DIFFICULTY_EXPERIMENT}"]`).waitFor();
			expect(await page.getByRole("link", { name: "New experiment" }).count()).toBe(0);
			for (const name of [/^Start /, /^Stop /, /^Edit /, /^Delete /]) {
				expect(await page.getByRole("button", { name }).count()).toBe(0);
			}
			expect(await page.getByRole("link", { name: /^Edit / }).count()).toBe(0);
			expect(await page.locator("main").textContent()).toContain("an analyst or owner can change them");

			// Results are the viewer's to read, and fit a phone without sideways scrolling of the page.
			await page.getByRole("link", { name: `Results of ${DIFFICULTY_EXPERIMENT}` }).click();
			await page.locator("svg.ci-plot").first().waitFor();
			expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(375);
			expect(await accessibilityViolations(page)).toEqual([]);
			await page.screenshot({ path: join(SCREENSHOTS, "experiment-results-viewer-phone.png"), fullPage: true });

			// Flags: the state in words, no switch, no editing.
			await page.getByRole("link", { name: "Flags", exact: true }).click();
			await page.locator('[data-flag="double_coins"]').waitFor();
			expect(await page.getByRole("switch").count()).toBe(0);
			expect(await page.getByRole("button", { name: "New flag" }).count()).toBe(0);
			expect(await page.getByRole("button", { name: /^Edit targeting/ }).count()).toBe(0);

			// A write sent anyway, with the session's own CSRF token: the server refuses it.
			// (A script string: this file compiles without the DOM's types.)
			const answer = (await page.evaluate(`(async () => {
				const token = document.querySelector('meta[name="csrf-token"]').content;
				const res = await fetch(${JSON.stringify(path)}, {
					method: "PATCH",
					headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
					body: JSON.stringify({ status: "stopped" }),
				});
				return { status: res.status, code: (await res.json()).code };
			})()`)) as { status: number; code: string };
			expect(answer).toEqual({ status: 403, code: "forbidden" });
			expect(refused).toEqual([{ method: "PATCH", path, status: 403 }]);
			expect(((await (await api(path)).json()) as { status: string }).status).toBe("running");
			expect(problems).toEqual([]);
		} finally {
			await context.close();
		}
	});
});
