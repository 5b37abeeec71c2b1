import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PROBLEM_CONTENT_TYPE } from "../errors.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";

const WEBHOOK = "https://discord.com/api/webhooks/1234567890/s3cr3t-t0ken_value";

let t: TestApp;
let owner: string;
beforeEach(async () => {
	t = await createTestApp();
	owner = await t.adminAuth("owner");
	await t.store.createGame({ id: "g1", name: "Obby", createdAt: t.clock.now });
});
afterEach(() => t.close());

async function call(init: { method?: string; auth?: string; body?: unknown; game?: string } = {}): Promise<Response> {
	const headers: Record<string, string> = { Authorization: init.auth ?? owner };
	if (init.body !== undefined) headers["Content-Type"] = "application/json";
	return t.app.request(`/v1/admin/games/${init.game ?? "g1"}/settings`, {
		method: init.method ?? (init.body === undefined ? "GET" : "PATCH"),
		headers,
		...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
	});
}

async function problem(res: Response): Promise<{ code: string; errors: { path: string; message: string }[] }> {
	expect(res.headers.get("content-type")).toBe(PROBLEM_CONTENT_TYPE);
	return (await res.json()) as { code: string; errors: { path: string; message: string }[] };
}

describe("GET /v1/admin/games/:gameId/settings", () => {
	it("answers the defaults for a game never configured", async () => {
		const res = await call();
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({
			gameId: "g1",
			timeZone: "UTC",
			rawRetentionDays: null,
			digestWebhookUrl: null,
			digestHour: 9,
			trustClientClock: false,
			consentDefault: "opt-in",
			updatedAt: null,
		});
	});

	it("answers 404 for an unknown game and 400 for an invalid id", async () => {
		expect((await problem(await call({ game: "nope" }))).code).toBe("not_found");
		expect((await call({ game: "nope", body: { digestHour: 3 } })).status).toBe(404);
		expect((await call({ game: "%20bad%20" })).status).toBe(400);
	});
});

describe("PATCH /v1/admin/games/:gameId/settings", () => {
	it("changes the members sent, keeps the others, and clears with null", async () => {
		const res = await call({ body: { timeZone: "Europe/Berlin", rawRetentionDays: 90, digestHour: 7 } });
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({
			gameId: "g1",
			timeZone: "Europe/Berlin",
			rawRetentionDays: 90,
			digestWebhookUrl: null,
			digestHour: 7,
			trustClientClock: false,
			consentDefault: "opt-in",
			updatedAt: new Date(t.clock.now).toISOString(),
		});
		t.clock.now += 1000;
		const cleared = await call({ body: { rawRetentionDays: null, timeZone: "UTC" } });
		expect(await cleared.json()).toMatchObject({ timeZone: "UTC", rawRetentionDays: null, digestHour: 7 });
		expect(await (await call()).json()).toMatchObject({ updatedAt: new Date(t.clock.now).toISOString() });
		// What the store holds is what the warehouse reads.
		expect(await t.store.getGameSettings("g1")).toMatchObject({ timeZone: "UTC", rawRetentionDays: null });
	});

	it("turns trustClientClock on and off, keeping the other settings", async () => {
		await call({ body: { timeZone: "Europe/Berlin" } });
		const on = await call({ body: { trustClientClock: true } });
		expect(on.status).toBe(200);
		expect(await on.json()).toMatchObject({ timeZone: "Europe/Berlin", trustClientClock: true });
		expect(await (await call({ auth: await t.adminAuth("viewer") })).json()).toMatchObject({ trustClientClock: true });
		expect((await t.store.getGameSettings("g1")).trustClientClock).toBe(true);

		const off = await call({ body: { trustClientClock: false } });
		expect(await off.json()).toMatchObject({ timeZone: "Europe/Berlin", trustClientClock: false });
		expect((await t.store.getGameSettings("g1")).trustClientClock).toBe(false);
	});

	it("accepts a current IANA name that Node's zone list lacks, as sent", async () => {
		const res = await call({ body: { timeZone: "Asia/Kolkata" } });
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ timeZone: "Asia/Kolkata" });
	});

	it("stores the whole webhook URL but shows only its scheme and host", async () => {
		const res = await call({ body: { digestWebhookUrl: WEBHOOK } });
		const shown = (await res.json()) as { digestWebhookUrl: string };
		expect(shown.digestWebhookUrl).toBe("https://discord.com/…");
		const read = await (await call({ auth: await t.adminAuth("viewer") })).text();
		expect(read).toContain('"digestWebhookUrl":"https://discord.com/…"');
		expect(read).not.toContain("s3cr3t");
		expect(read).not.toContain("1234567890");
		expect((await t.store.getGameSettings("g1")).digestWebhookUrl).toBe(WEBHOOK);

		const off = await call({ body: { digestWebhookUrl: null } });
		expect(await off.json()).toMatchObject({ digestWebhookUrl: null });
	});

	it("refuses the masked URL sent back, so a read-modify-write never loses the secret", async () => {
		await call({ body: { digestWebhookUrl: WEBHOOK } });
		const res = await call({ body: { digestWebhookUrl: "https://discord.com/…", digestHour: 8 } });
		expect(res.status).toBe(400);
		expect((await problem(res)).errors).toEqual([
			{ path: "digestWebhookUrl", message: expect.stringMatching(/masked/) },
		]);
		expect((await t.store.getGameSettings("g1")).digestWebhookUrl).toBe(WEBHOOK);
	});

	it.each([
		["an unknown time zone", { timeZone: "Mars/Olympus" }, "timeZone", /IANA time zone/],
		["a time zone in the wrong case", { timeZone: "europe/berlin" }, "timeZone", /IANA time zone/],
		["a non-http URL", { digestWebhookUrl: "ftp://example.com/hook" }, "digestWebhookUrl", /http\(s\) URL/],
		["a string that is no URL", { digestWebhookUrl: "not a url" }, "digestWebhookUrl", /http\(s\) URL/],
		["a retention of 0 days", { rawRetentionDays: 0 }, "rawRetentionDays", /./],
		["a retention over 3650 days", { rawRetentionDays: 3651 }, "rawRetentionDays", /./],
		["a fractional retention", { rawRetentionDays: 1.5 }, "rawRetentionDays", /./],
		["hour 24", { digestHour: 24 }, "digestHour", /./],
		["a negative hour", { digestHour: -1 }, "digestHour", /./],
		["an hour as a string", { digestHour: "9" }, "digestHour", /./],
		["a null hour", { digestHour: null }, "digestHour", /./],
		["trustClientClock as a string", { trustClientClock: "true" }, "trustClientClock", /./],
		["trustClientClock as a number", { trustClientClock: 1 }, "trustClientClock", /./],
		["a null trustClientClock", { trustClientClock: null }, "trustClientClock", /./],
		["an unknown member", { timezone: "UTC" }, "", /timezone/],
	])("refuses %s with 400 validation_failed naming the member", async (_, body, path, message) => {
		const res = await call({ body });
		expect(res.status).toBe(400);
		const doc = await problem(res);
		expect(doc.code).toBe("validation_failed");
		expect(doc.errors).toContainEqual({ path, message: expect.stringMatching(message) });
		expect((await t.store.getGameSettings("g1")).updatedAt).toBeNull();
	});

	it("refuses a body that is not a JSON object", async () => {
		expect((await call({ body: [1] })).status).toBe(400);
		const res = await t.app.request("/v1/admin/games/g1/settings", {
			method: "PATCH",
			headers: { Authorization: owner, "Content-Type": "text/plain" },
			body: "{}",
		});
		expect(res.status).toBe(415);
	});
});

describe("roles", () => {
	it("lets viewers and analysts read but only owners change settings", async () => {
		for (const role of ["viewer", "analyst"] as const) {
			const auth = await t.adminAuth(role);
			expect((await call({ auth })).status).toBe(200);
			const res = await call({ auth, body: { digestHour: 3 } });
			expect(res.status).toBe(403);
			expect((await problem(res)).code).toBe("forbidden");
			expect((await call({ auth, body: { trustClientClock: true } })).status).toBe(403);
		}
		expect(await t.store.getGameSettings("g1")).toMatchObject({ digestHour: 9, trustClientClock: false });
	});

	it("lets nobody in without a token", async () => {
		const res = await t.app.request("/v1/admin/games/g1/settings");
		expect(res.status).toBe(401);
	});
});
