import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, TEST_PASSWORD, type TestApp } from "../testing/test-app.js";

let t: TestApp;
let owner: string;
beforeEach(async () => {
	t = await createTestApp();
	owner = await t.adminAuth("owner");
});
afterEach(() => t.close());

async function call(path: string, init: { method?: string; auth?: string; body?: unknown } = {}): Promise<Response> {
	const headers: Record<string, string> = {};
	if (init.auth) headers.Authorization = init.auth;
	if (init.body !== undefined) headers["Content-Type"] = "application/json";
	return t.app.request(`/v1/admin${path}`, {
		method: init.method ?? (init.body === undefined ? "GET" : "POST"),
		headers,
		...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
	});
}

describe("POST /v1/admin/login", () => {
	it("answers a token; /me says whether the user is an instance admin and their roles per game", async () => {
		const res = await call("/me", { auth: owner });
		expect(await res.json()).toMatchObject({ admin: true, games: [], email: expect.stringContaining("@example.com") });
	});

	it("answers the same 401 for a wrong password and an unknown email", async () => {
		const [user] = await t.store.listAdminUsers();
		const wrong = await call("/login", { body: { email: user?.email, password: `${TEST_PASSWORD}!` } });
		const unknown = await call("/login", { body: { email: "nobody@example.com", password: TEST_PASSWORD } });
		expect(wrong.status).toBe(401);
		expect(unknown.status).toBe(401);
		const [a, b] = [(await wrong.json()) as Record<string, unknown>, (await unknown.json()) as Record<string, unknown>];
		expect({ ...a, requestId: undefined }).toEqual({ ...b, requestId: undefined });
		expect(a.code).toBe("invalid_credentials");
	});

	it("refuses a disabled user", async () => {
		const [user] = await t.store.listAdminUsers();
		await t.store.updateAdminUser(user?.id ?? "", { disabledAt: t.clock.now });
		expect((await call("/login", { body: { email: user?.email, password: TEST_PASSWORD } })).status).toBe(401);
	});

	it("answers 400 for a malformed body", async () => {
		expect((await call("/login", { body: { email: 3 } })).status).toBe(400);
	});
});

describe("games and keys", () => {
	it("creates a game, a key that works at the token endpoint, lists and revokes it", async () => {
		expect((await call("/games", { auth: owner, body: { id: "4242", name: "Obby" } })).status).toBe(201);
		expect((await call("/games", { auth: owner, body: { id: "4242" } })).status).toBe(409);
		const games = (await (await call("/games", { auth: owner })).json()) as { games: { id: string }[] };
		expect(games.games.map((g) => g.id)).toEqual(["4242"]);

		const created = await call("/games/4242/keys", { auth: owner, body: { name: "production", scopes: ["ingest"] } });
		expect(created.status).toBe(201);
		expect(created.headers.get("cache-control")).toBe("no-store");
		const { key, apiKey } = (await created.json()) as { key: { id: string; scopes: string[] }; apiKey: string };
		expect(key.scopes).toEqual(["ingest"]);

		const token = () =>
			t.app.request("/v1/oauth/token", {
				method: "POST",
				headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/x-www-form-urlencoded" },
				body: "grant_type=client_credentials",
			});
		expect((await token()).status).toBe(200);

		const listed = await (await call("/games/4242/keys", { auth: owner })).text();
		expect(listed).toContain(key.id);
		expect(listed).not.toMatch(/secret|hash/i);

		const revoked = await call(`/keys/${key.id}/revoke`, { auth: owner, method: "POST" });
		expect(await revoked.json()).toMatchObject({ id: key.id, revokedAt: expect.any(String) });
		expect((await token()).status).toBe(401);
	});

	it("answers 404 for a key of an unknown game and for revoking an unknown key", async () => {
		expect((await call("/games/nope/keys", { auth: owner, body: {} })).status).toBe(404);
		expect((await call("/keys/vk_x/revoke", { auth: owner, method: "POST" })).status).toBe(404);
	});

	it("lets viewers list their games but not manage keys; other games do not exist for them", async () => {
		await t.gameKey("g1");
		await t.gameKey("g2");
		const viewer = await t.adminAuth("viewer", ["g1"]);
		const listed = await call("/games", { auth: viewer });
		expect(((await listed.json()) as { games: unknown[] }).games).toEqual([
			expect.objectContaining({ id: "g1", role: "viewer" }),
		]);
		expect((await call("/games", { auth: viewer, body: { id: "x" } })).status).toBe(403);
		expect((await call("/games/g1/keys", { auth: viewer })).status).toBe(403);
		expect((await call("/games/g2/keys", { auth: viewer })).status).toBe(404);
	});

	it("lets a game's owner revoke its keys, and no other game's", async () => {
		const keyOf = async (gameId: string) => {
			const listed = await call(`/games/${gameId}/keys`, { auth: owner });
			return ((await listed.json()) as { keys: { id: string }[] }).keys[0]?.id ?? "";
		};
		await t.gameKey("o1");
		await t.gameKey("o2");
		await t.gameKey("o3");
		const gameOwner = await t.adminAuth("owner", ["o1"]);
		await t.store.access.putGrant({
			userId: (await t.store.listAdminUsers()).at(-1)?.id ?? "",
			gameId: "o3",
			role: "analyst",
			grantedAt: t.clock.now,
		});
		expect((await call(`/keys/${await keyOf("o2")}/revoke`, { auth: gameOwner, method: "POST" })).status).toBe(404);
		expect((await call(`/keys/${await keyOf("o3")}/revoke`, { auth: gameOwner, method: "POST" })).status).toBe(403);
		expect((await call(`/keys/${await keyOf("o1")}/revoke`, { auth: gameOwner, method: "POST" })).status).toBe(200);
	});

	it("answers 401 to every admin route without a token", async () => {
		for (const path of ["/me", "/games", "/games/g1/keys"]) expect((await call(path)).status).toBe(401);
		expect((await call("/games", { body: { id: "x" } })).status).toBe(401);
	});
});
