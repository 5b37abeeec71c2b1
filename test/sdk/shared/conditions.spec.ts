import { describe, expect, it } from "@rbxts/jest-globals";
import { evaluateCondition } from "../../../src/shared/conditions";

// The backend's shared cases (server/experiments/condition-cases.json) run against this evaluator in
// test/e2e/experiments.test.ts; these are what only Luau can get wrong: nil, NaN, tables, JSON arrays as tables,
// and documents that did not come from the backend.
describe("evaluateCondition", () => {
	const player = { id: 1001, country: "US", level: 7, premium: false, accountAge: 30 };

	it("holds for an empty condition (JSON {} and [] both decode to an empty table)", () => {
		expect(evaluateCondition({}, player)).toBe(true);
		expect(evaluateCondition([], {})).toBe(true);
	});

	it("ANDs attribute tests and treats a bare value as strict equality", () => {
		expect(evaluateCondition({ country: "US", level: 7 }, player)).toBe(true);
		expect(evaluateCondition({ country: "US", level: 8 }, player)).toBe(false);
		expect(evaluateCondition({ level: "7" }, player)).toBe(false);
		expect(evaluateCondition({ premium: false }, player)).toBe(true);
	});

	it("compares numbers only with $gt/$gte/$lt/$lte", () => {
		expect(evaluateCondition({ accountAge: { $gte: 30, $lt: 31 } }, player)).toBe(true);
		expect(evaluateCondition({ country: { $gt: 1 } }, player)).toBe(false);
		expect(evaluateCondition({ missing: { $lt: 10 } }, player)).toBe(false);
	});

	it("treats nil, NaN, infinities, tables and Instances as absent", () => {
		const odd = { nan: 0 / 0, inf: math.huge, list: ["a"], folder: new Instance("Folder") };
		for (const name of ["nan", "inf", "list", "folder", "missing"]) {
			expect(evaluateCondition({ [name]: { $exists: false } }, odd)).toBe(true);
			expect(evaluateCondition({ [name]: { $ne: "x" } }, odd)).toBe(true);
			expect(evaluateCondition({ [name]: { $nin: ["x"] } }, odd)).toBe(true);
			expect(evaluateCondition({ [name]: { $in: ["x"] } }, odd)).toBe(false);
		}
	});

	it("evaluates $in and $nin strictly over JSON arrays", () => {
		expect(evaluateCondition({ id: { $in: [1000, 1001] } }, player)).toBe(true);
		expect(evaluateCondition({ id: { $in: ["1001"] } }, player)).toBe(false);
		expect(evaluateCondition({ country: { $nin: ["US", "CA"] } }, player)).toBe(false);
		expect(evaluateCondition({ country: { $in: [] } }, player)).toBe(false);
	});

	it("combines $and, $or and $not like JavaScript's every, some and !", () => {
		const c = { $or: [{ $and: [{ country: "US" }, { level: { $gt: 5 } }] }, { $not: { premium: false } }] };
		expect(evaluateCondition(c, player)).toBe(true);
		expect(evaluateCondition(c, { ...player, level: 3 })).toBe(false);
		expect(evaluateCondition({ $and: [] }, player)).toBe(true);
		expect(evaluateCondition({ $or: [] }, player)).toBe(false);
	});

	it("never holds for a malformed condition, and never throws", () => {
		const malformed: unknown[] = [
			"country",
			{ country: { $regex: "U" } },
			{ $nor: [{ a: 1 }] },
			{ level: { $gt: "5" } },
			{ country: { $in: "US" } },
			{ country: { $in: [{ a: 1 }] } },
			{ $and: { a: 1 } },
			{ $not: true },
			{ country: { $exists: 1 } },
			[{ country: "US" }],
		];
		for (const condition of malformed) expect(evaluateCondition(condition, player)).toBe(false);
		expect(evaluateCondition({ country: "US" }, undefined as unknown as Record<string, unknown>)).toBe(false);
	});

	it("refuses nesting past 32 levels without overflowing the stack", () => {
		let deep: object = { country: "US" };
		for (let i = 0; i < 31; i++) deep = { $and: [deep] };
		expect(evaluateCondition(deep, player)).toBe(true);
		for (let i = 0; i < 10000; i++) deep = { $not: { $not: deep } };
		expect(evaluateCondition(deep, player)).toBe(false);
	});
});
