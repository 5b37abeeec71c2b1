import { describe, expect, it } from "@rbxts/jest-globals";
import {
	checkEconomy,
	checkFunnelStep,
	checkName,
	checkProgression,
	checkProps,
	checkReceipt,
	copyIfValidProps,
	isUsableName,
	parseClientMessage,
} from "../../../src/shared/validate";

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
		expect(checkProps({ s: string.rep("a", 1024) })).toBeUndefined();
	});

	it("refuses NaN, infinities, nested tables, non-string keys and strings over 1024 characters", () => {
		expect(checkProps({ x: 0 / 0 })).toBeDefined();
		expect(checkProps({ x: math.huge })).toBeDefined();
		expect(checkProps({ x: { y: 1 } })).toBeDefined();
		expect(checkProps([1, 2, 3])).toBeDefined();
		expect(checkProps({ s: string.rep("a", 1025) })).toBeDefined();
		expect(checkProps("tab=weapons")).toBeDefined();
	});

	it("refuses more than 64 keys, or the given maximum", () => {
		const props: Record<string, number> = {};
		for (let i = 1; i <= 65; i++) props[`k${i}`] = i;
		expect(checkProps(props)).toBeDefined();
		const small = { a: 1, b: 2, c: 3 };
		expect(checkProps(small, 3)).toBeUndefined();
		expect(checkProps(small, 2)).toBeDefined();
	});
});

describe("track's hot-path checks", () => {
	const many: Record<string, number> = {};
	for (let i = 1; i <= 65; i++) many[`k${i}`] = i;
	const sixtyFour = table.clone(many);
	delete sixtyFour.k65;
	// Plain tables and non-tables; the fast check must accept exactly what checkProps accepts.
	const cases: defined[] = [
		{},
		{ tab: "weapons", level: 3, vip: true, off: false, ratio: -0.5 },
		{ s: string.rep("a", 1024) },
		{ [string.rep("k", 128)]: 1 },
		sixtyFour,
		many,
		{ x: 0 / 0 },
		{ x: math.huge },
		{ x: -math.huge },
		{ x: { y: 1 } },
		{ x: () => 1 },
		{ s: string.rep("a", 1025) },
		{ [string.rep("k", 129)]: 1 },
		{ [""]: 1 },
		[1, 2, 3],
		{ 1: "a", b: "c" },
		"tab=weapons",
		42,
		true,
		() => 1,
	];

	it("copyIfValidProps accepts exactly what checkProps accepts, for tables without a metatable", () => {
		cases.forEach((props, i) => {
			const copy = copyIfValidProps(props);
			expect([i, copy !== undefined]).toEqual([i, checkProps(props) === undefined]);
		});
	});

	it("copyIfValidProps returns a fresh copy (an empty table for no props)", () => {
		const props = { tab: "weapons", level: 3 };
		const copy = copyIfValidProps(props)!;
		expect(copy).toEqual(props);
		props.level = 4;
		expect(copy.level).toBe(3);
		expect(copyIfValidProps(undefined)).toEqual({});
	});

	it("copyIfValidProps leaves tables with a metatable to the full path", () => {
		expect(copyIfValidProps(setmetatable({ a: 1 }, {}))).toBeUndefined();
		expect(copyIfValidProps(new Instance("Folder"))).toBeUndefined();
	});

	it("isUsableName agrees with checkName, also when asked again", () => {
		const names: defined[] = ["level_up", string.rep("a", 128), "", string.rep("a", 129), 42, {}];
		for (let round = 0; round < 2; round++) {
			names.forEach((name, i) => expect([i, isUsableName(name)]).toEqual([i, checkName(name) === undefined]));
		}
		expect(isUsableName(undefined)).toBe(false);
	});
});

describe("checkProgression", () => {
	it("accepts 1 to 3 levels, the three statuses and an optional finite score", () => {
		expect(checkProgression("start", ["W1"], undefined)).toBeUndefined();
		expect(checkProgression("fail", ["W1", "L2"], undefined)).toBeUndefined();
		expect(checkProgression("complete", ["W1", "L2", "Boss"], 10.5)).toBeUndefined();
	});

	it("refuses other statuses, paths and scores", () => {
		expect(checkProgression("done", ["W1"], undefined)).toBeDefined();
		expect(checkProgression("start", [], undefined)).toBeDefined();
		expect(checkProgression("start", ["a", "b", "c", "d"], undefined)).toBeDefined();
		expect(checkProgression("start", ["a:b"], undefined)).toBeDefined();
		expect(checkProgression("start", [""], undefined)).toBeDefined();
		expect(checkProgression("start", [string.rep("a", 65)], undefined)).toBeDefined();
		expect(checkProgression("start", { 1: "a", x: "b" }, undefined)).toBeDefined();
		expect(checkProgression("start", ["a"], "10")).toBeDefined();
		expect(checkProgression("start", ["a"], math.huge)).toBeDefined();
	});
});

describe("checkEconomy", () => {
	const ok = { flow: "sink", currency: "Gems", amount: 1.5, itemType: "Weapons", itemId: "Sword" };

	it("accepts the five fields", () => {
		expect(checkEconomy(ok)).toBeUndefined();
		expect(checkEconomy({ ...ok, flow: "source" })).toBeUndefined();
	});

	it("refuses wrong, missing and unknown fields", () => {
		expect(checkEconomy({ ...ok, flow: "gain" })).toBeDefined();
		expect(checkEconomy({ ...ok, amount: -1 })).toBeDefined();
		expect(checkEconomy({ ...ok, amount: 0 / 0 })).toBeDefined();
		expect(checkEconomy({ ...ok, currency: "" })).toBeDefined();
		expect(checkEconomy({ ...ok, itemId: undefined })).toBeDefined();
		expect(checkEconomy({ ...ok, price: 3 })).toBeDefined();
		expect(checkEconomy("sink")).toBeDefined();
	});
});

describe("checkReceipt", () => {
	const ok = { PurchaseId: "abc", PlayerId: 1, ProductId: 2, CurrencySpent: 0, PlaceIdWherePurchased: 3 };

	it("accepts ProcessReceipt's receipt", () => {
		expect(checkReceipt(ok)).toBeUndefined();
		expect(checkReceipt({ ...ok, PlaceIdWherePurchased: undefined })).toBeUndefined();
	});

	it("refuses receipts with missing or wrong fields", () => {
		expect(checkReceipt({ ...ok, PurchaseId: "" })).toBeDefined();
		expect(checkReceipt({ ...ok, PlayerId: 0 })).toBeDefined();
		expect(checkReceipt({ ...ok, ProductId: 1.5 })).toBeDefined();
		expect(checkReceipt({ ...ok, CurrencySpent: -1 })).toBeDefined();
		expect(checkReceipt(undefined)).toBeDefined();
	});
});

describe("checkFunnelStep", () => {
	it("accepts a funnel name, a step from 1 and a step name", () => {
		expect(checkFunnelStep("onboarding", 1, "spawned")).toBeUndefined();
		expect(checkFunnelStep("onboarding", 1000, "done")).toBeUndefined();
	});

	it("refuses step 0, fractions, huge steps and empty names", () => {
		expect(checkFunnelStep("onboarding", 0, "x")).toBeDefined();
		expect(checkFunnelStep("onboarding", 2.5, "x")).toBeDefined();
		expect(checkFunnelStep("onboarding", 1001, "x")).toBeDefined();
		expect(checkFunnelStep("", 1, "x")).toBeDefined();
		expect(checkFunnelStep("onboarding", 1, "")).toBeDefined();
	});
});

describe("parseClientMessage", () => {
	it("copies only the known fields of each kind", () => {
		expect(parseClientMessage({ kind: "event", name: "click", props: { a: 1 }, userId: 5 })).toEqual({
			kind: "event",
			name: "click",
			props: { a: 1 },
		});
		const device = { device: "tablet", touch: true, keyboard: false, mouse: false, gamepad: false, vr: false };
		expect(
			parseClientMessage({
				kind: "device",
				device: { ...device, tenFoot: false, screenWidth: 1024, screenHeight: 768, x: 1 },
			}),
		).toEqual({ kind: "device", device: { ...device, tenFoot: false, screenWidth: 1024, screenHeight: 768 } });
		expect(parseClientMessage({ kind: "error", message: "m", stack: "", userId: 5 })).toEqual({
			kind: "error",
			message: "m",
			stack: "",
		});
		const choices = { analytics: true, experiments: false, personalization: true };
		expect(
			parseClientMessage({ kind: "consent", choices: { ...choices, extra: 1 }, uiVersion: "v1", userId: 5 }),
		).toEqual({ kind: "consent", choices, uiVersion: "v1" });
	});

	it("refuses unknown kinds, wrong shapes and more than 32 props", () => {
		const many: Record<string, number> = {};
		for (let i = 1; i <= 33; i++) many[`k${i}`] = i;
		const bad: unknown[] = [
			{ kind: "session_start" },
			{ kind: "event", name: 5 },
			{ kind: "event", name: "x", props: many },
			{ kind: "device", device: { device: "desktop" } },
			{
				kind: "device",
				device: { device: "desktop", touch: 1, keyboard: true, mouse: true, gamepad: false, vr: false, tenFoot: false },
			},
			{ kind: "error", message: "", stack: "" },
			{ kind: "error", message: string.rep("m", 5000), stack: "" },
			{ kind: "consent", choices: { analytics: true, experiments: false }, uiVersion: "v1" },
			{ kind: "consent", choices: { analytics: true, experiments: false, personalization: "yes" }, uiVersion: "v1" },
			{ kind: "consent", choices: { analytics: true, experiments: false, personalization: true }, uiVersion: "" },
			{ kind: "consent", choices: { analytics: true, experiments: false, personalization: true } },
			42,
		];
		for (const message of bad) expect(typeIs(parseClientMessage(message), "string")).toBe(true);
	});
});
