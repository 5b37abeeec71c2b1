import { z } from "zod";
import { GAME_SCOPES } from "../auth/roles.js";
import { REPLAYED_HEADER } from "../ingest/routes.js";
import type { OpenApiFragment } from "./fragment.js";
import { OPENAPI_FRAGMENTS } from "./fragments.js";
import { OPENAPI_HELPERS, problemSchema } from "./helpers.js";

export { problemSchema } from "./helpers.js";

const RETRY_SEMANTICS = `
## Retry semantics

Every request is safe to retry with the same body: a batch is idempotent by its \`batchId\` (the stored first answer
is replayed with \`${REPLAYED_HEADER}: true\`) and every event by its id.

| Status | Meaning | Client action |
| --- | --- | --- |
| 200 | Batch processed | Done. Events in \`rejected\` are invalid (\`invalid_event\`) or outside the time window (\`implausible_time\`) and must not be resent; the others are stored. |
| 400 | Envelope invalid (\`validation_failed\`, \`invalid_json\`, \`invalid_gzip\`) | Do not retry; drop the batch and report. |
| 401 (batches) | Token missing/expired/revoked (\`invalid_token\`) | Get a new token once, then retry. |
| 401 (token endpoint) | \`invalid_client\`: the game key is wrong or revoked | Do not retry; stop sending. |
| 403 | Scope or game mismatch | Do not retry. |
| 405 | Wrong method for the path; \`Allow\` lists the right ones | Do not retry (client bug). |
| 409 (batches) | The batchId was used for other events | Do not retry; a new batch takes a new batchId. |
| 413 | Body over the compressed or inflated limit | Split the batch in halves (new batchIds) and send each. |
| 415 | Wrong Content-Type / Content-Encoding | Do not retry (client bug). |
| 429 | Rate limited | Retry after \`Retry-After\` seconds. |
| 500, 502, 504, network error, timeout | Transient | Retry the same batch with capped exponential backoff and jitter. |
| 503 | Unavailable | Retry after \`Retry-After\` if present, else with backoff. |

## Units

Times in events, batches and event queries are unix milliseconds (UTC) unless a field says otherwise; the admin API's
experiment and settings times are ISO 8601 strings. Durations name their unit (\`…Seconds\`, \`…Days\`).
`;

/**
 * The fragments' components by id, plus the problem document every route answers errors with. Two fragments naming
 * the same component id is a programming error, caught here rather than one silently winning.
 */
function collectComponents(fragments: readonly OpenApiFragment[]): Record<string, z.ZodType> {
	const components: Record<string, z.ZodType> = { Problem: problemSchema };
	for (const fragment of fragments) {
		for (const [id, schema] of Object.entries(fragment.components ?? {})) {
			if (id in components && components[id] !== schema) throw new Error(`OpenAPI component "${id}" is defined twice.`);
			components[id] = schema;
		}
	}
	return components;
}

/** The fragments' path items; a path in two fragments is an error (one would hide the other's operations). */
function collectPaths(fragments: readonly OpenApiFragment[]): Record<string, unknown> {
	const paths: Record<string, unknown> = {};
	for (const fragment of fragments) {
		for (const [path, item] of Object.entries(fragment.paths?.(OPENAPI_HELPERS) ?? {})) {
			if (path in paths) throw new Error(`OpenAPI path "${path}" is in two fragments.`);
			paths[path] = item;
		}
	}
	return paths;
}

/** JSON Schemas (2020-12, what OpenAPI 3.1 uses) of every component, generated from the zod schemas that validate. */
export function componentSchemas(
	fragments: readonly OpenApiFragment[] = OPENAPI_FRAGMENTS,
): Record<string, Record<string, unknown>> {
	const registry = z.registry<{ id: string }>();
	for (const [id, schema] of Object.entries(collectComponents(fragments))) registry.add(schema, { id });
	const { schemas } = z.toJSONSchema(registry, {
		target: "draft-2020-12",
		io: "input",
		unrepresentable: "any",
		uri: (id) => `#/components/schemas/${id}`,
	});
	const out: Record<string, Record<string, unknown>> = {};
	for (const [id, schema] of Object.entries(schemas)) {
		const { $schema: _schema, $id: _id, ...rest } = schema as Record<string, unknown>;
		out[id] = rest;
	}
	return out;
}

/**
 * The OpenAPI 3.1 document of the public API, assembled from each module's fragment (fragments.ts): component schemas
 * come from the zod schemas the routes validate with, so the document cannot drift from the code's idea of a valid
 * request.
 *
 * @example
 * app.get("/openapi.json", (c) => c.json(buildOpenApiDocument()));
 */
export function buildOpenApiDocument(
	options: { version?: string; fragments?: readonly OpenApiFragment[] } = {},
): Record<string, unknown> {
	const fragments = options.fragments ?? OPENAPI_FRAGMENTS;
	return {
		openapi: "3.1.0",
		info: {
			title: "Vantage API",
			version: options.version ?? "0.1.0",
			description:
				"Analytics, experiments and player consent for Roblox games. Game servers exchange their game key for a " +
				"short-lived access token at `POST /v1/oauth/token`, then post gzip batches to `POST /v1/batches`.\n" +
				RETRY_SEMANTICS,
		},
		jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
		components: {
			schemas: componentSchemas(fragments),
			securitySchemes: {
				gameKeyBearer: {
					type: "http",
					scheme: "bearer",
					description:
						"The whole game key (`vk_….…`), as Roblox's HttpService:GetSecret can only prefix it into a header.",
				},
				gameKeyBasic: {
					type: "http",
					scheme: "basic",
					description:
						"client_id = the key id (before the dot), client_secret = the part after the dot or the whole key.",
				},
				gameToken: {
					type: "oauth2",
					description: "EdDSA-signed JWT (typ at+jwt) from the token endpoint; valid for VANTAGE_TOKEN_TTL_SECONDS.",
					flows: {
						clientCredentials: {
							tokenUrl: "/v1/oauth/token",
							scopes: Object.fromEntries(
								GAME_SCOPES.map((s) => [s, s === "ingest" ? "Post event batches." : "Read the game's configuration."]),
							),
						},
					},
				},
				adminToken: {
					type: "http",
					scheme: "bearer",
					bearerFormat: "JWT",
					description:
						"From POST /v1/admin/login. Roles are per game (owner > analyst > viewer; instance admins are owner of every game): a game the caller has no role on answers 404, as if it did not exist. The dashboard's page sends its session " +
						"cookie instead (set by the login form at /login) and the session's X-CSRF-Token with every state change.",
				},
			},
		},
		paths: collectPaths(fragments),
	};
}
