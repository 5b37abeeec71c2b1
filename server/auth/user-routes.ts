import { randomBytes } from "node:crypto";
import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import type { AppEnv } from "../http/app-env.js";
import { readJsonBody } from "../http/read-json-body.js";
import { describeIssues } from "../ingest/schema.js";
import type { AdminUser, Store } from "../store/types.js";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, type PasswordHashOptions } from "./passwords.js";
import { createAdminUser } from "./provisioning.js";
import type { AccessRequirement } from "./game-access.js";
import { ADMIN_ROLES } from "./roles.js";

/** A user change is a few short members; a password is the largest. */
const BODY_LIMITS = { maxBodyBytes: 8 * 1024, maxInflatedBytes: 8 * 1024 };

/** An admin user as the API shows it: never the password hash. */
export const adminUserSchema = z
	.object({
		id: z.string().describe("The user's id."),
		email: z.string().describe("The user's email address (lower case)."),
		admin: z.boolean().describe("Instance admin: creates games and users, owner of every game."),
		createdAt: z.string().describe("ISO 8601."),
		disabledAt: z.string().nullable().describe("When the user was disabled (ISO 8601); null while enabled."),
	})
	.describe("A dashboard/admin user.");
export type AdminUserSummary = z.infer<typeof adminUserSchema>;

export const createUserRequestSchema = z.strictObject({
	email: z.string().min(3).max(320).describe("Their email address, the login name; stored lower-cased."),
	admin: z
		.boolean()
		.optional()
		.describe(
			"Instance admin (setup: games, users, every game's keys and members; owner of every game). @default false",
		),
	games: z
		.array(
			z.strictObject({
				gameId: z.string().max(64).describe("The game the role is on."),
				role: z
					.enum(ADMIN_ROLES)
					.describe(
						"owner: the game's keys, members and settings; analyst: raw events and experiments; viewer: dashboards.",
					),
			}),
		)
		.max(1000)
		.optional()
		.describe("Roles on games; without any (and not admin) the user sees no game until one is granted."),
	password: z
		.string()
		.min(MIN_PASSWORD_LENGTH)
		.max(MAX_PASSWORD_LENGTH)
		.optional()
		.describe(
			`The initial password (${MIN_PASSWORD_LENGTH}+ characters); left out, one is generated and answered once.`,
		),
});

export const createdUserResponseSchema = z.object({
	user: adminUserSchema,
	generatedPassword: z
		.string()
		.optional()
		.describe("Only when no password was sent: the generated one, in this answer only (only its hash is stored)."),
});

export const updateUserRequestSchema = z
	.strictObject({
		admin: z.boolean().optional().describe("Makes the user instance admin, or not; applies to their next request."),
		disabled: z
			.boolean()
			.optional()
			.describe("true disables the user (their sessions and tokens stop working at once); false enables them again."),
	})
	.refine((body) => body.admin !== undefined || body.disabled !== undefined, {
		message: "name admin or disabled",
	})
	.describe("What to change; members left out keep their value.");

export interface UserRoutesDeps {
	store: Store;
	clock: () => number;
	/** Admin-token middleware for what a route needs (server/auth/game-access.ts). */
	requireRole: (role: AccessRequirement) => MiddlewareHandler<AppEnv>;
	/** Tests pass cheap argon2 parameters. @default the production parameters */
	hashOptions?: PasswordHashOptions;
}

/** The API's view of a user: no hash, times as ISO 8601. */
export function summarizeUser(user: AdminUser): AdminUserSummary {
	return {
		id: user.id,
		email: user.email,
		admin: user.admin,
		createdAt: new Date(user.createdAt).toISOString(),
		disabledAt: user.disabledAt === null ? null : new Date(user.disabledAt).toISOString(),
	};
}

/**
 * Dashboard/admin users, mounted at /v1/admin; instance admins only (users decide who sees a studio's numbers; a
 * game's owner grants roles on the game to existing users, see access-routes.ts).
 *
 * - `GET /users` — every user, oldest first;
 * - `POST /users` — creates one; without a password, a generated one comes back once;
 * - `PATCH /users/:userId` — makes a user instance admin (or not) and/or disables (re-enables) them. An admin cannot
 *   change their own account here: it would let the last admin lock everyone out (another admin, or the CLI, can).
 */
export function userRoutes(deps: UserRoutesDeps): Hono<AppEnv> {
	const { store } = deps;
	const routes = new Hono<AppEnv>();
	const owner = deps.requireRole("admin");

	routes.get("/users", owner, async (c) => {
		const users = await store.listAdminUsers();
		return c.json({ users: users.map(summarizeUser) }, 200);
	});

	routes.post("/users", owner, async (c) => {
		const body = parse(createUserRequestSchema, await readJsonBody(c.req.raw, BODY_LIMITS), "The user is invalid.");
		const generatedPassword = body.password === undefined ? randomBytes(18).toString("base64url") : undefined;
		const user = await createAdminUser(store, {
			email: body.email,
			admin: body.admin ?? false,
			grants: body.games ?? [],
			password: body.password ?? generatedPassword ?? "",
			now: deps.clock(),
			...(deps.hashOptions ? { hashOptions: deps.hashOptions } : {}),
		});
		// A generated password is in this answer only: no cache may keep it.
		c.header("Cache-Control", "no-store");
		return c.json({ user: summarizeUser(user), ...(generatedPassword ? { generatedPassword } : {}) }, 201);
	});

	/**
	 * 1. invalid body → 400; 2. unknown user → 404; 3. the caller's own account → 409;
	 * 4. otherwise the change, and the user as now stored.
	 */
	routes.patch("/users/:userId", owner, async (c) => {
		const body = parse(updateUserRequestSchema, await readJsonBody(c.req.raw, BODY_LIMITS), "The change is invalid.");
		const userId = c.req.param("userId");
		const user = userId.length <= 64 ? await store.getAdminUser(userId) : undefined;
		if (!user) throw new NotFoundError(`User "${userId.slice(0, 64)}" does not exist.`);
		if (user.id === c.get("admin").userId) {
			throw new ConflictError("You cannot change your own admin role or disable yourself: ask another admin.");
		}
		const changes: { admin?: boolean; disabledAt?: number | null } = {};
		if (body.admin !== undefined) changes.admin = body.admin;
		// Disabling twice keeps the first time; enabling clears it.
		if (body.disabled === true && user.disabledAt === null) changes.disabledAt = deps.clock();
		if (body.disabled === false) changes.disabledAt = null;
		if (Object.keys(changes).length > 0) await store.updateAdminUser(user.id, changes);
		const updated = await store.getAdminUser(user.id);
		return c.json(summarizeUser(updated ?? user), 200);
	});

	return routes;
}

function parse<T extends z.ZodType>(schema: T, value: unknown, detail: string): z.output<T> {
	const result = schema.safeParse(value);
	if (!result.success) throw new ValidationError(detail, describeIssues(result.error.issues));
	return result.data;
}
