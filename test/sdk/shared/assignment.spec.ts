import { describe, expect, it } from "@rbxts/jest-globals";
import { assign, Assignment, ExperimentConfig, UnitAttributes } from "../../../src/shared/assignment";
import { hash } from "../../../src/shared/hash";

/** A running experiment with `n` equally weighted variations, plus overrides. */
function experiment(key: string, n: number, overrides: Partial<ExperimentConfig> = {}): ExperimentConfig {
	const variations = [];
	for (let i = 0; i < n; i++) variations.push({ key: `v${i}` });
	return { key, variations, status: "running", ...overrides };
}

function withWeights(weights: number[]): ExperimentConfig["variations"] {
	return weights.map((weight, i) => ({ key: `v${i}`, weight }));
}

/** Assigns users "1" to "9" and returns [variationIndex, inExperiment] for each. */
function usersOneToNine(config: ExperimentConfig): [number, boolean][] {
	const out: [number, boolean][] = [];
	for (let id = 1; id <= 9; id++) {
		const a = assign(config, { id: tostring(id) });
		out.push([a.variationIndex, a.inExperiment]);
	}
	return out;
}

const allIn = (indexes: number[]): [number, boolean][] => indexes.map((i) => [i, true]);

// GrowthBook's published `run` cases (sdk-js test/cases.json), translated to Vantage's config shape.
describe("assign: GrowthBook's run cases", () => {
	it("default weights", () => {
		expect(usersOneToNine(experiment("my-test", 2))).toEqual(allIn([1, 0, 0, 1, 1, 1, 0, 1, 0]));
	});

	it("uneven weights", () => {
		const config = experiment("my-test", 2, { variations: withWeights([0.1, 0.9]) });
		expect(usersOneToNine(config)).toEqual(allIn([1, 1, 0, 1, 1, 1, 0, 1, 1]));
	});

	it("coverage", () => {
		expect(usersOneToNine(experiment("my-test", 2, { coverage: 0.4 }))).toEqual([
			[0, false],
			[0, true],
			[0, true],
			[0, false],
			[1, true],
			[0, false],
			[0, true],
			[1, true],
			[0, false],
		]);
	});

	it("three way test", () => {
		expect(usersOneToNine(experiment("my-test", 3))).toEqual(allIn([2, 0, 0, 2, 1, 2, 0, 1, 0]));
	});

	it("uses the experiment key as the seed", () => {
		expect(assign(experiment("my-test", 2), { id: "1" }).variationIndex).toBe(1);
		expect(assign(experiment("my-test-3", 2), { id: "1" }).variationIndex).toBe(0);
	});

	it("custom hashAttribute", () => {
		const a = assign(experiment("my-test", 2, { hashAttribute: "companyId" }), { id: "2", companyId: "1" });
		expect(a.variationIndex).toBe(1);
		expect(a.hashValue).toBe("1");
	});

	it("namespace pass and fail", () => {
		const pass = assign(experiment("my-test", 2, { namespace: ["namespace", 0.1, 1] }), { id: "1" });
		expect([pass.variationIndex, pass.inExperiment]).toEqual([1, true]);
		const fail = assign(experiment("my-test", 2, { namespace: ["namespace", 0, 0.1] }), { id: "1" });
		expect([fail.variationIndex, fail.inExperiment, fail.reason]).toEqual([0, false, "notInNamespace"]);
	});

	it("zero coverage excludes everyone", () => {
		const a = assign(experiment("no-coverage", 2, { coverage: 0 }), { id: "1" });
		expect([a.inExperiment, a.reason]).toEqual([false, "notCovered"]);
	});

	it("uses seed and hash version 2", () => {
		expect(assign(experiment("key", 2, { seed: "foo", hashVersion: 2 }), { id: "1" }).variationIndex).toBe(1);
		const weighted = experiment("key", 2, { seed: "foo", hashVersion: 2, variations: withWeights([0.5, 0.5]) });
		expect(assign({ ...weighted, coverage: 0.99 }, { id: "1" }).variationIndex).toBe(1);
	});

	it("empty, missing and absent ids give control", () => {
		for (const attributes of [{ id: "" }, {}, { id: undefined }] as UnitAttributes[]) {
			const a = assign(experiment("my-test", 2), attributes);
			expect([a.variationIndex, a.inExperiment, a.hashUsed, a.reason]).toEqual([0, false, false, "noHashValue"]);
		}
	});

	it("a single variation is not an experiment", () => {
		expect(assign(experiment("my-test", 1), { id: "1" }).reason).toBe("tooFewVariations");
	});
});

describe("assign: the steps in order", () => {
	it("reports the hashed value and bucket of an assigned unit", () => {
		const a = assign(experiment("shop", 2, { hashVersion: 2 }), { id: 123456789 });
		expect(a.inExperiment).toBe(true);
		expect(a.hashUsed).toBe(true);
		expect(a.reason).toBe("assigned");
		expect(a.hashValue).toBe("123456789");
		expect(a.bucket).toBe(hash("shop", "123456789", 2));
	});

	it("hashes a numeric UserId exactly as its decimal string", () => {
		const config = experiment("shop", 3, { hashVersion: 2 });
		for (const id of [1, 42, 123456789, 4294967297, 9007199254740992, -7]) {
			expect(assign(config, { id })).toEqual(assign(config, { id: "%d".format(id) }));
		}
	});

	it("refuses fractional, huge and zero numbers as hash values", () => {
		for (const id of [0.5, 2 ** 60, 0, 0 / 0, math.huge]) {
			expect(assign(experiment("shop", 2), { id }).reason).toBe("noHashValue");
		}
	});

	it("hashes non-ASCII attribute values as GrowthBook does (UTF-16 code units)", () => {
		const a = assign(experiment("shop", 2, { hashAttribute: "name", hashVersion: 2 }), { name: "Zoë 🎮" });
		expect(a.bucket).toBe(hash("shop", "Zoë 🎮", 2));
	});

	it("forces a QA user's variation in any status, without counting them", () => {
		const forcedVariations = { "1001": 1, "1002": 0 };
		for (const status of ["draft", "running", "stopped"] as const) {
			const config = experiment("qa", 2, { status, forcedVariations, coverage: 0 });
			const a = assign(config, { id: 1001 });
			expect([a.variationIndex, a.inExperiment, a.hashUsed, a.reason]).toEqual([1, true, false, "forced"]);
			expect(assign(config, { id: "1002" }).reason).toBe("forced");
		}
	});

	it("forces only the listed users", () => {
		const config = experiment("qa", 2, { forcedVariations: { "1001": 1 } });
		expect(assign(config, { id: 1002 }).reason).toBe("assigned");
	});

	it("forces by the id attribute even when another attribute is hashed", () => {
		const config = experiment("qa", 2, { hashAttribute: "deviceId", forcedVariations: { "1001": 1 } });
		expect(assign(config, { id: 1001 }).reason).toBe("forced");
	});

	it("ignores a forced variation that does not exist", () => {
		const config = experiment("qa", 2, { forcedVariations: { "1001": 2 } });
		const a = assign(config, { id: 1001 });
		expect([a.variationIndex, a.inExperiment, a.reason]).toEqual([0, false, "invalidConfig"]);
	});

	it("assigns nobody to a draft", () => {
		expect(assign(experiment("d", 2, { status: "draft" }), { id: 1 }).reason).toBe("notRunning");
	});

	it("keeps everyone on control once stopped, after the coverage check", () => {
		const stopped = assign(experiment("my-test", 2, { status: "stopped" }), { id: "1" });
		expect([stopped.variationIndex, stopped.inExperiment, stopped.reason]).toEqual([0, false, "stopped"]);
		expect(stopped.bucket).toBeDefined();
		const uncovered = assign(experiment("my-test", 2, { status: "stopped", coverage: 0 }), { id: "1" });
		expect(uncovered.reason).toBe("notCovered");
	});

	it("refuses an unknown hash version", () => {
		expect(assign(experiment("h", 2, { hashVersion: 3 }), { id: 1 }).reason).toBe("invalidHashVersion");
	});

	it("uses equal weights when a variation has no weight", () => {
		const partial = experiment("w", 2, { variations: [{ key: "a", weight: 0.9 }, { key: "b" }] });
		const equal = experiment("w", 2);
		for (let id = 1; id <= 50; id++) expect(assign(partial, { id })).toEqual(assign(equal, { id }));
	});
});

describe("assign: bad input", () => {
	it("returns control with invalidConfig for malformed configs, never throwing", () => {
		const good = experiment("x", 2);
		const bad: unknown[] = [
			undefined,
			5,
			"x",
			{},
			{ ...good, key: 5 },
			{ ...good, variations: "ab" },
			{ ...good, variations: [{ key: "a" }, 5] },
			{ ...good, variations: [{ key: "a", weight: "half" }, { key: "b" }] },
			{ ...good, status: "paused" },
			{ ...good, coverage: 0 / 0 },
			{ ...good, namespace: ["ns", "0", 1] },
			{ ...good, forcedVariations: { "1": 0.5 } },
			{ ...good, forcedVariations: [1, 0] },
		];
		for (const config of bad) {
			let a: Assignment | undefined;
			expect(() => {
				a = assign(config as ExperimentConfig, { id: 1 });
			}).never.toThrow();
			expect([a?.variationIndex, a?.inExperiment, a?.reason]).toEqual([0, false, "invalidConfig"]);
		}
	});

	it("treats missing or odd attributes as no hash value", () => {
		for (const attributes of [undefined, 5, "id", { id: true }, { id: { nested: 1 } }]) {
			expect(assign(experiment("x", 2), attributes as UnitAttributes).reason).toBe("noHashValue");
		}
	});

	it("hashes invalid UTF-8 without throwing", () => {
		const a = assign(experiment("x", 2, { hashVersion: 2 }), { id: "\xff\xfe" });
		expect(a.reason).toBe("assigned");
	});
});

describe("assign: distribution", () => {
	it("splits 10,000 players by the weights and the coverage", () => {
		const config = experiment("split", 3, { hashVersion: 2, coverage: 0.5, variations: withWeights([0.2, 0.3, 0.5]) });
		const counts = [0, 0, 0];
		let out = 0;
		for (let id = 1; id <= 10000; id++) {
			const a = assign(config, { id: 1e9 + id });
			if (a.inExperiment) counts[a.variationIndex] += 1;
			else out += 1;
		}
		// Expected 1000 / 1500 / 2500 and 5000 out; 4 standard deviations of a binomial at most.
		expect(math.abs(counts[0] - 1000)).toBeLessThan(4 * math.sqrt(10000 * 0.1 * 0.9));
		expect(math.abs(counts[1] - 1500)).toBeLessThan(4 * math.sqrt(10000 * 0.15 * 0.85));
		expect(math.abs(counts[2] - 2500)).toBeLessThan(4 * math.sqrt(10000 * 0.25 * 0.75));
		expect(math.abs(out - 5000)).toBeLessThan(4 * math.sqrt(10000 * 0.25));
	});

	it("gives the same answer every time", () => {
		const config = experiment("stable", 4, { hashVersion: 2 });
		for (let id = 1; id <= 200; id++) expect(assign(config, { id })).toEqual(assign(config, { id }));
	});
});
