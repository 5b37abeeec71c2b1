import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { NotFoundError, ValidationError } from "../errors.js";
import type { AppEnv } from "../http/app-env.js";
import { readJsonBody } from "../http/read-json-body.js";
import { describeIssues } from "../ingest/schema.js";
import type { Store } from "../store/types.js";
import { existingGame, gameMembers, grantGameRole, refuseOwnGrant, revokeGameRole } from "./access-provisioning.js";
import type { AccessRequirement } from "./game-access.js";
import { ADMIN_ROLES } from "./roles.js";

/** A grant is an email and a role. */
const BODY_LIMITS = { maxBodyBytes: 4 * 1024, maxInflatedBytes: 4 * 1024 };

export const gameMemberSchema = z
	.object({
		userId: z.string().describe("The user's id (usr_…)."),
		email: z.string().describe("The user's email, their login name."),
		role: z.enum(ADMIN_ROLES).describe("The member's role on this game (owner for instance admins)."),
		via: z
			.enum(["grant", "admin"])
			.describe("grant: a role on this game; admin: an instance admin, owner of every game (revoked by un-admin)."),
		grantedAt: z.string().nullable().describe("When the role was granted or last changed (ISO 8601)."),
		disabled: z.boolean().describe("A disabled user cannot sign in, whatever their role."),
	})
	.describe("Who can open a game, and with which role.");

export const grantRequestSchema = z
	.strictObject({
		email: z.string().min(3).max(320).describe("An existing user's email (an admin creates users)."),
		role: z
			.enum(ADMIN_ROLES)
			.describe(
				"owner: keys, members, settings, privacy requests; analyst: raw events, experiments; viewer: dashboards.",
			),
	})
	.describe("Gives a user a role on the game, replacing the role they had there.");

export interface AccessRoutesDeps {
	store: Store;
	clock: () => number;
	/** Admin-token middleware for what a route needs (server/auth/game-access.ts). */
	requireRole: (role: AccessRequirement) => MiddlewareHandler<AppEnv>;
}

/**
 * A game's members, mounted at /v1/admin; the game's owners and instance admins manage them.
 *
 * - `GET /games/:gameId/members` — who can open the game (grants, and instance admins), by email;
 * - `POST /games/:gameId/members` — `{ email, role }`: grants the role (or changes it), 200 with the member;
 * - `DELETE /games/:gameId/members/:userId` — takes the user's role on the game away, 204.
 *
 * Nobody changes their own grant here (409): an owner demoting themself could leave the game without an owner.
 *
 * @example
 * v1.route("/admin", accessRoutes({ store, clock, requireRole }));
 */
export function accessRoutes(deps: AccessRoutesDeps): Hono<AppEnv> {
	const { store } = deps;
	const routes = new Hono<AppEnv>();
	const owner = deps.requireRole("owner");

	routes.get("/games/:gameId/members", owner, async (c) => {
		const gameId = await existingGame(store, c.req.param("gameId"));
		return c.json({ members: await gameMembers(store, gameId) }, 200);
	});

	/** 1. invalid body → 400; 2. unknown game or email → 404; 3. the caller's own grant → 409; 4. the member. */
	routes.post("/games/:gameId/members", owner, async (c) => {
		const parsed = grantRequestSchema.safeParse(await readJsonBody(c.req.raw, BODY_LIMITS));
		if (!parsed.success) throw new ValidationError("The grant is invalid.", describeIssues(parsed.error.issues));
		const gameId = await existingGame(store, c.req.param("gameId"));
		const email = parsed.data.email.trim().toLowerCase();
		const user = await store.getAdminUserByEmail(email);
		if (!user) throw new NotFoundError(`No user has the email "${email}": an admin creates users first.`);
		refuseOwnGrant(c.get("admin").userId, user.id);
		await grantGameRole(store, { userId: user.id, gameId, role: parsed.data.role, now: deps.clock() });
		const member = (await gameMembers(store, gameId)).find((m) => m.userId === user.id);
		return c.json(member, 200);
	});

	routes.delete("/games/:gameId/members/:userId", owner, async (c) => {
		const gameId = await existingGame(store, c.req.param("gameId"));
		const userId = c.req.param("userId");
		refuseOwnGrant(c.get("admin").userId, userId);
		await revokeGameRole(store, { userId: userId.slice(0, 64), gameId });
		return c.body(null, 204);
	});

	return routes;
}
