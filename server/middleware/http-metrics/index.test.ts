import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../http/app-env.js";
import { createMetrics } from "../../metrics/metrics.js";
import { httpMetrics } from "./index.js";

function setup() {
	const metrics = createMetrics();
	let t = 0;
	const app = new Hono<AppEnv>();
	app.use(httpMetrics({ metrics, now: () => (t += 0.25) }));
	app.get("/games/:id", (c) => c.text("ok"));
	app.get("/boom", () => {
		throw new Error("boom");
	});
	app.onError((_, c) => c.text("failed", 500));
	return { app, metrics };
}

describe("httpMetrics middleware", () => {
	it("counts by route pattern and status and observes latency", async () => {
		const { app, metrics } = setup();
		await app.request("/games/1");
		await app.request("/games/2");
		await app.request("/boom");
		const text = await metrics.registry.metrics();
		expect(text).toContain('vantage_http_requests_total{method="GET",route="/games/:id",status="200"} 2');
		expect(text).toContain('vantage_http_requests_total{method="GET",route="/boom",status="500"} 1');
		expect(text).toContain(
			'vantage_http_request_duration_seconds_count{method="GET",route="/games/:id",status="200"} 2',
		);
		expect(text).not.toContain("/games/1");
	});

	it("labels unmatched paths with one value", async () => {
		const { app, metrics } = setup();
		await app.request("/random/a");
		await app.request("/random/b");
		expect(await metrics.registry.metrics()).toContain(
			'vantage_http_requests_total{method="GET",route="unmatched",status="404"} 2',
		);
	});
});
