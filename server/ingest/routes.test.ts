import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { T0, jsonRequest as plainJsonRequest, makeBatch, makeEvent, makeEvents } from "../testing/fixtures.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import { REPLAYED_HEADER, type ListEventsResponse } from "./routes.js";
import { MAX_EVENTS_PER_BATCH } from "./schema.js";

const NOW = T0 + 1000;
const BATCHES = "/v1/batches";

let t: TestApp;
let app: TestApp["app"];
let gameAuth: string;
let analystAuth: string;
beforeEach(async () => {
	t = await createTestApp({ now: NOW });
	app = t.app;
	gameAuth = await t.gameAuth("g1");
	analystAuth = await t.adminAuth("analyst");
});
afterEach(() => t.close());

/** A JSON POST carrying the game's access token. */
function jsonRequest(body: unknown, init: { gzip?: boolean; headers?: Record<string, string> } = {}): RequestInit {
	return plainJsonRequest(body, { ...init, headers: { Authorization: gameAuth, ...init.headers } });
}

async function storedEvents(query = ""): Promise<ListEventsResponse> {
	const res = await app.request(`/v1/games/g1/events${query}`, { headers: { Authorization: analystAuth } });
	expect(res.status).toBe(200);
	return (await res.json()) as ListEventsResponse;
}

async function expectProblem(res: Response, status: number, code: string): Promise<Record<string, unknown>> {
	expect(res.status).toBe(status);
	expect(res.headers.get("content-type")).toBe("application/problem+json");
	const body = (await res.json()) as Record<string, unknown>;
	expect(body).toMatchObject({ status, code, type: `urn:vantage:problem:${code}` });
	return body;
}

describe("POST /v1/batches", () => {
	it("accepts a valid batch", async () => {
		const res = await app.request(BATCHES, jsonRequest(makeBatch(makeEvents(3))));
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ accepted: 3, duplicates: 0, rejected: [] });
		expect((await storedEvents()).events).toHaveLength(3);
	});

	it("drops only rejected events and reports them by index", async () => {
		const events = [
			makeEvent({ id: "ok-1" }),
			{ ...makeEvent({ id: "bad-type" }), type: "click" },
			makeEvent({ id: "ok-2" }),
			{ ...makeEvent({ id: "bad-user" }), userId: -5 },
		];
		const res = await app.request(BATCHES, jsonRequest(makeBatch(events)));
		expect(res.status).toBe(200);
		const body = (await res.json()) as { accepted: number; rejected: { index: number; code: string }[] };
		expect(body.accepted).toBe(2);
		expect(body.rejected.map((r) => [r.index, r.code])).toEqual([
			[1, "invalid_event"],
			[3, "invalid_event"],
		]);
		expect((await storedEvents()).events.map((e) => e.id)).toEqual(["ok-1", "ok-2"]);
	});

	it("answers a retried batch with the same response and stores nothing twice", async () => {
		const request = () => jsonRequest(makeBatch([...makeEvents(2), { id: "broken" }]), { gzip: true });
		const first = await app.request(BATCHES, request());
		const second = await app.request(BATCHES, request());
		expect(second.status).toBe(200);
		expect(await second.json()).toEqual(await first.json());
		expect((await storedEvents()).events).toHaveLength(2);
	});

	it("counts events already stored under another batch as duplicates", async () => {
		await app.request(BATCHES, jsonRequest(makeBatch(makeEvents(2), { batchId: "b-1" })));
		const res = await app.request(BATCHES, jsonRequest(makeBatch(makeEvents(3), { batchId: "b-2" })));
		expect(await res.json()).toEqual({ accepted: 1, duplicates: 2, rejected: [] });
	});

	it("accepts a full batch of MAX_EVENTS_PER_BATCH realistic events within the byte limits", async () => {
		const events = makeEvents(MAX_EVENTS_PER_BATCH).map((e, i) => ({
			...e,
			props: { level: i % 50, mode: "story", currency: "gems", amount: i % 7, first: i % 2 === 0 },
		}));
		const res = await app.request(BATCHES, jsonRequest(makeBatch(events), { gzip: true }));
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ accepted: MAX_EVENTS_PER_BATCH, duplicates: 0, rejected: [] });
	});

	it("inflates a gzip body", async () => {
		const res = await app.request(BATCHES, jsonRequest(makeBatch(makeEvents(5)), { gzip: true }));
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ accepted: 5 });
	});

	it("records receivedAt and corrects event time when the sender's clock is off by more than 5 s", async () => {
		const behind = 60_000;
		await app.request(
			BATCHES,
			jsonRequest(makeBatch([makeEvent({ id: "late", time: T0 - behind - 500 })], { sentAt: NOW - behind })),
		);
		await app.request(
			BATCHES,
			jsonRequest(makeBatch([makeEvent({ id: "near", time: T0 })], { batchId: "b-2", sentAt: NOW - 3000 })),
		);
		const events = (await storedEvents()).events;
		expect(events.find((e) => e.id === "late")).toMatchObject({ time: T0 - 500, receivedAt: NOW });
		expect(events.find((e) => e.id === "near")).toMatchObject({ time: T0, receivedAt: NOW });
	});

	it("answers 413 when the compressed body exceeds the wire limit", async () => {
		// Random bytes do not compress, so the gzip body stays over 1 MiB.
		const big = makeBatch([makeEvent({ props: { blob: randomBytes(1_200_000).toString("base64") } })]);
		const res = await app.request(BATCHES, jsonRequest(big, { gzip: true }));
		const body = await expectProblem(res, 413, "payload_too_large");
		expect(body.limitBytes).toBe(1024 * 1024);
		expect((await storedEvents()).events).toEqual([]);
	});

	it("answers 413 for a body without Content-Length that streams past the limit", async () => {
		const small = await createTestApp({ env: { VANTAGE_MAX_BODY_BYTES: "1000" } });
		const auth = await small.gameAuth("g1");
		const chunk = new TextEncoder().encode(" ".repeat(400));
		let sent = 0;
		const body = new ReadableStream<Uint8Array>({
			pull(controller) {
				sent++;
				if (sent > 10) controller.close();
				else controller.enqueue(chunk);
			},
		});
		const res = await small.app.request(BATCHES, {
			method: "POST",
			headers: { "Content-Type": "application/json", Authorization: auth },
			body,
			duplex: "half",
		} as RequestInit);
		await expectProblem(res, 413, "payload_too_large");
		await small.close();
		// Reading stopped at the first chunk past the limit instead of draining the stream.
		expect(sent).toBeLessThan(10);
	});

	it("answers 413 for a gzip bomb (20 MB of zeros) without inflating it all", async () => {
		const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024));
		expect(bomb.length).toBeLessThan(1024 * 1024);
		const res = await app.request(BATCHES, {
			method: "POST",
			headers: { "Content-Type": "application/json", "Content-Encoding": "gzip", Authorization: gameAuth },
			body: bomb,
		});
		const body = await expectProblem(res, 413, "payload_too_large");
		expect(body.limitBytes).toBe(8 * 1024 * 1024);
	});

	it("answers 400 invalid_gzip for a corrupt gzip body", async () => {
		const res = await app.request(BATCHES, {
			method: "POST",
			headers: { "Content-Type": "application/json", "Content-Encoding": "gzip", Authorization: gameAuth },
			body: "this is not gzip",
		});
		await expectProblem(res, 400, "invalid_gzip");
	});

	it("answers 400 invalid_gzip for a truncated gzip body", async () => {
		const gz = gzipSync(JSON.stringify(makeBatch(makeEvents(20))));
		const res = await app.request(BATCHES, {
			method: "POST",
			headers: { "Content-Type": "application/json", "Content-Encoding": "gzip", Authorization: gameAuth },
			body: gz.subarray(0, gz.length - 10),
		});
		await expectProblem(res, 400, "invalid_gzip");
	});

	it.each([
		["malformed JSON", "{not json"],
		["an empty body", ""],
	])("answers 400 invalid_json for %s", async (_, body) => {
		const res = await app.request(BATCHES, jsonRequest(body));
		await expectProblem(res, 400, "invalid_json");
	});

	it("answers 400 invalid_json for invalid UTF-8", async () => {
		const res = await app.request(BATCHES, {
			method: "POST",
			headers: { "Content-Type": "application/json", Authorization: gameAuth },
			body: new Uint8Array([0x22, 0xff, 0xfe, 0x22]),
		});
		await expectProblem(res, 400, "invalid_json");
	});

	it("answers 400 validation_failed with the envelope's errors", async () => {
		const res = await app.request(BATCHES, jsonRequest(makeBatch([], { batchId: "" })));
		const body = await expectProblem(res, 400, "validation_failed");
		const paths = (body.errors as { path: string }[]).map((e) => e.path);
		expect(paths).toEqual(expect.arrayContaining(["batchId", "events"]));
	});

	it.each([
		["text/plain", undefined],
		[undefined, undefined],
		["application/json", "br"],
		["application/json", "deflate"],
	])("answers 415 for Content-Type %s / Content-Encoding %s", async (type, encoding) => {
		const headers: Record<string, string> = { Authorization: gameAuth };
		if (type) headers["Content-Type"] = type;
		if (encoding) headers["Content-Encoding"] = encoding;
		const res = await app.request(BATCHES, {
			method: "POST",
			headers,
			body: JSON.stringify(makeBatch(makeEvents(1))),
		});
		await expectProblem(res, 415, "unsupported_media_type");
	});

	it("accepts a charset parameter on the media type", async () => {
		const res = await app.request(
			BATCHES,
			jsonRequest(makeBatch(makeEvents(1)), { headers: { "Content-Type": "application/json; charset=utf-8" } }),
		);
		expect(res.status).toBe(200);
	});
});

describe("POST /v1/batches authentication and limits", () => {
	it("answers 401 with a Bearer challenge without a token, and stores nothing", async () => {
		const res = await app.request(BATCHES, plainJsonRequest(makeBatch(makeEvents(1))));
		await expectProblem(res, 401, "unauthorized");
		expect(res.headers.get("www-authenticate")).toBe('Bearer realm="vantage"');
		expect((await storedEvents()).events).toEqual([]);
	});

	it("answers 401 for a game key sent directly instead of a token", async () => {
		const key = await t.gameKey("g1");
		const res = await app.request(
			BATCHES,
			jsonRequest(makeBatch(makeEvents(1)), { headers: { Authorization: `Bearer ${key}` } }),
		);
		await expectProblem(res, 401, "invalid_token");
		expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="vantage", error="invalid_token"/);
	});

	it("answers 403 insufficient_scope for a token without the ingest scope", async () => {
		const configOnly = await t.gameAuth("g1", ["config"]);
		const res = await app.request(
			BATCHES,
			jsonRequest(makeBatch(makeEvents(1)), { headers: { Authorization: configOnly } }),
		);
		await expectProblem(res, 403, "insufficient_scope");
		expect(res.headers.get("www-authenticate")).toContain('error="insufficient_scope", scope="ingest"');
	});

	it("answers 401 for an admin token", async () => {
		const res = await app.request(
			BATCHES,
			jsonRequest(makeBatch(makeEvents(1)), { headers: { Authorization: analystAuth } }),
		);
		await expectProblem(res, 401, "invalid_token");
	});

	it("marks the answer to a retried batch as replayed", async () => {
		const first = await app.request(BATCHES, jsonRequest(makeBatch(makeEvents(2))));
		expect(first.headers.get(REPLAYED_HEADER)).toBeNull();
		const retry = await app.request(BATCHES, jsonRequest(makeBatch(makeEvents(2))));
		expect(retry.headers.get(REPLAYED_HEADER)).toBe("true");
	});

	it("stores events under the token's game", async () => {
		const other = await t.gameAuth("g2");
		await app.request(BATCHES, jsonRequest(makeBatch(makeEvents(2)), { headers: { Authorization: other } }));
		expect((await storedEvents()).events).toEqual([]);
		const res = await app.request("/v1/games/g2/events", { headers: { Authorization: analystAuth } });
		expect(((await res.json()) as ListEventsResponse).events).toHaveLength(2);
	});

	it("rate-limits each game with 429 and Retry-After", async () => {
		const limited = await createTestApp({
			now: NOW,
			env: { VANTAGE_GAME_RATE_PER_SECOND: "1", VANTAGE_GAME_BURST: "2" },
		});
		const auth = await limited.gameAuth("g1");
		const other = await limited.gameAuth("g2");
		const post = (batchId: string, authorization = auth) =>
			limited.app.request(
				BATCHES,
				plainJsonRequest(makeBatch(makeEvents(1), { batchId }), { headers: { Authorization: authorization } }),
			);
		expect((await post("b1")).status).toBe(200);
		expect((await post("b2")).status).toBe(200);
		const res = await post("b3");
		await expectProblem(res, 429, "rate_limited");
		expect(res.headers.get("retry-after")).toBe("1");
		expect((await post("b4", other)).status).toBe(200);
		limited.clock.now += 1000;
		expect((await post("b5")).status).toBe(200);
		await limited.close();
	});
});

describe("POST /v1/games/:gameId/batches", () => {
	it("accepts a batch for the token's own game", async () => {
		const res = await app.request("/v1/games/g1/batches", jsonRequest(makeBatch(makeEvents(2))));
		expect(res.status).toBe(200);
		expect((await storedEvents()).events).toHaveLength(2);
	});

	it("answers 403 for another game's path and stores nothing", async () => {
		await t.gameKey("g2");
		const res = await app.request("/v1/games/g2/batches", jsonRequest(makeBatch(makeEvents(2))));
		await expectProblem(res, 403, "forbidden");
		const events = await app.request("/v1/games/g2/events", { headers: { Authorization: analystAuth } });
		expect(((await events.json()) as ListEventsResponse).events).toEqual([]);
	});

	it("answers 400 validation_failed for an unsafe game id", async () => {
		const res = await app.request("/v1/games/bad%20id/batches", jsonRequest(makeBatch(makeEvents(1))));
		await expectProblem(res, 400, "validation_failed");
	});

	it("answers 401 without a token", async () => {
		const res = await app.request("/v1/games/g1/batches", plainJsonRequest(makeBatch(makeEvents(1))));
		await expectProblem(res, 401, "unauthorized");
	});
});

describe("GET /v1/games/:gameId/events", () => {
	beforeEach(async () => {
		const events = [
			makeEvent({ id: "a1", userId: 1, type: "session_start" }),
			makeEvent({ id: "a2", userId: 1 }),
			makeEvent({ id: "a3", userId: 2 }),
		];
		await app.request(BATCHES, jsonRequest(makeBatch(events, { batchId: "b-1" })));
		await app.request(BATCHES, jsonRequest(makeBatch([makeEvent({ id: "a4", userId: 2 })], { batchId: "b-2" })));
	});

	it("returns events with props as objects", async () => {
		const { events, next } = await storedEvents();
		expect(events.map((e) => e.id)).toEqual(["a1", "a2", "a3", "a4"]);
		expect(events[0]?.props).toEqual(makeEvent().props);
		expect(next).toBeNull();
	});

	it.each([
		["?batchId=b-2", ["a4"]],
		["?userId=1", ["a1", "a2"]],
		["?type=session_start", ["a1"]],
		["?userId=2&batchId=b-1", ["a3"]],
	])("filters with %s", async (query, ids) => {
		expect((await storedEvents(query)).events.map((e) => e.id)).toEqual(ids);
	});

	it("pages with limit and the next cursor", async () => {
		const first = await storedEvents("?limit=3");
		expect(first.events.map((e) => e.id)).toEqual(["a1", "a2", "a3"]);
		expect(first.next).toBe("a3");
		const second = await storedEvents(`?limit=3&after=${first.next}`);
		expect(second.events.map((e) => e.id)).toEqual(["a4"]);
		expect(second.next).toBeNull();
	});

	it.each([["?limit=0"], ["?limit=1001"], ["?userId=abc"], ["?type=click"]])(
		"answers 400 validation_failed for %s",
		async (query) => {
			const res = await app.request(`/v1/games/g1/events${query}`, { headers: { Authorization: analystAuth } });
			await expectProblem(res, 400, "validation_failed");
		},
	);

	it("needs an analyst or owner token", async () => {
		const path = "/v1/games/g1/events";
		await expectProblem(await app.request(path), 401, "unauthorized");
		await expectProblem(await app.request(path, { headers: { Authorization: gameAuth } }), 401, "invalid_token");
		const viewer = await t.adminAuth("viewer");
		await expectProblem(await app.request(path, { headers: { Authorization: viewer } }), 403, "forbidden");
		const owner = await t.adminAuth("owner");
		expect((await app.request(path, { headers: { Authorization: owner } })).status).toBe(200);
	});
});

describe("GET /v1/games/:gameId/events by name and time", () => {
	// Ten events one second apart from T0; names alternate; ids follow time.
	const events = Array.from({ length: 10 }, (_, i) =>
		makeEvent({ id: `t${i}`, time: T0 + i * 1000, name: i % 2 === 0 ? "jump" : "shop", userId: i % 3 }),
	);
	beforeEach(async () => {
		const res = await app.request(BATCHES, jsonRequest(makeBatch(events, { batchId: "b-times" })));
		expect(await res.json()).toMatchObject({ accepted: 10 });
	});

	const iso = (ms: number) => new Date(ms).toISOString();

	it.each([
		["unix ms", `?from=${T0 + 2000}&to=${T0 + 5000}`, ["t2", "t3", "t4"]],
		["ISO date-times", `?from=${iso(T0 + 2000)}&to=${iso(T0 + 5000)}`, ["t2", "t3", "t4"]],
		["an ISO offset", `?from=${encodeURIComponent("2025-01-01T02:00:07+02:00")}`, ["t7", "t8", "t9"]],
		["an ISO date (UTC midnight)", "?to=2025-01-01", []],
		["from alone (inclusive)", `?from=${T0 + 8000}`, ["t8", "t9"]],
		["to alone (exclusive)", `?to=${T0 + 2000}`, ["t0", "t1"]],
		["a name", "?name=shop", ["t1", "t3", "t5", "t7", "t9"]],
		["a name and a range", `?name=jump&from=${T0 + 3000}&to=${T0 + 9000}`, ["t4", "t6", "t8"]],
		["every filter", `?name=jump&from=${T0}&to=${T0 + 9000}&userId=0&type=custom&batchId=b-times`, ["t0", "t6"]],
		["a name nobody sent", "?name=Jump", []],
	])("filters by %s", async (_, query, ids) => {
		expect((await storedEvents(query)).events.map((e) => e.id)).toEqual(ids);
	});

	it("pages through a filtered range with the next cursor", async () => {
		const query = `name=jump&from=${iso(T0 + 1000)}&to=${T0 + 10_000}&limit=2`;
		const seen: string[] = [];
		let next: string | null = "";
		for (let page = 0; next !== null && page < 10; page++) {
			const body: ListEventsResponse = await storedEvents(`?${query}${next ? `&after=${next}` : ""}`);
			seen.push(...body.events.map((e) => e.id));
			next = body.next;
		}
		expect(seen).toEqual(["t2", "t4", "t6", "t8"]);
	});

	it.each([
		["a misspelt filter", "?username=3", "username"],
		["snake case", "?user_id=3", "user_id"],
		["an export-only parameter", "?format=csv", "format"],
	])("answers 400 naming an unknown parameter: %s", async (_, query, name) => {
		const res = await app.request(`/v1/games/g1/events${query}`, { headers: { Authorization: analystAuth } });
		const body = await expectProblem(res, 400, "validation_failed");
		expect(body.detail).toBe(`Unknown query parameter: ${name}.`);
		expect(body.errors).toEqual([{ path: name, message: "unknown parameter" }]);
	});

	it("names every unknown parameter, next to the other errors", async () => {
		const res = await app.request("/v1/games/g1/events?foo=1&limit=0&bar=2", {
			headers: { Authorization: analystAuth },
		});
		const body = await expectProblem(res, 400, "validation_failed");
		expect(body.detail).toBe("Unknown query parameter: foo, bar.");
		expect((body.errors as { path: string }[]).map((e) => e.path)).toEqual(["foo", "bar", "limit"]);
	});

	it.each([
		["from equal to to", `?from=${T0}&to=${T0}`, "to"],
		["from after to", `?from=${iso(T0 + 5000)}&to=${iso(T0)}`, "to"],
		["a word", "?from=yesterday", "from"],
		["an empty value", "?to=", "to"],
		["a negative number", "?from=-5", "from"],
		["seconds with a fraction", "?from=1735689600.5", "from"],
		["a date-time without an offset", "?from=2025-01-01T00:00:00", "from"],
		["a date-time without seconds", "?from=2025-01-01T00:00Z", "from"],
		["an impossible date", "?to=2025-02-30", "to"],
		["a time past the Date range", "?to=9999999999999999", "to"],
		["an empty userId (not 0)", "?userId=", "userId"],
		["an exponent userId", "?userId=1e3", "userId"],
		["a userId past 2^53", "?userId=9007199254740993", "userId"],
		["an empty name", "?name=", "name"],
	])("answers 400 for %s", async (_, query, path) => {
		const res = await app.request(`/v1/games/g1/events${query}`, { headers: { Authorization: analystAuth } });
		const body = await expectProblem(res, 400, "validation_failed");
		expect((body.errors as { path: string }[]).map((e) => e.path)).toEqual([path]);
	});

	it("answers 400 for a parameter given twice", async () => {
		const res = await app.request("/v1/games/g1/events?name=jump&name=shop", {
			headers: { Authorization: analystAuth },
		});
		const body = await expectProblem(res, 400, "validation_failed");
		expect(body.errors).toEqual([{ path: "name", message: "given more than once" }]);
	});
});
