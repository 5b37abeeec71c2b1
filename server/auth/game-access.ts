import { ForbiddenError, NotFoundError } from "../errors.js";
import { decideGameAccess, type CallerAccess } from "./access.js";
import type { AdminRole } from "./roles.js";

/**
 * What an admin route needs of its caller:
 * - a role (owner, analyst, viewer): at least that role on the game of the route's `:gameId`; on a route without a
 *   game in its path, instance admin (fail closed: a new route that forgets its game is admin-only, not open);
 * - `"admin"`: instance admin (setup: creating games and users, the instance's own state);
 * - `"user"`: any signed-in user; the handler scopes its answer (the games list lists the caller's games) or checks
 *   the game it finds with {@link assertGameAccess} (a key or a privacy job names its game only in the store).
 */
export type AccessRequirement = AdminRole | "admin" | "user";

/**
 * Throws unless `caller` may act on `gameId` with `required`: 404 without a grant (the same answer as a game that
 * does not exist, so ids cannot be probed), 403 with a grant below `required`.
 *
 * @example
 * const key = await store.getApiKey(keyId);
 * if (!key) throw new NotFoundError();
 * assertGameAccess(c.get("admin"), key.gameId, "owner");
 */
export function assertGameAccess(caller: CallerAccess, gameId: string, required: AdminRole): void {
	const decision = decideGameAccess(caller, gameId, required);
	if (decision === "hidden") throw new NotFoundError(`Game "${gameId.slice(0, 64)}" does not exist.`);
	if (decision === "forbidden") throw new ForbiddenError(`This needs the ${required} role on this game or higher.`);
}

/**
 * The check behind `requireAdmin` once the caller is known: `gameId` is the route's `:gameId` parameter, if any.
 * 1. "user" → allowed;
 * 2. "admin", or a role on a route without a game → instance admin or 403;
 * 3. a role on a game route → {@link assertGameAccess}.
 */
export function accessRequirementCheck(
	caller: CallerAccess,
	required: AccessRequirement,
	gameId: string | undefined,
): void {
	if (required === "user") return;
	if (required === "admin" || gameId === undefined) {
		if (!caller.admin) throw new ForbiddenError("This needs the instance admin role.");
		return;
	}
	assertGameAccess(caller, gameId, required);
}
