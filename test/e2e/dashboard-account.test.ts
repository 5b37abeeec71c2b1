// The signed-in user's own account on the Settings page, in a real browser (Debian's Chromium via playwright-core,
// against the real backend): their sessions are listed (the API token of another login too) and one is ended, which
// refuses that token at once; two-step sign-in is set up with the key the page shows once and confirmed with a code,
// after which an API login without a code is refused. Checked for console errors, failed requests and axe-core's
// serious and critical violations. Without /usr/bin/chromium the suite fails.
import type { Browser } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { totpCode } from "../../server/auth/totp.js";
import { fetchAdminAuth, provisionAdmin } from "../../server/testing/provision.js";
import { TEST_PASSWORD } from "../../server/testing/test-app.js";
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

const GAME = "6160";

describe("the dashboard's account settings in Chromium", () => {
	let server: TestBackend;
	let browser: Browser;
	let email: string;

	const ready = setUpOrFailEveryTest(async () => {
		prepareDashboard();
		server = await startTestBackend(GAME, {}, { shutdownGraceMs: 1000 });
		email = await provisionAdmin(server.dataDir, "viewer");
		browser = await launchChromium();
	}, 120_000);

	afterAll(async () => {
		await browser?.close();
		await server?.close();
	});

	it("lists and ends sessions, and sets up two-step sign-in that the next login needs", async () => {
		ready();
		// Another login of the same user: an API token, listed beside the browser's session.
		const token = await fetchAdminAuth(server.url, email);
		await inTab(openTab(browser, server.url, { timeout: 10_000 }), async ({ page, problems }) => {
			await page.goto(`/?page=settings&game=${GAME}`);
			await logIn(page, email);
			await page.getByRole("heading", { name: "Your account" }).waitFor();
			const rows = page.locator(".sessions-table tbody tr");
			await expect.poll(() => rows.count()).toBe(2);
			expect(await rows.filter({ hasText: "This session" }).textContent()).toContain("Dashboard");

			// End the API token's session: the token is refused from the next request on.
			await rows.filter({ hasText: "API token" }).getByRole("button", { name: "End" }).click();
			await expect.poll(() => rows.count()).toBe(1);
			const me = await fetch(`${server.url}/v1/admin/me`, { headers: { Authorization: token } });
			expect(me.status).toBe(401);

			// Two-step sign-in: the key shown once, confirmed with the app's code.
			await page.getByLabel("Password", { exact: true }).fill(TEST_PASSWORD);
			await page.getByRole("button", { name: "Set up two-step sign-in" }).click();
			const secret = await page.locator("#totp-secret").inputValue();
			expect(secret).toMatch(/^[A-Z2-7]{32}$/);
			expect(await page.locator("#totp-uri").inputValue()).toMatch(/^otpauth:\/\/totp\/Vantage:/);
			await saveScreenshot(page, "settings-account-totp.png", { fullPage: true });
			expect(await accessibilityViolations(page)).toEqual([]);
			await page.getByLabel("Code from the app").fill(totpCode(secret, Date.now()));
			await page.getByRole("button", { name: "Turn on" }).click();
			await expect
				.poll(() => page.locator(".account-part [role=status]").allTextContents())
				.toContain("Two-step sign-in is on: signing in now asks for a code.");

			const withoutCode = await fetch(`${server.url}/v1/admin/login`, {
				method: "POST",
				headers: { "Content-Type": "application/json" },
				body: JSON.stringify({ email, password: TEST_PASSWORD }),
			});
			expect(withoutCode.status).toBe(401);
			expect(await withoutCode.json()).toMatchObject({ code: "second_factor_required" });
			expect(await accessibilityViolations(page)).toEqual([]);
			expect(problems).toEqual([]);
		});
	});
});
