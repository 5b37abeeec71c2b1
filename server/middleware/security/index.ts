import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../../http/app-env.js";

/** Paths of the API documentation page and its assets, which need a (still strict) CSP that lets them run. */
export const DOCS_PATH = "/docs";

/**
 * Security headers on every response (hono/secure-headers): no sniffing, no framing, no referrer, HSTS, and a
 * Content-Security-Policy of `default-src 'none'` for the API (JSON never needs to load anything). The docs page
 * gets `'self'` for its script, style and the fetch of /openapi.json — still no inline code and no third party.
 *
 * @example
 * app.use(securityHeaders());
 */
export function securityHeaders(): MiddlewareHandler<AppEnv> {
	const common = {
		xFrameOptions: "DENY",
		referrerPolicy: "no-referrer",
		crossOriginResourcePolicy: "same-origin",
	} as const;
	const api = secureHeaders({
		...common,
		contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
	});
	const docs = secureHeaders({
		...common,
		contentSecurityPolicy: {
			defaultSrc: ["'none'"],
			scriptSrc: ["'self'"],
			styleSrc: ["'self'"],
			connectSrc: ["'self'"],
			imgSrc: ["'self'"],
			frameAncestors: ["'none'"],
			baseUri: ["'none'"],
			formAction: ["'none'"],
		},
	});
	return (c, next) => (c.req.path === DOCS_PATH || c.req.path.startsWith(`${DOCS_PATH}/`) ? docs : api)(c, next);
}

/**
 * CORS for the admin API only, for the listed dashboard origins; no origin at all by default, never a wildcard.
 * Game servers call from Roblox's servers, not browsers, so game routes never answer CORS. Bearer tokens, not
 * cookies, so no credentials mode.
 *
 * @example
 * app.use("/v1/admin/*", adminCors(["https://dash.example.com"]));
 */
export function adminCors(origins: readonly string[]): MiddlewareHandler<AppEnv> {
	const allowed = new Set(origins);
	const handler = cors({
		origin: (origin) => (allowed.has(origin) ? origin : null),
		allowMethods: ["GET", "POST"],
		allowHeaders: ["Authorization", "Content-Type"],
		exposeHeaders: ["X-Request-Id", "Retry-After"],
		maxAge: 600,
		credentials: false,
	});
	return async (c, next) => {
		if (allowed.size === 0) return next();
		// Responses differ by Origin, so shared caches must key on it (also for non-preflight requests).
		c.header("Vary", "Origin", { append: true });
		return handler(c, next);
	};
}
