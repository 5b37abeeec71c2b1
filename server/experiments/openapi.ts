// Experiments, feature flags and the SDK's config in the OpenAPI document (routes: admin-routes.ts, config-routes.ts).
import type { OpenApiFragment } from "../openapi/fragment.js";
import { adaptiveUpdateSchema } from "./adaptive.js";
import { listExperimentsQuerySchema } from "./admin-routes.js";
import { conditionSchema } from "./condition.js";
import { createExperimentSchema, experimentSchema, updateExperimentSchema } from "./experiment.js";
import { createFlagSchema, flagSchema, jsonValueSchema, updateFlagSchema } from "./flag.js";
import { metricSchema } from "./metric.js";
import { breakdownResultsSchema, experimentAlertsSchema, experimentResultsSchema } from "./results-schema.js";
import { breakdownQuerySchema, resultsQuerySchema } from "./results-routes.js";
import { sdkConfigSchema } from "./sdk-config.js";

const CONFIG_HEADERS = {
	ETag: { description: "Strong tag of this content; send it back in If-None-Match.", schema: { type: "string" } },
	"Cache-Control": { description: "Always revalidate.", schema: { type: "string", const: "no-cache" } },
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
  (\`deterministic\`, \`random\`, \`stratified\` with \`strata\`, \`adaptive\`). A player's assignment is reported back
  as one event of type \`exposure\` per player and experiment: name = the experiment key, \`props.variation\` = the
  variation key.
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

const RESULTS_DESCRIPTION = `
Each comparison gives the \`absolute\` (treatment − control) and the \`relative\` (treatment / control − 1) effect side
by side, each with its fixed-horizon interval and p-value and its always-valid (sequential) ones; \`difference\` only
picks which one \`frequentist\`, \`bayesian\`, \`sequential\` and the daily series are on.

- CUPED is on by default: with \`lookbackDays\` (default 14) of the same metric before each unit's first exposure as
  covariate, the comparisons are adjusted and \`cuped.unadjusted\` keeps the raw ones; \`varianceReduction\` says
  how much variance it removed. \`cuped=false\` turns it off. Not for quantile metrics.
- Where the delta-method relative interval is unreliable (few control conversions, or the absolute and relative tests
  disagree), \`relative.reliable\` is false, a \`relative-interval-unreliable\` warning says why, and
  \`relative.robustCi\` is Fieller's (or the log-ratio) interval.
- With the experiment's \`targetEffect\`, an \`underpowered\` warning fires while the power to detect it is under
  80%; with its \`plannedDays\`, a \`peeking\` warning fires on fixed-horizon numbers read before the planned end.
- \`decision\` (primary metric): ship (a winner on the always-valid test with no guardrail harmed), stop (a loser,
  futility at the target effect, a guardrail regression, SRM or the planned end reached) or keep-running, with the
  reason in plain words. Direction-aware: for a metric with \`direction: "lower"\` a decrease wins.
`;

export const experimentsOpenApi: OpenApiFragment = {
	components: {
		Condition: conditionSchema,
		JsonValue: jsonValueSchema,
		Metric: metricSchema,
		Experiment: experimentSchema,
		CreateExperimentRequest: createExperimentSchema,
		UpdateExperimentRequest: updateExperimentSchema,
		ExperimentResults: experimentResultsSchema,
		ExperimentBreakdown: breakdownResultsSchema,
		ExperimentAlerts: experimentAlertsSchema,
		AdaptiveUpdate: adaptiveUpdateSchema,
		Flag: flagSchema,
		CreateFlagRequest: createFlagSchema,
		UpdateFlagRequest: updateFlagSchema,
		SdkConfig: sdkConfigSchema,
	},
	paths: (h) => {
		const gameAndKey = [h.gameIdParam, h.keyParam];
		return {
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
						"200": { description: "The config.", headers: CONFIG_HEADERS, content: h.json("SdkConfig") },
						"304": { description: "Unchanged since the ETag in If-None-Match; no body.", headers: CONFIG_HEADERS },
						...h.gameAuth,
						...h.common,
					},
				},
			},
			"/v1/admin/games/{gameId}/experiments": {
				get: h.adminOperation(
					"listExperiments",
					"List a game's experiments (viewer)",
					{
						"200": { description: "By key.", content: h.listOf("experiments", "Experiment") },
						"400": h.problem("Invalid status filter.", false),
						"404": h.problem("Unknown game.", false),
					},
					{ parameters: [h.gameIdParam, ...h.queryParameters(listExperimentsQuerySchema)] },
				),
				post: h.adminOperation(
					"createExperiment",
					"Create an experiment, as a draft unless status is running (analyst)",
					{
						"201": h.ok("Created.", "Experiment"),
						"400": h.problem(
							"Invalid definition (validation_failed lists every problem); status running without a primaryMetric.",
							false,
						),
						"404": h.problem("Unknown game.", false),
						"409": h.problem("The key is taken in this game.", false),
					},
					{ parameters: [h.gameIdParam], requestBody: { required: true, content: h.json("CreateExperimentRequest") } },
				),
			},
			"/v1/admin/games/{gameId}/experiments/{key}": {
				get: h.adminOperation(
					"getExperiment",
					"One experiment (viewer)",
					{ "200": h.ok("The experiment.", "Experiment"), "404": h.problem("Unknown game or experiment.", false) },
					{ parameters: gameAndKey },
				),
				patch: h.adminOperation(
					"updateExperiment",
					"Edit an experiment or change its status: draft → running → stopped (analyst)",
					{
						"200": h.ok("The experiment as updated.", "Experiment"),
						"400": h.problem(
							"Invalid update; or starting (or keeping running) without a primaryMetric: `errors` names `primaryMetric`.",
							false,
						),
						"404": h.problem("Unknown game or experiment.", false),
						"409": h.problem(
							"Invalid status transition, a field frozen since the start, or a concurrent edit (read again and retry).",
							false,
						),
					},
					{ parameters: gameAndKey, requestBody: { required: true, content: h.json("UpdateExperimentRequest") } },
				),
				delete: h.adminOperation(
					"deleteExperiment",
					"Delete a draft or stopped experiment (analyst)",
					{
						"204": { description: "Deleted." },
						"404": h.problem("Unknown game or experiment.", false),
						"409": h.problem("The experiment is running: stop it first.", false),
					},
					{ parameters: gameAndKey },
				),
			},
			"/v1/admin/games/{gameId}/experiments/{key}/results": {
				get: h.adminOperation(
					"experimentResults",
					"Results of one metric: per-variation totals; absolute and relative effects side by side (fixed-horizon, " +
						"Bayesian, always-valid), CUPED by default, SRM, plan warnings, daily series; for the primary metric " +
						"also the guardrails, their alerts and a ship/stop/keep-running recommendation (viewer)",
					{
						"200": h.ok("The results.", "ExperimentResults"),
						"400": h.problem("Invalid query, unknown metric or empty window.", false),
						"404": h.problem("Unknown game or experiment.", false),
					},
					{
						parameters: [...gameAndKey, ...h.queryParameters(resultsQuerySchema)],
						description: RESULTS_DESCRIPTION,
					},
				),
			},
			"/v1/admin/games/{gameId}/experiments/{key}/breakdown": {
				get: h.adminOperation(
					"experimentBreakdown",
					"One metric's results by platform, country, new vs returning or a player attribute, Holm-corrected across cells (viewer)",
					{
						"200": h.ok("The cells, largest first.", "ExperimentBreakdown"),
						"400": h.problem("Invalid query or dimension, unknown metric or empty window.", false),
						"404": h.problem("Unknown game or experiment.", false),
					},
					{ parameters: [...gameAndKey, ...h.queryParameters(breakdownQuerySchema)] },
				),
			},
			"/v1/admin/games/{gameId}/experiment-alerts": {
				get: h.adminOperation(
					"experimentAlerts",
					"Guardrail regressions of the game's running experiments, for the dashboard overview (viewer)",
					{
						"200": h.ok("The alerts and the experiments checked.", "ExperimentAlerts"),
						"404": h.problem("Unknown game.", false),
					},
					{ parameters: [h.gameIdParam] },
				),
			},
			"/v1/admin/games/{gameId}/experiments/{key}/adaptive-update": {
				post: h.adminOperation(
					"adaptiveUpdate",
					"Recompute an adaptive experiment's weights now (the server also does it every updateIntervalMinutes) (analyst)",
					{
						"200": h.ok("The weights now served.", "AdaptiveUpdate"),
						"404": h.problem("Unknown game or experiment.", false),
						"409": h.problem("Not a running adaptive experiment with a primary metric.", false),
					},
					{ parameters: gameAndKey },
				),
			},
			"/v1/admin/games/{gameId}/flags": {
				get: h.adminOperation(
					"listFlags",
					"List a game's feature flags (viewer)",
					{
						"200": { description: "By key.", content: h.listOf("flags", "Flag") },
						"404": h.problem("Unknown game.", false),
					},
					{ parameters: [h.gameIdParam] },
				),
				post: h.adminOperation(
					"createFlag",
					"Create a feature flag, off by default (analyst)",
					{
						"201": h.ok("Created.", "Flag"),
						"400": h.problem("Invalid definition.", false),
						"404": h.problem("Unknown game.", false),
						"409": h.problem("The key is taken in this game.", false),
					},
					{ parameters: [h.gameIdParam], requestBody: { required: true, content: h.json("CreateFlagRequest") } },
				),
			},
			"/v1/admin/games/{gameId}/flags/{key}": {
				get: h.adminOperation(
					"getFlag",
					"One feature flag (viewer)",
					{ "200": h.ok("The flag.", "Flag"), "404": h.problem("Unknown game or flag.", false) },
					{ parameters: gameAndKey },
				),
				patch: h.adminOperation(
					"updateFlag",
					"Edit a feature flag (analyst)",
					{
						"200": h.ok("The flag as updated.", "Flag"),
						"400": h.problem("Invalid update.", false),
						"404": h.problem("Unknown game or flag.", false),
						"409": h.problem("A concurrent edit: read again and retry.", false),
					},
					{ parameters: gameAndKey, requestBody: { required: true, content: h.json("UpdateFlagRequest") } },
				),
				delete: h.adminOperation(
					"deleteFlag",
					"Delete a feature flag (analyst)",
					{ "204": { description: "Deleted." }, "404": h.problem("Unknown game or flag.", false) },
					{ parameters: gameAndKey },
				),
			},
		};
	},
};
