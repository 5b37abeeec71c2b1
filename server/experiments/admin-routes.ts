import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { existingGameId } from "../auth/provisioning.js";
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
import { assertFreeSlice, sliceCheckNeeded } from "./layers.js";
import { parseWithMetricInputs, resolveMetricInputs, withLatestLibraryMetrics } from "./metric-library.js";

/** Experiment definitions with conditions and metrics stay well under this. */
const BODY_LIMITS = { maxBodyBytes: 64 * 1024, maxInflatedBytes: 64 * 1024 };
/** Deeper JSON is refused before validation, whose recursion it could otherwise exhaust. */
const MAX_BODY_DEPTH = 32;

export const listExperimentsQuerySchema = z.object({ status: z.enum(EXPERIMENT_STATUSES).optional() });

export interface ExperimentRoutesDeps {
	store: Store;
	clock: () => number;
	/** Admin-token middleware for a minimum role: viewers read, analysts and owners write. */
	requireRole: (role: AdminRole) => MiddlewareHandler<AppEnv>;
}

/**
 * Experiments and feature flags of a game, mounted at /v1/admin. Reads need the viewer role, writes the analyst role.
 *
 * - `GET|POST /games/:gameId/experiments`, `GET|PATCH|DELETE /games/:gameId/experiments/:key`
 * (Results, breakdowns and guardrail alerts: results-routes.ts.)
 * - `POST /games/:gameId/experiments/:key/adaptive-update` — recompute adaptive weights now
 * - `GET|POST /games/:gameId/flags`, `GET|PATCH|DELETE /games/:gameId/flags/:key`
 */
export function experimentRoutes(deps: ExperimentRoutesDeps): Hono<AppEnv> {
	const { store, clock } = deps;
	const read = deps.requireRole("viewer");
	const write = deps.requireRole("analyst");
	const routes = new Hono<AppEnv>();

	const game = (raw: string): Promise<string> => existingGameId(store, raw);
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
		const shown = await Promise.all(records.map((r) => withLatestLibraryMetrics(store, r)));
		return c.json({ experiments: shown.map(experimentResponse) }, 200);
	});

	routes.post("/games/:gameId/experiments", write, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const raw = await readBody(c.req.raw);
		// Library references (metric-reference.ts) become the versions they name before the pure rules run.
		const body = await resolveMetricInputs(store, gameId, parseWithMetricInputs(createExperimentSchema, raw));
		const record = newExperiment(gameId, body, clock());
		await assertFreeSlice(store, record);
		if (!(await store.insertExperiment(record))) {
			throw new ConflictError(`Experiment "${record.key}" already exists in this game.`);
		}
		c.header("Location", `/v1/admin/games/${gameId}/experiments/${record.key}`);
		return c.json(experimentResponse(record), 201);
	});

	routes.get("/games/:gameId/experiments/:key", read, async (c) => {
		const record = await experiment(await game(c.req.param("gameId")), c.req.param("key"));
		return c.json(experimentResponse(await withLatestLibraryMetrics(store, record)), 200);
	});

	routes.patch("/games/:gameId/experiments/:key", write, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		// A draft's library metrics are brought to their latest version first, so starting pins the current one.
		const current = await withLatestLibraryMetrics(store, await experiment(gameId, c.req.param("key")));
		const raw = await readBody(c.req.raw);
		const patch = await resolveMetricInputs(store, gameId, parseWithMetricInputs(updateExperimentSchema, raw));
		const updated = applyExperimentUpdate(current, patch, clock());
		if (sliceCheckNeeded(current, updated)) await assertFreeSlice(store, updated);
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
