// The metrics API: GET /v1/games/{gameId}/metrics/{metric}. Answers come from the warehouse (a worker thread for
// file databases), so a heavy query never holds up ingest.
import { Hono, type MiddlewareHandler } from "hono";
import { existingGameId } from "../auth/provisioning.js";
import { ValidationError } from "../errors.js";
import { CSV_CONTENT_TYPE, toCsv } from "../exports/csv.js";
import type { AppEnv } from "../http/app-env.js";
import type { Store } from "../store/types.js";
import { localDayFn } from "../warehouse/time-zone.js";
import { METRIC_NAMES, MetricRequestError, type MetricEnvelope } from "./engine.js";
import { eventNamesAnswer } from "./event-names.js";
import { parseDay, parseMetricQuery, type CsvTable } from "./query.js";
import type { DayRange } from "./reader.js";

export interface MetricsApiDeps {
	store: Store;
	clock: () => number;
	/** Who may read metrics (aggregates only: viewers and up). */
	guard: MiddlewareHandler<AppEnv>;
}

/**
 * Routes relative to /v1:
 * - `GET /games/:gameId/metrics` — the metric names;
 * - `GET /games/:gameId/metrics/:metric?from=&to=&breakdown=&filter=&format=json|csv&…` — one metric;
 * - `GET /games/:gameId/metrics/event-names?from=&to=` — the event kinds and funnels the game sent (for pickers).
 */
export function metricsApiRoutes(deps: MetricsApiDeps): Hono<AppEnv> {
	const routes = new Hono<AppEnv>();

	const game = (raw: string): Promise<string> => existingGameId(deps.store, raw);

	routes.get("/games/:gameId/metrics", deps.guard, async (c) => {
		await game(c.req.param("gameId"));
		return c.json({ metrics: METRIC_NAMES }, 200);
	});

	routes.get("/games/:gameId/metrics/event-names", deps.guard, async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const { timeZone } = await deps.store.getGameSettings(gameId);
		const range = parseEventNamesQuery(c.req.queries(), localDayFn(timeZone));
		return c.json(eventNamesAnswer(gameId, range, await deps.store.warehouse.eventNames(gameId, range)), 200);
	});

	// One route per metric, so each has its own documented path and parameters.
	for (const metric of METRIC_NAMES) {
		routes.get(`/games/:gameId/metrics/${metric}`, deps.guard, async (c) => {
			const gameId = await game(c.req.param("gameId"));
			const now = deps.clock();
			const { timeZone } = await deps.store.getGameSettings(gameId);
			const dayOf = localDayFn(timeZone);
			const { request, format, table } = parseMetricQuery(metric, c.req.queries(), dayOf(now), dayOf);
			let result: MetricEnvelope;
			try {
				result = await deps.store.warehouse.metric(gameId, request, now);
			} catch (error) {
				if (error instanceof MetricRequestError) {
					throw new ValidationError("The metric query cannot be answered.", [
						{ path: "breakdown", message: error.message },
					]);
				}
				throw error;
			}
			if (format === "csv") {
				const { columns, rows } = metricTable(result, table);
				const name = table ? `${metric}-${table}` : metric;
				return c.body(toCsv(columns, rows), 200, {
					"Content-Type": CSV_CONTENT_TYPE,
					"Content-Disposition": `attachment; filename="${name}-${gameId}-${result.from}-${result.to}.csv"`,
				});
			}
			return c.json(result, 200);
		});
	}

	return routes;
}

/** `from` and `to` of the event-names route, each optional (unbounded); null when neither is given. */
function parseEventNamesQuery(query: Record<string, string[]>, dayOf: (time: number) => number): DayRange | null {
	const issues: { path: string; message: string }[] = [];
	for (const name of Object.keys(query)) {
		if (name !== "from" && name !== "to") issues.push({ path: name, message: "unknown parameter; allowed: from, to" });
	}
	const day = (name: "from" | "to"): number | undefined => {
		const values = query[name];
		if (!values) return undefined;
		const parsed = values.length === 1 ? parseDay(values[0]!, dayOf) : undefined;
		if (parsed === undefined) issues.push({ path: name, message: "give once, as a date YYYY-MM-DD" });
		return parsed;
	};
	const from = day("from");
	const to = day("to");
	if (from !== undefined && to !== undefined && from > to)
		issues.push({ path: "from", message: "must not be after to" });
	if (issues.length > 0) throw new ValidationError("The query is invalid.", issues);
	if (from === undefined && to === undefined) return null;
	return { from: from ?? -1e9, to: to ?? 1e9 };
}

type Row = readonly unknown[];
// The segments' shapes are the metric schemas (schemas.ts); the table code walks them by name.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Seg = Record<string, any>;

/**
 * Any metric as one flat table: the segment first, then the metric's own columns. `table` picks a nested part of the
 * answer (see CSV_TABLES); each metric's first table is its default.
 */
export function metricTable(result: MetricEnvelope, table?: CsvTable): { columns: string[]; rows: Row[] } {
	const segments = result.segments as Seg[];
	const rows: Row[] = [];
	const each = (fn: (s: Seg, segment: string) => void) => {
		for (const s of segments) fn(s, s.segment ?? "all");
	};
	switch (result.metric) {
		case "active-users":
			each((s, seg) => {
				for (const d of s.days)
					rows.push([seg, d.date, d.dau, d.newPlayers, d.returningPlayers, d.wau, d.mau, d.stickiness]);
			});
			return {
				columns: ["segment", "date", "dau", "newPlayers", "returningPlayers", "wau", "mau", "stickiness"],
				rows,
			};
		case "sessions":
			each((s, seg) => {
				for (const d of s.days) {
					rows.push([seg, d.date, d.sessions, d.players, d.sessionsPerPlayer, d.medianSeconds, d.meanSeconds]);
				}
			});
			return {
				columns: ["segment", "date", "sessions", "players", "sessionsPerPlayer", "medianSeconds", "meanSeconds"],
				rows,
			};
		case "retention":
			if (table === "average") {
				each((s, seg) => {
					for (const d of s.average) rows.push([seg, d.day, d.players, d.rate]);
				});
				return { columns: ["segment", "day", "retainedPlayers", "rate"], rows };
			}
			each((s, seg) => {
				for (const c of s.cohorts)
					for (const d of c.days) rows.push([seg, c.cohort, c.players, d.day, d.players, d.rate]);
			});
			return { columns: ["segment", "cohort", "cohortPlayers", "day", "retainedPlayers", "rate"], rows };
		case "funnel":
			each((s, seg) => {
				for (const st of s.steps) {
					rows.push([
						seg,
						st.step,
						st.name,
						st.players,
						st.conversionRate,
						st.stepConversionRate,
						st.dropOff,
						st.medianSecondsFromPrevious,
						st.medianSecondsFromStart,
					]);
				}
			});
			return {
				columns: [
					"segment",
					"step",
					"name",
					"players",
					"conversionRate",
					"stepConversionRate",
					"dropOff",
					"medianSecondsFromPrevious",
					"medianSecondsFromStart",
				],
				rows,
			};
		case "revenue":
			if (table === "ltv") {
				// The average over cohorts first (cohort "all"), then each cohort.
				each((s, seg) => {
					const players = (s.ltv.cohorts as { players: number }[]).reduce((a, c) => a + c.players, 0);
					for (const d of s.ltv.days) rows.push([seg, "all", players, d.day, d.robuxPerPlayer]);
					for (const c of s.ltv.cohorts) {
						(c.robuxPerPlayer as (number | null)[]).forEach((value, i) => {
							rows.push([seg, c.cohort, c.players, s.ltv.days[i]?.day, value]);
						});
					}
				});
				return { columns: ["segment", "cohort", "cohortPlayers", "day", "robuxPerPlayer"], rows };
			}
			if (table === "products") {
				each((s, seg) => {
					for (const p of s.topProducts) rows.push([seg, p.product, p.revenue, p.purchases, p.share]);
				});
				return { columns: ["segment", "product", "revenueRobux", "purchases", "share"], rows };
			}
			each((s, seg) => {
				for (const d of s.days) {
					rows.push([seg, d.date, d.revenue, d.purchases, d.payers, d.dau, d.arpdau, d.arppu, d.payerConversion]);
				}
			});
			return {
				columns: [
					"segment",
					"date",
					"revenueRobux",
					"purchases",
					"payers",
					"dau",
					"arpdau",
					"arppu",
					"payerConversion",
				],
				rows,
			};
		case "economy":
			if (table === "items") {
				each((s, seg) => {
					for (const c of s.currencies) {
						for (const i of c.items) rows.push([seg, c.currency, i.flow, i.itemType, i.itemId, i.amount, i.events]);
					}
				});
				return { columns: ["segment", "currency", "flow", "itemType", "itemId", "amount", "events"], rows };
			}
			each((s, seg) => {
				for (const c of s.currencies) {
					for (const d of c.days)
						rows.push([seg, c.currency, d.date, d.sources, d.sinks, d.net, d.supply, d.inflation]);
				}
			});
			return { columns: ["segment", "currency", "date", "sources", "sinks", "net", "supply", "inflation"], rows };
		case "progression":
			each((s, seg) => {
				for (const l of s.levels) {
					rows.push([
						seg,
						l.path,
						l.starts,
						l.completes,
						l.fails,
						l.completionRate,
						l.failRate,
						l.attemptsToComplete,
						l.meanSecondsToComplete,
					]);
				}
			});
			return {
				columns: [
					"segment",
					"path",
					"starts",
					"completes",
					"fails",
					"completionRate",
					"failRate",
					"attemptsToComplete",
					"meanSecondsToComplete",
				],
				rows,
			};
		case "kpi":
			each((s, seg) => {
				for (const g of s.groups) for (const d of g.days) rows.push([seg, g.group ?? "", d.date, d.value]);
			});
			return { columns: ["segment", "group", "date", "value"], rows };
		case "trends":
			each((s, seg) => {
				for (const e of s.events) {
					const label = e.event.type ? `${e.event.type}:${e.event.name}` : e.event.name;
					for (const d of e.days ?? e.hours) rows.push([seg, label, d.date ?? d.hour, d.value]);
				}
			});
			return { columns: ["segment", "event", result.interval === "hour" ? "hour" : "date", "value"], rows };
		case "overview":
			each((s) => {
				for (const k of s.kpis) rows.push([k.key, k.label, k.unit, k.value, k.previous, k.change]);
			});
			return { columns: ["kpi", "label", "unit", "value", "previous", "change"], rows };
	}
}
