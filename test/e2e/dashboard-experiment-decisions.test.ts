// The experiment results page's reading aids in a real browser (Debian's Chromium via playwright-core) against the real
// backend, filled by the simulator: returning players play for some days, then the difficulty experiment starts with
// a guardrail the hard variation harms (coin rewards: levels completed). Checks that the page shows what the results
// API says: the recommendation at the top, the guardrail regression highlighted, absolute and relative effects side by
// side with and without CUPED and the variance it removed, the CUPED switch, a breakdown by platform with corrected
// p-values and small-cell warnings; and that the overview warns of the regression. No console error, no failed
// request, no serious axe-core violation; screenshots go to .tmp/test-results/screenshots/.
import type { Browser } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { formatEffect, formatPValue } from "../../dashboard/src/pages/experiments-data.js";
import { alertText, planText } from "../../dashboard/src/pages/experiments-results-data.js";
import { runSimulation } from "../../example/simulator/index.js";
import { DIFFICULTY_EXPERIMENT } from "../../example/simulator/setup.js";
import type { BreakdownResults, ExperimentAlerts, ExperimentResults } from "../../server/experiments/results.js";
import { fetchAdminAuth, provisionAdmin } from "../../server/testing/provision.js";
import { startSimulatorBackend, waitForRollups, type TestBackend } from "./backend.js";
import {
	accessibilityViolations,
	inTab,
	launchChromium,
	logIn,
	openTab,
	prepareDashboard,
	saveScreenshot,
	setUpOrFailEveryTest,
	type Tab,
} from "./browser.js";

const GAME = "1818";
const PRE_DAYS = 3;
const EXPERIMENT_DAYS = 3;

describe("experiment decisions, CUPED, guardrails and breakdowns in Chromium", () => {
	let server: TestBackend;
	let browser: Browser;
	let ownerEmail: string;
	let owner: string;

	const ready = setUpOrFailEveryTest(async () => {
		prepareDashboard();
		server = await startSimulatorBackend(GAME);
		ownerEmail = await provisionAdmin(server.dataDir, "owner");
		owner = await fetchAdminAuth(server.url, ownerEmail);
		const patch = await api(`/v1/admin/games/${GAME}/settings`, { method: "PATCH", body: { trustClientClock: true } });
		expect(patch.status).toBe(200);
		await runSimulation({
			url: server.url,
			gameKey: server.gameKey,
			gameId: GAME,
			players: 200,
			days: PRE_DAYS + EXPERIMENT_DAYS,
			seedHistory: true,
			live: false,
			servers: 1,
			playtimeSpread: 1,
			// The experiment starts after PRE_DAYS, so returning players have a history before their first exposure.
			beforeDay: async (day, dayStart) => {
				if (day !== PRE_DAYS) return;
				const res = await api(`/v1/admin/games/${GAME}/experiments`, {
					method: "POST",
					body: {
						key: DIFFICULTY_EXPERIMENT,
						name: "Obby difficulty",
						status: "running",
						startAt: new Date(dayStart).toISOString(),
						variations: [{ key: "classic" }, { key: "hard" }],
						// A plan the data cannot meet yet: read before its end (a peek) and short of power for 2%.
						targetEffect: 0.02,
						plannedDays: 28,
						primaryMetric: {
							key: "reached_level_3",
							type: "conversion",
							event: "World1:Level3",
							eventType: "progression",
						},
						guardrailMetrics: [
							{ key: "coin_rewards", name: "Coin rewards", type: "count", event: "source:Coins", eventType: "economy" },
						],
					},
				});
				if (res.status !== 201) throw new Error(`creating the experiment: ${res.status} ${await res.text()}`);
			},
		});
		await waitForRollups(server.url, owner, 60_000);
		browser = await launchChromium();
	}, 300_000);

	afterAll(async () => {
		await browser?.close();
		await server?.close();
	});

	function api(path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
		return fetch(`${server.url}${path}`, {
			method: init.method ?? "GET",
			headers: { Authorization: owner, ...(init.body === undefined ? {} : { "Content-Type": "application/json" }) },
			...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
		});
	}
	async function json<T>(path: string): Promise<T> {
		const res = await api(path);
		expect(res.status, path).toBe(200);
		return (await res.json()) as T;
	}
	const experimentPath = `/v1/admin/games/${GAME}/experiments/${DIFFICULTY_EXPERIMENT}`;

	async function open(options: { width?: number } = {}): Promise<Tab> {
		ready();
		return openTab(browser, server.url, { ...options, timeout: 15_000 });
	}

	it("puts the recommendation first, highlights the guardrail regression and shows both effects with and without CUPED", async () => {
		const results = await json<ExperimentResults>(`${experimentPath}/results?metric=reached_level_3`);
		// The planted effect shows on the guardrail: hard completes fewer levels, significantly, so it is an alert.
		expect(results.alerts.length).toBeGreaterThan(0);
		expect(results.alerts[0]!).toMatchObject({ metric: "coin_rewards", variation: "hard" });
		expect(results.decision).not.toBeNull();
		expect(results.cuped.applied).toBe(true);

		await inTab(open(), async ({ page, problems }) => {
			await page.goto(`/?page=experiments&game=${GAME}&experiment=${DIFFICULTY_EXPERIMENT}`);
			await logIn(page, ownerEmail);
			const decision = page.locator("section.decision");
			await decision.waitFor();
			expect(await decision.getAttribute("data-action")).toBe(results.decision!.action);
			expect(await decision.locator("p").first().textContent()).toBe(results.decision!.message);
			const alerts = decision.locator(".guardrail-alerts li");
			expect(await alerts.count()).toBe(results.alerts.length);
			const guardrail = results.guardrails.find((g) => g.metric.key === "coin_rewards")!.metric;
			expect(await alerts.first().textContent()).toBe(alertText(results.alerts[0]!, guardrail));
			// The decision sits above every metric's section.
			expect(
				await page.evaluate(
					`document.querySelector("section.decision").compareDocumentPosition(document.querySelector(".metric-results")) & 4`,
				),
			).toBe(4);

			// Absolute and relative side by side, CUPED-adjusted, then the same without CUPED; the variance it removed.
			const primary = page.locator('.metric-results[data-metric="reached_level_3"]');
			const hard = results.comparisons[0]!;
			const adjusted = primary.locator('.effects-table tr[data-variation="hard"]:not([data-unadjusted])');
			await adjusted.waitFor();
			const cell = (row: typeof adjusted, i: number) => row.locator("td").nth(i).locator("span").first().textContent();
			expect(await cell(adjusted, 0)).toBe(formatEffect(hard.absolute.effect, "absolute", true));
			expect(await cell(adjusted, 1)).toBe(formatEffect(hard.relative.effect, "relative", true));
			expect(await adjusted.locator("td").nth(2).textContent()).toBe(formatPValue(hard.absolute.pValue));
			const raw = primary.locator('.effects-table tr[data-variation="hard"][data-unadjusted]');
			expect(await cell(raw, 0)).toBe(formatEffect(hard.cuped!.unadjusted.absolute.effect, "absolute", true));
			expect(await cell(raw, 1)).toBe(formatEffect(hard.cuped!.unadjusted.relative.effect, "relative", true));
			const note = primary.locator(".cuped-note");
			expect(await note.getAttribute("data-cuped")).toBe("applied");
			const removed = new Intl.NumberFormat("en-US", {
				style: "percent",
				minimumFractionDigits: 1,
				maximumFractionDigits: 1,
			}).format(results.cuped.varianceReduction!);
			expect(await note.textContent()).toContain(`removed ${removed} of the variance`);
			// The plan: the target effect with the power to detect it now, and a peek before the planned end, warned of.
			expect(await primary.locator(".plan-note").textContent()).toBe(planText(results));
			const codes = new Set([...results.warnings.map((w) => w.code), ...hard.frequentist.warnings.map((w) => w.code)]);
			for (const code of ["peeking", "underpowered"]) {
				expect(codes.has(code), code).toBe(true);
				expect(await primary.locator(`.warnings li[data-code="${code}"]`).count(), code).toBe(1);
			}
			// The guardrail's own section marks the harm.
			const coins = page.locator('.metric-results[data-metric="coin_rewards"]');
			await coins.locator('.effects-table tr.regression[data-variation="hard"]').waitFor();
			expect(await accessibilityViolations(page)).toEqual([]);
			await saveScreenshot(page, "experiment-decision.png", { fullPage: true });

			// CUPED off: the raw comparison only, as the API computes it with cuped=false.
			const plain = await json<ExperimentResults>(`${experimentPath}/results?metric=reached_level_3&cuped=false`);
			await page.getByLabel("CUPED: adjust for each player's behaviour before exposure").uncheck();
			await expect.poll(() => primary.locator(".cuped-note").getAttribute("data-cuped")).toBe("off");
			expect(await primary.locator(".effects-table tr[data-unadjusted]").count()).toBe(0);
			expect(await cell(primary.locator('.effects-table tr[data-variation="hard"]'), 0)).toBe(
				formatEffect(plain.comparisons[0]!.absolute.effect, "absolute", true),
			);
			expect(problems).toEqual([]);
		});
	});

	it("breaks the results down by platform with corrected p-values and small-cell warnings", async () => {
		const breakdown = await json<BreakdownResults>(
			`${experimentPath}/breakdown?metric=coin_rewards&dimension=platform&difference=relative`,
		);
		expect(breakdown.cells.length).toBeGreaterThan(1);
		await inTab(open(), async ({ page, problems }) => {
			await page.goto(`/?page=experiments&game=${GAME}&experiment=${DIFFICULTY_EXPERIMENT}`);
			await logIn(page, ownerEmail);
			await page.locator("section.breakdown").waitFor();
			await page.locator("#breakdown-metric").selectOption("coin_rewards");
			await page.locator("#breakdown-dimension").selectOption("platform");
			const rows = page.locator(".breakdown-table tbody tr");
			await rows.first().waitFor();
			const comparisons = breakdown.cells.reduce((a, c) => a + c.comparisons.length, 0);
			expect(await rows.count()).toBe(comparisons);
			for (const [i, c] of breakdown.cells.entries()) {
				const row = rows.nth(i);
				if (c.kind === "value") expect(await row.locator("th").textContent()).toBe(c.value);
				expect(await row.locator("td").nth(4).textContent()).toBe(formatPValue(c.comparisons[0]!.adjustedPValue));
				// A small cell says so on its row.
				const small = c.warnings.find((w) => w.code === "small-cell");
				if (small) expect(await row.locator("td").nth(5).textContent()).toContain(small.message);
			}
			expect(await page.locator("section.breakdown .hint").textContent()).toContain(
				`across ${breakdown.correction.comparisons} cell comparisons`,
			);
			expect(await accessibilityViolations(page)).toEqual([]);
			await saveScreenshot(page, "experiment-breakdown.png", { fullPage: true });
			expect(problems).toEqual([]);
		});
	});

	it("creates an experiment on a ratio metric with a cap and a direction through the form", async () => {
		await inTab(open(), async ({ page, problems }) => {
			await page.goto(`/?page=experiments&game=${GAME}&action=new`);
			await logIn(page, ownerEmail);
			await page.locator("#key").fill("robux_per_session");
			await page.locator("#primary-key").fill("robux_per_session");
			await page.locator("#primary-type").selectOption("ratio");
			await page.locator("#primary-numerator-eventType").selectOption("purchase");
			await page.locator("#primary-numerator-valueProp").fill("robux");
			await page.locator("#primary-denominator-eventType").selectOption("session_start");
			await page.locator("#primary-capKind").selectOption("percentile");
			await page.locator("#primary-cap").fill("99");
			await page.locator("#primary-direction").selectOption("lower");
			expect(await accessibilityViolations(page)).toEqual([]);
			await saveScreenshot(page, "experiment-form-ratio.png", { fullPage: true });
			await page.getByRole("button", { name: "Create draft" }).click();
			await page.locator('tr[data-experiment="robux_per_session"]').waitFor();
			const saved = await json<{ primaryMetric: unknown }>(`/v1/admin/games/${GAME}/experiments/robux_per_session`);
			expect(saved.primaryMetric).toMatchObject({
				key: "robux_per_session",
				type: "ratio",
				numerator: { eventType: "purchase", valueProp: "robux" },
				denominator: { eventType: "session_start" },
				cap: { percentile: 0.99 },
				direction: "lower",
			});
			expect(problems).toEqual([]);
		});
	});

	it("warns on the overview of the running experiment's guardrail regression", async () => {
		const alerts = await json<ExperimentAlerts>(`/v1/admin/games/${GAME}/experiment-alerts`);
		expect(alerts.alerts.length).toBeGreaterThan(0);
		await inTab(open({ width: 375 }), async ({ page, problems }) => {
			await page.goto(`/?page=overview&game=${GAME}`);
			await logIn(page, ownerEmail);
			const notice = page.locator("section.guardrail-notice");
			await notice.waitFor();
			expect(await notice.locator("li").count()).toBe(alerts.alerts.length);
			expect(await notice.locator("li").first().textContent()).toBe(
				`${alerts.alerts[0]!.experiment}: ${alertText(alerts.alerts[0]!)}`,
			);
			await notice.getByRole("link", { name: DIFFICULTY_EXPERIMENT }).first().click();
			await page.locator("section.decision").waitFor();
			expect(await accessibilityViolations(page)).toEqual([]);
			expect(problems).toEqual([]);
		});
	});
});
