// Feature flags: a value per player, switched on for a share of the players who match a condition. Bucketing uses
// the same GrowthBook hash as experiments, so a rollout from 10% to 20% keeps the first 10%.
import { z } from "zod";
import { ValidationError } from "../errors.js";
import type { FlagRecord } from "../store/types.js";
import { conditionSchema, evaluateCondition, type Attributes, type Condition } from "./condition.js";
import {
	HASH_DEFAULTS,
	conditionIssues,
	entityKeySchema,
	hashingFields,
	normalizedWeights,
	variationIssues,
	variationKeySchema,
	weightSchema,
} from "./common-schema.js";
import { chooseVariation, getBucketRanges, hash } from "./hash.js";
import type { SameType } from "../domain/same-type.js";
import type { FlagDefinition, FlagValue } from "../domain/experiments.js";

// The stored shapes are domain types (server/domain/experiments.ts), so the stores need not import this module.
export type { FlagDefinition, FlagValue } from "../domain/experiments.js";

/** A flag value: any JSON, at most this many characters serialized. */
export const MAX_FLAG_VALUE_CHARS = 4096;

/** Any JSON value (one instance, so the OpenAPI document names it once). */
export const jsonValueSchema = z.json();
true satisfies SameType<z.output<typeof jsonValueSchema>, FlagValue>;

const valueSchema = jsonValueSchema.refine(
	(v) => JSON.stringify(v).length <= MAX_FLAG_VALUE_CHARS,
	`at most ${MAX_FLAG_VALUE_CHARS} characters`,
);

const flagVariationInput = z.object({
	key: variationKeySchema,
	value: valueSchema.describe(
		`The JSON value served to units in this variation (at most ${MAX_FLAG_VALUE_CHARS} characters).`,
	),
	weight: weightSchema.optional().describe("Share of covered units, 0 to 1; give all or none (equal shares)."),
});

const flagFields = {
	name: z.string().min(1).max(128).describe("Shown in the dashboard; default: the key."),
	description: z.string().max(2000).describe("What the flag controls, for people."),
	enabled: z.boolean().describe("Created off unless given."),
	defaultValue: valueSchema.describe(
		"Served when the flag is off, the condition fails or the unit is not covered. Created as false unless given.",
	),
	variations: z
		.array(flagVariationInput)
		.min(1)
		.max(20)
		.describe('Created as [{ key: "on", value: true, weight: 1 }] unless given.'),
	...hashingFields,
	coverage: hashingFields.coverage.describe("Rollout: share of matching units that get a variation's value."),
	condition: conditionSchema.describe("Targeting: only units whose attributes match get a variation's value."),
};

/** Only `key` is required; defaults as {@link newFlag} says. */
export const createFlagSchema = z
	.strictObject({ key: entityKeySchema, ...flagFields })
	.partial()
	.required({ key: true });
export type CreateFlagRequest = z.output<typeof createFlagSchema>;

/** Members present replace; null clears description and condition. */
export const updateFlagSchema = z
	.strictObject({
		...flagFields,
		description: flagFields.description.nullable(),
		condition: flagFields.condition.nullable(),
	})
	.partial();
export type UpdateFlagRequest = z.output<typeof updateFlagSchema>;

type FlagDefinitionInput = Omit<FlagDefinition, "variations"> & {
	variations: readonly { key: string; value: FlagValue; weight?: number | undefined }[];
};

/**
 * A new flag: off, default value false, one variation `on` = true at full weight, coverage 1, unless given.
 *
 * @example
 * newFlag("g1", { key: "new-shop", enabled: true, coverage: 0.1 }, Date.now()); // on for 10% of players
 */
export function newFlag(gameId: string, input: CreateFlagRequest, now: number): FlagRecord {
	const definition = finishFlag({
		name: input.name ?? input.key,
		description: input.description ?? "",
		enabled: input.enabled ?? false,
		defaultValue: input.defaultValue ?? false,
		variations: input.variations ?? [{ key: "on", value: true, weight: 1 }],
		coverage: input.coverage ?? HASH_DEFAULTS.coverage,
		hashAttribute: input.hashAttribute ?? HASH_DEFAULTS.hashAttribute,
		seed: input.seed ?? input.key,
		hashVersion: input.hashVersion ?? HASH_DEFAULTS.hashVersion,
		condition: input.condition ?? null,
	});
	return { gameId, key: input.key, definition, revision: 1, createdAt: now, updatedAt: now };
}

/** The flag after a validated update (members present replace; null clears description and condition). */
export function applyFlagUpdate(current: FlagRecord, patch: UpdateFlagRequest, now: number): FlagRecord {
	const before = current.definition;
	const definition = finishFlag({
		name: patch.name ?? before.name,
		description: patch.description === null ? "" : (patch.description ?? before.description),
		enabled: patch.enabled ?? before.enabled,
		defaultValue: patch.defaultValue === undefined ? before.defaultValue : patch.defaultValue,
		variations: patch.variations ?? before.variations,
		coverage: patch.coverage ?? before.coverage,
		hashAttribute: patch.hashAttribute ?? before.hashAttribute,
		seed: patch.seed ?? before.seed,
		hashVersion: patch.hashVersion ?? before.hashVersion,
		condition: patch.condition === undefined ? before.condition : patch.condition,
	});
	return { ...current, definition, updatedAt: now };
}

function finishFlag(raw: FlagDefinitionInput): FlagDefinition {
	const issues = [...variationIssues(raw.variations), ...conditionIssues(raw.condition)];
	if (issues.length > 0) throw new ValidationError("The flag is invalid.", issues);
	const weights = normalizedWeights(raw.variations.map((v) => v.weight))!;
	return { ...raw, variations: raw.variations.map((v, i) => ({ key: v.key, value: v.value, weight: weights[i]! })) };
}

export const flagSchema = z.object({
	gameId: z.string().describe("The game's id."),
	key: z.string().describe("The flag's key, as the SDK's isOn/getValue name it."),
	name: z.string().describe("Shown in the dashboard."),
	description: z.string().describe("What the flag controls; empty if none."),
	enabled: z.boolean().describe("Off: every unit gets defaultValue."),
	defaultValue: jsonValueSchema.describe("Served when off, the condition fails or the unit is not covered."),
	variations: z
		.array(
			z.object({
				key: z.string().describe("The variation's key."),
				value: jsonValueSchema.describe("The JSON value it serves."),
				weight: z.number().describe("Share of covered units, 0 to 1; the weights sum to 1."),
			}),
		)
		.describe("The values served to covered units, by weight."),
	coverage: z.number().describe("Rollout: share of matching units that get a variation's value, 0 to 1."),
	hashAttribute: z.string().describe('The attribute whose value is hashed ("id" = the UserId).'),
	seed: z.string().describe("Hash seed (default: the key)."),
	hashVersion: z.number().int().describe("GrowthBook hash version, 1 or 2."),
	condition: conditionSchema.nullable().describe("Targeting; null: every unit."),
	createdAt: z.string().describe("ISO 8601 creation time."),
	updatedAt: z.string().describe("ISO 8601 time of the last change."),
});
export type FlagResponse = z.input<typeof flagSchema>;

export function flagResponse(record: FlagRecord): FlagResponse {
	return {
		gameId: record.gameId,
		key: record.key,
		...record.definition,
		createdAt: new Date(record.createdAt).toISOString(),
		updatedAt: new Date(record.updatedAt).toISOString(),
	};
}

/** What a flag evaluation needs: the flag as /v1/config serves it. */
export interface FlagRule {
	key: string;
	enabled: boolean;
	defaultValue: FlagValue;
	variations: readonly { key: string; value: FlagValue; weight: number }[];
	coverage: number;
	hashAttribute: string;
	seed: string;
	hashVersion: number;
	condition?: Condition | undefined;
}

export type FlagReason = "disabled" | "conditionFailed" | "noHashValue" | "notCovered" | "rollout";

export interface FlagEvaluation {
	value: FlagValue;
	/** The variation whose value was served; absent when the default was. */
	variationKey?: string;
	reason: FlagReason;
}

/**
 * A flag's value for one unit. Pure; the SDK's `isOn`/flag lookup follows the same steps:
 * 1. disabled → defaultValue;
 * 2. the condition fails → defaultValue;
 * 3. no value for the hash attribute (missing, "", 0, a fraction) → defaultValue;
 * 4. hash(seed, value, hashVersion) outside every variation's range (coverage × weight) → defaultValue;
 * 5. else the value of the variation whose range holds the hash.
 *
 * @example
 * evaluateFlag(flag, { id: 123 }); // { value: true, variationKey: "on", reason: "rollout" }
 */
export function evaluateFlag(flag: FlagRule, attributes: Attributes): FlagEvaluation {
	const fallback = (reason: FlagReason): FlagEvaluation => ({ value: flag.defaultValue, reason });
	if (!flag.enabled) return fallback("disabled");
	if (flag.condition && !evaluateCondition(flag.condition, attributes)) return fallback("conditionFailed");
	const hashValue = toHashValue(attributes[flag.hashAttribute]);
	if (hashValue === undefined) return fallback("noHashValue");
	const bucket = hash(flag.seed, hashValue, flag.hashVersion);
	if (bucket === undefined) return fallback("noHashValue");
	const ranges = getBucketRanges(
		flag.variations.length,
		flag.coverage,
		flag.variations.map((v) => v.weight),
	);
	const chosen = flag.variations[chooseVariation(bucket, ranges)];
	return chosen ? { value: chosen.value, variationKey: chosen.key, reason: "rollout" } : fallback("notCovered");
}

/** The string the SDK hashes for an attribute (src/shared/assignment.ts): non-empty strings, non-zero integers. */
function toHashValue(value: unknown): string | undefined {
	if (typeof value === "string") return value === "" ? undefined : value;
	if (typeof value !== "number" || value === 0 || !Number.isSafeInteger(value)) return undefined;
	return String(value);
}
