// The planning routes in the OpenAPI document: their components (from the zod schemas that validate and answer)
// and paths, built with the document's own helpers so they share its problem responses and admin auth.
import type { OpenApiFragment } from "../openapi/fragment.js";
import type { z } from "zod";
import { exposuresSchema } from "./exposures.js";
import { planRequestSchema, planResultSchema } from "./planning.js";
import { previewRequestSchema, previewResultSchema } from "./preview.js";

/** Components, by id (merged into the document's components). */
export const PLANNING_COMPONENTS: Record<string, z.ZodType> = {
	ExperimentPlanRequest: planRequestSchema,
	ExperimentPlan: planResultSchema,
	AssignmentPreviewRequest: previewRequestSchema,
	AssignmentPreview: previewResultSchema,
	ExperimentExposures: exposuresSchema,
};

const PLAN_DESCRIPTION = `
How many players each variation needs to detect the minimum detectable effect (mde) with the given power at level
alpha (two-sided), and how many days the game's traffic takes to bring them. Rates use the two-proportion z-test
sample size (Evan Miller's calculator: baseline 20%, +5 points, alpha 0.05, power 0.8 → 1030 per arm); means the
normal-approximation two-sample test (Cohen's d). With several treatments each is compared with control at
alpha ÷ (variations − 1). Traffic: the active-users metric over the lookback's complete days (today is partial):
mean daily and new players, WAU, MAU and distinct players give the players expected over d days, growing by the new
players a day beyond the history. Ratio metrics (\`kind: "ratio"\`) use the delta-method per-player variance of the
ratio. \`kind: "observed"\` reads the baseline from the game's data: an experiment's control arm over its last \`days\`
days (rate, mean or ratio, and the per-player variance), less the variance CUPED removes with a 14-day pre-exposure
covariate unless \`cuped\` is false; \`observed\` in the answer says what was read. Changes nothing: viewers may
call it.`;

const PREVIEW_DESCRIPTION = `
Applies a draft's variations, weights, coverage, hash settings, namespace, targeting condition and forced users to
sample players with the SDK's own hash (GrowthBook FNV-1a, versions 1 and 2) and steps: forced → condition → hash
value → namespace → coverage → variation. \`recent\` previews the game's latest players with the attributes of their
latest session_start; \`synthetic\` UserIds n, n + 1, … with only their id. In random, stratified and adaptive modes
the hash decides only who takes part (the SDK draws the variation), so per-variation counts are null. Changes
nothing: viewers may call it.`;

/**
 * The paths of the planning routes.
 *
 * @example
 * paths: { ...planningPaths({ gameIdParam: pathParam("gameId"), keyParam: pathParam("key"), problem, adminAuth: ADMIN_AUTH }) }
 */
export function planningPaths(h: {
	gameIdParam: unknown;
	keyParam: unknown;
	problem: (description: string, retryable: boolean) => unknown;
	adminAuth: Record<string, unknown>;
}): Record<string, unknown> {
	const ref = (id: keyof typeof PLANNING_COMPONENTS) => ({
		"application/json": { schema: { $ref: `#/components/schemas/${id}` } },
	});
	const invalid = h.problem("Invalid request: validation_failed lists every problem with its path.", false);
	return {
		"/v1/admin/games/{gameId}/experiments/plan": {
			post: {
				operationId: "planExperiment",
				summary: "Power calculator: players and days a test needs at the game's traffic (viewer)",
				description: PLAN_DESCRIPTION,
				tags: ["admin"],
				security: [{ adminToken: [] }],
				parameters: [h.gameIdParam],
				requestBody: { required: true, content: ref("ExperimentPlanRequest") },
				responses: {
					"200": { description: "The plan.", content: ref("ExperimentPlan") },
					"400": invalid,
					"404": h.problem("Unknown game.", false),
					"415": h.problem("Not application/json.", false),
					...h.adminAuth,
				},
			},
		},
		"/v1/admin/games/{gameId}/experiments/preview": {
			post: {
				operationId: "previewAssignment",
				summary: "Who would be assigned where: a draft's split of recent or synthetic players (viewer)",
				description: PREVIEW_DESCRIPTION,
				tags: ["admin"],
				security: [{ adminToken: [] }],
				parameters: [h.gameIdParam],
				requestBody: { required: true, content: ref("AssignmentPreviewRequest") },
				responses: {
					"200": { description: "The split.", content: ref("AssignmentPreview") },
					"400": invalid,
					"404": h.problem("Unknown game.", false),
					"415": h.problem("Not application/json.", false),
					...h.adminAuth,
				},
			},
		},
		"/v1/admin/games/{gameId}/experiments/{key}/exposures": {
			get: {
				operationId: "experimentExposures",
				summary: "Players exposed to an experiment so far, per variation and day (viewer)",
				tags: ["admin"],
				security: [{ adminToken: [] }],
				parameters: [h.gameIdParam, h.keyParam],
				responses: {
					"200": { description: "The exposures.", content: ref("ExperimentExposures") },
					"404": h.problem("Unknown game or experiment.", false),
					...h.adminAuth,
				},
			},
		},
	};
}

/** This module's part of the OpenAPI document (listed in openapi/fragments.ts). */
export const planningOpenApi: OpenApiFragment = { components: PLANNING_COMPONENTS, paths: planningPaths };
