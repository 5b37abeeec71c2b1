// Late events through the whole ingest path: a spill drained a day late is posted with a fresh sentAt (the server's
// clock, so no skew correction moves it) and events stamped when they happened. They belong to their own day's
// rollups, and a resend of the batch is never counted twice.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { REPLAYED_HEADER } from "../ingest/routes.js";
import type { IngestEvent } from "../ingest/schema.js";
import { T0, jsonRequest, makeBatch } from "../testing/fixtures.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Days 7, 8 and 9 after T0 (1 Jan 2025). */
const RANGE = "from=2025-01-08&to=2025-01-10";

let t: TestApp;
let viewer: string;
let gameAuth: string;
let seq = 0;

function event(userId: number, day: number, extra: Partial<IngestEvent> = {}): IngestEvent {
	seq += 1;
	return {
		id: `l${String(seq).padStart(6, "0")}`,
		time: T0 + day * DAY + 10 * HOUR + seq * 1000,
		userId,
		sessionId: `s${userId}-${day}`,
		type: "session_start",
		name: "player",
		props: {},
		...extra,
	};
}

async function post(batchId: string, events: IngestEvent[]): Promise<Response> {
	const batch = makeBatch(events, { batchId, sentAt: t.clock.now });
	const res = await t.app.request("/v1/batches", jsonRequest(batch, { headers: { Authorization: gameAuth } }));
	expect(res.status).toBe(200);
	await t.store.warehouse.catchUp();
	return res;
}

interface Day {
	dau: number;
	newPlayers: number;
}
async function activeDays(): Promise<Pick<Day, "dau" | "newPlayers">[]> {
	const res = await t.app.request(`/v1/games/g1/metrics/active-users?${RANGE}`, {
		headers: { Authorization: viewer },
	});
	expect(res.status).toBe(200);
	const body = (await res.json()) as { segments: { days: Day[] }[] };
	return body.segments[0]!.days.map(({ dau, newPlayers }) => ({ dau, newPlayers }));
}

async function revenueByDay(): Promise<number[]> {
	const res = await t.app.request(`/v1/games/g1/metrics/revenue?${RANGE}`, { headers: { Authorization: viewer } });
	expect(res.status).toBe(200);
	const body = (await res.json()) as { segments: { days: { revenue: number }[] }[] };
	return body.segments[0]!.days.map((d) => d.revenue);
}

beforeEach(async () => {
	seq = 0;
	t = await createTestApp({ now: T0 + 10 * DAY + 12 * HOUR });
	viewer = await t.adminAuth("viewer");
	gameAuth = await t.gameAuth("g1");
	// On time: players 1 and 2 on day 8, player 1 again on day 9.
	await post("on-time", [event(1, 8), event(2, 8), event(1, 9)]);
});

afterEach(() => t.close());

describe("late events posted through POST /v1/batches", () => {
	it("update the rollups of the days they happened on, and a resend changes nothing", async () => {
		expect(await activeDays()).toEqual([
			{ dau: 0, newPlayers: 0 },
			{ dau: 2, newPlayers: 2 },
			{ dau: 1, newPlayers: 0 },
		]);

		// A day later the spill of another server drains: player 3 played (and bought) on day 8, player 1 played on
		// day 8 again, and player 2 had played on day 7, before what we took for their first day.
		t.clock.now += DAY;
		// Tokens of a day ago have expired.
		gameAuth = await t.gameAuth("g1");
		viewer = await t.adminAuth("viewer");
		const late = [
			event(3, 8),
			event(3, 8, { type: "purchase", name: "developer_product", props: { productId: 1, robux: 50 } }),
			event(1, 8, { type: "custom", name: "ping" }),
			event(2, 7),
		];
		const first = await post("spill-1", late);
		expect(await first.json()).toEqual({ accepted: 4, duplicates: 0, rejected: [] });
		// Stored at the times they happened: sentAt matched the server's clock, so no skew correction applied.
		const stored = await t.store.listEvents({ gameId: "g1", batchId: "spill-1", limit: 10 });
		expect(stored.map((e) => e.time)).toEqual(late.map((e) => e.time));

		const expected = [
			{ dau: 1, newPlayers: 1 }, // day 7: player 2, now first seen here
			{ dau: 3, newPlayers: 2 }, // day 8: players 1, 2, 3; 1 and 3 new, 2 returning
			{ dau: 1, newPlayers: 0 }, // day 9: unchanged
		];
		expect(await activeDays()).toEqual(expected);
		expect(await revenueByDay()).toEqual([0, 50, 0]);

		// The same batch again (a lapsed spill lease): the stored answer, nothing written.
		const replay = await post("spill-1", late);
		expect(replay.headers.get(REPLAYED_HEADER)).toBe("true");
		expect(await replay.json()).toEqual({ accepted: 4, duplicates: 0, rejected: [] });
		// The same events under a new batch id: every one a duplicate.
		const resealed = await post("spill-2", late);
		expect(await resealed.json()).toEqual({ accepted: 0, duplicates: 4, rejected: [] });

		expect(await activeDays()).toEqual(expected);
		expect(await revenueByDay()).toEqual([0, 50, 0]);
		expect((await t.store.warehouse.status()).pendingBatches).toBe(0);
	});
});
