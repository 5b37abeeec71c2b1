import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ListEventsResponse } from "./ingest/routes.js";
import { spawnServer, type ChildServer } from "./testing/child-server.js";
import { makeBatch, makeEvents } from "./testing/fixtures.js";
import { fetchAdminAuth, fetchGameAuth, provisionAdmin, provisionGameKey } from "./testing/provision.js";

// The real entry point (server/main.ts) in a child process, killed with SIGKILL: an acknowledged batch must survive.

let dir: string;
let running: ChildServer[] = [];
beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), "vantage-durability-"));
});
afterEach(async () => {
	await Promise.all(running.map((server) => server.killHard()));
	running = [];
	rmSync(dir, { recursive: true, force: true });
});

async function startChild(): Promise<ChildServer> {
	const server = await spawnServer({ VANTAGE_DATA_DIR: dir });
	running.push(server);
	return server;
}

describe("durability", () => {
	it("keeps a batch acknowledged with 2xx across kill -9 and a restart on the same data directory", async () => {
		const first = await startChild();
		const gameAuth = await fetchGameAuth(first.url, await provisionGameKey(dir, "g1"));
		const analystAuth = await fetchAdminAuth(first.url, await provisionAdmin(dir, "analyst"));

		const res = await fetch(`${first.url}/v1/batches`, {
			method: "POST",
			headers: { "Content-Type": "application/json", Authorization: gameAuth },
			body: JSON.stringify(makeBatch(makeEvents(25, "durable"), { batchId: "acked" })),
		});
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ accepted: 25 });

		// No graceful shutdown: the process dies right after the answer.
		await first.killHard();
		expect(first.process.signalCode).toBe("SIGKILL");

		const second = await startChild();
		// The tokens issued before the crash still verify: the signing key was persisted with the data.
		const read = await fetch(`${second.url}/v1/games/g1/events?batchId=acked&limit=100`, {
			headers: { Authorization: analystAuth },
		});
		expect(read.status).toBe(200);
		expect(((await read.json()) as ListEventsResponse).events.map((e) => e.id)).toEqual(
			makeEvents(25, "durable").map((e) => e.id),
		);
		// And a retry of the acknowledged batch is recognised, not stored twice.
		const retry = await fetch(`${second.url}/v1/batches`, {
			method: "POST",
			headers: { "Content-Type": "application/json", Authorization: gameAuth },
			body: JSON.stringify(makeBatch(makeEvents(25, "durable"), { batchId: "acked" })),
		});
		expect(retry.headers.get("idempotent-replayed")).toBe("true");
		await second.killHard();
	});
});
