import { describe, expect, it } from "vitest";
import type { Flag } from "./experiments-types.js";
import {
	conditionText,
	flagDraftFrom,
	flagFieldOfPath,
	flagPatch,
	flagRows,
	newFlagBody,
	valueText,
} from "./flags-data.js";

function flag(overrides: Partial<Flag>): Flag {
	return {
		gameId: "1818",
		key: "double_coins",
		name: "double_coins",
		description: "",
		enabled: false,
		defaultValue: false,
		variations: [{ key: "on", value: true, weight: 1 }],
		coverage: 1,
		hashAttribute: "id",
		seed: "double_coins",
		hashVersion: 2,
		condition: null,
		createdAt: "2025-01-01T00:00:00.000Z",
		updatedAt: "2025-01-01T00:00:00.000Z",
		...overrides,
	};
}

describe("flagRows", () => {
	it("says each flag's state, values and targeting in words, by key", () => {
		const rows = flagRows([
			flag({ key: "z_shop", enabled: true, coverage: 0.25, condition: { country: { $in: ["US", "CA"] } } }),
			flag({ key: "a_speed", defaultValue: 1, variations: [{ key: "fast", value: 2, weight: 1 }] }),
		]);
		expect(rows.map((r) => r.key)).toEqual(["a_speed", "z_shop"]);
		expect(rows[0]).toMatchObject({
			enabled: false,
			state: "Off: everyone gets 1",
			variations: "2 (100%)",
			targeting: "Everyone",
		});
		expect(rows[1]).toMatchObject({
			enabled: true,
			state: "On for 25% of matching players",
			targeting: "country is one of US, CA",
		});
	});

	it("shortens long values and words conditions rules cannot show", () => {
		expect(valueText({ colour: "a very long value indeed, longer than forty characters" })).toHaveLength(40);
		expect(conditionText({ $or: [{ a: 1 }, { b: 2 }] })).toBe("A custom condition (JSON)");
		expect(conditionText({ premium: true, vip: { $exists: false } })).toBe("premium is true and vip is not set");
	});
});

describe("flagPatch", () => {
	it("sends the edited targeting, rollout and values", () => {
		const draft = {
			...flagDraftFrom(flag({})),
			coverage: "30",
			rules: [{ attribute: "premium", op: "eq" as const, value: "true" }],
			defaultValue: '"classic"',
			variations: [
				{ key: "blue", value: '"blue"', weight: "50" },
				{ key: "red", value: '"red"', weight: "50" },
			],
		};
		expect(flagPatch(draft)).toEqual({
			body: {
				description: null,
				coverage: 0.3,
				condition: { premium: true },
				defaultValue: "classic",
				variations: [
					{ key: "blue", value: "blue", weight: 0.5 },
					{ key: "red", value: "red", weight: 0.5 },
				],
			},
			issues: [],
		});
	});

	it("clears the targeting with null and ties every problem to its field", () => {
		const base = flagDraftFrom(flag({ condition: { premium: true } }));
		expect(flagPatch({ ...base, rules: [] }).body.condition).toBeNull();
		const { issues } = flagPatch({
			...base,
			coverage: "",
			defaultValue: "blue",
			rules: [{ attribute: "level", op: "gt", value: "high" }],
			variations: [
				{ key: "on", value: "{", weight: "60" },
				{ key: "on", value: "1", weight: "30" },
			],
		});
		expect(issues.map((i) => i.field)).toEqual([
			"flag-coverage",
			"flag-rule-0-value",
			"flag-defaultValue",
			"flag-variation-0-value",
			"flag-variation-1-key",
			"flag-variations",
		]);
	});

	it("maps the server's paths to the form's fields", () => {
		expect(flagFieldOfPath("variations.0.value")).toBe("flag-variation-0-value");
		expect(flagFieldOfPath("coverage")).toBe("flag-coverage");
		expect(flagFieldOfPath("key")).toBe("new-flag-key");
		expect(flagFieldOfPath("weird")).toBe("flag-form");
	});

	it("creates a flag from a valid key only", () => {
		expect(newFlagBody({ key: " double_coins ", name: "Double coins", description: "" })).toEqual({
			body: { key: "double_coins", name: "Double coins" },
			issues: [],
		});
		expect(newFlagBody({ key: "no spaces", name: "", description: "" }).issues[0]!.field).toBe("new-flag-key");
	});
});
