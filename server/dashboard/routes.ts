// The dashboard's own routes: the app shell at /, the login form, logout and the hashed assets. Everything else the
// browser app shows comes from the JSON APIs (/v1/admin/..., /v1/games/{id}/metrics/...), which accept the session
// cookie set here in place of an admin token (see requireAdmin).
import { Hono, type Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AccountLockedError, SecondFactorRequiredError, type AdminLogin } from "../auth/admin-login.js";
import { MAX_PASSWORD_LENGTH } from "../auth/passwords.js";
import { InvalidCredentialsError, NotFoundError, RateLimitedError } from "../errors.js";
import type { AdminUser } from "../store/types.js";
import type { AppEnv } from "../http/app-env.js";
import { readLimited } from "../http/read-json-body.js";
import type { TakeResult } from "../middleware/rate-limit/token-bucket.js";
import { ASSETS_PATH } from "../middleware/security/index.js";
import type { Store } from "../store/types.js";
import type { DashboardAssets } from "./assets.js";
import { loginPage, notBuiltPage, shellPage } from "./pages.js";
import { CSRF_HEADER, SESSION_COOKIE, csrfTokenMatches, type DashboardSessions } from "./sessions.js";

/** The login and logout forms are a few short fields. */
const FORM_LIMIT_BYTES = 8 * 1024;
/** Hashed asset names never change content: browsers and caches may keep them for a year without asking again. */
const IMMUTABLE = "public, max-age=31536000, immutable";

export interface DashboardRoutesDeps {
	store: Store;
	sessions: DashboardSessions;
	/** The built bundle; undefined when it was never built (the pages then say how to build it). */
	assets: DashboardAssets | undefined;
	/** Draws one login attempt from the caller's per-IP bucket (the one the token endpoint and API login use). */
	loginLimit: (c: Context<AppEnv>) => TakeResult | Promise<TakeResult>;
	/** Whether the browser reached us over HTTPS (decides the cookie's Secure attribute). */
	isHttps: (c: Context<AppEnv>) => boolean;
	/** The sign-in check shared with the API login: per-account throttling and the second factor. */
	login: AdminLogin;
	/** The client's address (trusted-proxy aware), for the audit log. */
	ipOf: (c: Context<AppEnv>) => string;
}

/**
 * Routes at the root:
 * - `GET /` — the app shell for a logged-in user, else a redirect to the login form (keeping the link's query);
 * - `GET /login`, `POST /login` — the form and its check; success sets the session cookie;
 * - `POST /logout` — ends the session server-side (the form carries the CSRF token) and clears the cookie;
 * - `GET /assets/:name` — the hashed bundle files, cached immutably, gzipped when the browser accepts it.
 */
export function dashboardRoutes(deps: DashboardRoutesDeps): Hono<AppEnv> {
	const { sessions, assets } = deps;
	const routes = new Hono<AppEnv>();

	routes.get("/", async (c) => {
		const resolved = await sessions.resolve(getCookie(c, SESSION_COOKIE));
		if (!resolved) {
			const query = new URL(c.req.url).search;
			return redirect(c, query ? `/login?next=${encodeURIComponent(`/${query}`)}` : "/login");
		}
		if (!assets) return html(c, notBuiltPage(), 503);
		const { email, admin } = resolved.user;
		return html(c, shellPage({ assets, csrfToken: resolved.session.csrfToken, user: { email, admin } }));
	});

	routes.get("/login", async (c) => {
		const next = safeNext(c.req.query("next"));
		if (await sessions.resolve(getCookie(c, SESSION_COOKIE))) return redirect(c, next ?? "/");
		const message =
			c.req.query("signedOut") === undefined ? undefined : { text: "You are signed out.", kind: "info" as const };
		return html(c, loginPage({ assets, next, message }));
	});

	/**
	 * 1. posted from another site → 403 (login CSRF: logging a victim into the attacker's account);
	 * 2. the address's login budget is spent → 429 with Retry-After (shared with the token endpoint and API login);
	 * 3. unknown email, wrong password or disabled user → 401, one message for all (checked against a dummy hash for
	 *    unknown emails, so timing does not tell which emails exist);
	 * 4. otherwise a new session (ending the one the browser held, if any), its cookie, and a redirect to where the user
	 *    was going.
	 */
	routes.post("/login", async (c) => {
		if (!sameOrigin(c)) return html(c, forbiddenPage(), 403);
		const limit = await deps.loginLimit(c);
		const fields = await readForm(c);
		const next = safeNext(fields.get("next") ?? undefined);
		const email = (fields.get("email") ?? "").trim().toLowerCase().slice(0, 320);
		if (!limit.allowed) {
			const seconds = Math.max(1, Math.ceil(limit.retryAfterSeconds));
			c.header("Retry-After", String(seconds));
			const text = `Too many sign-in attempts from this address: try again in ${seconds} s.`;
			return html(c, loginPage({ assets, next, email, message: { text, kind: "error" } }), 429);
		}
		const password = (fields.get("password") ?? "").slice(0, MAX_PASSWORD_LENGTH);
		const code = (fields.get("code") ?? "").slice(0, 16);
		let user: AdminUser;
		try {
			user = await deps.login.verify({ email, password, code }, { via: "dashboard", ip: deps.ipOf(c) });
		} catch (error) {
			const failed = (text: string, status: 401 | 429) =>
				html(c, loginPage({ assets, next, email, message: { text, kind: "error" } }), status);
			if (error instanceof InvalidCredentialsError) return failed("The email or password is wrong.", 401);
			if (error instanceof SecondFactorRequiredError) return failed(error.detail, 401);
			if (error instanceof AccountLockedError || error instanceof RateLimitedError) {
				c.header("Retry-After", error.headers["Retry-After"] ?? "60");
				return failed(error.detail, 429);
			}
			throw error;
		}
		// A session the browser still held (another login on this browser) ends: one cookie, one session.
		await sessions.end(getCookie(c, SESSION_COOKIE));
		const { secret } = await sessions.create(user);
		setCookie(c, SESSION_COOKIE, secret, {
			httpOnly: true,
			secure: deps.isHttps(c),
			sameSite: "Strict",
			path: "/",
			maxAge: sessions.cookieMaxAgeSeconds,
		});
		return redirect(c, next ?? "/");
	});

	/** The form sends the CSRF token as a field (a form cannot set headers); a script may send the header instead. */
	routes.post("/logout", async (c) => {
		if (!sameOrigin(c)) return html(c, forbiddenPage(), 403);
		const secret = getCookie(c, SESSION_COOKIE);
		const resolved = await sessions.resolve(secret);
		if (resolved) {
			const sent = c.req.header(CSRF_HEADER) ?? (await readForm(c)).get("csrf");
			if (!csrfTokenMatches(resolved.session, sent)) return html(c, forbiddenPage(), 403);
			await sessions.end(secret);
		}
		deleteCookie(c, SESSION_COOKIE, { httpOnly: true, secure: deps.isHttps(c), sameSite: "Strict", path: "/" });
		return redirect(c, "/login?signedOut");
	});

	routes.get(`${ASSETS_PATH}/:name`, (c) => {
		const asset = assets?.files.get(c.req.param("name"));
		if (!asset) throw new NotFoundError();
		c.header("Cache-Control", IMMUTABLE);
		c.header("Content-Type", asset.contentType);
		c.header("Vary", "Accept-Encoding");
		if (asset.gzip && /\bgzip\b/.test(c.req.header("accept-encoding") ?? "")) {
			c.header("Content-Encoding", "gzip");
			return c.body(asset.gzip, 200);
		}
		return c.body(asset.body, 200);
	});

	return routes;
}

/**
 * Where to go after login: only the dashboard's own page with a query (`/` or `/?…`), so the parameter can never
 * send the user to another site (`//evil.example`, `/\evil.example`, `https://…`).
 */
export function safeNext(raw: string | undefined): string | undefined {
	if (raw === undefined || raw.length > 2048) return undefined;
	if (raw === "/" || (raw.startsWith("/?") && !raw.includes("\\"))) return raw;
	return undefined;
}

/**
 * Whether a form post comes from our own pages. Browsers say so in `Sec-Fetch-Site`; older ones send `Origin`, which
 * must name this host. A request with neither is not from a browser page, so it cannot be a cross-site forgery.
 */
function sameOrigin(c: Context<AppEnv>): boolean {
	const site = c.req.header("sec-fetch-site");
	if (site !== undefined) return site === "same-origin";
	const origin = c.req.header("origin");
	if (origin === undefined) return true;
	try {
		return new URL(origin).host === (c.req.header("host") ?? new URL(c.req.url).host);
	} catch {
		return false;
	}
}

/** The fields of a url-encoded form body (at most {@link FORM_LIMIT_BYTES}); anything else reads as no fields. */
async function readForm(c: Context<AppEnv>): Promise<URLSearchParams> {
	const type = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
	if (type !== "application/x-www-form-urlencoded") return new URLSearchParams();
	return new URLSearchParams((await readLimited(c.req.raw, FORM_LIMIT_BYTES)).toString("utf8"));
}

function html(c: Context<AppEnv>, body: string, status: ContentfulStatusCode = 200): Response {
	// Pages carry the user's CSRF token or a login form: never kept by any cache.
	c.header("Cache-Control", "no-store");
	return c.html(body, status);
}

function redirect(c: Context<AppEnv>, location: string): Response {
	c.header("Cache-Control", "no-store");
	return c.redirect(location, 303);
}

function forbiddenPage(): string {
	return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Forbidden · Vantage</title></head>
<body><main><h1>This request was refused</h1><p>It did not come from this dashboard's own page. <a href="/">Open the dashboard</a> and try again.</p></main></body></html>
`;
}
