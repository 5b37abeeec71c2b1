// Metric definitions: what an experiment measures for each unit (player) after the unit's first exposure.
import { z } from "zod";
import { EVENT_TYPES } from "../ingest/schema.js";

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Metric keys name a metric in `?metric=` and in results. */
export const metricKeySchema = z
	.string()
	.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "1-64 of A-Z a-z 0-9 _ . - starting with a letter or digit")
	.describe("The metric's key: names it in `?metric=` and in results; unique within the experiment.");

const eventName = z.string().min(1).max(128).describe("The event name counted (an event's `name`).");
const eventTypeFilter = z.enum(EVENT_TYPES).optional().describe("Only events of this type; default: any type.");
const windowHours = z
	.number()
	.positive()
	.max(24 * 365)
	.optional()
	.describe("Count only events within this many hours of the unit's first exposure; default: until the window ends.");

/**
 * One metric, per unit, from the unit's first exposure to the end of the analysis window:
 * - `conversion`: 1 if the unit sent at least one event named `event` (of type `eventType`, if given), else 0;
 * - `count`: how many such events the unit sent;
 * - `revenue`: the sum of the numeric prop `valueProp` over the unit's `purchase` events (named `event`, if given);
 * - `retention`: 1 if the unit sent any event during day `day` after exposure ([t + day·24 h, t + (day + 1)·24 h)),
 *   else 0. Only units whose day has fully passed inside the window count.
 * conversion and retention are binary (proportions); count and revenue are means.
 */
export const metricSchema = z.discriminatedUnion("type", [
	z.object({
		key: metricKeySchema,
		type: z.literal("conversion").describe("1 if the player sent the event after exposure, else 0 (a proportion)."),
		event: eventName,
		eventType: eventTypeFilter,
		windowHours,
	}),
	z.object({
		key: metricKeySchema,
		type: z.literal("count").describe("How many such events the player sent after exposure (a mean)."),
		event: eventName,
		eventType: eventTypeFilter,
		windowHours,
	}),
	z.object({
		key: metricKeySchema,
		type: z.literal("revenue").describe("The sum of a purchase prop per player after exposure (a mean)."),
		event: eventName.optional().describe("Only purchase events with this name (e.g. a product); default: all."),
		valueProp: z
			.string()
			.regex(/^[A-Za-z0-9_]{1,64}$/, "1-64 of A-Z a-z 0-9 _")
			.default("robux")
			.describe("The purchase event prop holding the amount."),
		windowHours,
	}),
	z.object({
		key: metricKeySchema,
		type: z.literal("retention").describe("1 if the player sent any event on day `day` after exposure, else 0."),
		day: z.number().int().min(1).max(90).describe("Day N after exposure: 1 = the 24 hours after the first day."),
	}),
]);
export type MetricDefinition = z.output<typeof metricSchema>;

/** Whether each unit's value is 0 or 1 (analysed as a proportion) rather than any number (analysed as a mean). */
export function isBinaryMetric(metric: MetricDefinition): boolean {
	return metric.type === "conversion" || metric.type === "retention";
}
