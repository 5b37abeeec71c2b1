// Planning and watching experiments from the dashboard, mounted at /v1/admin next to the experiment CRUD: the power
// calculator (players and days a test needs at the game's traffic), the assignment preview (who would land where),
// and the exposed players of an experiment. None changes anything, so viewers may call them all.
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { existingGameId } from "../auth/provisioning.js";
import type { AdminRole } from "../auth/roles.js";
import { NotFoundError, ValidationError } from "../errors.js";
import type { AppEnv } from "../http/app-env.js";
import { readJsonBody } from "../http/read-json-body.js";
import { describeIssues } from "../ingest/schema.js";
import type { activeUsersSchema } from "../metrics/schemas.js";
import type { Store } from "../store/types.js";
import { localDayFn } from "../warehouse/time-zone.js";
import { entityKeySchema } from "./common-schema.js";
import { exposureMetric, exposureSummary } from "./exposures.js";
import { DAY_MS } from "./metric.js";
import { resolveExperimentMetric, withLatestLibraryMetrics } from "./metric-library.js";
import {
	observedBaseline,
	planExperiment,
	planIssues,
	planRequestSchema,
	trafficFromActiveUsers,
	type ObservedBaselineInfo,
	type PlanRequest,
	type Traffic,
} from "./planning.js";
import { DEFAULT_CUPED_LOOKBACK_DAYS } from "./results.js";
import {
	previewConfig,
	previewIssues,
	previewRequestSchema,
	summarizePreview,
	type PreviewPlayer,
	type PreviewRequest,
} from "./preview.js";

/** Requests here are small: a draft's assignment fields at most. */
const BODY_LIMITS = { maxBodyBytes: 64 * 1024, maxInflatedBytes: 64 * 1024 };
/** Session starts read for a recent-players preview, in pages, at most (bounded work on the store's connection). */
const RECENT_PAGE = 5000;
const RECENT_MAX_PAGES = 10;

export interface PlanningRoutesDeps {
	store: Store;
	clock: () => number;
	requireRole: (role: AdminRole) => MiddlewareHandler<AppEnv>;
	/**
	 * Told before a preview of recent players is answered (it lists their UserIds): the privacy audit log records the
	 * read. @default none
	 */
	onPlayersRead?: (c: Context<AppEnv>, read: { gameId: string; players: number }) => Promise<void>;
}

/**
 * - `POST /games/:gameId/experiments/plan` — players and days a test needs ({@link planExperiment});
 * - `POST /games/:gameId/experiments/preview` — a draft's split of sample players ({@link summarizePreview});
 * - `GET /games/:gameId/experiments/:key/exposures` — players exposed so far, per variation.
 */
export function planningRoutes(deps: PlanningRoutesDeps): Hono<AppEnv> {
	const { store, clock } = deps;
	const read = deps.requireRole("viewer");
	const routes = new Hono<AppEnv>();

	const game = (raw: string): Promise<string> => existingGameId(store, raw);

	routes.post("/games/:gameId/experiments/plan", read, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const parsed = parse(planRequestSchema, await readJsonBody(c.req.raw, BODY_LIMITS));
		// An observed baseline is read from an experiment's control arm first (its rate, mean or ratio and variance).
		const { request, observed } = await resolveBaseline(store, gameId, parsed, clock());
		const issues = planIssues(request);
		if (issues.length > 0) throw new ValidationError("The plan cannot be computed.", issues);
		const traffic = await readTraffic(store, gameId, request.lookbackDays, clock());
		return c.json(planExperiment(request, traffic, observed), 200);
	});

	routes.post("/games/:gameId/experiments/preview", read, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const request = parse(previewRequestSchema, await readJsonBody(c.req.raw, BODY_LIMITS));
		const issues = previewIssues(request);
		if (issues.length > 0) throw new ValidationError("The preview cannot be computed.", issues);
		const config = previewConfig(request);
		const sample = request.sample;
		if (sample.source === "synthetic") {
			const players: PreviewPlayer[] = Array.from({ length: sample.players }, (_, i) => {
				const userId = sample.firstUserId + i;
				return { userId, attributes: { id: userId } };
			});
			return c.json(
				{
					source: "synthetic",
					window: null,
					attributes: "Synthetic players have only their UserId (id); conditions on other attributes fail for them.",
					...summarizePreview(config, players),
				},
				200,
			);
		}
		const now = clock();
		const recent = await recentPlayers(store, gameId, sample, now);
		await deps.onPlayersRead?.(c, { gameId, players: recent.length });
		return c.json(
			{
				source: "recent",
				window: { from: new Date(now - sample.days * DAY_MS).toISOString(), to: new Date(now).toISOString() },
				attributes:
					"Each player's latest session_start (accountAge, premium, locale, country, device, join data) and id; " +
					"attributes the game sets with Vantage.setAttributes are not known here.",
				...summarizePreview(config, recent),
			},
			200,
		);
	});

	routes.get("/games/:gameId/experiments/:key/exposures", read, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const key = parse(entityKeySchema, c.req.param("key"));
		const record = await store.getExperiment(gameId, key);
		if (!record) throw new NotFoundError(`Experiment "${key}" does not exist.`);
		const d = record.definition;
		const now = clock();
		const from = d.startAt ?? record.createdAt;
		const to = Math.max(from + 1, Math.min(d.endAt ?? now, now));
		const rows = await store.experimentMetricSums({
			gameId,
			experimentKey: key,
			from,
			to,
			metric: exposureMetric(key),
			excludeUserIds: Object.keys(d.forcedVariations).map(Number),
		});
		return c.json(exposureSummary(key, rows, d.variations, from, to), 200);
	});

	return routes;
}

/**
 * The request with an observed baseline read from the data: the experiment's units first exposed in the last `days`
 * days of its run (with the CUPED covariate when asked), summarized by {@link observedBaseline}. 400 naming the field
 * for an unknown experiment or metric, or a window without data.
 */
async function resolveBaseline(
	store: Store,
	gameId: string,
	request: PlanRequest,
	now: number,
): Promise<{ request: PlanRequest; observed: ObservedBaselineInfo | null }> {
	const b = request.baseline;
	if (b.kind !== "observed") return { request, observed: null };
	const invalid = (path: string, message: string) =>
		new ValidationError("The plan cannot be computed.", [{ path: `baseline.${path}`, message }]);
	const stored = await store.getExperiment(gameId, b.experiment);
	if (!stored) throw invalid("experiment", "no such experiment in this game");
	const record = await withLatestLibraryMetrics(store, stored);
	const metric = await resolveExperimentMetric(store, gameId, record, b.metric);
	if (!metric)
		throw invalid(
			"metric",
			b.metric === undefined ? "the experiment has no primary metric" : "not a metric of the experiment",
		);
	const d = record.definition;
	const to = Math.min(d.endAt ?? now, now);
	const from = Math.max(d.startAt ?? record.createdAt, to - b.days * DAY_MS);
	if (!(from < to)) throw invalid("experiment", "the experiment has not started: no data to read yet");
	const units = await store.experimentUnits({
		gameId,
		experimentKey: record.key,
		from,
		to,
		metric,
		excludeUserIds: Object.keys(d.forcedVariations).map(Number),
		covariateLookbackDays: b.cuped ? DEFAULT_CUPED_LOOKBACK_DAYS : 0,
		dimensions: [],
	});
	const found = observedBaseline(units, d.variations, metric, { cuped: b.cuped });
	return {
		request: { ...request, baseline: found.baseline },
		observed: {
			experiment: record.key,
			metric: metric.key,
			from: new Date(from).toISOString(),
			to: new Date(to).toISOString(),
			units: found.controlUnits,
			rawStdDev: found.rawStdDev,
			varianceReduction: found.varianceReduction,
		},
	};
}

/** The game's traffic over the `days` complete local days before today (today is still partial). */
async function readTraffic(store: Store, gameId: string, days: number, now: number): Promise<Traffic | null> {
	const { timeZone } = await store.getGameSettings(gameId);
	const today = localDayFn(timeZone)(now);
	const envelope = await store.warehouse.metric(
		gameId,
		{ metric: "active-users", range: { from: today - days, to: today - 1 }, spec: { filters: [] } },
		now,
	);
	const segment = (envelope.segments[0] ?? { players: 0, days: [] }) as Pick<
		z.output<typeof activeUsersSchema>["segments"][number],
		"players" | "days"
	>;
	return trafficFromActiveUsers(segment.days, segment.players);
}

/**
 * The most recently seen players of the last `days` days with their latest session_start props as attributes, at
 * most `players` of them. Reads session starts oldest first in pages, up to a bound, keeping each player's last.
 */
async function recentPlayers(
	store: Store,
	gameId: string,
	sample: Extract<PreviewRequest["sample"], { source: "recent" }>,
	now: number,
): Promise<PreviewPlayer[]> {
	const seen = new Map<number, { time: number; attributes: Record<string, unknown> }>();
	let after: string | undefined;
	for (let page = 0; page < RECENT_MAX_PAGES; page++) {
		const events = await store.listEvents({
			gameId,
			type: "session_start",
			name: "player",
			from: now - sample.days * DAY_MS,
			to: now,
			limit: RECENT_PAGE,
			after,
		});
		for (const e of events) {
			if (e.userId > 0) seen.set(e.userId, { time: e.time, attributes: { ...e.props } });
		}
		if (events.length < RECENT_PAGE) break;
		after = events[events.length - 1]!.id;
	}
	return [...seen.entries()]
		.sort((a, b) => b[1].time - a[1].time || a[0] - b[0])
		.slice(0, sample.players)
		.map(([userId, { attributes }]) => ({ userId, attributes }));
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
	const result = schema.safeParse(value);
	if (!result.success) throw new ValidationError("The request is invalid.", describeIssues(result.error.issues));
	return result.data;
}
