import { describe, expect, it } from "@rbxts/jest-globals";
import { checkName, checkProps } from "../../../src/shared/validate";

describe("checkName", () => {
	it("accepts 1 to 128 characters", () => {
		expect(checkName("level_up")).toBeUndefined();
		expect(checkName(string.rep("a", 128))).toBeUndefined();
	});

	it("refuses empty, too long and non-string names", () => {
		expect(checkName("")).toBeDefined();
		expect(checkName(string.rep("a", 129))).toBeDefined();
		expect(checkName(42)).toBeDefined();
	});
});

describe("checkProps", () => {
	it("accepts strings, finite numbers and booleans", () => {
		expect(checkProps({ tab: "weapons", level: 3, vip: true })).toBeUndefined();
		expect(checkProps(undefined)).toBeUndefined();
	});

	it("refuses NaN, infinities, nested tables and non-string keys", () => {
		expect(checkProps({ x: 0 / 0 })).toBeDefined();
		expect(checkProps({ x: math.huge })).toBeDefined();
		expect(checkProps({ x: { y: 1 } })).toBeDefined();
		expect(checkProps([1, 2, 3])).toBeDefined();
	});

	it("refuses more than 64 keys", () => {
		const props: Record<string, number> = {};
		for (let i = 1; i <= 65; i++) props[`k${i}`] = i;
		expect(checkProps(props)).toBeDefined();
	});
});
