import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { jsonRequest, makeBatch, makeEvent, makeEvents } from "../testing/fixtures.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";

const SCRAPE_TOKEN = "s".repeat(40);

let t: TestApp;
beforeEach(async () => {
	t = await createTestApp({ env: { VANTAGE_METRICS_TOKEN: SCRAPE_TOKEN } });
});
afterEach(() => t.close());

async function scrape(authorization: string | null = `Bearer ${SCRAPE_TOKEN}`): Promise<Response> {
	return t.app.request("/metrics", authorization === null ? {} : { headers: { Authorization: authorization } });
}

describe("GET /metrics", () => {
	it("is closed without the scrape token or an admin token", async () => {
		expect((await scrape(null)).status).toBe(401);
		expect((await scrape(`Bearer ${"x".repeat(40)}`)).status).toBe(401);
		expect((await scrape(await t.gameAuth("g1"))).status).toBe(401);
		// The process's numbers cover every game: instance admins only, not a game's viewer.
		expect((await scrape(await t.adminAuth("viewer"))).status).toBe(403);
		expect((await scrape(await t.adminAuth("admin"))).status).toBe(200);
	});

	it("exports request, event, batch and store-write metrics in Prometheus text", async () => {
		const auth = await t.gameAuth("g1");
		const events = [...makeEvents(3), { ...makeEvent({ id: "bad" }), type: "nope" }];
		await t.app.request("/v1/batches", jsonRequest(makeBatch(events), { headers: { Authorization: auth } }));
		await t.app.request("/v1/batches", jsonRequest(makeBatch(events), { headers: { Authorization: auth } }));
		await t.app.request(
			"/v1/batches",
			jsonRequest(makeBatch(makeEvents(2), { batchId: "b-2" }), { headers: { Authorization: auth } }),
		);

		const res = await scrape();
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
		const text = await res.text();
		expect(text).toContain('vantage_http_requests_total{method="POST",route="/v1/batches",status="200"} 3');
		expect(text).toContain('vantage_http_requests_total{method="POST",route="/v1/oauth/token",status="200"} 1');
		expect(text).toMatch(
			/vantage_http_request_duration_seconds_bucket\{le="0\.1",method="POST",route="\/v1\/batches",status="200"\} 3/,
		);
		expect(text).toContain('vantage_events_total{outcome="accepted"} 3');
		expect(text).toContain('vantage_events_total{outcome="duplicate"} 2');
		expect(text).toContain('vantage_events_total{outcome="rejected"} 1');
		expect(text).toContain('vantage_batches_total{outcome="replayed"} 1');
		expect(text).toContain('vantage_store_write_duration_seconds_count{operation="ingest_batch"} 3');
	});
});
