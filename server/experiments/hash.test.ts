import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
	chooseVariation,
	fnv1a32,
	getBucketRanges,
	getEqualWeights,
	hash,
	inNamespace,
	type Namespace,
	type VariationRange,
} from "./hash.js";

// The same file drives the Luau SDK's spec (test/sdk/shared/hash.spec.ts).
interface HashCases {
	hash: [seed: string, value: string, version: number, expected: number | null][];
	fnv1a32: [input: string, expected: number][];
	invalidUtf8: [seed: string, hex: string, version: number, expected: number][];
	bucketRanges: { name: string; numVariations: number; coverage?: number; weights?: number[]; expected: number[][] }[];
	chooseVariation: { name: string; n: number; ranges: VariationRange[]; expected: number }[];
	inNamespace: { name: string; hashValue: string; namespace: Namespace; expected: boolean }[];
}
const cases = JSON.parse(
	readFileSync(new URL("../../test/fixtures/hash-cases.json", import.meta.url), "utf8"),
) as HashCases;

/** FNV-1a with arbitrary-precision integers: a reference that cannot lose bits. */
function fnvReference(str: string): number {
	let h = 0x811c9dc5n;
	for (let i = 0; i < str.length; i++) h = ((h ^ BigInt(str.charCodeAt(i))) * 0x01000193n) % 2n ** 32n;
	return Number(h);
}

describe("fnv1a32", () => {
	it.each(cases.fnv1a32)("hashes %j to %d", (input, expected) => {
		expect(fnv1a32(input)).toBe(expected);
	});

	it("matches an arbitrary-precision FNV-1a on any string, astral characters included", () => {
		fc.assert(
			fc.property(fc.string({ unit: "binary", maxLength: 200 }), (s) => fnv1a32(s) === fnvReference(s)),
			{ numRuns: 2000 },
		);
	});
});

describe("hash", () => {
	it.each(cases.hash)("hash(%j, %j, v%d) is %d", (seed, value, version, expected) => {
		expect(hash(seed, value, version)).toBe(expected ?? undefined);
	});

	it.each(cases.invalidUtf8)("hash(%j, bytes %s, v%d) follows the WHATWG decoding", (seed, hex, version, expected) => {
		expect(hash(seed, new TextDecoder().decode(Buffer.from(hex, "hex")), version)).toBe(expected);
	});

	it("stays in [0, 1) with the version's resolution", () => {
		fc.assert(
			fc.property(fc.string(), fc.string(), fc.constantFrom(1, 2), (seed, value, version) => {
				const n = hash(seed, value, version)!;
				const steps = version === 1 ? 1000 : 10000;
				return n >= 0 && n < 1 && Math.round(n * steps) / steps === n;
			}),
		);
	});
});

describe("getBucketRanges", () => {
	it.each(cases.bucketRanges)("$name", ({ numVariations, coverage, weights, expected }) => {
		const ranges = getBucketRanges(numVariations, coverage, weights);
		expect(ranges).toHaveLength(expected.length);
		ranges.forEach(([start, end], i) => {
			expect(start).toBeCloseTo(expected[i]![0]!, 9);
			expect(end).toBeCloseTo(expected[i]![1]!, 9);
		});
	});

	it("treats a NaN coverage as 0 (stricter than GrowthBook)", () => {
		expect(getBucketRanges(2, Number.NaN)).toEqual([
			[0, 0],
			[0.5, 0.5],
		]);
	});

	it("falls back to equal weights when one is not finite (stricter than GrowthBook)", () => {
		expect(getBucketRanges(2, 1, [Number.NaN, 1])).toEqual(getBucketRanges(2, 1));
	});
});

describe("getEqualWeights", () => {
	it("gives n weights of 1/n and none for n ≤ 0", () => {
		expect(getEqualWeights(4)).toEqual([0.25, 0.25, 0.25, 0.25]);
		expect(getEqualWeights(0)).toEqual([]);
		expect(getEqualWeights(-1)).toEqual([]);
	});
});

describe("chooseVariation", () => {
	it.each(cases.chooseVariation)("$name", ({ n, ranges, expected }) => {
		expect(chooseVariation(n, ranges)).toBe(expected);
	});
});

describe("inNamespace", () => {
	it.each(cases.inNamespace)("$name", ({ hashValue, namespace, expected }) => {
		expect(inNamespace(hashValue, namespace)).toBe(expected);
	});
});
