// Stratified assignment: within each stratum (a combination of attribute values such as device × country × new or
// returning), new units are spread over the variations so that every variation's count stays within one unit of
// its share — a generalisation of permuted blocks to any weights.
//
// The rule ("randomised deficit"): with N units of the stratum assigned so far and n_i of them in variation i, the
// variations still owed a unit are those with n_i < w_i·(N + 1); one of them is drawn at random, each with a
// chance proportional to what it is owed (w_i·(N + 1) − n_i). Since a variation only gains a unit while it is owed
// one, n_i < w_i·N + 1 always, hence w_i·N − (k − 1) < n_i < w_i·N + 1: in a stratum of N units no variation is
// ever off its share by k − 1 units or more (one unit with two variations: exact blocks of two).
//
// Across servers: each game server keeps its own counters (no network, no yield, no shared state to fail), so the
// experiment-wide count of a stratum is off its share by less than k − 1 units per server that assigned in it —
// S servers cost at most S·(k − 1) units, i.e. (k − 1)·S/N of the stratum, which vanishes as strata fill up (1000
// units over 10 servers with 2 variations: within 1%). A unit is assigned once; its variation is then kept per
// player (DataStore), so returning players are not counted again and never change variation.

/** The counters of the strata of one experiment on this server. */
export class StratifiedAllocator {
	private counts = new Map<string, number[]>();

	/**
	 * Chooses a variation for a new unit of `stratum` and counts it. `weights` are the variations' shares (summing
	 * to 1); `u` is uniform in [0, 1).
	 *
	 * @example
	 * const allocator = new StratifiedAllocator();
	 * allocator.choose("device=phone|country=US", [0.5, 0.5], math.random()); // 0 or 1; the next phone/US unit gets the other
	 */
	choose(stratum: string, weights: ReadonlyArray<number>, u: number): number {
		let counts = this.counts.get(stratum);
		if (!counts || counts.size() !== weights.size()) {
			counts = weights.map(() => 0);
			this.counts.set(stratum, counts);
		}
		const index = balancedChoice(counts, weights, u);
		counts[index] += 1;
		return index;
	}

	/** Units counted per variation in a stratum (a copy; zeros for an unseen stratum). */
	countsOf(stratum: string, variations: number): number[] {
		const counts = this.counts.get(stratum);
		const out: number[] = [];
		for (let i = 0; i < variations; i++) out.push(counts?.[i] ?? 0);
		return out;
	}
}

/**
 * The randomised-deficit choice (see the file comment): among the variations with n_i < w_i·(N + 1), one drawn with
 * probability proportional to w_i·(N + 1) − n_i, using `u` in [0, 1). Pure. Weights that are not finite and
 * non-negative count as 0; if none is positive, every variation gets an equal share.
 *
 * @example
 * balancedChoice([3, 2], [0.5, 0.5], 0.9); // 1: only variation 1 is owed a unit
 */
export function balancedChoice(counts: ReadonlyArray<number>, weights: ReadonlyArray<number>, u: number): number {
	const k = weights.size();
	let total = 0;
	let assigned = 0;
	for (let i = 0; i < k; i++) {
		total += usable(weights[i]);
		assigned += counts[i] ?? 0;
	}
	const share = (i: number) => (total > 0 ? usable(weights[i]) / total : 1 / k);
	let owedTotal = 0;
	const owed: number[] = [];
	for (let i = 0; i < k; i++) {
		const deficit = share(i) * (assigned + 1) - (counts[i] ?? 0);
		// A deficit within rounding error of 0 is not owed (1/3 · 3 − 1 may come out as 2e-16).
		owed.push(deficit > 1e-9 ? deficit : 0);
		owedTotal += owed[i];
	}
	// The deficits sum to 1 over all variations, so some variation is always owed; the guard is for rounding.
	if (owedTotal <= 0) return 0;
	let target = math.clamp(u, 0, 1) * owedTotal;
	let last = 0;
	for (let i = 0; i < k; i++) {
		if (owed[i] <= 0) continue;
		last = i;
		if (target < owed[i]) return i;
		target -= owed[i];
	}
	return last;
}

function usable(w: number | undefined): number {
	return w !== undefined && w === w && w > 0 && w < math.huge ? w : 0;
}

/**
 * The stratum of a unit: `name=value` for each stratum attribute, joined by `|`. A missing value (or one that is
 * not a string, number or boolean) is its own value, `?`, so units whose attribute is not known yet still form a
 * balanced group of their own.
 *
 * @example
 * stratumOf(["device", "country"], { device: "phone", country: "US" }); // "device=phone|country=US"
 */
export function stratumOf(strata: ReadonlyArray<string>, attributes: Readonly<Record<string, unknown>>): string {
	const parts: string[] = [];
	for (const name of strata) {
		const value = attributes[name];
		const text =
			typeIs(value, "string") || typeIs(value, "boolean") || (typeIs(value, "number") && value === value)
				? tostring(value)
				: "?";
		parts.push(`${name}=${text}`);
	}
	return parts.join("|");
}
