// Schema parts experiments and feature flags share: keys, hashing settings and variation weights.
import { z } from "zod";
import type { ValidationIssue } from "../errors.js";
import { conditionDepth, MAX_CONDITION_DEPTH } from "./condition.js";

/** Experiment and flag keys: unique per game, immutable, used as the exposure event name and the default seed. */
export const entityKeySchema = z
	.string()
	.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, "1-100 of A-Z a-z 0-9 _ . - starting with a letter or digit")
	.describe("The key: unique in the game, never changes; an experiment's key is the name of its exposure events.");

export const variationKeySchema = z
	.string()
	.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "1-64 of A-Z a-z 0-9 _ . - starting with a letter or digit")
	.describe("The variation's key: what exposure events carry in props.variation.");

/** A player attribute name (`id` is the UserId). `$` is reserved for condition operators. */
export const attributeNameSchema = z
	.string()
	.min(1)
	.max(128)
	.refine((name) => !name.startsWith("$"), "attribute names cannot start with $")
	.describe("A player attribute name (`id` is the UserId), as the SDK's attributes name it.");

/** A Roblox UserId written as decimal digits, as JSON object keys are (and as the SDK hashes it). */
export const userIdKeySchema = z.string().regex(/^[1-9][0-9]{0,15}$/, "a UserId in decimal digits");

const coverageSchema = z.number().min(0).max(1).describe("Share of eligible units that take part, 0 to 1.");
const seedSchema = z.string().min(1).max(128).describe("Hash seed; default: the key.");
const hashVersionSchema = z
	.union([z.literal(1), z.literal(2)])
	.describe("GrowthBook hash version: 2 (unbiased; the default) or 1 (for imported GrowthBook configs).");
export const weightSchema = z.number().min(0).max(1);

/** How units are bucketed, the same for experiments and flags. */
export const hashingFields = {
	coverage: coverageSchema,
	hashAttribute: attributeNameSchema,
	seed: seedSchema,
	hashVersion: hashVersionSchema,
};

export const HASH_DEFAULTS = { coverage: 1, hashAttribute: "id", hashVersion: 2 as const };

/** How far from 1 the given weights may sum; they are then scaled to sum to exactly 1. */
export const WEIGHT_TOLERANCE = 0.001;

/**
 * Fills in and normalizes weights: none given → equal shares; all given and summing to 1 ± 0.001 → scaled to
 * sum to 1. Returns undefined when only some are given or the sum is off (see {@link weightIssues}).
 *
 * @example
 * normalizedWeights([undefined, undefined]); // [0.5, 0.5]
 */
export function normalizedWeights(weights: readonly (number | undefined)[]): number[] | undefined {
	if (weights.every((w) => w === undefined)) return weights.map(() => 1 / weights.length);
	if (weights.some((w) => w === undefined)) return undefined;
	const total = (weights as number[]).reduce((s, w) => s + w, 0);
	if (Math.abs(total - 1) > WEIGHT_TOLERANCE) return undefined;
	return (weights as number[]).map((w) => w / total);
}

/** Problems with a list of variations: duplicate keys, partial or badly summing weights. */
export function variationIssues(
	variations: readonly { key: string; weight?: number | undefined }[],
): ValidationIssue[] {
	const issues: ValidationIssue[] = [];
	const seen = new Set<string>();
	variations.forEach((v, i) => {
		if (seen.has(v.key)) issues.push({ path: `variations.${i}.key`, message: `duplicate variation key "${v.key}"` });
		seen.add(v.key);
	});
	if (!normalizedWeights(variations.map((v) => v.weight))) {
		issues.push({
			path: "variations",
			message: `give every variation a weight, summing to 1 (± ${WEIGHT_TOLERANCE}), or none for equal shares`,
		});
	}
	return issues;
}

/** A problem when a condition nests deeper than allowed. */
export function conditionIssues(condition: unknown, path = "condition"): ValidationIssue[] {
	return conditionDepth(condition) > MAX_CONDITION_DEPTH
		? [{ path, message: `conditions nest at most ${MAX_CONDITION_DEPTH} levels deep` }]
		: [];
}
