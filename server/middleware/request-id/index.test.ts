import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../http/app-env.js";
import { requestId } from "./index.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function app(): Hono<AppEnv> {
	const a = new Hono<AppEnv>();
	a.use(requestId());
	a.get("/", (c) => c.json({ seen: c.get("requestId") }));
	a.get("/fail", () => {
		throw new Error("boom");
	});
	a.onError((_, c) => c.json({ seen: c.get("requestId") }, 500));
	return a;
}

describe("requestId middleware", () => {
	it("generates a UUID when none is sent and echoes it", async () => {
		const res = await app().request("/");
		const id = res.headers.get("x-request-id");
		expect(id).toMatch(UUID);
		expect(await res.json()).toEqual({ seen: id });
	});

	it("keeps a sane incoming id", async () => {
		const res = await app().request("/", { headers: { "X-Request-Id": "edge-7f3a_01=" } });
		expect(res.headers.get("x-request-id")).toBe("edge-7f3a_01=");
		expect(await res.json()).toEqual({ seen: "edge-7f3a_01=" });
	});

	it.each([
		["too long", "a".repeat(129)],
		["with spaces", "a b"],
		["with a JSON-breaking quote", 'a"b'],
		["with a line break escape", "a\\nb"],
		["empty", ""],
	])("replaces an incoming id that is %s", async (_, incoming) => {
		const res = await app().request("/", { headers: { "X-Request-Id": incoming } });
		expect(res.headers.get("x-request-id")).toMatch(UUID);
	});

	it("keeps an id of exactly 128 characters", async () => {
		const id = "a".repeat(128);
		const res = await app().request("/", { headers: { "X-Request-Id": id } });
		expect(res.headers.get("x-request-id")).toBe(id);
	});

	it("echoes the id on error responses too", async () => {
		const res = await app().request("/fail", { headers: { "X-Request-Id": "abc" } });
		expect(res.status).toBe(500);
		expect(res.headers.get("x-request-id")).toBe("abc");
	});
});
