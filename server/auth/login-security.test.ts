import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, TEST_HASH_OPTIONS, TEST_PASSWORD, type TestApp } from "../testing/test-app.js";
import { verifyAuditChain } from "../privacy/audit.js";
import { createAdminUser } from "./provisioning.js";
import { afterLoginFailure, failureDelayMs, LOGIN_THROTTLE, loginGate } from "./login-throttle.js";
import { totpCode, TOTP_PERIOD_SECONDS } from "./totp.js";

let t: TestApp | undefined;
afterEach(() => t?.close());

const STEP_MS = TOTP_PERIOD_SECONDS * 1000;
/** The env `app.request` passes to the Node adapter's getConnInfo: the socket's peer address. */
const peer = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress } } });

async function setup(): Promise<TestApp> {
	t = await createTestApp();
	return t;
}

async function user(app: TestApp, email: string, role: "owner" | "analyst" | "viewer" = "viewer") {
	return createAdminUser(app.store, {
		email,
		password: TEST_PASSWORD,
		// "owner": an instance admin (manages users); the others need no game here.
		admin: role === "owner",
		now: app.clock.now,
		hashOptions: TEST_HASH_OPTIONS,
	});
}

function login(
	app: TestApp,
	email: string,
	password = TEST_PASSWORD,
	extra: Record<string, string> = {},
	ip = "203.0.113.1",
) {
	return app.app.request(
		"/v1/admin/login",
		{
			method: "POST",
			headers: { "Content-Type": "application/json" },
			body: JSON.stringify({ email, password, ...extra }),
		},
		peer(ip),
	);
}

async function token(app: TestApp, email: string, extra: Record<string, string> = {}): Promise<string> {
	const res = await login(app, email, TEST_PASSWORD, extra);
	if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
	return `Bearer ${((await res.json()) as { access_token: string }).access_token}`;
}

function call(app: TestApp, method: string, path: string, auth: string, body?: unknown) {
	return app.app.request(path, {
		method,
		headers: { Authorization: auth, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
		...(body === undefined ? {} : { body: JSON.stringify(body) }),
	});
}

describe("login throttling policy", () => {
	it.each([
		[0, 0],
		[3, 0],
		[4, 1000],
		[5, 2000],
		[8, 16000],
		[9, 32000],
		[20, 60000],
	])("after %i failures the next attempt waits %i ms", (failures, delay) => {
		expect(failureDelayMs(failures)).toBe(delay);
	});

	it("locks at the 10th failure, forgets after a quiet day", () => {
		let record = undefined as ReturnType<typeof afterLoginFailure> | undefined;
		let now = 0;
		for (let i = 0; i < LOGIN_THROTTLE.lockAfterFailures; i++) {
			now += 120_000;
			record = afterLoginFailure(record, "a@b.c", now);
		}
		expect(record?.lockedUntil).toBe(now + LOGIN_THROTTLE.lockMs);
		expect(loginGate(record, now + 1000)).toEqual({
			allowed: false,
			locked: true,
			retryAfterMs: LOGIN_THROTTLE.lockMs - 1000,
		});
		expect(loginGate(record, now + LOGIN_THROTTLE.lockMs)).toEqual({ allowed: true });
		// One more failure after the lock locks again at once.
		expect(afterLoginFailure(record, "a@b.c", now + LOGIN_THROTTLE.lockMs).lockedUntil).not.toBeNull();
		expect(afterLoginFailure(record, "a@b.c", now + LOGIN_THROTTLE.forgetAfterMs).failures).toBe(1);
	});
});

describe("brute force against one account from many addresses", () => {
	it("is slowed with growing delays, then locked, even with the right password, and audited", async () => {
		const app = await setup();
		await user(app, "ana@example.com");
		const statuses: number[] = [];
		// Every guess from its own address: the per-IP limit never sees more than one.
		for (let i = 0; i < 3; i++)
			statuses.push((await login(app, "ana@example.com", "wrong", {}, `198.51.100.${i}`)).status);
		expect(statuses).toEqual([401, 401, 401]);
		// The 4th failure starts the delays: an attempt right after it is refused unchecked, the right password too.
		expect((await login(app, "ana@example.com", "wrong", {}, "198.51.100.10")).status).toBe(401);
		const waiting = await login(app, "ana@example.com", TEST_PASSWORD, {}, "198.51.100.11");
		expect(waiting.status).toBe(429);
		expect(waiting.headers.get("retry-after")).toBe("1");
		expect(await waiting.json()).toMatchObject({ code: "rate_limited" });

		// Keep guessing, each time just after the wait: failures 5..10; the 10th locks.
		for (let failures = 4; failures < LOGIN_THROTTLE.lockAfterFailures; failures++) {
			app.clock.now += failureDelayMs(failures);
			expect((await login(app, "ana@example.com", "wrong", {}, `192.0.2.${failures}`)).status).toBe(401);
		}
		const locked = await login(app, "ana@example.com", TEST_PASSWORD, {}, "192.0.2.200");
		expect(locked.status).toBe(429);
		expect(await locked.json()).toMatchObject({
			code: "account_locked",
			retryAfterSeconds: LOGIN_THROTTLE.lockMs / 1000,
		});
		// Still locked well within the lock, whatever the address.
		app.clock.now += LOGIN_THROTTLE.lockMs - 60_000;
		expect((await login(app, "ana@example.com", TEST_PASSWORD, {}, "192.0.2.201")).status).toBe(429);
		// After it, the right password works and clears the count.
		app.clock.now += 60_000;
		expect((await login(app, "ana@example.com")).status).toBe(200);
		expect((await login(app, "ana@example.com", "wrong")).status).toBe(401);
		expect((await login(app, "ana@example.com")).status).toBe(200);

		const locks = (await app.store.privacy.listAudit(0, 1000)).filter((e) => e.action === "admin.account_locked");
		expect(locks).toHaveLength(1);
		expect(await verifyAuditChain(app.store)).toMatchObject({ ok: true });
	});

	it("throttles unknown emails the same way (the answer does not tell which exist)", async () => {
		const app = await setup();
		for (let i = 0; i < 4; i++)
			expect((await login(app, "nobody@example.com", "x", {}, `198.51.100.${i}`)).status).toBe(401);
		expect((await login(app, "nobody@example.com", "x", {}, "198.51.100.9")).status).toBe(429);
	});
});

describe("TOTP second factor", () => {
	async function enrolled(app: TestApp, email: string) {
		await user(app, email, "owner");
		const auth = await token(app, email);
		const enrol = await call(app, "POST", "/v1/admin/me/totp", auth, { password: TEST_PASSWORD });
		expect(enrol.status).toBe(201);
		const { secret, uri } = (await enrol.json()) as { secret: string; uri: string };
		expect(uri).toMatch(/^otpauth:\/\/totp\/Vantage:/);
		expect(uri).toContain(`secret=${secret}`);
		expect(await (await call(app, "GET", "/v1/admin/me/totp", auth)).json()).toEqual({ enabled: false, pending: true });
		// Not enabled until confirmed: a login without a code still works.
		expect((await login(app, email)).status).toBe(200);
		expect((await call(app, "POST", "/v1/admin/me/totp/confirm", auth, { code: "000000" })).status).toBe(401);
		const confirm = await call(app, "POST", "/v1/admin/me/totp/confirm", auth, {
			code: totpCode(secret, app.clock.now),
		});
		expect(confirm.status).toBe(200);
		return { secret, auth };
	}

	it("enrols with an otpauth URI confirmed by a first code; login then needs a code within its window, once", async () => {
		const app = await setup();
		const { secret } = await enrolled(app, "ana@example.com");
		const missing = await login(app, "ana@example.com");
		expect(missing.status).toBe(401);
		expect(await missing.json()).toMatchObject({ code: "second_factor_required" });
		// The confirming code's step is used: the next step's code (30 s later) signs in.
		app.clock.now += STEP_MS;
		const code = totpCode(secret, app.clock.now);
		expect((await login(app, "ana@example.com", TEST_PASSWORD, { totp: code })).status).toBe(200);
		// The same code again is refused (RFC 6238 §5.2: one use).
		expect((await login(app, "ana@example.com", TEST_PASSWORD, { totp: code })).status).toBe(401);
		// A code one step old is within the window…
		app.clock.now += 2 * STEP_MS;
		expect(
			(await login(app, "ana@example.com", TEST_PASSWORD, { totp: totpCode(secret, app.clock.now - STEP_MS) })).status,
		).toBe(200);
		// …two steps old, or two ahead, is not.
		app.clock.now += 4 * STEP_MS;
		expect(
			(await login(app, "ana@example.com", TEST_PASSWORD, { totp: totpCode(secret, app.clock.now - 2 * STEP_MS) }))
				.status,
		).toBe(401);
		expect(
			(await login(app, "ana@example.com", TEST_PASSWORD, { totp: totpCode(secret, app.clock.now + 2 * STEP_MS) }))
				.status,
		).toBe(401);
		// The secret is stored sealed, never as the base32 the app shows.
		const stored = await app.store.security.getTotp((await app.store.getAdminUserByEmail("ana@example.com"))!.id);
		expect(stored?.secret.startsWith("vsec1.")).toBe(true);
		expect(stored?.secret).not.toContain(secret);
	});

	it("the dashboard's sign-in form asks for the code too, and its session is listed beside the tokens", async () => {
		const app = await setup();
		const { secret, auth } = await enrolled(app, "ana@example.com");
		const form = (fields: Record<string, string>) =>
			app.app.request("http://localhost/login", {
				method: "POST",
				headers: { "Content-Type": "application/x-www-form-urlencoded" },
				body: new URLSearchParams(fields).toString(),
			});
		const without = await form({ email: "ana@example.com", password: TEST_PASSWORD });
		expect(without.status).toBe(401);
		expect(await without.text()).toContain("send the 6-digit code");
		app.clock.now += STEP_MS;
		const signedIn = await form({
			email: "ana@example.com",
			password: TEST_PASSWORD,
			code: totpCode(secret, app.clock.now),
		});
		expect(signedIn.status).toBe(303);
		const sessions = (await (await call(app, "GET", "/v1/admin/sessions", auth)).json()) as {
			sessions: { kind: string }[];
		};
		// Two API logins while enrolling (see enrolled), and the form's.
		expect(sessions.sessions.map((s) => s.kind).sort()).toEqual(["dashboard", "token", "token"]);
	});

	it("is disabled with the password and a code, or removed by another owner", async () => {
		const app = await setup();
		const { secret, auth } = await enrolled(app, "ana@example.com");
		app.clock.now += STEP_MS;
		expect(
			(
				await call(app, "DELETE", "/v1/admin/me/totp", auth, {
					password: "wrong",
					code: totpCode(secret, app.clock.now),
				})
			).status,
		).toBe(401);
		expect(
			(
				await call(app, "DELETE", "/v1/admin/me/totp", auth, {
					password: TEST_PASSWORD,
					code: totpCode(secret, app.clock.now),
				})
			).status,
		).toBe(204);
		expect((await login(app, "ana@example.com")).status).toBe(200);

		await enrolled(app, "bo@example.com");
		const bo = (await app.store.getAdminUserByEmail("bo@example.com"))!;
		const owner = await token(app, "ana@example.com");
		expect((await call(app, "DELETE", `/v1/admin/users/${bo.id}/totp`, owner)).status).toBe(204);
		expect((await login(app, "bo@example.com")).status).toBe(200);
	});
});

describe("sessions, passwords and the audit log", () => {
	it("lists a user's sessions and revokes one: its token is refused at once, the others keep working", async () => {
		const app = await setup();
		await user(app, "ana@example.com");
		const first = await token(app, "ana@example.com");
		const second = await token(app, "ana@example.com");
		const list = (await (await call(app, "GET", "/v1/admin/sessions", second)).json()) as {
			sessions: { id: string; kind: string; current: boolean }[];
		};
		expect(list.sessions).toHaveLength(2);
		expect(list.sessions.every((s) => s.kind === "token")).toBe(true);
		const current = list.sessions.find((s) => s.current);
		const other = list.sessions.find((s) => !s.current);
		expect(current && other).toBeTruthy();
		expect((await call(app, "DELETE", `/v1/admin/sessions/${other!.id}`, second)).status).toBe(204);
		expect((await call(app, "GET", "/v1/admin/me", first)).status).toBe(401);
		expect((await call(app, "GET", "/v1/admin/me", second)).status).toBe(200);
		expect((await call(app, "DELETE", `/v1/admin/sessions/${other!.id}`, second)).status).toBe(404);
	});

	it("an owner lists and revokes another user's sessions", async () => {
		const app = await setup();
		await user(app, "owner@example.com", "owner");
		const target = await user(app, "ana@example.com");
		const owner = await token(app, "owner@example.com");
		const ana = await token(app, "ana@example.com");
		const listed = (await (await call(app, "GET", `/v1/admin/users/${target.id}/sessions`, owner)).json()) as {
			sessions: { id: string }[];
		};
		expect(listed.sessions).toHaveLength(1);
		expect((await call(app, "GET", `/v1/admin/users/${target.id}/sessions`, ana)).status).toBe(403);
		expect(
			(await call(app, "DELETE", `/v1/admin/users/${target.id}/sessions/${listed.sessions[0]!.id}`, owner)).status,
		).toBe(204);
		expect((await call(app, "GET", "/v1/admin/me", ana)).status).toBe(401);
	});

	it("a password change checks the current one and ends the user's other sessions", async () => {
		const app = await setup();
		await user(app, "ana@example.com");
		const other = await token(app, "ana@example.com");
		const mine = await token(app, "ana@example.com");
		const newPassword = "a much longer new passphrase";
		expect(
			(await call(app, "POST", "/v1/admin/me/password", mine, { currentPassword: "wrong", newPassword })).status,
		).toBe(401);
		const res = await call(app, "POST", "/v1/admin/me/password", mine, { currentPassword: TEST_PASSWORD, newPassword });
		expect(await res.json()).toEqual({ endedSessions: 1 });
		expect((await call(app, "GET", "/v1/admin/me", other)).status).toBe(401);
		expect((await call(app, "GET", "/v1/admin/me", mine)).status).toBe(200);
		expect((await login(app, "ana@example.com")).status).toBe(401);
		expect((await login(app, "ana@example.com", newPassword)).status).toBe(200);
	});

	it("an owner resets a password (generated, answered once); every session of the user ends", async () => {
		const app = await setup();
		const owner = await user(app, "owner@example.com", "owner");
		const target = await user(app, "ana@example.com");
		const ownerAuth = await token(app, "owner@example.com");
		const ana = await token(app, "ana@example.com");
		expect((await call(app, "POST", `/v1/admin/users/${target.id}/password`, ana, {})).status).toBe(403);
		expect((await call(app, "POST", `/v1/admin/users/${owner.id}/password`, ownerAuth, {})).status).toBe(409);
		const res = await call(app, "POST", `/v1/admin/users/${target.id}/password`, ownerAuth, {});
		expect(res.headers.get("cache-control")).toBe("no-store");
		const body = (await res.json()) as { endedSessions: number; generatedPassword: string };
		expect(body.endedSessions).toBe(1);
		expect((await call(app, "GET", "/v1/admin/me", ana)).status).toBe(401);
		expect((await login(app, "ana@example.com", body.generatedPassword)).status).toBe(200);

		// Every admin change above is in the hash-chained audit log, with who did it and which route.
		const entries = await app.store.privacy.listAudit(0, 1000);
		const changes = entries
			.filter((e) => e.action === "admin.change")
			.map((e) => JSON.parse(e.details) as Record<string, unknown>);
		expect(changes).toContainEqual(
			expect.objectContaining({
				method: "POST",
				route: "/v1/admin/users/:userId/password",
				userId: target.id,
				status: 200,
			}),
		);
		expect(entries.filter((e) => e.action === "admin.login").length).toBeGreaterThanOrEqual(3);
		expect(await verifyAuditChain(app.store)).toMatchObject({ ok: true });
	});
});
