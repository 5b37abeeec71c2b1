// The building blocks every OpenAPI fragment uses (server/<module>/*openapi.ts): one way to write a problem response,
// an admin operation, a path or query parameter, a reference to a component. A fragment receives them as `h` (see
// fragment.ts) or imports them from here.
import { z } from "zod";
import { PROBLEM_CODES } from "../errors.js";
import { gameIdSchema } from "../ingest/schema.js";

/** The problem document every error answers with (RFC 9457). */
export const problemSchema = z
	.object({
		type: z.string().describe("URI of the problem type: `urn:vantage:problem:<code>`."),
		title: z.string().describe("Short summary of the problem type, for people."),
		status: z.number().int().describe("The HTTP status code of the response."),
		detail: z.string().describe("What went wrong in this request, for people."),
		code: z.enum(PROBLEM_CODES).describe("Stable: branch on this, never on title or detail."),
		instance: z.string().optional().describe("The request path the problem occurred on."),
		requestId: z.string().optional().describe("Echo of X-Request-Id; quote it in support requests."),
		errors: z
			.array(
				z.object({
					path: z.string().describe("Dotted path of the invalid member (`props.level`), empty for the whole body."),
					message: z.string().describe("The rule the member breaks."),
				}),
			)
			.optional()
			.describe("On validation_failed: every problem found, by member."),
		limitBytes: z.number().int().optional().describe("On 413: the limit that was exceeded."),
		retryAfterSeconds: z.number().int().optional().describe("On 429: the same value as Retry-After."),
		error: z.string().optional().describe("Token endpoint only: the RFC 6749 §5.2 error code."),
		error_description: z.string().optional().describe("Token endpoint only: the RFC 6749 error description."),
	})
	.catchall(z.unknown())
	.describe("An error (RFC 9457 problem details), with a stable `code`.");

/** A `$ref` to a component schema (a fragment's own or another's: the drift test checks every reference resolves). */
export const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

/** A JSON body of one component. */
export const json = (id: string) => ({ "application/json": { schema: ref(id) } });

/** A response with a JSON body of one component. */
export const ok = (description: string, id: string) => ({ description, content: json(id) });

/** `{ [member]: [component…] }`, the shape of the admin list answers. */
export function listOf(member: string, id: string) {
	return {
		"application/json": {
			schema: { type: "object", properties: { [member]: { type: "array", items: ref(id) } }, required: [member] },
		},
	};
}

/** A problem response; `retryable` becomes `x-retryable` so generated clients and people see the rule per status. */
export function problem(description: string, retryable: boolean, headers: Record<string, unknown> = {}) {
	return {
		description,
		"x-retryable": retryable,
		headers,
		content: { "application/problem+json": { schema: ref("Problem") } },
	};
}

export const retryAfter = {
	"Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "integer", minimum: 1 } },
};

/** 500 and 503, on the routes game servers call. */
export const COMMON = {
	"500": problem("Unexpected server error. Retry with backoff: batches are idempotent by batchId.", true),
	"503": problem("Store unavailable. Retry after Retry-After, else with backoff.", true, retryAfter),
};

/** The 401 and 403 of a route taking a game's access token. */
export const GAME_AUTH = {
	"401": problem(
		'Missing, invalid, expired or revoked access token, or an admin token (WWW-Authenticate: Bearer … error="invalid_token"). Fetch a new token once, then retry.',
		true,
	),
	"403": problem("The token lacks the scope (insufficient_scope) or names another game. Not retryable.", false),
};

/** The 401 and 403 of a route taking an admin token (or the dashboard's session). */
export const ADMIN_AUTH = {
	"401": problem("Missing or invalid admin token (or a game's token), or the user is disabled. Log in again.", false),
	"403": problem("The user's role is too low for this route. Not retryable.", false),
};

/** An admin API operation: admin-token security and the admin 401/403 answers added to `responses`. */
export function adminOperation(
	operationId: string,
	summary: string,
	responses: Record<string, unknown>,
	extra: { parameters?: unknown[]; requestBody?: unknown; description?: string } = {},
) {
	return {
		operationId,
		summary,
		tags: ["admin"],
		security: [{ adminToken: [] }],
		...extra,
		responses: { ...responses, ...ADMIN_AUTH },
	};
}

/** A required path parameter; `gameId` carries the game id rules. */
export function pathParam(name: "gameId" | "keyId" | "key") {
	const schema =
		name === "gameId" ? z.toJSONSchema(gameIdSchema, { target: "draft-2020-12" }) : { type: "string", maxLength: 64 };
	const { $schema: _, ...rest } = schema as Record<string, unknown>;
	const description = {
		gameId: "The game's id (its Roblox universe id, or the id it was registered with).",
		keyId: "A game key's public id (the part of the key before the dot).",
		key: "The experiment's or flag's key.",
	}[name];
	return { name, in: "path", required: true, description, schema: rest };
}

/** Query parameters of an object schema, each with its JSON Schema. */
export function queryParameters(schema: z.ZodObject): Record<string, unknown>[] {
	const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as {
		properties?: Record<string, unknown>;
		required?: string[];
	};
	return Object.entries(json.properties ?? {}).map(([name, property]) => {
		// Documentation viewers show a parameter's own description, not its schema's.
		const { description } = property as { description?: unknown };
		return {
			name,
			in: "query",
			required: json.required?.includes(name) ?? false,
			...(typeof description === "string" ? { description } : {}),
			schema: property,
		};
	});
}

/**
 * What a fragment's `paths` receives: the helpers above under the names the first fragments used
 * (`gameIdParam`, `keyParam`, `adminAuth`), so each fragment takes only the members it needs.
 */
export const OPENAPI_HELPERS = {
	problem,
	retryAfter,
	queryParameters,
	pathParam,
	gameIdParam: pathParam("gameId"),
	keyParam: pathParam("key"),
	adminAuth: ADMIN_AUTH,
	gameAuth: GAME_AUTH,
	common: COMMON,
	adminOperation,
	ref,
	json,
	ok,
	listOf,
};
export type OpenApiHelpers = typeof OPENAPI_HELPERS;
