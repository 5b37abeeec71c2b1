export interface TokenBucketOptions {
	/** Tokens added per second (the sustained rate). */
	perSecond: number;
	/** Bucket size: how many requests may arrive at once. */
	burst: number;
	/** Monotonic-enough unix ms. */
	clock: () => number;
	/** Buckets kept at most; past it, full (idle) buckets are forgotten first. @default 100000 */
	maxKeys?: number;
}

export type TakeResult = { allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
	tokens: number;
	updatedAt: number;
}

/**
 * Token buckets keyed by a string (game id, IP address). Pure bookkeeping: no timers, time comes from `clock`.
 * 1. refill the key's bucket for the time since its last use, up to `burst`;
 * 2. at least one token → take it, allowed;
 * 3. otherwise → refused, with the seconds until one token is back.
 *
 * @example
 * const perGame = new TokenBuckets({ perSecond: 100, burst: 500, clock: Date.now });
 * if (!perGame.take("g1").allowed) throw new RateLimitedError(...);
 */
export class TokenBuckets {
	readonly #buckets = new Map<string, Bucket>();
	readonly #options: Required<TokenBucketOptions>;

	constructor(options: TokenBucketOptions) {
		if (!(options.perSecond > 0) || !(options.burst >= 1)) throw new Error("rate and burst must be positive");
		this.#options = { maxKeys: 100_000, ...options };
	}

	take(key: string): TakeResult {
		const now = this.#options.clock();
		const bucket = this.#refilled(key, now);
		if (bucket.tokens >= 1) {
			bucket.tokens -= 1;
			return { allowed: true, remaining: Math.floor(bucket.tokens) };
		}
		return { allowed: false, retryAfterSeconds: (1 - bucket.tokens) / this.#options.perSecond };
	}

	/** Number of buckets held (for tests and metrics). */
	get size(): number {
		return this.#buckets.size;
	}

	#refilled(key: string, now: number): Bucket {
		const { perSecond, burst } = this.#options;
		let bucket = this.#buckets.get(key);
		if (!bucket) {
			if (this.#buckets.size >= this.#options.maxKeys) this.#evict(now);
			bucket = { tokens: burst, updatedAt: now };
			this.#buckets.set(key, bucket);
			return bucket;
		}
		// A clock that steps back must not mint tokens; one that jumps ahead just fills the bucket.
		const elapsed = Math.max(0, now - bucket.updatedAt) / 1000;
		bucket.tokens = Math.min(burst, bucket.tokens + elapsed * perSecond);
		bucket.updatedAt = Math.max(bucket.updatedAt, now);
		return bucket;
	}

	// A full bucket carries no state worth keeping: dropping it and recreating it later gives the same answer.
	// If every bucket is busy (a flood of distinct keys), the oldest half goes, which only ever favours clients.
	#evict(now: number): void {
		const { perSecond, burst } = this.#options;
		for (const [key, bucket] of this.#buckets) {
			if (bucket.tokens + ((now - bucket.updatedAt) / 1000) * perSecond >= burst) this.#buckets.delete(key);
		}
		if (this.#buckets.size < this.#options.maxKeys) return;
		let drop = Math.ceil(this.#buckets.size / 2);
		for (const key of this.#buckets.keys()) {
			if (drop-- <= 0) break;
			this.#buckets.delete(key);
		}
	}
}
