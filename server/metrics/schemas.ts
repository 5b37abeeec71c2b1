// Response shapes of the metrics API, each field described with its unit: the OpenAPI document is generated from these.
import { z } from "zod";

const num = (d: string) => z.number().describe(d);
const int = (d: string) => z.number().int().describe(d);
const rate = (d: string) => z.number().nullable().describe(`${d} Ratio 0-1; null when the denominator is 0.`);
const date = (d: string) => z.string().describe(`${d} Local date YYYY-MM-DD in the game's time zone.`);
const segment = z
	.string()
	.nullable()
	.describe(
		"The breakdown value this block is for (null without a breakdown). `(none)`: players without the attribute; " +
			"`(not exposed)` / `(multiple)`: players never exposed to the experiment / exposed to several variations.",
	);

const envelope = {
	metric: z.string().describe("The metric's name."),
	gameId: z.string().describe("The game."),
	timeZone: z.string().describe("IANA time zone the days follow (the game's setting; default UTC)."),
	from: date("First day of the range (inclusive)."),
	to: date("Last day of the range (inclusive)."),
	breakdown: z.string().nullable().describe("The breakdown dimension asked for, or null."),
	filters: z.array(z.string()).describe("The filters applied, as dimension:value."),
	source: z
		.enum(["rollups", "raw"])
		.describe("`rollups` when every number came from the warehouse's rollup tables, `raw` when raw events were read."),
};

function metricSchema<T extends z.ZodRawShape>(segmentShape: T, extra: z.ZodRawShape = {}) {
	return z.object({
		...envelope,
		...extra,
		segments: z
			.array(z.object({ segment, ...segmentShape }))
			.describe("One block for the whole game, or one per breakdown value (sorted)."),
	});
}

export const activeUsersSchema = metricSchema({
	players: int("Distinct players active in the range."),
	newPlayers: int("Players whose first event falls in the range."),
	days: z
		.array(
			z.object({
				date: date("The day."),
				dau: int("Daily active players: players with at least one event that day."),
				newPlayers: int("Active players whose first event ever was that day."),
				returningPlayers: int("dau − newPlayers."),
				wau: int("Distinct players active in the 7 days ending that day."),
				mau: int("Distinct players active in the 30 days ending that day."),
				stickiness: rate("dau / mau."),
			}),
		)
		.describe("One entry per day of the range."),
});

const sessionSummary = {
	sessions: int("Sessions that started in the period (a session is one sessionId of a player)."),
	players: int("Distinct players with such a session."),
	sessionsPerPlayer: z.number().nullable().describe("sessions / players; null without sessions."),
	medianSeconds: z.number().nullable().describe("Median session length in seconds over sessions whose end arrived."),
	meanSeconds: z.number().nullable().describe("Mean session length in seconds over sessions whose end arrived."),
};
export const sessionsSchema = metricSchema({
	...sessionSummary,
	days: z
		.array(z.object({ date: date("The day the sessions started."), ...sessionSummary }))
		.describe("One entry per day of the range."),
});

const retentionCell = z.object({
	day: int("Day N after install (day 0 is the install day)."),
	players: z.number().int().nullable().describe("Players of the cohort retained on day N; null until day N has ended."),
	rate: rate("players / cohort size; null until day N has ended."),
});
export const retentionSchema = metricSchema(
	{
		players: int("Players in the cohorts."),
		average: z.array(retentionCell).describe("All cohorts together, weighted by size, over cohorts whose day N ended."),
		cohorts: z
			.array(
				z.object({
					cohort: date("Install day: the day of the players' first event."),
					players: int("Cohort size."),
					days: z.array(retentionCell).describe("One cell per day N asked for."),
				}),
			)
			.describe("One entry per install day with at least one player."),
	},
	{
		mode: z
			.enum(["classic", "rolling"])
			.describe("classic: active on day N exactly; rolling: active on day N or any later day."),
		days: z.array(z.number().int()).describe("The day numbers N asked for."),
	},
);

export const funnelSchema = metricSchema(
	{
		entered: int("Players who did step 1 inside the range."),
		completed: int("Players who reached the last step."),
		conversionRate: rate("completed / entered."),
		medianSecondsToConvert: z.number().nullable().describe("Median seconds from step 1 to the last step."),
		steps: z
			.array(
				z.object({
					step: int("Step number, from 1."),
					name: z.string().describe("The step's name (funnelStep stepName, or the event)."),
					players: int("Players who reached this step in order within the window."),
					conversionRate: rate("players / entered."),
					stepConversionRate: rate("players / players of the previous step."),
					dropOff: int("Players of the previous step who did not reach this one."),
					medianSecondsFromPrevious: z.number().nullable().describe("Median seconds from the previous step."),
					medianSecondsFromStart: z.number().nullable().describe("Median seconds from step 1."),
				}),
			)
			.describe("The funnel's steps in order."),
	},
	{ windowDays: int("Conversion window in days, counted from step 1.") },
);

export const revenueSchema = metricSchema(
	{
		revenue: num("Robux spent by players in the range (the `robux` of purchase events)."),
		purchases: int("Purchases in the range."),
		players: int("Distinct active players in the range."),
		payers: int("Distinct players with a purchase in the range."),
		arpu: z.number().nullable().describe("Robux per active player: revenue / players."),
		arppu: z.number().nullable().describe("Robux per paying player: revenue / payers."),
		payerConversion: rate("payers / players."),
		arpdau: z.number().nullable().describe("Robux per daily active player: revenue / Σ daily DAU."),
		devexUsd: num("Estimated US dollars: revenue × developerShare × usdPerRobux."),
		days: z
			.array(
				z.object({
					date: date("The day."),
					revenue: num("Robux spent that day."),
					purchases: int("Purchases that day."),
					payers: int("Players with a purchase that day."),
					dau: int("Daily active players."),
					arpdau: z.number().nullable().describe("revenue / dau, Robux."),
					arppu: z.number().nullable().describe("revenue / payers, Robux."),
					payerConversion: rate("payers / dau."),
				}),
			)
			.describe("One entry per day of the range."),
		ltv: z
			.object({
				days: z
					.array(
						z.object({
							day: int("Day N after install."),
							robuxPerPlayer: z
								.number()
								.nullable()
								.describe("Cumulative Robux per player by day N, over cohorts whose day N ended (size-weighted)."),
						}),
					)
					.describe("Per day N of ltvDays, over every cohort whose day N ended."),
				cohorts: z
					.array(
						z.object({
							cohort: date("Install day."),
							players: int("Cohort size."),
							robuxPerPlayer: z
								.array(z.number().nullable())
								.describe("Cumulative Robux per cohort player by each ltvDays day; null until that day ended."),
						}),
					)
					.describe("One entry per install day with at least one player."),
			})
			.describe("Lifetime value: cumulative Robux per player by day N after install."),
		topProducts: z
			.array(
				z.object({
					product: z.string().describe("Purchase event name and product id, e.g. developer_product:123456."),
					revenue: num("Robux."),
					purchases: int("Purchases."),
					share: rate("Share of the range's revenue."),
				}),
			)
			.describe("The 20 products with the most Robux in the range."),
		firstPurchase: z
			.object({
				payers: int("Players whose first purchase ever falls in the range."),
				medianDays: z.number().nullable().describe("Median days from install to first purchase."),
				meanDays: z.number().nullable().describe("Mean days from install to first purchase."),
				buckets: z
					.array(z.object({ label: z.string().describe("Days after install."), payers: int("Players.") }))
					.describe("How many such payers bought first within each span of days."),
			})
			.describe("Days from install to first purchase, for players whose first purchase falls in the range."),
	},
	{
		usdPerRobux: num("USD per Robux used for devexUsd."),
		developerShare: num("Share of spent Robux the game earns, used for devexUsd."),
	},
);

export const economySchema = metricSchema({
	currencies: z
		.array(
			z.object({
				currency: z.string().describe("The currency (economy events' currency)."),
				sources: num("Amount earned by players (flow source) in the range, in units of the currency."),
				sinks: num("Amount spent (flow sink) in the range."),
				net: num("sources − sinks."),
				days: z
					.array(
						z.object({
							date: date("The day."),
							sources: num("Amount earned that day."),
							sinks: num("Amount spent that day."),
							net: num("sources − sinks."),
							supply: num("Money supply at the end of the day: cumulative net flow since the first economy event."),
							inflation: z
								.number()
								.nullable()
								.describe("net / supply at the start of the day (0.01 = 1% growth); null while that supply ≤ 0."),
						}),
					)
					.describe("One entry per day of the range."),
				items: z
					.array(
						z.object({
							flow: z.string().describe("source or sink."),
							itemType: z.string().describe("Item type."),
							itemId: z.string().describe("Item id."),
							amount: num("Amount of the currency."),
							events: int("Economy events."),
						}),
					)
					.describe("The 50 largest flows by item."),
			}),
		)
		.describe("One entry per currency."),
});

export const progressionSchema = metricSchema({
	levels: z
		.array(
			z.object({
				path: z.string().describe('The progression path, e.g. "World1:Level2".'),
				starts: int("start events."),
				completes: int("complete events."),
				fails: int("fail events."),
				completionRate: rate("completes / starts."),
				failRate: rate("fails / starts."),
				attemptsToComplete: z
					.number()
					.nullable()
					.describe("Mean attempt number on complete (1 = first try; counted by the SDK)."),
				meanSecondsToComplete: z.number().nullable().describe("Mean seconds from start to complete."),
			}),
		)
		.describe("One entry per progression path."),
});

const series = z
	.array(z.object({ date: date("The day."), value: z.number().nullable().describe("The measure that day.") }))
	.describe("One entry per day of the range.");
export const kpiSchema = metricSchema(
	{
		groups: z
			.array(
				z.object({
					group: z.string().nullable().describe("The groupBy prop's value (null without groupBy)."),
					total: z.number().nullable().describe("The measure over the whole range (users: distinct over the range)."),
					days: series,
				}),
			)
			.describe("One entry per groupBy value (one group without groupBy)."),
	},
	{
		event: z
			.object({
				type: z.string().optional().describe("Event type, when the event was given as type:name."),
				name: z.string().describe("Event name."),
			})
			.describe("The event measured."),
		measure: z.string().describe("count (events), users (distinct players), sum or mean (of the numeric prop)."),
		property: z.string().nullable().describe("The prop summed or averaged."),
		where: z.array(z.string()).describe("Prop filters applied."),
		groupBy: z.string().nullable().describe("The prop grouped by."),
	},
);

export const trendsSchema = metricSchema(
	{
		events: z
			.array(
				z.object({
					event: z
						.object({
							type: z.string().optional().describe("Event type, when the event was given as type:name."),
							name: z.string().describe("Event name."),
						})
						.describe("The event: type (optional) and name."),
					total: z.number().describe("The measure over the range."),
					days: series.optional(),
					hours: z
						.array(
							z.object({
								hour: z.string().describe("UTC hour start, ISO 8601."),
								value: z.number().describe("Events that hour."),
							}),
						)
						.describe("Per UTC hour (interval=hour).")
						.optional(),
				}),
			)
			.describe("One entry per event asked for."),
	},
	{
		interval: z.enum(["day", "hour"]).describe("Series interval."),
		measure: z.enum(["count", "users"]).describe("count: events; users: distinct players."),
	},
);

export const overviewSchema = metricSchema(
	{
		kpis: z
			.array(
				z.object({
					key: z.string().describe("Stable id."),
					label: z.string().describe("Readable name."),
					unit: z.enum(["players", "robux", "seconds", "ratio", "count"]).describe("Unit of value and previous."),
					value: z.number().nullable().describe("The KPI over the range."),
					previous: z.number().nullable().describe("The KPI over the equally long period just before."),
					change: z.number().nullable().describe("(value − previous) / previous; null when previous is 0 or null."),
				}),
			)
			.describe("The headline KPIs."),
	},
	{
		previousFrom: date("First day of the comparison period."),
		previousTo: date("Last day of the comparison period."),
	},
);

/** GET /v1/games/{gameId}/metrics/event-names: not a metric, the list the pickers offer. */
export const eventNamesSchema = z.object({
	gameId: z.string().describe("The game."),
	from: z.string().nullable().describe("First local day counted (YYYY-MM-DD), or null for all history."),
	to: z.string().nullable().describe("Last local day counted (YYYY-MM-DD), or null for all history."),
	events: z
		.array(
			z.object({
				event: z.string().describe("`type:name`, as the metrics' `event`, `events` and `steps` parameters take it."),
				type: z.string().describe("Event type (session_start, custom, purchase, funnel, …)."),
				name: z.string().describe("Event name (a funnel event's name is the funnel's)."),
				events: z.number().int().describe("Events of this kind in the range."),
				lastDate: z.string().describe("Last local day with such an event (YYYY-MM-DD)."),
			}),
		)
		.describe("Every event kind with events in the range, the most frequent first."),
	funnels: z
		.array(
			z.object({
				name: z.string().describe("The funnel's name, as the funnel metric's `funnel` parameter takes it."),
				events: z.number().int().describe("Funnel step events in the range."),
			}),
		)
		.describe("Funnels tracked with Vantage.funnelStep that had steps in the range, by name."),
});
export type EventNames = z.infer<typeof eventNamesSchema>;

export const METRIC_SCHEMAS = {
	"active-users": activeUsersSchema,
	sessions: sessionsSchema,
	retention: retentionSchema,
	funnel: funnelSchema,
	revenue: revenueSchema,
	economy: economySchema,
	progression: progressionSchema,
	kpi: kpiSchema,
	trends: trendsSchema,
	overview: overviewSchema,
} as const;
