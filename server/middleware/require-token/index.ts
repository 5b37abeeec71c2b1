import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { accessRequirementCheck, type AccessRequirement } from "../../auth/game-access.js";
import type { GameScope } from "../../auth/roles.js";
import { InvalidTokenError, type TokenService } from "../../auth/tokens.js";
import { CSRF_HEADER, SESSION_COOKIE, csrfTokenMatches, type DashboardSessions } from "../../dashboard/sessions.js";
import { CsrfError, ForbiddenError, UnauthorizedError } from "../../errors.js";
import type { AppEnv } from "../../http/app-env.js";
import type { Logger } from "../../logger.js";
import type { AdminUser, Store } from "../../store/types.js";

/** The realm named in every `WWW-Authenticate` challenge. */
export const REALM = "vantage";

// RFC 6750 §2.1 b64token, bounded: a signed token is a few hundred characters.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]{1,4096}=*) *$/i;

export interface RequireTokenOptions {
	tokens: TokenService;
	store: Store;
	/** Rejections are logged at info with their reason (the client only ever sees a generic message). */
	logger?: Logger;
}

/** Methods that change nothing (RFC 9110 §9.2.1): the only ones a cookie session may use without its CSRF token. */
const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Lets a request through only with a game access token carrying `scope`; sets `c.get("game")`.
 * 1. no `Authorization: Bearer` → 401 with a bare challenge;
 * 2. the token fails verification (signature, alg, typ, iss, aud, exp, iat, kid) → 401 invalid_token;
 * 3. the API key it was issued for is unknown, revoked or belongs to another game → 401 invalid_token;
 * 4. the scope is missing → 403 insufficient_scope.
 *
 * @example
 * v1.post("/batches", requireGameToken({ tokens, store, scope: "ingest" }), handler);
 */
export function requireGameToken(options: RequireTokenOptions & { scope: GameScope }): MiddlewareHandler<AppEnv> {
	return async (c, next) => {
		const token = bearerToken(c);
		const claims = await verified(c, options, () => options.tokens.verifyGameToken(token), {
			verify: () => options.tokens.verifyAdminToken(token),
			message: "This route takes a game access token (POST /v1/oauth/token with a game key), not an admin token.",
		});
		const key = await options.store.getApiKey(claims.keyId);
		if (!key || key.revokedAt !== null || key.gameId !== claims.gameId) {
			throw reject(c, options, "api key revoked or unknown");
		}
		if (!claims.scopes.includes(options.scope)) {
			throw new ForbiddenError(`The token lacks the "${options.scope}" scope.`, { realm: REALM, scope: options.scope });
		}
		c.set("game", { gameId: claims.gameId, keyId: claims.keyId, scopes: claims.scopes });
		await next();
	};
}

/**
 * Lets a request through only for a user who still exists, is not disabled and whose current access meets `role`
 * (see {@link AccessRequirement}: a role on the route's `:gameId`, instance admin, or any signed-in user); sets
 * `c.get("admin")`. Who the user is comes from:
 * 1. an `Authorization` header → the admin token in it (API clients; a cookie sent along is ignored);
 * 2. else, with `sessions`, the dashboard's session cookie → its session (unknown, expired or logged out → 401); a
 *    state change (anything but GET, HEAD, OPTIONS) must also carry the session's CSRF token in `X-CSRF-Token`
 *    → else 403 csrf_failed, since another site's page can make the browser send the cookie but not the header;
 * 3. neither → 401.
 *
 * @example
 * admin.get("/games", requireAdmin({ tokens, store, role: "viewer", sessions }), handler);
 */
export function requireAdmin(
	options: RequireTokenOptions & {
		role: AccessRequirement;
		/** The dashboard's login sessions: without them only admin tokens are accepted. */
		sessions?: DashboardSessions;
	},
): MiddlewareHandler<AppEnv> {
	return async (c, next) => {
		const sessions = options.sessions;
		const { user, sessionId } =
			sessions && c.req.header("authorization") === undefined && getCookie(c, SESSION_COOKIE) !== undefined
				? await sessionUser(c, options, sessions)
				: await tokenUser(c, options);
		const grants = new Map((await options.store.access.listUserGrants(user.id)).map((g) => [g.gameId, g.role]));
		const caller = { userId: user.id, email: user.email, admin: user.admin, grants, sessionId };
		accessRequirementCheck(caller, options.role, c.req.param("gameId"));
		c.set("admin", caller);
		await next();
	};
}

/** The user of the request's admin token, still existing and enabled, and the token's session, not revoked. */
async function tokenUser(
	c: Context<AppEnv>,
	options: RequireTokenOptions,
): Promise<{ user: AdminUser; sessionId: string }> {
	const token = bearerToken(c);
	const claims = await verified(c, options, () => options.tokens.verifyAdminToken(token), {
		verify: () => options.tokens.verifyGameToken(token),
		message: "This route takes an admin access token (POST /v1/admin/login or an admin API key), not a game token.",
	});
	const user = await options.store.getAdminUser(claims.userId);
	if (!user || user.disabledAt !== null) throw reject(c, options, "admin user unknown or disabled");
	// Read on every request (a primary-key lookup): a session revoked or ended by a password change stops its token at once.
	const session = await options.store.getAdminSession(claims.sessionId);
	if (!session || session.userId !== user.id) throw reject(c, options, "session revoked");
	return { user, sessionId: session.id };
}

/** The user of the request's dashboard session (resolving it checks they exist and are enabled), after CSRF. */
async function sessionUser(
	c: Context<AppEnv>,
	options: RequireTokenOptions,
	sessions: DashboardSessions,
): Promise<{ user: AdminUser; sessionId: string }> {
	const resolved = await sessions.resolve(getCookie(c, SESSION_COOKIE));
	if (!resolved) {
		options.logger?.info("session rejected", { requestId: c.get("requestId"), path: c.req.path });
		throw new UnauthorizedError("The session has expired or ended: log in again.", {
			realm: REALM,
			invalidToken: true,
		});
	}
	if (!SAFE_METHODS.has(c.req.method) && !csrfTokenMatches(resolved.session, c.req.header(CSRF_HEADER))) {
		options.logger?.info("csrf check failed", { requestId: c.get("requestId"), path: c.req.path });
		throw new CsrfError();
	}
	return { user: resolved.user, sessionId: resolved.session.id };
}

/** The bearer token of the request, or a 401 (without an error attribute when no credentials were sent). */
export function bearerToken(c: Context): string {
	const header = c.req.header("authorization");
	if (!header) throw new UnauthorizedError("An access token is required.", { realm: REALM, invalidToken: false });
	const match = BEARER.exec(header);
	if (!match?.[1]) {
		throw new UnauthorizedError('The Authorization header must be "Bearer <token>".', {
			realm: REALM,
			invalidToken: true,
		});
	}
	return match[1];
}

/**
 * The claims of a token `verify` accepts, or a 401. A token that fails but is a valid token of the other kind (a
 * game token on an admin route, or the reverse) is refused saying so: the caller holds that token already, and
 * "invalid, expired or revoked" would send them looking in the wrong place.
 */
async function verified<T>(
	c: Context<AppEnv>,
	options: RequireTokenOptions,
	verify: () => Promise<T>,
	otherKind: { verify: () => Promise<unknown>; message: string },
): Promise<T> {
	try {
		return await verify();
	} catch (error) {
		if (!(error instanceof InvalidTokenError)) throw error;
		const other = await otherKind.verify().then(
			() => true,
			() => false,
		);
		if (other) {
			options.logger?.info("token rejected", { requestId: c.get("requestId"), path: c.req.path, reason: "other kind" });
			throw new UnauthorizedError(otherKind.message, { realm: REALM, invalidToken: true });
		}
		throw reject(c, options, error.reason);
	}
}

function reject(c: Context<AppEnv>, options: RequireTokenOptions, reason: string): UnauthorizedError {
	options.logger?.info("token rejected", { requestId: c.get("requestId"), path: c.req.path, reason });
	return new UnauthorizedError("The access token is invalid, expired or revoked.", {
		realm: REALM,
		invalidToken: true,
	});
}
