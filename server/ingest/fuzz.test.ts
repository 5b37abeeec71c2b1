import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeBatch } from "../testing/fixtures.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import { MAX_EVENT_AGE_MS, MAX_EVENT_LEAD_MS } from "./event-time-window.js";
import type { ListEventsResponse } from "./routes.js";
import { EVENT_TYPES, MAX_PROPS, eventSchema } from "./schema.js";

// Property-based fuzzing of the two endpoints open to the internet before authentication matters (the token
// endpoint) and after it (batches). The invariant: any input gets a 2xx or a 4xx problem document, never a 5xx.

let t: TestApp;
let gameAuth: string;
let analystAuth: string;
let gameKey: string;
beforeAll(async () => {
	t = await createTestApp();
	gameAuth = await t.gameAuth("g1");
	analystAuth = await t.adminAuth("analyst");
	gameKey = await t.gameKey("g1");
});
afterAll(() => t.close());

const headerText = fc.string({
	unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
	maxLength: 80,
});

const contentType = fc.oneof(
	fc.constantFrom(
		"application/json",
		"application/json; charset=utf-8",
		"APPLICATION/JSON",
		"text/plain",
		"application/x-www-form-urlencoded",
		"multipart/form-data; boundary=x",
		"",
	),
	headerText,
);

const contentEncoding = fc.oneof(
	fc.constantFrom(undefined, "gzip", "x-gzip", "identity", "br", "deflate", "gzip, gzip"),
	headerText,
);

/** Nested arrays/objects far deeper than any event. */
const deepNesting = fc.integer({ min: 1, max: 20_000 }).map((depth) => {
	const open = depth % 2 === 0 ? "[" : '{"a":';
	const close = depth % 2 === 0 ? "]" : "}";
	return `${open.repeat(depth)}1${close.repeat(depth)}`;
});

const hugeString = fc
	.integer({ min: 10_000, max: 300_000 })
	.map((n) => JSON.stringify(makeBatch([{ id: "x".repeat(n) }])));

/** A valid envelope around events that may each be valid or garbage. */
const envelopeWithGarbage = fc
	.array(fc.oneof(fc.anything(), fc.jsonValue()), { maxLength: 20 })
	.map((events) => JSON.stringify(makeBatch(events, { batchId: `fz-${Math.random()}` })));

const wrongEnvelope = fc.jsonValue().map((v) => JSON.stringify(v));

const bodyText = fc.oneof(
	fc.string({ maxLength: 200 }),
	fc.json(),
	deepNesting,
	hugeString,
	envelopeWithGarbage,
	wrongEnvelope,
);

/** Bytes as sent: text, random bytes, gzip of text, gzip with a corrupted or truncated tail. */
const bodyBytes = fc.oneof(
	bodyText.map((s) => new TextEncoder().encode(s)),
	fc.uint8Array({ maxLength: 2000 }),
	bodyText.map((s) => new Uint8Array(gzipSync(s))),
	fc.tuple(bodyText, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([s, at, xor]) => {
		const gz = new Uint8Array(gzipSync(s));
		gz[at % gz.length] = (gz[at % gz.length] ?? 0) ^ xor;
		return gz;
	}),
	fc.tuple(bodyText, fc.nat()).map(([s, cut]) => {
		const gz = new Uint8Array(gzipSync(s));
		return gz.subarray(0, cut % gz.length);
	}),
);

async function expectNo5xx(res: Response): Promise<void> {
	const text = await res.text();
	expect(res.status, text).toBeLessThan(500);
	if (res.status >= 400) {
		expect(res.headers.get("content-type")).toBe("application/problem+json");
		expect(JSON.parse(text)).toMatchObject({ status: res.status, code: expect.any(String) });
	}
}

describe("POST /v1/batches under fuzzing", () => {
	it("answers random media types, encodings and bodies with a 2xx or 4xx problem, never a 5xx", async () => {
		await fc.assert(
			fc.asyncProperty(contentType, contentEncoding, bodyBytes, async (type, encoding, body) => {
				const headers: Record<string, string> = { Authorization: gameAuth };
				if (type) headers["Content-Type"] = type;
				if (encoding !== undefined) headers["Content-Encoding"] = encoding;
				await expectNo5xx(await t.app.request("/v1/batches", { method: "POST", headers, body }));
			}),
			{ numRuns: 1000 },
		);
	});

	it("answers malformed JSON, gzip and envelopes with correct headers with a 2xx or 4xx problem, never a 5xx", async () => {
		const plain = bodyText.map((s) => ({ body: new TextEncoder().encode(s) as Uint8Array, gzip: false }));
		const gzipped = bodyBytes.map((body) => ({ body, gzip: true }));
		await fc.assert(
			fc.asyncProperty(fc.oneof(plain, gzipped), async ({ body, gzip }) => {
				const headers: Record<string, string> = { Authorization: gameAuth, "Content-Type": "application/json" };
				if (gzip) headers["Content-Encoding"] = "gzip";
				await expectNo5xx(await t.app.request("/v1/batches", { method: "POST", headers, body }));
			}),
			{ numRuns: 2500 },
		);
	});

	it("answers random Authorization headers with 401, never a 5xx", async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.oneof(
					headerText,
					headerText.map((s) => `Bearer ${s}`),
					fc.base64String().map((s) => `Bearer ${s}.${s}.${s}`),
				),
				async (authorization) => {
					const res = await t.app.request("/v1/batches", {
						method: "POST",
						headers: { Authorization: authorization, "Content-Type": "application/json" },
						body: "{}",
					});
					expect(res.status).toBe(401);
				},
			),
			{ numRuns: 500 },
		);
	});

	it("stores every valid event of a mixed batch and reports exactly the invalid ones", async () => {
		let run = 0;
		// Inside the accepted time window (event-time-window.ts): a time outside it is refused, tested on its own.
		const plausibleTime = fc.integer({
			min: t.clock.now - MAX_EVENT_AGE_MS,
			max: t.clock.now + MAX_EVENT_LEAD_MS,
		});
		const propValue = fc.oneof(
			fc.string({ maxLength: 40 }),
			fc.double({ noNaN: true, noDefaultInfinity: true }),
			fc.boolean(),
			fc.constant(null),
		);
		const propKey = fc.string({ minLength: 1, maxLength: 20 }).filter((k) => k !== "__proto__");
		const genericEvent = fc.record({
			time: plausibleTime,
			userId: fc.nat(),
			sessionId: fc.string({ maxLength: 128 }),
			// Consent events have props of their own (privacy/consent.ts), drawn below.
			type: fc.constantFrom(...EVENT_TYPES.filter((type) => type !== "consent")),
			name: fc.string({ minLength: 1, maxLength: 128 }),
			props: fc.dictionary(propKey, propValue, { maxKeys: MAX_PROPS }),
		});
		const consentEvent = fc.record({
			time: plausibleTime,
			userId: fc.integer({ min: 1, max: 2 ** 40 }),
			sessionId: fc.string({ maxLength: 128 }),
			type: fc.constant("consent" as const),
			name: fc.string({ minLength: 1, maxLength: 128 }),
			props: fc.record({
				policyVersion: fc.constantFrom("1", "2025-01", "v2.1"),
				analytics: fc.boolean(),
				experiments: fc.boolean(),
				personalization: fc.boolean(),
				region: fc.constantFrom("DE", "US", "ZZ"),
				uiVersion: fc.string({ minLength: 1, maxLength: 64 }),
				source: fc.constantFrom("prompt" as const, "api" as const),
			}),
		});
		const validEvent = fc.oneof({ arbitrary: genericEvent, weight: 9 }, { arbitrary: consentEvent, weight: 1 });
		const invalidEvent = fc
			.oneof(fc.anything(), fc.record({ id: fc.string(), type: fc.string() }))
			.filter((e) => !eventSchema.safeParse(e).success);
		const slot = fc.oneof(
			validEvent.map((e) => ({ valid: true as const, e })),
			invalidEvent.map((e) => ({ valid: false as const, e })),
		);

		await fc.assert(
			fc.asyncProperty(fc.array(slot, { minLength: 1, maxLength: 30 }), fc.boolean(), async (slots, gzip) => {
				run++;
				const events = slots.map((s, i) => (s.valid ? { id: `r${run}-${String(i).padStart(3, "0")}`, ...s.e } : s.e));
				const json = JSON.stringify(makeBatch(events, { batchId: `mixed-${run}`, sentAt: t.clock.now }));
				const headers: Record<string, string> = { Authorization: gameAuth, "Content-Type": "application/json" };
				if (gzip) headers["Content-Encoding"] = "gzip";
				const res = await t.app.request("/v1/batches", { method: "POST", headers, body: gzip ? gzipSync(json) : json });
				expect(res.status).toBe(200);
				const body = (await res.json()) as { accepted: number; rejected: { index: number }[] };
				const validIndexes = slots.flatMap((s, i) => (s.valid ? [i] : []));
				expect(body.accepted).toBe(validIndexes.length);
				expect(body.rejected.map((r) => r.index)).toEqual(slots.flatMap((s, i) => (s.valid ? [] : [i])));

				const read = await t.app.request(`/v1/games/g1/events?batchId=mixed-${run}&limit=1000`, {
					headers: { Authorization: analystAuth },
				});
				const stored = ((await read.json()) as ListEventsResponse).events.map((e) => e.id);
				expect(stored).toEqual(validIndexes.map((i) => `r${run}-${String(i).padStart(3, "0")}`));
			}),
			{ numRuns: 300 },
		);
	});
});

describe("POST /v1/oauth/token under fuzzing", () => {
	it("answers every malformed token request with a 4xx problem, never a 5xx", async () => {
		const authorization = fc.oneof(
			fc.constant(undefined),
			fc.constant(`Bearer ${gameKey}`),
			fc.constant(`Bearer ${gameKey}`),
			fc.constant(`Bearer ${gameKey}`),
			headerText,
			headerText.map((s) => `Basic ${Buffer.from(s).toString("base64")}`),
			fc.base64String({ maxLength: 200 }).map((s) => `Basic ${s}`),
			headerText.map((s) => `Bearer ${s}`),
		);
		const body = fc.oneof(
			fc.string({ maxLength: 300 }),
			fc.json(),
			fc.constantFrom(
				"grant_type=client_credentials",
				"grant_type=client_credentials&scope=ingest%20nope",
				"grant_type=%ZZ",
				"scope=ingest",
			),
			fc
				.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }))
				.map((d) => new URLSearchParams(d).toString()),
			fc.uint8Array({ maxLength: 5000 }),
			deepNesting,
		);
		const tokenEncoding = fc.oneof(
			{ arbitrary: fc.constant(undefined), weight: 4 },
			{ arbitrary: contentEncoding, weight: 1 },
		);
		const type = fc.oneof(
			{ arbitrary: contentType, weight: 1 },
			{ arbitrary: fc.constant("application/x-www-form-urlencoded"), weight: 3 },
		);
		await fc.assert(
			fc.asyncProperty(authorization, type, tokenEncoding, body, async (auth, ct, encoding, payload) => {
				const headers: Record<string, string> = {};
				if (auth !== undefined) headers.Authorization = auth;
				if (ct) headers["Content-Type"] = ct;
				if (encoding !== undefined) headers["Content-Encoding"] = encoding;
				await expectNo5xx(await t.app.request("/v1/oauth/token", { method: "POST", headers, body: payload }));
			}),
			{ numRuns: 1500 },
		);
	});

	it("answers malformed admin logins with a 4xx problem, never a 5xx", async () => {
		await fc.assert(
			fc.asyncProperty(fc.oneof(fc.json(), fc.string(), deepNesting), async (payload) => {
				const res = await t.app.request("/v1/admin/login", {
					method: "POST",
					headers: { "Content-Type": "application/json" },
					body: payload,
				});
				await expectNo5xx(res);
			}),
			{ numRuns: 200 },
		);
	});
});
