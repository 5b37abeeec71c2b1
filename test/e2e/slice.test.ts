// The thin end-to-end slice: the compiled SDK, loaded from default.project.json the way a Rojo user gets it, runs in
// the harness server VM; Vantage.start + Vantage.track produce one batch that HttpService:RequestAsync posts over
// real HTTP (gzip, bearer token from the game key secret) to the real backend on an ephemeral port; the test reads
// the event back through the backend's admin API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBackend, type TestBackend } from "./backend.js";
import { ensureSdkBuilt, sdkTree } from "./sdk-build.js";
import { World } from "../harness/world.js";
import { httpLog } from "../harness/services/http.js";

describe("SDK → backend slice", () => {
	let server: TestBackend;
	let gameKey: string;
	let adminAuth: string;

	beforeAll(async () => {
		ensureSdkBuilt();
		server = await startTestBackend("4242");
		({ gameKey, adminAuth } = server);
	});

	afterAll(async () => {
		await server?.close();
	});

	it("delivers a tracked event that the backend stores and returns", async () => {
		const world = await World.create({
			tree: sdkTree(),
			gameId: 4242,
			config: { secrets: { vantage_game_key: gameKey } },
		});
		try {
			await world.addPlayer({ userId: 1001, name: "Ada", country: "GB", locale: "en-gb" });
			const [stats] = await world.run<[Record<string, number>]>(
				"server",
				`
				local Vantage = require(game:GetService("ReplicatedStorage").Vantage).Vantage
				assert(Vantage.start({ endpoint = "${server.url}", flushSeconds = 5 }), "start failed")
				local player = game:GetService("Players"):GetPlayerByUserId(1001)
				assert(Vantage.track(player, "hello", { level = 3, mode = "story", first = true }), "track refused")
				return Vantage.stats()
			`,
			);
			expect(stats.queued).toBe(2); // the server session_start and "hello"
			// Nothing is sent before the flush interval; then exactly one batch goes out.
			await world.advance(5.1);
			const [after] = await world.run<[Record<string, number>]>(
				"server",
				`return require(game:GetService("ReplicatedStorage").Vantage).Vantage.stats()`,
			);
			expect(world.server.lines("warn")).toEqual([]);
			expect(after).toMatchObject({ queued: 0, sent: 2, failedRequests: 0, invalidCalls: 0 });

			const res = await fetch(`${server.url}/v1/games/4242/events?userId=1001`, {
				headers: { Authorization: adminAuth },
			});
			expect(res.status).toBe(200);
			const body = (await res.json()) as { events: Record<string, unknown>[] };
			expect(body.events).toHaveLength(1);
			expect(body.events[0]).toMatchObject({
				userId: 1001,
				type: "custom",
				name: "hello",
				props: { level: 3, mode: "story", first: true },
			});
			// Token requests carry the key only as a Secret in a header; one gzip batch carries both events.
			const requests = httpLog(world.server);
			const tokenRequests = requests.filter((r) => new URL(r.url).pathname === "/v1/oauth/token");
			const batches = requests.filter((r) => new URL(r.url).pathname === "/v1/batches");
			expect(tokenRequests.length).toBeGreaterThan(0);
			for (const r of tokenRequests) expect(r.headers.Authorization).toBe("Bearer Secret(vantage_game_key)");
			expect(batches.map((r) => [r.method, r.status, r.compressed])).toEqual([["POST", 200, true]]);
			expect(requests.every((r) => r.status === 200 || r.status === 304)).toBe(true);
			expect(world.server.lines("warn")).toEqual([]);
			expect(world.server.lines("error")).toEqual([]);
		} finally {
			await world.destroy();
		}
	});
});
