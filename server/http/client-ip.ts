import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";

/**
 * The peer address of the TCP connection. Forwarded headers are ignored on purpose: anyone can send them, and a
 * per-IP limit keyed on them could be dodged by changing the header on every request. Outside a Node server
 * (tests calling `app.request`) there is no socket, so every request shares the key "unknown".
 */
export function clientIp(c: Context): string {
	try {
		return getConnInfo(c).remote.address ?? "unknown";
	} catch {
		return "unknown";
	}
}
