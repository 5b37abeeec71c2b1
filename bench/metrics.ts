// The metrics engine at scale: answers from the rollups at 1M and 10M events, ingest with rollups on and off side by
// side, and ingest latency while the heaviest query runs.
//
//   npm run bench -- metrics [--sizes 1000000,10000000] [--rounds 5] [--ingest-batches 120]
//
// For each size a game is generated: players (--players, default 25,000 for every size; "scale" for ≈ 40 events per
// player) arrive over 120 days, each returns on a decaying set of days, plays sessions with custom, progression,
// economy and funnel events (more per session in a larger data set), 6% pay;
// every player is exposed on install to a two-arm experiment whose treatment converts more. The events go through
// the store's real ingest (batches of 10,000) into a database file, the warehouse worker folds them, then each query
// runs `rounds` times through the worker (the API's path) and the median is printed.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { MetricRequest } from "../server/metrics/engine.js";
import type { IngestEvent } from "../server/ingest/schema.js";
import { openSqliteStore } from "../server/store/sqlite/sqlite-store.js";
import type { Store } from "../server/store/types.js";
import { mulberry32 as prng } from "../server/stats/prng.js";

const DAY = 86_400_000;
const DAYS = 120;
const T0 = Date.UTC(2026, 0, 1);
const DAY0 = T0 / DAY;
/** The generated game's "now" (unix ms): an hour after its last day; the queries ask as of then. */
export const GENERATED_NOW = T0 + DAYS * DAY + 3_600_000;
const NOW = GENERATED_NOW;
/** The generated game's first day (unix ms) and its length in days. */
export const GENERATED_START = T0;
export const GENERATED_DAYS = DAYS;

const PLATFORMS = ["desktop", "phone", "tablet", "console"];
const COUNTRIES = ["US", "BR", "PH", "GB", "DE", "MX", "ID", "FR"];

interface Player {
	userId: number;
	install: number;
	platform: string;
	country: string;
	payer: boolean;
	treatment: boolean;
}

/**
 * Streams the game's events in batches of `batchSize`, day by day in time order (as game servers deliver them, so ids
 * — time-prefixed, like the SDK's — arrive in order).
 */
export function* generate(
	totalEvents: number,
	batchSize: number,
	seed = 42,
	players?: number,
): Generator<IngestEvent[]> {
	const random = prng(seed);
	const int = (n: number) => Math.floor(random() * n);
	const pick = <T>(items: readonly T[]) => items[int(items.length)]!;
	// Without a population, ≈ 40 events per player over their lifetime (≈ 4.5 active days of ≈ 9 events).
	const playerCount = players ?? Math.max(100, Math.round(totalEvents / 40));
	const byDay: Player[][] = Array.from({ length: DAYS }, () => []);
	for (let p = 0; p < playerCount; p++) {
		const player: Player = {
			userId: 1_000_000 + p,
			install: int(DAYS),
			platform: pick(PLATFORMS),
			country: pick(COUNTRIES),
			payer: random() < 0.06,
			treatment: random() < 0.5,
		};
		// Returns after gaps that grow; a quarter of the players stop after each visit.
		for (let day = player.install; day < DAYS; day += 1 + Math.floor(-Math.log(1 - random()) * 6)) {
			byDay[day]!.push(player);
			if (random() < 0.25) break;
		}
	}
	// Actions per session so the events add up to the total: session start and end, plus the install's extras.
	const playerDays = byDay.reduce((a, list) => a + list.length, 0);
	const actionsMean = Math.max(1, totalEvents / playerDays - 2 - (4 * playerCount) / playerDays);
	let emitted = 0;
	let seq = 0;
	let batch: IngestEvent[] = [];
	for (let day = 0; day < DAYS && emitted < totalEvents; day++) {
		const events: Omit<IngestEvent, "id">[] = [];
		for (const player of byDay[day]!) {
			const { userId } = player;
			const start = T0 + day * DAY + int(20 * 3_600_000);
			// Time-ordered, like the SDK's session ids.
			const sessionId = `${start.toString(36).padStart(9, "0")}-${userId.toString(36)}`;
			const seconds = 60 + int(1800);
			const profile = { device: player.platform, country: player.country, premium: userId % 10 === 0 };
			events.push({ time: start, userId, sessionId, type: "session_start", name: "player", props: profile });
			let t = start;
			if (day === player.install) {
				events.push({
					time: t,
					userId,
					sessionId,
					type: "exposure",
					name: "shop_price",
					props: { variation: player.treatment ? 1 : 0 },
				});
				const reached = 1 + int(5);
				for (let step = 1; step <= reached; step++) {
					t += 20_000;
					events.push({
						time: t,
						userId,
						sessionId,
						type: "funnel",
						name: "onboarding",
						props: { step, stepName: `step${step}` },
					});
				}
			}
			const actions = Math.max(1, Math.round(actionsMean * (0.5 + random())));
			for (let a = 0; a < actions; a++) {
				t += 10_000 + int(60_000);
				const r = random();
				if (r < 0.45) {
					events.push({
						time: t,
						userId,
						sessionId,
						type: "custom",
						name: pick(["jump", "emote", "chat", "trade"]),
						props: { zone: pick(["lobby", "forest"]) },
					});
				} else if (r < 0.7) {
					const level = `World1:Level${1 + int(20)}`;
					events.push({
						time: t,
						userId,
						sessionId,
						type: "progression",
						name: level,
						props: { status: pick(["start", "complete", "fail"]), attempt: 1 + int(3), seconds: int(300) },
					});
				} else if (r < 0.95) {
					const flow = pick(["source", "sink"]);
					events.push({
						time: t,
						userId,
						sessionId,
						type: "economy",
						name: `${flow}:Coins`,
						props: { flow, currency: "Coins", amount: 1 + int(100), itemType: "shop", itemId: `i${int(30)}` },
					});
				} else if (player.payer || (player.treatment && random() < 0.3)) {
					events.push({
						time: t,
						userId,
						sessionId,
						type: "purchase",
						name: "developer_product",
						props: { productId: 100 + int(8), purchaseId: `p${seq}-${a}`, robux: pick([25, 99, 499]) },
					});
				}
			}
			events.push({
				time: start + seconds * 1000,
				userId,
				sessionId,
				type: "session_end",
				name: "player",
				props: { ...profile, duration: seconds },
			});
		}
		events.sort((a, b) => a.time - b.time);
		for (const e of events) {
			if (emitted >= totalEvents) break;
			seq++;
			batch.push({ ...e, id: `${e.time.toString(36).padStart(9, "0")}${seq.toString(36).padStart(6, "0")}` });
			emitted++;
			if (batch.length >= batchSize) {
				yield batch;
				batch = [];
			}
		}
	}
	if (batch.length > 0) yield batch;
}

function median(values: number[]): number {
	const s = [...values].sort((a, b) => a - b);
	const m = s.length >> 1;
	return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function percentile(values: number[], p: number): number {
	const s = [...values].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

async function waitFolded(store: Store): Promise<number> {
	const t0 = performance.now();
	for (;;) {
		const status = await store.warehouse.status();
		if (status.pendingBatches === 0 && status.rebuilding === 0) return performance.now() - t0;
		await new Promise((r) => setTimeout(r, 50));
	}
}

const spec = { filters: [] };
const last90 = { from: DAY0 + DAYS - 90, to: DAY0 + DAYS - 1 };
/** The queries timed at each size; they need only an event engine's warehouse (bench/scale.ts runs them on ClickHouse). */
export const QUERIES: Record<string, (store: Pick<Store, "warehouse" | "experimentMetricSums">) => Promise<unknown>> = {
	"retention 90 cohorts × 31 days": (store) =>
		store.warehouse.metric(
			"g",
			{ metric: "retention", range: last90, spec, mode: "classic", days: Array.from({ length: 31 }, (_, i) => i) },
			NOW,
		),
	"5-step funnel": (store) =>
		store.warehouse.metric("g", { metric: "funnel", range: last90, spec, funnel: "onboarding", windowDays: 14 }, NOW),
	"ARPDAU series (revenue)": (store) =>
		store.warehouse.metric(
			"g",
			{ metric: "revenue", range: last90, spec, usdPerRobux: 0.0038, developerShare: 0.7, ltvDays: [0, 1, 7, 30] },
			NOW,
		),
	"experiment result (conversion)": (store) =>
		store.experimentMetricSums({
			gameId: "g",
			experimentKey: "shop_price",
			from: T0,
			to: NOW,
			metric: { key: "buy", type: "conversion", event: "developer_product" },
			excludeUserIds: [],
		}),
	"retention by platform (heavy)": (store) =>
		store.warehouse.metric(
			"g",
			{
				metric: "retention",
				range: last90,
				spec: { breakdown: { kind: "attr", name: "device", label: "platform" }, filters: [] },
				mode: "classic",
				days: [0, 1, 7, 30],
			} as MetricRequest,
			NOW,
		),
};

async function buildDataset(
	dir: string,
	size: number,
	players: number | undefined,
): Promise<{ store: Store; ingestMs: number; foldMs: number }> {
	const store = openSqliteStore({ path: join(dir, `m${size}.db`), foldIntervalMs: 50 });
	await store.createGame({ id: "g", name: "g", createdAt: T0 });
	const t0 = performance.now();
	let b = 0;
	for (const events of generate(size, 10_000, 42, players)) {
		await store.ingestBatch("g", { batchId: `b${b++}`, sentAt: NOW, events, rejected: [] }, NOW);
	}
	const ingestMs = performance.now() - t0;
	const foldMs = await waitFolded(store);
	return { store, ingestMs, foldMs };
}

async function measureQueries(store: Store, rounds: number): Promise<Record<string, number>> {
	const out: Record<string, number> = {};
	for (const [name, run] of Object.entries(QUERIES)) {
		await run(store);
		const times: number[] = [];
		for (let r = 0; r < rounds; r++) {
			const t0 = performance.now();
			await run(store);
			times.push(performance.now() - t0);
		}
		out[name] = median(times);
	}
	return out;
}

/** Ingest batches of 5,000 into two fresh stores, alternating, one with rollups on and one with them off. */
async function rollupsOnOff(dir: string, batches: number): Promise<{ on: number[]; off: number[]; foldMs: number }> {
	const on = openSqliteStore({ path: join(dir, "on.db"), rollups: true, foldIntervalMs: 50 });
	const off = openSqliteStore({ path: join(dir, "off.db"), rollups: false });
	for (const s of [on, off]) await s.createGame({ id: "g", name: "g", createdAt: T0 });
	const times = { on: [] as number[], off: [] as number[] };
	const source = generate(batches * 5_000, 5_000);
	let i = 0;
	for (const events of source) {
		const order: ["on" | "off", Store][] =
			i % 2 === 0
				? [
						["on", on],
						["off", off],
					]
				: [
						["off", off],
						["on", on],
					];
		for (const [label, store] of order) {
			const t0 = performance.now();
			await store.ingestBatch("g", { batchId: `b${i}`, sentAt: NOW, events, rejected: [] }, NOW);
			times[label].push(performance.now() - t0);
		}
		i++;
	}
	const foldMs = await waitFolded(on);
	await on.close();
	await off.close();
	return { ...times, foldMs };
}

/** Batch latency of ingest alone, then while the heaviest query runs back to back in the warehouse worker. */
async function ingestUnderLoad(
	store: Store,
	batches: number,
): Promise<{ alone: number[]; loaded: number[]; queries: number }> {
	// Fresh players' events with new ids, appended after the data set's last time as a live game sends them.
	const events = (i: number) =>
		[...generate(2_000, 2_000, 1000 + i)][0]!.map((e) => ({
			...e,
			id: `zz${String(i).padStart(4, "0")}${e.id}`,
			time: e.time + DAYS * DAY,
			userId: e.userId + 50_000_000 + i * 10_000,
		}));
	const alone: number[] = [];
	const loaded: number[] = [];
	for (let i = 0; i < batches; i++) {
		const batch = events(i);
		const t0 = performance.now();
		await store.ingestBatch("g", { batchId: `alone${i}`, sentAt: NOW, events: batch, rejected: [] }, NOW);
		alone.push(performance.now() - t0);
		await new Promise((r) => setTimeout(r, 20));
	}
	let running = true;
	let queries = 0;
	const heavy = (async () => {
		while (running) {
			await QUERIES["retention by platform (heavy)"]!(store);
			queries++;
		}
	})();
	for (let i = 0; i < batches; i++) {
		const batch = events(batches + i);
		const t0 = performance.now();
		await store.ingestBatch("g", { batchId: `loaded${i}`, sentAt: NOW, events: batch, rejected: [] }, NOW);
		loaded.push(performance.now() - t0);
		await new Promise((r) => setTimeout(r, 20));
	}
	running = false;
	await heavy;
	return { alone, loaded, queries };
}

export async function run(args: string[]): Promise<void> {
	const { values } = parseArgs({
		args,
		options: {
			sizes: { type: "string", default: "1000000,10000000" },
			rounds: { type: "string", default: "5" },
			"ingest-batches": { type: "string", default: "120" },
			players: { type: "string", default: "25000" },
		},
	});
	const sizes = values.sizes.split(",").map(Number);
	// "scale": players grow with the events (≈ 40 each); a number: one population for every size.
	const players = values.players === "scale" ? undefined : Number(values.players);
	const rounds = Number(values.rounds);
	const dir = mkdtempSync(join(tmpdir(), "vantage-bench-metrics-"));
	try {
		const results: Record<number, Record<string, number>> = {};
		let largest: Store | undefined;
		for (const size of sizes) {
			const { store, ingestMs, foldMs } = await buildDataset(dir, size, players);
			const counts = (await store.warehouse.metric(
				"g",
				{ metric: "active-users", range: { from: DAY0, to: DAY0 + DAYS - 1 }, spec },
				NOW,
			)) as unknown as { segments: { players: number; days: { dau: number }[] }[] };
			const s = counts.segments[0]!;
			const playerDays = s.days.reduce((a, d) => a + d.dau, 0);
			const bytes = statSync(join(dir, `m${size}.db`)).size;
			console.log(
				`\n${size.toLocaleString("en")} events: ingest ${(ingestMs / 1000).toFixed(1)} s ` +
					`(${Math.round(size / (ingestMs / 1000)).toLocaleString("en")} events/s), rollups caught up ` +
					`${(foldMs / 1000).toFixed(1)} s after the last batch, database ${(bytes / 2 ** 20).toFixed(0)} MiB; ` +
					`${s.players.toLocaleString("en")} players, ${playerDays.toLocaleString("en")} player-days`,
			);
			results[size] = await measureQueries(store, rounds);
			for (const [name, ms] of Object.entries(results[size]!))
				console.log(`  ${name.padEnd(34)} median ${ms.toFixed(1)} ms`);
			if (largest) await largest.close();
			largest = store;
		}
		if (sizes.length > 1) {
			const [a, b] = [sizes[0]!, sizes.at(-1)!];
			console.log(`\nGrowth ${a.toLocaleString("en")} → ${b.toLocaleString("en")} events (×${b / a}):`);
			for (const name of Object.keys(QUERIES)) {
				console.log(`  ${name.padEnd(34)} ×${(results[b]![name]! / results[a]![name]!).toFixed(2)}`);
			}
		}

		const batches = Number(values["ingest-batches"]);
		const onOff = await rollupsOnOff(dir, batches);
		const on = median(onOff.on);
		const off = median(onOff.off);
		console.log(
			`\nIngest, ${batches} batches of 5,000 events alternating between two stores: rollups on median ${on.toFixed(1)} ms ` +
				`(${Math.round(5000 / (on / 1000)).toLocaleString("en")} events/s), off ${off.toFixed(1)} ms ` +
				`(${Math.round(5000 / (off / 1000)).toLocaleString("en")} events/s): on/off ${(on / off).toFixed(2)}; ` +
				`the worker caught up ${(onOff.foldMs / 1000).toFixed(1)} s after the last batch`,
		);

		if (largest) {
			const load = await ingestUnderLoad(largest, 60);
			console.log(
				`\nIngest of 2,000-event batches into the ${sizes.at(-1)!.toLocaleString("en")}-event store: alone p50 ` +
					`${percentile(load.alone, 0.5).toFixed(1)} ms p99 ${percentile(load.alone, 0.99).toFixed(1)} ms; while ` +
					`"retention by platform" ran back to back (${load.queries} runs) p50 ${percentile(load.loaded, 0.5).toFixed(1)} ms ` +
					`p99 ${percentile(load.loaded, 0.99).toFixed(1)} ms`,
			);
			await largest.close();
		}
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}
