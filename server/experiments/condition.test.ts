import { describe, expect, it } from "vitest";
import cases from "./condition-cases.json" with { type: "json" };
import { conditionDepth, conditionSchema, evaluateCondition, type Condition } from "./condition.js";

type Case = [name: string, condition: Condition, attributes: Record<string, unknown>, expected: boolean];

describe("evaluateCondition (condition-cases.json)", () => {
	it.each(cases.cases as unknown as Case[])("%s", (_name, condition, attributes, expected) => {
		expect(conditionSchema.safeParse(condition).success).toBe(true);
		expect(evaluateCondition(condition, attributes)).toBe(expected);
	});

	it("treats NaN and infinities as absent", () => {
		expect(evaluateCondition({ x: { $exists: false } }, { x: Number.NaN })).toBe(true);
		expect(evaluateCondition({ x: { $gt: 0 } }, { x: Number.POSITIVE_INFINITY })).toBe(false);
	});

	it("does not read inherited properties as attributes", () => {
		expect(evaluateCondition({ toString: { $exists: true } }, {})).toBe(false);
	});
});

describe("conditionSchema", () => {
	it.each([
		["an unknown operator", { level: { $regex: "a" } }],
		["an unknown logical operator", { $nor: [{ a: 1 }] }],
		["an empty operator object", { level: {} }],
		["null as a value", { country: null }],
		["a list as a bare value", { country: ["US"] }],
		["$gt on a string", { level: { $gt: "5" } }],
		["an empty $or", { $or: [] }],
		["$not with a list", { $not: [{ a: 1 }] }],
		["$in with objects", { country: { $in: [{ a: 1 }] } }],
	])("refuses %s", (_name, condition) => {
		expect(conditionSchema.safeParse(condition).success).toBe(false);
	});

	it("measures nesting depth", () => {
		expect(conditionDepth({ a: 1 })).toBe(1);
		expect(conditionDepth({ $or: [{ a: 1 }, { $not: { b: 2 } }] })).toBe(3);
		let deep: Condition = { a: 1 };
		for (let i = 0; i < 10_000; i++) deep = { $not: deep };
		expect(conditionDepth(deep)).toBe(10_001);
	});
});
