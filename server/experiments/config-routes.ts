import { Hono, type MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/app-env.js";
import { currentPolicy } from "../privacy/consent-records.js";
import { sdkConsentConfig } from "../privacy/consent.js";
import type { PredictionStore } from "../store/contracts.js";
import type { Store } from "../store/types.js";
import { sdkRecommendations } from "../predict/predictions.js";
import { sdkHoldout } from "./holdout.js";
import { buildSdkConfig, ifNoneMatchMatches, strongEtag } from "./sdk-config.js";

export interface ConfigRoutesDeps {
	store: Store;
	clock: () => number;
	/** Authenticates the game server: a game access token with the `config` scope (sets `c.get("game")`). */
	guard: MiddlewareHandler<AppEnv>;
	/** Where the game's latest predictions are: their item-to-item model goes to the SDK (Vantage.recommend). */
	predictions?: PredictionStore;
}

/**
 * `GET /config` (mounted under /v1): the token's game's experiments and flags ({@link buildSdkConfig}), its consent
 * rules (policy version in effect, categories, opt-in regions, default mode from the game's settings) and its global
 * holdout when it is on, and the shop's item-to-item recommendations once the predictions job trained them.
 * 1. the body is built and its strong ETag computed;
 * 2. `If-None-Match` matching the ETag → 304 without a body;
 * 3. else 200 with the body. Both carry `ETag`, `Cache-Control: no-cache` (caches must revalidate every time)
 *    and `Vary: Authorization` (the game comes from the token).
 */
export function configRoutes(deps: ConfigRoutesDeps): Hono<AppEnv> {
	const routes = new Hono<AppEnv>();
	routes.get("/config", deps.guard, async (c) => {
		const { gameId } = c.get("game");
		const [experiments, flags, policies, settings, holdout, predictions] = await Promise.all([
			deps.store.listExperiments({ gameId }),
			deps.store.listFlags(gameId),
			deps.store.consent.listPolicies(gameId),
			deps.store.getGameSettings(gameId),
			deps.store.allocation.getHoldout(gameId),
			deps.predictions?.get(gameId),
		]);
		const now = deps.clock();
		const consent = sdkConsentConfig(currentPolicy(policies, now)?.version ?? null, settings.consentDefault);
		const body = JSON.stringify(
			buildSdkConfig(gameId, experiments, flags, now, consent, sdkHoldout(holdout), sdkRecommendations(predictions)),
		);
		const etag = strongEtag(body);
		const headers = { ETag: etag, "Cache-Control": "no-cache", Vary: "Authorization" };
		if (ifNoneMatchMatches(c.req.header("if-none-match"), etag)) return c.body(null, 304, headers);
		return c.body(body, 200, { ...headers, "Content-Type": "application/json" });
	});
	return routes;
}
