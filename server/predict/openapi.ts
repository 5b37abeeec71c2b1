// Predictions in the OpenAPI document (routes: predict/routes.ts).
import { z } from "zod";
import type { OpenApiFragment } from "../openapi/fragment.js";
import { predictionPlayersQuerySchema, rankedPlayerSchema, recommendationsQuerySchema } from "./predictions.js";

const PREDICTIONS_DESCRIPTION = `
A game's predictive models, trained daily on its stored events (and on demand with POST …/predictions/train), each
measured on players and days it was not trained on and compared with a naive baseline:
- churn: probability a player active in the last 7 days sends no event in the next 7 (baseline: recency alone);
- purchase: probability of a purchase within 7 days (baseline: recency alone);
- ltv: expected Robux over 30 and 90 days (hurdle model; baseline: the cohort average);
- recommendations: item-to-item co-purchase (hit-rate@5 of a held-out player's last purchase; baseline: popularity);
- anomalies: DAU, revenue, event volume, error rate and the SDK version mix (share of sessions on the newest SDK) per
  local day against a weekday-seasonal robust baseline.
A model without enough data says why (\`status: "insufficient_data"\`, \`reason\`) instead of failing the others.
Consent is checked by the backend too, from each player's latest consent record (a player without one is used: the
SDK's consent gate sent their events, and where opt-in applies it sends nothing before a grant, which is a record): churn, purchase and LTV use only players who allow analytics, the
recommendation model only the purchases of players who allow personalization; each card's
\`training.excludedForConsent\` counts the players left out. KPI anomalies count every stored event, as the KPIs do.
Erased players are left out.
`;

const modelSchema = z
	.object({
		status: z.enum(["trained", "insufficient_data"]).describe("Whether this run trained the model."),
		reason: z.string().optional().describe("insufficient_data: what was missing."),
		card: z
			.record(z.string(), z.unknown())
			.optional()
			.describe(
				"The model card: method, features (coefficients), training window, held-out metrics, baseline, trainedAt.",
			),
		cards: z
			.array(z.record(z.string(), z.unknown()))
			.optional()
			.describe("ltv: one card per horizon (30 and 90 days)."),
		scored: z.number().int().optional().describe("Players scored at training time (active ones)."),
	})
	.describe("One model of the run.");

export const predictionSummarySchema = z.object({
	gameId: z.string().describe("The game."),
	trainedAt: z.string().describe("When the run trained (ISO 8601)."),
	data: z
		.object({
			events: z.number().int().describe("Events read."),
			players: z.number().int().describe("Players among them."),
			from: z.string().describe("Start of the history read (ISO 8601)."),
			to: z.string().describe("End of the history read (ISO 8601)."),
			truncated: z.boolean().describe("More events than the run reads: it used the first ones."),
			excludedForConsent: z
				.object({
					analytics: z
						.number()
						.int()
						.describe("Players with events left out of churn, purchase and LTV: no analytics consent."),
					personalization: z
						.number()
						.int()
						.describe("Buyers left out of the recommendation model: no personalization consent."),
				})
				.describe("Players left out because their consent does not allow the model's category."),
		})
		.describe("What the run read."),
	models: z
		.object({
			churn: modelSchema,
			purchase: modelSchema,
			ltv: modelSchema,
			recommendations: modelSchema,
		})
		.describe("Each model's card, or why it is missing."),
	anomalies: z
		.object({
			status: z.enum(["trained", "insufficient_data"]).describe("Whether the KPIs could be judged."),
			reason: z.string().optional().describe("insufficient_data: what was missing."),
			alerts: z
				.array(
					z.object({
						kpi: z
							.string()
							.describe(
								"dau, revenue, event_volume, error_rate or sdk_version_mix (share of sessions on the newest SDK).",
							),
						date: z.string().describe("The local day (YYYY-MM-DD)."),
						value: z.number().describe("The day's value."),
						expected: z.number().describe("The baseline's expectation."),
						direction: z.enum(["up", "down"]).describe("Above or below the band."),
						score: z.number().describe("Robust z-score (|z| ≥ 4 is an anomaly)."),
					}),
				)
				.optional()
				.describe("Anomalous days of the last 7, newest first."),
		})
		.describe("KPI anomaly alerts."),
});

export const predictionPlayersSchema = z.object({
	list: z.enum(["churn", "purchase", "ltv"]).describe("The ranking."),
	players: z
		.array(rankedPlayerSchema)
		.describe("Best first; erased players and players whose consent no longer allows analytics are left out."),
});

export const recommendationsSchema = z.object({
	items: z
		.array(
			z.object({
				item: z.string().describe("The item (developer_product:<id>, or <itemType>:<itemId> of an economy sink)."),
				score: z.number().describe("Summed similarity to the owned items (0 for popularity fill)."),
				reason: z.enum(["co-purchase", "popular"]).describe("Why it is listed."),
			}),
		)
		.describe("Never an owned item; best first."),
	unavailable: z
		.string()
		.optional()
		.describe("Why the list is empty: no run yet, or too few purchases to train the model."),
});

export const anomaliesSchema = z.object({
	trainedAt: z.string().describe("When the run judged the KPIs (ISO 8601)."),
	anomalies: z
		.record(z.string(), z.unknown())
		.describe(
			"status; kpis: per KPI its scale and last 56 judged days (date, value, expected, lower, upper, score, anomaly, direction); alerts.",
		),
});

export const predictionsOpenApi: OpenApiFragment = {
	components: {
		PredictionSummary: predictionSummarySchema,
		PredictionPlayers: predictionPlayersSchema,
		Recommendations: recommendationsSchema,
		KpiAnomalies: anomaliesSchema,
	},
	paths: (h) => ({
		"/v1/admin/games/{gameId}/predictions": {
			get: h.adminOperation(
				"getPredictions",
				"The latest predictions: model cards (or why a model is missing) and anomaly alerts (viewer)",
				{
					"200": h.ok("The latest run.", "PredictionSummary"),
					"404": h.problem("Unknown game, or no run yet.", false),
				},
				{ description: PREDICTIONS_DESCRIPTION, parameters: [h.gameIdParam] },
			),
		},
		"/v1/admin/games/{gameId}/predictions/players": {
			get: h.adminOperation(
				"listPredictedPlayers",
				"Players ranked by churn risk, purchase propensity or LTV, with the features driving each score (analyst)",
				{
					"200": h.ok("The ranking.", "PredictionPlayers"),
					"400": h.problem("Invalid query.", false),
					"404": h.problem("Unknown game, or no run yet.", false),
				},
				{ parameters: [h.gameIdParam, ...h.queryParameters(predictionPlayersQuerySchema)] },
			),
		},
		"/v1/admin/games/{gameId}/predictions/train": {
			post: h.adminOperation(
				"trainPredictions",
				"Train every model of the game now; replaces the latest run (analyst)",
				{
					"200": h.ok("The new run.", "PredictionSummary"),
					"404": h.problem("Unknown game.", false),
				},
				{ parameters: [h.gameIdParam] },
			),
		},
		"/v1/admin/games/{gameId}/recommendations": {
			get: h.adminOperation(
				"getRecommendations",
				"Items to offer a player who owns the given items, from the co-purchase model (viewer)",
				{
					"200": h.ok("Best first.", "Recommendations"),
					"400": h.problem("Invalid query.", false),
					"404": h.problem("Unknown game.", false),
				},
				{ parameters: [h.gameIdParam, ...h.queryParameters(recommendationsQuerySchema)] },
			),
		},
		"/v1/admin/games/{gameId}/anomalies": {
			get: h.adminOperation(
				"getKpiAnomalies",
				"The KPI series of the last 56 days with their seasonal baselines, bands and anomalies (viewer)",
				{
					"200": h.ok("The latest judgement.", "KpiAnomalies"),
					"404": h.problem("Unknown game, or no run yet.", false),
				},
				{ parameters: [h.gameIdParam] },
			),
		},
	}),
};
