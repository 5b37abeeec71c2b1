// Layers (namespaces of mutually exclusive experiments) and the global holdout of a game, mounted at /v1/admin next
// to the experiment CRUD. Reads need the viewer role, changes the analyst role, as for experiments; every change is
// audited by the admin-audit middleware like other admin changes.
import { randomBytes } from "node:crypto";
import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { existingGameId } from "../auth/provisioning.js";
import type { AdminRole } from "../auth/roles.js";
import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import type { AppEnv } from "../http/app-env.js";
import { readJsonBody } from "../http/read-json-body.js";
import { describeIssues } from "../ingest/schema.js";
import type { Store } from "../store/types.js";
import type { LayerRecord } from "./allocation-store.js";
import { entityKeySchema } from "./common-schema.js";
import { applyExperimentUpdate, experimentResponse } from "./experiment.js";
import {
	applyHoldout,
	holdoutExperiment,
	holdoutResponse,
	holdoutResultsRequestSchema,
	putHoldoutSchema,
	runningExperimentKeys,
} from "./holdout.js";
import {
	applyLayerUpdate,
	assertFreeSlice,
	assertLayerUnused,
	createLayerSchema,
	layerIdSchema,
	layerResponse,
	newLayer,
	placeRequestSchema,
	placement,
	updateLayerSchema,
} from "./layers.js";
import { DEFAULT_CUPED_LOOKBACK_DAYS } from "./results.js";
import { sharedResultsAnalyzer, type ResultsAnalyzer } from "./results-analyzer.js";
import { experimentInputBase, readMetricData } from "./results-input.js";

const BODY_LIMITS = { maxBodyBytes: 16 * 1024, maxInflatedBytes: 16 * 1024 };

export interface LayerRoutesDeps {
	store: Store;
	clock: () => number;
	/** Admin-token middleware for a minimum role: viewers read, analysts and owners write. */
	requireRole: (role: AdminRole) => MiddlewareHandler<AppEnv>;
	/** Computes the holdout's results off the event loop. @default the process's shared analyzer */
	analyzer?: Pick<ResultsAnalyzer, "analyze">;
}

/**
 * - `GET|POST /games/:gameId/layers`, `GET|PATCH|DELETE /games/:gameId/layers/:layerId` — layers with their
 *   allocation (slices per experiment, free ranges);
 * - `POST /games/:gameId/layers/:layerId/place` — puts a draft experiment in the layer's first free slice of a size;
 * - `GET|PUT /games/:gameId/holdout` — the global holdout;
 * - `POST /games/:gameId/holdout/results` — the holdout against everyone else on a metric (read-only: viewers too).
 */
export function layerRoutes(deps: LayerRoutesDeps): Hono<AppEnv> {
	const { store, clock } = deps;
	const read = deps.requireRole("viewer");
	const write = deps.requireRole("analyst");
	const routes = new Hono<AppEnv>();

	const game = (raw: string): Promise<string> => existingGameId(store, raw);
	const layer = async (gameId: string, raw: string): Promise<LayerRecord> => {
		const id = parse(layerIdSchema, raw, "The layer id is invalid.");
		const record = await store.allocation.getLayer(gameId, id);
		if (!record) throw new NotFoundError(`Layer "${id}" does not exist.`);
		return record;
	};

	routes.get("/games/:gameId/layers", read, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const [layers, experiments] = await Promise.all([
			store.allocation.listLayers(gameId),
			store.listExperiments({ gameId }),
		]);
		return c.json({ layers: layers.map((l) => layerResponse(l, experiments)) }, 200);
	});

	routes.post("/games/:gameId/layers", write, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const body = parse(createLayerSchema, await readJsonBody(c.req.raw, BODY_LIMITS), "The request body is invalid.");
		const record = newLayer(gameId, body, clock());
		if (!(await store.allocation.insertLayer(record))) {
			throw new ConflictError(`Layer "${record.id}" already exists in this game.`);
		}
		c.header("Location", `/v1/admin/games/${gameId}/layers/${record.id}`);
		return c.json(layerResponse(record, await store.listExperiments({ gameId })), 201);
	});

	routes.get("/games/:gameId/layers/:layerId", read, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const record = await layer(gameId, c.req.param("layerId"));
		return c.json(layerResponse(record, await store.listExperiments({ gameId })), 200);
	});

	routes.patch("/games/:gameId/layers/:layerId", write, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const current = await layer(gameId, c.req.param("layerId"));
		const patch = parse(updateLayerSchema, await readJsonBody(c.req.raw, BODY_LIMITS), "The request body is invalid.");
		const updated = applyLayerUpdate(current, patch, clock());
		if (!(await store.allocation.updateLayer(updated)))
			throw new NotFoundError(`Layer "${current.id}" does not exist.`);
		return c.json(layerResponse(updated, await store.listExperiments({ gameId })), 200);
	});

	routes.delete("/games/:gameId/layers/:layerId", write, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const record = await layer(gameId, c.req.param("layerId"));
		assertLayerUnused(record, await store.listExperiments({ gameId }));
		await store.allocation.deleteLayer(gameId, record.id);
		return c.body(null, 204);
	});

	routes.post("/games/:gameId/layers/:layerId/place", write, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const target = await layer(gameId, c.req.param("layerId"));
		const body = parse(placeRequestSchema, await readJsonBody(c.req.raw, BODY_LIMITS), "The request body is invalid.");
		const key = parse(entityKeySchema, body.experiment, "The experiment key is invalid.");
		const current = await store.getExperiment(gameId, key);
		if (!current) throw new NotFoundError(`Experiment "${key}" does not exist.`);
		const namespace = placement(target.id, current, await store.listExperiments({ gameId }), body.size);
		const updated = applyExperimentUpdate(current, { namespace }, clock());
		await assertFreeSlice(store, updated);
		if (!(await store.updateExperiment(updated))) {
			throw new ConflictError("The experiment was changed since it was read; read it again and retry.");
		}
		return c.json(experimentResponse(updated), 200);
	});

	routes.get("/games/:gameId/holdout", read, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const [record, experiments] = await Promise.all([
			store.allocation.getHoldout(gameId),
			store.listExperiments({ gameId }),
		]);
		return c.json(holdoutResponse(gameId, record, runningExperimentKeys(experiments)), 200);
	});

	routes.put("/games/:gameId/holdout", write, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const body = parse(putHoldoutSchema, await readJsonBody(c.req.raw, BODY_LIMITS), "The request body is invalid.");
		const [current, experiments] = await Promise.all([
			store.allocation.getHoldout(gameId),
			store.listExperiments({ gameId }),
		]);
		const running = runningExperimentKeys(experiments);
		const next = applyHoldout(gameId, current, body, running, clock(), newHoldoutSeed);
		if (next !== current) await store.allocation.putHoldout(next);
		return c.json(holdoutResponse(gameId, next, running), 200);
	});

	routes.post("/games/:gameId/holdout/results", read, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const body = parse(
			holdoutResultsRequestSchema,
			await readJsonBody(c.req.raw, BODY_LIMITS),
			"The request body is invalid.",
		);
		const holdout = await store.allocation.getHoldout(gameId);
		if (!holdout || holdout.percent <= 0) throw new ConflictError("The game has no holdout: set one first.");
		const record = holdoutExperiment(holdout);
		const now = clock();
		const from = body.from === undefined ? holdout.updatedAt : Date.parse(body.from);
		const to = body.to === undefined ? now : Date.parse(body.to);
		if (!(from < to))
			throw new ValidationError("The window is empty.", [{ path: "to", message: "must be after from" }]);
		const window = { from, to, lookbackDays: body.cuped ? DEFAULT_CUPED_LOOKBACK_DAYS : 0 };
		const metric = await readMetricData(store, record, body.metric, "primary", window);
		const results = await (deps.analyzer ?? sharedResultsAnalyzer).analyze(
			{ ...experimentInputBase(record, window), metric, guardrails: [] },
			{ difference: body.difference, cuped: body.cuped },
		);
		return c.json(results, 200);
	});

	return routes;
}

/** A fresh holdout seed: 48 random bits, so two games' holdouts are independent. */
function newHoldoutSeed(): string {
	return `holdout-${randomBytes(6).toString("hex")}`;
}

function parse<T extends z.ZodType>(schema: T, value: unknown, detail: string): z.output<T> {
	const result = schema.safeParse(value);
	if (!result.success) throw new ValidationError(detail, describeIssues(result.error.issues));
	return result.data;
}
