// The analytics pages in a real browser: Debian's Chromium driven by playwright-core against the real backend, filled
// the way users fill it — the example game's simulator (its real scripts and SDK in the harness) plays 200 daily
// players for 7 days with the demo experiment running. Every page (Retention, Funnels, Revenue, Economy, Progression,
// Trends & KPIs) must draw its charts with data (uPlot canvases with pixels and labelled axes; the retention heatmap's
// cells with numbers), offer each chart's data as a CSV that downloads, pass axe-core without serious or critical
// violations, log no console error and fail no request; the page options live in the URL and work from the keyboard;
// a 375 px phone in dark mode scrolls no page sideways; a game without events says on every page what to call.
// Screenshots go to .tmp/test-results/screenshots/. Without /usr/bin/chromium the suite fails (CI installs it).
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { fetchAdminAuth, provisionAdmin, provisionGameKey } from "../../server/testing/provision.js";
import { simulateDemoGame, startSimulatorBackend, type TestBackend } from "./backend.js";
import {
	accessibilityViolations,
	canvasInk,
	expectAxisLabels,
	expectInk,
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
/** A game with a key but no event yet. */
const EMPTY_GAME = "9999";
const DAYS = 7;

/** Each page: its id, and how many uPlot charts it draws with the simulator's data and no option changed. */
const PAGES = [
	{ id: "retention", charts: 1 },
	{ id: "funnels", charts: 1 },
	{ id: "revenue", charts: 4 },
	{ id: "economy", charts: 2 },
	{ id: "progression", charts: 2 },
	{ id: "trends", charts: 1 },
] as const;

/** Waits until the page has drawn `charts` charts and nothing is loading any more. */
async function rendered(page: Page, charts: number): Promise<void> {
	await expect.poll(() => page.locator("main .chart canvas").count(), { timeout: 20_000 }).toBe(charts);
	await expect.poll(() => page.locator("main .state-loading").count(), { timeout: 20_000 }).toBe(0);
}

describe("the analytics pages in Chromium, on the simulator's data", () => {
	let backend: TestBackend;
	let browser: Browser;
	let viewer: string;

	const ready = setUpOrFailEveryTest(async () => {
		prepareDashboard();
		backend = await startSimulatorBackend(GAME);
		await provisionGameKey(backend.dataDir, EMPTY_GAME);
		const owner = await fetchAdminAuth(backend.url, await provisionAdmin(backend.dataDir, "owner"));
		// The pages are for viewers: the browser signs in with the least role.
		viewer = await provisionAdmin(backend.dataDir, "viewer");
		await simulateDemoGame(backend, GAME, owner, { players: 200, days: DAYS, rollupTimeoutMs: 60_000 });
		browser = await launchChromium();
	}, 600_000);

	afterAll(async () => {
		await browser?.close();
		await backend?.close();
	});

	/** A signed-in tab on `path`. */
	async function open(path: string, options: { width?: number; colorScheme?: "light" | "dark" } = {}): Promise<Tab> {
		ready();
		const tab = await openTab(browser, backend.url, { ...options, acceptDownloads: true, timeout: 15_000 });
		await tab.page.goto(path);
		await logIn(tab.page, viewer);
		await tab.page.waitForURL((url) => url.pathname === "/");
		return tab;
	}

	/** Every CSV link of the main area answers 200 text/csv with a header row and data rows. */
	async function checkCsvLinks(context: BrowserContext, page: Page): Promise<number> {
		// Page code as source text: this file is type-checked without the DOM library.
		const hrefs = (await page.evaluate(
			`[...document.querySelectorAll("main a[download]")].map((a) => a.href)`,
		)) as string[];
		expect(hrefs.length).toBeGreaterThan(0);
		for (const href of new Set(hrefs)) {
			expect(new URL(href).searchParams.get("format"), href).toBe("csv");
			const res = await context.request.get(href);
			expect(res.status(), href).toBe(200);
			expect(res.headers()["content-type"], href).toBe("text/csv; charset=utf-8");
			const rows = (await res.text()).trim().split(/\r?\n/);
			expect(rows[0], href).toMatch(/^segment,/);
			expect(rows.length, href).toBeGreaterThan(1);
		}
		return hrefs.length;
	}

	for (const def of PAGES) {
		it(`${def.id}: reachable from the navigation, draws its data, offers its CSVs, passes axe`, async () => {
			await inTab(open(`/?game=${GAME}`), async ({ context, page, problems }) => {
				await page.locator(".kpi").first().waitFor();
				// From the overview through the navigation, as a user gets there.
				const label = (await page.locator(`nav a[href*="page=${def.id}"]`).textContent()) ?? "";
				await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: label }).click();
				await expect.poll(() => new URL(page.url()).searchParams.get("page")).toBe(def.id);
				expect(await page.locator("h1").textContent()).toBe(label);
				// The shared pickers apply to every analytics page.
				await page.getByLabel("Dates").waitFor();
				await page.getByLabel("Breakdown").waitFor();
				await rendered(page, def.charts);

				const ink = await canvasInk(page, "main .chart canvas");
				expect(ink).toHaveLength(def.charts);
				expectInk(ink);
				const charts = page.locator("main .chart");
				for (let i = 0; i < def.charts; i++) {
					// Labelled axes, and the canvas named for screen readers with what it shows.
					await expectAxisLabels(charts.nth(i), { x: /\w/, y: /\d/, ariaLabel: /\d/ }, `${def.id} chart ${i}`);
				}
				if (def.id === "retention") {
					const cells = await page.locator(".heat-table td.heat").allTextContents();
					expect(cells.filter((c) => /^\d+(\.\d)?%$/.test(c)).length).toBeGreaterThan(5);
					// Day 0 of every finished cohort is its install day: everyone played.
					expect(await page.locator(".heat-table tbody tr").nth(1).locator("td.heat").first().textContent()).toBe(
						"100%",
					);
				}
				if (def.id === "funnels") {
					// The simulated game's tracked funnel is chosen by itself, with its five steps.
					expect(await page.getByLabel("Funnel", { exact: true }).inputValue()).toBe("onboarding");
					expect(await page.locator("#funnel-steps tbody tr").count()).toBe(5);
				}
				if (def.id === "revenue") {
					expect(await page.locator("#revenue-products tbody tr").count()).toBeGreaterThan(0);
					expect(await page.locator(".stat").first().textContent()).toMatch(/Revenue\s*R\$ [\d,]+/);
				}
				if (def.id === "progression") {
					expect(await page.locator("#progression-levels tbody th").first().textContent()).toBe("World1:Level1");
				}
				const links = await checkCsvLinks(context, page);
				expect(links).toBeGreaterThanOrEqual(def.charts);

				expect(await accessibilityViolations(page)).toEqual([]);
				await saveScreenshot(page, `${def.id}.png`, { fullPage: true });
				expect(problems).toEqual([]);
			});
		});
	}

	it("retention: rolling mode and a day set chosen by keyboard live in the URL and survive a reload", async () => {
		await inTab(open(`/?page=retention&game=${GAME}`), async ({ page, problems }) => {
			await rendered(page, 1);
			const classic = await page.locator(".heat-table tbody tr").first().locator("td.heat").nth(1).textContent();
			await page.getByLabel("active that day or later (rolling)").focus();
			await page.keyboard.press("Space");
			await expect.poll(() => new URL(page.url()).searchParams.get("mode")).toBe("rolling");
			await page.getByLabel("Days after install").fill("0-3");
			await page.keyboard.press("Enter");
			await expect.poll(() => new URL(page.url()).searchParams.get("days")).toBe("0-3");
			await rendered(page, 1);
			await expect
				.poll(() => page.locator(".heat-table thead th").allTextContents())
				.toEqual(["Cohort", "Players", "Day 0", "Day 1", "Day 2", "Day 3"]);
			// Rolling counts a player on day 1 who came back on any later day: never fewer than classic.
			const rolling = await page.locator(".heat-table tbody tr").first().locator("td.heat").nth(1).textContent();
			expect(Number.parseFloat(rolling ?? "")).toBeGreaterThanOrEqual(Number.parseFloat(classic ?? ""));

			// A day set the API would refuse is explained at once, and nothing is asked.
			await page.getByLabel("Days after install").fill("0-999");
			await page.getByRole("button", { name: "Apply" }).click();
			expect(await page.getByRole("alert").textContent()).toContain("a range a-b needs a ≤ b ≤ 365");
			expect(new URL(page.url()).searchParams.get("days")).toBe("0-3");

			await page.reload();
			await rendered(page, 1);
			expect(await page.getByLabel("active that day or later (rolling)").isChecked()).toBe(true);
			expect(await page.getByLabel("Days after install").inputValue()).toBe("0-3");
			// The shell's pickers keep the page's options: a breakdown adds one curve per country.
			await page.getByLabel("Breakdown").selectOption("country");
			await expect.poll(() => new URL(page.url()).searchParams.get("breakdown")).toBe("country");
			await expect.poll(() => new URL(page.url()).searchParams.get("mode")).toBe("rolling");
			await rendered(page, 1);
			expect(await page.locator("#retention-curve .u-legend").textContent()).toContain("US");
			// The heatmap shows one country's cohorts, the largest first; picking another is kept in the URL.
			const country = page.getByLabel("Show country");
			expect(await country.inputValue()).toBe("US");
			await country.selectOption("BR");
			await expect.poll(() => new URL(page.url()).searchParams.get("segment")).toBe("BR");
			expect(problems).toEqual([]);
		});
	});

	it("funnels: builds a funnel from events in order, with its own window", async () => {
		await inTab(open(`/?page=funnels&game=${GAME}`), async ({ context, page, problems }) => {
			await rendered(page, 1);
			await page.getByLabel("Events in order").check();
			await page.getByLabel("Step 1", { exact: true }).selectOption("session_start:player");
			await page.getByLabel("Step 2", { exact: true }).selectOption("custom:shop_opened");
			await page.getByLabel("Window (days)").fill("3");
			await page.getByRole("button", { name: "Show funnel" }).click();
			await expect
				.poll(() => new URL(page.url()).searchParams.getAll("steps"))
				.toEqual(["session_start:player", "custom:shop_opened"]);
			expect(new URL(page.url()).searchParams.get("window")).toBe("3");
			await rendered(page, 1);
			const steps = await page.locator("#funnel-steps tbody th").allTextContents();
			expect(steps).toEqual(["1. session_start:player", "2. custom:shop_opened"]);
			const players = await page.locator("#funnel-steps tbody tr").first().locator("td").first().textContent();
			expect(Number((players ?? "").replace(/,/g, ""))).toBeGreaterThan(100);
			const csv = await page.getByRole("link", { name: "Download the data of the funnel chart and table as CSV" });
			const res = await context.request.get((await csv.getAttribute("href")) ?? "");
			expect((await res.text()).split(/\r?\n/)[0]).toBe(
				"segment,step,name,players,conversionRate,stepConversionRate,dropOff,medianSecondsFromPrevious,medianSecondsFromStart",
			);
			expect(problems).toEqual([]);
		});
	});

	it("trends & KPIs: adds an event to the trends and builds a KPI with a condition and a group", async () => {
		await inTab(open(`/?page=trends&game=${GAME}`), async ({ context, page, problems }) => {
			await rendered(page, 1);
			const before = await page.locator("#trends .chip").count();
			expect(before).toBe(3);
			await page.getByLabel("Event to add").selectOption("custom:shop_opened");
			await page.getByRole("button", { name: "Add to chart" }).click();
			await expect.poll(() => page.locator("#trends .chip").count()).toBe(4);
			await page.getByLabel("players").check();
			await expect.poll(() => new URL(page.url()).searchParams.get("measure")).toBe("users");

			await page.locator("#kpi-event").selectOption("economy:source:Coins");
			await page.locator("#kpi-measure").selectOption("sum");
			await page.getByRole("button", { name: "Show KPI" }).click();
			// A sum without its prop is explained before anything is asked.
			await expect.poll(() => page.getByRole("alert").textContent()).toBe("A sum needs the numeric prop to add up.");
			expect(new URL(page.url()).searchParams.get("kpiMeasure")).toBeNull();
			await page.locator("#kpi-property").fill("amount");
			await page.locator("#kpi-where").fill("amount>0");
			await page.getByRole("button", { name: "Add condition" }).click();
			await page.locator("#kpi-group").fill("itemType");
			await page.getByRole("button", { name: "Show KPI" }).click();
			await expect.poll(() => new URL(page.url()).searchParams.get("where")).toBe("amount>0");
			await rendered(page, 2);
			const totals = await page.locator("#kpi tbody tr").count();
			expect(totals).toBeGreaterThan(0);
			expectInk(await canvasInk(page, "main .chart canvas"));
			await checkCsvLinks(context, page);
			expect(await accessibilityViolations(page)).toEqual([]);
			await saveScreenshot(page, "trends-kpi.png", { fullPage: true });
			expect(problems).toEqual([]);
		});
	});

	it("reads well on a 375 px phone in dark mode: no page scrolls sideways", async () => {
		await inTab(open(`/?game=${GAME}`, { width: 375, colorScheme: "dark" }), async ({ page, problems }) => {
			await page.locator(".kpi").first().waitFor();
			for (const def of PAGES) {
				await page.goto(`/?page=${def.id}&game=${GAME}`);
				await rendered(page, def.charts);
				expect(await page.evaluate("document.documentElement.scrollWidth"), def.id).toBeLessThanOrEqual(375);
				expect(await accessibilityViolations(page), def.id).toEqual([]);
				await saveScreenshot(page, `${def.id}-phone-dark.png`, { fullPage: true });
			}
			expect(problems).toEqual([]);
		});
	});

	it("tells on every page of a game without events what to call", async () => {
		await inTab(open(`/?game=${EMPTY_GAME}`), async ({ page, problems }) => {
			const expected: Record<(typeof PAGES)[number]["id"], string> = {
				retention: "call Vantage.start",
				funnels: "No funnel step has arrived: call Vantage.funnelStep(player",
				revenue: "No purchases yet: call Vantage.purchase(receiptInfo) from MarketplaceService.ProcessReceipt",
				economy: "call Vantage.economy(player",
				progression: 'call Vantage.progression(player, "start"',
				trends: "Nothing has arrived from this game: call Vantage.start",
			};
			await page.locator(".state-empty").first().waitFor();
			for (const def of PAGES) {
				await page.goto(`/?page=${def.id}&game=${EMPTY_GAME}`);
				await expect.poll(() => page.locator("main .state-empty").count(), { timeout: 15_000 }).toBe(1);
				expect(await page.locator("main .state-empty").textContent(), def.id).toContain(expected[def.id]);
				expect(await accessibilityViolations(page), def.id).toEqual([]);
				await saveScreenshot(page, `${def.id}-empty.png`, { fullPage: true });
			}
			expect(problems).toEqual([]);
		});
	});
});
