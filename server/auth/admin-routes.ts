import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { InvalidCredentialsError, ValidationError } from "../errors.js";
import type { AppEnv } from "../http/app-env.js";
import { readJsonBody } from "../http/read-json-body.js";
import { describeIssues } from "../ingest/schema.js";
import type { Store } from "../store/types.js";
import { dummyPasswordHash, MAX_PASSWORD_LENGTH, verifyPassword } from "./passwords.js";
import { createGame, createGameKey, parseGameId, revokeGameKey, summarizeKey } from "./provisioning.js";
import { ADMIN_ROLES, GAME_SCOPES, type AdminRole } from "./roles.js";
import type { TokenService } from "./tokens.js";

/** Admin request bodies are small JSON documents. */
const ADMIN_BODY_LIMITS = { maxBodyBytes: 16 * 1024, maxInflatedBytes: 16 * 1024 };

export const loginRequestSchema = z.object({
	email: z.string().min(3).max(320),
	password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
});

export const adminTokenResponseSchema = z.object({
	access_token: z.string(),
	token_type: z.literal("Bearer"),
	expires_in: z.number().int().positive(),
	role: z.enum(ADMIN_ROLES),
});

export const adminMeSchema = z.object({ id: z.string(), email: z.string(), role: z.enum(ADMIN_ROLES) });

export const gameSchema = z.object({ id: z.string(), name: z.string(), createdAt: z.string() });

export const createGameRequestSchema = z.object({
	id: z.string().describe("The Roblox universe id (or another stable id): 1-64 of A-Z a-z 0-9 _ -."),
	name: z.string().min(1).max(128).optional(),
});

export const apiKeySummarySchema = z.object({
	id: z.string(),
	gameId: z.string(),
	name: z.string(),
	scopes: z.array(z.enum(GAME_SCOPES)),
	createdAt: z.string(),
	revokedAt: z.string().nullable(),
});

export const createKeyRequestSchema = z.object({
	name: z.string().max(128).optional(),
	scopes: z.array(z.enum(GAME_SCOPES)).min(1).optional(),
});

export const createdKeyResponseSchema = z.object({
	key: apiKeySummarySchema,
	apiKey: z.string().describe("The full game key. Shown once: only its hash is stored."),
});

export interface AdminRoutesDeps {
	store: Store;
	tokens: TokenService;
	clock: () => number;
	/** Runs before a login is read: the per-IP rate limit shared with the token endpoint. */
	loginGuard: MiddlewareHandler<AppEnv>;
	/** Admin-token middleware for a minimum role. */
	requireRole: (role: AdminRole) => MiddlewareHandler<AppEnv>;
}

/**
 * The admin API, mounted at /v1/admin. Everything but login needs an admin token; the role needed is named on
 * each route (viewer < analyst < owner).
 */
export function adminRoutes(deps: AdminRoutesDeps): Hono<AppEnv> {
	const admin = new Hono<AppEnv>();

	admin.post("/login", deps.loginGuard, async (c) => {
		const body = parseBody(loginRequestSchema, await readJsonBody(c.req.raw, ADMIN_BODY_LIMITS));
		const user = await deps.store.getAdminUserByEmail(body.email.trim().toLowerCase());
		// Verify against a dummy hash for unknown users, so the answer time does not reveal which emails exist.
		const passwordOk = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), body.password);
		if (!user || !passwordOk || user.disabledAt !== null) throw new InvalidCredentialsError();
		const { token, expiresIn } = await deps.tokens.issueAdminToken(user);
		c.header("Cache-Control", "no-store");
		return c.json({ access_token: token, token_type: "Bearer" as const, expires_in: expiresIn, role: user.role }, 200);
	});

	admin.get("/me", deps.requireRole("viewer"), (c) => {
		const { userId, email, role } = c.get("admin");
		return c.json({ id: userId, email, role }, 200);
	});

	admin.get("/games", deps.requireRole("viewer"), async (c) => {
		const games = await deps.store.listGames();
		return c.json({ games: games.map((g) => ({ ...g, createdAt: new Date(g.createdAt).toISOString() })) }, 200);
	});

	admin.post("/games", deps.requireRole("owner"), async (c) => {
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

	admin.post("/keys/:keyId/revoke", deps.requireRole("owner"), async (c) => {
		return c.json(await revokeGameKey(deps.store, c.req.param("keyId"), deps.clock()), 200);
	});

	return admin;
}

function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
	const result = schema.safeParse(body);
	if (!result.success) throw new ValidationError("The request body is invalid.", describeIssues(result.error.issues));
	return result.data;
}
