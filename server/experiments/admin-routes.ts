import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { parseGameId } from "../auth/provisioning.js";
import type { AdminRole } from "../auth/roles.js";
import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import type { AppEnv } from "../http/app-env.js";
import { readJsonBody } from "../http/read-json-body.js";
import { describeIssues } from "../ingest/schema.js";
import type { ExperimentRecord, FlagRecord, Store } from "../store/types.js";
import { updateAdaptiveExperiment } from "./adaptive.js";
import { entityKeySchema } from "./common-schema.js";
import {
	EXPERIMENT_STATUSES,
	applyExperimentUpdate,
	createExperimentSchema,
	experimentResponse,
	newExperiment,
	updateExperimentSchema,
} from "./experiment.js";
import { applyFlagUpdate, createFlagSchema, flagResponse, newFlag, updateFlagSchema } from "./flag.js";
import { metricKeySchema } from "./metric.js";
import { CORRECTIONS } from "./results.js";
import { sharedResultsAnalyzer, type ResultsAnalyzer } from "./results-analyzer.js";

/** Experiment definitions with conditions and metrics stay well under this. */
const BODY_LIMITS = { maxBodyBytes: 64 * 1024, maxInflatedBytes: 64 * 1024 };
/** Deeper JSON is refused before validation, whose recursion it could otherwise exhaust. */
const MAX_BODY_DEPTH = 32;

const isoTime = z.iso.datetime({ offset: true });

export const listExperimentsQuerySchema = z.object({ status: z.enum(EXPERIMENT_STATUSES).optional() });

export const resultsQuerySchema = z.object({
	metric: metricKeySchema.optional().describe("A metric key of the experiment; default: its primary metric."),
	from: isoTime.optional().describe("Start of the exposure window; default: the experiment's start."),
	to: isoTime.optional().describe("End (exclusive) of the window; default: its end, or now if earlier."),
	difference: z.enum(["relative", "absolute"]).default("relative"),
	correction: z.enum(CORRECTIONS).default("holm").describe("Across treatments: Holm, Benjamini–Hochberg or none."),
});

export interface ExperimentRoutesDeps {
	store: Store;
	clock: () => number;
	/** Admin-token middleware for a minimum role: viewers read, analysts and owners write. */
	requireRole: (role: AdminRole) => MiddlewareHandler<AppEnv>;
	/** Computes results off the event loop (a worker thread). @default the process's shared analyzer */
	analyzer?: Pick<ResultsAnalyzer, "analyze">;
}

/**
 * Experiments and feature flags of a game, mounted at /v1/admin. Reads need the viewer role, writes the analyst role.
 *
 * - `GET|POST /games/:gameId/experiments`, `GET|PATCH|DELETE /games/:gameId/experiments/:key`
 * - `GET /games/:gameId/experiments/:key/results?metric=&from=&to=&difference=&correction=`
 * - `POST /games/:gameId/experiments/:key/adaptive-update` — recompute adaptive weights now
 * - `GET|POST /games/:gameId/flags`, `GET|PATCH|DELETE /games/:gameId/flags/:key`
 */
export function experimentRoutes(deps: ExperimentRoutesDeps): Hono<AppEnv> {
	const { store, clock } = deps;
	const read = deps.requireRole("viewer");
	const write = deps.requireRole("analyst");
	const routes = new Hono<AppEnv>();

	const game = async (raw: string): Promise<string> => {
		const gameId = parseGameId(raw);
		if (!(await store.getGame(gameId))) throw new NotFoundError(`Game "${gameId}" does not exist.`);
		return gameId;
	};
	const experiment = async (gameId: string, rawKey: string): Promise<ExperimentRecord> => {
		const key = parse(entityKeySchema, rawKey, "The experiment key is invalid.");
		const record = await store.getExperiment(gameId, key);
		if (!record) throw new NotFoundError(`Experiment "${key}" does not exist.`);
		return record;
	};
	const flag = async (gameId: string, rawKey: string): Promise<FlagRecord> => {
		const key = parse(entityKeySchema, rawKey, "The flag key is invalid.");
		const record = await store.getFlag(gameId, key);
		if (!record) throw new NotFoundError(`Flag "${key}" does not exist.`);
		return record;
	};

	routes.get("/games/:gameId/experiments", read, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const query = parse(listExperimentsQuerySchema, c.req.query(), "The query is invalid.");
		const records = await store.listExperiments({ gameId, ...query });
		return c.json({ experiments: records.map(experimentResponse) }, 200);
	});

	routes.post("/games/:gameId/experiments", write, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const body = parse(createExperimentSchema, await readBody(c.req.raw), "The request body is invalid.");
		const record = newExperiment(gameId, body, clock());
		if (!(await store.insertExperiment(record))) {
			throw new ConflictError(`Experiment "${record.key}" already exists in this game.`);
		}
		c.header("Location", `/v1/admin/games/${gameId}/experiments/${record.key}`);
		return c.json(experimentResponse(record), 201);
	});

	routes.get("/games/:gameId/experiments/:key", read, async (c) => {
		const record = await experiment(await game(c.req.param("gameId")), c.req.param("key"));
		return c.json(experimentResponse(record), 200);
	});

	routes.patch("/games/:gameId/experiments/:key", write, async (c) => {
		const current = await experiment(await game(c.req.param("gameId")), c.req.param("key"));
		const patch = parse(updateExperimentSchema, await readBody(c.req.raw), "The request body is invalid.");
		const updated = applyExperimentUpdate(current, patch, clock());
		if (!(await store.updateExperiment(updated))) throw concurrentChange();
		return c.json(experimentResponse(updated), 200);
	});

	routes.delete("/games/:gameId/experiments/:key", write, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const record = await experiment(gameId, c.req.param("key"));
		if (record.status === "running") throw new ConflictError("Stop the experiment before deleting it.");
		await store.deleteExperiment(gameId, record.key);
		return c.body(null, 204);
	});

	routes.get("/games/:gameId/experiments/:key/results", read, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const record = await experiment(gameId, c.req.param("key"));
		const query = parse(resultsQuerySchema, c.req.query(), "The query is invalid.");
		const d = record.definition;
		const metrics = [...(d.primaryMetric ? [d.primaryMetric] : []), ...d.guardrailMetrics];
		const metric = query.metric === undefined ? d.primaryMetric : metrics.find((m) => m.key === query.metric);
		if (!metric) {
			const message = query.metric === undefined ? "no primary metric: name one" : "not a metric of the experiment";
			throw new ValidationError("The metric is unknown.", [{ path: "metric", message }]);
		}
		const now = clock();
		const from = query.from === undefined ? (d.startAt ?? record.createdAt) : Date.parse(query.from);
		const to = query.to === undefined ? Math.min(d.endAt ?? now, now) : Date.parse(query.to);
		if (!(from < to))
			throw new ValidationError("The window is empty.", [{ path: "to", message: "must be after from" }]);
		const rows = await store.experimentMetricSums({
			gameId,
			experimentKey: record.key,
			from,
			to,
			metric,
			excludeUserIds: Object.keys(d.forcedVariations).map(Number),
		});
		// The sums come from the warehouse's worker; the statistics (seconds for a long experiment) run in another.
		const results = await (deps.analyzer ?? sharedResultsAnalyzer).analyze(
			{ experimentKey: record.key, variations: d.variations, assignment: d.assignment, metric, from, to, rows },
			{ difference: query.difference, correction: query.correction },
		);
		return c.json(results, 200);
	});

	routes.post("/games/:gameId/experiments/:key/adaptive-update", write, async (c) => {
		const record = await experiment(await game(c.req.param("gameId")), c.req.param("key"));
		return c.json(await updateAdaptiveExperiment({ store, clock }, record), 200);
	});

	routes.get("/games/:gameId/flags", read, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		return c.json({ flags: (await store.listFlags(gameId)).map(flagResponse) }, 200);
	});

	routes.post("/games/:gameId/flags", write, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const body = parse(createFlagSchema, await readBody(c.req.raw), "The request body is invalid.");
		const record = newFlag(gameId, body, clock());
		if (!(await store.insertFlag(record))) throw new ConflictError(`Flag "${record.key}" already exists in this game.`);
		c.header("Location", `/v1/admin/games/${gameId}/flags/${record.key}`);
		return c.json(flagResponse(record), 201);
	});

	routes.get("/games/:gameId/flags/:key", read, async (c) => {
		return c.json(flagResponse(await flag(await game(c.req.param("gameId")), c.req.param("key"))), 200);
	});

	routes.patch("/games/:gameId/flags/:key", write, async (c) => {
		const current = await flag(await game(c.req.param("gameId")), c.req.param("key"));
		const patch = parse(updateFlagSchema, await readBody(c.req.raw), "The request body is invalid.");
		const updated = applyFlagUpdate(current, patch, clock());
		if (!(await store.updateFlag(updated))) throw concurrentChange();
		return c.json(flagResponse(updated), 200);
	});

	routes.delete("/games/:gameId/flags/:key", write, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const record = await flag(gameId, c.req.param("key"));
		await store.deleteFlag(gameId, record.key);
		return c.body(null, 204);
	});

	return routes;
}

function concurrentChange(): ConflictError {
	return new ConflictError("It was changed or deleted by another request since it was read; read it again and retry.");
}

async function readBody(request: Request): Promise<unknown> {
	const body = await readJsonBody(request, BODY_LIMITS);
	if (jsonDepth(body) > MAX_BODY_DEPTH) {
		throw new ValidationError(`The request body nests deeper than ${MAX_BODY_DEPTH} levels.`);
	}
	return body;
}

function parse<T extends z.ZodType>(schema: T, value: unknown, detail: string): z.output<T> {
	const result = schema.safeParse(value);
	if (!result.success) throw new ValidationError(detail, describeIssues(result.error.issues));
	return result.data;
}

/** Nesting depth of parsed JSON, iteratively. */
function jsonDepth(value: unknown): number {
	let deepest = 0;
	const stack: [unknown, number][] = [[value, 0]];
	while (stack.length > 0) {
		const [node, level] = stack.pop()!;
		if (typeof node !== "object" || node === null) continue;
		deepest = Math.max(deepest, level + 1);
		if (deepest > MAX_BODY_DEPTH) return deepest;
		for (const child of Object.values(node)) stack.push([child, level + 1]);
	}
	return deepest;
}
