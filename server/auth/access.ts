import { roleAllows, type AdminRole } from "./roles.js";

/**
 * Who may do what on which game. A user holds a role per game (a grant: owner, analyst or viewer, see roles.ts),
 * and may be an instance admin: the setup role (creates games and users, manages every game's keys and members),
 * which counts as owner on every game.
 *
 * A game the caller has no grant on does not exist for them: routes answer 404 exactly as for an unknown game, so
 * ids cannot be probed (OWASP API1, BOLA). A grant below the route's role answers 403 (OWASP API5, BFLA).
 */

/** One user's role on one game. */
export interface GameGrant {
	userId: string;
	gameId: string;
	role: AdminRole;
	/** Unix ms of the grant (or of its last role change). */
	grantedAt: number;
}

/** A caller's access: instance admin, and their role on each game granted to them. */
export interface CallerAccess {
	admin: boolean;
	/** Game id → role. */
	grants: ReadonlyMap<string, AdminRole>;
}

/** Grants and their queries; implemented by each metadata engine (server/store/sqlite/access-store.ts). */
export interface AccessStore {
	/** The user's grants, by game id. */
	listUserGrants(userId: string): Promise<GameGrant[]>;
	/** The grants on a game (its members), by user id. */
	listGameGrants(gameId: string): Promise<GameGrant[]>;
	/** Grants `role` on the game, replacing the user's previous role there; the user and the game must exist. */
	putGrant(grant: GameGrant): Promise<void>;
	/** Removes the user's grant on the game; false if they had none. */
	deleteGrant(userId: string, gameId: string): Promise<boolean>;
}

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
