import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { AdminUser, Store } from "../store/types.js";
import { T0 } from "../testing/fixtures.js";
import { DashboardSessions, csrfTokenMatches } from "./sessions.js";

const MINUTE = 60_000;
const user: AdminUser = {
	id: "u1",
	email: "ada@example.com",
	passwordHash: "$argon2id$x",
	admin: false,
	createdAt: T0,
	disabledAt: null,
};

let store: Store;
let clock: { now: number };
let sessions: DashboardSessions;
beforeEach(async () => {
	store = openSqliteStore({ path: ":memory:" });
	await store.insertAdminUser(user);
	clock = { now: T0 };
	sessions = new DashboardSessions({
		store,
		clock: () => clock.now,
		idleTimeoutMs: 30 * MINUTE,
		absoluteTimeoutMs: 12 * 60 * MINUTE,
	});
});
afterEach(() => store.close());

describe("DashboardSessions", () => {
	it("stores only the SHA-256 of the cookie's secret, never the secret", async () => {
		const { secret, session } = await sessions.create(user);
		expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
		expect(session.id).toMatch(/^[0-9a-f]{64}$/);
		expect(session.id).not.toContain(secret);
		expect(session.csrfToken).not.toBe(secret);
		expect(await store.getAdminSession(session.id)).toEqual(session);
		expect(await sessions.resolve(secret)).toMatchObject({ session: { id: session.id }, user: { id: "u1" } });
	});

	it("opens nothing for an unknown, malformed or missing secret", async () => {
		await sessions.create(user);
		for (const secret of [undefined, "", "short", "x".repeat(43), `${"x".repeat(42)}!`]) {
			expect(await sessions.resolve(secret)).toBeUndefined();
		}
	});

	it("writes activity back at most once a minute", async () => {
		const { secret, session } = await sessions.create(user);
		clock.now += 30_000;
		await sessions.resolve(secret);
		expect((await store.getAdminSession(session.id))?.lastSeenAt).toBe(T0);
		clock.now += 30_000;
		await sessions.resolve(secret);
		expect((await store.getAdminSession(session.id))?.lastSeenAt).toBe(T0 + MINUTE);
	});

	it("deletes a session found idle or past its absolute expiry", async () => {
		const idle = await sessions.create(user);
		clock.now += 30 * MINUTE;
		expect(await sessions.resolve(idle.secret)).toBeUndefined();
		expect(await store.getAdminSession(idle.session.id)).toBeUndefined();

		const busy = await sessions.create(user);
		for (let i = 0; i < 12 * 3 - 1; i++) {
			clock.now += 20 * MINUTE;
			expect(await sessions.resolve(busy.secret)).toBeDefined();
		}
		clock.now += 20 * MINUTE;
		expect(await sessions.resolve(busy.secret)).toBeUndefined();
		expect(await store.getAdminSession(busy.session.id)).toBeUndefined();
	});

	it("sweeps every stale session when someone logs in", async () => {
		const old = await sessions.create(user);
		clock.now += 31 * MINUTE;
		await sessions.create(user);
		expect(await store.getAdminSession(old.session.id)).toBeUndefined();
	});

	it("refuses the session of a disabled user", async () => {
		const { secret } = await sessions.create(user);
		await store.updateAdminUser("u1", { disabledAt: T0 });
		expect(await sessions.resolve(secret)).toBeUndefined();
	});

	it("ends a session for good", async () => {
		const { secret, session } = await sessions.create(user);
		await sessions.end(secret);
		await sessions.end(secret);
		await sessions.end(undefined);
		expect(await sessions.resolve(secret)).toBeUndefined();
		expect(await store.getAdminSession(session.id)).toBeUndefined();
	});

	it("matches the CSRF token exactly", async () => {
		const { session } = await sessions.create(user);
		expect(csrfTokenMatches(session, session.csrfToken)).toBe(true);
		for (const sent of [undefined, null, "", session.csrfToken.slice(1), `${session.csrfToken} `]) {
			expect(csrfTokenMatches(session, sent)).toBe(false);
		}
	});

	it("tells the browser to keep the cookie no longer than the absolute timeout", () => {
		expect(sessions.cookieMaxAgeSeconds).toBe(12 * 3600);
	});
});
