import { describe, expect, it } from "vitest";
import { makeBatch, makeEvent } from "../testing/fixtures.js";
import { EVENT_TYPES, MAX_EVENTS_PER_BATCH, batchEnvelopeSchema, eventSchema, validateEvents } from "./schema.js";

describe("eventSchema", () => {
	it("accepts a complete event", () => {
		expect(eventSchema.parse(makeEvent())).toEqual(makeEvent());
	});

	it.each(EVENT_TYPES)("accepts type %s", (type) => {
		expect(eventSchema.safeParse(makeEvent({ type })).success).toBe(true);
	});

	it("accepts a server-level event (userId 0) and strips unknown members", () => {
		const parsed = eventSchema.parse({ ...makeEvent({ userId: 0 }), extra: "future field" });
		expect(parsed.userId).toBe(0);
		expect(parsed).not.toHaveProperty("extra");
	});

	it("accepts exactly 64 props", () => {
		const props = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, i]));
		expect(eventSchema.safeParse(makeEvent({ props })).success).toBe(true);
	});

	const invalid: [string, Record<string, unknown>][] = [
		["empty id", { id: "" }],
		["id over 64 characters", { id: "x".repeat(65) }],
		["fractional time", { time: 1.5 }],
		["negative userId", { userId: -1 }],
		["fractional userId", { userId: 1.5 }],
		["string userId", { userId: "42" }],
		["unknown type", { type: "click" }],
		["empty name", { name: "" }],
		["name over 128 characters", { name: "n".repeat(129) }],
		["object prop value", { props: { nested: { a: 1 } } }],
		["array prop value", { props: { list: [1] } }],
		["65 props", { props: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])) }],
		["missing sessionId", { sessionId: undefined }],
	];
	it.each(invalid)("rejects %s", (_, overrides) => {
		expect(eventSchema.safeParse({ ...makeEvent(), ...overrides }).success).toBe(false);
	});

	it("rejects a __proto__ prop instead of dropping it", () => {
		const raw = JSON.parse(`{"__proto__": 1}`) as Record<string, unknown>;
		expect(eventSchema.safeParse({ ...makeEvent(), props: raw }).success).toBe(false);
	});
});

describe("batchEnvelopeSchema", () => {
	it("accepts a batch without sdk info", () => {
		const { sdk: _sdk, ...rest } = makeBatch([makeEvent()]);
		expect(batchEnvelopeSchema.safeParse(rest).success).toBe(true);
	});

	it.each([
		["no events", makeBatch([])],
		["too many events", makeBatch(Array.from({ length: MAX_EVENTS_PER_BATCH + 1 }, () => ({})))],
		["missing batchId", makeBatch([{}], { batchId: undefined })],
		["batchId over 64 characters", makeBatch([{}], { batchId: "b".repeat(65) })],
		["sentAt as a string", makeBatch([{}], { sentAt: "2025-01-01" })],
	])("rejects %s", (_, body) => {
		expect(batchEnvelopeSchema.safeParse(body).success).toBe(false);
	});
});

describe("validateEvents", () => {
	it("keeps valid events and reports each invalid one by index", () => {
		const good = makeEvent({ id: "good" });
		const result = validateEvents([good, { ...makeEvent(), type: "click" }, makeEvent({ id: "good2" }), "nope"]);
		expect(result.events.map((e) => e.id)).toEqual(["good", "good2"]);
		expect(result.rejected).toEqual([
			{ index: 1, code: "invalid_event", message: expect.stringMatching(/^type: /) },
			{ index: 3, code: "invalid_event", message: expect.any(String) },
		]);
	});
});
