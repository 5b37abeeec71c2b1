import { Hono, type Context, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { NotFoundError, ValidationError } from "../errors.js";
import type { AppEnv } from "../http/app-env.js";
import { readJsonBody } from "../http/read-json-body.js";
import { describeIssues } from "../ingest/schema.js";
import { gameSdkSchema, type SdkVersionMonitor } from "../ingest/sdk-versions.js";
import type { Store } from "../store/types.js";
import { newTokenSessionId, type AdminLogin } from "./admin-login.js";
import { MAX_PASSWORD_LENGTH } from "./passwords.js";
import { createGame, createGameKey, parseGameId, revokeGameKey, summarizeKey } from "./provisioning.js";
import { gameRole } from "./access.js";
import { assertGameAccess, type AccessRequirement } from "./game-access.js";
import { ADMIN_ROLES, GAME_SCOPES } from "./roles.js";
import type { TokenService } from "./tokens.js";

/** Admin request bodies are small JSON documents. */
const ADMIN_BODY_LIMITS = { maxBodyBytes: 16 * 1024, maxInflatedBytes: 16 * 1024 };

export const loginRequestSchema = z.object({
	email: z.string().min(3).max(320).describe("The user's email address (not case-sensitive)."),
	password: z.string().min(1).max(MAX_PASSWORD_LENGTH).describe("The user's password."),
	totp: z
		.string()
		.max(16)
		.optional()
		.describe("The 6-digit code of the user's authenticator app, when they set up a second factor."),
});

export const adminTokenResponseSchema = z.object({
	access_token: z.string().describe("A JWT to send as `Authorization: Bearer <access_token>` to the admin API."),
	token_type: z.literal("Bearer").describe("Always Bearer."),
	expires_in: z
		.number()
		.int()
		.positive()
		.describe("Seconds until the token expires (VANTAGE_ADMIN_TOKEN_TTL_SECONDS)."),
	admin: z.boolean().describe("Instance admin; the roles per game are in GET /v1/admin/me."),
});

export const adminMeSchema = z.object({
	id: z.string().describe("The user's id."),
	email: z.string().describe("The user's email address."),
	admin: z.boolean().describe("Instance admin: creates games and users, owner of every game."),
	games: z
		.array(
			z.object({
				gameId: z.string().describe("A game the user has a role on."),
				role: z.enum(ADMIN_ROLES).describe("Their role on it: owner > analyst > viewer."),
			}),
		)
		.describe("The user's grants (an instance admin's are not listed: they are owner of every game)."),
});

export const gameSchema = z.object({
	id: z.string().describe("The game's id (its Roblox universe id, or the id it was registered with)."),
	name: z.string().describe("Shown in the dashboard and the CLI."),
	createdAt: z.string().describe("ISO 8601 registration time."),
	sdk: gameSdkSchema.optional().describe("In the games list: the SDK versions the game's servers run."),
	role: z.enum(ADMIN_ROLES).optional().describe("In the games list: the caller's role on the game."),
});

export const createGameRequestSchema = z.object({
	id: z.string().describe("The Roblox universe id (or another stable id): 1-64 of A-Z a-z 0-9 _ -."),
	name: z.string().min(1).max(128).optional().describe("Shown in the dashboard; default: the id."),
});

export const apiKeySummarySchema = z.object({
	id: z.string().describe("The key's public id (the part of the key before the dot)."),
	gameId: z.string().describe("The game the key belongs to."),
	name: z.string().describe("A label, e.g. production."),
	scopes: z
		.array(z.enum(GAME_SCOPES))
		.describe("What its tokens may do: ingest (send batches), config (read /v1/config)."),
	createdAt: z.string().describe("ISO 8601 creation time."),
	revokedAt: z.string().nullable().describe("ISO 8601 revocation time; null while the key works."),
});

export const createKeyRequestSchema = z.object({
	name: z.string().max(128).optional().describe("A label, e.g. production."),
	scopes: z
		.array(z.enum(GAME_SCOPES))
		.min(1)
		.optional()
		.describe("What its tokens may do; default: ingest and config."),
});

export const createdKeyResponseSchema = z.object({
	key: apiKeySummarySchema.describe("The key's summary (no secret)."),
	apiKey: z.string().describe("The full game key. Shown once: only its hash is stored."),
});

export interface AdminRoutesDeps {
	store: Store;
	tokens: TokenService;
	clock: () => number;
	/** Runs before a login is read: the per-IP rate limit shared with the token endpoint. */
	loginGuard: MiddlewareHandler<AppEnv>;
	/** The sign-in check: password, per-account throttling, second factor (auth/admin-login.ts). */
	login: AdminLogin;
	/** The client's address (trusted-proxy aware), for the audit log. */
	ipOf: (c: Context<AppEnv>) => string;
	/** Admin-token middleware for what a route needs (server/auth/game-access.ts). */
	requireRole: (role: AccessRequirement) => MiddlewareHandler<AppEnv>;
	/** The SDK versions each game's batches carry, shown in the games list. @default the list has no `sdk` */
	sdkVersions?: Pick<SdkVersionMonitor, "forGame">;
}

/**
 * The admin API, mounted at /v1/admin. Everything but login needs an admin token; the role needed is named on
 * each route (viewer < analyst < owner).
 */
export function adminRoutes(deps: AdminRoutesDeps): Hono<AppEnv> {
	const admin = new Hono<AppEnv>();

	admin.post("/login", deps.loginGuard, async (c) => {
		const body = parseBody(loginRequestSchema, await readJsonBody(c.req.raw, ADMIN_BODY_LIMITS));
		const user = await deps.login.verify(
			{ email: body.email, password: body.password, code: body.totp },
			{ via: "api", ip: deps.ipOf(c) },
		);
		// The token's session: listed with the user's sessions, and revoking it refuses the token at once.
		const sessionId = newTokenSessionId();
		const now = deps.clock();
		const expiresAt = now + deps.tokens.adminTtlSeconds * 1000;
		await deps.store.security.insertTokenSession({ id: sessionId, userId: user.id, createdAt: now, expiresAt });
		const { token, expiresIn } = await deps.tokens.issueAdminToken(user, sessionId);
		c.header("Cache-Control", "no-store");
		return c.json(
			{ access_token: token, token_type: "Bearer" as const, expires_in: expiresIn, admin: user.admin },
			200,
		);
	});

	admin.get("/me", deps.requireRole("user"), (c) => {
		const { userId, email, admin, grants } = c.get("admin");
		return c.json({ id: userId, email, admin, games: [...grants].map(([gameId, role]) => ({ gameId, role })) }, 200);
	});

	// Only the games the caller has a role on (every game for an instance admin), each with that role.
	admin.get("/games", deps.requireRole("user"), async (c) => {
		const caller = c.get("admin");
		const games = (await deps.store.listGames()).flatMap((g) => {
			const role = gameRole(caller, g.id);
			return role ? [{ ...g, role }] : [];
		});
		const sdk = (id: string) => (deps.sdkVersions ? { sdk: deps.sdkVersions.forGame(id) } : {});
		return c.json(
			{ games: games.map((g) => ({ ...g, createdAt: new Date(g.createdAt).toISOString(), ...sdk(g.id) })) },
			200,
		);
	});

	admin.post("/games", deps.requireRole("admin"), async (c) => {
		const body = parseBody(createGameRequestSchema, await readJsonBody(c.req.raw, ADMIN_BODY_LIMITS));
		const game = await createGame(deps.store, { ...body, now: deps.clock() });
		return c.json({ ...game, createdAt: new Date(game.createdAt).toISOString() }, 201);
	});

	admin.get("/games/:gameId/keys", deps.requireRole("owner"), async (c) => {
		const keys = await deps.store.listApiKeys(parseGameId(c.req.param("gameId")));
		return c.json({ keys: keys.map(summarizeKey) }, 200);
	});

	admin.post("/games/:gameId/keys", deps.requireRole("owner"), async (c) => {
		const body = parseBody(createKeyRequestSchema, await readJsonBody(c.req.raw, ADMIN_BODY_LIMITS));
		const { key, summary } = await createGameKey(deps.store, {
			gameId: c.req.param("gameId"),
			...body,
			now: deps.clock(),
		});
		c.header("Cache-Control", "no-store");
		return c.json({ key: summary, apiKey: key }, 201);
	});

	// The key names its game only in the store: a caller who is not its game's owner is told what an unknown key gets.
	admin.post("/keys/:keyId/revoke", deps.requireRole("user"), async (c) => {
		const keyId = c.req.param("keyId");
		const key = keyId.length <= 64 ? await deps.store.getApiKey(keyId) : undefined;
		if (key && gameRole(c.get("admin"), key.gameId) === undefined) {
			throw new NotFoundError(`API key "${keyId.slice(0, 64)}" does not exist.`);
		}
		if (key) assertGameAccess(c.get("admin"), key.gameId, "owner");
		return c.json(await revokeGameKey(deps.store, c.req.param("keyId"), deps.clock()), 200);
	});

	return admin;
}

function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
	const result = schema.safeParse(body);
	if (!result.success) throw new ValidationError("The request body is invalid.", describeIssues(result.error.issues));
	return result.data;
}
