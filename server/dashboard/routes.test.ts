import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { createAdminUser } from "../auth/provisioning.js";
import type { AdminRole } from "../auth/roles.js";
import { signingKeyAad } from "../auth/signing-keys.js";
import { TEST_HASH_OPTIONS, TEST_PASSWORD, testUserAccess, createTestApp, type TestApp } from "../testing/test-app.js";
import { dashboardAssets } from "./assets.js";
import { safeNext } from "./routes.js";
import { SESSION_COOKIE } from "./sessions.js";

/** The dashboard's Content-Security-Policy, exactly. */
const DASHBOARD_CSP =
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

// A tiny stand-in for the built bundle (the real one is exercised by the browser test).
const ASSETS = dashboardAssets(
	{ script: "main-TEST0001.js", style: "main-TEST0001.css" },
	{
		"main-TEST0001.js": "document.title = 'Vantage';\n".repeat(40),
		"main-TEST0001.css": "body{margin:0}\n".repeat(40),
	},
);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let t: TestApp | undefined;
afterEach(() => t?.close());

async function setup(
	options: { env?: Record<string, string>; built?: boolean } = {},
): Promise<TestApp & { user(role?: AdminRole): Promise<string> }> {
	t = await createTestApp({ env: options.env, dashboardAssets: options.built === false ? undefined : ASSETS });
	const app = t;
	let users = 0;
	return Object.assign(app, {
		async user(role: AdminRole = "owner") {
			const email = `dash${++users}@example.com`;
			await createAdminUser(app.store, {
				email,
				password: TEST_PASSWORD,
				...testUserAccess(
					role,
					(await app.store.listGames()).map((g) => g.id),
				),
				now: app.clock.now,
				hashOptions: TEST_HASH_OPTIONS,
			});
			return email;
		},
	});
}

type Env = Record<string, unknown>;

function postLogin(
	a: TestApp,
	fields: Record<string, string>,
	options: { url?: string; headers?: Record<string, string>; env?: Env } = {},
): Promise<Response> {
	return Promise.resolve(
		a.app.request(
			options.url ?? "http://localhost/login",
			{
				method: "POST",
				headers: { "Content-Type": "application/x-www-form-urlencoded", ...options.headers },
				body: new URLSearchParams(fields).toString(),
			},
			options.env,
		),
	);
}

/** The session cookie's value from a Set-Cookie header, and the header itself. */
function sessionCookie(res: Response): { value: string; header: string } {
	const header = res.headers.getSetCookie().find((h) => h.startsWith(`${SESSION_COOKIE}=`));
	if (!header) throw new Error(`no session cookie in ${res.status} answer`);
	return { value: header.slice(SESSION_COOKIE.length + 1).split(";")[0]!, header };
}

/** Logs in through the form; returns the Cookie header value and the page's CSRF token. */
async function login(a: TestApp, email: string): Promise<{ cookie: string; csrf: string; secret: string }> {
	const res = await postLogin(a, { email, password: TEST_PASSWORD });
	expect(res.status).toBe(303);
	const { value } = sessionCookie(res);
	const cookie = `${SESSION_COOKIE}=${value}`;
	const shell = await a.app.request("/", { headers: { Cookie: cookie } });
	expect(shell.status).toBe(200);
	const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(await shell.text())?.[1];
	if (!csrf) throw new Error("no CSRF token in the shell");
	return { cookie, csrf, secret: value };
}

function api(
	a: TestApp,
	path: string,
	init: { method?: string; cookie?: string; csrf?: string; auth?: string; body?: unknown } = {},
): Promise<Response> {
	const headers: Record<string, string> = {};
	if (init.cookie) headers.Cookie = init.cookie;
	if (init.csrf) headers["X-CSRF-Token"] = init.csrf;
	if (init.auth) headers.Authorization = init.auth;
	if (init.body !== undefined) headers["Content-Type"] = "application/json";
	return Promise.resolve(
		a.app.request(path, {
			method: init.method ?? (init.body === undefined ? "GET" : "POST"),
			headers,
			...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
		}),
	);
}

describe("dashboard login", () => {
	it("sends a visitor without a session to the login form, keeping the shared link's query", async () => {
		const a = await setup();
		const bare = await a.app.request("/");
		expect(bare.status).toBe(303);
		expect(bare.headers.get("location")).toBe("/login");
		const shared = await a.app.request("/?game=g1&from=2025-01-01");
		expect(shared.headers.get("location")).toBe(`/login?next=${encodeURIComponent("/?game=g1&from=2025-01-01")}`);
		const form = await a.app.request("/login?next=%2F%3Fgame%3Dg1");
		expect(form.status).toBe(200);
		const html = await form.text();
		expect(html).toContain('<form class="login-card" method="post" action="/login">');
		expect(html).toContain('<input type="hidden" name="next" value="/?game=g1">');
		expect(html).not.toContain("<script");
	});

	it("logs in with the right password and goes where the link pointed", async () => {
		const a = await setup();
		const email = await a.user();
		const res = await postLogin(a, { email: email.toUpperCase(), password: TEST_PASSWORD, next: "/?game=g1" });
		expect(res.status).toBe(303);
		expect(res.headers.get("location")).toBe("/?game=g1");
		expect(res.headers.get("cache-control")).toBe("no-store");
		const { header } = sessionCookie(res);
		expect(header).toMatch(/; HttpOnly/);
		expect(header).toMatch(/; SameSite=Strict/);
		expect(header).toMatch(/; Path=\//);
		expect(header).toMatch(/; Max-Age=43200/); // VANTAGE_SESSION_MAX_HOURS = 12
		// Plain HTTP: a Secure cookie would never come back, so it is not set.
		expect(header).not.toMatch(/Secure/);
	});

	it("ends the session the browser held when it logs in again", async () => {
		const a = await setup();
		const email = await a.user();
		const first = await login(a, email);
		const again = await postLogin(a, { email, password: TEST_PASSWORD }, { headers: { Cookie: first.cookie } });
		expect(again.status).toBe(303);
		expect(sessionCookie(again).value).not.toBe(first.secret);
		expect((await api(a, "/v1/admin/me", { cookie: first.cookie })).status).toBe(401);
	});

	it("refuses a wrong password and an unknown email alike, with the form again and no cookie", async () => {
		const a = await setup();
		const email = await a.user();
		for (const fields of [
			{ email, password: `${TEST_PASSWORD}!` },
			{ email: "nobody@example.com", password: TEST_PASSWORD },
			{ email, password: "" },
		]) {
			const res = await postLogin(a, fields);
			expect(res.status).toBe(401);
			expect(res.headers.getSetCookie()).toEqual([]);
			const html = await res.text();
			expect(html).toContain('role="alert">The email or password is wrong.</p>');
			expect(html).toContain(`value="${fields.email}"`);
		}
	});

	it("refuses a disabled user", async () => {
		const a = await setup();
		const email = await a.user();
		const user = await a.store.getAdminUserByEmail(email);
		await a.store.updateAdminUser(user!.id, { disabledAt: a.clock.now });
		expect((await postLogin(a, { email, password: TEST_PASSWORD })).status).toBe(401);
	});

	it("refuses a login form posted from another site (login CSRF)", async () => {
		const a = await setup();
		const email = await a.user();
		const fields = { email, password: TEST_PASSWORD };
		const crossSite = await postLogin(a, fields, { headers: { "Sec-Fetch-Site": "cross-site" } });
		expect(crossSite.status).toBe(403);
		expect(crossSite.headers.getSetCookie()).toEqual([]);
		const otherOrigin = await postLogin(a, fields, { headers: { Origin: "https://evil.example" } });
		expect(otherOrigin.status).toBe(403);
		const sameSite = await postLogin(a, fields, {
			headers: { "Sec-Fetch-Site": "same-origin", Origin: "http://localhost" },
		});
		expect(sameSite.status).toBe(303);
	});

	it("never redirects off the dashboard after login", async () => {
		expect(safeNext("/?game=1&page=overview")).toBe("/?game=1&page=overview");
		expect(safeNext("/")).toBe("/");
		for (const bad of ["//evil.example", "/\\evil.example", "https://evil.example", "/?x=\\y", "/login", ""]) {
			expect(safeNext(bad), bad).toBeUndefined();
		}
		const a = await setup();
		const res = await postLogin(a, { email: await a.user(), password: TEST_PASSWORD, next: "//evil.example" });
		expect(res.headers.get("location")).toBe("/");
	});

	it("rate-limits login attempts per address, like the admin API's login", async () => {
		const a = await setup({ env: { VANTAGE_TOKEN_BURST: "2", VANTAGE_TOKEN_RATE_PER_MINUTE: "1" } });
		const email = await a.user();
		expect((await postLogin(a, { email, password: "wrong-password-1" })).status).toBe(401);
		// The API login draws from the same bucket.
		const apiLogin = await api(a, "/v1/admin/login", { body: { email, password: "wrong-password-2" } });
		expect(apiLogin.status).toBe(401);
		const limited = await postLogin(a, { email, password: TEST_PASSWORD });
		expect(limited.status).toBe(429);
		expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
		expect(limited.headers.getSetCookie()).toEqual([]);
		expect(await limited.text()).toContain("Too many sign-in attempts");
		a.clock.now += MINUTE;
		expect((await postLogin(a, { email, password: TEST_PASSWORD })).status).toBe(303);
	});
});

describe("the session cookie's Secure attribute", () => {
	const proxy = (address: string): Env => ({ incoming: { socket: { remoteAddress: address } } });

	it("is set when the connection is HTTPS", async () => {
		const a = await setup();
		const res = await postLogin(
			a,
			{ email: await a.user(), password: TEST_PASSWORD },
			{ url: "https://localhost/login" },
		);
		expect(sessionCookie(res).header).toMatch(/; Secure/);
	});

	it("follows X-Forwarded-Proto from a trusted proxy only", async () => {
		const a = await setup({ env: { VANTAGE_TRUSTED_PROXIES: "10.0.0.2" } });
		const email = await a.user();
		const forwarded = { "X-Forwarded-Proto": "https" };
		const viaProxy = await postLogin(
			a,
			{ email, password: TEST_PASSWORD },
			{ headers: forwarded, env: proxy("10.0.0.2") },
		);
		expect(sessionCookie(viaProxy).header).toMatch(/; Secure/);
		const mapped = await postLogin(
			a,
			{ email, password: TEST_PASSWORD },
			{ headers: forwarded, env: proxy("::ffff:10.0.0.2") },
		);
		expect(sessionCookie(mapped).header).toMatch(/; Secure/);
		const stranger = await postLogin(
			a,
			{ email, password: TEST_PASSWORD },
			{ headers: forwarded, env: proxy("10.0.0.9") },
		);
		expect(sessionCookie(stranger).header).not.toMatch(/Secure/);
		const plain = await postLogin(
			a,
			{ email, password: TEST_PASSWORD },
			{ headers: { "X-Forwarded-Proto": "http" }, env: proxy("10.0.0.2") },
		);
		expect(sessionCookie(plain).header).not.toMatch(/Secure/);
	});
});

describe("the app shell and its assets", () => {
	it("serves the shell with the CSRF token, the user and the hashed assets, never cached", async () => {
		const a = await setup();
		const { cookie } = await login(a, await a.user("analyst"));
		const res = await a.app.request("/", { headers: { Cookie: cookie } });
		expect(res.headers.get("content-security-policy")).toBe(DASHBOARD_CSP);
		expect(res.headers.get("cache-control")).toBe("no-store");
		expect(res.headers.get("x-frame-options")).toBe("DENY");
		const html = await res.text();
		expect(html).toMatch(/<meta name="csrf-token" content="[A-Za-z0-9_-]{43}">/);
		expect(html).toContain('<meta name="vantage-admin" content="false">');
		expect(html).toContain('<script type="module" src="/assets/main-TEST0001.js"></script>');
		expect(html).toContain('<link rel="stylesheet" href="/assets/main-TEST0001.css">');
		// No inline script or style: the CSP would block it.
		expect(html).not.toMatch(/<script>|<style|style="/);
	});

	it("sets the dashboard CSP on the login page, assets, logout and unknown assets; the API keeps its own", async () => {
		const a = await setup();
		for (const path of ["/login", "/assets/main-TEST0001.js", "/assets/nope.js"]) {
			const res = await a.app.request(path);
			expect(res.headers.get("content-security-policy"), path).toBe(DASHBOARD_CSP);
		}
		const logout = await a.app.request("/logout", { method: "POST" });
		expect(logout.headers.get("content-security-policy")).toBe(DASHBOARD_CSP);
		const apiRes = await a.app.request("/v1/admin/me");
		expect(apiRes.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
	});

	it("serves hashed assets immutable, gzipped when accepted", async () => {
		const a = await setup();
		const js = await a.app.request("/assets/main-TEST0001.js", { headers: { "Accept-Encoding": "gzip, br" } });
		expect(js.status).toBe(200);
		expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
		expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
		expect(js.headers.get("content-encoding")).toBe("gzip");
		expect(js.headers.get("vary")).toContain("Accept-Encoding");
		expect(gunzipSync(Buffer.from(await js.arrayBuffer())).toString()).toContain("document.title");
		const css = await a.app.request("/assets/main-TEST0001.css");
		expect(css.headers.get("content-encoding")).toBeNull();
		expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
		expect(await css.text()).toContain("body{margin:0}");
		expect((await a.app.request("/assets/main-OTHER.js")).status).toBe(404);
	});

	it("says how to build the dashboard when the bundle is missing", async () => {
		const a = await setup({ built: false });
		const { value } = sessionCookie(await postLogin(a, { email: await a.user(), password: TEST_PASSWORD }));
		const res = await a.app.request("/", { headers: { Cookie: `${SESSION_COOKIE}=${value}` } });
		expect(res.status).toBe(503);
		expect(await res.text()).toContain("npm run build:dashboard");
	});
});

describe("the admin API with the session cookie", () => {
	it("answers reads with the cookie alone, with the user's role", async () => {
		const a = await setup();
		await a.gameKey("g1");
		const { cookie } = await login(a, await a.user("viewer"));
		const me = await api(a, "/v1/admin/me", { cookie });
		expect(me.status).toBe(200);
		expect(await me.json()).toMatchObject({ admin: false, games: [{ gameId: "g1", role: "viewer" }] });
		expect((await api(a, "/v1/admin/games", { cookie })).status).toBe(200);
		expect((await api(a, "/v1/games/g1/metrics/overview", { cookie })).status).toBe(200);
		expect((await api(a, "/v1/admin/me", { cookie: `${SESSION_COOKIE}=${"x".repeat(43)}` })).status).toBe(401);
	});

	it("refuses a state change made with the cookie without the CSRF token, or with a wrong one", async () => {
		const a = await setup();
		const { cookie, csrf } = await login(a, await a.user("owner"));
		const missing = await api(a, "/v1/admin/games", { cookie, body: { id: "g2" } });
		expect(missing.status).toBe(403);
		expect(missing.headers.get("content-type")).toBe("application/problem+json");
		expect(await missing.json()).toMatchObject({ status: 403, code: "csrf_failed" });
		const other = `${csrf.slice(0, -1)}${csrf.endsWith("A") ? "B" : "A"}`;
		const wrong = await api(a, "/v1/admin/games", { cookie, csrf: other, body: { id: "g2" } });
		expect(wrong.status).toBe(403);
		expect(await a.store.getGame("g2")).toBeUndefined();
		// Every unsafe method is checked, not only POST.
		await a.gameKey("g1");
		const patch = await api(a, "/v1/admin/games/g1/settings", { method: "PATCH", cookie, body: { digestHour: 3 } });
		expect(patch.status).toBe(403);

		const ok = await api(a, "/v1/admin/games", { cookie, csrf, body: { id: "g2" } });
		expect(ok.status).toBe(201);
		const patched = await api(a, "/v1/admin/games/g1/settings", {
			method: "PATCH",
			cookie,
			csrf,
			body: { digestHour: 3 },
		});
		expect(patched.status).toBe(200);
	});

	it("leaves bearer-token clients as they were: no CSRF token needed, a cookie sent along is ignored", async () => {
		const a = await setup();
		const owner = await a.adminAuth("owner");
		expect((await api(a, "/v1/admin/games", { auth: owner, body: { id: "g3" } })).status).toBe(201);
		const { cookie } = await login(a, await a.user("viewer"));
		// The owner's token decides, not the viewer's cookie.
		expect((await api(a, "/v1/admin/games", { auth: owner, cookie, body: { id: "g4" } })).status).toBe(201);
		expect((await api(a, "/v1/admin/me", { auth: "Bearer nope", cookie })).status).toBe(401);
	});

	it("keeps a viewer from owner-only things even with a valid CSRF token", async () => {
		const a = await setup();
		await a.gameKey("g1");
		const { cookie, csrf } = await login(a, await a.user("viewer"));
		const attempts: [string, string, unknown][] = [
			["POST", "/v1/admin/games", { id: "g9" }],
			["GET", "/v1/admin/games/g1/keys", undefined],
			["POST", "/v1/admin/games/g1/keys", {}],
			["PATCH", "/v1/admin/games/g1/settings", { digestHour: 1 }],
			["POST", "/v1/admin/games/g1/warehouse/rebuild", undefined],
			["GET", "/v1/games/g1/events", undefined],
		];
		for (const [method, path, body] of attempts) {
			const res = await api(a, path, { method, cookie, csrf, body });
			expect(res.status, `${method} ${path}`).toBe(403);
			expect(await res.json()).toMatchObject({ code: "forbidden" });
		}
	});
});

describe("logout and expiry", () => {
	it("ends the session server-side on logout; the old cookie opens nothing afterwards", async () => {
		const a = await setup();
		const { cookie, csrf } = await login(a, await a.user());
		const form = (fields: Record<string, string>) =>
			a.app.request("/logout", {
				method: "POST",
				headers: { Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded" },
				body: new URLSearchParams(fields).toString(),
			});
		// Without the token (a forged logout) nothing ends.
		expect((await form({})).status).toBe(403);
		expect((await form({ csrf: "x".repeat(43) })).status).toBe(403);
		expect((await api(a, "/v1/admin/me", { cookie })).status).toBe(200);

		const res = await form({ csrf });
		expect(res.status).toBe(303);
		expect(res.headers.get("location")).toBe("/login?signedOut");
		expect(sessionCookie(res).header).toMatch(/Max-Age=0/);
		expect((await api(a, "/v1/admin/me", { cookie })).status).toBe(401);
		expect((await a.app.request("/", { headers: { Cookie: cookie } })).headers.get("location")).toBe("/login");
		const page = await a.app.request("/login?signedOut");
		expect(await page.text()).toContain("You are signed out.");
	});

	it("ends an idle session after VANTAGE_SESSION_IDLE_MINUTES; activity keeps it going", async () => {
		const a = await setup({ env: { VANTAGE_SESSION_IDLE_MINUTES: "30" } });
		const { cookie } = await login(a, await a.user());
		for (let i = 0; i < 6; i++) {
			a.clock.now += 20 * MINUTE;
			expect((await api(a, "/v1/admin/me", { cookie })).status, `after ${(i + 1) * 20} min`).toBe(200);
		}
		a.clock.now += 30 * MINUTE;
		expect((await api(a, "/v1/admin/me", { cookie })).status).toBe(401);
		expect((await a.app.request("/", { headers: { Cookie: cookie } })).status).toBe(303);
	});

	it("ends any session VANTAGE_SESSION_MAX_HOURS after login, however active", async () => {
		const a = await setup({ env: { VANTAGE_SESSION_MAX_HOURS: "2" } });
		const { cookie } = await login(a, await a.user());
		for (let elapsed = 0; elapsed < 2 * HOUR - 10 * MINUTE; elapsed += 10 * MINUTE) {
			a.clock.now += 10 * MINUTE;
			expect((await api(a, "/v1/admin/me", { cookie })).status).toBe(200);
		}
		a.clock.now += 10 * MINUTE;
		expect((await api(a, "/v1/admin/me", { cookie })).status).toBe(401);
	});

	it("stops a disabled user's session at once", async () => {
		const a = await setup();
		const email = await a.user();
		const { cookie } = await login(a, email);
		const user = await a.store.getAdminUserByEmail(email);
		await a.store.updateAdminUser(user!.id, { disabledAt: a.clock.now });
		expect((await api(a, "/v1/admin/me", { cookie })).status).toBe(401);
	});
});

describe("secrets", () => {
	it("appear in no page or API answer the dashboard reads", async () => {
		const a = await setup();
		const gameKey = await a.gameKey("g1");
		const email = await a.user("owner");
		const { cookie, csrf, secret } = await login(a, email);
		const webhook = "https://discord.com/api/webhooks/123/very-secret-webhook-token";
		const set = await api(a, "/v1/admin/games/g1/settings", {
			method: "PATCH",
			cookie,
			csrf,
			body: { digestWebhookUrl: webhook },
		});
		expect(set.status).toBe(200);

		const user = await a.store.getAdminUserByEmail(email);
		const [signing] = await a.store.listSigningKeys();
		// Stored sealed by the master keys (auth/secrets-at-rest.ts); what must never show is the key inside.
		const privateD = (
			JSON.parse(a.keys.secrets.open(signing!.privateJwk, signingKeyAad(signing!.kid))) as { d: string }
		).d;
		const [keyRecord] = await a.store.listApiKeys("g1");
		const secrets = {
			gameKeySecret: gameKey.split(".").slice(1).join("."),
			gameKeyHash: keyRecord!.secretHash,
			passwordHash: user!.passwordHash,
			password: TEST_PASSWORD,
			signingKey: privateD,
			sessionSecret: secret,
			webhookToken: "very-secret-webhook-token",
		};
		expect(secrets.gameKeySecret.length).toBeGreaterThan(10);

		const answers: [string, Response][] = [
			["/login", await a.app.request("/login")],
			["failed login", await postLogin(a, { email, password: `${TEST_PASSWORD}x` })],
		];
		const paths = [
			"/",
			"/v1/admin/me",
			"/v1/admin/games",
			"/v1/admin/games/g1/keys",
			"/v1/admin/games/g1/settings",
			"/v1/admin/warehouse",
			"/v1/games/g1/metrics/overview",
			"/v1/games/g1/metrics/active-users",
			"/v1/games/g1/metrics/active-users?format=csv",
			"/assets/main-TEST0001.js",
		];
		for (const path of paths) {
			const res = await a.app.request(path, { headers: { Cookie: cookie } });
			expect(res.status, path).toBe(200);
			answers.push([path, res]);
		}
		for (const [path, res] of answers) {
			const text = `${[...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n${await res.text()}`;
			for (const [name, value] of Object.entries(secrets)) expect(text, `${name} in ${path}`).not.toContain(value);
		}
	});
});
