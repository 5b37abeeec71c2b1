import { Hono, type MiddlewareHandler } from "hono";
import type { z } from "zod";
import { existingGameId } from "../auth/provisioning.js";
import type { AdminRole } from "../auth/roles.js";
import { NotFoundError, ValidationError } from "../errors.js";
import type { AppEnv } from "../http/app-env.js";
import { readJsonBody } from "../http/read-json-body.js";
import { describeIssues } from "../ingest/schema.js";
import type { Store } from "../store/types.js";
import {
	archiveLibraryMetric,
	createLibraryMetric,
	createLibraryMetricSchema,
	libraryMetricResponse,
	libraryMetricVersionQuerySchema,
	listLibraryMetricsQuerySchema,
	parseLibraryKey,
	readLibraryMetric,
	updateLibraryMetric,
	updateLibraryMetricSchema,
} from "./metric-library.js";

/** A metric definition with a ratio's two parts and a long description stays well under this. */
const BODY_LIMITS = { maxBodyBytes: 16 * 1024, maxInflatedBytes: 16 * 1024 };

export interface MetricLibraryRoutesDeps {
	store: Store;
	clock: () => number;
	/** Admin-token middleware for a minimum role: viewers read, analysts and owners write. */
	requireRole: (role: AdminRole) => MiddlewareHandler<AppEnv>;
}

/**
 * A game's metric library (metric-library.ts), mounted at /v1/admin. Reads need the viewer role, writes the analyst
 * role; every write is audited by the admin-audit middleware.
 *
 * - `GET /games/:gameId/metric-library?archived=true` — the latest version of each metric
 * - `POST /games/:gameId/metric-library` — a new metric, version 1
 * - `GET /games/:gameId/metric-library/:key?version=` — the latest version, or the one asked for
 * - `PATCH /games/:gameId/metric-library/:key` — a change: a new version
 * - `GET /games/:gameId/metric-library/:key/versions` — every version, oldest first
 * - `POST /games/:gameId/metric-library/:key/archive` — hide from new experiments (still readable)
 */
export function metricLibraryRoutes(deps: MetricLibraryRoutesDeps): Hono<AppEnv> {
	const { store, clock } = deps;
	const read = deps.requireRole("viewer");
	const write = deps.requireRole("analyst");
	const routes = new Hono<AppEnv>();

	const game = (raw: string): Promise<string> => existingGameId(store, raw);
	const author = (c: { get(name: "admin"): AppEnv["Variables"]["admin"] }) => `admin:${c.get("admin").userId}`;
	const location = (gameId: string, key: string) => `/v1/admin/games/${gameId}/metric-library/${key}`;

	routes.get("/games/:gameId/metric-library", read, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const query = parse(listLibraryMetricsQuerySchema, c.req.query(), "The query is invalid.");
		const records = await store.listLibraryMetrics(gameId, { includeArchived: query.archived === "true" });
		return c.json({ metrics: records.map((r) => libraryMetricResponse(r, r.version)) }, 200);
	});

	routes.post("/games/:gameId/metric-library", write, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const body = parse(createLibraryMetricSchema, await readJsonBody(c.req.raw, BODY_LIMITS), "The body is invalid.");
		const record = await createLibraryMetric(store, gameId, body, author(c), clock());
		c.header("Location", location(gameId, record.key));
		return c.json(libraryMetricResponse(record, record.version), 201);
	});

	routes.get("/games/:gameId/metric-library/:key", read, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const key = parseLibraryKey(c.req.param("key"));
		const query = parse(libraryMetricVersionQuerySchema, c.req.query(), "The query is invalid.");
		const { record, latest } = await readLibraryMetric(store, gameId, key, query.version);
		return c.json(libraryMetricResponse(record, latest.version), 200);
	});

	routes.patch("/games/:gameId/metric-library/:key", write, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const key = parseLibraryKey(c.req.param("key"));
		const body = parse(updateLibraryMetricSchema, await readJsonBody(c.req.raw, BODY_LIMITS), "The body is invalid.");
		const { record } = await updateLibraryMetric(store, gameId, key, body, author(c), clock());
		return c.json(libraryMetricResponse(record, record.version), 200);
	});

	routes.get("/games/:gameId/metric-library/:key/versions", read, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const key = parseLibraryKey(c.req.param("key"));
		const versions = await store.listLibraryMetricVersions(gameId, key);
		if (versions.length === 0) throw new NotFoundError(`The metric library has no metric "${key}".`);
		const latest = versions[versions.length - 1]!.version;
		return c.json({ versions: versions.map((v) => libraryMetricResponse(v, latest)) }, 200);
	});

	routes.post("/games/:gameId/metric-library/:key/archive", write, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const key = parseLibraryKey(c.req.param("key"));
		const record = await archiveLibraryMetric(store, gameId, key, clock());
		return c.json(libraryMetricResponse(record, record.version), 200);
	});

	return routes;
}

function parse<T extends z.ZodType>(schema: T, value: unknown, detail: string): z.output<T> {
	const result = schema.safeParse(value);
	if (!result.success) throw new ValidationError(detail, describeIssues(result.error.issues));
	return result.data;
}
