import type { Context, MiddlewareHandler } from "hono";
import { RateLimitedError } from "../../errors.js";
import type { AppEnv } from "../../http/app-env.js";
import type { RateLimiter } from "./shared-buckets.js";

export { TokenBuckets, type TokenBucketOptions } from "./token-bucket.js";
export { SharedTokenBuckets, type RateLimiter } from "./shared-buckets.js";

export interface RateLimitOptions {
	/** This instance's TokenBuckets, or SharedTokenBuckets when instances share Redis. */
	buckets: RateLimiter;
	/** Which bucket a request draws from (game id, client IP). */
	key: (c: Context<AppEnv>) => string;
	/** Human explanation in the 429 problem. */
	detail: string;
}

/**
 * Draws one token per request from the caller's bucket; an empty bucket is a 429 `rate_limited` problem with
 * `Retry-After` (whole seconds, at least 1) so well-behaved clients (the SDK) wait exactly that long.
 *
 * @example
 * v1.post("/batches", requireGameToken(...), rateLimit({ buckets: perGame, key: (c) => c.get("game").gameId, detail }));
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler<AppEnv> {
	return async (c, next) => {
		const result = await options.buckets.take(options.key(c));
		if (!result.allowed) throw new RateLimitedError(options.detail, result.retryAfterSeconds);
		await next();
	};
}
