// Targeting conditions: a small, GrowthBook-style language over a player's attributes. The backend validates
// conditions (zod) and serves them in GET /v1/config; the SDK evaluates them in game. Both sides follow the rules
// of `evaluateCondition` below and pass the cases in condition-cases.json.
import { z } from "zod";

// The condition shapes are domain types (server/domain/experiments.ts): stored experiments and flags carry them.
import type { AttributeOperators, AttributeTest, Condition, Scalar } from "../domain/experiments.js";

export type { AttributeOperators, AttributeTest, Condition, Scalar } from "../domain/experiments.js";

/** How deep `$and`/`$or`/`$not` may nest: a targeting rule never needs more, and a bound keeps evaluation cheap. */
export const MAX_CONDITION_DEPTH = 8;
/** Longest `$in`/`$nin` list. */
export const MAX_IN_LIST = 1000;

/** Adds a description to this schema instance (the OpenAPI document reads it) and returns the same instance. */
function described<T extends z.ZodType>(schema: T, description: string): T {
	z.globalRegistry.add(schema, { description });
	return schema;
}

const LOGICAL_KEYS: ReadonlySet<string> = new Set(["$and", "$or", "$not"]);

const scalarSchema = z.union([z.string().max(1024), z.number(), z.boolean()]);
const scalarList = z.array(scalarSchema).max(MAX_IN_LIST);

const operatorsSchema = z
	.strictObject({
		$eq: scalarSchema.optional().describe("Equal to (strict)."),
		$ne: scalarSchema.optional().describe("Not equal to (also holds when the attribute is absent)."),
		$in: scalarList.optional().describe("Equal to one of these."),
		$nin: scalarList.optional().describe("Equal to none of these (also holds when the attribute is absent)."),
		$gt: z.number().optional().describe("A number greater than this."),
		$gte: z.number().optional().describe("A number greater than or equal to this."),
		$lt: z.number().optional().describe("A number less than this."),
		$lte: z.number().optional().describe("A number less than or equal to this."),
		$exists: z.boolean().optional().describe("true: the attribute is present; false: it is absent."),
	})
	.refine((ops) => Object.keys(ops).length > 0, {
		message: "an attribute test needs at least one operator",
		// Only when the object was otherwise valid: an unknown operator is already reported, and stripped.
		when: (payload) => payload.issues.length === 0,
	});

const attributeTestSchema = z.union([scalarSchema, operatorsSchema], {
	error: "expected a string, number or boolean, or an object of $eq $ne $in $nin $gt $gte $lt $lte $exists",
});

const conditionObject = z
	.object({
		get $and() {
			const schema = z.array(conditionObject).min(1).max(50).optional();
			z.globalRegistry.add(schema, { description: "Every one of these conditions holds." });
			return schema;
		},
		get $or() {
			const schema = z.array(conditionObject).min(1).max(50).optional();
			z.globalRegistry.add(schema, { description: "At least one of these conditions holds." });
			return schema;
		},
		get $not() {
			const schema = conditionObject.optional();
			z.globalRegistry.add(schema, { description: "This condition does not hold." });
			return schema;
		},
	})
	.catchall(attributeTestSchema)
	.superRefine((value, ctx) => {
		for (const key of Object.keys(value)) {
			if (key.startsWith("$") && !LOGICAL_KEYS.has(key)) {
				ctx.addIssue({ code: "custom", path: [key], message: `unknown operator ${key}`, input: value });
			} else if (key.length === 0 || key.length > 128) {
				ctx.addIssue({ code: "custom", path: [key], message: "attribute names are 1-128 characters", input: value });
			}
		}
	});
// Described in place (not with .describe(), which returns a copy): the getters above refer to this very instance.
described(
	conditionObject,
	"A targeting condition on player attributes: members are ANDed; an attribute maps to a value (equality) or " +
		"to operators; $and/$or take lists of conditions, $not one.",
);

/**
 * A targeting condition. Top-level members are ANDed; an attribute maps to a scalar (equality) or to operators;
 * `$and`/`$or` take non-empty lists of conditions and `$not` one condition. Schemas that embed a condition also
 * check {@link conditionDepth} against {@link MAX_CONDITION_DEPTH}.
 */
export const conditionSchema: z.ZodType<Condition> = conditionObject as unknown as z.ZodType<Condition>;

/**
 * Logical nesting depth of a condition: 1 for a flat one, +1 per `$and`/`$or`/`$not` level. Iterative, so a
 * hostile body cannot overflow the stack.
 *
 * @example
 * conditionDepth({ $or: [{ a: 1 }, { $not: { b: 2 } }] }); // 3
 */
export function conditionDepth(value: unknown): number {
	let deepest = 0;
	const stack: [unknown, number][] = [[value, 1]];
	while (stack.length > 0) {
		const [node, level] = stack.pop()!;
		if (typeof node !== "object" || node === null) continue;
		deepest = Math.max(deepest, level);
		const record = node as Record<string, unknown>;
		for (const key of ["$and", "$or"]) {
			const list = record[key];
			if (Array.isArray(list)) for (const child of list) stack.push([child, level + 1]);
		}
		if (record.$not !== undefined) stack.push([record.$not, level + 1]);
	}
	return deepest;
}

/** The attributes a condition reads: the player's UserId as `id` and whatever the game sets. */
export type Attributes = Readonly<Record<string, unknown>>;

/**
 * Whether `attributes` satisfy `condition`. Pure and total (never throws); the SDK implements the same rules:
 * 1. an empty condition holds;
 * 2. every member must hold: `$and` (all), `$or` (any), `$not` (negation), attribute tests;
 * 3. an attribute's value counts only if it is a string, a finite number or a boolean; anything else (missing,
 *    nil, a table) is "absent";
 * 4. equality is strict (the string "1" is not the number 1); `$gt`/`$gte`/`$lt`/`$lte` compare numbers only and
 *    fail on anything else (string order differs between Luau and JavaScript);
 * 5. on an absent attribute: `$exists: false`, `$ne` and `$nin` hold; every other operator fails.
 *
 * @example
 * evaluateCondition({ country: { $in: ["US", "CA"] }, accountAgeDays: { $gte: 30 } }, { country: "US", accountAgeDays: 90 }); // true
 */
export function evaluateCondition(condition: Condition, attributes: Attributes): boolean {
	for (const [key, test] of Object.entries(condition)) {
		if (test === undefined) continue;
		if (!evaluateMember(key, test, attributes)) return false;
	}
	return true;
}

function evaluateMember(key: string, test: AttributeTest | Condition[] | Condition, attributes: Attributes): boolean {
	if (key === "$and") return (test as Condition[]).every((c) => evaluateCondition(c, attributes));
	if (key === "$or") return (test as Condition[]).some((c) => evaluateCondition(c, attributes));
	if (key === "$not") return !evaluateCondition(test as Condition, attributes);
	const value = Object.hasOwn(attributes, key) ? scalarOf(attributes[key]) : undefined;
	if (typeof test !== "object") return value === test;
	return testOperators(test as AttributeOperators, value);
}

function scalarOf(value: unknown): Scalar | undefined {
	if (typeof value === "string" || typeof value === "boolean") return value;
	return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function testOperators(ops: AttributeOperators, value: Scalar | undefined): boolean {
	const isNumber = typeof value === "number";
	if (ops.$exists !== undefined && ops.$exists !== (value !== undefined)) return false;
	if (ops.$eq !== undefined && value !== ops.$eq) return false;
	if (ops.$ne !== undefined && value === ops.$ne) return false;
	if (ops.$in !== undefined && (value === undefined || !ops.$in.includes(value))) return false;
	if (ops.$nin !== undefined && value !== undefined && ops.$nin.includes(value)) return false;
	if (ops.$gt !== undefined && !(isNumber && value > ops.$gt)) return false;
	if (ops.$gte !== undefined && !(isNumber && value >= ops.$gte)) return false;
	if (ops.$lt !== undefined && !(isNumber && value < ops.$lt)) return false;
	if (ops.$lte !== undefined && !(isNumber && value <= ops.$lte)) return false;
	return true;
}
