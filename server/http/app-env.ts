import type { RequestIdVariables } from "hono/request-id";

/**
 * Hono environment shared by the app and every sub-router. Middleware that sets context variables (auth, next)
 * adds them to `Variables` here so handlers read them typed.
 */
export interface AppEnv {
	Variables: RequestIdVariables;
}
