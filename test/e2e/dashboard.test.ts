// The dashboard in a real browser: Debian's Chromium driven by playwright-core against the real backend (started
// in-process on a temporary data directory, its dashboard freshly built), with six weeks of events ingested through
// the public ingest API. Logs in, renders the overview (uPlot canvases with pixels and axis labels), checks that no
// console error and no failed request happened, runs axe-core on the login page and the overview, and saves
// screenshots under .tmp/test-results/screenshots/. Without /usr/bin/chromium the suite fails (CI installs it).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.js";
import { createLogger } from "../../server/logger.js";
import { startServer, type RunningServer } from "../../server/server.js";
import { mulberry32 } from "../../server/stats/prng.js";
import { fetchAdminAuth, fetchGameAuth, provisionAdmin, provisionGameKey } from "../../server/testing/provision.js";
import { TEST_PASSWORD } from "../../server/testing/test-app.js";

const CHROMIUM = "/usr/bin/chromium";
const ROOT = join(import.meta.dirname, "..", "..");
const SCREENSHOTS = join(ROOT, ".tmp", "test-results", "screenshots");
const GAME = "4242";
/** A game with a key but no event yet. */
const EMPTY_GAME = "9999";
const DAY = 86_400_000;
const HISTORY_DAYS = 42;
const HISTORY_PLAYERS = 120;

/** One ingested event, as the SDK sends it. */
interface WireEvent {
	id: string;
	time: number;
	userId: number;
	sessionId: string;
	type: string;
	name: string;
	props: Record<string, string | number | boolean | null>;
}

/**
 * Six weeks of a small game, so the default 30 days have a period before them to compare with: 120 players, each
 * playing on some days after their install (fewer as days pass), one or two sessions a day of 2-30 minutes, a few
 * purchases. About 5,000 events.
 */
function history(now: number): WireEvent[] {
	const rng = mulberry32(11);
	const platforms = ["desktop", "phone", "tablet", "console"];
	const events: WireEvent[] = [];
	const today = Math.floor(now / DAY) * DAY;
	let seq = 0;
	const push = (e: Omit<WireEvent, "id">) => {
		seq += 1;
		events.push({ ...e, id: `e${String(e.time).padStart(14, "0")}${String(seq).padStart(6, "0")}` });
	};
	for (let player = 1; player <= HISTORY_PLAYERS; player++) {
		const installDay = Math.floor(rng() * HISTORY_DAYS);
		const platform = platforms[Math.floor(rng() * platforms.length)]!;
		for (let day = installDay; day < HISTORY_DAYS; day++) {
			const age = day - installDay;
			if (age > 0 && rng() > 0.55 - age * 0.02) continue;
			const sessions = rng() < 0.3 ? 2 : 1;
			for (let s = 0; s < sessions; s++) {
				const start = today - (HISTORY_DAYS - 1 - day) * DAY + Math.floor((1 + rng() * 20) * 3_600_000);
				if (start + 60_000 > now) continue;
				const seconds = Math.floor(120 + rng() * 1700);
				const sessionId = `s${player}-${day}-${s}`;
				const attrs = { device: platform, country: rng() < 0.5 ? "US" : "DE" };
				push({ time: start, userId: player, sessionId, type: "session_start", name: "player", props: attrs });
				push({
					time: start + 30_000,
					userId: player,
					sessionId,
					type: "custom",
					name: "level_up",
					props: { level: 1 + age },
				});
				if (rng() < 0.08) {
					const robux = [25, 49, 99, 199][Math.floor(rng() * 4)]!;
					push({
						time: start + 45_000,
						userId: player,
						sessionId,
						type: "purchase",
						name: "developer_product",
						props: { productId: 1000 + (robux % 7), robux },
					});
				}
				const end = Math.min(start + seconds * 1000, now - 1000);
				push({
					time: end,
					userId: player,
					sessionId,
					type: "session_end",
					name: "player",
					props: { ...attrs, duration: Math.round((end - start) / 1000) },
				});
			}
		}
	}
	return events;
}

/** Posts events through the public ingest API in gzip batches, as game servers do. */
async function ingest(baseUrl: string, auth: string, events: WireEvent[]): Promise<void> {
	for (let i = 0; i < events.length; i += 1000) {
		const batch = {
			batchId: `b-${i}`,
			sentAt: Date.now(),
			sdk: { name: "vantage-roblox", version: "0.1.0" },
			events: events.slice(i, i + 1000),
		};
		const res = await fetch(`${baseUrl}/v1/batches`, {
			method: "POST",
			headers: { Authorization: auth, "Content-Type": "application/json", "Content-Encoding": "gzip" },
			body: gzipSync(JSON.stringify(batch)),
		});
		expect(res.status).toBe(200);
		expect(((await res.json()) as { rejected: unknown[] }).rejected).toEqual([]);
	}
}

/** Waits until the warehouse has folded every stored batch (metrics read rollups). */
async function waitForRollups(baseUrl: string, adminAuth: string): Promise<void> {
	const deadline = Date.now() + 30_000;
	for (;;) {
		const res = await fetch(`${baseUrl}/v1/admin/warehouse`, { headers: { Authorization: adminAuth } });
		const status = (await res.json()) as { pendingBatches: number; rebuilding: number };
		if (status.pendingBatches === 0 && status.rebuilding === 0) return;
		if (Date.now() > deadline) throw new Error(`rollups not ready: ${JSON.stringify(status)}`);
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
}

/** What went wrong in a page: console errors, uncaught exceptions, failed and refused requests. */
function watch(page: Page): { problems: string[] } {
	const problems: string[] = [];
	page.on("console", (message) => {
		if (message.type() === "error") problems.push(`console: ${message.text()}`);
	});
	page.on("pageerror", (error) => problems.push(`exception: ${error.message}`));
	page.on("requestfailed", (request) => {
		// A download link's request is handed to the download manager, which Chromium reports as aborted.
		if (request.failure()?.errorText !== "net::ERR_ABORTED") {
			problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
		}
	});
	page.on("response", (response) => {
		if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
	});
	return { problems };
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** axe-core's serious and critical violations on the page as it is now (WCAG 2.x A and AA rules). */
async function accessibilityViolations(page: Page): Promise<string[]> {
	// Injected through the DevTools protocol, which the page's CSP does not govern.
	await page.evaluate(AXE_SOURCE);
	const result = (await page.evaluate(
		`axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } })`,
	)) as { violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] };
	return result.violations
		.filter((v) => v.impact === "serious" || v.impact === "critical")
		.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

/** For every canvas on the page, how many pixels are not transparent (uPlot drew something). */
function canvasInk(page: Page): Promise<number[]> {
	return page.evaluate(`[...document.querySelectorAll(".chart canvas")].map((canvas) => {
		const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
		let ink = 0;
		for (let i = 3; i < data.length; i += 4) if (data[i] > 0) ink++;
		return ink;
	})`);
}

async function logIn(page: Page, email: string, password: string): Promise<void> {
	await page.getByLabel("Email").fill(email);
	await page.getByLabel("Password").fill(password);
	await page.getByRole("button", { name: "Sign in" }).click();
}

describe("the dashboard in Chromium", () => {
	let server: RunningServer;
	let dataDir: string;
	let browser: Browser;
	let owner: string;

	// A setup failure (above all a missing Chromium, which CI installs) is kept and thrown by every test: vitest would
	// report a failed beforeAll as skipped tests, and this suite must fail, never skip.
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
	}, 120_000);

	async function setUp(): Promise<void> {
		if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get install -y chromium`);
		mkdirSync(SCREENSHOTS, { recursive: true });
		// The bundle from the sources as they are now (the server reads dashboard/dist when it starts).
		execFileSync(process.execPath, [join(ROOT, "dashboard", "build.mjs")], { stdio: "pipe" });

		dataDir = mkdtempSync(join(tmpdir(), "vantage-dashboard-"));
		server = await startServer(loadConfig({ PORT: "0", HOST: "127.0.0.1", VANTAGE_DATA_DIR: dataDir }), {
			logger: createLogger({ level: "error" }),
		});
		const gameKey = await provisionGameKey(dataDir, GAME);
		await provisionGameKey(dataDir, EMPTY_GAME);
		owner = await provisionAdmin(dataDir, "owner");
		await ingest(server.url, await fetchGameAuth(server.url, gameKey), history(Date.now()));
		await waitForRollups(server.url, await fetchAdminAuth(server.url, owner));

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
		if (dataDir) rmSync(dataDir, { recursive: true, force: true });
	});

	async function open(options: { width?: number; colorScheme?: "light" | "dark" } = {}): Promise<{
		context: BrowserContext;
		page: Page;
		problems: string[];
	}> {
		ready();
		const context = await browser.newContext({
			baseURL: server.url,
			viewport: { width: options.width ?? 1280, height: 900 },
			colorScheme: options.colorScheme ?? "light",
			acceptDownloads: true,
		});
		// Well under the test's own timeout, so a page stuck on an error fails with a locator message.
		context.setDefaultTimeout(10_000);
		const page = await context.newPage();
		return { context, page, ...watch(page) };
	}

	it("refuses a wrong password and stays on the login form", async () => {
		const { context, page } = await open();
		try {
			await page.goto("/");
			expect(new URL(page.url()).pathname).toBe("/login");
			await logIn(page, owner, `${TEST_PASSWORD}-wrong`);
			await expect.poll(() => page.getByRole("alert").textContent()).toContain("The email or password is wrong.");
			expect(new URL(page.url()).pathname).toBe("/login");
			expect((await context.cookies()).map((c) => c.name)).not.toContain("vantage_session");
			await page.screenshot({ path: join(SCREENSHOTS, "login-refused.png") });
		} finally {
			await context.close();
		}
	});

	it("logs in and renders the overview: six KPI cards, charts with axis labels, no errors", async () => {
		const { context, page, problems } = await open();
		// Bytes on the wire (bodies as sent, gzipped where the server compresses) from the first request on.
		const sizes: Promise<number>[] = [];
		page.on("requestfinished", (request) => sizes.push(request.sizes().then((s) => s.responseBodySize)));
		try {
			await page.goto("/");
			expect(await accessibilityViolations(page)).toEqual([]);
			await page.screenshot({ path: join(SCREENSHOTS, "login.png") });
			await logIn(page, owner, TEST_PASSWORD);
			await page.locator(".kpi").nth(5).waitFor();
			await page.locator(".chart-main canvas").waitFor();
			// First load: login page, stylesheet, login, shell, script and the overview's API answers.
			const firstLoad = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
			console.log(`dashboard first load: ${firstLoad} bytes in ${sizes.length} responses`);
			expect(firstLoad).toBeLessThan(300_000);
			// The game was picked and written into the URL: the view is a link.
			expect(new URL(page.url()).searchParams.get("game")).toBe(GAME);

			const cards = await page
				.locator(".kpi")
				.evaluateAll((nodes) =>
					nodes.map((node) => [node.getAttribute("data-kpi"), node.querySelector(".kpi-value")?.textContent]),
				);
			expect(cards.map(([key]) => key)).toEqual([
				"dau",
				"newPlayers",
				"revenue",
				"arpdau",
				"sessionSeconds",
				"concurrent",
			]);
			for (const [key, value] of cards) expect(value, String(key)).toMatch(/\d/);
			// Six weeks of history: the 30 days have a previous period, and the change against it is shown.
			expect(await page.locator('[data-kpi="dau"] .kpi-change').textContent()).toMatch(
				/[+−]\d+(\.\d)?% vs the previous 30 days/,
			);

			// Every uPlot canvas (six sparklines and the main chart) has pixels drawn.
			const ink = await canvasInk(page);
			expect(ink).toHaveLength(7);
			for (const pixels of ink) expect(pixels).toBeGreaterThan(50);
			// The main chart's axes are labelled with dates and numbers, and its canvas is named for screen readers.
			const main = page.locator(".chart-main");
			expect(await main.getAttribute("data-x-ticks")).toMatch(/^[A-Z][a-z]{2} \d{1,2}(\|[A-Z][a-z]{2} \d{1,2})+$/);
			expect(await main.getAttribute("data-y-ticks")).toMatch(/\d/);
			expect(await main.locator(".u-wrap").getAttribute("aria-label")).toMatch(/^Daily active players, .+ latest \d/);
			await expect.poll(() => page.locator(".u-legend").first().textContent()).toContain("Daily active");

			expect(await accessibilityViolations(page)).toEqual([]);
			await page.screenshot({ path: join(SCREENSHOTS, "overview-light.png"), fullPage: true });

			// Dark theme by the toggle: the page and the charts follow.
			await page.getByLabel("Theme").selectOption("dark");
			await expect.poll(() => page.evaluate("document.documentElement.dataset.theme")).toBe("dark");
			expect(await page.evaluate("getComputedStyle(document.body).backgroundColor")).toBe("rgb(15, 20, 25)");
			await page.locator(".chart-main canvas").waitFor();
			expect(await accessibilityViolations(page)).toEqual([]);
			await page.screenshot({ path: join(SCREENSHOTS, "overview-dark.png"), fullPage: true });

			expect(problems).toEqual([]);
		} finally {
			await context.close();
		}
	});

	it("keeps the view in the URL: a breakdown picked by keyboard survives a reload and a shared link", async () => {
		const { context, page, problems } = await open();
		try {
			await page.goto(`/?game=${GAME}&range=14d`);
			await logIn(page, owner, TEST_PASSWORD);
			await page.locator(".chart-main canvas").waitFor();
			expect(new URL(page.url()).searchParams.get("range")).toBe("14d");

			// Keyboard only: focus the breakdown select and choose Platform.
			const breakdown = page.getByLabel("Breakdown");
			await breakdown.focus();
			await breakdown.selectOption("platform");
			await expect.poll(() => new URL(page.url()).searchParams.get("breakdown")).toBe("platform");
			await expect.poll(() => page.locator("#main-chart-title").textContent()).toBe("Daily active players by platform");
			await page.reload();
			await page.locator(".chart-main canvas").waitFor();
			expect(await page.getByLabel("Breakdown").inputValue()).toBe("platform");
			const legend = (await page.locator(".chart-main .u-legend").textContent()) ?? "";
			expect(legend).toMatch(/desktop|phone|tablet|console/);

			// The skip link is the first stop of the keyboard and lands on the content.
			await page.keyboard.press("Tab");
			expect(await page.evaluate("document.activeElement.textContent")).toBe("Skip to content");
			await page.keyboard.press("Enter");
			expect(await page.evaluate("document.activeElement.id")).toBe("main");
			expect(problems).toEqual([]);
		} finally {
			await context.close();
		}
	});

	it("downloads a chart's data as CSV, and tells what to do for a game without players", async () => {
		const { context, page, problems } = await open();
		try {
			await page.goto("/");
			await logIn(page, owner, TEST_PASSWORD);
			await page.locator(".chart-main canvas").waitFor();
			const [download] = await Promise.all([
				page.waitForEvent("download"),
				page.getByRole("link", { name: "Download the data of the daily active players chart as CSV" }).click(),
			]);
			const rows = readFileSync(await download.path(), "utf8")
				.trim()
				.split(/\r?\n/);
			expect(rows[0]).toBe("segment,date,dau,newPlayers,returningPlayers,wau,mau,stickiness");
			expect(rows).toHaveLength(31); // the header and the 30 days of the default range

			// The game picker lists both games; the one without events explains how to send some.
			await page.getByLabel("Game", { exact: true }).selectOption(EMPTY_GAME);
			await expect.poll(() => page.locator(".state-empty h2").textContent()).toBe("No players in this date range");
			expect(await page.locator(".state-empty").textContent()).toContain(
				"No sessions yet for game 9999: call Vantage.start",
			);
			expect(new URL(page.url()).searchParams.get("game")).toBe(EMPTY_GAME);
			expect(await accessibilityViolations(page)).toEqual([]);
			await page.screenshot({ path: join(SCREENSHOTS, "overview-empty.png"), fullPage: true });
			expect(problems).toEqual([]);
		} finally {
			await context.close();
		}
	});

	it("reads well on a 375 px phone in dark mode", async () => {
		const { context, page, problems } = await open({ width: 375, colorScheme: "dark" });
		try {
			await page.goto("/");
			await logIn(page, owner, TEST_PASSWORD);
			await page.locator(".chart-main canvas").waitFor();
			// Nothing wider than the screen: no sideways scrolling of the page.
			expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(375);
			expect(await accessibilityViolations(page)).toEqual([]);
			await page.screenshot({ path: join(SCREENSHOTS, "overview-phone-dark.png"), fullPage: true });
			expect(problems).toEqual([]);
		} finally {
			await context.close();
		}
	});

	it("signs out: the session ends and the dashboard asks for the login again", async () => {
		const { context, page, problems } = await open();
		try {
			await page.goto("/");
			await logIn(page, owner, TEST_PASSWORD);
			await page.locator(".kpi").first().waitFor();
			await page.getByRole("button", { name: "Sign out" }).click();
			await expect.poll(() => page.getByRole("status").textContent()).toContain("You are signed out.");
			expect((await context.cookies()).map((c) => c.name)).not.toContain("vantage_session");
			await page.goto("/");
			expect(new URL(page.url()).pathname).toBe("/login");
			expect(problems).toEqual([]);
		} finally {
			await context.close();
		}
	});
});
