import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { AppEnv } from "../../http/app-env.js";
import type { Metrics } from "../../metrics/metrics.js";

/** Route label of requests no route matched: raw paths would give attackers unbounded label values. */
export const UNMATCHED_ROUTE = "unmatched";

export interface HttpMetricsOptions {
	metrics: Metrics;
	/** Monotonic milliseconds. @default performance.now */
	now?: () => number;
}

/**
 * Counts every request and observes its latency by method, route pattern and final status (after `onError`).
 *
 * @example
 * app.use(httpMetrics({ metrics }));
 */
export function httpMetrics(options: HttpMetricsOptions): MiddlewareHandler<AppEnv> {
	const now = options.now ?? (() => performance.now());
	return async (c, next) => {
		const start = now();
		await next();
		const route = routePath(c, -1);
		const labels = {
			method: c.req.method,
			route: route.includes("*") ? UNMATCHED_ROUTE : route,
			status: String(c.res.status),
		};
		options.metrics.httpRequests.inc(labels);
		options.metrics.httpDuration.observe(labels, (now() - start) / 1000);
	};
}
