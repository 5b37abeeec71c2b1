// Metric definitions: what an experiment measures for each unit (player) after the unit's first exposure.
import { z } from "zod";
import { EVENT_TYPES } from "../ingest/schema.js";

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Metric keys name a metric in `?metric=` and in results. */
export const metricKeySchema = z
	.string()
	.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "1-64 of A-Z a-z 0-9 _ . - starting with a letter or digit");

const eventName = z.string().min(1).max(128);
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
		type: z.literal("conversion"),
		event: eventName,
		eventType: z.enum(EVENT_TYPES).optional(),
		windowHours,
	}),
	z.object({
		key: metricKeySchema,
		type: z.literal("count"),
		event: eventName,
		eventType: z.enum(EVENT_TYPES).optional(),
		windowHours,
	}),
	z.object({
		key: metricKeySchema,
		type: z.literal("revenue"),
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
		type: z.literal("retention"),
		day: z.number().int().min(1).max(90).describe("Day N after exposure: 1 = the 24 hours after the first day."),
	}),
]);
export type MetricDefinition = z.output<typeof metricSchema>;

/** Whether each unit's value is 0 or 1 (analysed as a proportion) rather than any number (analysed as a mean). */
export function isBinaryMetric(metric: MetricDefinition): boolean {
	return metric.type === "conversion" || metric.type === "retention";
}
