// The per-game access API in the OpenAPI document (issue 15): a game's members, grants and revocations. Built with
// the document's own helpers (see openapi/document.ts); registered there with one line.
import type { z } from "zod";
import type { OpenApiFragment } from "../openapi/fragment.js";
import { gameMemberSchema, grantRequestSchema } from "./access-routes.js";

export const ACCESS_COMPONENTS: Record<string, z.ZodType> = {
	GameMember: gameMemberSchema,
	GrantRequest: grantRequestSchema,
};

const ref = (id: keyof typeof ACCESS_COMPONENTS) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: keyof typeof ACCESS_COMPONENTS) => ({ "application/json": { schema: ref(id) } });

/**
 * The members paths (the game's owners and instance admins). A caller without a role on the game gets 404, as for a
 * game that does not exist; a role below owner gets 403.
 */
export function accessPaths(h: {
	gameIdParam: unknown;
	problem: (description: string, retryable: boolean) => unknown;
	adminAuth: Record<string, unknown>;
}): Record<string, unknown> {
	const operation = (
		operationId: string,
		summary: string,
		responses: Record<string, unknown>,
		extra: { parameters?: unknown[]; requestBody?: unknown } = {},
	) => ({
		operationId,
		summary,
		tags: ["admin"],
		security: [{ adminToken: [] }],
		parameters: [h.gameIdParam, ...(extra.parameters ?? [])],
		...(extra.requestBody ? { requestBody: extra.requestBody } : {}),
		responses: {
			...responses,
			...h.adminAuth,
			"403": h.problem("The caller's role on this game is below owner. Not retryable.", false),
		},
	});
	const userId = {
		name: "userId",
		in: "path",
		required: true,
		description: "The member's user id (usr_…), from the members list.",
		schema: { type: "string", maxLength: 64 },
	};
	const unknownGame = "Unknown game, or one the caller has no role on (the same answer: ids cannot be probed).";
	return {
		"/v1/admin/games/{gameId}/members": {
			get: operation("listGameMembers", "Who can open the game: its grants and the instance admins (owner)", {
				"200": {
					description: "Members by email.",
					content: {
						"application/json": {
							schema: {
								type: "object",
								properties: { members: { type: "array", items: ref("GameMember") } },
								required: ["members"],
							},
						},
					},
				},
				"400": h.problem("Invalid game id.", false),
				"404": h.problem(unknownGame, false),
			}),
			post: operation(
				"grantGameRole",
				"Give an existing user a role on the game, or change it; applies to their next request (owner)",
				{
					"200": { description: "The member as now granted.", content: json("GameMember") },
					"400": h.problem("Invalid game id, email or role.", false),
					"404": h.problem(`${unknownGame} Or no user has the email.`, false),
					"409": h.problem("The caller's own grant: another owner or an admin must change it.", false),
					"415": h.problem("Not application/json.", false),
				},
				{ requestBody: { required: true, content: json("GrantRequest") } },
			),
		},
		"/v1/admin/games/{gameId}/members/{userId}": {
			delete: operation(
				"revokeGameRole",
				"Take a user's role on the game away; applies to their next request (owner)",
				{
					"204": { description: "Revoked." },
					"400": h.problem("Invalid game id.", false),
					"404": h.problem(`${unknownGame} Or the user has no role on it.`, false),
					"409": h.problem("The caller's own grant: another owner or an admin must change it.", false),
				},
				{ parameters: [userId] },
			),
		},
	};
}

/** This module's part of the OpenAPI document (listed in openapi/fragments.ts). */
export const accessOpenApi: OpenApiFragment = { components: ACCESS_COMPONENTS, paths: accessPaths };
