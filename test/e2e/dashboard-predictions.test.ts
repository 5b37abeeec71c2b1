// The Predictions page in a real browser: Debian's Chromium driven by playwright-core against the real backend, fed
// through the public ingest API with 63 days of 1,500 synthetic players whose churn follows a planted signal (shorter
// sessions, more quitting: server/predict/synthetic.ts), a shop with planted co-purchase pairs (synthetic-shop.ts) and
// a bad release yesterday (a burst of server errors). Before any run the page says why there is nothing and who can
// train; an analyst's "Train now" trains every model and the page shows the API's numbers: each model's held-out
// quality next to its baseline, the model cards (features, training window, held-out players, baseline, training
// date), the players most at risk with the features behind each score, the shop's most bought items as the API ranks
// them, and the error-rate alert among the KPI anomalies. A viewer gets neither the Train button nor the
// player rankings (the API refuses both to viewers); a game with too little history says why each model is missing.
// No console error, no failed request but the expected ones, no serious axe-core violation. Screenshots go to
// .tmp/test-results/screenshots/. Without /usr/bin/chromium the suite fails (CI installs it).
import { gzipSync } from "node:zlib";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { qualityRows, type PredictionSummary, type RankedPlayer } from "../../dashboard/src/pages/predictions-data.js";
import { LATEST_SDK_VERSION } from "../../server/ingest/sdk-versions.js";
import { generatePlayers } from "../../server/predict/synthetic.js";
import { generateShop } from "../../server/predict/synthetic-shop.js";
import { fetchAdminAuth, fetchGameAuth, provisionAdmin, provisionGameKey } from "../../server/testing/provision.js";
import { startTestBackend, type TestBackend, type WireEvent } from "./backend.js";
import {
	accessibilityViolations,
	launchChromium,
	logIn,
	prepareDashboard,
	saveScreenshot,
	setUpOrFailEveryTest,
	watch,
	type Refusal,
} from "./browser.js";

const GAME = "1717";
/** A game with three days of ten players: too little for any model. */
const SPARSE_GAME = "1719";
const DAY = 86_400_000;
const HISTORY_DAYS = 63;
const PLAYERS = 1500;
/** Server errors of yesterday's bad release (no other day has any). */
const BAD_RELEASE_ERRORS = 150;

/** Events as the SDK sends them, oldest first, with time-ordered ids. */
function wire(events: Omit<WireEvent, "id">[], prefix: string): WireEvent[] {
	return [...events]
		.sort((a, b) => a.time - b.time)
		.map((e, i) => ({ ...e, id: `${prefix}${String(e.time).padStart(14, "0")}${String(i).padStart(7, "0")}` }));
}

/** 63 days of the synthetic players and their shop up to yesterday, and yesterday's burst of server errors. */
function history(today: number): WireEvent[] {
	const start = today - HISTORY_DAYS * DAY;
	const players = generatePlayers({ players: PLAYERS, days: HISTORY_DAYS, start, seed: 5 });
	const shop = generateShop({ players: PLAYERS, seed: 5, start: start + 7 * DAY });
	const errors = Array.from({ length: BAD_RELEASE_ERRORS }, (_, i) => ({
		time: today - DAY + 12 * 3_600_000 + i * 1000,
		userId: 0,
		sessionId: "server-run-1",
		type: "error",
		name: "server_error",
		props: { message: "ServerScriptService.Shop:12: attempt to index nil", side: "server" },
	}));
	return wire(
		[
			...players.flatMap((p) => p.events.map((e) => ({ ...e, props: { ...e.props } }))),
			...shop.events.map((e) => ({ ...e, sessionId: `shop-${e.userId}`, props: { ...e.props } })),
			...errors,
		],
		"p",
	);
}

/** Ten players on three recent days, one purchase between them: no model has enough to learn from. */
function sparseHistory(today: number): WireEvent[] {
	const events: Omit<WireEvent, "id">[] = [];
	for (let userId = 1; userId <= 10; userId++) {
		for (let day = 3; day >= 1; day--) {
			const time = today - day * DAY + (10 + userId) * 3_600_000;
			const sessionId = `s${userId}-${day}`;
			events.push({ time, userId, sessionId, type: "session_start", name: "player", props: { device: "phone" } });
			events.push({ time: time + 600_000, userId, sessionId, type: "session_end", name: "player", props: {} });
		}
	}
	events.push({
		time: today - DAY + 11 * 3_600_000 + 60_000,
		userId: 1,
		sessionId: "s1-1",
		type: "purchase",
		name: "developer_product",
		props: { productId: 1000, robux: 25 },
	});
	return wire(events, "s");
}

/** Posts events through the public ingest API in gzip batches of 5,000, as game servers do. */
async function ingest(baseUrl: string, auth: string, events: WireEvent[]): Promise<void> {
	for (let i = 0; i < events.length; i += 5000) {
		const batch = {
			batchId: `b-${events[i]!.id}`,
			sentAt: Date.now(),
			sdk: { name: "vantage-roblox", version: LATEST_SDK_VERSION },
			events: events.slice(i, i + 5000),
		};
		const res = await fetch(`${baseUrl}/v1/batches`, {
			method: "POST",
			headers: { Authorization: auth, "Content-Type": "application/json", "Content-Encoding": "gzip" },
			body: gzipSync(JSON.stringify(batch)),
		});
		expect(res.status, await res.clone().text()).toBe(200);
		expect(((await res.json()) as { rejected: unknown[] }).rejected).toEqual([]);
	}
}

const integer = new Intl.NumberFormat("en-US");
const predictionsPath = (game: string) => `/v1/admin/games/${game}/predictions`;

describe("the Predictions page in Chromium", () => {
	let backend: TestBackend;
	let browser: Browser;
	let analystEmail: string;
	let viewerEmail: string;
	let analyst: string;
	/** UTC midnight of the day the history was made: its last day is the day before. */
	let today: number;

	const ready = setUpOrFailEveryTest(async () => {
		prepareDashboard();
		backend = await startTestBackend(GAME);
		const sparseKey = await provisionGameKey(backend.dataDir, SPARSE_GAME);
		// Both games exist now: the analyst and the viewer get a grant on each.
		analystEmail = await provisionAdmin(backend.dataDir, "analyst");
		viewerEmail = await provisionAdmin(backend.dataDir, "viewer");
		analyst = await fetchAdminAuth(backend.url, analystEmail);
		// The synthetic players are outside the EEA/UK/CH in a game that tracks until a player objects: the models may
		// use them all (without a consent record a player follows the game's default, which is opt-in until changed).
		const owner = await fetchAdminAuth(backend.url, await provisionAdmin(backend.dataDir, "owner"));
		for (const game of [GAME, SPARSE_GAME]) {
			const res = await fetch(`${backend.url}/v1/admin/games/${game}/settings`, {
				method: "PATCH",
				headers: { Authorization: owner, "Content-Type": "application/json" },
				body: JSON.stringify({ consentDefault: "opt-out" }),
			});
			expect(res.status, await res.clone().text()).toBe(200);
		}
		today = Math.floor(Date.now() / DAY) * DAY;
		await ingest(backend.url, await fetchGameAuth(backend.url, backend.gameKey), history(today));
		await ingest(backend.url, await fetchGameAuth(backend.url, sparseKey), sparseHistory(today));
		browser = await launchChromium();
	}, 120_000);

	afterAll(async () => {
		for (const context of contexts.values()) await context.close();
		await browser?.close();
		await backend?.close();
	});

	/** The admin API as the analyst, outside the browser: what the page must agree with. */
	async function api<T>(path: string): Promise<T> {
		const res = await fetch(`${backend.url}${path}`, { headers: { Authorization: analyst } });
		expect(res.status, path).toBe(200);
		return (await res.json()) as T;
	}

	/** One browser context per account, signed in on its first page and kept for the file (a login costs seconds). */
	const contexts = new Map<string, BrowserContext>();

	/**
	 * Runs `test` on a new page of `email`'s context showing `game`'s Predictions page (signing in first if this
	 * account has no context yet), then closes the page. The page records what went wrong (browser.ts `watch`).
	 */
	async function onPage(
		email: string,
		game: string,
		expected: Refusal[],
		test: (tab: { page: Page; problems: string[]; refused: Refusal[] }) => Promise<void>,
	): Promise<void> {
		ready();
		let context = contexts.get(email);
		const signIn = context === undefined;
		if (!context) {
			context = await browser.newContext({ baseURL: backend.url, viewport: { width: 1280, height: 900 } });
			context.setDefaultTimeout(15_000);
			contexts.set(email, context);
		}
		const page = await context.newPage();
		try {
			const watched = watch(page, expected);
			await page.goto(`/?page=predictions&game=${game}`);
			if (signIn) await logIn(page, email);
			await page.locator("h1", { hasText: "Predictions" }).waitFor();
			await test({ page, ...watched });
		} finally {
			await page.close();
		}
	}

	/** The cells of a table's body rows, as text. */
	function rows(page: Page, table: string): Promise<string[][]> {
		return page
			.locator(`${table} tbody tr`)
			.evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("th, td")].map((c) => c.textContent ?? "")));
	}

	const notYet: Refusal = { method: "GET", path: predictionsPath(GAME), status: 404 };

	it("before any run, tells a viewer that there is nothing yet and who can train, without a Train button", async () => {
		await onPage(viewerEmail, GAME, [notYet], async ({ page, problems, refused }) => {
			const empty = page.getByRole("region", { name: "No predictions yet" });
			await empty.waitFor();
			expect(await empty.textContent()).toContain("Models are trained once a day for games with events.");
			expect(await empty.textContent()).toContain("An analyst or owner can train them now.");
			expect(await page.getByRole("button", { name: "Train now" }).count()).toBe(0);
			expect(refused).toEqual([notYet]);
			expect(await accessibilityViolations(page)).toEqual([]);
			expect(problems).toEqual([]);
		});
	});

	it("trains on an analyst's Train now and shows the API's quality, cards, at-risk players, items and anomalies", async () => {
		await onPage(analystEmail, GAME, [notYet], async ({ page, problems }) => {
			await page.getByRole("region", { name: "No predictions yet" }).waitFor();
			expect(await page.locator("main").textContent()).toContain("Train now to see them at once.");
			const started = Date.now();
			await page.getByRole("button", { name: "Train now" }).click();
			await page.locator("#pred-quality").waitFor({ timeout: 60_000 });
			console.log(`Train now → page shown: ${Date.now() - started} ms`);
			const doc = await api<PredictionSummary>(predictionsPath(GAME));
			expect(Date.parse(doc.trainedAt)).toBeGreaterThanOrEqual(started - 1000);

			// What the run read, in words.
			const trained = page.locator("main p.muted").filter({ hasText: /^Trained / });
			expect(await trained.textContent()).toContain(
				`on ${integer.format(doc.data.events)} events of ${integer.format(doc.data.players)} players`,
			);
			expect(doc.data.players).toBeGreaterThan(PLAYERS);

			// 1. Quality on held-out players next to the baseline: the API's numbers, and the planted churn signal beats it.
			const quality = await rows(page, "section[aria-labelledby=pred-quality] table");
			expect(quality).toEqual(
				qualityRows(doc).map((r) => [
					r.model,
					r.measure,
					r.value,
					r.baseline,
					r.better ? "yes" : "no",
					integer.format(r.heldOutPlayers),
				]),
			);
			expect(quality.map((r) => r[0])).toEqual(["churn", "purchase", "ltv 30 d", "recommendations"]);
			const churn = quality[0]!;
			expect(Number(churn[2])).toBeGreaterThan(0.7);
			expect(Number(churn[2])).toBeGreaterThan(Number(churn[3]));
			expect(churn[4]).toBe("yes");
			expect(quality[3]![4]).toBe("yes");
			expect(await page.locator("section[aria-labelledby=pred-quality]").textContent()).not.toContain("not trained");

			// 2. The churn model's card, opened as a user does.
			const card = doc.models.churn.card!;
			const details = page.locator("section[aria-labelledby=pred-cards] details").first();
			await details.locator("summary").click();
			expect(await details.locator("summary").textContent()).toBe("Churn (no return within 7 days) — 7 days");
			const facts = await details
				.locator("dl")
				.evaluate((dl) => [...dl.querySelectorAll("dd")].map((dd) => dd.textContent ?? ""));
			expect(facts[0]).toBe(card.method);
			// (What the training line says about consent after the players is the consent suite's to check.)
			expect(facts[1]).toMatch(
				new RegExp(
					`^${escape(`cut-off ${card.training!.cutoff!.slice(0, 10)}, ${integer.format(card.training!.players)} players`)}\\b`,
				),
			);
			expect(facts[2]).toBe(
				`cut-off ${card.heldOut.cutoff!.slice(0, 10)}, ${integer.format(card.heldOut.players)} players`,
			);
			expect(facts[3]).toBe(card.baseline.name);
			expect(facts[4]).toBe(await page.evaluate(`new Date(${JSON.stringify(card.trainedAt)}).toLocaleString()`));
			const features = await rows(page, "section[aria-labelledby=pred-cards] details:first-of-type table");
			expect(features.map((f) => f[0])).toEqual(card.features!.map((f) => f.name.replace(/_/g, " ")));
			expect(features.length).toBeGreaterThan(5);
			expect(await details.locator("table").isVisible()).toBe(true);
			// Every model has its card: churn, purchase, LTV 30 (and 90 with 180 days of history), recommendations.
			const summaries = await page.locator("section[aria-labelledby=pred-cards] summary").allTextContents();
			expect(summaries).toEqual([
				"Churn (no return within 7 days) — 7 days",
				"Purchase propensity (7 days) — 7 days",
				"Lifetime value (Robux, 30 and 90 days) — 30 days",
				"Shop recommendations (co-purchase)",
			]);

			// 3. The players most at risk, with what drives each score: the API's ranking.
			const atRisk = await api<{ players: RankedPlayer[] }>(`${predictionsPath(GAME)}/players?list=churn&limit=25`);
			// Each ranking is its own request: its rows come after the cards.
			await page.locator("section[aria-labelledby=pred-churn] tbody tr").nth(24).waitFor();
			const riskRows = await rows(page, "section[aria-labelledby=pred-churn] table");
			expect(riskRows).toHaveLength(25);
			expect(riskRows[0]).toEqual([
				"1",
				String(atRisk.players[0]!.userId),
				`${(100 * atRisk.players[0]!.score).toFixed(1)}%`,
				atRisk.players[0]!.drivers!.map(
					(d) => `${d.feature.replace(/_/g, " ")} ${d.contribution >= 0 ? "↑" : "↓"}`,
				).join(", "),
			]);
			for (const row of riskRows) {
				// Synthetic players' UserIds start at 10,000,000 (the shop's buyers are other accounts).
				expect(Number(row[1])).toBeGreaterThanOrEqual(10_000_000);
				expect(row[3]).toMatch(/^[a-z ]+ [↑↓](, [a-z ]+ [↑↓]){2}$/);
			}
			await page.locator("section[aria-labelledby=pred-purchase] tbody tr").first().waitFor();
			await page.locator("section[aria-labelledby=pred-ltv] tbody tr").first().waitFor();

			// 4. Recommendations: the most bought items for a player with nothing, as the API ranks them.
			const popular = await api<{ items: { item: string }[] }>(`/v1/admin/games/${GAME}/recommendations?n=10`);
			const recs = page.locator("section[aria-labelledby=pred-recs] ol li");
			await expect.poll(() => recs.count()).toBe(10);
			expect(await recs.allTextContents()).toEqual(popular.items.map((i) => i.item));

			// 5. KPI anomalies: yesterday's bad release, and two weeks of each KPI against its band.
			const yesterday = new Date(today - DAY).toISOString().slice(0, 10);
			const kpiTable = "section[aria-labelledby=pred-anomalies] table";
			await page.locator(kpiTable).waitFor();
			const alerts = await page.locator("section[aria-labelledby=pred-anomalies] .alerts li").allTextContents();
			expect(alerts.filter((text) => text.includes("Error rate"))).toEqual([
				expect.stringMatching(
					new RegExp(`^⚠ Error rate on ${yesterday}: \\d+\\.\\d\\d%, expected about 0\\.00% \\(unusually high\\)$`),
				),
			]);
			expect(await page.locator(`${kpiTable} thead th`).allTextContents()).toEqual([
				"Day",
				"Daily active players",
				"Revenue (Robux)",
				"Events",
				"Error rate",
			]);
			const days = await rows(page, kpiTable);
			expect(days).toHaveLength(14);
			expect(days[0]![0]).toBe(yesterday);
			expect(days[0]![4]).toMatch(/ ⚠$/);
			expect(days[1]![4]).not.toMatch(/⚠/);
			expect(days[0]![1]).toMatch(/^[\d,]+ \(band [\d,]+–[\d,]+\)$/);

			expect(await accessibilityViolations(page)).toEqual([]);
			await saveScreenshot(page, "predictions.png", { fullPage: true });
			expect(problems).toEqual([]);
		});
	});

	it("shows a viewer the cards and anomalies but no Train button and no player; the API refuses both", async () => {
		const train = `${predictionsPath(GAME)}/train`;
		const players = `${predictionsPath(GAME)}/players`;
		const expected: Refusal[] = [
			{ method: "POST", path: train, status: 403 },
			{ method: "GET", path: players, status: 403 },
		];
		await onPage(viewerEmail, GAME, expected, async ({ page, problems, refused }) => {
			await page.locator("#pred-quality").waitFor();
			await page.locator("section[aria-labelledby=pred-anomalies] table").waitFor();
			expect(await page.locator("section[aria-labelledby=pred-quality] tbody tr").count()).toBe(4);
			expect(await page.locator("section[aria-labelledby=pred-cards] details").count()).toBe(4);
			expect(await page.getByRole("button", { name: /Train/ }).count()).toBe(0);
			expect(await page.locator("main").textContent()).toContain("Player rankings are shown to analysts and owners.");
			for (const list of ["churn", "purchase", "ltv"]) {
				expect(await page.locator(`#pred-${list}`).count()).toBe(0);
			}
			expect(await page.locator("main").textContent()).not.toMatch(/\b1\d{7}\b/);

			// Asked anyway, with the session's own CSRF token: the server refuses the viewer both.
			// (A script string: this file compiles without the DOM's types.)
			const answers = (await page.evaluate(`(async () => {
				const token = document.querySelector('meta[name="csrf-token"]').content;
				const train = await fetch(${JSON.stringify(train)}, { method: "POST", headers: { "X-CSRF-Token": token } });
				const players = await fetch(${JSON.stringify(players)});
				return [train.status, players.status];
			})()`)) as number[];
			expect(answers).toEqual([403, 403]);
			expect(refused).toEqual(expected);
			// (axe ran on the analyst's page, which has every section this one has.)
			await saveScreenshot(page, "predictions-viewer.png", { fullPage: true });
			expect(problems).toEqual([]);
		});
	});

	it("trains a game with too little history and says why each model is missing", async () => {
		const expected: Refusal[] = [{ method: "GET", path: predictionsPath(SPARSE_GAME), status: 404 }];
		await onPage(analystEmail, SPARSE_GAME, expected, async ({ page, problems }) => {
			await page.getByRole("region", { name: "No predictions yet" }).waitFor();
			await page.getByRole("button", { name: "Train now" }).click();
			const quality = page.locator("section[aria-labelledby=pred-quality]");
			await quality.waitFor();
			const doc = await api<PredictionSummary>(predictionsPath(SPARSE_GAME));
			expect(await quality.locator("tbody tr").count()).toBe(0);
			const reasons = await quality.locator("p.muted").allTextContents();
			expect(reasons).toEqual(
				(["churn", "purchase", "ltv", "recommendations"] as const).map((k) => {
					expect(doc.models[k].status).toBe("insufficient_data");
					expect(doc.models[k].reason).toMatch(/^\w+ \w+/);
					return expect.stringMatching(new RegExp(`: not trained — ${escape(doc.models[k].reason!)}$`));
				}),
			);
			expect(reasons[3]).toContain(
				"Shop recommendations (co-purchase): not trained — fewer than two items were ever bought",
			);
			const anomalies = page.locator("section[aria-labelledby=pred-anomalies]");
			await anomalies.locator("p").waitFor();
			expect(await anomalies.locator("p").textContent()).toBe("Not judged yet: fewer than 22 days of history");
			// Nothing to recommend, no card: the sections say nothing rather than show empty tables.
			expect(await page.locator("#pred-recs").count()).toBe(0);
			expect(await page.locator("section[aria-labelledby=pred-cards] details").count()).toBe(0);
			expect(await page.locator("main").textContent()).not.toMatch(/undefined|NaN|\[object/);
			expect(await accessibilityViolations(page)).toEqual([]);
			await saveScreenshot(page, "predictions-insufficient.png", { fullPage: true });
			expect(problems).toEqual([]);
		});
	});
});

/** `text` as a literal in a regular expression. */
function escape(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
