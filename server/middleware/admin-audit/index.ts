import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../http/app-env.js";
import type { Logger } from "../../logger.js";
import { recordAudit, type AuditJson } from "../../privacy/audit.js";
import type { Store } from "../../store/types.js";

/** Methods that change nothing (RFC 9110 §9.2.1); reads of personal data are audited by their own routes. */
const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);

/** The action of every entry this middleware writes. */
export const ADMIN_CHANGE_ACTION = "admin.change";

export interface AdminAuditOptions {
	store: Store;
	/** Unix ms. */
	clock: () => number;
	logger?: Logger;
}

/**
 * Records every successful state change made by an admin (token or dashboard session) in the hash-chained audit log
 * (privacy/audit.ts): who (`admin:<user id>`), which route (its pattern, e.g. `PATCH /v1/admin/users/:userId`), its
 * path parameters, and the answer's status. Runs after the route, so only what took effect is recorded:
 * 1. a safe method, no admin caller (game tokens, logins, webhooks) or a status of 400 and up → nothing;
 * 2. a route about one player (`/players/:userId`) → nothing here: those routes audit themselves with the player's
 *    pseudonym, and a UserId must never reach the log's details;
 * 3. otherwise one entry. A failure to write it is logged, not answered: the change has already been made.
 *
 * @example
 * app.use("/v1/*", auditAdminChanges({ store, clock, logger }));
 */
export function auditAdminChanges(options: AdminAuditOptions): MiddlewareHandler<AppEnv> {
	return async (c, next) => {
		await next();
		if (SAFE_METHODS.has(c.req.method) || c.res.status >= 400) return;
		const admin = c.get("admin") as AppEnv["Variables"]["admin"] | undefined;
		if (!admin) return;
		const route = c.req.routePath;
		if (route.includes("/players/")) return;
		const params = c.req.param() as Record<string, string>;
		const { gameId, ...others } = params;
		const details: Record<string, AuditJson> = { method: c.req.method, route, status: c.res.status };
		for (const [name, value] of Object.entries(others)) details[name] = value.slice(0, 128);
		try {
			await recordAudit(
				options.store,
				{ action: ADMIN_CHANGE_ACTION, actor: `admin:${admin.userId}`, gameId: gameId ?? null, details },
				options.clock(),
			);
		} catch (error) {
			options.logger?.error("audit entry not written", { requestId: c.get("requestId"), route, error });
		}
	};
}
