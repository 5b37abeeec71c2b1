import { z } from "zod";
import {
	adminMeSchema,
	adminTokenResponseSchema,
	apiKeySummarySchema,
	createdKeyResponseSchema,
	createGameRequestSchema,
	createKeyRequestSchema,
	gameSchema,
	loginRequestSchema,
} from "../auth/admin-routes.js";
import { GAME_SCOPES } from "../auth/roles.js";
import { USER_COMPONENTS, userPaths } from "../auth/user-openapi.js";
import { LIVE_COMPONENTS, livePaths } from "../live/openapi.js";
import { tokenRequestSchema, tokenResponseSchema } from "../auth/token-routes.js";
import { testDigestResultSchema } from "../digest/routes.js";
import { PROBLEM_CODES } from "../errors.js";
import { DEFAULT_EXPORT_PAGE_SIZE } from "../exports/events-export.js";
import { adaptiveUpdateSchema } from "../experiments/adaptive.js";
import { listExperimentsQuerySchema, resultsQuerySchema } from "../experiments/admin-routes.js";
import { conditionSchema } from "../experiments/condition.js";
import { createExperimentSchema, experimentSchema, updateExperimentSchema } from "../experiments/experiment.js";
import { createFlagSchema, flagSchema, jsonValueSchema, updateFlagSchema } from "../experiments/flag.js";
import { metricSchema } from "../experiments/metric.js";
import { PLANNING_COMPONENTS, planningPaths } from "../experiments/planning-openapi.js";
import { experimentResultsSchema } from "../experiments/results.js";
import { sdkConfigSchema } from "../experiments/sdk-config.js";
import {
	REPLAYED_HEADER,
	exportEventsQuerySchema,
	listEventsQuerySchema,
	listEventsResponseSchema,
} from "../ingest/routes.js";
import { METRIC_COMPONENTS, metricsPaths } from "../metrics/openapi.js";
import { PRIVACY_COMPONENTS, privacyPaths } from "../privacy/openapi.js";
import { CONSENT_COMPONENTS, consentPaths } from "../privacy/consent-openapi.js";
import { batchSchema, eventSchema, gameIdSchema, ingestResultSchema } from "../ingest/schema.js";
import { gameSettingsSchema, updateGameSettingsSchema } from "../settings/settings.js";
import { warehouseStatusSchema } from "../warehouse/admin-routes.js";

/** The problem document every error answers with (RFC 9457). */
export const problemSchema = z
	.object({
		type: z.string(),
		title: z.string(),
		status: z.number().int(),
		detail: z.string(),
		code: z.enum(PROBLEM_CODES).describe("Stable: branch on this, never on title or detail."),
		instance: z.string().optional(),
		requestId: z.string().optional().describe("Echo of X-Request-Id; quote it in support requests."),
		errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
		limitBytes: z.number().int().optional().describe("On 413: the limit that was exceeded."),
		retryAfterSeconds: z.number().int().optional().describe("On 429: the same value as Retry-After."),
		error: z.string().optional().describe("Token endpoint only: the RFC 6749 §5.2 error code."),
		error_description: z.string().optional(),
	})
	.catchall(z.unknown());

const jwksSchema = z.object({
	keys: z.array(
		z.object({
			kty: z.literal("OKP"),
			crv: z.literal("Ed25519"),
			x: z.string(),
			kid: z.string(),
			alg: z.literal("EdDSA"),
			use: z.literal("sig"),
		}),
	),
});

const COMPONENTS: Record<string, z.ZodType> = {
	...METRIC_COMPONENTS,
	...USER_COMPONENTS,
	...LIVE_COMPONENTS,
	...PLANNING_COMPONENTS,
	...PRIVACY_COMPONENTS,
	...CONSENT_COMPONENTS,
	Event: eventSchema,
	Batch: batchSchema,
	IngestResult: ingestResultSchema,
	ListEventsResponse: listEventsResponseSchema,
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
	Problem: problemSchema,
	Condition: conditionSchema,
	JsonValue: jsonValueSchema,
	Metric: metricSchema,
	Experiment: experimentSchema,
	CreateExperimentRequest: createExperimentSchema,
	UpdateExperimentRequest: updateExperimentSchema,
	ExperimentResults: experimentResultsSchema,
	AdaptiveUpdate: adaptiveUpdateSchema,
	Flag: flagSchema,
	CreateFlagRequest: createFlagSchema,
	UpdateFlagRequest: updateFlagSchema,
	SdkConfig: sdkConfigSchema,
	GameSettings: gameSettingsSchema,
	UpdateGameSettingsRequest: updateGameSettingsSchema,
	TestDigestResult: testDigestResultSchema,
	WarehouseStatus: warehouseStatusSchema,
};

/** JSON Schemas (2020-12, what OpenAPI 3.1 uses) of every component, generated from the zod schemas that validate. */
export function componentSchemas(): Record<string, Record<string, unknown>> {
	const registry = z.registry<{ id: string }>();
	for (const [id, schema] of Object.entries(COMPONENTS)) registry.add(schema, { id });
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

const ref = (id: keyof typeof COMPONENTS) => ({ $ref: `#/components/schemas/${id}` });

/** A required path parameter; `gameId` carries the game id rules. */
function pathParam(name: "gameId" | "keyId" | "key") {
	const schema =
		name === "gameId" ? z.toJSONSchema(gameIdSchema, { target: "draft-2020-12" }) : { type: "string", maxLength: 64 };
	const { $schema: _, ...rest } = schema as Record<string, unknown>;
	return { name, in: "path", required: true, schema: rest };
}

/** `{ [member]: [component…] }`, the shape of the admin list answers. */
function listOf(member: string, id: keyof typeof COMPONENTS) {
	return {
		"application/json": {
			schema: { type: "object", properties: { [member]: { type: "array", items: ref(id) } }, required: [member] },
		},
	};
}
const json = (id: keyof typeof COMPONENTS) => ({ "application/json": { schema: ref(id) } });

const ok = (description: string, id: keyof typeof COMPONENTS) => ({ description, content: json(id) });

/** An admin API operation: admin-token security and the admin 401/403 answers added to `responses`. */
function adminOperation(
	operationId: string,
	summary: string,
	responses: Record<string, unknown>,
	extra: { parameters?: unknown[]; requestBody?: unknown } = {},
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

/** A problem response; `retryable` becomes `x-retryable` so generated clients and people see the rule per status. */
function problem(description: string, retryable: boolean, headers: Record<string, unknown> = {}) {
	return {
		description,
		"x-retryable": retryable,
		headers,
		content: { "application/problem+json": { schema: ref("Problem") } },
	};
}

const retryAfter = {
	"Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "integer", minimum: 1 } },
};

const COMMON = {
	"500": problem("Unexpected server error. Retry with backoff: batches are idempotent by batchId.", true),
	"503": problem("Store unavailable. Retry after Retry-After, else with backoff.", true, retryAfter),
};

const GAME_AUTH = {
	"401": problem(
		'Missing, invalid, expired or revoked access token (WWW-Authenticate: Bearer … error="invalid_token"). Fetch a new token once, then retry.',
		true,
	),
	"403": problem("The token lacks the scope (insufficient_scope) or names another game. Not retryable.", false),
};

const ADMIN_AUTH = {
	"401": problem("Missing or invalid admin token, or the user is disabled. Log in again.", false),
	"403": problem("The user's role is too low for this route. Not retryable.", false),
};

const RETRY_SEMANTICS = `
## Retry semantics

Every request is safe to retry with the same body: a batch is idempotent by its \`batchId\` (the stored first answer
is replayed with \`${REPLAYED_HEADER}: true\`) and every event by its id.

| Status | Meaning | Client action |
| --- | --- | --- |
| 200 | Batch processed | Done. Events in \`rejected\` are invalid and must not be resent; the others are stored. |
| 400 | Envelope invalid (\`validation_failed\`, \`invalid_json\`, \`invalid_gzip\`) | Do not retry; drop the batch and report. |
| 401 (batches) | Token missing/expired/revoked (\`invalid_token\`) | Get a new token once, then retry. |
| 401 (token endpoint) | \`invalid_client\`: the game key is wrong or revoked | Do not retry; stop sending. |
| 403 | Scope or game mismatch | Do not retry. |
| 413 | Body over the compressed or inflated limit | Split the batch in halves (new batchIds) and send each. |
| 415 | Wrong Content-Type / Content-Encoding | Do not retry (client bug). |
| 429 | Rate limited | Retry after \`Retry-After\` seconds. |
| 500, 502, 504, network error, timeout | Transient | Retry the same batch with capped exponential backoff and jitter. |
| 503 | Unavailable | Retry after \`Retry-After\` if present, else with backoff. |
`;

const CONFIG_HEADERS = {
	ETag: { description: "Strong tag of this content; send it back in If-None-Match.", schema: { type: "string" } },
	"Cache-Control": { schema: { type: "string", const: "no-cache" } },
};

const CONFIG_DESCRIPTION = `
What the SDK assigns from, without network calls per player. Poll it periodically with \`If-None-Match\`; keep serving
the last good config when a poll fails.

- \`experiments\`: running experiments inside their schedule (\`status: "running"\`), plus drafts (and running ones
  before their start) that have forced QA users (\`status: "draft"\`: only forced users are assigned). Stopped and
  ended experiments are absent (the SDK serves control). Each has the fields of the SDK's ExperimentConfig:
  \`variations\` (control first; weights sum to 1; adaptive experiments serve their latest weights), \`coverage\`,
  \`hashAttribute\`, \`seed\`, \`hashVersion\` (always present), optional \`namespace\` as \`[id, start, end]\`,
  optional \`forcedVariations\` (UserId → variation index), optional \`condition\` and \`assignment\`
  (\`deterministic\`, \`random\`, \`stratified\` with \`strata\`, \`adaptive\`).
- \`flags\`: every flag of the game. Value for a unit: disabled, condition false, no hash value or hash outside
  every variation's range (coverage × weight) → \`defaultValue\`; else the value of the variation whose range holds
  hash(seed, value, hashVersion).
- Conditions: members are ANDed; an attribute maps to a scalar (equality) or operators \`$eq $ne $in $nin $gt $gte
  $lt $lte $exists\`; \`$and\`/\`$or\` take lists and \`$not\` one condition. Only strings, finite numbers and
  booleans count as values; equality is strict; \`$gt\`… compare numbers only; on an absent attribute only
  \`$exists: false\`, \`$ne\` and \`$nin\` hold.
- \`consent\`: \`policyVersion\` (the version in effect; null before the game publishes one; a player's stored answer
  to another version means asking again), \`categories\` (analytics, experiments, personalization), \`optInRegions\`
  (EEA, UK, CH: players there must opt in; treat an unknown country as one of them) and \`defaultMode\` (the game's
  \`consentDefault\` setting, for every other country: \`opt-in\` or \`opt-out\`).
`;

/**
 * The OpenAPI 3.1 document of the public API: component schemas come from the zod schemas the routes validate
 * with, so the document cannot drift from the code's idea of a valid request.
 *
 * @example
 * app.get("/openapi.json", (c) => c.json(buildOpenApiDocument({ issuer: config.issuer })));
 */
export function buildOpenApiDocument(options: { version?: string } = {}): Record<string, unknown> {
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
			schemas: componentSchemas(),
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
						"From POST /v1/admin/login. Roles: owner > analyst > viewer. The dashboard's page sends its session " +
						"cookie instead (set by the login form at /login) and the session's X-CSRF-Token with every state change.",
				},
			},
		},
		paths: {
			...metricsPaths({ gameIdParam: pathParam("gameId"), problem, adminAuth: ADMIN_AUTH }),
			...userPaths({ problem, adminAuth: ADMIN_AUTH }),
			...privacyPaths({ gameIdParam: pathParam("gameId"), problem, adminAuth: ADMIN_AUTH }),
			...consentPaths({ gameIdParam: pathParam("gameId"), problem, adminAuth: ADMIN_AUTH }),
			...livePaths({ gameIdParam: pathParam("gameId"), problem, adminAuth: ADMIN_AUTH, retryAfter, queryParameters }),
			...planningPaths({
				gameIdParam: pathParam("gameId"),
				keyParam: pathParam("key"),
				problem,
				adminAuth: ADMIN_AUTH,
			}),
			"/v1/oauth/token": {
				post: {
					operationId: "issueToken",
					summary: "Exchange a game key for an access token (OAuth 2.0 client credentials, RFC 6749 §4.4)",
					tags: ["auth"],
					security: [{ gameKeyBearer: [] }, { gameKeyBasic: [] }],
					requestBody: {
						required: true,
						content: {
							"application/x-www-form-urlencoded": { schema: ref("TokenRequest") },
							"application/json": { schema: ref("TokenRequest") },
						},
					},
					responses: {
						"200": {
							description: "A token. Cache it and request a new one shortly before `expires_in` runs out.",
							headers: { "Cache-Control": { schema: { type: "string", const: "no-store" } } },
							content: json("TokenResponse"),
						},
						"400": problem("invalid_request, unsupported_grant_type or invalid_scope. Not retryable.", false),
						"401": problem("invalid_client: unknown, wrong or revoked game key. Not retryable.", false),
						"413": problem("Body over 4096 bytes. Not retryable.", false),
						"415": problem("Content-Type not form or JSON. Not retryable.", false),
						"429": problem("Too many token requests from this address.", true, retryAfter),
						...COMMON,
					},
				},
			},
			"/.well-known/jwks.json": {
				get: {
					operationId: "jwks",
					summary: "Public keys that verify access tokens (RFC 7517)",
					tags: ["auth"],
					security: [],
					responses: { "200": { description: "The key set.", content: json("Jwks") } },
				},
			},
			"/v1/batches": {
				post: {
					operationId: "postBatch",
					summary: "Send a batch of events (the game comes from the token)",
					description:
						"gzip (`Content-Encoding: gzip`) is accepted and recommended. Invalid events are reported by index in " +
						"`rejected` and the rest are stored. A batchId seen before answers with the first answer and stores nothing. " +
						"Event times are moved by the sender's clock skew (arrival time minus `sentAt`, when over 5 s) unless the " +
						"game's `trustClientClock` setting is on.",
					tags: ["ingest"],
					security: [{ gameToken: ["ingest"] }],
					parameters: [
						{
							name: "Content-Encoding",
							in: "header",
							required: false,
							schema: { type: "string", enum: ["gzip", "identity"] },
						},
					],
					requestBody: { required: true, content: json("Batch") },
					responses: {
						"200": {
							description: "Processed (also when some events were rejected).",
							headers: {
								[REPLAYED_HEADER]: {
									description: "`true` when this batchId was seen before: the body is the first answer.",
									schema: { type: "string", const: "true" },
								},
							},
							content: json("IngestResult"),
						},
						"400": problem("The envelope, JSON or gzip is invalid. Not retryable.", false),
						"409": problem(
							"The batchId was already used for other events (a retry must resend the same events; a new batch takes a new batchId). Not retryable.",
							false,
						),
						...GAME_AUTH,
						"413": problem("Compressed or inflated body over the limit. Split the batch and retry.", true),
						"415": problem("Not application/json, or an encoding other than gzip. Not retryable.", false),
						"429": problem("The game is over its rate limit.", true, retryAfter),
						...COMMON,
					},
				},
			},
			"/v1/games/{gameId}/batches": {
				post: {
					operationId: "postGameBatch",
					summary: "Send a batch naming the game in the path (deprecated: use /v1/batches)",
					deprecated: true,
					tags: ["ingest"],
					security: [{ gameToken: ["ingest"] }],
					parameters: [pathParam("gameId")],
					requestBody: { required: true, content: json("Batch") },
					responses: {
						"200": { description: "As POST /v1/batches.", content: json("IngestResult") },
						"400": problem("Invalid envelope or game id.", false),
						...GAME_AUTH,
						"413": problem("Over the limit; split.", true),
						"429": problem("Rate limited.", true, retryAfter),
						...COMMON,
					},
				},
			},
			"/v1/games/{gameId}/events": {
				get: {
					operationId: "listEvents",
					summary: "Read stored events back in id (≈ time) order (analyst or owner)",
					tags: ["ingest"],
					security: [{ adminToken: [] }],
					parameters: [pathParam("gameId"), ...queryParameters(listEventsQuerySchema)],
					responses: {
						"200": { description: "A page of events.", content: json("ListEventsResponse") },
						"400": problem("Invalid query, an unknown parameter, or `from` not before `to`.", false),
						...ADMIN_AUTH,
					},
				},
			},
			"/v1/games/{gameId}/events/export": {
				get: {
					operationId: "exportEvents",
					summary: "Download every matching event as NDJSON, CSV or Parquet (analyst or owner)",
					description:
						"Streamed in id (≈ time) order as the client reads it, so exports of any size use little server " +
						"memory. Columns: id, gameId, batchId, userId, sessionId, type, name, time (unix milliseconds), " +
						"receivedAt (unix milliseconds), props (an object in NDJSON, JSON text in CSV and Parquet). CSV " +
						"follows RFC 4180 (CRLF, UTF-8, header row). Parquet: strings UTF8, userId INT64, time and " +
						"receivedAt INT64 unix milliseconds annotated as UTC timestamps, props JSON; one row group per " +
						`${DEFAULT_EXPORT_PAGE_SIZE} events. A failure after the download started ends it early (the ` +
						"file is then incomplete).",
					tags: ["ingest"],
					security: [{ adminToken: [] }],
					parameters: [pathParam("gameId"), ...queryParameters(exportEventsQuerySchema)],
					responses: {
						"200": {
							description: "The file, as an attachment named `events-<gameId>.<ndjson|csv|parquet>`.",
							headers: {
								"Content-Disposition": {
									description: 'attachment; filename="events-<gameId>.<extension>"',
									schema: { type: "string" },
								},
							},
							content: {
								"application/x-ndjson": {
									schema: { type: "string", description: "One JSON object per line (LF)." },
								},
								"text/csv; charset=utf-8": { schema: { type: "string" } },
								"application/vnd.apache.parquet": {
									schema: { type: "string", contentMediaType: "application/vnd.apache.parquet" },
								},
							},
						},
						"400": problem("Invalid query, an unknown parameter, or `from` not before `to`.", false),
						...ADMIN_AUTH,
					},
				},
			},
			"/v1/admin/login": {
				post: {
					operationId: "adminLogin",
					summary: "Log in a dashboard/admin user",
					tags: ["admin"],
					security: [],
					requestBody: { required: true, content: json("LoginRequest") },
					responses: {
						"200": { description: "An admin token.", content: json("AdminToken") },
						"400": problem("Malformed body.", false),
						"401": problem("Wrong email or password (one answer for both).", false),
						"429": problem("Too many login attempts from this address.", true, retryAfter),
					},
				},
			},
			"/v1/admin/me": { get: adminOperation("adminMe", "The logged-in user", { "200": ok("The user.", "AdminMe") }) },
			"/v1/admin/games": {
				get: adminOperation("listGames", "List games (viewer)", {
					"200": { description: "Games by id.", content: listOf("games", "Game") },
				}),
				post: adminOperation(
					"createGame",
					"Register a game (owner)",
					{
						"201": ok("Created.", "Game"),
						"400": problem("Invalid id.", false),
						"409": problem("The id is taken.", false),
					},
					{ requestBody: { required: true, content: json("CreateGameRequest") } },
				),
			},
			"/v1/admin/games/{gameId}/keys": {
				get: adminOperation(
					"listKeys",
					"List a game's keys, without secrets (owner)",
					{ "200": { description: "Keys, oldest first.", content: listOf("keys", "ApiKey") } },
					{ parameters: [pathParam("gameId")] },
				),
				post: adminOperation(
					"createKey",
					"Create a game key; the key is in this answer only (owner)",
					{ "201": ok("Created.", "CreatedKey"), "404": problem("Unknown game.", false) },
					{ parameters: [pathParam("gameId")], requestBody: { required: true, content: json("CreateKeyRequest") } },
				),
			},
			"/v1/admin/keys/{keyId}/revoke": {
				post: adminOperation(
					"revokeKey",
					"Revoke a key: its tokens stop working at once (owner)",
					{ "200": ok("The revoked key.", "ApiKey"), "404": problem("Unknown key.", false) },
					{ parameters: [pathParam("keyId")] },
				),
			},
			"/v1/config": {
				get: {
					operationId: "getConfig",
					summary: "The game's running experiments and its flags, for the SDK (scope config)",
					description: CONFIG_DESCRIPTION,
					tags: ["experiments"],
					security: [{ gameToken: ["config"] }],
					parameters: [
						{
							name: "If-None-Match",
							in: "header",
							required: false,
							description: "The ETag of the config held: 304 when it is still current.",
							schema: { type: "string" },
						},
					],
					responses: {
						"200": {
							description: "The config.",
							headers: CONFIG_HEADERS,
							content: json("SdkConfig"),
						},
						"304": { description: "Unchanged since the ETag in If-None-Match; no body.", headers: CONFIG_HEADERS },
						...GAME_AUTH,
						...COMMON,
					},
				},
			},
			"/v1/admin/games/{gameId}/experiments": {
				get: adminOperation(
					"listExperiments",
					"List a game's experiments (viewer)",
					{
						"200": { description: "By key.", content: listOf("experiments", "Experiment") },
						"400": problem("Invalid status filter.", false),
						"404": problem("Unknown game.", false),
					},
					{ parameters: [pathParam("gameId"), ...queryParameters(listExperimentsQuerySchema)] },
				),
				post: adminOperation(
					"createExperiment",
					"Create an experiment, as a draft unless status is running (analyst)",
					{
						"201": ok("Created.", "Experiment"),
						"400": problem("Invalid definition (validation_failed lists every problem).", false),
						"404": problem("Unknown game.", false),
						"409": problem("The key is taken in this game.", false),
					},
					{
						parameters: [pathParam("gameId")],
						requestBody: { required: true, content: json("CreateExperimentRequest") },
					},
				),
			},
			"/v1/admin/games/{gameId}/experiments/{key}": {
				get: adminOperation(
					"getExperiment",
					"One experiment (viewer)",
					{ "200": ok("The experiment.", "Experiment"), "404": problem("Unknown game or experiment.", false) },
					{ parameters: [pathParam("gameId"), pathParam("key")] },
				),
				patch: adminOperation(
					"updateExperiment",
					"Edit an experiment or change its status: draft → running → stopped (analyst)",
					{
						"200": ok("The experiment as updated.", "Experiment"),
						"400": problem("Invalid update.", false),
						"404": problem("Unknown game or experiment.", false),
						"409": problem(
							"Invalid status transition, a field frozen since the start, or a concurrent edit (read again and retry).",
							false,
						),
					},
					{
						parameters: [pathParam("gameId"), pathParam("key")],
						requestBody: { required: true, content: json("UpdateExperimentRequest") },
					},
				),
				delete: adminOperation(
					"deleteExperiment",
					"Delete a draft or stopped experiment (analyst)",
					{
						"204": { description: "Deleted." },
						"404": problem("Unknown game or experiment.", false),
						"409": problem("The experiment is running: stop it first.", false),
					},
					{ parameters: [pathParam("gameId"), pathParam("key")] },
				),
			},
			"/v1/admin/games/{gameId}/experiments/{key}/results": {
				get: adminOperation(
					"experimentResults",
					"Results of one metric: per-variation totals, frequentist and Bayesian comparisons, SRM, daily series (viewer)",
					{
						"200": ok("The results.", "ExperimentResults"),
						"400": problem("Invalid query, unknown metric or empty window.", false),
						"404": problem("Unknown game or experiment.", false),
					},
					{ parameters: [pathParam("gameId"), pathParam("key"), ...queryParameters(resultsQuerySchema)] },
				),
			},
			"/v1/admin/games/{gameId}/experiments/{key}/adaptive-update": {
				post: adminOperation(
					"adaptiveUpdate",
					"Recompute an adaptive experiment's weights now (the server also does it hourly) (analyst)",
					{
						"200": ok("The weights now served.", "AdaptiveUpdate"),
						"404": problem("Unknown game or experiment.", false),
						"409": problem("Not a running adaptive experiment with a primary metric.", false),
					},
					{ parameters: [pathParam("gameId"), pathParam("key")] },
				),
			},
			"/v1/admin/games/{gameId}/flags": {
				get: adminOperation(
					"listFlags",
					"List a game's feature flags (viewer)",
					{
						"200": { description: "By key.", content: listOf("flags", "Flag") },
						"404": problem("Unknown game.", false),
					},
					{ parameters: [pathParam("gameId")] },
				),
				post: adminOperation(
					"createFlag",
					"Create a feature flag, off by default (analyst)",
					{
						"201": ok("Created.", "Flag"),
						"400": problem("Invalid definition.", false),
						"404": problem("Unknown game.", false),
						"409": problem("The key is taken in this game.", false),
					},
					{ parameters: [pathParam("gameId")], requestBody: { required: true, content: json("CreateFlagRequest") } },
				),
			},
			"/v1/admin/games/{gameId}/flags/{key}": {
				get: adminOperation(
					"getFlag",
					"One feature flag (viewer)",
					{ "200": ok("The flag.", "Flag"), "404": problem("Unknown game or flag.", false) },
					{ parameters: [pathParam("gameId"), pathParam("key")] },
				),
				patch: adminOperation(
					"updateFlag",
					"Edit a feature flag (analyst)",
					{
						"200": ok("The flag as updated.", "Flag"),
						"400": problem("Invalid update.", false),
						"404": problem("Unknown game or flag.", false),
						"409": problem("A concurrent edit: read again and retry.", false),
					},
					{
						parameters: [pathParam("gameId"), pathParam("key")],
						requestBody: { required: true, content: json("UpdateFlagRequest") },
					},
				),
				delete: adminOperation(
					"deleteFlag",
					"Delete a feature flag (analyst)",
					{ "204": { description: "Deleted." }, "404": problem("Unknown game or flag.", false) },
					{ parameters: [pathParam("gameId"), pathParam("key")] },
				),
			},
			"/v1/admin/games/{gameId}/settings": {
				get: adminOperation(
					"getGameSettings",
					"A game's settings: time zone, raw-event retention, daily digest, client clock trust (viewer)",
					{
						"200": ok("The settings (the defaults if never changed).", "GameSettings"),
						"404": problem("Unknown game.", false),
					},
					{ parameters: [pathParam("gameId")] },
				),
				patch: adminOperation(
					"updateGameSettings",
					"Change a game's settings; members left out keep their value (owner)",
					{
						"200": ok("The settings as updated.", "GameSettings"),
						"400": problem(
							"Invalid settings: an unknown time zone, a URL that is not http(s) (or is the masked value), a value out of range, or an unknown member.",
							false,
						),
						"404": problem("Unknown game.", false),
						"415": problem("Not application/json.", false),
					},
					{
						parameters: [pathParam("gameId")],
						requestBody: { required: true, content: json("UpdateGameSettingsRequest") },
					},
				),
			},
			"/v1/admin/games/{gameId}/digest/test": {
				post: adminOperation(
					"testDigest",
					"Post yesterday's daily digest to the game's webhook now, marked as a test, in one attempt (owner)",
					{
						"200": ok(
							"What the webhook did; a refusal is an outcome here, not an error. The day's scheduled digest is not affected.",
							"TestDigestResult",
						),
						"404": problem("Unknown game.", false),
						"409": problem("The game has no digest webhook: set digestWebhookUrl first.", false),
					},
					{ parameters: [pathParam("gameId")] },
				),
			},
			"/v1/admin/warehouse": {
				get: adminOperation("getWarehouseStatus", "Where the rollup job stands: pending batches, rebuilds (viewer)", {
					"200": ok("The warehouse's status.", "WarehouseStatus"),
				}),
			},
			"/v1/admin/games/{gameId}/warehouse/rebuild": {
				post: adminOperation(
					"rebuildWarehouse",
					"Clear a game's rollups and refold them from its raw events in the background (owner)",
					{
						"202": ok(
							"The rollups are cleared and the rebuild is queued; poll GET /v1/admin/warehouse until `rebuilding` " +
								"is 0. Until then the game's metrics are partial. Days whose raw events were purged (rawRetentionDays) " +
								"cannot be refolded and stay empty.",
							"WarehouseStatus",
						),
						"400": problem("Invalid game id.", false),
						"404": problem("Unknown game.", false),
					},
					{ parameters: [pathParam("gameId")] },
				),
			},
			"/healthz": {
				get: {
					operationId: "healthz",
					summary: "Liveness",
					tags: ["ops"],
					security: [],
					responses: { "200": { description: "The process is up." } },
				},
			},
			"/readyz": {
				get: {
					operationId: "readyz",
					summary: "Readiness: the store answers",
					tags: ["ops"],
					security: [],
					responses: { "200": { description: "Ready." }, "503": problem("The store is unreachable.", true) },
				},
			},
			"/metrics": {
				get: {
					operationId: "metrics",
					summary: "Prometheus metrics (VANTAGE_METRICS_TOKEN bearer, or an admin token)",
					tags: ["ops"],
					security: [{ adminToken: [] }],
					responses: {
						"200": {
							description: "Prometheus text format 0.0.4.",
							content: { "text/plain": { schema: { type: "string" } } },
						},
						"401": problem("No scrape or admin token.", false),
					},
				},
			},
		},
	};
}

/** Query parameters of an object schema, each with its JSON Schema. */
function queryParameters(schema: z.ZodObject): Record<string, unknown>[] {
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
