import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../http/app-env.js";
import { memoryLogger } from "../../testing/fixtures.js";
import { requestId } from "../request-id/index.js";
import { requestLogger } from "./index.js";

function setup() {
	const { logger, lines } = memoryLogger("info");
	let t = 100;
	// Each call advances 12.5 ms, so a request spans exactly one step.
	const now = () => (t += 12.5);
	const app = new Hono<AppEnv>();
	app.use(requestId(), requestLogger({ logger, now }));
	app.get("/ok", (c) => c.text("ok"));
	app.get("/teapot", (c) => c.text("no", 418));
	app.get("/boom", () => {
		throw new Error("boom");
	});
	app.onError((_, c) => c.text("failed", 500));
	return { app, lines };
}

describe("requestLogger middleware", () => {
	it("writes one line per request with the agreed fields", async () => {
		const { app, lines } = setup();
		await app.request("/ok?userId=123", { headers: { "X-Request-Id": "req-1" } });
		expect(lines).toHaveLength(1);
		expect(lines[0]).toEqual({
			time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
			level: "info",
			msg: "request",
			requestId: "req-1",
			method: "GET",
			path: "/ok",
			status: 200,
			durationMs: 12.5,
		});
	});

	it("logs client errors at info and server errors at error with the final status", async () => {
		const { app, lines } = setup();
		await app.request("/teapot");
		await app.request("/boom");
		expect(lines.map((l) => [l.level, l.status])).toEqual([
			["info", 418],
			["error", 500],
		]);
	});

	it("leaves the query string out of the path", async () => {
		const { app, lines } = setup();
		await app.request("/ok?email=someone@example.com");
		expect(JSON.stringify(lines)).not.toContain("example.com");
	});
});
