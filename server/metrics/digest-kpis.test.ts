import { afterEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { IngestEvent } from "../ingest/schema.js";
import type { Store } from "../store/types.js";
import { metricsDigestKpis } from "./digest-kpis.js";

const DAY = 86_400_000;
const D = Date.UTC(2026, 4, 10);
let store: Store;

afterEach(async () => {
	await store.close();
});

describe("metricsDigestKpis", () => {
	it("gives the digest the day's overview against the day before", async () => {
		store = openSqliteStore({ path: ":memory:", autoFold: false });
		await store.createGame({ id: "g", name: "g", createdAt: D - DAY });
		const event = (
			id: string,
			userId: number,
			time: number,
			type: "custom" | "purchase" = "custom",
			robux = 0,
		): IngestEvent => ({
			id,
			userId,
			time,
			sessionId: "",
			type,
			name: type === "purchase" ? "developer_product" : "ping",
			props: type === "purchase" ? { robux } : { n: 1 },
		});
		// The day before: players 1 and 2. The day: players 1, 2 and 3; player 3 spends 40 Robux.
		const events = [
			event("a", 1, D - DAY + 1000),
			event("b", 2, D - DAY + 2000),
			event("c", 1, D + 1000),
			event("d", 2, D + 2000),
			event("e", 3, D + 3000),
			event("f", 3, D + 4000, "purchase", 40),
		];
		await store.ingestBatch("g", { batchId: "b", sentAt: D, events, rejected: [] }, D);
		await store.warehouse.catchUp();
		const kpis = await metricsDigestKpis(store, () => D + 2 * DAY)("g", "2026-05-10");
		const byKey = Object.fromEntries(kpis.map((k) => [k.key, k]));
		expect([byKey.dau!.value, byKey.dau!.previous, byKey.dau!.unit]).toEqual([3, 2, "players"]);
		expect([byKey.newPlayers!.value, byKey.newPlayers!.previous]).toEqual([1, 2]);
		expect([byKey.revenue!.value, byKey.revenue!.previous, byKey.revenue!.unit]).toEqual([40, 0, "robux"]);
		// Day-1 retention of the day's cohort (player 3), known once the 11th has ended: player 3 was not back.
		expect(byKey.d1Retention!.value).toBe(0);
		await expect(metricsDigestKpis(store, Date.now)("g", "2026-13-01")).rejects.toThrow("not a date");
	});
});
