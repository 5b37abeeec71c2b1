// The worker warehouse's second thread: reads (metrics) are answered while the job's worker is busy folding, and they
// see what the job has folded.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { IngestEvent } from "../../ingest/schema.js";
import { parseMetricQuery } from "../../metrics/query.js";
import type { Store } from "../types.js";
import { openSqliteStore } from "./sqlite-store.js";
import { randomBytes } from "node:crypto";
import { PlayerKeyring } from "../../privacy/player-keys.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1, 12);
const TODAY = Math.floor(NOW / DAY);

let dir: string;
let store: Store;

beforeEach(async () => {
	dir = mkdtempSync(join(tmpdir(), "vantage-warehouse-client-"));
	// No job on a timer: folding happens only when catchUp asks for it.
	const players = PlayerKeyring.open({ path: ":memory:", masterKey: randomBytes(32) });
	store = openSqliteStore({ path: join(dir, "w.db"), warehouse: "worker", autoFold: false, players });
	await store.createGame({ id: "g", name: "g", createdAt: NOW - 30 * DAY });
});

afterEach(async () => {
	await store.close();
	rmSync(dir, { recursive: true, force: true });
});

/** `players` players, each with a session and `perPlayer` custom events yesterday, in batches of 5,000 events. */
async function ingest(players: number, perPlayer: number): Promise<void> {
	let batch: IngestEvent[] = [];
	let n = 0;
	const flush = async () => {
		if (batch.length === 0) return;
		await store.ingestBatch("g", { batchId: `b${n++}`, sentAt: NOW, events: batch, rejected: [] }, NOW);
		batch = [];
	};
	const t0 = NOW - DAY;
	let seq = 0;
	const id = () => `e${String(++seq).padStart(10, "0")}`;
	for (let p = 0; p < players; p++) {
		const sessionId = `s${p}`;
		batch.push({
			id: id(),
			time: t0 + p,
			userId: 1000 + p,
			sessionId,
			type: "session_start",
			name: "player",
			props: {},
		});
		for (let e = 0; e < perPlayer; e++) {
			batch.push({
				id: id(),
				time: t0 + p + e + 1,
				userId: 1000 + p,
				sessionId,
				type: "custom",
				name: "jump",
				props: {},
			});
		}
		if (batch.length >= 5000) await flush();
	}
	await flush();
}

const activeUsers = () =>
	store.warehouse.metric(
		"g",
		parseMetricQuery("active-users", { from: ["2026-05-31"], to: ["2026-05-31"] }, TODAY).request,
		NOW,
	);

describe("the worker warehouse", () => {
	it("answers a metric on its reader while the job's worker folds a long backlog", async () => {
		await ingest(20_000, 9);
		const order: string[] = [];
		const folding = store.warehouse.catchUp().then(() => order.push("folded"));
		const reading = activeUsers().then(() => order.push("metric"));
		await Promise.all([folding, reading]);
		expect(order).toEqual(["metric", "folded"]);
		// Once folded, the reader sees it all.
		const after = (await activeUsers()) as unknown as { segments: { days: { dau: number }[] }[] };
		expect(after.segments[0]!.days[0]!.dau).toBe(20_000);
	});
});
