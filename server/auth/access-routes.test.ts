import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, TEST_PASSWORD, type TestApp } from "../testing/test-app.js";
import type { GameMember } from "./access-provisioning.js";

let t: TestApp;
let admin: string;
beforeEach(async () => {
	t = await createTestApp();
	admin = await t.adminAuth("admin");
	await t.gameKey("g1");
	await t.gameKey("g2");
});
afterEach(() => t.close());

async function call(path: string, init: { method?: string; auth?: string; body?: unknown } = {}): Promise<Response> {
	const headers: Record<string, string> = {};
	if (init.auth) headers.Authorization = init.auth;
	if (init.body !== undefined) headers["Content-Type"] = "application/json";
	return t.app.request(path, {
		method: init.method ?? (init.body === undefined ? "GET" : "POST"),
		headers,
		...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
	});
}

async function signIn(email: string): Promise<string> {
	const res = await call("/v1/admin/login", { body: { email, password: TEST_PASSWORD } });
	return `Bearer ${((await res.json()) as { access_token: string }).access_token}`;
}

async function newUser(email: string): Promise<{ id: string; auth: string }> {
	const res = await call("/v1/admin/users", { auth: admin, body: { email, password: TEST_PASSWORD } });
	const { user } = (await res.json()) as { user: { id: string } };
	return { id: user.id, auth: await signIn(email) };
}

const members = async (gameId: string, auth = admin) =>
	((await (await call(`/v1/admin/games/${gameId}/members`, { auth })).json()) as { members: GameMember[] }).members;

describe("a game's members", () => {
	it("grants a role by email, changes it and revokes it; each applies to the member's next request", async () => {
		const ana = await newUser("ana@example.com");
		const overview = () => call("/v1/games/g1/metrics/overview", { auth: ana.auth });
		expect((await overview()).status).toBe(404);

		const granted = await call("/v1/admin/games/g1/members", {
			auth: admin,
			body: { email: " Ana@Example.com", role: "viewer" },
		});
		expect(granted.status).toBe(200);
		expect(await granted.json()).toMatchObject({ userId: ana.id, role: "viewer", via: "grant", disabled: false });
		expect((await overview()).status).toBe(200);
		expect((await call("/v1/games/g1/events", { auth: ana.auth })).status).toBe(403);
		// The other game stays invisible.
		expect((await call("/v1/games/g2/metrics/overview", { auth: ana.auth })).status).toBe(404);

		await call("/v1/admin/games/g1/members", { auth: admin, body: { email: "ana@example.com", role: "analyst" } });
		expect((await call("/v1/games/g1/events", { auth: ana.auth })).status).toBe(200);

		const revoked = await call(`/v1/admin/games/g1/members/${ana.id}`, { method: "DELETE", auth: admin });
		expect(revoked.status).toBe(204);
		expect((await overview()).status).toBe(404);
		expect(await (await call("/v1/admin/games", { auth: ana.auth })).json()).toEqual({ games: [] });
		expect((await call(`/v1/admin/games/g1/members/${ana.id}`, { method: "DELETE", auth: admin })).status).toBe(404);
	});

	it("lists grants and the instance admins (owner of every game), by email", async () => {
		const ana = await newUser("ana@example.com");
		await call("/v1/admin/games/g1/members", { auth: admin, body: { email: "ana@example.com", role: "analyst" } });
		const listed = await members("g1");
		expect(listed.map((m) => [m.email, m.role, m.via])).toEqual([
			["ana@example.com", "analyst", "grant"],
			["user1@example.com", "owner", "admin"],
		]);
		expect(listed[0]?.userId).toBe(ana.id);
		expect((await members("g2")).map((m) => m.email)).toEqual(["user1@example.com"]);
	});

	it("lets a game's owner manage its members, and no other game's", async () => {
		const owner = await t.adminAuth("owner", ["g1"]);
		await newUser("ana@example.com");
		const grant = (gameId: string) =>
			call(`/v1/admin/games/${gameId}/members`, { auth: owner, body: { email: "ana@example.com", role: "viewer" } });
		expect((await grant("g1")).status).toBe(200);
		expect((await grant("g2")).status).toBe(404);
		expect((await call("/v1/admin/games/g2/members", { auth: owner })).status).toBe(404);
		// A game's owner does not create users: that is the instance admin's.
		const create = await call("/v1/admin/users", { auth: owner, body: { email: "x@example.com" } });
		expect(create.status).toBe(403);
	});

	it("refuses the caller's own grant, an unknown email, an unknown role and an unknown game", async () => {
		const owner = await t.adminAuth("owner", ["g1"]);
		const self = (await members("g1")).find((m) => m.via === "grant");
		const own = await call("/v1/admin/games/g1/members", {
			auth: owner,
			body: { email: self?.email, role: "viewer" },
		});
		expect(own.status).toBe(409);
		expect((await call(`/v1/admin/games/g1/members/${self?.userId}`, { method: "DELETE", auth: owner })).status).toBe(
			409,
		);
		const nobody = await call("/v1/admin/games/g1/members", {
			auth: admin,
			body: { email: "nobody@example.com", role: "viewer" },
		});
		expect(nobody.status).toBe(404);
		const badRole = { email: self?.email, role: "admin" };
		expect((await call("/v1/admin/games/g1/members", { auth: admin, body: badRole })).status).toBe(400);
		expect((await call("/v1/admin/games/nope/members", { auth: admin })).status).toBe(404);
		// Still owner: nothing changed.
		expect((await members("g1")).find((m) => m.userId === self?.userId)?.role).toBe("owner");
	});
});
