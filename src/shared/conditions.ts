// Targeting conditions: the small, GrowthBook-style language the backend validates and serves in GET /v1/config
// (server/experiments/condition.ts), evaluated in game with the same rules, so a player matches an experiment's
// condition here exactly when the backend's evaluateCondition says so (both pass condition-cases.json).
// Pure and total: no yields, no errors, whatever arrives over the network.

/** An attribute value a condition can compare with. */
export type Scalar = string | number | boolean;

/** Tests on one attribute; every operator present must hold. */
export interface AttributeOperators {
	$eq?: Scalar;
	$ne?: Scalar;
	$in?: Scalar[];
	$nin?: Scalar[];
	$gt?: number;
	$gte?: number;
	$lt?: number;
	$lte?: number;
	$exists?: boolean;
}

/** Every member must hold: attribute tests by attribute name (a bare scalar means `$eq`), and `$and`/`$or`/`$not`. */
export interface Condition {
	$and?: Condition[];
	$or?: Condition[];
	$not?: Condition;
	[attribute: string]: Scalar | AttributeOperators | Condition[] | Condition | undefined;
}

/** What a condition reads: the player's UserId as `id`, the facts Vantage learns and what the game sets. */
export type ConditionAttributes = Readonly<Record<string, unknown>>;

/**
 * Deeper nesting is refused as malformed. The backend allows 8 levels; the margin only guards the stack against a
 * document that did not come from it.
 */
const MAX_DEPTH = 32;

const OPERATORS = new Set(["$eq", "$ne", "$in", "$nin", "$gt", "$gte", "$lt", "$lte", "$exists"]);

function isFinite(x: number): boolean {
	return x === x && x !== math.huge && x !== -math.huge;
}

/** A value counts only as a string, a finite number or a boolean; anything else is "absent". */
function scalarOf(value: unknown): Scalar | undefined {
	if (typeIs(value, "string") || typeIs(value, "boolean")) return value;
	return typeIs(value, "number") && isFinite(value) ? value : undefined;
}

function isScalar(value: unknown): value is Scalar {
	return typeIs(value, "string") || typeIs(value, "boolean") || typeIs(value, "number");
}

/** `list` is a JSON array of scalars (an empty table counts: JSON `[]`). */
function isScalarList(list: unknown): list is Scalar[] {
	if (!typeIs(list, "table")) return false;
	let n = 0;
	for (const [k, v] of pairs(list)) {
		if (!typeIs(k, "number") || !isScalar(v)) return false;
		n += 1;
	}
	return n === (list as unknown[]).size();
}

function includes(list: Scalar[], value: Scalar): boolean {
	for (const item of list) if (item === value) return true;
	return false;
}

/**
 * Every operator of one attribute test holds: true or false; undefined when the test is malformed (unknown
 * operator, wrong operand type).
 */
function testOperators(ops: object, value: Scalar | undefined): boolean | undefined {
	let holds = true;
	for (const [op, operand] of pairs(ops as Record<string, unknown>)) {
		if (!typeIs(op, "string") || !OPERATORS.has(op)) return undefined;
		let result: boolean;
		if (op === "$exists") {
			if (!typeIs(operand, "boolean")) return undefined;
			result = operand === (value !== undefined);
		} else if (op === "$eq" || op === "$ne") {
			if (!isScalar(operand)) return undefined;
			result = (op === "$eq") === (value === operand);
		} else if (op === "$in" || op === "$nin") {
			if (!isScalarList(operand)) return undefined;
			// On an absent attribute $in fails and $nin holds.
			result = (op === "$in") === (value !== undefined && includes(operand, value));
		} else {
			// $gt/$gte/$lt/$lte compare numbers only: string order differs between Luau and JavaScript.
			if (!typeIs(operand, "number")) return undefined;
			result =
				typeIs(value, "number") &&
				(op === "$gt"
					? value > operand
					: op === "$gte"
						? value >= operand
						: op === "$lt"
							? value < operand
							: value <= operand);
		}
		if (!result) holds = false;
	}
	return holds;
}

/**
 * Whether the condition holds: true or false; undefined when any part of it is malformed, so that a broken part
 * cannot turn into "holds" through a `$not` above it.
 */
function evaluateAt(condition: unknown, attributes: ConditionAttributes, depth: number): boolean | undefined {
	if (!typeIs(condition, "table") || depth > MAX_DEPTH) return undefined;
	let holds = true;
	for (const [key, test] of pairs(condition as Record<string, unknown>)) {
		if (!typeIs(key, "string")) return undefined;
		let result: boolean | undefined;
		if (key === "$and" || key === "$or") {
			if (!typeIs(test, "table")) return undefined;
			// JavaScript's every/some: an empty $and holds and an empty $or fails (the backend refuses both).
			let all = true;
			let any = false;
			for (const [, child] of pairs(test as Record<string, unknown>)) {
				const r = evaluateAt(child, attributes, depth + 1);
				if (r === undefined) return undefined;
				if (r) any = true;
				else all = false;
			}
			result = key === "$and" ? all : any;
		} else if (key === "$not") {
			const r = evaluateAt(test, attributes, depth + 1);
			if (r === undefined) return undefined;
			result = !r;
		} else if (key.sub(1, 1) === "$") {
			return undefined;
		} else if (typeIs(test, "table")) {
			result = testOperators(test, scalarOf(attributes[key]));
			if (result === undefined) return undefined;
		} else {
			if (!isScalar(test)) return undefined;
			result = scalarOf(attributes[key]) === test;
		}
		if (!result) holds = false;
	}
	return holds;
}

/**
 * Whether `attributes` satisfy `condition`, by the backend's rules:
 * 1. an empty condition holds;
 * 2. every member must hold: `$and` (all), `$or` (any), `$not` (negation), attribute tests;
 * 3. an attribute's value counts only if it is a string, a finite number or a boolean; anything else (nil, NaN, a
 *    table, an Instance) is "absent";
 * 4. equality is strict (the string "1" is not the number 1); `$gt`/`$gte`/`$lt`/`$lte` compare numbers only;
 * 5. on an absent attribute: `$exists: false`, `$ne` and `$nin` hold; every other operator fails.
 * Stricter than the backend needs to be: a malformed condition (unknown operator, wrong operand type, nesting past
 * 32 levels, not a table) never holds, so a broken document excludes players rather than including everyone.
 *
 * @example
 * evaluateCondition({ country: { $in: ["US", "CA"] }, accountAge: { $gte: 30 } }, { country: "US", accountAge: 90 }); // true
 */
export function evaluateCondition(condition: unknown, attributes: ConditionAttributes): boolean {
	return evaluateAt(condition, typeIs(attributes, "table") ? attributes : {}, 1) === true;
}
