// POST /v1/batches with a game's trustClientClock setting: history sent on purpose keeps its times.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { T0, jsonRequest, makeBatch, makeEvent } from "../testing/fixtures.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import { CLIENT_CLOCK_TRUST_TTL_MS } from "./client-clock-trust.js";
import type { ListEventsResponse } from "./routes.js";

const DAY = 86_400_000;
/** Now, on the server's clock: the simulated history below is 10 days older. */
const NOW = T0 + 30 * DAY;

let t: TestApp;
let gameAuth: string;
let ownerAuth: string;
let batches = 0;
beforeEach(async () => {
	t = await createTestApp({ now: NOW });
	gameAuth = await t.gameAuth("g1");
	ownerAuth = await t.adminAuth("owner");
	batches = 0;
});
afterEach(() => t.close());

/**
 * Sends one event stamped `time` in a batch whose sentAt is `sentAt` (a simulation replaying a past day stamps both
 * in that day) and answers the time stored.
 */
async function storedTime(time: number, sentAt: number, path = "/v1/batches"): Promise<number> {
	batches += 1;
	const id = `e-${batches}`;
	const batch = makeBatch([makeEvent({ id, time })], { batchId: `b-${batches}`, sentAt });
	const res = await t.app.request(path, jsonRequest(batch, { headers: { Authorization: gameAuth } }));
	expect(res.status).toBe(200);
	expect(await res.json()).toMatchObject({ accepted: 1 });
	const read = await t.app.request(`/v1/games/g1/events?batchId=b-${batches}`, {
		headers: { Authorization: ownerAuth },
	});
	const [event] = ((await read.json()) as ListEventsResponse).events;
	expect(event?.id).toBe(id);
	return event!.time;
}

async function patchSettings(body: unknown, auth = ownerAuth): Promise<Response> {
	return t.app.request("/v1/admin/games/g1/settings", {
		method: "PATCH",
		headers: { Authorization: auth, "Content-Type": "application/json" },
		body: JSON.stringify(body),
	});
}

const PAST = NOW - 10 * DAY;

describe("trustClientClock", () => {
	it("off (the default): an event of a batch sent with a skewed sentAt is moved onto the server's clock", async () => {
		expect(await storedTime(PAST - 500, PAST)).toBe(NOW - 500);
	});

	it("on: events keep their sent times even when sentAt is days behind the server", async () => {
		expect((await patchSettings({ trustClientClock: true })).status).toBe(200);
		expect(await storedTime(PAST - 500, PAST)).toBe(PAST - 500);
		// The legacy path naming the game takes the same way.
		expect(await storedTime(PAST - 700, PAST, "/v1/games/g1/batches")).toBe(PAST - 700);
		// A sender ahead of the server is not corrected either (within the time window's few minutes).
		expect(await storedTime(NOW + 5 * 60_000, NOW + 5 * 60_000)).toBe(NOW + 5 * 60_000);
	});

	it("takes a PATCH into account on the very next batch, both ways", async () => {
		// The first batch puts "off" into ingest's memory of the setting.
		expect(await storedTime(PAST, PAST)).toBe(NOW);
		await patchSettings({ trustClientClock: true });
		expect(await storedTime(PAST, PAST)).toBe(PAST);
		await patchSettings({ trustClientClock: false });
		expect(await storedTime(PAST, PAST)).toBe(NOW);
	});

	it("sees a change made by another process (the CLI, straight in the store) once the cached value expires", async () => {
		expect(await storedTime(PAST, PAST)).toBe(NOW);
		await t.store.updateGameSettings("g1", { trustClientClock: true }, t.clock.now);
		expect(await storedTime(PAST, PAST)).toBe(NOW);
		t.clock.now += CLIENT_CLOCK_TRUST_TTL_MS;
		expect(await storedTime(PAST, PAST)).toBe(PAST);
	});

	it("is another game's setting only: a second game keeps the correction", async () => {
		await patchSettings({ trustClientClock: true });
		const otherAuth = await t.gameAuth("g2");
		const batch = makeBatch([makeEvent({ id: "other", time: PAST })], { batchId: "b-other", sentAt: PAST });
		await t.app.request("/v1/batches", jsonRequest(batch, { headers: { Authorization: otherAuth } }));
		const read = await t.app.request("/v1/games/g2/events", { headers: { Authorization: ownerAuth } });
		expect(((await read.json()) as ListEventsResponse).events[0]?.time).toBe(NOW);
	});

	it("can be turned on by owners only: analysts and viewers get 403 and ingest keeps correcting", async () => {
		expect(await storedTime(PAST, PAST)).toBe(NOW);
		for (const role of ["viewer", "analyst"] as const) {
			expect((await patchSettings({ trustClientClock: true }, await t.adminAuth(role))).status).toBe(403);
		}
		expect(await storedTime(PAST, PAST)).toBe(NOW);
	});
});
