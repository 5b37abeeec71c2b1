// Ingest throughput over real HTTP against the real server (a child process), next to the raw better-sqlite3
// insert ceiling for the same rows measured in the same run.
//
//   npm run bench -- ingest [--rounds 5] [--batches 48] [--clients 4] [--events 500]
//
// Each round posts `batches` gzip batches of `events` realistic events from `clients` concurrent clients (keep-alive
// connections) and times the round; then inserts the same rows with better-sqlite3 directly (same schema, same
// PRAGMAs, one transaction per batch, rows parsed from the same JSON, into a database that grows round by round
// like the server's). Round 0 is a warm-up. Prints per-round figures, the medians, and the ratio of the two.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import BetterSqlite3 from "better-sqlite3";
import type { IngestEvent } from "../server/ingest/schema.js";
import { configureConnection, openSqliteStore } from "../server/store/sqlite/sqlite-store.js";
import { spawnServer } from "../server/testing/child-server.js";
import { fetchGameAuth, provisionGameKey } from "../server/testing/provision.js";
import { mulberry32 as prng } from "../server/stats/prng.js";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

export function base32(value: number, width: number): string {
	let out = "";
	let n = value;
	for (let i = 0; i < width; i++) {
		out = CROCKFORD.charAt(n % 32) + out;
		n = Math.floor(n / 32);
	}
	return out;
}

type Shape = Pick<IngestEvent, "type" | "name" | "props">;
type Draw = { pick: <T>(items: readonly T[]) => T; int: (below: number) => number; random: () => number };

/** The event mix of a live game: share of events, and how one is drawn. Shares add up to 1. */
const MIX: { share: number; draw: (d: Draw) => Shape }[] = [
	{
		share: 0.4,
		draw: ({ pick, int, random }) => ({
			type: "custom",
			name: pick(["jump", "emote", "chat_sent", "trade_offer", "pet_hatched", "zone_entered"]),
			props: {
				zone: pick(["lobby", "forest", "desert", "volcano"]),
				level: int(80),
				vip: random() < 0.1,
				ping: int(200),
			},
		}),
	},
	{
		share: 0.15,
		draw: ({ pick, int }) => ({
			type: "progression",
			name: "level_complete",
			props: {
				status: pick(["start", "complete", "fail"]),
				world: pick(["w1", "w2", "w3"]),
				level: int(40),
				seconds: int(6000) / 10,
				score: int(100_000),
			},
		}),
	},
	{
		share: 0.15,
		draw: ({ pick, int }) => ({
			type: "economy",
			name: "currency_flow",
			props: {
				currency: pick(["coins", "gems"]),
				flow: pick(["source", "sink"]),
				amount: int(500),
				itemType: pick(["quest", "shop", "trade"]),
				itemId: `item_${int(300)}`,
				balance: int(20_000),
			},
		}),
	},
	{
		share: 0.1,
		draw: ({ pick, int }) => ({
			type: "funnel",
			name: "onboarding",
			props: { step: int(6), stepName: pick(["spawn", "move", "collect", "shop", "equip", "battle"]) },
		}),
	},
	{
		share: 0.08,
		draw: ({ pick }) => ({
			type: "exposure",
			name: "shop_layout",
			props: { experiment: "shop_layout", variant: pick(["control", "treatment"]), hashVersion: 2 },
		}),
	},
	{
		share: 0.06,
		draw: ({ pick }) => ({
			type: pick(["session_start", "session_end"] as const),
			name: "session",
			props: { platform: pick(["pc", "mobile", "console"]), country: pick(["US", "GB", "DE", "BR", "PH"]) },
		}),
	},
	{
		share: 0.02,
		draw: ({ pick, int }) => ({
			type: "purchase",
			name: "dev_product",
			props: { productId: 1_234_567 + int(20), robux: pick([25, 99, 499]), placeId: 98_765 },
		}),
	},
	{
		share: 0.03,
		draw: ({ int }) => ({
			type: "error",
			name: "script_error",
			props: { message: "attempt to index nil with 'Humanoid'", script: "ServerScriptService.Combat", line: int(400) },
		}),
	},
	{
		share: 0.01,
		// The consent props ingest validates (server/privacy/consent.ts); each is also sealed into a consent record.
		draw: ({ pick, random }) => ({
			type: "consent",
			name: "consent",
			props: {
				policyVersion: "3",
				analytics: random() < 0.8,
				experiments: random() < 0.7,
				personalization: random() < 0.5,
				region: pick(["DE", "GB", "US", "BR", "PH"]),
				uiVersion: "prompt-1",
				source: "prompt",
			},
		}),
	},
];

/** Events drawn from {@link MIX}, with ids time-ordered the way the SDK makes them (time, server prefix, counter). */
/**
 * `count` events of one game server's batch, in the mix above. Players are drawn from `players` (default: 5,000 UserIds
 * from 1,000,000, as if every batch came from anywhere in the game); a game server's own batch draws from its own few
 * dozen players.
 */
export function realisticEvents(
	count: number,
	server: string,
	startMs: number,
	random: () => number,
	players: { first: number; count: number } = { first: 1_000_000, count: 5000 },
): IngestEvent[] {
	const draw: Draw = {
		pick: (items) => items[Math.floor(random() * items.length)]!,
		int: (below) => Math.floor(random() * below),
		random,
	};
	return Array.from({ length: count }, (_, i) => {
		const time = startMs + i * 7;
		const userId = players.first + draw.int(players.count);
		let roll = random();
		const kind = MIX.find((k) => (roll -= k.share) < 0) ?? MIX[0]!;
		return {
			id: base32(time, 10) + server + base32(i, 5),
			time,
			userId,
			sessionId: `${server}-${userId % 997}`,
			...kind.draw(draw),
		};
	});
}

export interface Round {
	batches: { batchId: string; events: IngestEvent[]; gzip: Buffer }[];
}

export function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export function percentile(values: number[], p: number): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

export async function postRound(
	url: string,
	auth: string,
	round: Round,
	clients: number,
): Promise<{ seconds: number; latencies: number[] }> {
	const latencies: number[] = [];
	let next = 0;
	const client = async () => {
		for (let i = next++; i < round.batches.length; i = next++) {
			const batch = round.batches[i]!;
			const started = performance.now();
			const res = await fetch(`${url}/v1/batches`, {
				method: "POST",
				headers: { "Content-Type": "application/json", "Content-Encoding": "gzip", Authorization: auth },
				body: batch.gzip,
			});
			const body = (await res.json()) as { accepted?: number };
			latencies.push(performance.now() - started);
			if (res.status !== 200 || body.accepted !== batch.events.length) {
				throw new Error(`batch ${batch.batchId}: HTTP ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
			}
		}
	};
	const started = performance.now();
	await Promise.all(Array.from({ length: clients }, client));
	return { seconds: (performance.now() - started) / 1000, latencies };
}

/**
 * A database with the server's schema and PRAGMAs for the raw inserts. Like the server's, it keeps every round's
 * rows, so both insert into tables of the same size.
 */
async function openRawDatabase(path: string): Promise<BetterSqlite3.Database> {
	await openSqliteStore({ path }).close();
	const db = new BetterSqlite3(path);
	configureConnection(db, 5000);
	db.prepare("INSERT INTO games (id, name, created_at) VALUES ('raw', 'raw', 0)").run();
	return db;
}

/** The same rows straight into SQLite: one prepared INSERT per row, one transaction per batch. */
function rawInsertRowsPerSecond(db: BetterSqlite3.Database, round: Round): number {
	const insert = db.prepare(
		`INSERT INTO events (game_id, id, batch_id, user_id, session_id, type, name, time, received_at, props)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (game_id, id) DO NOTHING`,
	);
	const insertBatch = db.transaction((batchId: string, events: IngestEvent[], receivedAt: number) => {
		for (const e of events) {
			insert.run(
				"raw",
				e.id,
				batchId,
				e.userId,
				e.sessionId,
				e.type,
				e.name,
				e.time,
				receivedAt,
				JSON.stringify(e.props),
			);
		}
	});
	const started = performance.now();
	for (const batch of round.batches) insertBatch.immediate(batch.batchId, batch.events, Date.now());
	const seconds = (performance.now() - started) / 1000;
	return round.batches.reduce((n, b) => n + b.events.length, 0) / seconds;
}

export async function run(args: string[]): Promise<void> {
	const { values } = parseArgs({
		args,
		options: {
			rounds: { type: "string", default: "5" },
			batches: { type: "string", default: "48" },
			clients: { type: "string", default: "4" },
			events: { type: "string", default: "500" },
		},
	});
	const rounds = Number(values.rounds);
	const batchesPerRound = Number(values.batches);
	const clients = Number(values.clients);
	const eventsPerBatch = Number(values.events);

	const dir = mkdtempSync(join(tmpdir(), "vantage-bench-"));
	const serverDir = join(dir, "server");
	const random = prng(42);
	const start = Date.now() - 3_600_000;
	// Round 0 warms the JIT and the connections; it is not counted.
	const plan: Round[] = Array.from({ length: rounds + 1 }, (_, r) => ({
		batches: Array.from({ length: batchesPerRound }, (_, b) => {
			const events = realisticEvents(
				eventsPerBatch,
				base32(r * 1000 + b, 8),
				start + (r * batchesPerRound + b) * 10_000,
				random,
			);
			const batchId = `r${r}-b${b}`;
			const json = JSON.stringify({
				batchId,
				sentAt: Date.now(),
				sdk: { name: "vantage-roblox", version: "0.1.0" },
				events,
			});
			// The raw insert gets the rows the way the server does: parsed from the same JSON (parsing not timed).
			const parsed = (JSON.parse(json) as { events: IngestEvent[] }).events;
			return { batchId, events: parsed, gzip: gzipSync(json) };
		}),
	}));
	const sample = plan[0]!.batches[0]!;
	const rawBytes = JSON.stringify(sample.events).length;

	const server = await spawnServer({
		VANTAGE_DATA_DIR: serverDir,
		VANTAGE_GAME_RATE_PER_SECOND: "1000000",
		VANTAGE_GAME_BURST: "1000000",
	});
	const rawDb = await openRawDatabase(join(dir, "raw.db"));
	try {
		const auth = await fetchGameAuth(server.url, await provisionGameKey(serverDir, "bench"));
		console.log(
			`ingest: ${rounds} rounds × ${batchesPerRound} batches × ${eventsPerBatch} events, ${clients} concurrent clients, ` +
				`gzip (${(sample.gzip.length / 1024).toFixed(1)} KiB on the wire, ${(rawBytes / 1024).toFixed(1)} KiB inflated per batch)`,
		);
		const rates: number[] = [];
		const p50s: number[] = [];
		const p99s: number[] = [];
		const raws: number[] = [];
		for (let r = 0; r <= rounds; r++) {
			const round = plan[r]!;
			const { seconds, latencies } = await postRound(server.url, auth, round, clients);
			const raw = rawInsertRowsPerSecond(rawDb, round);
			if (r === 0) continue;
			const rate = (batchesPerRound * eventsPerBatch) / seconds;
			rates.push(rate);
			p50s.push(percentile(latencies, 50));
			p99s.push(percentile(latencies, 99));
			raws.push(raw);
			console.log(
				`  round ${r}: ${fmt(rate)} events/s  p50 ${percentile(latencies, 50).toFixed(1)} ms  p99 ${percentile(latencies, 99).toFixed(1)} ms` +
					`  | raw better-sqlite3 ${fmt(raw)} rows/s`,
			);
		}
		const rate = median(rates);
		const raw = median(raws);
		console.log(
			`median: ${fmt(rate)} events/s, batch latency p50 ${median(p50s).toFixed(1)} ms, p99 ${median(p99s).toFixed(1)} ms; ` +
				`raw better-sqlite3 insert ceiling ${fmt(raw)} rows/s; ratio ${(rate / raw).toFixed(2)} (target ≥ 0.40)`,
		);
	} finally {
		rawDb.close();
		await server.killHard();
		rmSync(dir, { recursive: true, force: true });
	}
}

function fmt(n: number): string {
	return Math.round(n).toLocaleString("en-US");
}
