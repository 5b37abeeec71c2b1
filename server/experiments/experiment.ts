// Experiments as the admin API creates and edits them: request schemas, cross-field rules, the status lifecycle and
// the fields that freeze once an experiment has started.
import { z } from "zod";
import { ConflictError, ValidationError, type ValidationIssue } from "../errors.js";
import type { ExperimentRecord } from "../store/types.js";
import { conditionSchema, type Condition } from "./condition.js";
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
import { metricSchema, type MetricDefinition } from "./metric.js";

export const EXPERIMENT_STATUSES = ["draft", "running", "stopped"] as const;
export type ExperimentStatus = (typeof EXPERIMENT_STATUSES)[number];

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
			mode: z.literal("adaptive").describe("Thompson-sampling bandit on the primary metric; weights updated hourly."),
		}),
	])
	.describe("How the SDK assigns units to variations; default deterministic. Frozen once started.");
export type AssignmentMode = z.output<typeof assignmentSchema>;

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
	primaryMetric: metricSchema.describe(
		"The metric the result is judged on; required to start (status running), and the adaptive reward.",
	),
	guardrailMetrics: z.array(metricSchema).max(10).describe("Up to 10 metrics watched for harm, beside the primary."),
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
		primaryMetric: editableFields.primaryMetric.nullable(),
	})
	.partial();
export type UpdateExperimentRequest = z.output<typeof updateExperimentSchema>;

/** An experiment as stored (besides its key, status and bookkeeping): every default filled in. */
export interface ExperimentDefinition {
	name: string;
	description: string;
	/** Weights always present and summing to 1. */
	variations: { key: string; name: string; weight: number }[];
	coverage: number;
	hashAttribute: string;
	seed: string;
	hashVersion: 1 | 2;
	namespace: { id: string; start: number; end: number } | null;
	condition: Condition | null;
	assignment: AssignmentMode;
	/** Unix ms. */
	startAt: number | null;
	endAt: number | null;
	primaryMetric: MetricDefinition | null;
	guardrailMetrics: MetricDefinition[];
	/** UserId (decimal) → variation key. */
	forcedVariations: Record<string, string>;
}

/**
 * A new experiment from a validated create request.
 * 1. defaults: name = key, seed = key, coverage 1, hash attribute `id`, hash version 2, deterministic, draft;
 * 2. cross-field rules ({@link definitionIssues}) → 400 validation_failed;
 * 3. created as running → started now (startAt defaults to now).
 *
 * @example
 * newExperiment("g1", { key: "shop", variations: [{ key: "a" }, { key: "b" }] }, Date.now());
 */
export function newExperiment(gameId: string, input: CreateExperimentRequest, now: number): ExperimentRecord {
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
	patch: UpdateExperimentRequest,
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
		primaryMetric: patch.primaryMetric === undefined ? before.primaryMetric : patch.primaryMetric,
	};
	const definition = finishDefinition(raw);
	if (current.status !== "draft") {
		const changed = FROZEN_AFTER_START.filter((f) => JSON.stringify(definition[f]) !== JSON.stringify(before[f]));
		if (changed.length > 0) {
			throw new ConflictError(`${changed.join(", ")} cannot change once the experiment has started.`);
		}
	}
	// A running experiment keeps a primary metric: removing it would leave results with nothing to judge.
	if (requested === "running" && !definition.primaryMetric) throw noPrimaryMetric();
	const updated = { ...current, definition, updatedAt: now };
	return requested === current.status ? updated : withStatus(updated, requested, now);
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

type ExperimentDefinitionInput = Omit<ExperimentDefinition, "variations"> & {
	variations: readonly { key: string; name?: string | undefined; weight?: number | undefined }[];
};

/** Members of the patch that map one to one onto the definition and are present. */
function definedMembers(patch: UpdateExperimentRequest): Partial<ExperimentDefinitionInput> {
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
		return { ...record, status, definition: { ...d, startAt } };
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
 * 5. adaptive assignment needs a primary metric (its reward);
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
	primaryMetric: metricSchema.nullable().describe("The metric the result is judged on; null only in drafts."),
	guardrailMetrics: z.array(metricSchema).describe("Metrics watched for harm."),
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
