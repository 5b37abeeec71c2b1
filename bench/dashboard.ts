// The dashboard in Chromium at 1M events: time to first render of each page (median of 5 cold loads), bytes
// transferred by a first load, and the latency of each API request a page makes.
//
//   npm run bench -- dashboard [--events 1000000] [--rounds 5] [--pages overview,retention]
//
// The metrics benchmark's generated game (120 days, --events events) goes through the store's real ingest into a
// data directory, the warehouse folds it, then the real backend serves the built dashboard from that directory.
// Each round opens a fresh browser context (empty cache, the same signed-in session) and loads the page for the
// generated days; "rendered" is when no loading state is left and a chart canvas or table shows. Needs
// /usr/bin/chromium and `npm run build:dashboard` (npm ci runs it).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { chromium, type Browser, type Page } from "playwright-core";
import { loadConfig } from "../server/config.js";
import { createLogger } from "../server/logger.js";
import { DATABASE_FILE, startServer } from "../server/server.js";
import { openSqliteStore } from "../server/store/sqlite/sqlite-store.js";
import { provisionAdmin } from "../server/testing/provision.js";
import { TEST_PASSWORD } from "../server/testing/test-app.js";
import { generate, GENERATED_DAYS, GENERATED_START } from "./metrics.js";

const GAME = "g";
const DAY = 86_400_000;

interface PageLoad {
	renderMs: number;
	bytes: number;
	requests: number;
	/** API path (without query) → milliseconds from request start to response end. */
	api: Map<string, number>;
	/** API path → full URL, to replay one at a time. */
	urls: Map<string, string>;
	/** The metric requests sent again from the page, all at once: path → milliseconds. */
	refetch: [string, number][];
}

export async function run(args: string[]): Promise<void> {
	const { values } = parseArgs({
		args,
		options: {
			events: { type: "string", default: "1000000" },
			rounds: { type: "string", default: "5" },
			pages: { type: "string", default: "overview,retention" },
		},
	});
	const events = Number(values.events);
	const rounds = Number(values.rounds);
	const pages = values.pages.split(",").filter(Boolean);
	const dataDir = mkdtempSync(join(tmpdir(), "vantage-bench-dashboard-"));
	let browser: Browser | undefined;
	try {
		const t0 = performance.now();
		const store = openSqliteStore({ path: join(dataDir, DATABASE_FILE), foldIntervalMs: 50 });
		await store.createGame({ id: GAME, name: "Generated game", createdAt: GENERATED_START });
		let b = 0;
		const sentAt = GENERATED_START + GENERATED_DAYS * DAY;
		for (const batch of generate(events, 10_000, 42)) {
			await store.ingestBatch(GAME, { batchId: `b${b++}`, sentAt, events: batch, rejected: [] }, sentAt);
		}
		for (;;) {
			const status = await store.warehouse.status();
			if (status.pendingBatches === 0 && status.rebuilding === 0) break;
			await new Promise((r) => setTimeout(r, 100));
		}
		await store.close();
		console.log(
			`${events.toLocaleString("en")} events ingested and folded in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
		);

		const email = await provisionAdmin(dataDir, "owner");
		const server = await startServer(loadConfig({ PORT: "0", HOST: "127.0.0.1", VANTAGE_DATA_DIR: dataDir }), {
			logger: createLogger({ level: "error" }),
		});
		try {
			browser = await chromium.launch({
				executablePath: "/usr/bin/chromium",
				args: ["--headless", "--no-sandbox", "--disable-gpu"],
			});
			const login = await browser.newContext();
			const page = await login.newPage();
			await page.goto(`${server.url}/login`);
			await page.getByLabel("Email").fill(email);
			await page.getByLabel("Password").fill(TEST_PASSWORD);
			await page.getByRole("button", { name: "Sign in" }).click();
			await page.waitForURL((url) => url.pathname === "/");
			const storageState = await login.storageState();
			await login.close();

			// The last 30 generated days, the dashboard's default span.
			const to = new Date(GENERATED_START + (GENERATED_DAYS - 1) * DAY).toISOString().slice(0, 10);
			const from = new Date(GENERATED_START + (GENERATED_DAYS - 30) * DAY).toISOString().slice(0, 10);
			for (const id of pages) {
				const loads: PageLoad[] = [];
				for (let round = 0; round < rounds; round++) {
					const context = await browser.newContext({ storageState });
					const tab = await context.newPage();
					loads.push(await loadPage(tab, `${server.url}/?page=${id}&game=${GAME}&from=${from}&to=${to}`, id));
					await context.close();
				}
				report(id, loads);
				// The same requests one at a time (the page sends them together, and the metrics worker answers one query
				// after another, so in the page each waits for those before it).
				const cookie = storageState.cookies.map((c) => `${c.name}=${c.value}`).join("; ");
				for (const [path, url] of loads[0]!.urls) {
					const times: number[] = [];
					for (let round = 0; round < rounds; round++) {
						const t = performance.now();
						const res = await fetch(url, { headers: { Cookie: cookie, Accept: "application/json" } });
						await res.arrayBuffer();
						if (!res.ok) throw new Error(`${path} answered ${res.status}`);
						times.push(performance.now() - t);
					}
					console.log(`  alone ${path}: ${median(times).toFixed(0)} ms median`);
				}
				// And all at once from Node, as the page sends them, without the browser.
				const together = new Map<string, number[]>();
				for (let round = 0; round < rounds; round++) {
					await Promise.all(
						[...loads[0]!.urls].map(async ([path, url]) => {
							const t = performance.now();
							const res = await fetch(url, { headers: { Cookie: cookie, Accept: "application/json" } });
							await res.arrayBuffer();
							together.set(path, [...(together.get(path) ?? []), performance.now() - t]);
						}),
					);
				}
				for (const [path, times] of together) {
					console.log(`  together ${path}: ${median(times).toFixed(0)} ms median`);
				}
			}
		} finally {
			await server.close();
		}
	} finally {
		await browser?.close();
		rmSync(dataDir, { recursive: true, force: true });
	}
}

/** One cold load of a page until it has rendered its data. */
async function loadPage(page: Page, url: string, id: string): Promise<PageLoad> {
	let bytes = 0;
	let requests = 0;
	const api = new Map<string, number>();
	const urls = new Map<string, string>();
	let refetch: [string, number][] = [];
	const failures: string[] = [];
	page.on("requestfinished", (request) => {
		void (async () => {
			const sizes = await request.sizes();
			bytes += sizes.responseBodySize + sizes.responseHeadersSize;
			requests++;
			const path = new URL(request.url()).pathname;
			if (path.startsWith("/v1/")) {
				const timing = request.timing();
				api.set(path, Math.max(api.get(path) ?? 0, timing.responseEnd - timing.requestStart));
				urls.set(path, request.url());
			}
		})();
	});
	page.on("requestfailed", (request) => failures.push(request.url()));
	await page.goto(url);
	// Page code as source text (this file is type-checked without the DOM library); evaluated through the DevTools
	// protocol, which the page's CSP does not govern. Checked every animation frame; resolves to the page's clock.
	const current = (await page.evaluate(`new URLSearchParams(location.search).get("page") ?? "overview"`)) as string;
	if (current !== id) throw new Error(`the dashboard has no page "${id}"`);
	const renderMs = (await page.evaluate(`new Promise((resolve, reject) => {
		const started = performance.now();
		const check = () => {
			const main = document.querySelector("main");
			if (main && !main.querySelector(".state-loading") && main.querySelector("canvas, table")) resolve(performance.now());
			else if (performance.now() - started > 60000) reject(new Error("the page did not render within 60 s"));
			else requestAnimationFrame(check);
		};
		check();
	})`)) as number;
	await page.waitForLoadState("networkidle");
	// The page's API requests once more from inside the page, all at once, timed by the page's own clock.
	const metricUrls = [...urls.values()].filter((u) => new URL(u).pathname.includes("/metrics/"));
	refetch = (await page.evaluate(`Promise.all(${JSON.stringify(metricUrls)}.map(async (url) => {
		const started = performance.now();
		const res = await fetch(url, { headers: { Accept: "application/json" } });
		await res.text();
		return [new URL(url).pathname, performance.now() - started];
	}))`)) as [string, number][];
	if (failures.length > 0) throw new Error(`failed requests on ${id}: ${failures.join(", ")}`);
	return { renderMs, bytes, requests, api, urls, refetch };
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function report(id: string, loads: PageLoad[]): void {
	const render = median(loads.map((l) => l.renderMs));
	const first = loads[0]!;
	console.log(
		`${id}: first render ${render.toFixed(0)} ms (median of ${loads.length}; ${loads.map((l) => l.renderMs.toFixed(0)).join(", ")}), ` +
			`first load ${(first.bytes / 1024).toFixed(1)} KB in ${first.requests} responses`,
	);
	const again = new Map<string, number[]>();
	for (const l of loads) for (const [path, ms] of l.refetch) again.set(path, [...(again.get(path) ?? []), ms]);
	for (const [path, times] of again) {
		console.log(`  in page, sent again together ${path}: ${median(times).toFixed(0)} ms median`);
	}
	const paths = [...new Set(loads.flatMap((l) => [...l.api.keys()]))].sort();
	for (const path of paths) {
		const times = loads.map((l) => l.api.get(path)).filter((t): t is number => t !== undefined);
		console.log(`  ${path}: ${median(times).toFixed(0)} ms median (max ${Math.max(...times).toFixed(0)})`);
	}
}
