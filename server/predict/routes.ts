import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { existingGameId } from "../auth/provisioning.js";
import type { AdminRole } from "../auth/roles.js";
import { ValidationError } from "../errors.js";
import type { AppEnv } from "../http/app-env.js";
import type { ConsentKeys } from "../privacy/consent-records.js";
import { describeIssues } from "../ingest/schema.js";
import type { PredictionStore } from "../store/contracts.js";
import type { Store } from "../store/types.js";
import {
	predictionPlayersQuerySchema,
	readPredictionDocument,
	readPredictionPlayers,
	recommendationsQuerySchema,
	recommendFor,
	runPredictions,
} from "./predictions.js";

export interface PredictionRoutesDeps {
	store: Store & { predictions: PredictionStore };
	clock: () => number;
	requireRole: (role: AdminRole) => MiddlewareHandler<AppEnv>;
	/**
	 * Opens players' consent records, to leave out players whose consent does not allow a model's category.
	 * @default none: players with a record are left out of every model and ranking (the server always passes one)
	 */
	playerKeys?: ConsentKeys;
}

const summarize = (doc: Awaited<ReturnType<typeof readPredictionDocument>>) => ({
	gameId: doc.gameId,
	trainedAt: new Date(doc.trainedAt).toISOString(),
	data: doc.data,
	models: {
		churn: doc.churn,
		purchase: doc.purchase,
		ltv: doc.ltv,
		recommendations:
			doc.recommendations.status === "trained"
				? { status: "trained", card: doc.recommendations.card }
				: doc.recommendations,
	},
	anomalies: doc.anomalies.status === "trained" ? { status: "trained", alerts: doc.anomalies.alerts } : doc.anomalies,
});

/**
 * Predictions of a game (server/predict), mounted at /v1/admin. The model cards, recommendations and KPI anomalies
 * need the viewer role; player rankings (personal: who is at risk) and training now the analyst role.
 *
 * - `GET /games/:gameId/predictions` — the latest run: each model's card or why it is missing, anomaly alerts
 * - `GET /games/:gameId/predictions/players?list=churn|purchase|ltv&limit=` — a ranking with each score's drivers
 * - `POST /games/:gameId/predictions/train` — train every model now (replaces the latest run)
 * - `GET /games/:gameId/recommendations?items=&n=` — the items to show a player who owns `items` (empty, with the
 *   reason, while there is no model)
 * - `GET /games/:gameId/anomalies` — the KPI series (last 56 days) with their baselines, bands and anomalies
 */
export function predictionRoutes(deps: PredictionRoutesDeps): Hono<AppEnv> {
	const { store, clock } = deps;
	const read = deps.requireRole("viewer");
	const analyst = deps.requireRole("analyst");
	const routes = new Hono<AppEnv>();
	const game = (raw: string): Promise<string> => existingGameId(store, raw);

	routes.get("/games/:gameId/predictions", read, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		return c.json(summarize(await readPredictionDocument(store, gameId)), 200);
	});

	routes.get("/games/:gameId/predictions/players", analyst, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const query = parse(predictionPlayersQuerySchema, c.req.query());
		const players = await readPredictionPlayers(store, gameId, query.list, query.limit, deps.playerKeys);
		return c.json({ list: query.list, players }, 200);
	});

	routes.post("/games/:gameId/predictions/train", analyst, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		await runPredictions(store, gameId, clock(), { playerKeys: deps.playerKeys });
		return c.json(summarize(await readPredictionDocument(store, gameId)), 200);
	});

	routes.get("/games/:gameId/recommendations", read, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const query = parse(recommendationsQuerySchema, c.req.query());
		const owned = query.items
			.split(",")
			.map((s) => s.trim())
			.filter((s) => s !== "");
		return c.json(await recommendFor(store, gameId, owned, query.n), 200);
	});

	routes.get("/games/:gameId/anomalies", read, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const doc = await readPredictionDocument(store, gameId);
		return c.json({ trainedAt: new Date(doc.trainedAt).toISOString(), anomalies: doc.anomalies }, 200);
	});

	return routes;
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
	const result = schema.safeParse(value);
	if (!result.success) throw new ValidationError("The query is invalid.", describeIssues(result.error.issues));
	return result.data;
}
