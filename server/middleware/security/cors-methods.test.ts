import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../testing/test-app.js";

const DASHBOARD = "https://dash.example.com";

let t: TestApp;
beforeAll(async () => {
	t = await createTestApp({ env: { VANTAGE_CORS_ORIGINS: DASHBOARD } });
});
afterAll(() => t.close());

const preflight = (path: string, method: string) =>
	t.app.request(path, {
		method: "OPTIONS",
		headers: { Origin: DASHBOARD, "Access-Control-Request-Method": method },
	});

const allowed = async (path: string, method: string) =>
	((await preflight(path, method)).headers.get("access-control-allow-methods") ?? "").split(",").filter(Boolean);

describe("CORS methods of the admin API", () => {
	// Generated from the app's own routing table: a new PATCH/PUT/DELETE admin route is covered without editing this.
	const adminRoutes = () =>
		t.app.routes
			.filter((r) => r.path.startsWith("/v1/admin/") && r.method !== "ALL")
			.map((r) => ({ method: r.method, path: r.path.replaceAll(/:[A-Za-z]+/g, "x") }));

	it("every admin route's method is allowed by a preflight of its path", async () => {
		const routes = adminRoutes();
		// The admin API does change things with more than GET and POST (the reason this test exists).
		expect(routes.some((r) => r.method === "PATCH")).toBe(true);
		expect(routes.some((r) => r.method === "DELETE")).toBe(true);
		for (const route of routes) {
			expect(await allowed(route.path, route.method), `${route.method} ${route.path}`).toContain(route.method);
		}
	});

	it("advertises only the methods the path has", async () => {
		expect(await allowed("/v1/admin/users/x", "PATCH")).toEqual(["PATCH"]);
		expect(await allowed("/v1/admin/users", "POST")).toEqual(["GET", "HEAD", "POST"]);
		expect(await allowed("/v1/admin/games/g1/experiments/k", "DELETE")).toEqual(
			expect.arrayContaining(["GET", "HEAD", "PATCH", "DELETE"]),
		);
	});

	it("a PATCH from the allowed origin gets the CORS headers on the real response", async () => {
		const res = await t.app.request("/v1/admin/users/x", {
			method: "PATCH",
			headers: { Origin: DASHBOARD, Authorization: await t.adminAuth("owner"), "Content-Type": "application/json" },
			body: JSON.stringify({ admin: false }),
		});
		expect(res.status).toBe(404);
		expect(res.headers.get("access-control-allow-origin")).toBe(DASHBOARD);
	});
});
