/** Scopes a game's access token can carry (RFC 6749 §3.3). `ingest`: POST batches; `config`: GET /v1/config. */
export const GAME_SCOPES = ["ingest", "config"] as const;
export type GameScope = (typeof GAME_SCOPES)[number];

/**
 * Roles of dashboard/admin users on one game (granted per game, see access.ts), most powerful first.
 * - owner: manages the game's API keys, members, settings and privacy requests, and everything below;
 * - analyst: reads raw events and results;
 * - viewer: reads game lists and dashboards, never raw events.
 */
export const ADMIN_ROLES = ["owner", "analyst", "viewer"] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

/** Whether `role` is at least as powerful as `required`. */
export function roleAllows(role: AdminRole, required: AdminRole): boolean {
	return ADMIN_ROLES.indexOf(role) <= ADMIN_ROLES.indexOf(required);
}
