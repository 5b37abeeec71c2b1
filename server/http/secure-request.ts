import type { Context } from "hono";
import { clientIp } from "./client-ip.js";

/**
 * Whether the browser reached the backend over HTTPS:
 * 1. the connection itself is TLS (the Node adapter takes the URL's scheme from the socket) → yes;
 * 2. the peer is one of `trustedProxies` (a load balancer that terminates TLS) and its `X-Forwarded-Proto` says
 *    https → yes;
 * 3. otherwise → no. As with {@link clientIp}, a forwarded header from anyone else is ignored: a plain-HTTP client
 *    could send it to pass as HTTPS.
 *
 * @example
 * const secure = isHttpsRequest(c, new Set(config.trustedProxies));
 */
export function isHttpsRequest(c: Context, trustedProxies: ReadonlySet<string>): boolean {
	if (new URL(c.req.url).protocol === "https:") return true;
	if (trustedProxies.size === 0) return false;
	if (!trustedProxies.has(plainAddress(clientIp(c)))) return false;
	// A chain of proxies appends: the first value is what the client used.
	const proto = c.req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
	return proto === "https";
}

// An IPv4 peer on a dual-stack socket shows as ::ffff:10.0.0.2; the configured list names it 10.0.0.2.
function plainAddress(address: string): string {
	return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
