// The Experiments and Flags pages in a real browser: Debian's Chromium driven by playwright-core against the real
// backend, filled by the simulator (the example game played by synthetic players through the real SDK, with the
// obby_difficulty experiment and its planted effect). Checks the list and the results page against the results API
// (numbers shown are the API's, none invented), creates an experiment through the form with its preview and power
// calculator, starts it, toggles and retargets a flag, and makes sure a viewer sees no write controls and is refused
// when writing anyway. No console error, no failed request but the refused one, no serious axe-core violation;
// screenshots go to .tmp/test-results/screenshots/. Without /usr/bin/chromium the suite fails (CI installs it).
import type { Browser } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { formatEffect } from "../../dashboard/src/pages/experiments-data.js";
import { DIFFICULTY_EXPERIMENT } from "../../example/simulator/setup.js";
import type { PlanResult } from "../../server/experiments/planning.js";
import type { ExperimentResults } from "../../server/experiments/results.js";
import { fetchAdminAuth, provisionAdmin } from "../../server/testing/provision.js";
import { simulateDemoGame, startSimulatorBackend, type TestBackend } from "./backend.js";
import {
	accessibilityViolations,
	canvasInk,
	expectInk,
	inTab,
	launchChromium,
	logIn,
	openTab,
	prepareDashboard,
	saveScreenshot,
	setUpOrFailEveryTest,
	type Refusal,
	type Tab,
} from "./browser.js";

const GAME = "1818";
const DAY = 86_400_000;
const DAYS = 5;

const integer = new Intl.NumberFormat("en-US");

describe("experiments and flags in Chromium", () => {
	let server: TestBackend;
	let browser: Browser;
	let ownerEmail: string;
	let analystEmail: string;
	let viewerEmail: string;
	let owner: string;

	const ready = setUpOrFailEveryTest(async () => {
		prepareDashboard();
		server = await startSimulatorBackend(GAME);
		ownerEmail = await provisionAdmin(server.dataDir, "owner");
		analystEmail = await provisionAdmin(server.dataDir, "analyst");
		viewerEmail = await provisionAdmin(server.dataDir, "viewer");
		owner = await fetchAdminAuth(server.url, ownerEmail);
		await simulateDemoGame(server, GAME, owner, { players: 200, days: DAYS, rollupTimeoutMs: 30_000 });
		browser = await launchChromium();
	}, 300_000);

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

	async function open(options: { width?: number; expected?: Refusal[] } = {}): Promise<Tab> {
		ready();
		return openTab(browser, server.url, { ...options, timeout: 15_000 });
	}

	it("lists obby_difficulty and shows its results as the API computes them: CI plots, table, warnings, trend", async () => {
		await inTab(open(), async ({ page, problems }) => {
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
			await saveScreenshot(page, "experiments-list.png", { fullPage: true });

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
			expectInk(await canvasInk(page));
			expect(await primary.locator(".chart").getAttribute("data-x-ticks")).toMatch(/[A-Z][a-z]{2} \d/);
			expect(await accessibilityViolations(page)).toEqual([]);
			await saveScreenshot(page, "experiment-results.png", { fullPage: true });

			// Absolute effects: percentage points for a rate.
			await page.getByLabel("Effect as").selectOption("absolute");
			await expect.poll(() => cells("hard").nth(2).textContent()).toMatch(/^[+−]\d+\.\d pp$/);
			// The view is a link: a reload opens the same results.
			await page.reload();
			await primary.locator("svg.ci-plot").waitFor();
			expect(problems).toEqual([]);
		});
	});

	it("creates an experiment through the form with its preview and power calculator, starts it and opens its results", async () => {
		const create = { method: "POST", path: `/v1/admin/games/${GAME}/experiments`, status: 409 };
		await inTab(open({ expected: [create] }), async ({ page, problems, refused }) => {
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
			await saveScreenshot(page, "experiment-form-errors.png", { fullPage: true });

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
			await saveScreenshot(page, "experiment-form-planned.png", { fullPage: true });

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
			await saveScreenshot(page, "experiment-new-results.png", { fullPage: true });
			expect(problems).toEqual([]);
		});
	});

	it("creates a flag, switches it on and off, and retargets it", async () => {
		await inTab(open(), async ({ page, problems }) => {
			const flag = async () =>
				(await (await api(`/v1/admin/games/${GAME}/flags/double_coins`)).json()) as {
					enabled: boolean;
					coverage: number;
					condition: unknown;
				};
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
			await saveScreenshot(page, "flags.png", { fullPage: true });

			await page.getByRole("switch", { name: "double_coins is on" }).click();
			await page.getByRole("switch", { name: "double_coins is off" }).waitFor();
			expect((await flag()).enabled).toBe(false);
			expect(problems).toEqual([]);
		});
	});

	it("shows a viewer everything read-only, and the API refuses the viewer's write", async () => {
		const path = `/v1/admin/games/${GAME}/experiments/${DIFFICULTY_EXPERIMENT}`;
		await inTab(
			open({ width: 375, expected: [{ method: "PATCH", path, status: 403 }] }),
			async ({ page, problems, refused }) => {
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
				await saveScreenshot(page, "experiment-results-viewer-phone.png", { fullPage: true });

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
			},
		);
	});

	it("says next to the Start button why a draft without a primary metric cannot start", async () => {
		const path = `/v1/admin/games/${GAME}/experiments/no_metric`;
		const created = await api(`/v1/admin/games/${GAME}/experiments`, {
			method: "POST",
			body: { key: "no_metric", variations: [{ key: "a" }, { key: "b" }] },
		});
		expect(created.status).toBe(201);
		try {
			await inTab(open({ expected: [{ method: "PATCH", path, status: 400 }] }), async ({ page, problems, refused }) => {
				await page.goto(`/?page=experiments&game=${GAME}`);
				await logIn(page, analystEmail);
				await page.getByRole("button", { name: "Start no_metric" }).click();
				await page.getByRole("button", { name: "Start experiment" }).click();
				const alert = page.locator('tr.confirm-row [role="alert"]');
				await expect.poll(() => alert.textContent()).toContain("cannot start without a primary metric");
				expect(refused).toEqual([{ method: "PATCH", path, status: 400 }]);
				expect(((await (await api(path)).json()) as { status: string }).status).toBe("draft");
				expect(await page.locator('tr[data-experiment="no_metric"] .badge').textContent()).toBe("Draft");
				expect(problems).toEqual([]);
			});
		} finally {
			await api(path, { method: "DELETE" });
		}
	});
});
