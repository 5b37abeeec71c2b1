import { describe, expect, it } from "@rbxts/jest-globals";
import {
	chooseVariation,
	fnv1a32,
	getBucketRanges,
	getEqualWeights,
	hash,
	inNamespace,
	Namespace,
	VariationRange,
} from "../../../src/shared/hash";

// test/fixtures/hash-cases.json, the cases the backend's server/experiments/hash.test.ts runs too. The spec project
// syncs test/fixtures as ReplicatedStorage.Fixtures, and Rojo makes a .json file a ModuleScript returning its value
// (JSON null → nil, so a missing `expected` is an unknown hash version).
interface HashCases {
	hash: [seed: string, value: string, version: number, expected: number | undefined][];
	fnv1a32: [input: string, expected: number][];
	invalidUtf8: [seed: string, hex: string, version: number, expected: number][];
	bucketRanges: { name: string; numVariations: number; coverage?: number; weights?: number[]; expected: number[][] }[];
	chooseVariation: { name: string; n: number; ranges: VariationRange[]; expected: number }[];
	inNamespace: { name: string; hashValue: string; namespace: Namespace; expected: boolean }[];
}
const fixtures = game.GetService("ReplicatedStorage").WaitForChild("Fixtures");
// eslint-disable-next-line @typescript-eslint/no-require-imports -- Roblox's require of a ModuleScript, not CommonJS
const cases = require(fixtures.WaitForChild("hash-cases") as ModuleScript) as HashCases;

/** A short, printable label for a case (long values are cut at a code point boundary). */
function label(s: string): string {
	const [length] = utf8.len(s);
	if (!typeIs(length, "number")) return `<${s.size()} bytes>`;
	if (length <= 24) return `"${s}"`;
	const cut = utf8.offset(s, 25) ?? s.size() + 1;
	return `"${s.sub(1, cut - 1)}…" (${length} code points)`;
}

function fromHex(hex: string): string {
	let out = "";
	for (let i = 1; i < hex.size(); i += 2) out += string.char(tonumber(hex.sub(i, i + 1), 16) ?? 0);
	return out;
}

describe("fnv1a32", () => {
	for (const [input, expected] of cases.fnv1a32) {
		it(`hashes ${label(input)} to ${expected}`, () => {
			expect(fnv1a32(input)).toBe(expected);
		});
	}
});

describe("hash", () => {
	cases.hash.forEach(([seed, value, version, expected], i) => {
		it(`case ${i + 1}: hash(${label(seed)}, ${label(value)}, v${version}) is ${expected ?? "nil"}`, () => {
			const n = hash(seed, value, version);
			if (expected === undefined) expect(n).toBeUndefined();
			else expect(n).toBe(expected);
		});
	});

	for (const [seed, hex, version, expected] of cases.invalidUtf8) {
		it(`decodes invalid UTF-8 ${hex} like TextDecoder (v${version})`, () => {
			expect(hash(seed, fromHex(hex), version)).toBe(expected);
		});
	}
});

describe("getBucketRanges", () => {
	for (const c of cases.bucketRanges) {
		it(c.name, () => {
			const ranges = getBucketRanges(c.numVariations, c.coverage, c.weights);
			expect(ranges.size()).toBe(c.expected.size());
			ranges.forEach(([from, to], i) => {
				expect(from).toBeCloseTo(c.expected[i][0], 9);
				expect(to).toBeCloseTo(c.expected[i][1], 9);
			});
		});
	}

	it("treats a NaN coverage as 0 (stricter than GrowthBook)", () => {
		expect(getBucketRanges(2, 0 / 0)).toEqual([
			[0, 0],
			[0.5, 0.5],
		]);
	});

	it("falls back to equal weights when one is not finite (stricter than GrowthBook)", () => {
		expect(getBucketRanges(2, 1, [0 / 0, 1])).toEqual(getBucketRanges(2, 1));
		expect(getBucketRanges(2, 1, [math.huge, 1])).toEqual(getBucketRanges(2, 1));
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
	for (const c of cases.chooseVariation) {
		it(c.name, () => {
			expect(chooseVariation(c.n, c.ranges)).toBe(c.expected);
		});
	}
});

describe("inNamespace", () => {
	for (const c of cases.inNamespace) {
		it(c.name, () => {
			expect(inNamespace(c.hashValue, c.namespace)).toBe(c.expected);
		});
	}
});
