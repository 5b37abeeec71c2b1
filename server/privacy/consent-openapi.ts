// The consent API in the OpenAPI document, built with the document's own helpers (see openapi/document.ts).
import type { OpenApiFragment } from "../openapi/fragment.js";
import type { z } from "zod";
import { consentPropsSchema } from "./consent.js";
import { consentRecordSchema, playerConsentSchema } from "./consent-records.js";
import {
	consentPoliciesSchema,
	consentPolicySchema,
	consentSummarySchema,
	createConsentPolicySchema,
} from "./consent-routes.js";

export const CONSENT_COMPONENTS: Record<string, z.ZodType> = {
	ConsentEventProps: consentPropsSchema,
	ConsentPolicy: consentPolicySchema,
	ConsentPolicies: consentPoliciesSchema,
	CreateConsentPolicyRequest: createConsentPolicySchema,
	ConsentRecord: consentRecordSchema,
	PlayerConsent: playerConsentSchema,
	ConsentSummary: consentSummarySchema,
};

const ref = (id: keyof typeof CONSENT_COMPONENTS) => ({
	"application/json": { schema: { $ref: `#/components/schemas/${id}` } },
});

const RECORDS_DESCRIPTION = `
Every consent event a game sends (type \`consent\`, props as in ConsentEventProps) is also appended to the player's
consent records, in the same transaction, even when the player refused analytics: the record is the proof. Records are
never changed; only the player's erasure removes them. Time and policy version are stored in clear, the player as
their pseudonym (the UserId is kept only in the player vault, player-keys.db, and answered here in its place); the
choice (categories, region, UI version, source) is sealed with the player's own key (AES-256-GCM, wrapped by the
server's master key), so once an erasure shreds that key, no copy of the database can show it or whose it was. A
record whose key is missing answers with \`readable: false\` and null choices. The events table keeps only \`policyVersion\` of a consent event's props.

Every call is recorded in the audit log (action \`consent.records_read\`, with the reader and the player's pseudonym).
`;

/** The consent paths, with the document's problem responses and admin auth. */
export function consentPaths(h: {
	gameIdParam: unknown;
	problem: (description: string, retryable: boolean, headers?: Record<string, unknown>) => unknown;
	adminAuth: Record<string, unknown>;
}): Record<string, unknown> {
	const userIdParam = {
		name: "userId",
		in: "path",
		required: true,
		description: "The player's Roblox UserId.",
		schema: { type: "string", pattern: "^[1-9][0-9]{0,15}$" },
	};
	const operation = (operationId: string, summary: string, responses: Record<string, unknown>, extra = {}) => ({
		operationId,
		summary,
		tags: ["privacy"],
		security: [{ adminToken: [] }],
		...extra,
		responses: { ...responses, ...h.adminAuth },
	});
	return {
		"/v1/admin/games/{gameId}/consent/policies": {
			get: operation(
				"listConsentPolicies",
				"A game's consent policy versions and the one in effect (viewer)",
				{
					"200": { description: "Newest effective first.", content: ref("ConsentPolicies") },
					"400": h.problem("Invalid game id.", false),
					"404": h.problem("Unknown game.", false),
				},
				{ parameters: [h.gameIdParam] },
			),
			post: operation(
				"publishConsentPolicy",
				"Publish a consent policy version; it becomes current at effectiveAt, now by default (owner)",
				{
					"201": { description: "The version as published.", content: ref("ConsentPolicy") },
					"400": h.problem("Invalid version, summary, url or effectiveAt, or neither summary nor url.", false),
					"404": h.problem("Unknown game.", false),
					"409": h.problem(
						"The version exists (versions never change), or effectiveAt is before the latest version's.",
						false,
					),
					"415": h.problem("Not application/json.", false),
				},
				{ parameters: [h.gameIdParam], requestBody: { required: true, content: ref("CreateConsentPolicyRequest") } },
			),
		},
		"/v1/games/{gameId}/players/{userId}/consent": {
			get: operation(
				"getPlayerConsent",
				"A player's consent records and current state (analyst or owner; audited)",
				{
					"200": {
						description: "The records, oldest first, and the latest readable choice.",
						content: ref("PlayerConsent"),
					},
					"400": h.problem("Invalid game id or UserId.", false),
					"404": h.problem("Unknown game.", false),
					"503": h.problem("Encryption at rest is not configured on this server.", true),
				},
				{ description: RECORDS_DESCRIPTION, parameters: [h.gameIdParam, userIdParam] },
			),
		},
		"/v1/games/{gameId}/consent/summary": {
			get: operation(
				"getConsentSummary",
				"Anonymous counts of a game's consent records by policy version, category, source and choice (viewer)",
				{
					"200": { description: "The counts.", content: ref("ConsentSummary") },
					"400": h.problem("Invalid game id.", false),
					"404": h.problem("Unknown game.", false),
				},
				{ parameters: [h.gameIdParam] },
			),
		},
	};
}

/** This module's part of the OpenAPI document (listed in openapi/fragments.ts). */
export const consentOpenApi: OpenApiFragment = { components: CONSENT_COMPONENTS, paths: consentPaths };
