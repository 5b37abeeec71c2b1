// Access scopes of game tokens and roles of admin users, as plain data (server/auth holds the rules that use them).

/** Scopes a game's access token can carry (RFC 6749 §3.3). `ingest`: POST batches; `config`: GET /v1/config. */
export const GAME_SCOPES = ["ingest", "config"] as const;
export type GameScope = (typeof GAME_SCOPES)[number];

/**
 * Roles of dashboard/admin users on one game (granted per game, see auth/access.ts), most powerful first.
 * - owner: manages the game's API keys, members, settings and privacy requests, and everything below;
 * - analyst: reads raw events and results;
 * - viewer: reads game lists and dashboards, never raw events.
 */
export const ADMIN_ROLES = ["owner", "analyst", "viewer"] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];
