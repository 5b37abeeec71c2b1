// The dashboard in a real browser: Debian's Chromium driven by playwright-core against the real backend (started
// in-process on a temporary data directory, its dashboard freshly built), with six weeks of events ingested through
// the public ingest API. Logs in, renders the overview (uPlot canvases with pixels and axis labels), checks that no
// console error and no failed request happened, runs axe-core on the login page and the overview, and saves
// screenshots under .tmp/test-results/screenshots/. Without /usr/bin/chromium the suite fails (CI installs it).
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import type { Browser } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { LATEST_SDK_VERSION } from "../../server/ingest/sdk-versions.js";
import { mulberry32 } from "../../server/stats/prng.js";
import { fetchAdminAuth, fetchGameAuth, provisionAdmin, provisionGameKey } from "../../server/testing/provision.js";
import { TEST_PASSWORD } from "../../server/testing/test-app.js";
import { startTestBackend, waitForRollups, type TestBackend, type WireEvent } from "./backend.js";
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

const GAME = "4242";
/** A game with a key but no event yet. */
const EMPTY_GAME = "9999";
/** A game whose server sends batches from an SDK older than the backend's (the version check's notice). */
const OLD_SDK_GAME = "7777";
const DAY = 86_400_000;
const HISTORY_DAYS = 42;
const HISTORY_PLAYERS = 120;

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

/** Posts events through the public ingest API in gzip batches, as game servers do (the SDK's version by default). */
async function ingest(
	baseUrl: string,
	auth: string,
	events: WireEvent[],
	sdkVersion = LATEST_SDK_VERSION,
): Promise<void> {
	for (let i = 0; i < events.length; i += 1000) {
		const batch = {
			batchId: `b-${i}`,
			sentAt: Date.now(),
			sdk: { name: "vantage-roblox", version: sdkVersion },
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

describe("the dashboard in Chromium", () => {
	let server: TestBackend;
	let browser: Browser;
	let owner: string;

	const ready = setUpOrFailEveryTest(async () => {
		prepareDashboard();
		server = await startTestBackend(GAME);
		await provisionGameKey(server.dataDir, EMPTY_GAME);
		owner = await provisionAdmin(server.dataDir, "owner");
		await ingest(server.url, await fetchGameAuth(server.url, server.gameKey), history(Date.now()));
		const oldSdkKey = await provisionGameKey(server.dataDir, OLD_SDK_GAME);
		const session = { userId: 1, sessionId: "s-old", type: "session_start", name: "player", props: {} };
		await ingest(
			server.url,
			await fetchGameAuth(server.url, oldSdkKey),
			[{ ...session, id: "e-old-1", time: Date.now() - 60_000 }],
			"0.0.9",
		);
		await waitForRollups(server.url, await fetchAdminAuth(server.url, owner));
		browser = await launchChromium();
	}, 120_000);

	afterAll(async () => {
		await browser?.close();
		await server?.close();
	});

	async function open(options: { width?: number; colorScheme?: "light" | "dark" } = {}): Promise<Tab> {
		ready();
		return openTab(browser, server.url, { ...options, acceptDownloads: true, timeout: 10_000 });
	}

	it("refuses a wrong password and stays on the login form", async () => {
		await inTab(open(), async ({ context, page }) => {
			await page.goto("/");
			expect(new URL(page.url()).pathname).toBe("/login");
			await logIn(page, owner, `${TEST_PASSWORD}-wrong`);
			await expect.poll(() => page.getByRole("alert").textContent()).toContain("The email or password is wrong.");
			expect(new URL(page.url()).pathname).toBe("/login");
			expect((await context.cookies()).map((c) => c.name)).not.toContain("vantage_session");
			await saveScreenshot(page, "login-refused.png");
		});
	});

	it("logs in and renders the overview: six KPI cards, charts with axis labels, no errors", async () => {
		await inTab(open(), async ({ page, problems }) => {
			// Bytes on the wire (bodies as sent, gzipped where the server compresses) from the first request on.
			const sizes: Promise<number>[] = [];
			page.on("requestfinished", (request) => sizes.push(request.sizes().then((s) => s.responseBodySize)));
			await page.goto("/");
			expect(await accessibilityViolations(page)).toEqual([]);
			await saveScreenshot(page, "login.png");
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
			// Its servers run the latest SDK: no update notice.
			expect(await page.locator(".sdk-notice").count()).toBe(0);
			// Six weeks of history: the 30 days have a previous period, and the change against it is shown.
			expect(await page.locator('[data-kpi="dau"] .kpi-change').textContent()).toMatch(
				/[+−]\d+(\.\d)?% vs the previous 30 days/,
			);

			// Every uPlot canvas (six sparklines and the main chart) has pixels drawn.
			const ink = await canvasInk(page);
			expect(ink).toHaveLength(7);
			expectInk(ink);
			// The main chart's axes are labelled with dates and numbers, and its canvas is named for screen readers.
			await expectAxisLabels(page.locator(".chart-main"), {
				x: /^[A-Z][a-z]{2} \d{1,2}(\|[A-Z][a-z]{2} \d{1,2})+$/,
				y: /\d/,
				ariaLabel: /^Daily active players, .+ latest \d/,
			});
			await expect.poll(() => page.locator(".u-legend").first().textContent()).toContain("Daily active");

			expect(await accessibilityViolations(page)).toEqual([]);
			await saveScreenshot(page, "overview-light.png", { fullPage: true });

			// Dark theme by the toggle: the page and the charts follow.
			await page.getByLabel("Theme").selectOption("dark");
			await expect.poll(() => page.evaluate("document.documentElement.dataset.theme")).toBe("dark");
			expect(await page.evaluate("getComputedStyle(document.body).backgroundColor")).toBe("rgb(15, 20, 25)");
			await page.locator(".chart-main canvas").waitFor();
			expect(await accessibilityViolations(page)).toEqual([]);
			await saveScreenshot(page, "overview-dark.png", { fullPage: true });

			expect(problems).toEqual([]);
		});
	});

	it("keeps the view in the URL: a breakdown picked by keyboard survives a reload and a shared link", async () => {
		await inTab(open(), async ({ page, problems }) => {
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
		});
	});

	it("downloads a chart's data as CSV, and tells what to do for a game without players", async () => {
		await inTab(open(), async ({ page, problems }) => {
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
			await saveScreenshot(page, "overview-empty.png", { fullPage: true });
			expect(problems).toEqual([]);
		});
	});

	it("tells on the overview that a game's servers run an outdated SDK", async () => {
		await inTab(open(), async ({ page, problems }) => {
			await page.goto(`/?game=${OLD_SDK_GAME}`);
			await logIn(page, owner, TEST_PASSWORD);
			const notice = page.getByRole("status", { name: "SDK update" });
			await expect.poll(() => notice.locator("h2").textContent()).toBe("Update the Vantage SDK");
			expect(await notice.textContent()).toContain(`run SDK 0.0.9; the latest is ${LATEST_SDK_VERSION}`);
			expect(await accessibilityViolations(page)).toEqual([]);
			await saveScreenshot(page, "overview-outdated-sdk.png", { fullPage: true });
			expect(problems).toEqual([]);
		});
	});

	it("reads well on a 375 px phone in dark mode", async () => {
		await inTab(open({ width: 375, colorScheme: "dark" }), async ({ page, problems }) => {
			await page.goto("/");
			await logIn(page, owner, TEST_PASSWORD);
			await page.locator(".chart-main canvas").waitFor();
			// Nothing wider than the screen: no sideways scrolling of the page.
			expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(375);
			expect(await accessibilityViolations(page)).toEqual([]);
			await saveScreenshot(page, "overview-phone-dark.png", { fullPage: true });
			expect(problems).toEqual([]);
		});
	});

	it("signs out: the session ends and the dashboard asks for the login again", async () => {
		await inTab(open(), async ({ context, page, problems }) => {
			await page.goto("/");
			await logIn(page, owner, TEST_PASSWORD);
			await page.locator(".kpi").first().waitFor();
			await page.getByRole("button", { name: "Sign out" }).click();
			await expect.poll(() => page.getByRole("status").textContent()).toContain("You are signed out.");
			expect((await context.cookies()).map((c) => c.name)).not.toContain("vantage_session");
			await page.goto("/");
			expect(new URL(page.url()).pathname).toBe("/login");
			expect(problems).toEqual([]);
		});
	});
});
