import type { Context } from "hono";
import { peerAddress, type TrustProxy } from "./client-ip.js";

/**
 * Whether the browser reached the backend over HTTPS:
 * 1. the connection itself is TLS (the Node adapter takes the URL's scheme from the socket) → yes;
 * 2. the peer is one of `trustedProxies` (a load balancer that terminates TLS) and its `X-Forwarded-Proto` says
 *    https → yes;
 * 3. otherwise → no. As with the client's address (client-ip.ts), a forwarded header from anyone else is ignored: a
 *    plain-HTTP client could send it to pass as HTTPS.
 *
 * @example
 * const secure = isHttpsRequest(c, compileTrustedProxies(config.trustedProxies));
 */
export function isHttpsRequest(c: Context, trust: TrustProxy): boolean {
	if (new URL(c.req.url).protocol === "https:") return true;
	const peer = peerAddress(c);
	if (peer === undefined || !trust(peer, 0)) return false;
	// A chain of proxies appends: the first value is what the client used.
	const proto = c.req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
	return proto === "https";
}
