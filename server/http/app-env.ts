import type { RequestIdVariables } from "hono/request-id";
import type { AdminRole, GameScope } from "../auth/roles.js";

/** The caller of a route behind `requireGameToken`: a game server holding a valid access token. */
export interface GameCaller {
	gameId: string;
	keyId: string;
	scopes: GameScope[];
}

/** The caller of a route behind `requireAdmin`, with the role as stored now (not as it was at login). */
export interface AdminCaller {
	userId: string;
	email: string;
	role: AdminRole;
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
