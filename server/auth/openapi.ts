// Tokens, admin login and games/keys administration in the OpenAPI document (routes: token-routes.ts, admin-routes.ts).
import { z } from "zod";
import { GAMES_LIST_DESCRIPTION } from "../ingest/sdk-versions-openapi.js";
import type { OpenApiFragment } from "../openapi/fragment.js";
import {
	adminMeSchema,
	adminTokenResponseSchema,
	apiKeySummarySchema,
	createdKeyResponseSchema,
	createGameRequestSchema,
	createKeyRequestSchema,
	gameSchema,
	loginRequestSchema,
} from "./admin-routes.js";
import { tokenRequestSchema, tokenResponseSchema } from "./token-routes.js";

const jwksSchema = z.object({
	keys: z
		.array(
			z.object({
				kty: z.literal("OKP").describe("Key type: octet key pair."),
				crv: z.literal("Ed25519").describe("The curve."),
				x: z.string().describe("The public key, base64url."),
				kid: z.string().describe("Key id: matches the `kid` header of the tokens it verifies."),
				alg: z.literal("EdDSA").describe("The signing algorithm."),
				use: z.literal("sig").describe("Signatures only."),
			}),
		)
		.describe("The active key and the retired ones whose tokens may still be valid."),
});

export const authOpenApi: OpenApiFragment = {
	components: {
		TokenRequest: tokenRequestSchema,
		TokenResponse: tokenResponseSchema,
		Jwks: jwksSchema,
		LoginRequest: loginRequestSchema,
		AdminToken: adminTokenResponseSchema,
		AdminMe: adminMeSchema,
		Game: gameSchema,
		CreateGameRequest: createGameRequestSchema,
		ApiKey: apiKeySummarySchema,
		CreateKeyRequest: createKeyRequestSchema,
		CreatedKey: createdKeyResponseSchema,
	},
	paths: (h) => ({
		"/v1/oauth/token": {
			post: {
				operationId: "issueToken",
				summary: "Exchange a game key for an access token (OAuth 2.0 client credentials, RFC 6749 §4.4)",
				tags: ["auth"],
				security: [{ gameKeyBearer: [] }, { gameKeyBasic: [] }],
				requestBody: {
					required: true,
					content: {
						"application/x-www-form-urlencoded": { schema: h.ref("TokenRequest") },
						"application/json": { schema: h.ref("TokenRequest") },
					},
				},
				responses: {
					"200": {
						description: "A token. Cache it and request a new one shortly before `expires_in` runs out.",
						headers: { "Cache-Control": { schema: { type: "string", const: "no-store" } } },
						content: h.json("TokenResponse"),
					},
					"400": h.problem("invalid_request, unsupported_grant_type or invalid_scope. Not retryable.", false),
					"401": h.problem("invalid_client: unknown, wrong or revoked game key. Not retryable.", false),
					"413": h.problem("Body over 4096 bytes. Not retryable.", false),
					"415": h.problem("Content-Type not form or JSON. Not retryable.", false),
					"429": h.problem("Too many token requests from this address.", true, h.retryAfter),
					...h.common,
				},
			},
		},
		"/.well-known/jwks.json": {
			get: {
				operationId: "jwks",
				summary: "Public keys that verify access tokens (RFC 7517)",
				tags: ["auth"],
				security: [],
				responses: { "200": { description: "The key set.", content: h.json("Jwks") } },
			},
		},
		"/v1/admin/login": {
			post: {
				operationId: "adminLogin",
				summary: "Log in a dashboard/admin user",
				tags: ["admin"],
				security: [],
				requestBody: { required: true, content: h.json("LoginRequest") },
				responses: {
					"200": { description: "An admin token.", content: h.json("AdminToken") },
					"400": h.problem("Malformed body.", false),
					"401": h.problem("Wrong email or password (one answer for both).", false),
					"429": h.problem("Too many login attempts from this address.", true, h.retryAfter),
				},
			},
		},
		"/v1/admin/me": {
			get: h.adminOperation("adminMe", "The logged-in user", { "200": h.ok("The user.", "AdminMe") }),
		},
		"/v1/admin/games": {
			get: h.adminOperation("listGames", "List the games the caller has a role on, each with that role (any user)", {
				"200": { description: GAMES_LIST_DESCRIPTION, content: h.listOf("games", "Game") },
			}),
			post: h.adminOperation(
				"createGame",
				"Register a game (instance admin)",
				{
					"201": h.ok("Created.", "Game"),
					"400": h.problem("Invalid id.", false),
					"409": h.problem("The id is taken.", false),
				},
				{ requestBody: { required: true, content: h.json("CreateGameRequest") } },
			),
		},
		"/v1/admin/games/{gameId}/keys": {
			get: h.adminOperation(
				"listKeys",
				"List a game's keys, without secrets (owner of the game)",
				{
					"200": { description: "Keys, oldest first.", content: h.listOf("keys", "ApiKey") },
					"404": h.problem("Unknown game, or one the caller has no role on (the same answer).", false),
				},
				{ parameters: [h.gameIdParam] },
			),
			post: h.adminOperation(
				"createKey",
				"Create a game key; the key is in this answer only (owner of the game)",
				{
					"201": h.ok("Created.", "CreatedKey"),
					"404": h.problem("Unknown game, or one the caller has no role on (the same answer).", false),
				},
				{ parameters: [h.gameIdParam], requestBody: { required: true, content: h.json("CreateKeyRequest") } },
			),
		},
		"/v1/admin/keys/{keyId}/revoke": {
			post: h.adminOperation(
				"revokeKey",
				"Revoke a key: its tokens stop working at once (owner of the key's game)",
				{
					"200": h.ok("The revoked key.", "ApiKey"),
					"404": h.problem("Unknown key, or a key of a game the caller has no role on (the same answer).", false),
				},
				{ parameters: [h.pathParam("keyId")] },
			),
		},
	}),
};
