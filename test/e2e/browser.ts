// What the dashboard's real-browser suites share: Debian's Chromium driven by playwright-core (a clear error when it is
// missing: CI installs it), the dashboard bundle built from the sources as they are now, a tab that records what went
// wrong (console errors, exceptions, failed and refused requests, with an allow-list for refusals a test provokes),
// logging in, axe-core's serious and critical violations, canvas ink and axis labels of uPlot charts, screenshots under
// .tmp/test-results/screenshots/, and a setup that fails every test rather than skipping them.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from "playwright-core";
import { beforeAll, expect } from "vitest";
import { TEST_PASSWORD } from "../../server/testing/test-app.js";
import { repoRoot } from "./sdk-build.js";

export const CHROMIUM = "/usr/bin/chromium";
export const SCREENSHOTS = join(repoRoot, ".tmp", "test-results", "screenshots");

/**
 * Runs `setUp` in a beforeAll and returns `ready`, which every test calls first: it throws the setup's failure (above
 * all a missing Chromium). vitest would report a failed beforeAll as skipped tests, and these suites must fail, never
 * skip.
 */
export function setUpOrFailEveryTest(setUp: () => Promise<void>, timeout: number): () => void {
	let setupError: unknown;
	beforeAll(async () => {
		try {
			await setUp();
		} catch (error) {
			setupError = error;
		}
	}, timeout);
	return () => {
		if (setupError !== undefined) throw setupError;
	};
}

function requireChromium(): void {
	if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get install -y chromium`);
}

/**
 * Fails at once without Chromium and makes the screenshot folder. The dashboard bundle is built from the sources as they
 * are now once per test run, before any suite (test/global-services.ts): a build per suite would empty dashboard/dist
 * while another suite's backend, running at the same time, reads it at its start (it would then serve no dashboard).
 */
export function prepareDashboard(): void {
	requireChromium();
	mkdirSync(SCREENSHOTS, { recursive: true });
}

/** Headless Chromium, without the sandbox, the GPU, QUIC and Chromium's own background traffic. */
export function launchChromium(): Promise<Browser> {
	requireChromium();
	return chromium.launch({
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

/** A request a test refuses on purpose: recorded, not counted as a problem. */
export type Refusal = { method: string; path: string; status: number };

/** What went wrong in a page: console errors, uncaught exceptions, failed requests (refusals expected aside). */
export function watch(page: Page, expected: Refusal[] = []): { problems: string[]; refused: Refusal[] } {
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
		// A download link's request is handed to the download manager, and a closed EventSource (filter changed, page
		// left) is cancelled: Chromium reports both as aborted.
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

export interface TabOptions {
	width?: number;
	colorScheme?: "light" | "dark";
	acceptDownloads?: boolean;
	/** Playwright's default timeout: well under the test's own, so a page stuck on an error fails with a locator message. */
	timeout: number;
	/** Refusals the test provokes. */
	expected?: Refusal[];
}

export interface Tab {
	context: BrowserContext;
	page: Page;
	problems: string[];
	refused: Refusal[];
}

/** A fresh context (900 px high) on `baseURL` with one watched page. */
export async function openTab(browser: Browser, baseURL: string, options: TabOptions): Promise<Tab> {
	const context = await browser.newContext({
		baseURL,
		viewport: { width: options.width ?? 1280, height: 900 },
		colorScheme: options.colorScheme ?? "light",
		...(options.acceptDownloads === undefined ? {} : { acceptDownloads: options.acceptDownloads }),
	});
	context.setDefaultTimeout(options.timeout);
	const page = await context.newPage();
	return { context, page, ...watch(page, options.expected) };
}

/** Runs `test` in the tab, then closes the tab's context whatever happened. */
export async function inTab<T extends Tab>(tab: Promise<T>, test: (tab: T) => Promise<void>): Promise<void> {
	const opened = await tab;
	try {
		await test(opened);
	} finally {
		await opened.context.close();
	}
}

export async function logIn(page: Page, email: string, password = TEST_PASSWORD): Promise<void> {
	await page.getByLabel("Email").fill(email);
	await page.getByLabel("Password").fill(password);
	await page.getByRole("button", { name: "Sign in" }).click();
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** axe-core's serious and critical violations on the page as it is now (WCAG 2.x A and AA rules). */
export async function accessibilityViolations(page: Page): Promise<string[]> {
	// Injected through the DevTools protocol, which the page's CSP does not govern.
	await page.evaluate(AXE_SOURCE);
	const result = (await page.evaluate(
		`axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } })`,
	)) as { violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] };
	return result.violations
		.filter((v) => v.impact === "serious" || v.impact === "critical")
		.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

/** For every canvas `selector` matches, how many pixels are not transparent (uPlot drew something). */
export function canvasInk(page: Page, selector = ".chart canvas"): Promise<number[]> {
	return page.evaluate(`[...document.querySelectorAll(${JSON.stringify(selector)})].map((canvas) => {
		const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
		let ink = 0;
		for (let i = 3; i < data.length; i += 4) if (data[i] > 0) ink++;
		return ink;
	})`);
}

/** Every canvas drew more than 50 pixels. */
export function expectInk(ink: number[]): void {
	for (const pixels of ink) expect(pixels).toBeGreaterThan(50);
}

/** A uPlot chart's axes are labelled (its data-x-ticks and data-y-ticks) and its canvas is named for screen readers. */
export async function expectAxisLabels(
	chart: Locator,
	labels: { x: RegExp; y: RegExp; ariaLabel: RegExp },
	message?: string,
): Promise<void> {
	const say = (axis: string) => (message === undefined ? undefined : `${message} ${axis}`);
	expect(await chart.getAttribute("data-x-ticks"), say("x")).toMatch(labels.x);
	expect(await chart.getAttribute("data-y-ticks"), say("y")).toMatch(labels.y);
	expect(await chart.locator(".u-wrap").getAttribute("aria-label")).toMatch(labels.ariaLabel);
}

/** Saves a screenshot of the page under .tmp/test-results/screenshots/. */
export async function saveScreenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
	await page.screenshot({ path: join(SCREENSHOTS, name), ...options });
}
