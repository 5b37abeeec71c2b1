import { decodeJwt, decodeProtectedHeader } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import { parseApiKey } from "./api-keys.js";

let t: TestApp;
let key: string;
beforeEach(async () => {
	t = await createTestApp();
	key = await t.gameKey("g1");
});
afterEach(() => t.close());

const FORM = "application/x-www-form-urlencoded";

async function tokenRequest(
	authorization: string | undefined,
	body = "grant_type=client_credentials",
	contentType = FORM,
): Promise<Response> {
	const headers: Record<string, string> = { "Content-Type": contentType };
	if (authorization !== undefined) headers.Authorization = authorization;
	return t.app.request("/v1/oauth/token", { method: "POST", headers, body });
}

function basic(id: string, secret: string): string {
	return `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;
}

async function expectOAuthError(res: Response, status: number, error: string): Promise<void> {
	expect(res.status).toBe(status);
	expect(res.headers.get("content-type")).toBe("application/problem+json");
	expect(await res.json()).toMatchObject({ status, code: error, error, error_description: expect.any(String) });
}

describe("POST /v1/oauth/token", () => {
	it("exchanges a game key sent as a bearer for a short-lived token", async () => {
		const res = await tokenRequest(`Bearer ${key}`);
		expect(res.status).toBe(200);
		expect(res.headers.get("cache-control")).toBe("no-store");
		expect(res.headers.get("pragma")).toBe("no-cache");
		const body = (await res.json()) as { access_token: string; token_type: string; expires_in: number; scope: string };
		expect(body).toMatchObject({ token_type: "Bearer", expires_in: 900, scope: "ingest config" });
		expect(decodeJwt(body.access_token)).toMatchObject({ sub: "g1", client_id: parseApiKey(key)?.id });
	});

	it.each([
		["client_id:secret", () => basic(parseApiKey(key)?.id ?? "", parseApiKey(key)?.secret ?? "")],
		["client_id:whole key", () => basic(parseApiKey(key)?.id ?? "", key)],
	])("accepts HTTP Basic with %s", async (_, header) => {
		expect((await tokenRequest(header())).status).toBe(200);
	});

	it("accepts a JSON body too", async () => {
		const res = await tokenRequest(
			`Bearer ${key}`,
			JSON.stringify({ grant_type: "client_credentials" }),
			"application/json",
		);
		expect(res.status).toBe(200);
	});

	it("grants only the scopes asked for", async () => {
		const res = await tokenRequest(`Bearer ${key}`, "grant_type=client_credentials&scope=ingest");
		expect(await res.json()).toMatchObject({ scope: "ingest" });
	});

	it.each([
		["an unknown scope", "grant_type=client_credentials&scope=admin"],
		["a scope the key lacks", "grant_type=client_credentials&scope=config"],
	])("answers invalid_scope for %s", async (_, body) => {
		const ingestOnly = await t.gameKey("g1", ["ingest"]);
		await expectOAuthError(await tokenRequest(`Bearer ${ingestOnly}`, body), 400, "invalid_scope");
	});

	it.each([
		["no grant_type", "", "invalid_request"],
		["another grant", "grant_type=password", "unsupported_grant_type"],
		["a repeated parameter", "grant_type=client_credentials&grant_type=client_credentials", "invalid_request"],
		["an over-long scope", `grant_type=client_credentials&scope=${"x".repeat(300)}`, "invalid_request"],
	])("answers 400 for %s", async (_, body, error) => {
		await expectOAuthError(await tokenRequest(`Bearer ${key}`, body), 400, error);
	});

	it("answers 401 invalid_client with a Basic challenge without credentials", async () => {
		const res = await tokenRequest(undefined);
		expect(res.headers.get("www-authenticate")).toBe('Basic realm="vantage-token"');
		await expectOAuthError(res, 401, "invalid_client");
	});

	it.each([
		["a wrong secret", () => `Bearer ${key.slice(0, -1)}${key.endsWith("A") ? "B" : "A"}`],
		["an unknown key id", () => `Bearer vk_00000000000000000000000000.${parseApiKey(key)?.secret}`],
		["a malformed key", () => "Bearer vk_nope"],
		["Basic with a mismatched id", () => basic("vk_00000000000000000000000000", key)],
		["Basic without a colon", () => `Basic ${Buffer.from("nocolon").toString("base64")}`],
		["another scheme", () => "Digest abc"],
	])("answers 401 invalid_client for %s", async (_, header) => {
		await expectOAuthError(await tokenRequest(header()), 401, "invalid_client");
	});

	it("answers a Bearer challenge to a client that used Bearer", async () => {
		const res = await tokenRequest(`Bearer ${key.slice(0, -1)}x`);
		expect(res.headers.get("www-authenticate")).toBe('Bearer realm="vantage-token"');
	});

	it("refuses a revoked key", async () => {
		await t.store.revokeApiKey(parseApiKey(key)?.id ?? "", t.clock.now);
		await expectOAuthError(await tokenRequest(`Bearer ${key}`), 401, "invalid_client");
	});

	it("answers 415 for other media types and 413 for large bodies", async () => {
		expect((await tokenRequest(`Bearer ${key}`, "grant_type=client_credentials", "text/plain")).status).toBe(415);
		const big = `grant_type=client_credentials&pad=${"x".repeat(5000)}`;
		expect((await tokenRequest(`Bearer ${key}`, big)).status).toBe(413);
	});

	it("rate-limits token requests per client address with 429 and Retry-After", async () => {
		const limited = await createTestApp({ env: { VANTAGE_TOKEN_BURST: "2", VANTAGE_TOKEN_RATE_PER_MINUTE: "6" } });
		const limitedKey = await limited.gameKey("g1");
		const request = () =>
			limited.app.request("/v1/oauth/token", {
				method: "POST",
				headers: { Authorization: `Bearer ${limitedKey}`, "Content-Type": FORM },
				body: "grant_type=client_credentials",
			});
		expect((await request()).status).toBe(200);
		expect((await request()).status).toBe(200);
		const res = await request();
		expect(res.status).toBe(429);
		expect(res.headers.get("retry-after")).toBe("10");
		await limited.close();
	});
});

describe("GET /.well-known/jwks.json", () => {
	it("publishes the public key that verifies issued tokens", async () => {
		const token = (await t.gameAuth("g1")).slice("Bearer ".length);
		const res = await t.app.request("/.well-known/jwks.json");
		expect(res.status).toBe(200);
		expect(res.headers.get("cache-control")).toBe("public, max-age=300");
		const { keys } = (await res.json()) as { keys: Record<string, unknown>[] };
		expect(keys.map((k) => k.kid)).toContain(decodeProtectedHeader(token).kid);
		for (const k of keys) expect(Object.keys(k).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x"]);
	});
});
