import type { RequestIdVariables } from "hono/request-id";
import type { CallerAccess } from "../auth/access.js";
import type { GameScope } from "../auth/roles.js";

/** The caller of a route behind `requireGameToken`: a game server holding a valid access token. */
export interface GameCaller {
	gameId: string;
	keyId: string;
	scopes: GameScope[];
}

/**
 * The caller of a route behind `requireAdmin`, with their access as stored now (not as it was at login): instance
 * admin, and their role on each game granted to them.
 */
export interface AdminCaller extends CallerAccess {
	userId: string;
	email: string;
	/** The login session the request belongs to (a dashboard session or an admin token's `sid`). */
	sessionId?: string;
}

/**
 * Hono environment shared by the app and every sub-router. Middleware that sets context variables adds them to
 * `Variables` here so handlers read them typed.
 */
export interface AppEnv {
	Variables: RequestIdVariables & {
		game: GameCaller;
		admin: AdminCaller;
	};
}
