import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";
import { startServer, type RunningServer } from "./server.js";
import { makeBatch, makeEvents, memoryLogger } from "./testing/fixtures.js";

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
	return loadConfig({ PORT: "0", HOST: "127.0.0.1", VANTAGE_DATA_DIR: join(dir, "nested", "data"), ...env });
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

		const post = await fetch(`${server.url}/v1/games/g1/batches`, {
			method: "POST",
			headers: { "Content-Type": "application/json", "Content-Encoding": "gzip" },
			body: gzipSync(JSON.stringify(makeBatch(makeEvents(4)))),
		});
		expect(post.status).toBe(200);
		expect(await post.json()).toEqual({ accepted: 4, duplicates: 0, rejected: [] });

		const read = await fetch(`${server.url}/v1/games/g1/events?limit=10`);
		expect(((await read.json()) as { events: unknown[] }).events).toHaveLength(4);

		expect(lines.filter((l) => l.msg === "request").map((l) => l.status)).toEqual([200, 200, 200]);
	});

	it("keeps data across a restart on the same directory", async () => {
		const cfg = config();
		server = await startServer(cfg, { logger: memoryLogger().logger });
		await fetch(`${server.url}/v1/games/g1/batches`, {
			method: "POST",
			headers: { "Content-Type": "application/json" },
			body: JSON.stringify(makeBatch(makeEvents(2))),
		});
		await server.close();

		server = await startServer(cfg, { logger: memoryLogger().logger });
		const read = await fetch(`${server.url}/v1/games/g1/events`);
		expect(((await read.json()) as { events: unknown[] }).events).toHaveLength(2);
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
