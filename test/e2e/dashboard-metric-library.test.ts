// The Metric library page in a real browser (Debian's Chromium via playwright-core, against the real backend): an
// analyst creates a metric through the form (a field error first, shown next to its field), saves a change as version
// 2, reads the history with version 1 still there, picks the metric in the experiment form, and archives it; a viewer
// reads the library without write controls. Everything the page shows is checked against the admin API. No console
// error, no failed request, no serious axe-core violation; screenshots go to .tmp/test-results/screenshots/.
// Without /usr/bin/chromium the suite fails (CI installs it).
import type { Browser } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { fetchAdminAuth, provisionAdmin } from "../../server/testing/provision.js";
import { startTestBackend, type TestBackend } from "./backend.js";
import {
	accessibilityViolations,
	inTab,
	launchChromium,
	logIn,
	openTab,
	prepareDashboard,
	saveScreenshot,
	setUpOrFailEveryTest,
} from "./browser.js";

const GAME = "7171";

describe("the metric library in Chromium", () => {
	let server: TestBackend;
	let browser: Browser;
	let analystEmail: string;
	let viewerEmail: string;
	let analyst: string;

	const ready = setUpOrFailEveryTest(async () => {
		prepareDashboard();
		server = await startTestBackend(GAME, {}, { shutdownGraceMs: 1000 });
		analystEmail = await provisionAdmin(server.dataDir, "analyst");
		viewerEmail = await provisionAdmin(server.dataDir, "viewer");
		analyst = await fetchAdminAuth(server.url, analystEmail);
		browser = await launchChromium();
	}, 120_000);

	afterAll(async () => {
		await browser?.close();
		await server?.close();
	});

	async function api<T>(path: string): Promise<T> {
		const res = await fetch(`${server.url}/v1/admin/games/${GAME}${path}`, { headers: { Authorization: analyst } });
		expect(res.status).toBe(200);
		return (await res.json()) as T;
	}

	it("creates, versions, shows the history of, picks and archives a library metric", async () => {
		ready();
		await inTab(openTab(browser, server.url, { timeout: 15_000 }), async ({ page, problems }) => {
			await page.goto(`/?page=experiments&game=${GAME}`);
			await logIn(page, analystEmail);
			// Reachable from the navigation.
			await page.getByRole("link", { name: "Metric library" }).click();
			await page.getByRole("heading", { name: "Metric library" }).waitFor();
			expect(new URL(page.url()).searchParams.get("page")).toBe("metric-library");
			await page.getByText("No metrics in the library yet").waitFor();

			// A new ratio metric: the missing denominator is the denominator field's problem.
			await page.getByRole("button", { name: "New metric" }).click();
			const form = page.getByRole("form", { name: "New metric" });
			await form.locator("#ml-key").fill("robux_per_session");
			await form.locator("#ml-name").fill("Robux per session");
			await form.locator("#ml-type").selectOption("ratio");
			await form.locator("#ml-role").selectOption("goal");
			await form.locator("#ml-denominator-eventType").selectOption("");
			await form.getByRole("button", { name: "Create metric" }).click();
			const denominatorEvent = form.locator("#ml-denominator-event");
			await expect.poll(() => denominatorEvent.getAttribute("aria-invalid")).toBe("true");
			expect(await form.locator("#ml-denominator-event-error").textContent()).toContain("Name an event");
			expect(await accessibilityViolations(page)).toEqual([]);

			await form.locator("#ml-denominator-eventType").selectOption("session_start");
			await form.locator("#ml-capMode").selectOption("percentile");
			await form.locator("#ml-cap").fill("99");
			await form.getByRole("button", { name: "Create metric" }).click();
			const row = page.locator('tr[data-metric="robux_per_session"]');
			await row.waitFor();
			const created = await api<{ version: number; role: string; definition: Record<string, unknown> }>(
				"/metric-library/robux_per_session",
			);
			expect(created).toMatchObject({ version: 1, role: "goal" });
			expect(created.definition).toEqual({
				key: "robux_per_session",
				type: "ratio",
				name: "Robux per session",
				numerator: { eventType: "purchase", valueProp: "robux" },
				denominator: { eventType: "session_start" },
				cap: { percentile: 0.99 },
			});
			expect(await row.textContent()).toContain("Ratio");
			expect(await row.locator("td.num").textContent()).toBe("v1");

			// A change is version 2; version 1 stays in the history.
			await row.getByRole("button", { name: "Edit robux_per_session" }).click();
			const edit = page.getByRole("form", { name: "Edit robux_per_session (now v1)" });
			await edit.locator("#ml-windowHours").fill("72");
			await edit.locator("#ml-role").selectOption("guardrail");
			await edit.getByRole("button", { name: "Save as a new version" }).click();
			await expect.poll(() => page.locator('tr[data-metric="robux_per_session"] td.num').textContent()).toBe("v2");
			const v2 = await api<{ version: number; role: string; definition: { windowHours?: number } }>(
				"/metric-library/robux_per_session",
			);
			expect(v2).toMatchObject({ version: 2, role: "guardrail", definition: { windowHours: 72 } });

			await page.getByRole("button", { name: "History of robux_per_session" }).click();
			const history = page.locator(".metric-history");
			await expect.poll(() => history.locator("li[data-version]").count()).toBe(2);
			expect(await history.locator('li[data-version="2"]').textContent()).toContain("within 72 h");
			expect(await history.locator('li[data-version="1"]').textContent()).not.toContain("within 72 h");
			expect(await accessibilityViolations(page)).toEqual([]);
			await saveScreenshot(page, "metric-library.png", { fullPage: true });
			await history.getByRole("button", { name: "Close history" }).click();

			// The experiment form offers the library metric, guardrails first for a guardrail; the API stores the reference.
			await page.goto(`/?page=experiments&game=${GAME}&action=new`);
			const experimentForm = page.getByRole("form", { name: "New experiment" });
			await experimentForm.locator("#key").fill("shop_layout");
			await experimentForm.getByRole("button", { name: "Add a guardrail metric" }).click();
			await experimentForm.locator("#guardrail-0-library").selectOption("robux_per_session");
			await experimentForm.locator('[data-library-metric="robux_per_session"]').waitFor();
			await experimentForm.locator("#primary-event").fill("shop_purchase");
			await experimentForm.getByRole("button", { name: "Create draft" }).click();
			await expect.poll(() => new URL(page.url()).searchParams.get("action")).toBeNull();
			const experiment = await api<{ guardrailMetrics: unknown[] }>("/experiments/shop_layout");
			expect(experiment.guardrailMetrics).toEqual([
				{ ...v2.definition, library: { key: "robux_per_session", version: 2, pinned: false } },
			]);

			// Archived: gone from the list (unless asked for), still readable.
			await page.goto(`/?page=metric-library&game=${GAME}`);
			await page.getByRole("button", { name: "Archive robux_per_session" }).click();
			await page.getByRole("button", { name: "Archive metric" }).click();
			await page.getByText("No metrics in the library yet").waitFor();
			await page.getByLabel(/Show archived metrics/).check();
			expect(await page.locator('tr[data-metric="robux_per_session"] .badge').textContent()).toBe("Archived");
			const archived = await api<{ archivedAt: string | null }>("/metric-library/robux_per_session");
			expect(archived.archivedAt).not.toBeNull();
			expect(problems).toEqual([]);
		});
	}, 90_000);

	it("shows a viewer the library without write controls", async () => {
		ready();
		await fetch(`${server.url}/v1/admin/games/${GAME}/metric-library`, {
			method: "POST",
			headers: { Authorization: analyst, "Content-Type": "application/json" },
			body: JSON.stringify({ role: "guardrail", definition: { key: "d1", type: "retention", day: 1 } }),
		});
		await inTab(openTab(browser, server.url, { timeout: 15_000 }), async ({ page, problems }) => {
			await page.goto(`/?page=metric-library&game=${GAME}`);
			await logIn(page, viewerEmail);
			const row = page.locator('tr[data-metric="d1"]');
			await row.waitFor();
			expect(await row.textContent()).toContain("Back on day 1");
			expect(await page.getByRole("button", { name: "New metric" }).count()).toBe(0);
			expect(await row.getByRole("button", { name: "Edit d1" }).count()).toBe(0);
			expect(await row.getByRole("button", { name: "Archive d1" }).count()).toBe(0);
			await row.getByRole("button", { name: "History of d1" }).click();
			await page.locator('.metric-history li[data-version="1"]').waitFor();
			expect(await accessibilityViolations(page)).toEqual([]);
			expect(problems).toEqual([]);
		});
	}, 60_000);
});
