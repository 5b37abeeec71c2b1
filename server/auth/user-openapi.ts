// The admin users API in the OpenAPI document, built with the document's own helpers (see openapi/document.ts).
import type { OpenApiFragment } from "../openapi/fragment.js";
import type { z } from "zod";
import {
	adminUserSchema,
	createUserRequestSchema,
	createdUserResponseSchema,
	updateUserRequestSchema,
} from "./user-routes.js";

export const USER_COMPONENTS: Record<string, z.ZodType> = {
	AdminUser: adminUserSchema,
	CreateUserRequest: createUserRequestSchema,
	CreatedUser: createdUserResponseSchema,
	UpdateUserRequest: updateUserRequestSchema,
};

const ref = (id: keyof typeof USER_COMPONENTS) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: keyof typeof USER_COMPONENTS) => ({ "application/json": { schema: ref(id) } });

/** The users paths (instance admins only), with the document's problem responses and admin auth. */
export function userPaths(h: {
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
		...extra,
		responses: { ...responses, ...h.adminAuth },
	});
	const userId = { name: "userId", in: "path", required: true, schema: { type: "string", maxLength: 64 } };
	return {
		"/v1/admin/users": {
			get: operation("listUsers", "List dashboard/admin users, without password hashes (instance admin)", {
				"200": {
					description: "Users, oldest first.",
					content: {
						"application/json": {
							schema: {
								type: "object",
								properties: { users: { type: "array", items: ref("AdminUser") } },
								required: ["users"],
							},
						},
					},
				},
			}),
			post: operation(
				"createUser",
				"Create a user (optionally instance admin, with roles on games) with an initial password, or a generated one answered once (instance admin)",
				{
					"201": {
						description: "Created (Cache-Control: no-store).",
						headers: { "Cache-Control": { schema: { type: "string", const: "no-store" } } },
						content: json("CreatedUser"),
					},
					"400": h.problem("Invalid email, role or password (12 to 1024 characters), or an unknown member.", false),
					"404": h.problem("A game in `games` does not exist (nobody is created).", false),
					"409": h.problem("A user with this email exists.", false),
					"415": h.problem("Not application/json.", false),
				},
				{ requestBody: { required: true, content: json("CreateUserRequest") } },
			),
		},
		"/v1/admin/users/{userId}": {
			patch: operation(
				"updateUser",
				"Make a user instance admin or not, disable or re-enable them; takes effect on their next request (instance admin)",
				{
					"200": { description: "The user as updated.", content: json("AdminUser") },
					"400": h.problem("Invalid change: an unknown role or member, or nothing to change.", false),
					"404": h.problem("Unknown user.", false),
					"409": h.problem("The caller's own account: another admin (or the CLI) must change it.", false),
					"415": h.problem("Not application/json.", false),
				},
				{ parameters: [userId], requestBody: { required: true, content: json("UpdateUserRequest") } },
			),
		},
	};
}

/** This module's part of the OpenAPI document (listed in openapi/fragments.ts). */
export const usersOpenApi: OpenApiFragment = { components: USER_COMPONENTS, paths: userPaths };
