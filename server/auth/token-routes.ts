import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { InvalidJsonError, OAuthError, UnsupportedMediaTypeError } from "../errors.js";
import type { AppEnv } from "../http/app-env.js";
import { readLimited } from "../http/read-json-body.js";
import type { Store } from "../store/types.js";
import { authenticateApiKey, isApiKeyId, parseApiKey } from "./api-keys.js";
import { GAME_SCOPES, type GameScope } from "./roles.js";
import type { SigningKeyRing } from "./signing-keys.js";
import type { TokenService } from "./tokens.js";

/** Token requests are a few dozen bytes; anything near this is not one. */
export const MAX_TOKEN_REQUEST_BYTES = 4096;

/** The token request body (RFC 6749 §4.4.2), form-encoded or JSON. */
export const tokenRequestSchema = z.object({
	grant_type: z.literal("client_credentials").describe("Always client_credentials (RFC 6749 §4.4)."),
	scope: z
		.string()
		.max(256)
		.optional()
		.describe('Space-separated scopes ("ingest config"); default: every scope the key allows.'),
});

/** The token response (RFC 6749 §5.1). */
export const tokenResponseSchema = z.object({
	access_token: z.string().describe("A JWT (EdDSA) to send as `Authorization: Bearer <access_token>`."),
	token_type: z.literal("Bearer").describe("Always Bearer."),
	expires_in: z.number().int().positive().describe("Seconds until the token expires; fetch a new one before."),
	scope: z.string().describe("The scopes granted, space-separated."),
});
export type TokenResponse = z.infer<typeof tokenResponseSchema>;

export interface TokenRoutesDeps {
	store: Store;
	tokens: TokenService;
	keys: SigningKeyRing;
	/** Runs before the token endpoint reads anything: the per-IP rate limit. */
	guard: MiddlewareHandler<AppEnv>;
}

interface ClientCredentials {
	scheme: "Basic" | "Bearer";
	id: string;
	secret: string;
}

/**
 * `POST /oauth/token` (mounted under /v1) and `GET /.well-known/jwks.json` (mounted at the root).
 *
 * A game server exchanges its game key for a short-lived access token (client credentials grant, RFC 6749 §4.4).
 * The key goes in the Authorization header, either as HTTP Basic (`client_id` = key id, `client_secret` = the
 * part after the dot, or the whole key) or as `Bearer <whole key>`: Roblox's HttpService:GetSecret can only be
 * prefixed into a header, never encoded.
 */
export function tokenRoutes(deps: TokenRoutesDeps): { v1: Hono<AppEnv>; wellKnown: Hono<AppEnv> } {
	const v1 = new Hono<AppEnv>();
	v1.post("/oauth/token", deps.guard, async (c) => {
		// 1. the body: grant_type=client_credentials, optional scope;
		const request = await readTokenRequest(c.req.raw);
		// 2. the client: exactly one credential in the Authorization header;
		const credentials = clientCredentials(c.req.header("authorization"));
		// 3. the key: known, secret matching, not revoked — one answer for all three failures;
		const key = await authenticateApiKey(deps.store, credentials.id, credentials.secret);
		if (!key)
			throw new OAuthError("invalid_client", "The game key is unknown, wrong or revoked.", {
				scheme: credentials.scheme,
			});
		// 4. the scopes: the requested ones, each known and allowed for this key; default all of the key's;
		const scopes = grantedScopes(request.scope, key.scopes);
		// 5. a signed token, never cached by anything in between (§5.1).
		const { token, expiresIn } = await deps.tokens.issueGameToken(key, scopes);
		c.header("Cache-Control", "no-store");
		c.header("Pragma", "no-cache");
		const body: TokenResponse = {
			access_token: token,
			token_type: "Bearer",
			expires_in: expiresIn,
			scope: scopes.join(" "),
		};
		return c.json(body, 200);
	});

	const wellKnown = new Hono<AppEnv>();
	wellKnown.get("/jwks.json", async (c) => {
		// Short caching: verifiers must see a rotated key soon, but need not ask on every token.
		c.header("Cache-Control", "public, max-age=300");
		return c.json(await deps.keys.jwks(), 200);
	});
	return { v1, wellKnown };
}

async function readTokenRequest(request: Request): Promise<z.infer<typeof tokenRequestSchema>> {
	const mediaType = (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
	if (mediaType !== "application/x-www-form-urlencoded" && mediaType !== "application/json") {
		throw new UnsupportedMediaTypeError(
			`Content-Type must be application/x-www-form-urlencoded or application/json, got "${mediaType || "none"}".`,
		);
	}
	const encoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
	if (encoding !== "identity" && encoding !== "") {
		throw new UnsupportedMediaTypeError("The token request must not be compressed.");
	}
	const bytes = await readLimited(request, MAX_TOKEN_REQUEST_BYTES);
	const fields = mediaType === "application/json" ? jsonFields(bytes) : formFields(bytes);

	if (fields.grant_type === undefined) throw new OAuthError("invalid_request", "grant_type is required.");
	if (fields.grant_type !== "client_credentials") {
		throw new OAuthError("unsupported_grant_type", "Only the client_credentials grant is supported.");
	}
	const parsed = tokenRequestSchema.safeParse(fields);
	if (!parsed.success) throw new OAuthError("invalid_request", "The token request is malformed.");
	return parsed.data;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function formFields(bytes: Uint8Array): Record<string, string> {
	let params: URLSearchParams;
	try {
		params = new URLSearchParams(utf8.decode(bytes));
	} catch {
		throw new OAuthError("invalid_request", "The token request is not valid UTF-8.");
	}
	const fields: Record<string, string> = {};
	for (const [name, value] of params) {
		// RFC 6749 §3.2: parameters must not be repeated.
		if (Object.hasOwn(fields, name)) throw new OAuthError("invalid_request", `Parameter "${name}" is repeated.`);
		fields[name] = value;
	}
	return fields;
}

function jsonFields(bytes: Uint8Array): Record<string, unknown> {
	let value: unknown;
	try {
		value = JSON.parse(utf8.decode(bytes));
	} catch {
		throw new InvalidJsonError();
	}
	if (typeof value !== "object" || value === null || Array.isArray(value)) {
		throw new OAuthError("invalid_request", "The token request must be a JSON object.");
	}
	return value as Record<string, unknown>;
}

const BASIC = /^Basic +([A-Za-z0-9+/]{1,1024}={0,2}) *$/i;
const BEARER = /^Bearer +(\S{1,256}) *$/i;

/** The key presented in the Authorization header, or invalid_client (401). */
function clientCredentials(header: string | undefined): ClientCredentials {
	const missing = () =>
		new OAuthError("invalid_client", 'Send the game key as "Authorization: Bearer <key>" or HTTP Basic.');
	if (!header) throw missing();

	const bearer = BEARER.exec(header);
	if (bearer?.[1]) {
		const key = parseApiKey(bearer[1]);
		if (!key) throw new OAuthError("invalid_client", "The game key is malformed.", { scheme: "Bearer" });
		return { scheme: "Bearer", ...key };
	}

	const basic = BASIC.exec(header);
	if (!basic?.[1]) throw missing();
	const decoded = Buffer.from(basic[1], "base64").toString("utf8");
	const colon = decoded.indexOf(":");
	if (colon < 0) throw new OAuthError("invalid_client", "Basic credentials must be client_id:client_secret.");
	// RFC 6749 §2.3.1: both parts are form-urlencoded before joining.
	const id = formDecode(decoded.slice(0, colon));
	const secretOrKey = formDecode(decoded.slice(colon + 1));
	if (id === undefined || secretOrKey === undefined || !isApiKeyId(id)) {
		throw new OAuthError("invalid_client", "The client_id is not a game key id.");
	}
	const whole = parseApiKey(secretOrKey);
	if (whole) {
		if (whole.id !== id) throw new OAuthError("invalid_client", "The client_id does not match the key.");
		return { scheme: "Basic", ...whole };
	}
	return { scheme: "Basic", id, secret: secretOrKey };
}

function formDecode(part: string): string | undefined {
	try {
		return decodeURIComponent(part.replaceAll("+", " "));
	} catch {
		return undefined;
	}
}

function grantedScopes(requested: string | undefined, allowed: readonly GameScope[]): GameScope[] {
	if (requested === undefined || requested.trim() === "") return [...allowed];
	const names = [...new Set(requested.split(" ").filter(Boolean))];
	const granted: GameScope[] = [];
	for (const name of names) {
		const scope = GAME_SCOPES.find((s) => s === name);
		if (!scope || !allowed.includes(scope)) {
			throw new OAuthError("invalid_scope", `Scope "${name.slice(0, 32)}" is unknown or not allowed for this key.`);
		}
		granted.push(scope);
	}
	return granted;
}
