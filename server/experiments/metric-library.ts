// A game's metric library: reusable metric definitions, each with a default role (goal or guardrail), versioned so a
// result can say which definition it used. Creating a metric makes version 1; every change makes a new, immutable
// version (older ones stay readable); archiving hides the metric from new experiments and keeps every version
// readable. Experiments take library metrics by reference (metric-reference.ts): a draft follows the latest version,
// starting pins the version current then. The admin API (metric-library-routes.ts) and the CLI both go through here.
import { z } from "zod";
import { describeIssues } from "../ingest/schema.js";
import { ConflictError, NotFoundError, ValidationError, type ValidationIssue } from "../errors.js";
import type { ExperimentRecord, LibraryMetricRecord, Store } from "../store/types.js";
import { metricKeySchema, metricSchema } from "./metric.js";
import {
	isLibraryReference,
	metricInputIssues,
	metricRoleSchema,
	type ExperimentMetric,
	type LibraryReference,
	type MetricInput,
	type MetricRole,
} from "./metric-reference.js";

export const createLibraryMetricSchema = z.strictObject({
	role: metricRoleSchema.default("goal").describe("Default goal: what an experiment picks the metric as."),
	definition: metricSchema.describe("The metric; its `key` is the library key (unique in the game, never changes)."),
});
export type CreateLibraryMetricRequest = z.output<typeof createLibraryMetricSchema>;

export const updateLibraryMetricSchema = z
	.strictObject({
		role: metricRoleSchema.optional().describe("A new default role; default: unchanged."),
		definition: metricSchema
			.optional()
			.describe("The whole new definition (its key must be the metric's); default: unchanged."),
		baseVersion: z
			.number()
			.int()
			.min(1)
			.optional()
			.describe("The version this edit starts from: 409 if the library has a newer one (someone else's change)."),
	})
	.refine((b) => b.role !== undefined || b.definition !== undefined, "give a definition, a role or both");
export type UpdateLibraryMetricRequest = z.output<typeof updateLibraryMetricSchema>;

export const listLibraryMetricsQuerySchema = z.object({
	archived: z
		.enum(["true", "false"])
		.optional()
		.describe("true: archived metrics too (each with archivedAt); default false: the ones experiments can pick."),
});

export const libraryMetricVersionQuerySchema = z.object({
	version: z.coerce.number().int().min(1).optional().describe("A version number; default: the latest version."),
});

/** One version of a library metric as the admin API answers. */
export const libraryMetricSchema = z
	.object({
		gameId: z.string().describe("The game's id."),
		key: z.string().describe("The metric's key, unique in the game's library."),
		version: z.number().int().describe("This version's number: 1 as created, +1 per change."),
		latestVersion: z.number().int().describe("The newest version of the metric."),
		role: metricRoleSchema,
		definition: metricSchema.describe("The definition of this version."),
		createdAt: z.string().describe("ISO 8601 time this version was written."),
		createdBy: z.string().nullable().describe("Who wrote it: `admin:<user id>` or `cli:<OS user>`; null if unknown."),
		archivedAt: z
			.string()
			.nullable()
			.describe("ISO 8601 time the metric was archived (hidden from new experiments); null if it is not."),
	})
	.describe("One version of a metric of the game's library.");
export type LibraryMetricResponse = z.input<typeof libraryMetricSchema>;

/** The admin API's view of a stored version; `latestVersion` from the key's newest row. */
export function libraryMetricResponse(record: LibraryMetricRecord, latestVersion: number): LibraryMetricResponse {
	return {
		gameId: record.gameId,
		key: record.key,
		version: record.version,
		latestVersion,
		role: record.role,
		definition: record.definition,
		createdAt: new Date(record.createdAt).toISOString(),
		createdBy: record.createdBy,
		archivedAt: record.archivedAt === null ? null : new Date(record.archivedAt).toISOString(),
	};
}

/**
 * The version of a library metric asked for (the latest by default).
 * 1. no such key → 404; 2. no such version → 404 naming the latest.
 */
export async function readLibraryMetric(
	store: Store,
	gameId: string,
	key: string,
	version?: number,
): Promise<{ record: LibraryMetricRecord; latest: LibraryMetricRecord }> {
	const latest = await store.getLibraryMetric(gameId, key);
	if (!latest) throw new NotFoundError(`The metric library has no metric "${key}".`);
	if (version === undefined || version === latest.version) return { record: latest, latest };
	const record = await store.getLibraryMetric(gameId, key, version);
	if (!record) throw new NotFoundError(`Metric "${key}" has no version ${version} (the latest is ${latest.version}).`);
	return { record, latest };
}

/**
 * Adds a metric to the library as version 1.
 * 1. the key is taken (archived metrics keep theirs) → 409.
 *
 * @example
 * await createLibraryMetric(store, "g1", { role: "guardrail", definition: { key: "d1", type: "retention", day: 1 } },
 * 	"admin:u1", Date.now());
 */
export async function createLibraryMetric(
	store: Store,
	gameId: string,
	input: CreateLibraryMetricRequest,
	createdBy: string | null,
	now: number,
): Promise<LibraryMetricRecord> {
	const record: LibraryMetricRecord = {
		gameId,
		key: input.definition.key,
		version: 1,
		definition: input.definition,
		role: input.role,
		createdAt: now,
		createdBy,
		archivedAt: null,
	};
	if (!(await store.insertLibraryMetric(record))) {
		throw new ConflictError(`The metric library already has a metric "${record.key}" (perhaps archived).`);
	}
	return record;
}

/**
 * A change of a library metric: a new version, unless nothing changes.
 * 1. unknown key → 404; archived → 409 (archived metrics are read-only);
 * 2. `baseVersion` older than the latest → 409 (read again and retry);
 * 3. the definition's key must be the metric's → 400 `definition.key`;
 * 4. the same definition and role as the latest → the latest, unchanged (`changed` false);
 * 5. else version latest + 1; a concurrent change that got there first → 409.
 */
export async function updateLibraryMetric(
	store: Store,
	gameId: string,
	key: string,
	input: UpdateLibraryMetricRequest,
	createdBy: string | null,
	now: number,
): Promise<{ record: LibraryMetricRecord; changed: boolean }> {
	const { latest } = await readLibraryMetric(store, gameId, key);
	if (latest.archivedAt !== null)
		throw new ConflictError(`Metric "${key}" is archived; archived metrics cannot change.`);
	if (input.baseVersion !== undefined && input.baseVersion !== latest.version) {
		throw new ConflictError(
			`Metric "${key}" is at version ${latest.version} since version ${input.baseVersion} was read; read it again.`,
		);
	}
	if (input.definition && input.definition.key !== key) {
		throw new ValidationError("A metric's key cannot change.", [
			{ path: "definition.key", message: `must be "${key}" (create a new metric for another key)` },
		]);
	}
	const definition = input.definition ?? latest.definition;
	const role = input.role ?? latest.role;
	if (role === latest.role && JSON.stringify(definition) === JSON.stringify(latest.definition)) {
		return { record: latest, changed: false };
	}
	const record: LibraryMetricRecord = {
		gameId,
		key,
		version: latest.version + 1,
		definition,
		role,
		createdAt: now,
		createdBy,
		archivedAt: null,
	};
	if (!(await store.insertLibraryMetric(record))) {
		throw new ConflictError(`Metric "${key}" was changed by another request at the same time; read it again.`);
	}
	return { record, changed: true };
}

/** Archives a library metric (404 unknown, 409 already archived) and answers its latest version. */
export async function archiveLibraryMetric(
	store: Store,
	gameId: string,
	key: string,
	now: number,
): Promise<LibraryMetricRecord> {
	const { latest } = await readLibraryMetric(store, gameId, key);
	if (latest.archivedAt !== null || !(await store.archiveLibraryMetric(gameId, key, now))) {
		throw new ConflictError(`Metric "${key}" is already archived.`);
	}
	return { ...latest, archivedAt: now };
}

/** An experiment's metric from a library version, marked with where it came from. */
function fromLibrary(record: LibraryMetricRecord, pinned: boolean): ExperimentMetric {
	return { ...record.definition, key: record.key, library: { key: record.key, version: record.version, pinned } };
}

/**
 * The metrics of an experiment request with each library reference replaced by the version it names, so the pure
 * experiment rules (experiment.ts) see definitions only. Every bad reference is reported, with its path:
 * 1. no metric of that key in the game's library → `…library`: unknown;
 * 2. the metric is archived → `…library`: archived (archived metrics are hidden from new experiments);
 * 3. no such version → `…version`, naming the latest.
 * A reference without a version takes the latest (pinned: false: a draft follows the library until it starts).
 *
 * @example
 * const body = await resolveMetricInputs(store, gameId, parsedBody); // then newExperiment(gameId, body, now)
 */
export async function resolveMetricInputs<
	T extends { primaryMetric?: MetricInput | null | undefined; guardrailMetrics?: MetricInput[] | undefined },
>(
	store: Store,
	gameId: string,
	request: T,
): Promise<
	Omit<T, "primaryMetric" | "guardrailMetrics"> & {
		primaryMetric?: ExperimentMetric | Extract<T["primaryMetric"], null>;
		guardrailMetrics?: ExperimentMetric[];
	}
> {
	const issues: ValidationIssue[] = [];
	// Undefined only with an issue recorded, which makes the whole request fail below.
	const resolve = async (input: MetricInput, path: string): Promise<ExperimentMetric | undefined> =>
		isLibraryReference(input) ? libraryVersion(store, gameId, input, path, issues) : input;
	const { primaryMetric, guardrailMetrics, ...rest } = request;
	const out: Record<string, unknown> = { ...rest };
	if (primaryMetric !== undefined) {
		out.primaryMetric = primaryMetric === null ? null : await resolve(primaryMetric, "primaryMetric");
	}
	if (guardrailMetrics !== undefined) {
		const resolved: (ExperimentMetric | undefined)[] = [];
		for (const [i, m] of guardrailMetrics.entries()) resolved.push(await resolve(m, `guardrailMetrics.${i}`));
		out.guardrailMetrics = resolved;
	}
	if (issues.length > 0) throw new ValidationError("A metric named from the library is not usable.", issues);
	return out as Awaited<ReturnType<typeof resolveMetricInputs<T>>>;
}

async function libraryVersion(
	store: Store,
	gameId: string,
	ref: LibraryReference,
	path: string,
	issues: ValidationIssue[],
): Promise<ExperimentMetric | undefined> {
	const latest = await store.getLibraryMetric(gameId, ref.library);
	if (!latest) {
		issues.push({ path: `${path}.library`, message: `the game's metric library has no metric "${ref.library}"` });
		return undefined;
	}
	if (latest.archivedAt !== null) {
		issues.push({ path: `${path}.library`, message: `metric "${ref.library}" is archived` });
		return undefined;
	}
	if (ref.version === undefined) return fromLibrary(latest, false);
	const record =
		ref.version === latest.version ? latest : await store.getLibraryMetric(gameId, ref.library, ref.version);
	if (!record) {
		issues.push({
			path: `${path}.version`,
			message: `metric "${ref.library}" has no version ${ref.version} (the latest is ${latest.version})`,
		});
		return undefined;
	}
	return fromLibrary(record, true);
}

/**
 * A draft's library metrics that follow the latest version, brought up to it (others as stored): what a draft's
 * reads, results and start use. A metric deleted from the store since (it cannot be, but a restored backup could
 * lack it) or archived keeps its stored version.
 */
export async function withLatestLibraryMetrics(store: Store, record: ExperimentRecord): Promise<ExperimentRecord> {
	if (record.status !== "draft") return record;
	const d = record.definition;
	const follow = async (m: ExperimentMetric): Promise<ExperimentMetric> => {
		if (!m.library || m.library.pinned) return m;
		const latest = await store.getLibraryMetric(record.gameId, m.library.key);
		return latest && latest.version !== m.library.version ? fromLibrary(latest, false) : m;
	};
	const primaryMetric = d.primaryMetric && (await follow(d.primaryMetric));
	const guardrailMetrics: ExperimentMetric[] = [];
	for (const m of d.guardrailMetrics) guardrailMetrics.push(await follow(m));
	return { ...record, definition: { ...d, primaryMetric, guardrailMetrics } };
}

/**
 * The metric an experiment's results are of: its primary metric by default, else the primary or guardrail metric of
 * that key (a library metric's key is its library key). A library metric comes with `library: { key, version,
 * pinned }` — the version the results use: the pinned one once the experiment has started, the latest while it is a
 * draft. Undefined when the experiment has no such metric.
 *
 * @example
 * const metric = await resolveExperimentMetric(store, gameId, record, query.metric);
 */
export async function resolveExperimentMetric(
	store: Store,
	gameId: string,
	experiment: ExperimentRecord,
	metricKey?: string,
): Promise<ExperimentMetric | undefined> {
	const d = (await withLatestLibraryMetrics(store, { ...experiment, gameId })).definition;
	if (metricKey === undefined) return d.primaryMetric ?? undefined;
	return [...(d.primaryMetric ? [d.primaryMetric] : []), ...d.guardrailMetrics].find((m) => m.key === metricKey);
}

/**
 * Parses an experiment request whose metrics may be library references; 400 listing every problem, an invalid
 * metric member reported in the form it was written in ({@link metricInputIssues}).
 */
export function parseWithMetricInputs<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
	const result = schema.safeParse(body);
	if (result.success) return result.data;
	const issues = metricInputIssues(result.error.issues, body);
	throw new ValidationError("The request body is invalid.", describeIssues(issues));
}

/** Parses a library key (path parameter, CLI argument); 400 when it is not a key. */
export function parseLibraryKey(raw: string): string {
	const parsed = metricKeySchema.safeParse(raw);
	if (!parsed.success) {
		throw new ValidationError("The metric key is invalid.", [
			{ path: "key", message: parsed.error.issues[0]!.message },
		]);
	}
	return parsed.data;
}

export type { MetricRole };
