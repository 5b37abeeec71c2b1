import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../testing/test-app.js";

let t: TestApp | undefined;
afterEach(() => t?.close());

const DASHBOARD = "https://dash.example.com";

async function app(origins = ""): Promise<TestApp> {
	t = await createTestApp({ env: { VANTAGE_CORS_ORIGINS: origins } });
	return t;
}

describe("security headers", () => {
	it("sets a locked-down policy on API responses, errors included", async () => {
		const { app: a } = await app();
		for (const path of ["/healthz", "/v1/batches", "/nope"]) {
			const res = await a.request(path);
			expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
			expect(res.headers.get("x-content-type-options")).toBe("nosniff");
			expect(res.headers.get("x-frame-options")).toBe("DENY");
			expect(res.headers.get("referrer-policy")).toBe("no-referrer");
			expect(res.headers.get("strict-transport-security")).toMatch(/max-age=\d+/);
		}
	});
});

describe("dashboard security headers", () => {
	it("gives the dashboard's pages and assets a self-only policy without inline code", async () => {
		const { app: a } = await app();
		for (const path of ["/", "/login", "/logout", "/assets/main-x.js"]) {
			const res = await a.request(path);
			expect(res.headers.get("content-security-policy"), path).toBe(
				"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
					"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
			);
			expect(res.headers.get("x-frame-options")).toBe("DENY");
			expect(res.headers.get("x-content-type-options")).toBe("nosniff");
		}
	});

	it("keeps the API's policy on paths that only look like the dashboard's", async () => {
		const { app: a } = await app();
		for (const path of ["/assets", "/loginx", "/v1/admin/login", "/assetsx/main.js"]) {
			const res = await a.request(path);
			expect(res.headers.get("content-security-policy"), path).toBe("default-src 'none'; frame-ancestors 'none'");
		}
	});
});

describe("CORS", () => {
	const preflight = (a: TestApp, path: string, origin: string) =>
		a.app.request(path, {
			method: "OPTIONS",
			headers: {
				Origin: origin,
				"Access-Control-Request-Method": "POST",
				"Access-Control-Request-Headers": "authorization",
			},
		});

	it("allows no origin at all by default", async () => {
		const a = await app();
		const res = await preflight(a, "/v1/admin/login", DASHBOARD);
		expect(res.headers.get("access-control-allow-origin")).toBeNull();
	});

	it("allows only the configured origins on the admin API, never with a wildcard", async () => {
		const a = await app(DASHBOARD);
		const ok = await preflight(a, "/v1/admin/login", DASHBOARD);
		expect(ok.status).toBe(204);
		expect(ok.headers.get("access-control-allow-origin")).toBe(DASHBOARD);
		expect(ok.headers.get("access-control-allow-credentials")).toBeNull();
		expect(ok.headers.get("vary")).toContain("Origin");

		const evil = await preflight(a, "/v1/admin/login", "https://evil.example.com");
		expect(evil.headers.get("access-control-allow-origin")).toBeNull();

		const get = await a.app.request("/v1/admin/me", { headers: { Origin: DASHBOARD } });
		expect(get.status).toBe(401);
		expect(get.headers.get("access-control-allow-origin")).toBe(DASHBOARD);
	});

	it("never answers CORS on game routes", async () => {
		const a = await app(DASHBOARD);
		for (const path of ["/v1/batches", "/v1/oauth/token"]) {
			const res = await preflight(a, path, DASHBOARD);
			expect(res.headers.get("access-control-allow-origin")).toBeNull();
		}
	});
});
