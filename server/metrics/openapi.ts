// The metrics API in the OpenAPI document: one path per metric, its parameters and its response component.
import type { OpenApiFragment } from "../openapi/fragment.js";
import type { z } from "zod";
import type { MetricName } from "./engine.js";
import { CSV_TABLES, DEFAULT_DEVELOPER_SHARE, DEFAULT_USD_PER_ROBUX, MAX_RANGE_DAYS, METRIC_PARAMS } from "./query.js";
import { eventNamesSchema, METRIC_SCHEMAS } from "./schemas.js";

function componentId(metric: MetricName): string {
	return `Metric${metric
		.split("-")
		.map((part) => part[0]!.toUpperCase() + part.slice(1))
		.join("")}`;
}

/** Response components, by id (merged into the document's components). */
export const METRIC_COMPONENTS: Record<string, z.ZodType> = {
	...Object.fromEntries(
		Object.entries(METRIC_SCHEMAS).map(([metric, schema]) => [componentId(metric as MetricName), schema]),
	),
	EventNames: eventNamesSchema,
};

const DIMENSIONS =
	"`platform` or `device` (device class: desktop, phone, tablet, console, vr), `country` (ISO 3166-1 alpha-2), `locale`, " +
	"`premium`, `new_vs_returning` (new on the day of their first event), `variant:<experimentKey>` (variation of the " +
	"player's first exposure) or `attr:<name>` (any prop of the player's first session_start, e.g. attr:serverType). " +
	"Player attributes are those of the player's first session.";

const query = (name: string, description: string, schema: Record<string, unknown> = { type: "string" }) => ({
	name,
	in: "query",
	required: false,
	description,
	schema,
});

const PARAMETERS: Record<string, unknown> = {
	from: query(
		"from",
		"First local day (inclusive), YYYY-MM-DD in the game's time zone. Default: 29 days before `to`.",
		{
			type: "string",
			format: "date",
		},
	),
	to: query(
		"to",
		`Last local day (inclusive), YYYY-MM-DD. Default: today. A range is at most ${MAX_RANGE_DAYS} days.`,
		{
			type: "string",
			format: "date",
		},
	),
	breakdown: query("breakdown", `One dimension to split the metric by: ${DIMENSIONS}`),
	filter: {
		...query(
			"filter",
			`Keep only players (or player-days) whose dimension has this value: \`dimension:value\`, e.g. \`country:DE\` or \`variant:shop_price:1\`. Repeat for several (all must hold). Dimensions: ${DIMENSIONS}`,
			{
				type: "array",
				items: { type: "string" },
			},
		),
		style: "form",
		explode: true,
	},
	format: query(
		"format",
		"json (default) or csv: the same numbers as one flat table, a row per segment and day/step/level.",
		{
			type: "string",
			enum: ["json", "csv"],
		},
	),
	mode: query("mode", "classic (default): active on day N exactly; rolling: active on day N or later.", {
		type: "string",
		enum: ["classic", "rolling"],
	}),
	days: query(
		"days",
		"Day numbers N: a list and/or ranges, e.g. `1,7,30` or `0-30` (at most 120, each ≤ 365). Default 0,1,3,7,14,30.",
	),
	funnel: query(
		"funnel",
		"Name of a funnel tracked with Vantage.funnelStep; its steps are the step numbers. Give this or `steps`.",
	),
	steps: query(
		"steps",
		"2-10 comma-separated events (`name` or `type:name`, e.g. `custom:shop_open,purchase:developer_product`) forming an ordered funnel over raw events. Give this or `funnel`.",
	),
	window: query("window", "Conversion window in days from step 1 (1-90, default 14).", {
		type: "integer",
		minimum: 1,
		maximum: 90,
	}),
	usdPerRobux: query("usdPerRobux", `USD per earned Robux for the DevEx estimate (default ${DEFAULT_USD_PER_ROBUX}).`, {
		type: "number",
		minimum: 0,
		maximum: 1,
	}),
	developerShare: query("developerShare", `Share of spent Robux the game earns (default ${DEFAULT_DEVELOPER_SHARE}).`, {
		type: "number",
		minimum: 0,
		maximum: 1,
	}),
	ltvDays: query("ltvDays", "Day numbers of the LTV curve, as `days` (default 0,1,3,7,14,30,60,90)."),
	event: query(
		"event",
		"The event: `name` or `type:name` (type one of the event types), e.g. `custom:quest_done`. Required.",
	),
	measure: query(
		"measure",
		"kpi: count (default), users (distinct players), sum or mean (of `property`); trends: count or users.",
		{
			type: "string",
			enum: ["count", "users", "sum", "mean"],
		},
	),
	property: query("property", "The numeric prop summed or averaged (required with sum and mean)."),
	where: {
		...query(
			"where",
			"Prop filter: `prop=value`, `prop!=value` (as text), `prop>n`, `prop>=n`, `prop<n`, `prop<=n` (numbers). Repeat for several (all must hold). Reads raw events.",
			{
				type: "array",
				items: { type: "string" },
			},
		),
		style: "form",
		explode: true,
	},
	groupBy: query("groupBy", "A prop whose values split the KPI into groups. Reads raw events."),
	events: query("events", "1-10 comma-separated events (`name` or `type:name`). Required."),
	table: query(
		"table",
		`With format=csv, which part of the answer the table holds (the first is the default): ${Object.entries(CSV_TABLES)
			.map(([metric, tables]) => `${metric}: ${tables.join(", ")}`)
			.join("; ")}.`,
		{ type: "string", enum: [...new Set(Object.values(CSV_TABLES).flat())] },
	),
	interval: query("interval", "day (default) or hour (UTC hours, counts for the whole game, ≤ 31 days).", {
		type: "string",
		enum: ["day", "hour"],
	}),
};

const SUMMARIES: Record<MetricName, string> = {
	"active-users": "Active players: DAU, new and returning, WAU, MAU, stickiness",
	sessions: "Sessions: count, per player, median and mean length",
	retention: "Retention by install cohort: classic or rolling, cohort × day N",
	funnel: "Ordered funnel: per-step conversion, drop-off, time to convert",
	revenue: "Revenue in Robux: ARPDAU, ARPU, ARPPU, payer conversion, LTV, top products, first purchase, DevEx estimate",
	economy: "Virtual economy: sources and sinks per currency and item, net flow, supply, inflation",
	progression: "Progression per level: starts, completes, fails, rates, attempts",
	kpi: "Custom KPI: count, players, sum or mean of one event, with prop filters and grouping",
	trends: "Trends of up to 10 events per day or hour",
	overview: "Headline KPIs of the range against the period before",
};

/**
 * The paths, built with the document's own helpers so they share its problem responses and auth.
 */
export function metricsPaths(h: {
	gameIdParam: unknown;
	problem: (description: string, retryable: boolean) => unknown;
	adminAuth: Record<string, unknown>;
}): Record<string, unknown> {
	const paths: Record<string, unknown> = {
		"/v1/games/{gameId}/metrics": {
			get: {
				operationId: "listMetrics",
				summary: "The metric names of the metrics API (viewer and up)",
				tags: ["metrics"],
				security: [{ adminToken: [] }],
				parameters: [h.gameIdParam],
				responses: {
					"200": {
						description: "Metric names.",
						content: {
							"application/json": {
								schema: { type: "object", properties: { metrics: { type: "array", items: { type: "string" } } } },
							},
						},
					},
					"404": h.problem("No such game.", false),
					...h.adminAuth,
				},
			},
		},
	};
	paths["/v1/games/{gameId}/metrics/event-names"] = {
		get: {
			operationId: "listEventNames",
			summary: "The event kinds and funnels the game sent, for pickers (viewer and up)",
			description:
				"From the daily event rollup: every `type:name` with its count and last day, and the funnels " +
				"(Vantage.funnelStep) by name. Without `from` and `to`, all history.",
			tags: ["metrics"],
			security: [{ adminToken: [] }],
			parameters: [
				h.gameIdParam,
				query("from", "First local day counted, YYYY-MM-DD. Default: unbounded.", { type: "string", format: "date" }),
				query("to", "Last local day counted, YYYY-MM-DD. Default: unbounded.", { type: "string", format: "date" }),
			],
			responses: {
				"200": {
					description: "The event kinds, the most frequent first, and the funnels.",
					content: { "application/json": { schema: { $ref: "#/components/schemas/EventNames" } } },
				},
				"400": h.problem("Invalid or unknown parameter.", false),
				"404": h.problem("No such game.", false),
				...h.adminAuth,
			},
		},
	};
	for (const metric of Object.keys(METRIC_PARAMS) as MetricName[]) {
		const names = ["from", "to", "breakdown", "filter", "format", ...METRIC_PARAMS[metric]];
		paths[`/v1/games/{gameId}/metrics/${metric}`] = {
			get: {
				operationId: `metric${componentId(metric).slice(6)}`,
				summary: `${SUMMARIES[metric]} (viewer and up)`,
				description:
					"Days are local days of the game's time zone (its settings; default UTC). Numbers come from the " +
					"warehouse's rollups, kept up to date within seconds of ingest; breakdowns of economy, progression " +
					"and products, prop filters and event-step funnels read raw events (`source: raw`). Unknown " +
					"parameters are refused.",
				tags: ["metrics"],
				security: [{ adminToken: [] }],
				parameters: [h.gameIdParam, ...names.map((n) => PARAMETERS[n])],
				responses: {
					"200": {
						description: "The metric (JSON), or with format=csv one flat table (text/csv).",
						content: {
							"application/json": { schema: { $ref: `#/components/schemas/${componentId(metric)}` } },
							"text/csv": { schema: { type: "string" } },
						},
					},
					"400": h.problem("Invalid or unknown parameter, or a breakdown the metric cannot use.", false),
					"404": h.problem("No such game.", false),
					...h.adminAuth,
				},
			},
		};
	}
	return paths;
}

/** This module's part of the OpenAPI document (listed in openapi/fragments.ts). */
export const metricsOpenApi: OpenApiFragment = { components: METRIC_COMPONENTS, paths: metricsPaths };
