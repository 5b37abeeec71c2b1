import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../../http/app-env.js";

/** Paths of the API documentation page and its assets, which need a (still strict) CSP that lets them run. */
export const DOCS_PATH = "/docs";
/** The dashboard's pages (the app shell, the login form and logout) and its hashed assets under {@link ASSETS_PATH}. */
export const DASHBOARD_PAGES: readonly string[] = ["/", "/login", "/logout"];
export const ASSETS_PATH = "/assets";

/** Whether a path belongs to the dashboard (its pages and assets), which gets {@link securityHeaders}' dashboard CSP. */
export function isDashboardPath(path: string): boolean {
	return DASHBOARD_PAGES.includes(path) || path.startsWith(`${ASSETS_PATH}/`);
}

/**
 * Security headers on every response (hono/secure-headers): no sniffing, no framing, no referrer, HSTS, and a
 * Content-Security-Policy of `default-src 'none'` for the API (JSON never needs to load anything). The docs page
 * gets `'self'` for its script, style and the fetch of /openapi.json — still no inline code and no third party.
 * The dashboard gets `'self'` for everything it loads (its bundle and the JSON APIs) plus `data:` images (its
 * favicon is inline), no plugins, no `<base>`, no framing and forms posting only to itself; no inline script or
 * style, so injected markup cannot run.
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
	const dashboard = secureHeaders({
		...common,
		contentSecurityPolicy: {
			defaultSrc: ["'self'"],
			scriptSrc: ["'self'"],
			styleSrc: ["'self'"],
			imgSrc: ["'self'", "data:"],
			connectSrc: ["'self'"],
			objectSrc: ["'none'"],
			baseUri: ["'none'"],
			frameAncestors: ["'none'"],
			formAction: ["'self'"],
		},
	});
	return (c, next) => {
		const path = c.req.path;
		if (path === DOCS_PATH || path.startsWith(`${DOCS_PATH}/`)) return docs(c, next);
		return (isDashboardPath(path) ? dashboard : api)(c, next);
	};
}

/**
 * CORS for the admin API only, for the listed dashboard origins; no origin at all by default, never a wildcard.
 * Game servers call from Roblox's servers, not browsers, so game routes never answer CORS. Bearer tokens, not
 * cookies, so no credentials mode. A preflight answers the methods the requested path has (`methodsOf`), so PATCH
 * and DELETE routes work from the dashboard's origin and a method no route has is never advertised.
 *
 * @example
 * app.use("/v1/admin/*", adminCors(["https://dash.example.com"], (path) => allowedMethods(app, path)));
 */
export function adminCors(
	origins: readonly string[],
	/** The methods a path answers. @default every method the admin API uses */
	methodsOf: (path: string) => readonly string[] = () => ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
): MiddlewareHandler<AppEnv> {
	const allowed = new Set(origins);
	const handler = cors({
		origin: (origin) => (allowed.has(origin) ? origin : null),
		allowMethods: (_origin, c) => [...methodsOf(c.req.path)],
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
