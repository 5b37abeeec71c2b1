import { Hono, type MiddlewareHandler } from "hono";
import type { z } from "zod";
import { existingGameId } from "../auth/provisioning.js";
import type { AdminRole } from "../auth/roles.js";
import { ValidationError } from "../errors.js";
import type { AppEnv } from "../http/app-env.js";
import { readJsonBody } from "../http/read-json-body.js";
import type { ClientClockTrust } from "../ingest/client-clock-trust.js";
import { describeIssues } from "../ingest/schema.js";
import type { Store } from "../store/types.js";
import { gameSettingsResponse, updateGameSettingsSchema } from "./settings.js";

/** A settings change is a handful of scalars; the webhook URL is the largest (≤ 2048 characters). */
const BODY_LIMITS = { maxBodyBytes: 8 * 1024, maxInflatedBytes: 8 * 1024 };

export interface SettingsRoutesDeps {
	store: Store;
	clock: () => number;
	/** Admin-token middleware for a minimum role. */
	requireRole: (role: AdminRole) => MiddlewareHandler<AppEnv>;
	/** Ingest's memory of `trustClientClock` (shared through createApp): told of a change so the next batch sees it. */
	clientClock: Pick<ClientClockTrust, "forget">;
}

/**
 * A game's settings, mounted at /v1/admin. Viewers read them (the webhook URL masked); only owners change them, as
 * the webhook decides where the game's numbers are posted.
 *
 * - `GET /games/:gameId/settings`
 * - `PATCH /games/:gameId/settings` — members left out keep their value; null clears a nullable one
 */
export function settingsRoutes(deps: SettingsRoutesDeps): Hono<AppEnv> {
	const { store, clock } = deps;
	const routes = new Hono<AppEnv>();

	const game = (raw: string): Promise<string> => existingGameId(store, raw);

	routes.get("/games/:gameId/settings", deps.requireRole("viewer"), async (c) => {
		const gameId = await game(c.req.param("gameId"));
		return c.json(gameSettingsResponse(await store.getGameSettings(gameId)), 200);
	});

	routes.patch("/games/:gameId/settings", deps.requireRole("owner"), async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const body = await readJsonBody(c.req.raw, BODY_LIMITS);
		const changes = parse(updateGameSettingsSchema, body, "The settings are invalid.");
		const updated = await store.updateGameSettings(gameId, changes, clock());
		deps.clientClock.forget(gameId);
		return c.json(gameSettingsResponse(updated), 200);
	});

	return routes;
}

function parse<T extends z.ZodType>(schema: T, value: unknown, detail: string): z.output<T> {
	const result = schema.safeParse(value);
	if (!result.success) throw new ValidationError(detail, describeIssues(result.error.issues));
	return result.data;
}
