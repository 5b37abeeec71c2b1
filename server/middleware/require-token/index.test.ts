import { randomUUID } from "node:crypto";
import {
	SignJWT,
	base64url,
	decodeJwt,
	decodeProtectedHeader,
	exportJWK,
	generateKeyPair,
	type JWTPayload,
} from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseApiKey } from "../../auth/api-keys.js";
import { ACCESS_TOKEN_TYPE, GAME_AUDIENCE } from "../../auth/tokens.js";
import { jsonRequest, makeBatch, makeEvents } from "../../testing/fixtures.js";
import { createTestApp, type TestApp } from "../../testing/test-app.js";

let t: TestApp;
let key: string;
let keyId: string;
let now: number;
beforeEach(async () => {
	t = await createTestApp();
	key = await t.gameKey("g1");
	keyId = parseApiKey(key)?.id ?? "";
	now = Math.floor(t.clock.now / 1000);
});
afterEach(() => t.close());

/** The claims of a valid game token, for attacks to change one at a time. */
function validClaims(): JWTPayload {
	return {
		iss: "vantage",
		aud: GAME_AUDIENCE,
		sub: "g1",
		client_id: keyId,
		scope: "ingest config",
		iat: now,
		exp: now + 900,
		jti: randomUUID(),
	};
}

/** Signs with the server's real active key, so only the part under test is wrong. */
async function signed(claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
	const { kid, privateKey } = await t.keys.signingKey();
	return new SignJWT(claims)
		.setProtectedHeader({ alg: "EdDSA", kid, typ: ACCESS_TOKEN_TYPE, ...header })
		.sign(privateKey);
}

function without(claims: JWTPayload, name: string): JWTPayload {
	const copy = { ...claims };
	delete copy[name];
	return copy;
}

async function post(token: string): Promise<Response> {
	return t.app.request(
		"/v1/batches",
		jsonRequest(makeBatch(makeEvents(1)), { headers: { Authorization: `Bearer ${token}` } }),
	);
}

async function expectRejected(token: string): Promise<void> {
	const res = await post(token);
	expect(res.status).toBe(401);
	expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="vantage", error="invalid_token"/);
	expect(await res.json()).toMatchObject({ code: "invalid_token", status: 401 });
}

describe("game token verification", () => {
	it("accepts a token it signed (the baseline the attacks below change one thing of)", async () => {
		expect((await post(await signed(validClaims()))).status).toBe(200);
	});

	it("rejects alg: none", async () => {
		const { kid } = await t.keys.signingKey();
		const header = base64url.encode(JSON.stringify({ alg: "none", kid, typ: ACCESS_TOKEN_TYPE }));
		const payload = base64url.encode(JSON.stringify(validClaims()));
		await expectRejected(`${header}.${payload}.`);
	});

	it("rejects HS256 signed with the public key (algorithm confusion)", async () => {
		const { kid } = await t.keys.signingKey();
		const jwk = (await t.keys.jwks()).keys.find((k) => k.kid === kid);
		const secrets = [new TextEncoder().encode(JSON.stringify(jwk)), base64url.decode(jwk?.x ?? "")];
		for (const secret of secrets) {
			const token = await new SignJWT(validClaims())
				.setProtectedHeader({ alg: "HS256", kid, typ: ACCESS_TOKEN_TYPE })
				.sign(secret);
			await expectRejected(token);
		}
	});

	it("rejects an expired token (past the 30 s tolerance) and accepts one within it", async () => {
		await expectRejected(await signed({ ...validClaims(), iat: now - 900, exp: now - 31 }));
		expect((await post(await signed({ ...validClaims(), iat: now - 800, exp: now - 10 }))).status).toBe(200);
	});

	it("rejects a token that is not yet valid (nbf or iat in the future)", async () => {
		await expectRejected(await signed({ ...validClaims(), nbf: now + 60 }));
		await expectRejected(await signed({ ...validClaims(), iat: now + 60, exp: now + 960 }));
	});

	it("rejects a token older than the token lifetime even if exp says otherwise", async () => {
		await expectRejected(await signed({ ...validClaims(), iat: now - 3600, exp: now + 3600 }));
	});

	it("rejects a wrong issuer", async () => {
		await expectRejected(await signed({ ...validClaims(), iss: "https://evil.example.com" }));
	});

	it("rejects a wrong audience (an admin token's audience included)", async () => {
		await expectRejected(await signed({ ...validClaims(), aud: "someone-else" }));
		await expectRejected(await signed({ ...validClaims(), aud: "vantage-admin" }));
	});

	it.each(["exp", "iat", "iss", "aud", "sub", "jti"])("rejects a token without %s", async (claim) => {
		await expectRejected(await signed(without(validClaims(), claim)));
	});

	it("rejects a token without typ at+jwt", async () => {
		await expectRejected(await signed(validClaims(), { typ: "JWT" }));
	});

	it("rejects a tampered payload", async () => {
		const other = await t.gameKey("g2");
		const [header, , signature] = (await signed(validClaims())).split(".");
		const tampered = base64url.encode(
			JSON.stringify({ ...validClaims(), sub: "g2", client_id: parseApiKey(other)?.id }),
		);
		await expectRejected(`${header}.${tampered}.${signature}`);
		// Changing one character of the signature fails too (not the last one: its low bits are padding).
		const token = await signed(validClaims());
		const at = token.lastIndexOf(".") + 10;
		await expectRejected(token.slice(0, at) + (token[at] === "A" ? "B" : "A") + token.slice(at + 1));
	});

	it("rejects an unknown kid, and a foreign key using a known kid", async () => {
		const foreign = await generateKeyPair("EdDSA", { crv: "Ed25519" });
		const claims = validClaims();
		await expectRejected(
			await new SignJWT(claims)
				.setProtectedHeader({ alg: "EdDSA", kid: "unknown", typ: ACCESS_TOKEN_TYPE })
				.sign(foreign.privateKey),
		);
		const { kid } = await t.keys.signingKey();
		await expectRejected(
			await new SignJWT(claims)
				.setProtectedHeader({ alg: "EdDSA", kid, typ: ACCESS_TOKEN_TYPE })
				.sign(foreign.privateKey),
		);
		// An embedded jwk header must not be trusted either.
		const jwk = await exportJWK(foreign.publicKey);
		await expectRejected(
			await new SignJWT(claims)
				.setProtectedHeader({ alg: "EdDSA", jwk, typ: ACCESS_TOKEN_TYPE })
				.sign(foreign.privateKey),
		);
	});

	it("rejects the tokens of a revoked key once the key is revoked", async () => {
		const token = await signed(validClaims());
		expect((await post(token)).status).toBe(200);
		await t.store.revokeApiKey(keyId, t.clock.now);
		await expectRejected(token);
	});

	it("stops accepting a token at its expiry even after it was verified (and remembered) before", async () => {
		const token = await signed(validClaims());
		expect((await post(token)).status).toBe(200);
		t.clock.now += (900 + 31) * 1000;
		await expectRejected(token);
	});

	it("rejects a token naming a key of another game", async () => {
		const other = parseApiKey(await t.gameKey("g2"))?.id;
		await expectRejected(await signed({ ...validClaims(), client_id: other }));
	});

	it("rejects a token signed by a retired key once its retention has passed", async () => {
		const token = await signed(validClaims());
		await t.keys.rotate();
		expect((await post(token)).status).toBe(200);
		t.clock.now += 2 * 3600 * 1000;
		const fresh = await t.gameAuth("g1");
		expect(
			(
				await t.app.request(
					"/v1/batches",
					jsonRequest(makeBatch(makeEvents(1), { batchId: "b-2" }), { headers: { Authorization: fresh } }),
				)
			).status,
		).toBe(200);
		await expectRejected(token);
	});

	it.each([
		["a malformed header", "Bearer"],
		["another scheme", "Basic dXNlcjpwYXNz"],
		["a token with spaces", "Bearer a b c"],
		["garbage", "Bearer not.a.jwt"],
	])("rejects %s", async (_, authorization) => {
		const res = await t.app.request(
			"/v1/batches",
			jsonRequest(makeBatch(makeEvents(1)), { headers: { Authorization: authorization } }),
		);
		expect(res.status).toBe(401);
	});

	it("logs the reason of a rejection but never tells the client", async () => {
		const res = await post(await signed({ ...validClaims(), iss: "https://evil.example.com" }));
		expect(JSON.stringify(await res.json())).not.toMatch(/iss/);
		const logged = t.lines.find((l) => l.msg === "token rejected");
		expect(String(logged?.reason)).toMatch(/iss/);
	});

	it("issues tokens with the registered claims and header", async () => {
		const token = (await t.gameAuth("g1")).slice("Bearer ".length);
		expect(decodeProtectedHeader(token)).toMatchObject({
			alg: "EdDSA",
			typ: ACCESS_TOKEN_TYPE,
			kid: expect.any(String),
		});
		expect(decodeJwt(token)).toMatchObject({
			iss: "vantage",
			aud: GAME_AUDIENCE,
			sub: "g1",
			scope: "ingest config",
			exp: now + 900,
			iat: now,
		});
	});
});

describe("admin token verification", () => {
	it("rejects a game token on an admin route, saying which kind the route takes", async () => {
		const res = await t.app.request("/v1/admin/games", { headers: { Authorization: await t.gameAuth("g1") } });
		expect(res.status).toBe(401);
		expect(res.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
		expect(((await res.json()) as { detail: string }).detail).toMatch(/takes an admin access token/);
	});

	it("rejects an admin token on a game route, saying which kind the route takes", async () => {
		const res = await post((await t.adminAuth("owner")).replace(/^Bearer /, ""));
		expect(res.status).toBe(401);
		expect(((await res.json()) as { detail: string }).detail).toMatch(/takes a game access token/);
		// A token of neither kind keeps the generic answer.
		const forged = await post("eyJhbGciOiJub25lIn0.e30.");
		expect(((await forged.json()) as { detail: string }).detail).toBe(
			"The access token is invalid, expired or revoked.",
		);
	});

	it("applies the stored role, not the token's, and stops a disabled user's token", async () => {
		const auth = await t.adminAuth("owner");
		const headers = { Authorization: auth, "Content-Type": "application/json" };
		const create = (id: string) =>
			t.app.request("/v1/admin/games", { method: "POST", headers, body: JSON.stringify({ id }) });
		expect((await create("a1")).status).toBe(201);
		const [user] = await t.store.listAdminUsers();
		await t.store.updateAdminUser(user?.id ?? "", { admin: false });
		expect((await create("a2")).status).toBe(403);
		expect((await t.app.request("/v1/admin/me", { headers })).status).toBe(200);
		await t.store.updateAdminUser(user?.id ?? "", { disabledAt: t.clock.now });
		expect((await t.app.request("/v1/admin/me", { headers })).status).toBe(401);
	});
});
