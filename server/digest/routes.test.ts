import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import { reply, startWebhookServer, type WebhookServer } from "../testing/webhook-server.js";

let t: TestApp;
let owner: string;
let hook: WebhookServer;
beforeEach(async () => {
	t = await createTestApp({ now: Date.parse("2025-01-02T10:00:00Z") });
	owner = await t.adminAuth("owner");
	await t.store.createGame({ id: "g1", name: "Obby", createdAt: t.clock.now });
	hook = await startWebhookServer(reply(204));
});
afterEach(async () => {
	await hook.close();
	await t.close();
});

const send = (auth: string, game = "g1") =>
	t.app.request(`/v1/admin/games/${game}/digest/test`, { method: "POST", headers: { Authorization: auth } });

describe("POST /v1/admin/games/:gameId/digest/test", () => {
	it("sends yesterday's digest now and answers with the outcome", async () => {
		await t.store.updateGameSettings("g1", { digestWebhookUrl: `${hook.url}/api/webhooks/1/token` }, t.clock.now);
		const res = await send(owner);
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({
			day: "2025-01-01",
			outcome: "delivered",
			attempts: 1,
			status: 204,
			error: null,
		});
		expect(hook.requests).toHaveLength(1);
		expect(hook.requests[0]).toMatchObject({ method: "POST", path: "/api/webhooks/1/token" });
		const body = JSON.parse(hook.requests[0]!.body) as { embeds: { title: string; description: string }[] };
		// No metrics engine in the test app: the digest says so.
		expect(body.embeds[0]).toMatchObject({ title: "[Test] Daily digest · Obby" });
		expect(body.embeds[0]?.description).toMatch(/No KPIs are available/);
	});

	it("answers with a failed outcome (not an error) when the webhook refuses", async () => {
		await hook.close();
		hook = await startWebhookServer(reply(401, {}, { message: "Invalid Webhook Token", code: 50027 }));
		await t.store.updateGameSettings("g1", { digestWebhookUrl: hook.url }, t.clock.now);
		const res = await send(owner);
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({
			outcome: "rejected",
			status: 401,
			error: expect.stringMatching(/Invalid Webhook Token/),
		});
	});

	it("answers 409 when the game has no webhook and 404 for an unknown game", async () => {
		expect((await send(owner)).status).toBe(409);
		expect((await send(owner, "nope")).status).toBe(404);
		expect(hook.requests).toHaveLength(0);
	});

	it("is for owners only", async () => {
		await t.store.updateGameSettings("g1", { digestWebhookUrl: hook.url }, t.clock.now);
		for (const role of ["viewer", "analyst"] as const) {
			expect((await send(await t.adminAuth(role))).status).toBe(403);
		}
		expect(hook.requests).toHaveLength(0);
	});
});
