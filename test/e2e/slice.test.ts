// The thin end-to-end slice: the compiled SDK, loaded from default.project.json the way a Rojo user gets it, runs in
// the harness server VM; Vantage.start + Vantage.track produce one batch that HttpService:RequestAsync posts over
// real HTTP (gzip) to the real backend on an ephemeral port; the test reads the event back through the backend.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.js";
import { startServer } from "../../server/server.js";
import { createLogger } from "../../server/logger.js";
import { ensureSdkBuilt, sdkTree } from "./sdk-build.js";
import { World } from "../harness/world.js";

describe("SDK → backend slice", () => {
	let server: Awaited<ReturnType<typeof startServer>>;
	let dataDir: string;

	beforeAll(async () => {
		ensureSdkBuilt();
		dataDir = mkdtempSync(join(tmpdir(), "vantage-e2e-"));
		server = await startServer(loadConfig({ PORT: "0", HOST: "127.0.0.1", VANTAGE_DATA_DIR: dataDir }), {
			logger: createLogger({ level: "error" }),
		});
	});

	afterAll(async () => {
		await server?.close();
		rmSync(dataDir, { recursive: true, force: true });
	});

	it("delivers a tracked event that the backend stores and returns", async () => {
		const world = await World.create({ tree: sdkTree(), gameId: 4242 });
		try {
			await world.addPlayer({ userId: 1001, name: "Ada", country: "GB", locale: "en-gb" });
			const [stats] = await world.server.run<[Record<string, number>]>(`
				local Vantage = require(game:GetService("ReplicatedStorage").Vantage).Vantage
				assert(Vantage.start({ endpoint = "${server.url}", flushSeconds = 5 }), "start failed")
				local player = game:GetService("Players"):GetPlayerByUserId(1001)
				assert(Vantage.track(player, "hello", { level = 3, mode = "story", first = true }), "track refused")
				return Vantage.stats()
			`);
			expect(stats.queued).toBe(1);
			// Nothing is sent before the flush interval; then exactly one batch goes out.
			await world.advance(5.1);
			const [after] = await world.server.run<[Record<string, number>]>(
				`return require(game:GetService("ReplicatedStorage").Vantage).Vantage.stats()`,
			);
			expect(world.server.lines("warn")).toEqual([]);
			expect(after).toMatchObject({ queued: 0, sent: 1, failedRequests: 0, invalidCalls: 0 });

			const res = await fetch(`${server.url}/v1/games/4242/events?userId=1001`);
			expect(res.status).toBe(200);
			const body = (await res.json()) as { events: Record<string, unknown>[] };
			expect(body.events).toHaveLength(1);
			expect(body.events[0]).toMatchObject({
				userId: 1001,
				type: "custom",
				name: "hello",
				props: { level: 3, mode: "story", first: true },
			});
			expect(world.server.lines("warn")).toEqual([]);
			expect(world.server.lines("error")).toEqual([]);
		} finally {
			await world.destroy();
		}
	});
});
