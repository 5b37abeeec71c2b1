// GrowthBook-compatible hashing and bucketing, so a player gets the same variation GrowthBook's SDKs and our backend
// (server/experiments/hash.ts) would give them. Both sides pass the cases in test/fixtures/hash-cases.json.
// Pure functions: no yields, no errors, whatever the input.

/** A half-open interval [start, end) of the unit interval that one variation owns. */
export type VariationRange = [start: number, end: number];

/** A namespace: experiments sharing an id take disjoint [start, end) slices of its users so they never overlap. */
export type Namespace = [id: string, start: number, end: number];

const FNV_OFFSET_BASIS = 0x811c9dc5;
const TWO_POW_32 = 4294967296;
const REPLACEMENT = 0xfffd;

/**
 * h × 16777619 mod 2^32 without leaving the doubles' exact range: 16777619 = 2^24 + 403, and h × 2^24 mod 2^32 only
 * depends on h's low byte, so no intermediate exceeds 2^42 (a double is exact up to 2^53).
 */
function fnvMultiply(h: number): number {
	return ((h % 256) * 16777216 + h * 403) % TWO_POW_32;
}

/** Feeds one Unicode code point to the hash as the UTF-16 code units a JavaScript string would hold. */
function fnvCodePoint(h: number, cp: number): number {
	if (cp < 0x10000) return fnvMultiply(bit32.bxor(h, cp));
	const offset = cp - 0x10000;
	const high = fnvMultiply(bit32.bxor(h, 0xd800 + math.floor(offset / 1024)));
	return fnvMultiply(bit32.bxor(high, 0xdc00 + (offset % 1024)));
}

/**
 * Decodes bytes that are not valid UTF-8 the way the WHATWG Encoding Standard does (TextDecoder, Node's Buffer):
 * each maximal invalid subsequence becomes one U+FFFD. The backend sees such a string after that decoding, so the
 * hash agrees with it instead of throwing like `utf8.codes` would.
 */
function fnvLenient(h: number, s: string): number {
	let needed = 0;
	let seen = 0;
	let cp = 0;
	let lower = 0x80;
	let upper = 0xbf;
	let i = 1;
	const size = s.size();
	while (i <= size) {
		const [b] = s.byte(i);
		if (needed === 0) {
			i += 1;
			if (b <= 0x7f) {
				h = fnvCodePoint(h, b);
			} else if (b >= 0xc2 && b <= 0xdf) {
				needed = 1;
				cp = b % 0x20;
			} else if (b >= 0xe0 && b <= 0xef) {
				if (b === 0xe0) lower = 0xa0;
				if (b === 0xed) upper = 0x9f;
				needed = 2;
				cp = b % 0x10;
			} else if (b >= 0xf0 && b <= 0xf4) {
				if (b === 0xf0) lower = 0x90;
				if (b === 0xf4) upper = 0x8f;
				needed = 3;
				cp = b % 0x08;
			} else {
				h = fnvCodePoint(h, REPLACEMENT);
			}
		} else if (b < lower || b > upper) {
			// The sequence ends early: one replacement for it, then this byte starts afresh (so `i` stays).
			h = fnvCodePoint(h, REPLACEMENT);
			needed = 0;
			seen = 0;
			lower = 0x80;
			upper = 0xbf;
		} else {
			i += 1;
			lower = 0x80;
			upper = 0xbf;
			cp = cp * 64 + (b % 64);
			seen += 1;
			if (seen === needed) {
				h = fnvCodePoint(h, cp);
				needed = 0;
				seen = 0;
			}
		}
	}
	return needed === 0 ? h : fnvCodePoint(h, REPLACEMENT);
}

/**
 * FNV-1a 32-bit over the string's UTF-16 code units, as GrowthBook's JavaScript SDK hashes: the Luau string (UTF-8)
 * is decoded to code points and astral ones are split into surrogate pairs. Invalid UTF-8 is decoded leniently
 * (U+FFFD per bad sequence) rather than rejected.
 *
 * @example
 * fnv1a32("a"); // 3826002220 (0xe40c292c)
 */
export function fnv1a32(s: string): number {
	// utf8.len gives nil (typed `false`) plus a position for invalid UTF-8, where utf8.codes would throw.
	const [length] = utf8.len(s);
	if (!typeIs(length, "number")) return fnvLenient(FNV_OFFSET_BASIS, s);
	let h = FNV_OFFSET_BASIS;
	for (const [, cp] of utf8.codes(s)) h = fnvCodePoint(h, cp);
	return h;
}

/**
 * Maps (seed, value) to a number in [0, 1). Version 1 (GrowthBook's original, slightly biased):
 * `(fnv(value .. seed) % 1000) / 1000`. Version 2: `(fnv(decimal digits of fnv(seed .. value)) % 10000) / 10000`.
 * Any other version gives `undefined`.
 *
 * @example
 * hash("seed", "a", 2); // 0.0505
 */
export function hash(seed: string, value: string, version: number): number | undefined {
	// %d of an integer below 2^32 prints the digits JavaScript's String(n) would.
	if (version === 2) return (fnv1a32("%d".format(fnv1a32(seed + value))) % 10000) / 10000;
	if (version === 1) return (fnv1a32(value + seed) % 1000) / 1000;
	return undefined;
}

/** `n` equal weights summing to 1 (none for n ≤ 0). */
export function getEqualWeights(n: number): number[] {
	const weights: number[] = [];
	for (let i = 0; i < n; i++) weights.push(1 / n);
	return weights;
}

function isFiniteNumber(x: unknown): x is number {
	return typeIs(x, "number") && x === x && x !== math.huge && x !== -math.huge;
}

function weightsAreValid(numVariations: number, weights: ReadonlyArray<number> | undefined): weights is number[] {
	if (weights === undefined || weights.size() !== numVariations) return false;
	let total = 0;
	for (const w of weights) {
		if (!isFiniteNumber(w) || w < 0) return false;
		total += w;
	}
	return total >= 0.99 && total <= 1.01;
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
	weights?: ReadonlyArray<number>,
): VariationRange[] {
	// NaN fails every comparison, so `coverage === coverage` is false only for NaN.
	const cover = coverage === undefined ? 1 : coverage === coverage ? math.clamp(coverage, 0, 1) : 0;
	const chosen = weightsAreValid(numVariations, weights) ? weights : getEqualWeights(numVariations);
	const ranges: VariationRange[] = [];
	let cumulative = 0;
	for (const w of chosen) {
		ranges.push([cumulative, cumulative + cover * w]);
		cumulative += w;
	}
	return ranges;
}

/**
 * The index of the range holding `n`, or -1 when `n` falls in no range (the unit is outside the coverage).
 *
 * @example
 * chooseVariation(0.6, [[0, 0.25], [0.5, 0.75]]); // 1
 */
export function chooseVariation(n: number, ranges: ReadonlyArray<VariationRange>): number {
	for (let i = 0; i < ranges.size(); i++) {
		const [from, to] = ranges[i];
		if (n >= from && n < to) return i;
	}
	return -1;
}

/**
 * Whether a unit falls in a namespace's slice. GrowthBook hashes `hashValue .. "__" .. id` with version 1 (the seed
 * is `"__" .. id`), independently of any experiment's seed.
 *
 * @example
 * inNamespace("1", ["namespace1", 0.4, 1]); // true
 */
export function inNamespace(hashValue: string, namespace: Namespace): boolean {
	const [id, from, to] = namespace;
	const n = hash("__" + id, hashValue, 1) ?? -1;
	return n >= from && n < to;
}
