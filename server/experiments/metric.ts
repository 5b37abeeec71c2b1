// Metric definitions: what an experiment measures for each unit (player) after the unit's first exposure. The same
// definitions make up a game's metric library (reusable, versioned) and may still be written inline in an experiment.
// The types and the pure rules on them are domain types (server/domain/experiments.ts): the schemas here are checked
// to produce exactly them.
import { z } from "zod";
import { EVENT_TYPES } from "../ingest/schema.js";
import type { SameType } from "../domain/same-type.js";
import {
	METRIC_DIRECTIONS,
	type MetricCap,
	type MetricDefinition,
	type MetricType,
	type RatioPart,
} from "../domain/experiments.js";

export {
	DAY_MS,
	HOUR_MS,
	METRIC_DIRECTIONS,
	isBinaryMetric,
	isMeanMetric,
	metricDirection,
} from "../domain/experiments.js";
export type { MetricCap, MetricDefinition, MetricDirection, MetricType, RatioPart } from "../domain/experiments.js";

/** Metric keys name a metric in `?metric=` and in results. */
export const metricKeySchema = z
	.string()
	.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "1-64 of A-Z a-z 0-9 _ . - starting with a letter or digit")
	.describe("The metric's key: names it in `?metric=` and in results; unique within the experiment.");

const eventName = z.string().min(1).max(128).describe("The event name counted (an event's `name`).");
const eventTypeFilter = z.enum(EVENT_TYPES).optional().describe("Only events of this type; default: any type.");
const valueProp = z
	.string()
	.regex(/^[A-Za-z0-9_]{1,64}$/, "1-64 of A-Z a-z 0-9 _")
	.describe("The numeric event prop summed (events without a finite number there count as 0).");
const windowHours = z
	.number()
	.positive()
	.max(24 * 365)
	.optional()
	.describe(
		"Conversion window: count only events within this many hours of the unit's first exposure; default: until " +
			"the analysis window ends.",
	);

/**
 * Winsorization of per-unit values (means, sums, counts, ratio numerators): values above the cap are set to it,
 * so one whale cannot decide a test. `value`: a fixed cap; `percentile`: the pooled percentile of the units' values
 * in the analysed window (e.g. 0.99), computed over all arms together so the cap does not depend on the treatment.
 */
export const capSchema = z
	.union([
		z.strictObject({ value: z.number().positive().describe("Cap per-unit values at this number.") }),
		z.strictObject({
			percentile: z
				.number()
				.gt(0.5)
				.lt(1)
				.describe("Cap per-unit values at this pooled percentile of all units (e.g. 0.99)."),
		}),
	])
	.describe("Winsorization: per-unit values above the cap count as the cap (never for 0/1 metrics).");
true satisfies SameType<z.output<typeof capSchema>, MetricCap>;

/** Fields every metric type may carry. */
const common = {
	key: metricKeySchema,
	name: z.string().min(1).max(128).optional().describe("Shown in the dashboard; default: the key."),
	description: z.string().max(2000).optional().describe("What the metric means, for people."),
	direction: z
		.enum(METRIC_DIRECTIONS)
		.optional()
		.describe("Whether an increase (higher, default) or a decrease (lower) is an improvement."),
};

/** One side of a ratio: events counted, or a numeric prop summed, per unit. */
export const ratioPartSchema = z
	.strictObject({
		event: eventName.optional().describe("Only events with this name; default: any name (then eventType is needed)."),
		eventType: eventTypeFilter,
		valueProp: valueProp.optional().describe("Sum this numeric prop; default: count the events."),
	})
	.refine((p) => p.event !== undefined || p.eventType !== undefined, "give event, eventType or both");
true satisfies SameType<z.output<typeof ratioPartSchema>, RatioPart>;

/**
 * One metric, per unit, from the unit's first exposure to the end of the analysis window (or `windowHours`):
 * - `conversion` (binomial): 1 if the unit sent at least one event named `event` (of type `eventType`), else 0;
 * - `count`: how many such events the unit sent;
 * - `sum`: the sum of the numeric prop `valueProp` over such events (a mean per unit);
 * - `revenue`: the sum of the numeric prop `valueProp` over the unit's `purchase` events (named `event`, if given);
 * - `retention`: 1 if the unit sent any event during day `day` after exposure ([t + day·24 h, t + (day + 1)·24 h)),
 *   else 0. Only units whose day has fully passed inside the window count;
 * - `ratio`: Σ numerator / Σ denominator over the units of an arm (e.g. Robux per session), compared with the delta
 *   method; units with a zero denominator still count (they add to neither sum);
 * - `quantile`: the `quantile` (0.5 = median) of the per-unit value — the unit's mean, sum or max of `valueProp` over
 *   its matching events (e.g. the median of each player's mean session length); units with no matching event are
 *   left out.
 * conversion and retention are binary (proportions); count, sum and revenue are means.
 */
export const metricSchema = z.discriminatedUnion("type", [
	z.object({
		...common,
		type: z.literal("conversion").describe("1 if the player sent the event after exposure, else 0 (a proportion)."),
		event: eventName,
		eventType: eventTypeFilter,
		windowHours,
	}),
	z.object({
		...common,
		type: z.literal("count").describe("How many such events the player sent after exposure (a mean)."),
		event: eventName,
		eventType: eventTypeFilter,
		windowHours,
		cap: capSchema.optional(),
	}),
	z.object({
		...common,
		type: z.literal("sum").describe("The sum of a numeric prop over such events per player (a mean)."),
		event: eventName,
		eventType: eventTypeFilter,
		valueProp,
		windowHours,
		cap: capSchema.optional(),
	}),
	z.object({
		...common,
		type: z.literal("revenue").describe("The sum of a purchase prop per player after exposure (a mean)."),
		event: eventName.optional().describe("Only purchase events with this name (e.g. a product); default: all."),
		valueProp: valueProp.default("robux").describe("The purchase event prop holding the amount."),
		windowHours,
		cap: capSchema.optional(),
	}),
	z.object({
		...common,
		type: z.literal("retention").describe("1 if the player sent any event on day `day` after exposure, else 0."),
		day: z.number().int().min(1).max(90).describe("Day N after exposure: 1 = the 24 hours after the first day."),
	}),
	z.object({
		...common,
		type: z.literal("ratio").describe("Σ numerator / Σ denominator per arm (delta method), e.g. Robux per session."),
		numerator: ratioPartSchema.describe("What is counted or summed above the line."),
		denominator: ratioPartSchema.describe("What is counted or summed below the line."),
		windowHours,
		cap: capSchema.optional().describe("Winsorizes each unit's numerator."),
	}),
	z.object({
		...common,
		type: z.literal("quantile").describe("A quantile of the per-player value, e.g. the median session length."),
		event: eventName,
		eventType: eventTypeFilter,
		valueProp,
		quantile: z.number().gt(0).lt(1).default(0.5).describe("Which quantile: 0.5 = median, 0.9 = 90th percentile."),
		aggregate: z
			.enum(["mean", "sum", "max"])
			.default("mean")
			.describe("How one player's events make their value: their mean (default), sum or max of valueProp."),
		windowHours,
	}),
]);
true satisfies SameType<z.output<typeof metricSchema>, MetricDefinition>;
export const METRIC_TYPES = [
	"conversion",
	"count",
	"sum",
	"revenue",
	"retention",
	"ratio",
	"quantile",
] as const satisfies readonly MetricType[];
