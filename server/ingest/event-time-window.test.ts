// POST /v1/batches refuses events whose time (after clock-skew correction) is outside the documented window.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { T0, jsonRequest, makeBatch, makeEvent } from "../testing/fixtures.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import { IMPLAUSIBLE_TIME, MAX_EVENT_AGE_MS, MAX_EVENT_LEAD_MS, implausibleTimeReason } from "./event-time-window.js";
import type { ListEventsResponse } from "./routes.js";
import type { IngestResult } from "./schema.js";

const DAY = 86_400_000;
const NOW = T0 + 500 * DAY;

describe("implausibleTimeReason", () => {
	it.each([
		["exactly the oldest accepted time", NOW - MAX_EVENT_AGE_MS, false],
		["one ms older", NOW - MAX_EVENT_AGE_MS - 1, true],
		["exactly the latest accepted time", NOW + MAX_EVENT_LEAD_MS, false],
		["one ms later", NOW + MAX_EVENT_LEAD_MS + 1, true],
		["now", NOW, false],
		["zero", 0, true],
		["beyond the dates a Date holds", Number.MAX_SAFE_INTEGER, true],
	])("%s", (_, time, refused) => {
		expect(implausibleTimeReason(time, NOW) !== undefined).toBe(refused);
	});

	it("names the likely unit mistake", () => {
		expect(implausibleTimeReason(Math.floor(NOW / 1000), NOW)).toMatch(/more than 400 days before.*seconds\?/);
		expect(implausibleTimeReason(NOW * 1000, NOW)).toMatch(/more than 10 minutes after.*microseconds\?/);
		expect(implausibleTimeReason(NOW - MAX_EVENT_AGE_MS - 1, NOW)).not.toMatch(/seconds\?/);
	});
});

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

/** Sends events stamped `times` in one batch sent at `sentAt`; answers the ingest result and the stored times. */
async function send(times: number[], sentAt: number): Promise<{ result: IngestResult; stored: number[] }> {
	batches += 1;
	const events = times.map((time, i) => makeEvent({ id: `b${batches}-e${i}`, time }));
	const batch = makeBatch(events, { batchId: `b-${batches}`, sentAt });
	const res = await t.app.request("/v1/batches", jsonRequest(batch, { headers: { Authorization: gameAuth } }));
	expect(res.status).toBe(200);
	const result = (await res.json()) as IngestResult;
	const read = await t.app.request(`/v1/games/g1/events?batchId=b-${batches}`, {
		headers: { Authorization: ownerAuth },
	});
	const stored = ((await read.json()) as ListEventsResponse).events.map((e) => e.time);
	return { result, stored };
}

async function trustClientClock(): Promise<void> {
	const res = await t.app.request("/v1/admin/games/g1/settings", {
		method: "PATCH",
		headers: { Authorization: ownerAuth, "Content-Type": "application/json" },
		body: JSON.stringify({ trustClientClock: true }),
	});
	expect(res.status).toBe(200);
}

async function rejectedCounted(): Promise<string> {
	return (await t.metrics.registry.getSingleMetricAsString("vantage_events_rejected_total")).trim();
}

describe("POST /v1/batches: the event time window", () => {
	it("without trustClientClock: judges the corrected time, refusing just outside and keeping just inside", async () => {
		// The sender's clock is 3 days behind: every time moves by +3 days before it is judged.
		const sentAt = NOW - 3 * DAY;
		const skew = NOW - sentAt;
		const times = [
			NOW - MAX_EVENT_AGE_MS - skew, // corrected: exactly the oldest accepted
			NOW - MAX_EVENT_AGE_MS - skew - 1, // corrected: 1 ms too old
			NOW + MAX_EVENT_LEAD_MS - skew, // corrected: exactly the latest accepted
			NOW + MAX_EVENT_LEAD_MS - skew + 1, // corrected: 1 ms too far ahead
		];
		const { result, stored } = await send(times, sentAt);
		expect(result.accepted).toBe(2);
		expect(result.rejected).toEqual([
			{ index: 1, code: IMPLAUSIBLE_TIME, message: expect.stringMatching(/more than 400 days before/) },
			{ index: 3, code: IMPLAUSIBLE_TIME, message: expect.stringMatching(/more than 10 minutes after/) },
		]);
		// Kept events are corrected, refused ones are never moved into the window and stored.
		expect(stored.sort()).toEqual([NOW - MAX_EVENT_AGE_MS, NOW + MAX_EVENT_LEAD_MS].sort());
	});

	it("without trustClientClock: a time far outside stays outside after correction (no clamping)", async () => {
		// A time in seconds, sent by a sender whose clock is right: refused, not moved to now.
		const { result, stored } = await send([Math.floor(NOW / 1000), NOW - 1000], NOW);
		expect(result.rejected).toEqual([
			{ index: 0, code: IMPLAUSIBLE_TIME, message: expect.stringMatching(/seconds\?/) },
		]);
		expect(stored).toEqual([NOW - 1000]);
	});

	it("with trustClientClock: judges the sent time, refusing just outside and keeping just inside", async () => {
		await trustClientClock();
		// sentAt days behind the server is not corrected with a trusted clock (a simulated history).
		const sentAt = NOW - 3 * DAY;
		const times = [
			NOW - MAX_EVENT_AGE_MS,
			NOW - MAX_EVENT_AGE_MS - 1,
			NOW + MAX_EVENT_LEAD_MS,
			NOW + MAX_EVENT_LEAD_MS + 1,
			NOW - 28 * DAY,
		];
		const { result, stored } = await send(times, sentAt);
		expect(result.accepted).toBe(3);
		expect(result.rejected.map((r) => [r.index, r.code])).toEqual([
			[1, IMPLAUSIBLE_TIME],
			[3, IMPLAUSIBLE_TIME],
		]);
		expect(stored.sort()).toEqual([NOW - MAX_EVENT_AGE_MS, NOW + MAX_EVENT_LEAD_MS, NOW - 28 * DAY].sort());
	});

	it("counts refused events by reason, apart from invalid ones", async () => {
		const invalid = { ...makeEvent({ id: "bad" }), type: "click" };
		batches += 1;
		const batch = makeBatch([invalid, makeEvent({ id: "old", time: 1 }), makeEvent({ id: "ok", time: NOW })], {
			batchId: "b-count",
			sentAt: NOW,
		});
		const res = await t.app.request("/v1/batches", jsonRequest(batch, { headers: { Authorization: gameAuth } }));
		expect(await res.json()).toMatchObject({
			accepted: 1,
			rejected: [
				{ index: 0, code: "invalid_event" },
				{ index: 1, code: IMPLAUSIBLE_TIME },
			],
		});
		const text = await rejectedCounted();
		expect(text).toContain('vantage_events_rejected_total{code="invalid_event"} 1');
		expect(text).toContain('vantage_events_rejected_total{code="implausible_time"} 1');
	});
});
