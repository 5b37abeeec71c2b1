import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";
import { startServer, type RunningServer } from "./server.js";
import { makeBatch, makeEvents, memoryLogger } from "./testing/fixtures.js";
import { fetchAdminAuth, fetchGameAuth, provisionAdmin, provisionGameKey } from "./testing/provision.js";

let dir: string;
let server: RunningServer | undefined;
beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), "vantage-server-"));
});
afterEach(async () => {
	await server?.close();
	server = undefined;
	rmSync(dir, { recursive: true, force: true });
});

function config(env: Record<string, string> = {}) {
	return loadConfig({ PORT: "0", HOST: "127.0.0.1", VANTAGE_DATA_DIR: dataDir(), ...env });
}

function dataDir(): string {
	return join(dir, "nested", "data");
}

/** A game key for g1 exchanged for a token, and an analyst login, against the running server. */
async function credentials(url: string): Promise<{ game: string; analyst: string }> {
	const game = await fetchGameAuth(url, await provisionGameKey(dataDir(), "g1"));
	const analyst = await fetchAdminAuth(url, await provisionAdmin(dataDir(), "analyst"));
	return { game, analyst };
}

describe("startServer", () => {
	it("listens on an ephemeral port and serves real HTTP requests", async () => {
		const { logger, lines } = memoryLogger();
		server = await startServer(config(), { logger });
		expect(server.port).toBeGreaterThan(0);
		expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
		expect(lines.find((l) => l.msg === "listening")).toMatchObject({ url: server.url, port: server.port });
		expect(existsSync(join(dir, "nested", "data", "vantage.db"))).toBe(true);

		const health = await fetch(`${server.url}/healthz`);
		expect(health.status).toBe(200);
		expect(await health.json()).toEqual({ status: "ok" });
		expect(health.headers.get("x-request-id")).toBeTruthy();

		const auth = await credentials(server.url);
		const post = await fetch(`${server.url}/v1/batches`, {
			method: "POST",
			headers: { "Content-Type": "application/json", "Content-Encoding": "gzip", Authorization: auth.game },
			body: gzipSync(JSON.stringify(makeBatch(makeEvents(4)))),
		});
		expect(post.status).toBe(200);
		expect(await post.json()).toEqual({ accepted: 4, duplicates: 0, rejected: [] });

		const read = await fetch(`${server.url}/v1/games/g1/events?limit=10`, { headers: { Authorization: auth.analyst } });
		expect(((await read.json()) as { events: unknown[] }).events).toHaveLength(4);

		expect(lines.filter((l) => l.msg === "request").map((l) => l.status)).toEqual([200, 200, 200, 200, 200]);
	});

	it("keeps data across a restart on the same directory", async () => {
		const cfg = config();
		server = await startServer(cfg, { logger: memoryLogger().logger });
		const auth = await credentials(server.url);
		await fetch(`${server.url}/v1/batches`, {
			method: "POST",
			headers: { "Content-Type": "application/json", Authorization: auth.game },
			body: JSON.stringify(makeBatch(makeEvents(2))),
		});
		await server.close();

		// The signing key persisted too: tokens issued before the restart still verify.
		server = await startServer(cfg, { logger: memoryLogger().logger });
		const read = await fetch(`${server.url}/v1/games/g1/events`, { headers: { Authorization: auth.analyst } });
		expect(((await read.json()) as { events: unknown[] }).events).toHaveLength(2);
	});

	it("answers 413 to a chunked body that streams past the limit over real HTTP, and stops reading it", async () => {
		server = await startServer(config({ VANTAGE_MAX_BODY_BYTES: "10000" }), { logger: memoryLogger().logger });
		const auth = await credentials(server.url);
		let sent = 0;
		const body = new ReadableStream<Uint8Array>({
			async pull(controller) {
				sent++;
				if (sent > 200) return controller.close();
				await new Promise((resolve) => setTimeout(resolve, 2));
				controller.enqueue(new TextEncoder().encode(" ".repeat(1000)));
			},
		});
		const res = await fetch(`${server.url}/v1/batches`, {
			method: "POST",
			headers: { "Content-Type": "application/json", Authorization: auth.game },
			body,
			duplex: "half",
		} as RequestInit);
		expect(res.status).toBe(413);
		expect(await res.json()).toMatchObject({ code: "payload_too_large", limitBytes: 10000 });
		expect(sent).toBeLessThan(100);
	});

	it("stops accepting connections after close", async () => {
		server = await startServer(config(), { logger: memoryLogger().logger });
		const { url } = server;
		await server.close();
		await expect(fetch(`${url}/healthz`)).rejects.toThrow();
		await expect(server.close()).resolves.toBeUndefined();
	});

	it("rejects when the port is taken", async () => {
		const blocker = createServer();
		await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
		const port = (blocker.address() as { port: number }).port;
		try {
			await expect(
				startServer(config({ PORT: String(port) }), { logger: memoryLogger().logger }),
			).rejects.toMatchObject({ code: "EADDRINUSE" });
		} finally {
			await new Promise((resolve) => blocker.close(resolve));
		}
	});
});
