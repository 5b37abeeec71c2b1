// Experiments as the admin API creates and edits them: request schemas, cross-field rules, the status lifecycle and
// the fields that freeze once an experiment has started.
import { z } from "zod";
import { ConflictError, ValidationError, type ValidationIssue } from "../errors.js";
import type { ExperimentRecord } from "../store/types.js";
import { conditionSchema } from "./condition.js";
import {
	HASH_DEFAULTS,
	attributeNameSchema,
	conditionIssues,
	entityKeySchema,
	hashingFields,
	normalizedWeights,
	userIdKeySchema,
	variationIssues,
	variationKeySchema,
	weightSchema,
} from "./common-schema.js";
import {
	experimentMetricSchema,
	metricInputSchema,
	pinnedMetrics,
	type ExperimentMetric,
	type MetricInput,
} from "./metric-reference.js";
import { isMeanMetric } from "./metric.js";
import type { SameType } from "../domain/same-type.js";
import {
	EXPERIMENT_STATUSES,
	type AssignmentMode,
	type ExperimentDefinition,
	type ExperimentStatus,
} from "../domain/experiments.js";

// The stored shapes are domain types (server/domain/experiments.ts), so the stores need not import this module.
export { EXPERIMENT_STATUSES } from "../domain/experiments.js";
export type { AssignmentMode, ExperimentDefinition, ExperimentStatus } from "../domain/experiments.js";

/**
 * The lifecycle: draft → running → stopped. A stopped experiment is final (its results stay readable); run it
 * again under a new key. Setting the current status again is allowed and changes nothing.
 */
export const STATUS_TRANSITIONS: Readonly<Record<ExperimentStatus, readonly ExperimentStatus[]>> = {
	draft: ["running"],
	running: ["stopped"],
	stopped: [],
};

/** Fields that decide who sees what: frozen once the experiment leaves draft, so results stay comparable. */
export const FROZEN_AFTER_START = [
	"variations",
	"hashAttribute",
	"seed",
	"hashVersion",
	"namespace",
	"assignment",
] as const;

/** Bounds and default of an adaptive experiment's `updateIntervalMinutes`. */
export const ADAPTIVE_INTERVAL_BOUNDS = { min: 5, max: 7 * 24 * 60, default: 60 } as const;

/**
 * How the SDK assigns units: `deterministic` (GrowthBook hash), `random` (drawn once per player and persisted in
 * DataStore), `stratified` (balanced within each combination of the `strata` attributes, e.g. platform, country),
 * `adaptive` (Thompson-sampling bandit on the primary metric; the backend recomputes the weights).
 */
export const assignmentSchema = z
	.discriminatedUnion("mode", [
		z.object({
			mode: z.literal("deterministic").describe("GrowthBook hash of the unit's attribute: no storage needed."),
		}),
		z.object({ mode: z.literal("random").describe("Drawn once per player and kept in DataStore.") }),
		z.object({
			mode: z.literal("stratified").describe("Balanced within each combination of the strata attributes."),
			strata: z
				.array(attributeNameSchema)
				.min(1)
				.max(4)
				.describe("1 to 4 player attributes to balance on, e.g. platform, country."),
		}),
		z.object({
			mode: z
				.literal("adaptive")
				.describe("Thompson-sampling bandit on the primary metric; weights updated every updateIntervalMinutes."),
			updateIntervalMinutes: z
				.number()
				.int()
				.min(ADAPTIVE_INTERVAL_BOUNDS.min)
				.max(ADAPTIVE_INTERVAL_BOUNDS.max)
				.optional()
				.describe(
					"Minutes between two weight updates, 5 to 10080 (7 days); default 60. Counted from the last update " +
						"(or the start), and kept across restarts. May change while the experiment runs.",
				),
		}),
	])
	.describe("How the SDK assigns units to variations; default deterministic. Frozen once started.");
true satisfies SameType<z.output<typeof assignmentSchema>, AssignmentMode>;

export const namespaceSchema = z
	.object({
		id: z.string().min(1).max(64).describe("The namespace's name, shared by mutually exclusive experiments."),
		start: z.number().min(0).max(1).describe("Start of this experiment's slice, 0 to 1 (inclusive)."),
		end: z.number().min(0).max(1).describe("End of this experiment's slice, 0 to 1 (exclusive)."),
	})
	.describe("Mutually exclusive experiments share a namespace id and take disjoint [start, end) slices.");

const variationInputSchema = z.object({
	key: variationKeySchema,
	name: z.string().max(128).optional().describe("Shown in the dashboard; default: the key."),
	weight: weightSchema.optional().describe("Share of covered units; give all or none (equal shares)."),
});

const isoTime = z.iso.datetime({ offset: true });

/** Fields a create or update request may set; each request schema makes them optional. */
const editableFields = {
	name: z.string().min(1).max(128).describe("Shown in the dashboard; default: the key."),
	description: z.string().max(2000).describe("What the experiment tests and why, for people."),
	variations: z
		.array(variationInputSchema)
		.min(2)
		.max(20)
		.describe("2 to 20 variations, control first. Frozen once started."),
	...hashingFields,
	namespace: namespaceSchema,
	condition: conditionSchema.describe("Targeting: only players whose attributes match take part."),
	assignment: assignmentSchema,
	startAt: isoTime.describe("ISO 8601 date-time the experiment starts; default: when it is started."),
	endAt: isoTime.describe("ISO 8601 date-time it ends (the SDK then serves control); default: open-ended."),
	primaryMetric: metricInputSchema.describe(
		"The metric the result is judged on; required to start (status running), and the adaptive reward. Inline, or " +
			'`{ "library": "<key>", "version"?: n }` from the game\'s metric library.',
	),
	guardrailMetrics: z
		.array(metricInputSchema)
		.max(10)
		.describe("Up to 10 metrics watched for harm, beside the primary; inline or from the library."),
	targetEffect: z
		.number()
		.gt(0)
		.max(10)
		.describe(
			"The relative effect on the primary metric worth detecting (0.05 = 5%): results warn when their power to " +
				"detect it is under 80% (underpowered), and stop for futility once no effect this large is plausible.",
		),
	plannedDays: z
		.number()
		.int()
		.min(1)
		.max(365)
		.describe(
			"Days the fixed-horizon test is planned to run from its start: fixed-horizon results read before then warn " +
				"of peeking and point to the always-valid (sequential) result.",
		),
	forcedVariations: z
		.record(userIdKeySchema, variationKeySchema)
		.refine((m) => Object.keys(m).length <= 1000, "at most 1000 forced users")
		.describe("QA: UserId → variation key. Forced users see it in any status and are left out of results."),
};

/** Everything but `key` and `variations` is optional; defaults as {@link newExperiment} says. */
export const createExperimentSchema = z
	.strictObject({
		key: entityKeySchema,
		status: z
			.enum(["draft", "running"])
			.describe("Default draft. running starts it at once, which needs a primaryMetric."),
		...editableFields,
	})
	.partial()
	.required({ key: true, variations: true });
export type CreateExperimentRequest = z.output<typeof createExperimentSchema>;

/** JSON merge patch (RFC 7396 style): members present replace; null clears the optional ones. */
export const updateExperimentSchema = z
	.strictObject({
		...editableFields,
		status: z
			.enum(EXPERIMENT_STATUSES)
			.describe("draft → running (needs a primaryMetric) → stopped; a stopped experiment cannot restart."),
		description: editableFields.description.nullable(),
		namespace: editableFields.namespace.nullable(),
		condition: editableFields.condition.nullable(),
		startAt: editableFields.startAt.nullable(),
		endAt: editableFields.endAt.nullable(),
		targetEffect: editableFields.targetEffect.nullable(),
		plannedDays: editableFields.plannedDays.nullable(),
		primaryMetric: editableFields.primaryMetric.nullable(),
	})
	.partial();
export type UpdateExperimentRequest = z.output<typeof updateExperimentSchema>;

/**
 * A new experiment from a validated create request.
 * 1. defaults: name = key, seed = key, coverage 1, hash attribute `id`, hash version 2, deterministic, draft;
 * 2. cross-field rules ({@link definitionIssues}) → 400 validation_failed;
 * 3. created as running → started now (startAt defaults to now).
 *
 * @example
 * newExperiment("g1", { key: "shop", variations: [{ key: "a" }, { key: "b" }] }, Date.now());
 */
export function newExperiment(
	gameId: string,
	input: WithResolvedMetrics<CreateExperimentRequest>,
	now: number,
): ExperimentRecord {
	const raw: ExperimentDefinitionInput = {
		name: input.name ?? input.key,
		description: input.description ?? "",
		variations: input.variations,
		coverage: input.coverage ?? HASH_DEFAULTS.coverage,
		hashAttribute: input.hashAttribute ?? HASH_DEFAULTS.hashAttribute,
		seed: input.seed ?? input.key,
		hashVersion: input.hashVersion ?? HASH_DEFAULTS.hashVersion,
		namespace: input.namespace ?? null,
		condition: input.condition ?? null,
		assignment: input.assignment ?? { mode: "deterministic" },
		startAt: parseTime(input.startAt),
		endAt: parseTime(input.endAt),
		primaryMetric: input.primaryMetric ?? null,
		guardrailMetrics: input.guardrailMetrics ?? [],
		targetEffect: input.targetEffect ?? null,
		plannedDays: input.plannedDays ?? null,
		forcedVariations: input.forcedVariations ?? {},
	};
	const record: ExperimentRecord = {
		gameId,
		key: input.key,
		status: "draft",
		definition: finishDefinition(raw),
		revision: 1,
		createdAt: now,
		updatedAt: now,
		adaptiveWeights: null,
		adaptiveUpdatedAt: null,
	};
	return input.status === "running" ? withStatus(record, "running", now) : record;
}

/**
 * The experiment after a validated update request.
 * 1. a status change must follow {@link STATUS_TRANSITIONS} → else 409 conflict;
 * 2. outside draft, {@link FROZEN_AFTER_START} fields cannot change → 409 conflict;
 * 3. the merged definition must pass {@link definitionIssues} → else 400 validation_failed;
 * 4. a running (or starting) experiment must have a primary metric → else 400 validation_failed naming `primaryMetric`;
 * 5. starting sets startAt to now when unset; stopping sets endAt to now unless it is already past.
 */
export function applyExperimentUpdate(
	current: ExperimentRecord,
	patch: WithResolvedMetrics<UpdateExperimentRequest>,
	now: number,
): ExperimentRecord {
	const requested = patch.status ?? current.status;
	if (requested !== current.status && !STATUS_TRANSITIONS[current.status].includes(requested)) {
		throw new ConflictError(`An experiment cannot go from ${current.status} to ${requested}.`);
	}
	const before = current.definition;
	const raw: ExperimentDefinitionInput = {
		...before,
		...definedMembers(patch),
		description: patch.description === null ? "" : (patch.description ?? before.description),
		namespace: patch.namespace === undefined ? before.namespace : patch.namespace,
		condition: patch.condition === undefined ? before.condition : patch.condition,
		startAt: patch.startAt === undefined ? before.startAt : parseTime(patch.startAt ?? undefined),
		endAt: patch.endAt === undefined ? before.endAt : parseTime(patch.endAt ?? undefined),
		targetEffect: patch.targetEffect === undefined ? (before.targetEffect ?? null) : patch.targetEffect,
		plannedDays: patch.plannedDays === undefined ? (before.plannedDays ?? null) : patch.plannedDays,
		primaryMetric: patch.primaryMetric === undefined ? before.primaryMetric : patch.primaryMetric,
	};
	const definition = finishDefinition(raw);
	if (current.status !== "draft") {
		const changed = FROZEN_AFTER_START.filter(
			(f) => JSON.stringify(frozenPart(definition, f)) !== JSON.stringify(frozenPart(before, f)),
		);
		if (changed.length > 0) {
			throw new ConflictError(`${changed.join(", ")} cannot change once the experiment has started.`);
		}
	}
	// A running experiment keeps a primary metric: removing it would leave results with nothing to judge.
	if (requested === "running" && !definition.primaryMetric) throw noPrimaryMetric();
	// Outside draft, a library metric added now is pinned at once, like those pinned at the start.
	const updated = {
		...current,
		definition: requested === "draft" ? definition : pinnedMetrics(definition),
		updatedAt: now,
	};
	return requested === current.status ? updated : withStatus(updated, requested, now);
}

/** What of a frozen field must stay: an adaptive experiment's update interval moves no one, so it may change. */
function frozenPart(d: ExperimentDefinition, field: (typeof FROZEN_AFTER_START)[number]): unknown {
	if (field !== "assignment" || d.assignment.mode !== "adaptive") return d[field];
	const { updateIntervalMinutes: _, ...rest } = d.assignment;
	return rest;
}

/**
 * The 400 for starting (or keeping running) an experiment without a primary metric: its results, the sample-size
 * plan and adaptive assignment all judge the experiment by that metric, so a running experiment without one would
 * collect exposures no one can read a decision from.
 */
function noPrimaryMetric(): ValidationError {
	return new ValidationError(
		"An experiment cannot start without a primary metric: set primaryMetric (the metric its result is judged on) first.",
		[{ path: "primaryMetric", message: "required to start the experiment" }],
	);
}

/**
 * A request whose library references were replaced by the definitions they name (metric-library.ts
 * resolveMetricInputs): this module stays pure, the store is read before.
 */
export type WithResolvedMetrics<T extends { primaryMetric?: MetricInput | null; guardrailMetrics?: MetricInput[] }> =
	Omit<T, "primaryMetric" | "guardrailMetrics"> & {
		primaryMetric?: ExperimentMetric | Extract<T["primaryMetric"], null>;
		guardrailMetrics?: ExperimentMetric[];
	};

type ExperimentDefinitionInput = Omit<ExperimentDefinition, "variations"> & {
	variations: readonly { key: string; name?: string | undefined; weight?: number | undefined }[];
};

/** Members of the patch that map one to one onto the definition and are present. */
function definedMembers(patch: WithResolvedMetrics<UpdateExperimentRequest>): Partial<ExperimentDefinitionInput> {
	const out: Record<string, unknown> = {};
	for (const key of [
		"name",
		"variations",
		"coverage",
		"hashAttribute",
		"seed",
		"hashVersion",
		"assignment",
		"guardrailMetrics",
		"forcedVariations",
	] as const) {
		if (patch[key] !== undefined) out[key] = patch[key];
	}
	return out as Partial<ExperimentDefinitionInput>;
}

function withStatus(record: ExperimentRecord, status: ExperimentStatus, now: number): ExperimentRecord {
	const d = record.definition;
	if (status === "running") {
		if (!d.primaryMetric) throw noPrimaryMetric();
		const startAt = d.startAt ?? now;
		if (d.endAt !== null && d.endAt <= Math.max(startAt, now)) {
			throw new ValidationError("The experiment's end is already past.", [
				{ path: "endAt", message: "must be in the future to start the experiment" },
			]);
		}
		// Library metrics that followed the latest version are fixed to the one they hold now.
		return { ...record, status, definition: { ...pinnedMetrics(d), startAt } };
	}
	if (status === "stopped") {
		const endAt = d.endAt !== null && d.endAt <= now ? d.endAt : now;
		return { ...record, status, definition: { ...d, endAt } };
	}
	return { ...record, status };
}

/** Checks the cross-field rules and fills the weights; 400 listing every problem. */
function finishDefinition(raw: ExperimentDefinitionInput): ExperimentDefinition {
	const issues = definitionIssues(raw);
	if (issues.length > 0) throw new ValidationError("The experiment is invalid.", issues);
	const weights = normalizedWeights(raw.variations.map((v) => v.weight))!;
	return {
		...raw,
		variations: raw.variations.map((v, i) => ({ key: v.key, name: v.name ?? v.key, weight: weights[i]! })),
	};
}

/**
 * Rules across fields, each reported with its path:
 * 1. variation keys unique; weights all or none, summing to 1;
 * 2. namespace start < end; endAt after startAt;
 * 3. metric keys unique across the primary and guardrail metrics;
 * 4. forced variations name existing variations;
 * 5. adaptive assignment needs a primary metric (its reward), a per-unit mean or rate (not a ratio or quantile);
 * 6. the condition nests at most 8 deep.
 */
export function definitionIssues(d: ExperimentDefinitionInput): ValidationIssue[] {
	const issues = variationIssues(d.variations);
	if (d.namespace && d.namespace.start >= d.namespace.end) {
		issues.push({ path: "namespace", message: "start must be below end" });
	}
	if (d.startAt !== null && d.endAt !== null && d.endAt <= d.startAt) {
		issues.push({ path: "endAt", message: "must be after startAt" });
	}
	const metricKeys = new Set<string>();
	for (const [i, m] of [d.primaryMetric, ...d.guardrailMetrics].entries()) {
		if (!m) continue;
		if (metricKeys.has(m.key)) {
			issues.push({ path: i === 0 ? "primaryMetric.key" : `guardrailMetrics.${i - 1}.key`, message: "duplicate" });
		}
		metricKeys.add(m.key);
	}
	const variationKeys = new Set(d.variations.map((v) => v.key));
	for (const [user, key] of Object.entries(d.forcedVariations)) {
		if (!variationKeys.has(key)) issues.push({ path: `forcedVariations.${user}`, message: `no variation "${key}"` });
	}
	if (d.assignment.mode === "adaptive" && !d.primaryMetric) {
		issues.push({ path: "primaryMetric", message: "adaptive assignment needs a primary metric as its reward" });
	} else if (d.assignment.mode === "adaptive" && d.primaryMetric && !isMeanMetric(d.primaryMetric)) {
		issues.push({
			path: "primaryMetric.type",
			message: `adaptive assignment rewards a per-player mean or rate; a ${d.primaryMetric.type} metric cannot be one`,
		});
	}
	issues.push(...conditionIssues(d.condition));
	return issues;
}

function parseTime(iso: string | undefined): number | null {
	return iso === undefined ? null : Date.parse(iso);
}

const isoOrNull = z.string().nullable();

/** An experiment as the admin API answers. */
export const experimentSchema = z.object({
	gameId: z.string().describe("The game's id."),
	key: z.string().describe("The experiment's key: the name of its exposure events."),
	status: z.enum(EXPERIMENT_STATUSES).describe("draft, running or stopped."),
	name: z.string().describe("Shown in the dashboard."),
	description: z.string().describe("What the experiment tests and why; empty if none."),
	variations: z
		.array(
			z.object({
				key: z.string().describe("The variation's key: exposure events carry it in props.variation."),
				name: z.string().describe("Shown in the dashboard."),
				weight: z.number().describe("Share of covered units, 0 to 1; the weights sum to 1."),
			}),
		)
		.describe("Control first."),
	coverage: z.number().describe("Share of eligible units that take part, 0 to 1."),
	hashAttribute: z.string().describe('The attribute whose value is hashed ("id" = the UserId).'),
	seed: z.string().describe("Hash seed (default: the key)."),
	hashVersion: z.number().int().describe("GrowthBook hash version, 1 or 2."),
	namespace: namespaceSchema.nullable(),
	condition: conditionSchema.nullable().describe("Targeting; null: every player."),
	assignment: assignmentSchema,
	startAt: isoOrNull.describe("ISO 8601 start; null for a draft that was never given one."),
	endAt: isoOrNull.describe("ISO 8601 end; null while open-ended."),
	primaryMetric: experimentMetricSchema
		.nullable()
		.describe("The metric the result is judged on; null only in drafts. `library` set when from the library."),
	guardrailMetrics: z.array(experimentMetricSchema).describe("Metrics watched for harm."),
	targetEffect: z.number().nullable().describe("The relative effect worth detecting (0.05 = 5%); null: none set."),
	plannedDays: z.number().int().nullable().describe("Planned fixed-horizon length in days; null: none set."),
	plannedEnd: isoOrNull.describe("ISO 8601 end of the fixed horizon (startAt + plannedDays); null without both."),
	forcedVariations: z
		.record(z.string(), z.string())
		.describe("QA: UserId (decimal) → variation key; left out of results."),
	adaptive: z
		.object({
			weights: z.array(z.number()).describe("The weights served, by variation, summing to 1."),
			updatedAt: z.string().describe("ISO 8601 time of the update."),
		})
		.nullable()
		.describe("Adaptive experiments: the weights of the last update, served in /v1/config."),
	createdAt: z.string().describe("ISO 8601 creation time."),
	updatedAt: z.string().describe("ISO 8601 time of the last change."),
});
export type ExperimentResponse = z.input<typeof experimentSchema>;

/** The admin API's view of a stored experiment (times as ISO 8601). */
export function experimentResponse(record: ExperimentRecord): ExperimentResponse {
	const d = record.definition;
	return {
		gameId: record.gameId,
		key: record.key,
		status: record.status,
		...d,
		startAt: toIso(d.startAt),
		endAt: toIso(d.endAt),
		targetEffect: d.targetEffect ?? null,
		plannedDays: d.plannedDays ?? null,
		plannedEnd: toIso(plannedEnd(d)),
		adaptive:
			record.adaptiveWeights && record.adaptiveUpdatedAt !== null
				? { weights: record.adaptiveWeights, updatedAt: new Date(record.adaptiveUpdatedAt).toISOString() }
				: null,
		createdAt: new Date(record.createdAt).toISOString(),
		updatedAt: new Date(record.updatedAt).toISOString(),
	};
}

function toIso(ms: number | null): string | null {
	return ms === null ? null : new Date(ms).toISOString();
}

/**
 * The end of the experiment's fixed horizon: startAt + plannedDays; null without either.
 *
 * @example
 * plannedEnd({ startAt: Date.UTC(2026, 0, 1), plannedDays: 14 }); // Date.UTC(2026, 0, 15)
 */
export function plannedEnd(d: Pick<ExperimentDefinition, "startAt" | "plannedDays">): number | null {
	const days = d.plannedDays ?? null;
	return d.startAt === null || days === null ? null : d.startAt + days * 86_400_000;
}
