import { randomBytes } from "node:crypto";
import { HTTPException } from "hono/http-exception";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "./app.js";
import { SigningKeyRing } from "./auth/signing-keys.js";
import { loadConfig } from "./config.js";
import { ValidationError } from "./errors.js";
import { MasterKeys } from "./privacy/master-keys.js";
import { openSqliteStore } from "./store/sqlite/sqlite-store.js";
import type { Store } from "./store/types.js";
import { memoryLogger } from "./testing/fixtures.js";

let store: Store;
let keys: SigningKeyRing;
beforeEach(async () => {
	store = openSqliteStore({ path: ":memory:" });
	keys = await SigningKeyRing.open({
		store,
		secrets: new MasterKeys(randomBytes(32)),
		clock: Date.now,
		rotateAfterMs: 86_400_000,
		retainMs: 3_600_000,
	});
});
afterEach(() => store.close());

/** The real store with ping replaced (spreading a class instance would drop its methods). */
function withPing(ping: Store["ping"]): Store {
	return new Proxy(store, {
		get: (target, name, receiver) => (name === "ping" ? ping : Reflect.get(target, name, receiver)),
	});
}

function setup(overrides: { store?: Store; readinessTimeoutMs?: number } = {}) {
	const { logger, lines } = memoryLogger();
	const app = createApp({ store: overrides.store ?? store, config: loadConfig({}), logger, keys, ...overrides });
	return { app, lines };
}

describe("health endpoints", () => {
	it("/healthz answers 200 ok", async () => {
		const res = await setup().app.request("/healthz");
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ status: "ok" });
	});

	it("/readyz answers 200 when the store answers", async () => {
		const res = await setup().app.request("/readyz");
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ status: "ok" });
	});

	it("/readyz answers a 503 problem when the store is closed", async () => {
		await store.close();
		const { app, lines } = setup();
		const res = await app.request("/readyz");
		expect(res.status).toBe(503);
		expect(res.headers.get("content-type")).toBe("application/problem+json");
		expect(await res.json()).toMatchObject({ status: 503, code: "unavailable" });
		expect(lines.some((l) => l.msg === "store not ready" && l.level === "warn")).toBe(true);
	});

	it("/readyz answers 503 when the store hangs", async () => {
		const hanging = withPing(() => new Promise(() => undefined));
		const res = await setup({ store: hanging, readinessTimeoutMs: 20 }).app.request("/readyz");
		expect(res.status).toBe(503);
	});

	it("/healthz stays 200 with a broken store", async () => {
		const broken = withPing(() => Promise.reject(new Error("disk gone")));
		const { app } = setup({ store: broken });
		expect((await app.request("/healthz")).status).toBe(200);
		expect((await app.request("/readyz")).status).toBe(503);
	});
});

describe("problem documents", () => {
	it("answers unknown paths with a 404 problem", async () => {
		const res = await setup().app.request("/nope", { headers: { "X-Request-Id": "r-404" } });
		expect(res.status).toBe(404);
		expect(res.headers.get("content-type")).toBe("application/problem+json");
		expect(res.headers.get("x-request-id")).toBe("r-404");
		expect(await res.json()).toEqual({
			type: "urn:vantage:problem:not_found",
			title: "Not found",
			status: 404,
			detail: "No resource matches this path.",
			code: "not_found",
			instance: "/nope",
			requestId: "r-404",
		});
	});

	it("turns an unexpected error into a 500 without leaking its message, and logs it", async () => {
		const { app, lines } = setup();
		app.get("/explode", () => {
			throw new Error("SELECT secret FROM players");
		});
		const res = await app.request("/explode");
		expect(res.status).toBe(500);
		const body = await res.text();
		expect(body).not.toContain("secret");
		expect(JSON.parse(body)).toMatchObject({ code: "internal", status: 500, title: "Internal server error" });
		const logged = lines.find((l) => l.msg === "unhandled error");
		expect(logged?.level).toBe("error");
		expect(JSON.stringify(logged)).toContain("SELECT secret FROM players");
	});

	it("renders named errors with their code and extensions", async () => {
		const { app } = setup();
		app.get("/invalid", () => {
			throw new ValidationError("Nope.", [{ path: "a", message: "required" }]);
		});
		const res = await app.request("/invalid");
		expect(await res.json()).toMatchObject({
			status: 400,
			code: "validation_failed",
			detail: "Nope.",
			errors: [{ path: "a", message: "required" }],
		});
	});

	it("renders Hono's HTTPException as a problem and keeps its headers", async () => {
		const { app } = setup();
		app.get("/limited", () => {
			throw new HTTPException(429, {
				message: "Slow down.",
				res: new Response(null, { status: 429, headers: { "Retry-After": "30" } }),
			});
		});
		const res = await app.request("/limited");
		expect(res.status).toBe(429);
		expect(res.headers.get("retry-after")).toBe("30");
		expect(res.headers.get("content-type")).toBe("application/problem+json");
		expect(await res.json()).toMatchObject({ code: "rate_limited", detail: "Slow down." });
	});
});

describe("methods", () => {
	it("answers 405 with Allow for a path that exists under other methods, 404 for one that does not", async () => {
		const { app } = setup();
		const put = await app.request("/v1/batches", { method: "PUT" });
		expect(put.status).toBe(405);
		expect(put.headers.get("allow")).toBe("POST");
		expect(await put.json()).toMatchObject({ status: 405, code: "method_not_allowed" });
		const del = await app.request("/healthz", { method: "DELETE" });
		expect(del.status).toBe(405);
		expect(del.headers.get("allow")).toBe("GET, HEAD");
		const patch = await app.request("/v1/admin/games/g1/experiments/x", { method: "PUT" });
		expect(patch.status).toBe(405);
		expect(patch.headers.get("allow")?.split(", ")).toEqual(expect.arrayContaining(["GET", "PATCH", "DELETE"]));
		expect((await app.request("/v1/nothing-here", { method: "PUT" })).status).toBe(404);
		expect((await app.request("/v1/nothing-here")).status).toBe(404);
	});
});
