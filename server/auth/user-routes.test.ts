import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../testing/test-app.js";

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

const login = (email: string, password: string) => call("/login", { body: { email, password } });

interface User {
	id: string;
	email: string;
	admin: boolean;
	createdAt: string;
	disabledAt: string | null;
}

describe("GET /v1/admin/users", () => {
	it("lists every user without password hashes", async () => {
		await t.adminAuth("viewer");
		const res = await call("/users", { auth: owner });
		expect(res.status).toBe(200);
		const text = await res.text();
		expect(text).not.toMatch(/argon2|hash|password/i);
		const { users } = JSON.parse(text) as { users: User[] };
		expect(users.map((u) => u.admin)).toEqual([true, false]);
		expect(Object.keys(users[0]!).sort()).toEqual(["admin", "createdAt", "disabledAt", "email", "id"]);
	});

	it("is for instance admins only, not even a game's owner", async () => {
		await t.gameKey("g1");
		expect((await call("/users", { auth: await t.adminAuth("owner", ["g1"]) })).status).toBe(403);
		expect((await call("/users")).status).toBe(401);
		expect((await call("/users", { auth: await t.adminAuth("analyst") })).status).toBe(403);
		expect((await call("/users", { auth: await t.adminAuth("viewer") })).status).toBe(403);
	});
});

describe("POST /v1/admin/users", () => {
	it("creates a user with the initial password given, who can then log in", async () => {
		const res = await call("/users", {
			auth: owner,
			body: { email: "  New@Example.com ", password: "a long enough password" },
		});
		expect(res.status).toBe(201);
		const body = (await res.json()) as { user: User; generatedPassword?: string };
		expect(body.generatedPassword).toBeUndefined();
		expect(body.user).toMatchObject({ email: "new@example.com", admin: false, disabledAt: null });
		expect(JSON.stringify(body)).not.toMatch(/argon2|a long enough password/);
		expect(await (await login("new@example.com", "a long enough password")).json()).toMatchObject({ admin: false });
	});

	it("generates a password when none is given and answers it once, uncached", async () => {
		const res = await call("/users", { auth: owner, body: { email: "gen@example.com", admin: true } });
		expect(res.status).toBe(201);
		expect(res.headers.get("cache-control")).toBe("no-store");
		const { generatedPassword } = (await res.json()) as { generatedPassword: string };
		expect(generatedPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
		expect((await login("gen@example.com", generatedPassword)).status).toBe(200);
		// The list never shows it again.
		expect(await (await call("/users", { auth: owner })).text()).not.toContain(generatedPassword);
	});

	it("creates a user with roles on games, which they see at once", async () => {
		await t.gameKey("g1");
		await t.gameKey("g2");
		const games = [{ gameId: "g1", role: "analyst" }];
		const res = await call("/users", { auth: owner, body: { email: "ana@example.com", games } });
		const { generatedPassword } = (await res.json()) as { generatedPassword: string };
		const token = `Bearer ${((await (await login("ana@example.com", generatedPassword)).json()) as { access_token: string }).access_token}`;
		const listed = (await (await call("/games", { auth: token })).json()) as { games: { id: string; role: string }[] };
		expect(listed.games.map((g) => [g.id, g.role])).toEqual([["g1", "analyst"]]);
		const unknownGame = { email: "x@example.com", games: [{ gameId: "nope", role: "viewer" }] };
		expect((await call("/users", { auth: owner, body: unknownGame })).status).toBe(404);
		// Nobody was created for the refused request.
		expect((await login("x@example.com", "whatever it is")).status).toBe(401);
		expect(await t.store.getAdminUserByEmail("x@example.com")).toBeUndefined();
	});

	it("refuses a taken email, a short password, an unknown role or member, and non-admins", async () => {
		const body = { email: "dup@example.com" };
		expect((await call("/users", { auth: owner, body })).status).toBe(201);
		expect((await call("/users", { auth: owner, body })).status).toBe(409);
		const short = await call("/users", { auth: owner, body: { ...body, email: "x@example.com", password: "short" } });
		expect(short.status).toBe(400);
		expect(await short.json()).toMatchObject({ code: "validation_failed", errors: [{ path: "password" }] });
		const badRole = { email: "y@example.com", games: [{ gameId: "g1", role: "admin" }] };
		expect((await call("/users", { auth: owner, body: badRole })).status).toBe(400);
		expect((await call("/users", { auth: owner, body: { email: "y@example.com", role: "owner" } })).status).toBe(400);
		expect((await call("/users", { auth: owner, body: { ...body, email: "z@example.com", isOwner: 1 } })).status).toBe(
			400,
		);
		expect((await call("/users", { auth: owner, body: { email: "not-an-email" } })).status).toBe(400);
		const analyst = await t.adminAuth("analyst");
		expect((await call("/users", { auth: analyst, body: { email: "w@example.com", admin: true } })).status).toBe(403);
		const plain = await t.app.request("/v1/admin/users", {
			method: "POST",
			headers: { Authorization: owner, "Content-Type": "text/plain" },
			body: JSON.stringify({ email: "v@example.com" }),
		});
		expect(plain.status).toBe(415);
	});
});

describe("PATCH /v1/admin/users/{userId}", () => {
	async function created(): Promise<{ user: User; password: string }> {
		const res = await call("/users", { auth: owner, body: { email: `u${Math.random()}@example.com` } });
		const body = (await res.json()) as { user: User; generatedPassword: string };
		return { user: body.user, password: body.generatedPassword };
	}
	const patch = (id: string, body: unknown, auth = owner) => call(`/users/${id}`, { method: "PATCH", auth, body });

	it("makes a user instance admin, which applies to their next request", async () => {
		await t.gameKey("g1");
		const { user, password } = await created();
		const token = `Bearer ${((await (await login(user.email, password)).json()) as { access_token: string }).access_token}`;
		expect((await call("/games/g1/keys", { auth: token })).status).toBe(404);
		expect((await call("/users", { auth: token })).status).toBe(403);
		const res = await patch(user.id, { admin: true });
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ id: user.id, admin: true, disabledAt: null });
		expect((await call("/games/g1/keys", { auth: token })).status).toBe(200);
		expect((await call("/users", { auth: token })).status).toBe(200);
	});

	it("disables a user (their tokens stop at once) and enables them again", async () => {
		const { user, password } = await created();
		const token = `Bearer ${((await (await login(user.email, password)).json()) as { access_token: string }).access_token}`;
		const disabled = (await (await patch(user.id, { disabled: true })).json()) as User;
		expect(disabled.disabledAt).toEqual(expect.any(String));
		expect((await call("/me", { auth: token })).status).toBe(401);
		expect((await login(user.email, password)).status).toBe(401);
		const enabled = (await (await patch(user.id, { disabled: false })).json()) as User;
		expect(enabled.disabledAt).toBeNull();
		expect((await call("/me", { auth: token })).status).toBe(200);
	});

	it("refuses the admin's own account, unknown users, empty or invalid changes, and non-admins", async () => {
		const { users } = (await (await call("/users", { auth: owner })).json()) as { users: User[] };
		const self = users[0]!;
		expect((await patch(self.id, { admin: false })).status).toBe(409);
		expect((await patch(self.id, { disabled: true })).status).toBe(409);
		expect((await patch("usr_nobody", { admin: false })).status).toBe(404);
		const { user } = await created();
		expect((await patch(user.id, {})).status).toBe(400);
		expect((await patch(user.id, { admin: "root" })).status).toBe(400);
		expect((await patch(user.id, { role: "owner" })).status).toBe(400);
		expect((await patch(user.id, { disabled: "yes" })).status).toBe(400);
		expect((await patch(user.id, { admin: true }, await t.adminAuth("analyst"))).status).toBe(403);
		// Nothing changed.
		const after = (await (await call("/users", { auth: owner })).json()) as { users: User[] };
		expect(after.users.find((u) => u.id === self.id)).toMatchObject({ admin: true, disabledAt: null });
		expect(after.users.find((u) => u.id === user.id)).toMatchObject({ admin: false, disabledAt: null });
	});
});
