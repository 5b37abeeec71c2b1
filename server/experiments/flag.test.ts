import { describe, expect, it } from "vitest";
import { evaluateFlag, type FlagRule } from "./flag.js";

const FLAG: FlagRule = {
	key: "new-shop",
	enabled: true,
	defaultValue: false,
	variations: [{ key: "on", value: true, weight: 1 }],
	coverage: 1,
	hashAttribute: "id",
	seed: "new-shop",
	hashVersion: 2,
};

describe("evaluateFlag", () => {
	it.each([
		["disabled", { ...FLAG, enabled: false }, { id: 1 }, false, "disabled"],
		["condition false", { ...FLAG, condition: { country: "US" } }, { id: 1, country: "CA" }, false, "conditionFailed"],
		["condition true", { ...FLAG, condition: { country: "US" } }, { id: 1, country: "US" }, true, "rollout"],
		["no id", FLAG, {}, false, "noHashValue"],
		["id 0", FLAG, { id: 0 }, false, "noHashValue"],
		["fractional id", FLAG, { id: 1.5 }, false, "noHashValue"],
		["empty string", { ...FLAG, hashAttribute: "deviceId" }, { deviceId: "" }, false, "noHashValue"],
		["zero coverage", { ...FLAG, coverage: 0 }, { id: 1 }, false, "notCovered"],
		["unknown hash version", { ...FLAG, hashVersion: 3 }, { id: 1 }, false, "noHashValue"],
	] as const)("%s", (_name, flag, attributes, value, reason) => {
		expect(evaluateFlag(flag, attributes)).toMatchObject({ value, reason });
	});

	it("rolls out to the covered share, and a larger rollout keeps the first one's units", () => {
		const on = (coverage: number) =>
			Array.from({ length: 20_000 }, (_, i) => evaluateFlag({ ...FLAG, coverage }, { id: i + 1 }).value === true);
		const tenth = on(0.1);
		const fifth = on(0.2);
		const share = (xs: boolean[]) => xs.filter(Boolean).length / xs.length;
		expect(share(tenth)).toBeGreaterThan(0.09);
		expect(share(tenth)).toBeLessThan(0.11);
		expect(share(fifth)).toBeGreaterThan(0.19);
		expect(share(fifth)).toBeLessThan(0.21);
		expect(tenth.every((isOn, i) => !isOn || fifth[i])).toBe(true);
	});

	it("serves each variation's value in proportion to its weight", () => {
		const flag: FlagRule = {
			...FLAG,
			defaultValue: { speed: 16 },
			variations: [
				{ key: "fast", value: { speed: 24 }, weight: 0.25 },
				{ key: "slow", value: { speed: 12 }, weight: 0.75 },
			],
		};
		const counts = { fast: 0, slow: 0 };
		for (let id = 1; id <= 20_000; id++) {
			const { variationKey } = evaluateFlag(flag, { id });
			counts[variationKey as "fast" | "slow"]++;
		}
		expect(counts.fast / 20_000).toBeCloseTo(0.25, 1);
		expect(evaluateFlag(flag, { id: 42 }).value).toEqual(
			evaluateFlag(flag, { id: 42 }).variationKey === "fast" ? { speed: 24 } : { speed: 12 },
		);
	});
});
