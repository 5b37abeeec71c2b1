// How an experiment names a metric: written inline (a full definition) or taken from the game's metric library by key
// (server/experiments/metric-library.ts). Only shapes and pure rules live here, so experiment.ts can use them without
// the store.
import { z } from "zod";
import { metricKeySchema, metricSchema } from "./metric.js";
import type { SameType } from "../domain/same-type.js";
import { METRIC_ROLES, type ExperimentMetric, type LibraryPin } from "../domain/experiments.js";

export { METRIC_ROLES } from "../domain/experiments.js";
export type { ExperimentMetric, LibraryPin, MetricRole } from "../domain/experiments.js";

export const metricRoleSchema = z
	.enum(METRIC_ROLES)
	.describe("goal: judged on (primary metric); guardrail: watched for harm. The role an experiment picks it as.");

/**
 * A metric taken from the game's library: `{ "library": "<key>" }` follows the library's latest version while the
 * experiment is a draft and is pinned to the version current when it starts; `{ "library": "<key>", "version": 2 }`
 * is pinned to version 2 at once.
 */
export const libraryReferenceSchema = z
	.strictObject({
		library: metricKeySchema.describe("The key of a metric of the game's library (not archived)."),
		version: z
			.number()
			.int()
			.min(1)
			.optional()
			.describe("Pin this version; default: the latest while a draft, pinned to the one current at the start."),
	})
	.describe("A metric of the game's metric library, by key (and optionally version).");
export type LibraryReference = z.output<typeof libraryReferenceSchema>;

/** What an experiment's primaryMetric or guardrailMetrics member accepts: a library reference or an inline metric. */
export const metricInputSchema = z
	.union([libraryReferenceSchema, metricSchema])
	.describe('A metric: inline (`{ "key", "type", … }`) or from the library (`{ "library": "<key>", "version"? }`).');
export type MetricInput = z.output<typeof metricInputSchema>;

/** Where a metric of an experiment came from, when it came from the library. */
export const libraryPinSchema = z
	.object({
		key: z.string().describe("The library metric's key."),
		version: z.number().int().describe("The library version the definition is (the one results use)."),
		pinned: z
			.boolean()
			.describe("true: fixed to this version; false: a draft following the latest version (pinned at the start)."),
	})
	.describe("The library metric this definition is a version of; absent for an inline metric.");
true satisfies SameType<z.output<typeof libraryPinSchema>, LibraryPin>;

/** An experiment's metric as the admin API answers (and as results name the metric they are of). */
export const experimentMetricSchema = z
	.intersection(metricSchema, z.object({ library: libraryPinSchema.optional() }))
	.describe("A metric of the experiment; `library` says which library version it is, if it came from the library.");

/** Whether an input member is a library reference rather than an inline definition. */
export function isLibraryReference(input: MetricInput): input is LibraryReference {
	return "library" in input;
}

/**
 * The experiment's library metrics pinned to the versions they hold now: starting an experiment fixes its
 * definitions, so a later library change cannot change a running experiment's results.
 */
export function pinnedMetrics<
	T extends { primaryMetric: ExperimentMetric | null; guardrailMetrics: ExperimentMetric[] },
>(d: T): T {
	const pin = (m: ExperimentMetric): ExperimentMetric =>
		m.library && !m.library.pinned ? { ...m, library: { ...m.library, pinned: true } } : m;
	return {
		...d,
		primaryMetric: d.primaryMetric && pin(d.primaryMetric),
		guardrailMetrics: d.guardrailMetrics.map(pin),
	};
}

/** The metric input paths of an experiment request, for {@link metricInputIssues}. */
const METRIC_INPUT_PATH = /^(primaryMetric|guardrailMetrics\.\d+)$/;

/**
 * Validation issues of an experiment request with the metric unions explained: zod reports a member that fits
 * neither a library reference nor an inline metric as one "Invalid input"; this reports the problems of the form
 * the member was written in (a `library` member → the reference's, else the inline metric's), each with its path.
 */
export function metricInputIssues(issues: readonly z.core.$ZodIssue[], body: unknown): z.core.$ZodIssue[] {
	return issues.flatMap((issue) => {
		const at = issue.path.map(String).join(".");
		if (issue.code !== "invalid_union" || !METRIC_INPUT_PATH.test(at)) return [issue];
		const value = valueAt(body, issue.path);
		const asReference = typeof value === "object" && value !== null && "library" in value;
		const chosen = issue.errors[asReference ? 0 : 1] ?? [];
		return chosen.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }));
	});
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
	let node = value;
	for (const step of path) {
		if (typeof node !== "object" || node === null) return undefined;
		node = (node as Record<PropertyKey, unknown>)[step];
	}
	return node;
}
