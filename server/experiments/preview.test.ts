import { describe, expect, it } from "vitest";
import { chooseVariation, getBucketRanges, hash } from "./hash.js";
import {
	conditionAttributes,
	previewConfig,
	previewDecision,
	previewIssues,
	previewRequestSchema,
	summarizePreview,
	type PreviewConfig,
} from "./preview.js";

const config = (body: Record<string, unknown>): PreviewConfig => {
	const request = previewRequestSchema.parse(body);
	expect(previewIssues(request)).toEqual([]);
	return previewConfig(request);
};

const players = (ids: number[], attributes: (id: number) => Record<string, unknown> = () => ({})) =>
	ids.map((userId) => ({ userId, attributes: attributes(userId) }));

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("previewDecision: the SDK's assignment", () => {
	// GrowthBook's published run cases (sdk-js test/cases.json), as test/sdk/shared/assignment.spec.ts runs them in
	// game: users 1 to 9 of "my-test", hash version 1.
	const nine = (body: Record<string, unknown>) => {
		const c = config({ key: "my-test", hashVersion: 1, ...body });
		return range(1, 9).map((id) => {
			const d = previewDecision(c, { id });
			return [d.variation ?? 0, d.inExperiment];
		});
	};
	const allIn = (indexes: number[]) => indexes.map((i) => [i, true]);

	it("places users 1-9 as GrowthBook does: default, uneven and three-way splits", () => {
		expect(nine({ variations: [{ key: "a" }, { key: "b" }] })).toEqual(allIn([1, 0, 0, 1, 1, 1, 0, 1, 0]));
		expect(
			nine({
				variations: [
					{ key: "a", weight: 0.1 },
					{ key: "b", weight: 0.9 },
				],
			}),
		).toEqual(allIn([1, 1, 0, 1, 1, 1, 0, 1, 1]));
		expect(nine({ variations: [{ key: "a" }, { key: "b" }, { key: "c" }] })).toEqual(
			allIn([2, 0, 0, 2, 1, 2, 0, 1, 0]),
		);
	});

	it("leaves users outside the coverage out, as GrowthBook's coverage case", () => {
		expect(nine({ variations: [{ key: "a" }, { key: "b" }], coverage: 0.4 })).toEqual([
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

	it("checks forced users, then the condition, the hash value, the namespace and the coverage", () => {
		const c = config({
			key: "shop",
			variations: [{ key: "a" }, { key: "b" }],
			condition: { country: "US" },
			forcedVariations: { "7": "b" },
			namespace: { id: "ns", start: 0, end: 0.5 },
		});
		expect(previewDecision(c, { id: 7 })).toEqual({ variation: 1, inExperiment: true, reason: "forced" });
		expect(previewDecision(c, { id: 1, country: "DE" }).reason).toBe("conditionFailed");
		expect(previewDecision(c, { id: 0, country: "US" }).reason).toBe("noHashValue");
		expect(previewDecision(c, { id: 1.5, country: "US" }).reason).toBe("noHashValue");
		const outside = range(1, 50).find((id) => hash("__ns", String(id), 1)! >= 0.5)!;
		expect(previewDecision(c, { id: outside, country: "US" }).reason).toBe("notInNamespace");
	});

	it("in the sticky modes hashes over equal weights for who takes part and leaves the variation to the game", () => {
		const c = config({
			key: "shop",
			variations: [
				{ key: "a", weight: 0.9 },
				{ key: "b", weight: 0.1 },
			],
			coverage: 0.5,
			assignment: { mode: "random" },
		});
		for (const id of range(1, 200)) {
			const n = hash("shop", String(id), 2)!;
			const inside = chooseVariation(n, getBucketRanges(2, 0.5, [0.5, 0.5])) >= 0;
			expect(previewDecision(c, { id }), String(id)).toEqual({
				variation: null,
				inExperiment: inside,
				reason: inside ? "assigned" : "notCovered",
			});
		}
	});
});

describe("summarizePreview", () => {
	it("counts each variation with the hash the SDK uses, and checks the split against the weights", () => {
		const c = config({
			key: "obby",
			variations: [
				{ key: "classic", weight: 0.3 },
				{ key: "hard", weight: 0.7 },
			],
		});
		const summary = summarizePreview(c, players(range(1, 5000)));
		const expected = [0, 0];
		for (const id of range(1, 5000)) {
			expected[chooseVariation(hash("obby", String(id), 2)!, getBucketRanges(2, 1, [0.3, 0.7]))]! += 1;
		}
		expect(summary.variations.map((v) => v.players)).toEqual(expected);
		expect(summary.variations.map((v) => v.expected)).toEqual([1500, 3500]);
		expect(summary).toMatchObject({ players: 5000, inExperiment: 5000, eligibleShare: 1, matchingShare: 1 });
		// A working hash: the split fits the weights.
		expect(summary.splitPValue).toBeGreaterThan(0.001);
		expect(summary.examples).toHaveLength(20);
		const first = chooseVariation(hash("obby", "1", 2)!, getBucketRanges(2, 1, [0.3, 0.7]));
		expect(summary.examples[0]).toEqual({ userId: 1, variation: ["classic", "hard"][first], reason: "assigned" });
	});

	it("tells the share matching the targeting and the attributes nobody in the sample has", () => {
		const c = config({
			key: "shop",
			variations: [{ key: "a" }, { key: "b" }],
			condition: { $or: [{ country: { $in: ["US", "CA"] } }, { $not: { vip: true } }], premium: true },
			forcedVariations: { "1": "a" },
		});
		expect(conditionAttributes(c.condition)).toEqual(["premium", "country", "vip"]);
		const sample = players(range(1, 100), (id) => ({ country: id % 2 === 0 ? "US" : "DE", premium: id <= 50 }));
		const summary = summarizePreview(c, sample);
		// Forced user 1 aside, 99 judged: the 49 premium ones (2-50) match (vip is missing, so $not holds for all).
		expect(summary.forced).toBe(1);
		expect(summary.excluded.conditionFailed).toBe(50);
		expect(summary.matchingShare).toBeCloseTo(49 / 99, 12);
		expect(summary.inExperiment).toBe(49);
		expect(summary.eligibleShare).toBeCloseTo(49 / 99, 12);
		expect(summary.missingAttributes).toEqual(["vip"]);
	});

	it("gives null counts in the sticky modes, where the game draws the variation", () => {
		const c = config({ key: "shop", variations: [{ key: "a" }, { key: "b" }], assignment: { mode: "adaptive" } });
		const summary = summarizePreview(c, players(range(1, 10)));
		expect(summary.variations.map((v) => v.players)).toEqual([null, null]);
		expect(summary.variations.map((v) => v.expected)).toEqual([5, 5]);
		expect(summary.splitPValue).toBeNull();
	});
});

describe("previewIssues", () => {
	it("lists bad weights, an empty namespace slice, unknown forced variations and a missing seed", () => {
		const request = previewRequestSchema.parse({
			variations: [
				{ key: "a", weight: 0.5 },
				{ key: "a", weight: 0.2 },
			],
			namespace: { id: "n", start: 0.5, end: 0.5 },
			forcedVariations: { "12": "zzz" },
		});
		expect(previewIssues(request).map((i) => i.path)).toEqual([
			"variations.1.key",
			"variations",
			"namespace",
			"forcedVariations.12",
			"seed",
		]);
	});
});
