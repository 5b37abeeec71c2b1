// The privacy routes in the OpenAPI document: their components (from the zod schemas that validate and answer) and
// paths, built with the document's own helpers (see openapi/document.ts).
import type { OpenApiFragment } from "../openapi/fragment.js";
import type { z } from "zod";
import { SIGNATURE_TOLERANCE_SECONDS } from "./roblox-signature.js";
import { playerExportSchema, privacyJobSchema, robloxWebhookSchema, webhookAnswerSchema } from "./routes.js";

export const PRIVACY_COMPONENTS: Record<string, z.ZodType> = {
	PlayerExport: playerExportSchema,
	PrivacyJob: privacyJobSchema,
	RobloxWebhookNotification: robloxWebhookSchema,
	RobloxWebhookAnswer: webhookAnswerSchema,
};

const EXPORT_DESCRIPTION = `
Everything this backend holds on one player of one game, for an access or portability request (GDPR Art. 15 and 20):
every raw event, every row of every table keyed by the player (rollups of their days, sessions, funnel steps,
experiment exposures; consent records as stored, sealed, in base64), the consent records opened with the player's key
(\`consent\`) and the experiments that force them into a variation. Nothing of any other player. The database stores
the player under a pseudonym (their UserId is kept only in the player vault, player-keys.db); the export shows the
UserId in its place, in \`events\` and in every \`user_id\` of \`records\`. Owners only: it is a dossier on one
person, meant for that person. Each download is recorded in the audit log (under the player's pseudonym).`;

const ERASE_DESCRIPTION = `
Starts erasing the player from the game (GDPR Art. 17) and answers at once with the job (\`Location\` names its
status URL). The job: stores a tombstone (a keyed hash of game and UserId, never the UserId) so ingest drops the
player's later events (\`erased\` in the batch answer); lets the warehouse fold what is pending; subtracts the player
from every rollup so every metric equals one computed without them; deletes every row keyed by the player (raw events,
per-player rollups, consent records, all stored under the player's pseudonym); drops their forced variations; deletes
their vault row (data key and pseudonym), after which the pseudonym in any backup of the database names nobody;
records the erasure in the audit log, the proof that remains. Requesting it again starts another job, which finds nothing left to delete.`;

const WEBHOOK_DESCRIPTION = `
The endpoint to give Roblox's Creator Hub for the Right-to-Erasure webhook. Not an admin route: Roblox signs each
delivery with the webhook's secret (VANTAGE_ROBLOX_WEBHOOK_SECRET): \`roblox-signature: t=<unix seconds>,v1=<base64
HMAC-SHA256(secret, "<t>." + raw body)>\`; several v1 values are accepted if any matches. The answer comes within a
few milliseconds; the erasure runs as a job (readable at /v1/admin/privacy/jobs/{jobId}) in every listed GameId
(universe id) this backend holds; unknown ones are listed as \`unknown_game\`.

Statuses, chosen for Roblox's retries (it retries non-2xx answers):
- 202 \`accepted\`: a new notification; the job has started.
- 200 \`replayed\`: this NotificationId was accepted before; the first job is returned and nothing runs again.
- 200 \`ignored\`: an authentic notification of another EventType (the Creator Hub's test button sends
  SampleNotification). Answering 4xx would only make Roblox retry something that can never succeed.
- 400: the body is not JSON, lacks the envelope, or a RightToErasureRequest lacks UserId / GameIds (a sender bug).
- 401: the signature header is missing or malformed, its timestamp is more than ${SIGNATURE_TOLERANCE_SECONDS / 60}
  minutes from the server's clock (past or future: a replayed or forged delivery), or no v1 matches (forged, or another
  secret). The detail says which.
- 503: VANTAGE_ROBLOX_WEBHOOK_SECRET is not set (Roblox retries; set it and deliveries go through).`;

/** The privacy paths, with the document's problem responses and admin auth. */
export function privacyPaths(h: {
	gameIdParam: unknown;
	problem: (description: string, retryable: boolean, headers?: Record<string, unknown>) => unknown;
	adminAuth: Record<string, unknown>;
}): Record<string, unknown> {
	const userIdParam = {
		name: "userId",
		in: "path",
		required: true,
		description: "The player's Roblox UserId (digits, not 0).",
		schema: { type: "string", pattern: "^[1-9][0-9]{0,15}$" },
	};
	const jobIdParam = { name: "jobId", in: "path", required: true, schema: { type: "string", format: "uuid" } };
	const json = (id: string) => ({ "application/json": { schema: { $ref: `#/components/schemas/${id}` } } });
	const invalid = h.problem("Invalid game id or UserId.", false);
	const unknownGame = h.problem("Unknown game.", false);
	return {
		"/v1/games/{gameId}/players/{userId}/export": {
			get: {
				operationId: "exportPlayer",
				summary: "Everything held on one player, as JSON (owner)",
				description: EXPORT_DESCRIPTION,
				tags: ["privacy"],
				security: [{ adminToken: [] }],
				parameters: [h.gameIdParam, userIdParam],
				responses: {
					"200": {
						description: 'The export, as an attachment named "player-<gameId>-<userId>.json".',
						content: json("PlayerExport"),
					},
					"400": invalid,
					...h.adminAuth,
					"404": unknownGame,
				},
			},
		},
		"/v1/games/{gameId}/players/{userId}": {
			delete: {
				operationId: "erasePlayer",
				summary: "Erase one player from the game: starts a job (owner)",
				description: ERASE_DESCRIPTION,
				tags: ["privacy"],
				security: [{ adminToken: [] }],
				parameters: [h.gameIdParam, userIdParam],
				responses: {
					"202": {
						description: "The job, pending.",
						headers: { Location: { description: "/v1/admin/privacy/jobs/{jobId}", schema: { type: "string" } } },
						content: json("PrivacyJob"),
					},
					"400": invalid,
					...h.adminAuth,
					"404": unknownGame,
				},
			},
		},
		"/v1/admin/privacy/jobs/{jobId}": {
			get: {
				operationId: "getPrivacyJob",
				summary: "An erasure job's status (owner)",
				tags: ["privacy"],
				security: [{ adminToken: [] }],
				parameters: [jobIdParam],
				responses: {
					"200": { description: "The job.", content: json("PrivacyJob") },
					...h.adminAuth,
					"404": h.problem("No such job.", false),
				},
			},
		},
		"/v1/webhooks/roblox": {
			post: {
				operationId: "robloxWebhook",
				summary: "Roblox Right-to-Erasure webhook (signed by Roblox)",
				description: WEBHOOK_DESCRIPTION,
				tags: ["privacy"],
				security: [],
				parameters: [
					{
						name: "roblox-signature",
						in: "header",
						required: true,
						schema: { type: "string", example: "t=1700000000,v1=base64…" },
					},
				],
				requestBody: { required: true, content: json("RobloxWebhookNotification") },
				responses: {
					"200": { description: "replayed or ignored (see above).", content: json("RobloxWebhookAnswer") },
					"202": { description: "accepted: the erasure job started.", content: json("RobloxWebhookAnswer") },
					"400": h.problem("Not JSON, or not a valid notification. Not retryable.", false),
					"401": h.problem("Signature missing, malformed, stale, from the future, or wrong. Not retryable.", false),
					"413": h.problem("Body over 64 KiB. Not retryable.", false),
					"503": h.problem("VANTAGE_ROBLOX_WEBHOOK_SECRET is not set. Retryable once it is.", true),
				},
			},
		},
	};
}

/** This module's part of the OpenAPI document (listed in openapi/fragments.ts). */
export const privacyOpenApi: OpenApiFragment = { components: PRIVACY_COMPONENTS, paths: privacyPaths };
