import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import proxyaddr from "proxy-addr";

/** Whether the hop at `address` (0 = the socket's peer, 1 = the rightmost X-Forwarded-For entry, …) is a proxy we trust. */
export type TrustProxy = (address: string, hop: number) => boolean;

/** Trusts no one: the socket's peer is the client, whatever headers it sends. */
export const TRUST_NO_PROXY: TrustProxy = () => false;

/**
 * Compiles VANTAGE_TRUSTED_PROXIES (addresses, CIDRs such as `10.0.0.0/8` or `fd00::/8`, or proxy-addr's names
 * `loopback`, `linklocal`, `uniquelocal`) into a check. proxy-addr (Express's own) does the CIDR matching, IPv4 and
 * IPv6, and matches an IPv4-mapped peer (`::ffff:10.0.0.2`) against IPv4 ranges. Throws a TypeError naming a bad
 * entry.
 *
 * @example
 * const trust = compileTrustedProxies(["10.0.0.0/8", "::1"]);
 * trust("10.1.2.3", 0); // true
 */
export function compileTrustedProxies(list: readonly string[]): TrustProxy {
	if (list.length === 0) return TRUST_NO_PROXY;
	return proxyaddr.compile([...list]);
}

/** The TCP peer's address, or undefined outside a Node server (tests calling `app.request` without an env). */
export function peerAddress(c: Context): string | undefined {
	try {
		return getConnInfo(c).remote.address ?? undefined;
	} catch {
		return undefined;
	}
}

/**
 * The client's address, for per-IP limits and login throttling:
 * 1. no socket (tests calling `app.request`) → "unknown", one shared key;
 * 2. the peer is not a trusted proxy → the peer: anyone can write X-Forwarded-For, and a limit keyed on it could be
 *    dodged by changing the header on every request;
 * 3. otherwise walk X-Forwarded-For from the right (each proxy appends the address it saw) and stop at the first hop
 *    that is not a trusted proxy: that is the client. Entries left of it were written by the client and are ignored.
 * An IPv4-mapped IPv6 address is answered as plain IPv4, so one client has one key on a dual-stack socket.
 *
 * @example
 * const ipOf = (c: Context) => clientIp(c, compileTrustedProxies(config.trustedProxies));
 */
export function clientIp(c: Context, trust: TrustProxy = TRUST_NO_PROXY): string {
	const peer = peerAddress(c);
	if (peer === undefined) return "unknown";
	if (!trust(peer, 0)) return plainAddress(peer);
	const forwardedFor = c.req.header("x-forwarded-for");
	// proxy-addr reads a Node request; only these members of one are used.
	const request = {
		socket: { remoteAddress: peer },
		connection: { remoteAddress: peer },
		headers: forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor },
	} as unknown as Parameters<typeof proxyaddr>[0];
	return plainAddress(proxyaddr(request, trust));
}

/** `::ffff:10.0.0.2` → `10.0.0.2`; anything else unchanged. */
export function plainAddress(address: string): string {
	return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice(7) : address;
}
