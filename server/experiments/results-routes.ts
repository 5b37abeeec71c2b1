// Reading experiments' results, mounted at /v1/admin: one metric's results (with the guardrails, the alerts and the
// recommendation for the primary metric), a metric broken down by a dimension, and the guardrail alerts of a game's
// running experiments for the dashboard overview. The store reads the units; the statistics run in the results worker.
import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { existingGameId } from "../auth/provisioning.js";
import type { AdminRole } from "../auth/roles.js";
import { NotFoundError, ValidationError } from "../errors.js";
import type { AppEnv } from "../http/app-env.js";
import { describeIssues } from "../ingest/schema.js";
import type { ExperimentRecord, Store } from "../store/types.js";
import { experimentAlerts } from "./alerts.js";
import { MAX_BREAKDOWN_CELLS } from "./breakdown.js";
import { entityKeySchema } from "./common-schema.js";
import { metricKeySchema } from "./metric.js";
import { resolveExperimentMetric, withLatestLibraryMetrics } from "./metric-library.js";
import { DEFAULT_CUPED_LOOKBACK_DAYS, MIN_UNITS_PER_ARM, type MetricData } from "./results.js";
import { sharedResultsAnalyzer, type ResultsAnalyzer } from "./results-analyzer.js";
import { experimentInputBase, readMetricData } from "./results-input.js";
import { CORRECTIONS } from "./results-types.js";
import type { BreakdownDimension } from "./units.js";

const isoTime = z.iso.datetime({ offset: true });

const windowAndCuped = {
	metric: metricKeySchema.optional().describe("A metric key of the experiment; default: its primary metric."),
	from: isoTime.optional().describe("Start of the exposure window; default: the experiment's start."),
	to: isoTime.optional().describe("End (exclusive) of the window; default: its end, or now if earlier."),
	difference: z
		.enum(["relative", "absolute"])
		.default("relative")
		.describe(
			"Which effect is primary (frequentist, bayesian, sequential, the daily series); both are always given side " +
				"by side in each comparison's absolute and relative.",
		),
	cuped: z
		.enum(["true", "false"])
		.default("true")
		.describe(
			"CUPED (on by default): adjust with the same metric over the lookback before each unit's first exposure. " +
				"false: the raw comparison only.",
		),
	lookbackDays: z.coerce
		.number()
		.int()
		.min(1)
		.max(90)
		.default(DEFAULT_CUPED_LOOKBACK_DAYS)
		.describe(`Days before first exposure the CUPED covariate covers (default ${DEFAULT_CUPED_LOOKBACK_DAYS}).`),
};

export const resultsQuerySchema = z.object({
	...windowAndCuped,
	correction: z.enum(CORRECTIONS).default("holm").describe("Across treatments: Holm, Benjamini–Hochberg or none."),
});

/** A dimension results can be broken down by. */
export const breakdownDimensionSchema = z
	.union([
		z.enum(["platform", "country", "newVsReturning"]),
		z.string().regex(/^attr:[A-Za-z0-9_]{1,64}$/, "attr:<name> with 1-64 of A-Z a-z 0-9 _"),
	])
	.describe(
		"platform, country, newVsReturning (first seen within a day of exposure) or attr:<name> (an attribute the game " +
			"set with Vantage.setAttributes, as the first exposure carried it, else a session_start prop).",
	);

export const breakdownQuerySchema = z.object({
	...windowAndCuped,
	dimension: breakdownDimensionSchema,
	minUnits: z.coerce
		.number()
		.int()
		.min(1)
		.max(100_000)
		.default(MIN_UNITS_PER_ARM)
		.describe(`A cell with an arm under this many units gets a small-cell warning (default ${MIN_UNITS_PER_ARM}).`),
	maxCells: z.coerce
		.number()
		.int()
		.min(1)
		.max(100)
		.default(MAX_BREAKDOWN_CELLS)
		.describe(`Cells shown apart, largest first; the rest merge into "other" (default ${MAX_BREAKDOWN_CELLS}).`),
});

export interface ResultsRoutesDeps {
	store: Store;
	clock: () => number;
	requireRole: (role: AdminRole) => MiddlewareHandler<AppEnv>;
	/** Computes results off the event loop (a worker thread). @default the process's shared analyzer */
	analyzer?: Pick<ResultsAnalyzer, "analyze" | "breakdown">;
}

/**
 * - `GET /games/:gameId/experiments/:key/results?metric=&from=&to=&difference=&correction=&cuped=&lookbackDays=`
 * - `GET /games/:gameId/experiments/:key/breakdown?dimension=&metric=&from=&to=&difference=&cuped=&lookbackDays=&minUnits=&maxCells=`
 * - `GET /games/:gameId/experiment-alerts` — guardrail regressions of the running experiments.
 * All read, so viewers may call them.
 */
export function resultsRoutes(deps: ResultsRoutesDeps): Hono<AppEnv> {
	const { store, clock } = deps;
	const read = deps.requireRole("viewer");
	const analyzer = () => deps.analyzer ?? sharedResultsAnalyzer;
	const routes = new Hono<AppEnv>();

	const game = (raw: string): Promise<string> => existingGameId(store, raw);
	const experiment = async (gameId: string, rawKey: string): Promise<ExperimentRecord> => {
		const key = parse(entityKeySchema, rawKey, "The experiment key is invalid.");
		const record = await store.getExperiment(gameId, key);
		if (!record) throw new NotFoundError(`Experiment "${key}" does not exist.`);
		// A draft's library metrics follow the latest version; a started experiment's are pinned.
		return withLatestLibraryMetrics(store, record);
	};
	/** The metric asked for (the primary by default), its role, and the analysis window; 400 when unknown or empty. */
	const target = async (gameId: string, record: ExperimentRecord, query: z.output<typeof resultsQuerySchema>) => {
		const metric = await resolveExperimentMetric(store, gameId, record, query.metric);
		if (!metric) {
			const message = query.metric === undefined ? "no primary metric: name one" : "not a metric of the experiment";
			throw new ValidationError("The metric is unknown.", [{ path: "metric", message }]);
		}
		const d = record.definition;
		const now = clock();
		const from = query.from === undefined ? (d.startAt ?? record.createdAt) : Date.parse(query.from);
		const to = query.to === undefined ? Math.min(d.endAt ?? now, now) : Date.parse(query.to);
		if (!(from < to))
			throw new ValidationError("The window is empty.", [{ path: "to", message: "must be after from" }]);
		const role: MetricData["role"] = d.primaryMetric?.key === metric.key ? "primary" : "guardrail";
		const lookbackDays = query.cuped === "false" ? 0 : query.lookbackDays;
		return { metric, role, from, to, lookbackDays };
	};

	routes.get("/games/:gameId/experiments/:key/results", read, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const record = await experiment(gameId, c.req.param("key"));
		const query = parse(resultsQuerySchema, c.req.query(), "The query is invalid.");
		const { metric, role, from, to, lookbackDays } = await target(gameId, record, query);
		const window = { from, to, lookbackDays };
		// The units come from the warehouse's worker; the statistics (seconds for a long experiment) run in another.
		const [main, ...guardrails] = await Promise.all([
			readMetricData(store, record, metric, role, window),
			...(role === "primary"
				? record.definition.guardrailMetrics.map((g) => readMetricData(store, record, g, "guardrail", window))
				: []),
		]);
		const results = await analyzer().analyze(
			{ ...experimentInputBase(record, window), metric: main!, guardrails },
			{ difference: query.difference, correction: query.correction, cuped: query.cuped !== "false" },
		);
		return c.json(results, 200);
	});

	routes.get("/games/:gameId/experiments/:key/breakdown", read, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const record = await experiment(gameId, c.req.param("key"));
		const query = parse(breakdownQuerySchema, c.req.query(), "The query is invalid.");
		const { metric, role, from, to, lookbackDays } = await target(gameId, record, { ...query, correction: "holm" });
		const window = { from, to, lookbackDays };
		const dimension = query.dimension as BreakdownDimension;
		const data = await readMetricData(store, record, metric, role, window, [dimension]);
		const results = await analyzer().breakdown(
			{ ...experimentInputBase(record, window), ...data, dimension },
			{
				difference: query.difference,
				cuped: query.cuped !== "false",
				minUnitsPerArm: query.minUnits,
				maxCells: query.maxCells,
			},
		);
		return c.json(results, 200);
	});

	routes.get("/games/:gameId/experiment-alerts", read, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		return c.json(await experimentAlerts({ store, analyzer: analyzer(), clock }, gameId), 200);
	});

	return routes;
}

function parse<T extends z.ZodType>(schema: T, value: unknown, detail: string): z.output<T> {
	const result = schema.safeParse(value);
	if (!result.success) throw new ValidationError(detail, describeIssues(result.error.issues));
	return result.data;
}
