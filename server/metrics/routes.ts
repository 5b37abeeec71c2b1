import { timingSafeEqual } from "node:crypto";
import { Hono, type MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/app-env.js";
import type { Metrics } from "./metrics.js";

export interface MetricsRouteDeps {
	metrics: Metrics;
	/** A scraper's static bearer token (VANTAGE_METRICS_TOKEN); when absent only admin tokens are accepted. */
	scrapeToken: string | undefined;
	/** Admin-token middleware used when the scrape token does not match. */
	adminGuard: MiddlewareHandler<AppEnv>;
}

/**
 * `GET /metrics` in Prometheus text format. Not open: a Prometheus scrape config sends
 * `authorization: { credentials: <VANTAGE_METRICS_TOKEN> }`, people use an admin token.
 */
export function metricsRoute(deps: MetricsRouteDeps): Hono<AppEnv> {
	const routes = new Hono<AppEnv>();
	const expected = deps.scrapeToken === undefined ? undefined : Buffer.from(`Bearer ${deps.scrapeToken}`);
	const guard: MiddlewareHandler<AppEnv> = async (c, next) => {
		const presented = Buffer.from(c.req.header("authorization") ?? "");
		if (expected && presented.length === expected.length && timingSafeEqual(presented, expected)) return next();
		return deps.adminGuard(c, next);
	};
	routes.get("/", guard, async (c) => {
		const text = await deps.metrics.registry.metrics();
		return c.body(text, 200, { "Content-Type": deps.metrics.registry.contentType, "Cache-Control": "no-store" });
	});
	return routes;
}
