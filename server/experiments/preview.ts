// Who would be assigned where: a draft experiment's variations, weights, coverage, namespace and targeting applied to
// sample players — the game's recent players (their latest session_start attributes) or synthetic UserIds — with the
// very hash and bucketing the SDK uses (./hash.ts, the SDK's getVariant). Pure: the players arrive as data.
import { z } from "zod";
import type { ValidationIssue } from "../errors.js";
import { srmTest } from "../stats/index.js";
import {
	HASH_DEFAULTS,
	conditionIssues,
	hashingFields,
	normalizedWeights,
	userIdKeySchema,
	variationIssues,
	variationKeySchema,
	entityKeySchema,
} from "./common-schema.js";
import { conditionSchema, evaluateCondition, type Attributes, type Condition } from "./condition.js";
import { assignmentSchema, createExperimentSchema, namespaceSchema, type AssignmentMode } from "./experiment.js";
import { chooseVariation, getBucketRanges, getEqualWeights, hash, inNamespace } from "./hash.js";

/** Most recent players a preview reads. */
export const MAX_RECENT_PLAYERS = 5000;
/** Most synthetic players a preview hashes. */
export const MAX_SYNTHETIC_PLAYERS = 100_000;
/** Players listed one by one in the answer. */
export const PREVIEW_EXAMPLES = 20;

/** POST /v1/admin/games/{gameId}/experiments/preview: a draft's assignment fields and the players to try them on. */
export const previewRequestSchema = z.strictObject({
	key: entityKeySchema.optional().describe("The experiment's key: the seed when seed is not given."),
	variations: createExperimentSchema.shape.variations,
	coverage: hashingFields.coverage.optional(),
	hashAttribute: hashingFields.hashAttribute.optional(),
	seed: hashingFields.seed.optional(),
	hashVersion: hashingFields.hashVersion.optional(),
	namespace: namespaceSchema.nullable().optional(),
	condition: conditionSchema.nullable().optional(),
	assignment: assignmentSchema.optional(),
	forcedVariations: z
		.record(userIdKeySchema, variationKeySchema)
		.optional()
		.describe("QA: UserId → variation key; counted apart as forced."),
	sample: z
		.discriminatedUnion("source", [
			z.strictObject({
				source: z.literal("recent").describe("The game's latest players, with their session attributes."),
				players: z.number().int().min(1).max(MAX_RECENT_PLAYERS).default(1000).describe("How many players."),
				days: z.number().int().min(1).max(30).default(7).describe("How far back to look for players."),
			}),
			z.strictObject({
				source: z.literal("synthetic").describe("UserIds firstUserId, firstUserId + 1, … without attributes."),
				players: z.number().int().min(1).max(MAX_SYNTHETIC_PLAYERS).default(10_000).describe("How many players."),
				firstUserId: z
					.number()
					.int()
					.min(1)
					.max(2 ** 52)
					.default(1)
					.describe("The first synthetic UserId."),
			}),
		])
		.default({ source: "recent", players: 1000, days: 7 })
		.describe("recent: the game's latest players with their session attributes; synthetic: UserIds n, n + 1, …"),
});
export type PreviewRequest = z.output<typeof previewRequestSchema>;

/** The fields that decide assignment, every default filled in. */
export interface PreviewConfig {
	variations: { key: string; weight: number }[];
	coverage: number;
	hashAttribute: string;
	seed: string;
	hashVersion: 1 | 2;
	namespace: { id: string; start: number; end: number } | null;
	condition: Condition | null;
	assignment: AssignmentMode;
	/** UserId → variation index. */
	forcedVariations: Record<string, number>;
}

export type PreviewReason = "assigned" | "forced" | "conditionFailed" | "noHashValue" | "notInNamespace" | "notCovered";

export interface PreviewDecision {
	/** Variation index; null when the player is not in the experiment, or (sticky modes) drawn in game. */
	variation: number | null;
	inExperiment: boolean;
	reason: PreviewReason;
}

/** A player to preview: the UserId and the attributes targeting reads. */
export interface PreviewPlayer {
	userId: number;
	attributes: Attributes;
}

export interface PreviewSummary {
	players: number;
	inExperiment: number;
	/** Share of the players in the experiment: what the power calculator's eligible share is. */
	eligibleShare: number;
	/** Share of the players (forced ones aside) whose attributes match the targeting condition. */
	matchingShare: number;
	/**
	 * Per variation: players placed there and the count the weights promise given who is in; `players` is null in the
	 * random, stratified and adaptive modes, where the hash decides only who takes part and the SDK draws the variation.
	 */
	variations: { key: string; weight: number; players: number | null; expected: number }[];
	/** Whether the sample's split fits the weights (chi-square, as the results' SRM check); null when not computed. */
	splitPValue: number | null;
	excluded: { conditionFailed: number; noHashValue: number; notInNamespace: number; notCovered: number };
	forced: number;
	/** Attributes the condition reads that no sampled player has: a condition on them fails for everyone here. */
	missingAttributes: string[];
	examples: { userId: number; variation: string | null; reason: PreviewReason }[];
}

/**
 * Problems of a preview request beyond its schema: the variations' keys and weights, the condition's depth, the
 * namespace's slice, forced users naming existing variations, and a seed (or key) to hash with.
 */
export function previewIssues(request: PreviewRequest): ValidationIssue[] {
	const issues = [...variationIssues(request.variations), ...conditionIssues(request.condition ?? null)];
	const ns = request.namespace;
	if (ns && ns.start >= ns.end) issues.push({ path: "namespace", message: "start must be below end" });
	const keys = new Set(request.variations.map((v) => v.key));
	for (const [user, key] of Object.entries(request.forcedVariations ?? {})) {
		if (!keys.has(key)) issues.push({ path: `forcedVariations.${user}`, message: `no variation "${key}"` });
	}
	if (request.seed === undefined && request.key === undefined) {
		issues.push({ path: "seed", message: "give the experiment's key or a seed to hash with" });
	}
	return issues;
}

/** The config a valid request (see {@link previewIssues}) previews, with the defaults a new experiment gets. */
export function previewConfig(request: PreviewRequest): PreviewConfig {
	const weights = normalizedWeights(request.variations.map((v) => v.weight))!;
	const index = new Map(request.variations.map((v, i) => [v.key, i]));
	return {
		variations: request.variations.map((v, i) => ({ key: v.key, weight: weights[i]! })),
		coverage: request.coverage ?? HASH_DEFAULTS.coverage,
		hashAttribute: request.hashAttribute ?? HASH_DEFAULTS.hashAttribute,
		seed: request.seed ?? request.key!,
		hashVersion: request.hashVersion ?? HASH_DEFAULTS.hashVersion,
		namespace: request.namespace ?? null,
		condition: request.condition ?? null,
		assignment: request.assignment ?? { mode: "deterministic" },
		forcedVariations: Object.fromEntries(
			Object.entries(request.forcedVariations ?? {}).map(([user, key]) => [user, index.get(key)!]),
		),
	};
}

/**
 * Where one player would land once the experiment runs, in the SDK's order (getVariant, then assign):
 * 1. a forced QA variation for the UserId → it;
 * 2. the targeting condition fails → not in;
 * 3. no value for the hash attribute (missing, "", 0, a fraction) → not in;
 * 4. outside the namespace slice → not in;
 * 5. the hash outside every variation's range (coverage × weight) → not in;
 * 6. deterministic → the variation whose range holds the hash; the sticky modes hash over equal weights to decide
 *    who takes part, and the SDK then draws the variation (variation null).
 *
 * @example
 * previewDecision(config, { id: 123, country: "US" }); // { variation: 1, inExperiment: true, reason: "assigned" }
 */
export function previewDecision(config: PreviewConfig, attributes: Attributes): PreviewDecision {
	const out = (reason: PreviewReason, variation: number | null = null, inExperiment = false): PreviewDecision => ({
		variation,
		inExperiment,
		reason,
	});
	// 1. Forced.
	const userId = toHashValue(attributes.id);
	const forced = userId === undefined ? undefined : config.forcedVariations[userId];
	if (forced !== undefined) return out("forced", forced, true);
	// 2. Targeting.
	if (config.condition && !evaluateCondition(config.condition, attributes)) return out("conditionFailed");
	// 3. Hash value.
	const hashValue = toHashValue(attributes[config.hashAttribute]);
	if (hashValue === undefined) return out("noHashValue");
	// 4. Namespace.
	const ns = config.namespace;
	if (ns && !inNamespace(hashValue, [ns.id, ns.start, ns.end])) return out("notInNamespace");
	// 5. Coverage.
	const sticky = config.assignment.mode !== "deterministic";
	const n = config.variations.length;
	const weights = sticky ? getEqualWeights(n) : config.variations.map((v) => v.weight);
	const bucket = hash(config.seed, hashValue, config.hashVersion)!;
	const chosen = chooseVariation(bucket, getBucketRanges(n, config.coverage, weights));
	if (chosen < 0) return out("notCovered");
	// 6. In.
	return out("assigned", sticky ? null : chosen, true);
}

/**
 * The split of sample players: counts per variation against what the weights promise, why the others are out, the
 * share in the experiment (for planning), and the first few players one by one.
 *
 * @example
 * summarizePreview(config, [{ userId: 1, attributes: { id: 1 } }, { userId: 2, attributes: { id: 2 } }]);
 */
export function summarizePreview(config: PreviewConfig, players: readonly PreviewPlayer[]): PreviewSummary {
	const counts = config.variations.map(() => 0);
	const excluded = { conditionFailed: 0, noHashValue: 0, notInNamespace: 0, notCovered: 0 };
	let inExperiment = 0;
	let forced = 0;
	const examples: PreviewSummary["examples"] = [];
	for (const player of players) {
		const decision = previewDecision(config, { ...player.attributes, id: player.userId });
		if (decision.reason === "forced") forced += 1;
		else if (decision.inExperiment) {
			inExperiment += 1;
			if (decision.variation !== null) counts[decision.variation]! += 1;
		} else excluded[decision.reason as keyof typeof excluded] += 1;
		if (examples.length < PREVIEW_EXAMPLES) {
			const key = decision.variation === null ? null : config.variations[decision.variation]!.key;
			examples.push({ userId: player.userId, variation: key, reason: decision.reason });
		}
	}
	const sticky = config.assignment.mode !== "deterministic";
	const weights = config.variations.map((v) => v.weight);
	const judged = players.length - forced;
	return {
		players: players.length,
		inExperiment,
		eligibleShare: judged > 0 ? inExperiment / judged : 0,
		matchingShare: judged > 0 ? (judged - excluded.conditionFailed) / judged : 0,
		variations: config.variations.map((v, i) => ({
			key: v.key,
			weight: v.weight,
			players: sticky ? null : counts[i]!,
			expected: inExperiment * v.weight,
		})),
		splitPValue: sticky || inExperiment === 0 ? null : srmTest(counts, weights).pValue,
		excluded,
		forced,
		missingAttributes: missingAttributes(config.condition, players),
		examples,
	};
}

/** Attribute names a condition reads (outside `$and`/`$or`/`$not`), outer levels first. */
export function conditionAttributes(condition: Condition | null): string[] {
	const names: string[] = [];
	const queue: unknown[] = condition ? [condition] : [];
	while (queue.length > 0) {
		const node = queue.shift();
		if (typeof node !== "object" || node === null) continue;
		for (const [key, value] of Object.entries(node)) {
			if (key === "$and" || key === "$or") queue.push(...(value as unknown[]));
			else if (key === "$not") queue.push(value);
			else if (!names.includes(key)) names.push(key);
		}
	}
	return names;
}

function missingAttributes(condition: Condition | null, players: readonly PreviewPlayer[]): string[] {
	return conditionAttributes(condition).filter(
		(name) => name !== "id" && !players.some((p) => p.attributes[name] !== undefined && p.attributes[name] !== null),
	);
}

/** The string the SDK hashes for an attribute (src/shared/assignment.ts): non-empty strings, non-zero integers. */
function toHashValue(value: unknown): string | undefined {
	if (typeof value === "string") return value === "" ? undefined : value;
	if (typeof value !== "number" || value === 0 || !Number.isSafeInteger(value)) return undefined;
	return String(value);
}

const decisionReason = z
	.enum(["assigned", "forced", "conditionFailed", "noHashValue", "notInNamespace", "notCovered"])
	.describe("Why the player gets that variation, or why none.");

/** The preview document (for the OpenAPI document). */
export const previewResultSchema = z.object({
	source: z.enum(["recent", "synthetic"]).describe("Which players were previewed."),
	window: z
		.object({
			from: z.string().describe("ISO 8601 start (inclusive)."),
			to: z.string().describe("ISO 8601 end (exclusive)."),
		})
		.nullable()
		.describe("recent: the session starts read (ISO 8601); null for synthetic players."),
	attributes: z.string().describe("Where the players' attributes came from."),
	players: z.number().int().describe("Players previewed."),
	inExperiment: z.number().int().describe("Of them taking part (forced QA users aside)."),
	eligibleShare: z.number().describe("inExperiment ÷ players (forced aside): the power calculator's eligible share."),
	matchingShare: z.number().describe("Share whose attributes match the targeting condition."),
	variations: z
		.array(
			z.object({
				key: z.string().describe("The variation's key."),
				weight: z.number().describe("Its weight, 0 to 1."),
				players: z
					.number()
					.int()
					.nullable()
					.describe("Placed here by the hash; null in random, stratified and adaptive modes (drawn in game)."),
				expected: z.number().describe("inExperiment × weight."),
			}),
		)
		.describe("The split, control first."),
	splitPValue: z.number().nullable().describe("Chi-square test of the counts against the weights."),
	excluded: z
		.object({
			conditionFailed: z.number().int().describe("Players whose attributes fail the condition."),
			noHashValue: z.number().int().describe("Players without a value of the hash attribute."),
			notInNamespace: z.number().int().describe("Players outside the namespace slice."),
			notCovered: z.number().int().describe("Players outside the coverage."),
		})
		.describe("Players not taking part, by reason."),
	forced: z.number().int().describe("Forced QA players (not counted in the split)."),
	missingAttributes: z.array(z.string()).describe("Condition attributes no previewed player has."),
	examples: z
		.array(
			z.object({
				userId: z.number().int().describe("The player's UserId."),
				variation: z.string().nullable().describe("The variation they would get; null when not taking part."),
				reason: decisionReason,
			}),
		)
		.describe(`The first ${PREVIEW_EXAMPLES} players.`),
});
