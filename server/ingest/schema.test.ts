import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { makeBatch, makeEvent } from "../testing/fixtures.js";
import {
	EVENT_TYPES,
	MAX_EVENTS_PER_BATCH,
	batchEnvelopeSchema,
	eventSchema,
	fastValidEvent,
	isValidProps,
	propsSchema,
	validateEvents,
} from "./schema.js";

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

describe("fastValidEvent and isValidProps (the fast path of validateEvents)", () => {
	// JSON-shaped values, biased to the edges of the props rules: empty and 128/129-character keys, 64/65 keys,
	// nested values, __proto__.
	const key = fc.oneof(
		fc.string({ maxLength: 12 }),
		fc.constantFrom("", "__proto__", "constructor", "k".repeat(128), "k".repeat(129)),
	);
	const value = fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.constantFrom(null, true, 0, -0, 1.5, "", [], {}));
	const props = fc.oneof(
		fc.dictionary(key, value, { maxKeys: 70 }),
		fc.integer({ min: 60, max: 70 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))),
		fc.jsonValue(),
	);

	it("agrees with propsSchema on JSON-parsed input", () => {
		fc.assert(
			fc.property(props, (raw) => {
				const parsed: unknown = JSON.parse(JSON.stringify(raw) ?? "null");
				expect(isValidProps(parsed)).toBe(propsSchema.safeParse(parsed).success);
			}),
			{ numRuns: 3000 },
		);
	});

	it("agrees with eventSchema, verdict and output, on JSON-parsed event-like input", () => {
		const str = (max: number) =>
			fc.oneof(fc.string({ maxLength: max + 2 }), fc.constant(""), fc.constant("x".repeat(max + 1)));
		const num = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 1.5, Number.MAX_SAFE_INTEGER, 2 ** 53));
		const field = <T>(arb: fc.Arbitrary<T>) =>
			fc.oneof({ arbitrary: arb, weight: 5 }, { arbitrary: fc.jsonValue(), weight: 1 });
		const event = fc.record(
			{
				id: field(str(64)),
				time: field(num),
				userId: field(num),
				sessionId: field(str(128)),
				type: field(fc.oneof(fc.constantFrom(...EVENT_TYPES), fc.string())),
				name: field(str(128)),
				props: field(props),
				extra: fc.jsonValue(),
			},
			{ requiredKeys: [] },
		);
		fc.assert(
			fc.property(fc.oneof(event, fc.jsonValue()), (raw) => {
				const parsed: unknown = JSON.parse(JSON.stringify(raw) ?? "null");
				const expected = eventSchema.safeParse(parsed);
				expect(fastValidEvent(parsed)).toEqual(expected.success ? expected.data : undefined);
			}),
			{ numRuns: 5000 },
		);
	});

	it("refuses an own __proto__ key like propsSchema", () => {
		const raw: unknown = JSON.parse(`{"__proto__": 1}`);
		expect(isValidProps(raw)).toBe(false);
		expect(propsSchema.safeParse(raw).success).toBe(false);
	});
});
