// GrowthBook-compatible hashing and bucketing for the backend: the same decisions the SDK makes in game
// (src/shared/hash.ts), so the backend can reproduce any player's assignment. Both sides pass the cases in
// test/fixtures/hash-cases.json; a change here is a change there.

/** A half-open interval [start, end) of the unit interval that one variation owns. */
export type VariationRange = readonly [start: number, end: number];

/** A namespace: experiments sharing an id take disjoint [start, end) slices of its users so they never overlap. */
export type Namespace = readonly [id: string, start: number, end: number];

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * FNV-1a 32-bit over the string's UTF-16 code units, as GrowthBook's JavaScript SDK hashes (a JS string is code
 * units, so an astral character counts as its two surrogates).
 *
 * @example
 * fnv1a32(""); // 2166136261
 */
export function fnv1a32(str: string): number {
	let h = FNV_OFFSET_BASIS;
	for (let i = 0; i < str.length; i++) {
		// Math.imul keeps the low 32 bits exactly; a plain double multiply would round above 2^53.
		h = Math.imul(h ^ str.charCodeAt(i), FNV_PRIME) >>> 0;
	}
	return h;
}

/**
 * Maps (seed, value) to a number in [0, 1). Version 1 (GrowthBook's original, slightly biased):
 * `(fnv(value + seed) % 1000) / 1000`. Version 2: `(fnv(String(fnv(seed + value))) % 10000) / 10000`.
 * Any other version gives `undefined`.
 *
 * @example
 * hash("seed", "a", 2); // 0.0505
 */
export function hash(seed: string, value: string, version: number): number | undefined {
	if (version === 2) return (fnv1a32(String(fnv1a32(seed + value))) % 10000) / 10000;
	if (version === 1) return (fnv1a32(value + seed) % 1000) / 1000;
	return undefined;
}

/** `n` equal weights summing to 1 (none for n ≤ 0). */
export function getEqualWeights(n: number): number[] {
	return n > 0 ? new Array<number>(n).fill(1 / n) : [];
}

/**
 * The [start, end) ranges of each variation: variation i starts where the weights before it end and covers
 * `coverage × weight[i]` of the unit interval. As in GrowthBook, coverage is clamped to [0, 1] (missing → 1) and
 * weights fall back to equal ones when missing, of the wrong length or not summing to 1 ± 0.01. Stricter than
 * GrowthBook, a NaN coverage counts as 0 and a negative or non-finite weight also means equal weights.
 *
 * @example
 * getBucketRanges(3, 0.2, [0.2, 0.3, 0.5]); // [[0, 0.04], [0.2, 0.26], [0.5, 0.6]]
 */
export function getBucketRanges(
	numVariations: number,
	coverage?: number,
	weights?: readonly number[],
): VariationRange[] {
	const cover = coverage === undefined ? 1 : Number.isNaN(coverage) ? 0 : Math.min(1, Math.max(0, coverage));
	const chosen = weightsAreValid(numVariations, weights) ? weights : getEqualWeights(numVariations);
	const ranges: VariationRange[] = [];
	let cumulative = 0;
	for (const w of chosen) {
		ranges.push([cumulative, cumulative + cover * w]);
		cumulative += w;
	}
	return ranges;
}

function weightsAreValid(numVariations: number, weights: readonly number[] | undefined): weights is readonly number[] {
	if (!weights || weights.length !== numVariations) return false;
	let total = 0;
	for (const w of weights) {
		if (!Number.isFinite(w) || w < 0) return false;
		total += w;
	}
	return total >= 0.99 && total <= 1.01;
}

/**
 * The index of the range holding `n`, or -1 when `n` falls in no range (the unit is outside the coverage).
 *
 * @example
 * chooseVariation(0.6, [[0, 0.25], [0.5, 0.75]]); // 1
 */
export function chooseVariation(n: number, ranges: readonly VariationRange[]): number {
	for (let i = 0; i < ranges.length; i++) {
		const [start, end] = ranges[i]!;
		if (n >= start && n < end) return i;
	}
	return -1;
}

/**
 * Whether a unit falls in a namespace's slice. GrowthBook hashes `hashValue + "__" + id` with version 1 (the seed
 * is `"__" + id`), independently of any experiment's seed.
 *
 * @example
 * inNamespace("1", ["namespace1", 0.4, 1]); // true
 */
export function inNamespace(hashValue: string, namespace: Namespace): boolean {
	const [id, start, end] = namespace;
	const n = hash("__" + id, hashValue, 1)!;
	return n >= start && n < end;
}
