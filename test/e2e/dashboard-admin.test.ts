// The dashboard's Live, Players and Settings pages in a real browser: Debian's Chromium driven by playwright-core
// against the real backend (started in-process on a temporary data directory, its dashboard freshly built). Checks that
// an event ingested through /v1/batches after the Live page opened shows within 5 s, that a player's timeline reads
// right, that an owner creates a key (shown once), changes the time zone, sets a webhook (shown masked), creates a
// user with a role on the game and changes, revokes and grants that role in the game's members (a revoked member gets
// 404 for the game), and that a viewer sees neither keys, members nor users and is refused a direct API write. Every page is checked for
// console errors, failed requests (those refused on purpose are asserted) and axe-core's serious and critical
// violations; screenshots go to .tmp/test-results/screenshots/. Without /usr/bin/chromium the suite fails.
import type { Browser, Page } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { fetchAdminAuth, fetchGameAuth, provisionAdmin } from "../../server/testing/provision.js";
import { startWebhookServer, type WebhookServer } from "../../server/testing/webhook-server.js";
import { startTestBackend, type TestBackend, type WireEvent } from "./backend.js";
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

const GAME = "5150";
/** The player whose history the lookup reads. */
const PLAYER = 777;
const HOUR = 3_600_000;

let seq = 0;
function wireEvent(e: Omit<WireEvent, "id">): WireEvent {
	seq += 1;
	return { ...e, id: `e${String(e.time).padStart(14, "0")}${String(seq).padStart(6, "0")}` };
}

/** Two sessions of {@link PLAYER} (a phone yesterday, a desktop today), a purchase, an exposure; another player too. */
function playerHistory(now: number): WireEvent[] {
	const yesterday = now - 26 * HOUR;
	const today = now - 2 * HOUR;
	const s1 = { userId: PLAYER, sessionId: "p777-s1" };
	const s2 = { userId: PLAYER, sessionId: "p777-s2" };
	return [
		wireEvent({
			...s1,
			time: yesterday,
			type: "session_start",
			name: "player",
			props: { device: "phone", country: "DE", locale: "de-de", premium: false },
		}),
		wireEvent({ ...s1, time: yesterday + 1000, type: "exposure", name: "difficulty", props: { variation: "hard" } }),
		wireEvent({
			...s1,
			time: yesterday + 60_000,
			type: "purchase",
			name: "developer_product",
			props: { productId: 1001, robux: 49 },
		}),
		wireEvent({ ...s1, time: yesterday + 600_000, type: "session_end", name: "player", props: { duration: 600 } }),
		wireEvent({
			...s2,
			time: today,
			type: "session_start",
			name: "player",
			props: { device: "desktop", country: "DE", locale: "de-de", premium: true },
		}),
		wireEvent({ ...s2, time: today + 30_000, type: "custom", name: "level_up", props: { level: 7 } }),
		wireEvent({ ...s2, time: today + 900_000, type: "session_end", name: "player", props: { duration: 900 } }),
		wireEvent({ userId: 4, sessionId: "other", time: today, type: "custom", name: "level_up", props: { level: 1 } }),
	];
}

/** Posts one batch through the public ingest API, as a game server does. */
async function ingest(baseUrl: string, auth: string, batchId: string, events: WireEvent[]): Promise<void> {
	const res = await fetch(`${baseUrl}/v1/batches`, {
		method: "POST",
		headers: { Authorization: auth, "Content-Type": "application/json" },
		body: JSON.stringify({ batchId, sentAt: Date.now(), events }),
	});
	expect(res.status).toBe(200);
	expect(await res.json()).toMatchObject({ rejected: [] });
}

/** Everything the page shows or holds in a form field: its text and every input's value (a value is a property, which
 * page.content() does not serialise). */
function shownText(page: Page): Promise<string> {
	return page.evaluate(
		`document.body.innerText + "\\n" + [...document.querySelectorAll("input, textarea")].map((i) => i.value).join("\\n")`,
	);
}

// Each test drives a browser through several pages: well over vitest's default 30 s when the machine is busy.
describe("the dashboard's Live, Players and Settings pages in Chromium", () => {
	let server: TestBackend;
	let browser: Browser;
	let hook: WebhookServer;
	let owner: string;
	let viewer: string;
	let gameAuth: string;

	const ready = setUpOrFailEveryTest(async () => {
		prepareDashboard();
		server = await startTestBackend(GAME, {}, { shutdownGraceMs: 1000 });
		owner = await provisionAdmin(server.dataDir, "owner");
		viewer = await provisionAdmin(server.dataDir, "viewer");
		gameAuth = await fetchGameAuth(server.url, server.gameKey);
		await ingest(server.url, gameAuth, "history", playerHistory(Date.now()));
		hook = await startWebhookServer();
		browser = await launchChromium();
	}, 120_000);

	afterAll(async () => {
		await browser?.close();
		await hook?.close();
		await server?.close();
	});

	async function open(options: { width?: number; colorScheme?: "light" | "dark" } = {}): Promise<Tab> {
		ready();
		return openTab(browser, server.url, { ...options, timeout: 10_000 });
	}

	it("shows an event ingested after the Live page opened within 5 s; pauses, filters and links to the player", async () => {
		await inTab(open(), async ({ page, problems }) => {
			await page.goto(`/?page=live&game=${GAME}`);
			await logIn(page, owner);
			await expect.poll(() => page.locator(".live-status [role=status]").textContent()).toBe("Live");

			// The stream is subscribed: a batch stored now must reach the page within 5 s.
			const probe = wireEvent({
				userId: 4321,
				sessionId: "live-s",
				time: Date.now(),
				type: "custom",
				name: "live_probe",
				props: { zone: "north", coins: 12 },
			});
			const sent = Date.now();
			await ingest(server.url, gameAuth, "live-1", [probe]);
			const row = page.locator(`tr[data-event-id="${probe.id}"]`);
			await row.waitFor({ timeout: 5000 });
			const latency = Date.now() - sent;
			console.log(`live event shown ${latency} ms after its batch was stored`);
			expect(latency).toBeLessThan(5000);
			const cells = await row.locator("td").allTextContents();
			expect(cells.slice(1)).toEqual(["custom", "live_probe", "4321", "zone=north · coins=12"]);
			expect(cells[0]).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3}$/);
			await expect.poll(() => page.locator(".live-rate p").textContent()).toMatch(/\(1 events\)/);
			expect(await page.locator(".live-spark").getAttribute("aria-label")).toMatch(/^Events received per second: /);

			// Paused: new events are counted, not shown, until Resume.
			await page.getByRole("button", { name: "Pause" }).click();
			const held = wireEvent({
				userId: 4321,
				sessionId: "live-s",
				time: Date.now(),
				type: "custom",
				name: "held",
				props: {},
			});
			await ingest(server.url, gameAuth, "live-2", [held]);
			await expect.poll(() => page.locator(".live-held").textContent()).toBe("Paused: 1 new event since.");
			expect(await page.locator(`tr[data-event-id="${held.id}"]`).count()).toBe(0);
			await page.getByRole("button", { name: "Resume" }).click();
			await page.locator(`tr[data-event-id="${held.id}"]`).waitFor({ timeout: 5000 });

			expect(await accessibilityViolations(page)).toEqual([]);
			await saveScreenshot(page, "live.png", { fullPage: true });

			// Filter by type: the stream starts over with purchases only (and the filter is in the URL).
			await page.getByLabel("Type").selectOption("purchase");
			await page.getByRole("button", { name: "Apply filter" }).click();
			await expect.poll(() => new URL(page.url()).searchParams.get("type")).toBe("purchase");
			await expect.poll(() => page.locator(".live-status [role=status]").textContent()).toBe("Live");
			const buy = wireEvent({
				userId: 4321,
				sessionId: "live-s",
				time: Date.now(),
				type: "purchase",
				name: "developer_product",
				props: { robux: 99 },
			});
			const noise = wireEvent({
				userId: 4321,
				sessionId: "live-s",
				time: Date.now(),
				type: "custom",
				name: "noise",
				props: {},
			});
			await ingest(server.url, gameAuth, "live-3", [noise, buy]);
			await page.locator(`tr[data-event-id="${buy.id}"]`).waitFor({ timeout: 5000 });
			expect(await page.locator(".live-table tbody tr").count()).toBe(1);

			// The player cell opens the player's lookup without a reload.
			await page.getByRole("link", { name: "Look up player 4321" }).click();
			await expect.poll(() => page.locator("#player-title").textContent()).toBe("Player 4321");
			expect(new URL(page.url()).searchParams.get("user")).toBe("4321");
			expect(problems).toEqual([]);
		});
	}, 60_000);

	it("looks a player up: sessions with their events in order, first seen, country, platform, purchases, variants", async () => {
		await inTab(open(), async ({ page, problems }) => {
			await page.goto(`/?page=players&game=${GAME}`);
			await logIn(page, owner);
			await page.getByLabel("Roblox user id").fill(String(PLAYER));
			await page.getByRole("button", { name: "Look up" }).click();
			await expect.poll(() => page.locator("#player-title").textContent()).toBe(`Player ${PLAYER}`);
			expect(new URL(page.url()).searchParams.get("user")).toBe(String(PLAYER));

			const facts = Object.fromEntries(
				await page
					.locator(".player-summary .facts > div")
					.evaluateAll((nodes) =>
						nodes.map((n) => [n.querySelector("dt")?.textContent, n.querySelector("dd")?.textContent]),
					),
			) as Record<string, string>;
			expect(facts).toMatchObject({
				Sessions: "2",
				Events: "7",
				Country: "DE",
				Platform: "desktop",
				Premium: "yes",
				"Robux spent": "R$ 49",
			});
			expect(facts["First seen"]).toMatch(/\d{4}, \d{2}:\d{2}$/);
			expect(await page.locator("#player-variants + ul").textContent()).toContain("difficulty: hard");
			expect(await page.locator("#player-purchases ~ div table tbody tr td").nth(1).textContent()).toBe(
				"developer_product",
			);

			// Sessions newest first; the newest is open, each lists its events in time order.
			const sessions = page.locator("details.session");
			expect(await sessions.evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-session-id")))).toEqual([
				"p777-s2",
				"p777-s1",
			]);
			expect(await sessions.first().getAttribute("open")).not.toBeNull();
			expect(await sessions.first().locator("summary").textContent()).toMatch(/15 min 0 s · desktop/);
			await sessions.nth(1).locator("summary").click();
			expect(await sessions.nth(1).locator("tbody tr td:nth-child(2)").allTextContents()).toEqual([
				"session_start",
				"exposure",
				"purchase",
				"session_end",
			]);

			expect(await accessibilityViolations(page)).toEqual([]);
			await saveScreenshot(page, "player-timeline.png", { fullPage: true });

			// A player without events in the period says so.
			await page.getByLabel("Roblox user id").fill("999999");
			await page.getByRole("button", { name: "Look up" }).click();
			await expect.poll(() => page.locator(".state-empty h2").textContent()).toBe("No events of player 999999");
			expect(problems).toEqual([]);
		});
	}, 60_000);

	it("settings: creates a key shown once, changes the time zone, sets a masked webhook and tests it, creates a user", async () => {
		await inTab(open(), async ({ context, page, problems }) => {
			await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
			await page.goto(`/?page=settings&game=${GAME}`);
			await logIn(page, owner);
			await page.getByRole("heading", { name: `Keys of game ${GAME}` }).waitFor();

			// A key: the whole key once, with a copy button and a warning; afterwards only its id.
			await page.getByLabel("Key name (optional)").fill("e2e");
			await page.getByRole("button", { name: "Create key" }).click();
			const secret = page.locator("#new-key");
			await secret.waitFor();
			const apiKey = await secret.inputValue();
			expect(apiKey).toMatch(/^vk_[0-9A-Z]+\.[A-Za-z0-9_-]+$/);
			const keyId = apiKey.slice(0, apiKey.indexOf("."));
			expect(await page.locator(".secret-warning").textContent()).toContain("cannot be shown again");
			await page.getByRole("button", { name: "Copy" }).click();
			await expect
				.poll(() => page.locator(".secret-once [role=status]").textContent())
				.toBe("Copied to the clipboard.");
			expect(await page.evaluate("navigator.clipboard.readText()")).toBe(apiKey);
			// The key works for a game server.
			const token = await fetch(`${server.url}/v1/oauth/token`, {
				method: "POST",
				headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/x-www-form-urlencoded" },
				body: "grant_type=client_credentials",
			});
			expect(token.status).toBe(200);
			await saveScreenshot(page, "settings-key-once.png", { fullPage: true });
			expect(await shownText(page)).toContain(apiKey);
			await page.getByRole("button", { name: "Done, hide it" }).click();
			expect(await page.locator("#new-key").count()).toBe(0);
			expect(await shownText(page)).not.toContain(apiKey.slice(keyId.length + 1));
			expect(await page.content()).not.toContain(apiKey.slice(keyId.length + 1));
			await expect.poll(() => page.locator(`tr[data-key-id="${keyId}"] td`).first().textContent()).toBe(keyId);
			await page.reload();
			await page.locator(`tr[data-key-id="${keyId}"]`).waitFor();
			expect(await shownText(page)).not.toContain(apiKey.slice(keyId.length + 1));

			// The time zone.
			await page.getByLabel("Time zone").selectOption("Europe/Berlin");
			await page.getByRole("button", { name: "Save settings" }).click();
			await expect.poll(() => page.locator("#section-settings-game .feedback.ok").textContent()).toMatch(/^Saved\./);
			const ownerAuth = await fetchAdminAuth(server.url, owner);
			const settingsUrl = `${server.url}/v1/admin/games/${GAME}/settings`;
			const settings = await (await fetch(settingsUrl, { headers: { Authorization: ownerAuth } })).json();
			expect(settings).toMatchObject({ timeZone: "Europe/Berlin" });

			// The webhook: saved, then only ever shown masked; a test digest reaches it.
			const webhook = `${hook.url}/api/webhooks/42/very-secret-token`;
			await page.getByLabel("Webhook URL").fill(webhook);
			await page.getByRole("button", { name: "Save webhook" }).click();
			await expect.poll(() => page.getByTestId("webhook-masked").textContent()).toBe(`${hook.url}/…`);
			expect(await shownText(page)).not.toContain("very-secret-token");
			expect(await page.content()).not.toContain("very-secret-token");
			await page.getByRole("button", { name: "Send a test digest" }).click();
			await expect
				.poll(() => page.locator("#section-settings-digest .feedback.ok").textContent())
				.toMatch(/^Sent: the webhook accepted the test digest/);
			expect(hook.requests.map((r) => r.path)).toEqual(["/api/webhooks/42/very-secret-token"]);

			// A user with a generated password, shown once, and a role on this game; then a member whose role changes,
			// who is revoked (the game then does not exist for them) and re-granted; then disabled.
			await page.getByLabel("Email", { exact: true }).fill("new.analyst@example.com");
			await page.getByLabel("Role", { exact: true }).selectOption("analyst");
			await page.getByRole("button", { name: "Add user" }).click();
			const password = await page.locator("#new-password").inputValue();
			expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
			const login = () =>
				fetch(`${server.url}/v1/admin/login`, {
					method: "POST",
					headers: { "Content-Type": "application/json" },
					body: JSON.stringify({ email: "new.analyst@example.com", password }),
				});
			const newUserAuth = async () =>
				`Bearer ${((await (await login()).json()) as { access_token: string }).access_token}`;
			const asNewUser = async (path: string) =>
				fetch(`${server.url}${path}`, { headers: { Authorization: await newUserAuth() } });
			expect(await (await asNewUser("/v1/admin/me")).json()).toMatchObject({
				admin: false,
				games: [{ gameId: GAME, role: "analyst" }],
			});
			expect(await accessibilityViolations(page)).toEqual([]);
			await saveScreenshot(page, "settings-owner.png", { fullPage: true });
			await page.getByRole("button", { name: "Done, hide it" }).click();
			const member = page.locator('tr[data-member-email="new.analyst@example.com"]');
			await member.getByLabel("Role of new.analyst@example.com").selectOption("viewer");
			await expect
				.poll(() => page.locator("#section-settings-members .feedback.ok").textContent())
				.toBe(`new.analyst@example.com is now viewer of game ${GAME}.`);
			expect((await asNewUser(`/v1/games/${GAME}/events`)).status).toBe(403);
			await member.getByRole("button", { name: "Revoke new.analyst@example.com" }).click();
			await member.getByRole("button", { name: "Remove new.analyst@example.com from the game" }).click();
			await expect.poll(() => member.count()).toBe(0);
			expect((await asNewUser(`/v1/games/${GAME}/metrics/overview`)).status).toBe(404);
			expect(await (await asNewUser("/v1/admin/games")).json()).toEqual({ games: [] });
			await page.getByLabel("Member email").fill("new.analyst@example.com");
			await page.getByLabel("Member role").selectOption("analyst");
			await page.getByRole("button", { name: "Grant" }).click();
			await expect.poll(() => member.locator("select").inputValue()).toBe("analyst");
			expect((await asNewUser(`/v1/games/${GAME}/events`)).status).toBe(200);
			// The owner's own member row has no controls either.
			expect(
				await page.locator(`tr[data-member-email="${owner}"] select, tr[data-member-email="${owner}"] button`).count(),
			).toBe(0);
			const row = page.locator('tr[data-user-email="new.analyst@example.com"]');
			await row.getByRole("button", { name: "Disable new.analyst@example.com" }).click();
			await expect.poll(() => row.locator("td").nth(3).textContent()).toMatch(/^Disabled /);
			expect((await login()).status).toBe(401);
			// The owner's own row has no controls.
			expect(
				await page.locator(`tr[data-user-email="${owner}"] select, tr[data-user-email="${owner}"] button`).count(),
			).toBe(0);
			expect(await page.content()).not.toMatch(/argon2/);
			expect(problems).toEqual([]);
		});
	}, 60_000);

	it("hides keys, users and the Live page from a viewer, explains Players, and the API refuses a viewer's write", async () => {
		await inTab(open({ width: 375, colorScheme: "dark" }), async ({ page, problems }) => {
			const asked: string[] = [];
			page.on("request", (request) => asked.push(new URL(request.url()).pathname));
			await page.goto(`/?page=settings&game=${GAME}`);
			await logIn(page, viewer);
			await page.getByRole("heading", { name: `Game ${GAME}` }).waitFor();
			const nav = await page.getByRole("navigation", { name: "Pages" }).getByRole("link").allTextContents();
			expect(nav).toContain("Settings");
			expect(nav).toContain("Players");
			expect(nav).not.toContain("Live");
			// Read-only settings; no key, member, user or settings form, and the page never asked for them.
			expect(await page.locator(".settings-page .facts").textContent()).toContain("Time zone");
			expect(await page.getByRole("heading", { name: /Keys of game/ }).count()).toBe(0);
			expect(await page.getByRole("heading", { name: "Users", exact: true }).count()).toBe(0);
			expect(await page.getByRole("heading", { name: /Members of game/ }).count()).toBe(0);
			// (Their own account's forms, the password and two-step sign-in, are everyone's.)
			expect(await page.locator(".settings-page section:not(#section-settings-account) form").count()).toBe(0);
			expect(asked.filter((p) => p.endsWith("/keys") || p.endsWith("/members") || p === "/v1/admin/users")).toEqual([]);
			expect(await shownText(page)).not.toContain("very-secret-token");
			expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(375);
			expect(await accessibilityViolations(page)).toEqual([]);
			await saveScreenshot(page, "settings-viewer-phone-dark.png", { fullPage: true });

			// Players: a plain-words reason instead of the lookup.
			await page.getByRole("link", { name: "Players" }).click();
			await expect
				.poll(() => page.locator(".state-empty h2").textContent())
				.toBe("Player lookup needs the analyst role");
			expect(await page.locator(".state-empty").textContent()).toContain("only analysts and owners may see");
			expect(await accessibilityViolations(page)).toEqual([]);

			// Writes straight to the API with the viewer's session and CSRF token: refused.
			const statuses = (await page.evaluate(`(async () => {
				const csrf = document.querySelector('meta[name="csrf-token"]').content;
				const send = (method, path, body) => fetch(path, {
					method,
					headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
					body: JSON.stringify(body),
				}).then((r) => r.status);
				return [
					await send("PATCH", "/v1/admin/games/${GAME}/settings", { timeZone: "Asia/Tokyo" }),
					await send("POST", "/v1/admin/users", { email: "sneaky@example.com", role: "owner" }),
					await send("POST", "/v1/admin/games/${GAME}/keys", {}),
					await fetch("/v1/admin/users").then((r) => r.status),
				];
			})()`)) as number[];
			expect(statuses).toEqual([403, 403, 403, 403]);
			// Exactly those four were refused (Chromium logs each refusal to the console too), and nothing else failed.
			const refusal = "console: Failed to load resource: the server responded with a status of 403 (Forbidden)";
			expect(problems.filter((p) => p !== refusal)).toEqual([
				`HTTP 403: PATCH ${server.url}/v1/admin/games/${GAME}/settings`,
				`HTTP 403: POST ${server.url}/v1/admin/users`,
				`HTTP 403: POST ${server.url}/v1/admin/games/${GAME}/keys`,
				`HTTP 403: GET ${server.url}/v1/admin/users`,
			]);
			expect(problems.filter((p) => p === refusal)).toHaveLength(4);
			// The live stream refuses a viewer too.
			const live = await page.evaluate(`fetch("/v1/games/${GAME}/events/live").then((r) => r.status)`);
			expect(live).toBe(403);
			const ownerAuth = await fetchAdminAuth(server.url, owner);
			const settings = await (
				await fetch(`${server.url}/v1/admin/games/${GAME}/settings`, { headers: { Authorization: ownerAuth } })
			).json();
			expect(settings).not.toMatchObject({ timeZone: "Asia/Tokyo" });
		});
	}, 60_000);
});
