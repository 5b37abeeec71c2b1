// A file store in a temporary folder with a batch writer, for the timing tests that store ~1M synthetic events.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IngestEvent, PropValue } from "../ingest/schema.js";
import { PlayerKeyring } from "../privacy/player-keys.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/types.js";
import { T0 } from "./fixtures.js";

export interface BulkStore {
	store: Store;
	/** Queues one event of game `g1` (player `userId`, session `s<userId>`); written by {@link BulkStore.write}. */
	add(userId: number, type: IngestEvent["type"], name: string, time: number, props?: Record<string, PropValue>): void;
	/** Writes the queued events once 1,000 are waiting, or all of them with `all`. */
	write(all?: boolean): Promise<void>;
	/** Events queued so far. */
	count(): number;
}

/**
 * Runs `fn` with a fresh store holding game `g1`, then closes the store and removes its folder.
 *
 * @example
 * await withBulkStore(async ({ store, add, write }) => { add(1, "exposure", "shop", T0, { variation: 0 }); await write(true); });
 */
export async function withBulkStore(fn: (bulk: BulkStore) => Promise<void>): Promise<void> {
	const dir = mkdtempSync(join(tmpdir(), "vantage-bulk-"));
	const players = PlayerKeyring.open({ path: ":memory:", masterKey: randomBytes(32) });
	const store = openSqliteStore({ path: join(dir, "vantage.db"), players });
	let events: IngestEvent[] = [];
	let total = 0;
	try {
		await store.createGame({ id: "g1", name: "g1", createdAt: T0 });
		await fn({
			store,
			add: (userId, type, name, time, props = {}) => {
				events.push({
					id: `${time.toString(36)}-${total++}`,
					time,
					userId,
					sessionId: `s${userId}`,
					type,
					name,
					props,
				});
			},
			write: async (all = false) => {
				if (events.length === 0 || (!all && events.length < 1000)) return;
				await store.ingestBatch("g1", { batchId: `b${total}`, sentAt: T0, events, rejected: [] }, T0);
				events = [];
			},
			count: () => total,
		});
	} finally {
		await store.close();
		rmSync(dir, { recursive: true, force: true });
	}
}
