import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { startServer, type RunningServer } from "../server.js";
import { makeBatch, makeEvents, memoryLogger } from "../testing/fixtures.js";
import { fetchAdminAuth, fetchGameAuth, provisionAdmin, provisionGameKey } from "../testing/provision.js";
import { REPLAYED_HEADER, type ListEventsResponse } from "./routes.js";

// Over real HTTP against startServer: concurrent retries of one batch must store each event once.

let dir: string;
let server: RunningServer;
let gameAuth: string;
let analystAuth: string;
beforeAll(async () => {
	dir = mkdtempSync(join(tmpdir(), "vantage-idempotency-"));
	server = await startServer(loadConfig({ PORT: "0", HOST: "127.0.0.1", VANTAGE_DATA_DIR: dir }), {
		logger: memoryLogger("error").logger,
	});
	gameAuth = await fetchGameAuth(server.url, await provisionGameKey(dir, "g1"));
	analystAuth = await fetchAdminAuth(server.url, await provisionAdmin(dir, "analyst"));
});
afterAll(async () => {
	await server.close();
	rmSync(dir, { recursive: true, force: true });
});

function post(batch: unknown): Promise<Response> {
	return fetch(`${server.url}/v1/batches`, {
		method: "POST",
		headers: { "Content-Type": "application/json", "Content-Encoding": "gzip", Authorization: gameAuth },
		body: gzipSync(JSON.stringify(batch)),
	});
}

async function stored(query: string): Promise<string[]> {
	const res = await fetch(`${server.url}/v1/games/g1/events?limit=1000&${query}`, {
		headers: { Authorization: analystAuth },
	});
	return ((await res.json()) as ListEventsResponse).events.map((e) => e.id);
}

describe("idempotency over HTTP", () => {
	it("replays a retry of a batch (even with a new sentAt) and refuses its batchId for other events with 409", async () => {
		const events = makeEvents(3, "fp");
		const first = await post(makeBatch(events, { batchId: "fp-1" }));
		expect(first.status).toBe(200);
		const retry = await post(makeBatch(events, { batchId: "fp-1", sentAt: Date.now() + 5000 }));
		expect(retry.status).toBe(200);
		expect(retry.headers.get(REPLAYED_HEADER)).toBe("true");
		const reused = await post(makeBatch(makeEvents(2, "other"), { batchId: "fp-1" }));
		expect(reused.status).toBe(409);
		expect(((await reused.json()) as { detail: string }).detail).toMatch(/already used for other events/);
		expect(await stored("batchId=fp-1")).toHaveLength(3);
	});

	it("stores each event once when the same batch is posted 3 times concurrently", async () => {
		const batch = makeBatch([...makeEvents(200, "same"), { id: "broken" }], { batchId: "concurrent-1" });
		const responses = await Promise.all([post(batch), post(batch), post(batch)]);
		expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
		const bodies = await Promise.all(responses.map((r) => r.json()));
		// Every attempt gets the first attempt's answer; exactly one attempt did the writing.
		for (const body of bodies) expect(body).toEqual(bodies[0]);
		expect(bodies[0]).toMatchObject({ accepted: 200, duplicates: 0, rejected: [{ index: 200 }] });
		expect(responses.filter((r) => r.headers.get(REPLAYED_HEADER) === "true")).toHaveLength(2);

		const ids = await stored("batchId=concurrent-1");
		expect(ids).toHaveLength(200);
		expect(new Set(ids).size).toBe(200);
	});

	it("stores each event once when it arrives in 3 different batches concurrently", async () => {
		const events = makeEvents(100, "multi");
		const responses = await Promise.all(["m-1", "m-2", "m-3"].map((batchId) => post(makeBatch(events, { batchId }))));
		const bodies = (await Promise.all(responses.map((r) => r.json()))) as { accepted: number; duplicates: number }[];
		expect(bodies.reduce((n, b) => n + b.accepted, 0)).toBe(100);
		expect(bodies.reduce((n, b) => n + b.duplicates, 0)).toBe(200);
		const all = await stored("");
		expect(all.filter((id) => id.startsWith("multi-"))).toHaveLength(100);
	});
});
