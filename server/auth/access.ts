import { roleAllows, type AdminRole } from "./roles.js";

/**
 * Who may do what on which game. A user holds a role per game (a grant: owner, analyst or viewer, see roles.ts),
 * and may be an instance admin: the setup role (creates games and users, manages every game's keys and members),
 * which counts as owner on every game.
 *
 * A game the caller has no grant on does not exist for them: routes answer 404 exactly as for an unknown game, so
 * ids cannot be probed (OWASP API1, BOLA). A grant below the route's role answers 403 (OWASP API5, BFLA).
 */

// Grants and their contract are plain types in server/domain/access.ts (the stores implement it without this module).
import type { AccessStore, CallerAccess, GameGrant } from "../domain/access.js";
export type { AccessStore, CallerAccess, GameGrant };

/**
 * The caller's role on `gameId`: owner for an instance admin, else their grant's role; undefined without a grant.
 *
 * @example
 * gameRole({ admin: false, grants: new Map([["g1", "viewer"]]) }, "g1"); // "viewer"
 */
export function gameRole(access: CallerAccess, gameId: string): AdminRole | undefined {
	if (access.admin) return "owner";
	return access.grants.get(gameId);
}

/** What a caller may do on a game for a route needing `required`. */
export type GameDecision = "allow" | "hidden" | "forbidden";

/**
 * 1. instance admin → allow;
 * 2. no grant on the game → hidden (the route answers 404, as for a game that does not exist);
 * 3. a grant below `required` → forbidden (403);
 * 4. otherwise → allow.
 */
export function decideGameAccess(access: CallerAccess, gameId: string, required: AdminRole): GameDecision {
	const role = gameRole(access, gameId);
	if (role === undefined) return "hidden";
	return roleAllows(role, required) ? "allow" : "forbidden";
}
