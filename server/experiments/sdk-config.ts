// The document GET /v1/config serves to game servers: the experiments the SDK should assign and the game's flags, in
// the shape of the SDK's ExperimentConfig (src/shared/assignment.ts), with a strong ETag over the content.
import { createHash } from "node:crypto";
import { z } from "zod";
import { sdkConsentConfigSchema, type SdkConsentConfig } from "../privacy/consent.js";
import type { ExperimentRecord, FlagRecord } from "../store/types.js";
import { conditionSchema } from "./condition.js";
import { assignmentSchema } from "./experiment.js";
import { jsonValueSchema } from "./flag.js";
import { sdkHoldoutSchema, type SdkHoldout } from "./holdout.js";

const hashingFields = {
	coverage: z.number().describe("Share of eligible units that take part, 0 to 1."),
	hashAttribute: z.string().describe('The attribute whose value is hashed ("id" = the UserId).'),
	seed: z.string().describe("Hash seed."),
	hashVersion: z.union([z.literal(1), z.literal(2)]).describe("GrowthBook hash version, 1 or 2."),
	condition: conditionSchema.optional().describe("Targeting: only units whose attributes match take part."),
};

export const sdkExperimentSchema = z.object({
	key: z.string().describe("Also the name of the exposure events the SDK sends."),
	status: z
		.enum(["running", "draft"])
		.describe("draft: served only for its forced QA users (the SDK assigns nobody else)."),
	variations: z
		.array(
			z.object({
				key: z.string().describe("The variation's key: exposure events carry it in props.variation."),
				weight: z.number().describe("Share of covered units, 0 to 1."),
			}),
		)
		.describe("Control first. Weights sum to 1; adaptive experiments serve their latest weights."),
	...hashingFields,
	namespace: z
		.tuple([z.string(), z.number(), z.number()])
		.optional()
		.describe("[id, start, end]: the unit takes part only if its namespace hash is in [start, end)."),
	forcedVariations: z
		.record(z.string(), z.number().int())
		.optional()
		.describe("QA: UserId (decimal) → variation index, in any status; not counted in results."),
	assignment: assignmentSchema,
});
export type SdkExperiment = z.infer<typeof sdkExperimentSchema>;

export const sdkFlagSchema = z.object({
	key: z.string().describe("The flag's key."),
	enabled: z.boolean().describe("Off: every unit gets defaultValue."),
	defaultValue: jsonValueSchema.describe("Served when disabled, the condition fails or the unit is not covered."),
	variations: z
		.array(
			z.object({
				key: z.string().describe("The variation's key."),
				value: jsonValueSchema.describe("The JSON value it serves."),
				weight: z.number().describe("Share of covered units, 0 to 1."),
			}),
		)
		.describe("The values served to covered units, by weight."),
	...hashingFields,
});
export type SdkFlag = z.infer<typeof sdkFlagSchema>;

export const sdkConfigSchema = z.object({
	gameId: z.string().describe("The game the token belongs to."),
	experiments: z.array(sdkExperimentSchema).describe("By key."),
	flags: z.array(sdkFlagSchema).describe("Every flag of the game (enabled or not), by key."),
	// Added after the first SDKs: they ignore members they do not know, so the document stays compatible.
	consent: sdkConsentConfigSchema
		.optional()
		.describe("The game's consent rules: current policy version, categories, opt-in regions, default elsewhere."),
	holdout: sdkHoldoutSchema.optional(),
	recommendations: z
		.object({
			neighbours: z
				.record(z.string(), z.array(z.tuple([z.string(), z.number()])))
				.describe("Item → its most similar items (co-purchase), best first, with the similarity."),
			popular: z.array(z.string()).describe("Items by distinct buyers, most bought first."),
		})
		.optional()
		.describe("The shop's item-to-item model for Vantage.recommend; absent until the predictions job trained one."),
});
export type SdkConfig = z.infer<typeof sdkConfigSchema>;

/**
 * Which experiments the SDK gets, as it should treat them:
 * 1. running and inside its [startAt, endAt) schedule → `running`;
 * 2. otherwise, a draft or a running one not yet started, with forced QA users → `draft` (only they are assigned);
 * 3. anything else (stopped, ended, draft without forced users) is left out: the SDK then serves control.
 */
export function servedStatus(record: ExperimentRecord, now: number): "running" | "draft" | undefined {
	const { startAt, endAt, forcedVariations } = record.definition;
	const scheduled = (startAt === null || startAt <= now) && (endAt === null || now < endAt);
	if (record.status === "running" && scheduled) return "running";
	const beforeStart = record.status === "draft" || (record.status === "running" && startAt !== null && now < startAt);
	return beforeStart && Object.keys(forcedVariations).length > 0 ? "draft" : undefined;
}

/**
 * The /v1/config document of one game. Deterministic (sorted by key, no timestamps), so equal content gives an
 * equal ETag.
 *
 * @example
 * buildSdkConfig("g1", await store.listExperiments({ gameId: "g1" }), await store.listFlags("g1"), Date.now());
 */
export function buildSdkConfig(
	gameId: string,
	experiments: readonly ExperimentRecord[],
	flags: readonly FlagRecord[],
	now: number,
	consent?: SdkConsentConfig,
	/** The game's global holdout when it is on ({@link sdkHoldout}). */
	holdout?: SdkHoldout,
	/** The shop's recommendations (server/predict/predictions.ts `sdkRecommendations`). */
	recommendations?: SdkConfig["recommendations"],
): SdkConfig {
	const served: SdkExperiment[] = [];
	for (const record of [...experiments].sort((a, b) => compareKeys(a.key, b.key))) {
		const status = servedStatus(record, now);
		if (status) served.push(sdkExperiment(record, status));
	}
	return {
		gameId,
		experiments: served,
		flags: [...flags].sort((a, b) => compareKeys(a.key, b.key)).map(sdkFlag),
		...(consent ? { consent } : {}),
		...(holdout ? { holdout } : {}),
		...(recommendations ? { recommendations } : {}),
	};
}

function sdkExperiment(record: ExperimentRecord, status: "running" | "draft"): SdkExperiment {
	const d = record.definition;
	const weights = record.adaptiveWeights ?? d.variations.map((v) => v.weight);
	const forced = Object.entries(d.forcedVariations).map(
		([user, key]) => [user, d.variations.findIndex((v) => v.key === key)] as const,
	);
	return {
		key: record.key,
		status,
		variations: d.variations.map((v, i) => ({ key: v.key, weight: weights[i] ?? 0 })),
		coverage: d.coverage,
		hashAttribute: d.hashAttribute,
		seed: d.seed,
		hashVersion: d.hashVersion,
		...(d.condition ? { condition: d.condition } : {}),
		...(d.namespace ? { namespace: [d.namespace.id, d.namespace.start, d.namespace.end] } : {}),
		...(forced.length > 0 ? { forcedVariations: Object.fromEntries(forced) } : {}),
		assignment: d.assignment,
	};
}

function sdkFlag(record: FlagRecord): SdkFlag {
	const d = record.definition;
	return {
		key: record.key,
		enabled: d.enabled,
		defaultValue: d.defaultValue,
		variations: d.variations,
		coverage: d.coverage,
		hashAttribute: d.hashAttribute,
		seed: d.seed,
		hashVersion: d.hashVersion,
		...(d.condition ? { condition: d.condition } : {}),
	};
}

// Code-unit order, independent of the locale.
function compareKeys(a: string, b: string): number {
	return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A strong entity tag (RFC 9110 §8.8.3) for a response body: the first 128 bits of its SHA-256, base64url.
 *
 * @example
 * strongEtag('{"a":1}'); // "\"…22 characters…\""
 */
export function strongEtag(body: string): string {
	return `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
}

/**
 * Whether an If-None-Match header matches `etag` (RFC 9110 §13.1.2: weak comparison, `*` matches any).
 *
 * @example
 * ifNoneMatchMatches('W/"abc", "def"', '"abc"'); // true
 */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
	if (header === undefined) return false;
	const opaque = etag.replace(/^W\//, "");
	return header.split(",").some((candidate) => {
		const tag = candidate.trim();
		return tag === "*" || tag.replace(/^W\//, "") === opaque;
	});
}
