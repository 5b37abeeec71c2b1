// The Layers & holdout page in a real browser (Debian's Chromium through playwright-core) against the real backend:
// an analyst creates a layer, sees its bar of slices and free space as the API computes it, places a draft experiment
// in the first free slice, and sets the global holdout after a confirmation; the page says why the holdout cannot
// change once an experiment runs. A viewer reads everything without write controls. No console error, no failed
// request but those provoked, no serious axe-core violation; screenshots go to .tmp/test-results/screenshots/.
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
	type Refusal,
	type Tab,
} from "./browser.js";

const GAME = "1919";
const METRIC = { key: "bought", type: "conversion", event: "shop_purchase" };

describe("layers and the holdout in Chromium", () => {
	let server: TestBackend;
	let browser: Browser;
	let analystEmail: string;
	let viewerEmail: string;
	let analyst: string;

	const ready = setUpOrFailEveryTest(async () => {
		prepareDashboard();
		server = await startTestBackend(GAME);
		analystEmail = await provisionAdmin(server.dataDir, "analyst");
		viewerEmail = await provisionAdmin(server.dataDir, "viewer");
		analyst = await fetchAdminAuth(server.url, analystEmail);
		browser = await launchChromium();
	}, 120_000);

	afterAll(async () => {
		await browser?.close();
		await server?.close();
	});

	function api(path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
		return fetch(`${server.url}/v1/admin/games/${GAME}${path}`, {
			method: init.method ?? (init.body === undefined ? "GET" : "POST"),
			headers: { Authorization: analyst, ...(init.body === undefined ? {} : { "Content-Type": "application/json" }) },
			...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
		});
	}

	async function open(options: { width?: number; expected?: Refusal[] } = {}): Promise<Tab> {
		ready();
		return openTab(browser, server.url, { ...options, timeout: 15_000 });
	}

	it("creates a layer, shows its slices and free space, places a draft and sets the holdout after confirming", async () => {
		expect(
			(await api("/experiments", { body: { key: "shop", variations: [{ key: "a" }, { key: "b" }] } })).status,
		).toBe(201);
		await inTab(open(), async ({ page, problems }) => {
			await page.goto(`/?page=layers&game=${GAME}`);
			await logIn(page, analystEmail);
			await page.getByRole("heading", { name: "Layers & holdout" }).waitFor();
			await page.getByRole("heading", { name: "No layers yet" }).waitFor();
			expect(await page.locator(".holdout-state").textContent()).toBe("Off: every player can enter experiments.");

			// A layer, through the form; a bad id is named next to its field first.
			await page.locator("#new-layer-id").fill("bad id");
			await page.getByRole("button", { name: "Create layer" }).click();
			await page.locator("#new-layer-id-error").waitFor();
			await page.locator("#new-layer-id").fill("ui");
			await page.locator("#new-layer-name").fill("UI layer");
			await page.getByRole("button", { name: "Create layer" }).click();
			const layer = page.locator('[data-layer="ui"]');
			await layer.waitFor();
			expect(await layer.locator(".layer-bar").getAttribute("aria-label")).toBe("UI layer: No experiments; 100% free");

			// A running experiment made through the API takes the first 30%; the draft goes in the first free 25%.
			const running = await api("/experiments", {
				body: {
					key: "hud",
					status: "running",
					variations: [{ key: "a" }, { key: "b" }],
					primaryMetric: METRIC,
					namespace: { id: "ui", start: 0, end: 0.3 },
				},
			});
			expect(running.status).toBe(201);
			await page.reload();
			await layer.waitFor();
			await layer.locator("#place-ui-experiment").fill("shop");
			await layer.locator("#place-ui-size").fill("25");
			await layer.getByRole("button", { name: "Place in the first free slice" }).click();
			await layer.locator('tr[data-slice="shop"]').waitFor();
			const rows = await layer.locator("tbody tr").allTextContents();
			expect(rows).toEqual(["hud (running)0%–30%30%", "shop (draft)30%–55%25%", "Free55%–100%45%"]);
			expect(await layer.locator(".layer-bar").getAttribute("aria-label")).toBe("UI layer: 2 experiments; 45% free");
			const fromApi = (await (await api("/layers/ui")).json()) as {
				slices: { experiment: string; start: number; end: number }[];
			};
			expect(fromApi.slices).toEqual([
				expect.objectContaining({ experiment: "hud", start: 0, end: 0.3 }),
				expect.objectContaining({ experiment: "shop", start: 0.3, end: 0.55 }),
			]);
			// The bar draws each segment where the API says: shop starts 30% in, 25% wide.
			const barWidth = (await layer.locator(".layer-bar").boundingBox())!.width;
			const shop = (await layer.locator('[data-segment="shop"]').boundingBox())!;
			const bar = (await layer.locator(".layer-bar").boundingBox())!;
			expect(Math.abs(shop.x - bar.x - 0.3 * barWidth)).toBeLessThan(3);
			expect(Math.abs(shop.width - 0.25 * barWidth)).toBeLessThan(3);

			// The holdout: refused while hud runs (the page says so); stop it, then set 5% after the confirmation.
			expect(await page.locator(".holdout").textContent()).toContain("cannot change while experiments run (hud)");
			expect(await page.getByRole("button", { name: "Set holdout" }).isDisabled()).toBe(true);
			expect((await api("/experiments/hud", { method: "PATCH", body: { status: "stopped" } })).status).toBe(200);
			await page.reload();
			await page.locator("#holdout-percent").fill("5");
			await page.getByRole("button", { name: "Set holdout" }).click();
			const confirm = page.getByRole("group", { name: "Confirm the holdout change" });
			expect(await confirm.textContent()).toContain("5% of players (by UserId, the same on every server)");
			expect(((await (await api("/holdout")).json()) as { percent: number }).percent).toBe(0);
			await page.getByRole("button", { name: "Confirm holdout of 5%" }).click();
			await expect
				.poll(() => page.locator(".holdout-state").textContent())
				.toBe("5% of players are held out of every experiment.");
			expect(((await (await api("/holdout")).json()) as { percent: number }).percent).toBe(5);
			expect(await accessibilityViolations(page)).toEqual([]);
			await saveScreenshot(page, "layers.png", { fullPage: true });
			expect(problems).toEqual([]);
		});
	});

	it("shows a viewer the layers and holdout without write controls, also on a phone", async () => {
		await inTab(open({ width: 375 }), async ({ page, problems }) => {
			await page.goto(`/?page=layers&game=${GAME}`);
			await logIn(page, viewerEmail);
			await page.locator('[data-layer="ui"]').waitFor();
			expect(await page.locator("main").textContent()).toContain("an analyst or owner can change them");
			for (const name of ["Create layer", "Set holdout", "Place in the first free slice"]) {
				expect(await page.getByRole("button", { name }).count()).toBe(0);
			}
			expect(await page.locator(".holdout-state").textContent()).toBe(
				"5% of players are held out of every experiment.",
			);
			expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(375);
			expect(await accessibilityViolations(page)).toEqual([]);
			await saveScreenshot(page, "layers-viewer-phone.png", { fullPage: true });
			expect(problems).toEqual([]);
		});
	});
});
