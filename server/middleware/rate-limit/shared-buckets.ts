// Token buckets shared by every instance through Redis (VANTAGE_REDIS_URL), so N stateless instances behind a load
// balancer enforce one limit per game and per address, not N. Redis is not allowed to become the thing that stops
// ingest: when it cannot answer (down, restarting, slow past its command timeout) the request is decided by this
// instance's own buckets, as without Redis, and a warning is logged. During such an outage each instance allows the
// configured rate on its own (the total is up to N times the limit) — the price of never refusing every game's
// batches because Redis blinked.
import type { SharedRedis } from "../../shared-state/redis.js";
import type { TakeResult, TokenBuckets } from "./token-bucket.js";

/** Anything a request can draw a token from: the in-memory buckets, or the shared ones. */
export interface RateLimiter {
	take(key: string): TakeResult | Promise<TakeResult>;
}

export interface SharedTokenBucketsOptions {
	redis: SharedRedis;
	/** Which limit this is, part of every key (`rl:<name>:<key>`), e.g. "game" or "ip". */
	name: string;
	perSecond: number;
	burst: number;
	/** The instance's own buckets, used while Redis cannot answer (same rate and burst). */
	fallback: TokenBuckets;
}

/**
 * A {@link RateLimiter} whose buckets live in Redis: one atomic Lua step per request (one round trip), falling back
 * to `fallback` — failing open to the per-instance limit — whenever Redis cannot answer.
 *
 * @example
 * const perGame = new SharedTokenBuckets({ redis, name: "game", perSecond: 100, burst: 500, fallback });
 * const result = await perGame.take("1818");
 */
export class SharedTokenBuckets implements RateLimiter {
	readonly #options: SharedTokenBucketsOptions;

	constructor(options: SharedTokenBucketsOptions) {
		if (!(options.perSecond > 0) || !(options.burst >= 1)) throw new Error("rate and burst must be positive");
		this.#options = options;
	}

	async take(key: string): Promise<TakeResult> {
		const { redis, name, perSecond, burst, fallback } = this.#options;
		try {
			return await redis.takeToken(`rl:${name}:${key}`, perSecond, burst);
		} catch (error) {
			redis.warn("redis unavailable: rate limits are enforced per instance until it is back", error);
			return fallback.take(key);
		}
	}
}
