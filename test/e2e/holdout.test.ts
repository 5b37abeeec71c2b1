// The global holdout end to end: an analyst sets a 10% holdout and starts two experiments (one in a layer) through the
// admin API of the real backend; the compiled SDK in a harness server VM gets them in GET /v1/config, many players join
// and ask for their variants. The players held out are exactly those the backend's hash names, about 10% of them;
// none of them is exposed to an experiment, and every player's `$holdout` marker reaches the backend once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isHeldOut } from "../../server/experiments/holdout.js";
import { RobloxVm } from "../harness/vm.js";
import { joinPlayer, leavePlayer } from "../harness/world.js";
import { startTestBackend, type TestBackend } from "./backend.js";
import { ensureSdkBuilt, sdkTree } from "./sdk-build.js";

const GAME = "4251";
const VANTAGE = `require(game:GetService("ReplicatedStorage").Vantage).Vantage`;
const PLAYERS = 1000;
const PERCENT = 10;
const METRIC = { key: "purchased", type: "conversion", event: "shop_purchase" };

interface StoredEvent {
	userId: number;
	type: string;
	name: string;
	props: Record<string, unknown>;
}

const GAME_SCRIPT = `
	local Players = game:GetService("Players")
	local Vantage = ${VANTAGE}
	_G.outcomes = {}
	Players.PlayerAdded:Connect(function(player)
		task.wait(2)
		local shop = Vantage.getVariant(player, "shop-layout")
		local hud = Vantage.getVariant(player, "hud")
		_G.outcomes[tostring(player.UserId)] = { shop = shop.reason, hud = hud.reason, hudIn = hud.inExperiment }
	end)`;

describe("global holdout → backend", () => {
	let server: TestBackend;

	beforeAll(async () => {
		ensureSdkBuilt();
		server = await startTestBackend(GAME);
	});
	afterAll(async () => {
		await server?.close();
	});

	async function admin(method: string, path: string, body?: unknown): Promise<Response> {
		return fetch(`${server.url}/v1/admin/games/${GAME}${path}`, {
			method,
			headers: { Authorization: server.adminAuth, "Content-Type": "application/json" },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
	}

	async function exposures(): Promise<StoredEvent[]> {
		const out: StoredEvent[] = [];
		let after: string | null = null;
		do {
			const params = new URLSearchParams({ type: "exposure", limit: "1000", ...(after ? { after } : {}) });
			const res = await fetch(`${server.url}/v1/games/${GAME}/events?${params}`, {
				headers: { Authorization: server.adminAuth },
			});
			expect(res.status).toBe(200);
			const page = (await res.json()) as { events: StoredEvent[]; next: string | null };
			out.push(...page.events);
			after = page.next;
		} while (after);
		return out;
	}

	it("holds out about percent of the players, the backend's own, and exposes none of them", async () => {
		// 1. The holdout first (it cannot change once experiments run), then a layer and two experiments.
		const set = await admin("PUT", "/holdout", { percent: PERCENT, seed: "e2e-holdout" });
		expect(set.status).toBe(200);
		expect((await admin("POST", "/layers", { id: "ui", name: "UI" })).status).toBe(201);
		const startAt = new Date(Date.now() - 3_600_000).toISOString();
		for (const body of [
			{ key: "shop-layout", variations: [{ key: "control" }, { key: "grid" }] },
			{ key: "hud", variations: [{ key: "small" }, { key: "large" }], namespace: { id: "ui", start: 0, end: 0.5 } },
		]) {
			expect(
				(await admin("POST", "/experiments", { ...body, status: "running", startAt, primaryMetric: METRIC })).status,
			).toBe(201);
		}
		expect((await admin("PUT", "/holdout", { percent: 5 })).status).toBe(409);

		// 2. A game server; players join in waves of 40 and leave 5 s later.
		const vm = await RobloxVm.create({
			role: "server",
			name: "server",
			tree: sdkTree(),
			gameId: Number(GAME),
			config: { secrets: { vantage_game_key: server.gameKey } },
		});
		try {
			await vm.run(`assert(${VANTAGE}.start({ endpoint = "${server.url}", flushSeconds = 5 }), "start failed")`);
			await vm.advance(2);
			await vm.run(GAME_SCRIPT);
			for (let wave = 0; wave < PLAYERS / 40; wave++) {
				const ids = Array.from({ length: 40 }, (_, i) => 20_001 + wave * 40 + i);
				for (const id of ids) await joinPlayer(vm, { userId: id, name: `p${id}`, country: "US" });
				await vm.advance(5);
				for (const id of ids) await leavePlayer(vm, id);
			}
			const [outcomesJson, flushed] = await vm.run<[string, boolean]>(`
				return game:GetService("HttpService"):JSONEncode(_G.outcomes), ${VANTAGE}.flush()`);
			expect(flushed).toBe(true);
			expect(vm.lines("error")).toEqual([]);

			// 3. Held out: exactly the players the backend's hash names, about PERCENT% of them, in both experiments.
			const outcomes = JSON.parse(outcomesJson) as Record<string, { shop: string; hud: string; hudIn: boolean }>;
			const players = Object.entries(outcomes).map(([id, o]) => ({ userId: Number(id), ...o }));
			expect(players).toHaveLength(PLAYERS);
			const held = players.filter((p) => p.shop === "holdout");
			const expected = players.filter((p) => isHeldOut({ seed: "e2e-holdout", percent: PERCENT }, p.userId));
			expect(held.map((p) => p.userId)).toEqual(expected.map((p) => p.userId));
			expect(held.every((p) => p.hud === "holdout")).toBe(true);
			// Binomial(1000, 0.1): sd ≈ 9.5, so 60..140 is beyond 4 sd either way.
			expect(held.length).toBeGreaterThan(60);
			expect(held.length).toBeLessThan(140);
			// Everyone else is assigned as usual; the layer's half slice takes about half of them into hud.
			expect(new Set(players.filter((p) => p.shop !== "holdout").map((p) => p.shop))).toEqual(new Set(["assigned"]));
			const inHud = players.filter((p) => p.hudIn).length;
			expect(inHud).toBeGreaterThan((PLAYERS - held.length) * 0.4);
			expect(inHud).toBeLessThan((PLAYERS - held.length) * 0.6);

			// 4. No experiment exposure for a held-out player; one `$holdout` marker per player, naming their group.
			const all = await exposures();
			const heldIds = new Set(held.map((p) => p.userId));
			const experimentExposures = all.filter((e) => e.name !== "$holdout");
			expect(experimentExposures.filter((e) => heldIds.has(e.userId))).toEqual([]);
			expect(experimentExposures.filter((e) => e.name === "shop-layout")).toHaveLength(PLAYERS - held.length);
			const markers = all.filter((e) => e.name === "$holdout");
			expect(markers).toHaveLength(PLAYERS);
			for (const m of markers) {
				expect(m.props).toEqual({ variation: heldIds.has(m.userId) ? "holdout" : "exposed", mode: "deterministic" });
			}
		} finally {
			vm.destroy();
		}
	}, 300_000);
});
