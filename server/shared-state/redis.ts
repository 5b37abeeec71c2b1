// The Redis that stateless instances share (VANTAGE_REDIS_URL): today it carries the rate limits' token buckets, so
// N instances behind a load balancer enforce one limit between them. Redis here is an accelerator, never a
// dependency: nothing Redis holds is the truth (buckets refill, leases live in the metadata store), so an instance
// that loses Redis keeps serving with its own state (see middleware/rate-limit/shared-buckets.ts) and the start never
// waits for it.
import { Redis } from "ioredis";
import type { Logger } from "../logger.js";

/** How long a command may take before the caller gives up on it (and falls back). */
export const REDIS_COMMAND_TIMEOUT_MS = 500;
/** How long one connection attempt may take. */
export const REDIS_CONNECT_TIMEOUT_MS = 2_000;
/** Longest pause between reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 2_000;
/** A failure is logged at most this often while Redis stays unreachable (every request would otherwise log one). */
const WARN_INTERVAL_MS = 30_000;

// One round trip, atomic on the server: refill the bucket for the time since its last use (Redis' own clock, the one
// clock every instance agrees on), take a token if there is one, store the state with an expiry of the time a bucket
// needs to refill completely (a full bucket carries no state worth keeping). Mirrors TokenBuckets.take.
// Returns {1, remaining} or {0, retryAfterSeconds as a string} (Lua numbers would be truncated to integers).
const TOKEN_BUCKET_LUA = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
	tokens = burst
	at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * rate)
if now > at then at = now end
local allowed = 0
if tokens >= 1 then
	tokens = tokens - 1
	allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
if allowed == 1 then
	return {1, math.floor(tokens)}
end
return {0, tostring((1 - tokens) / rate)}
`;

type TokenBucketReply = [1, number] | [0, string];

interface BucketCommands {
	vantageTokenBucket(key: string, perSecond: number, burst: number): Promise<TokenBucketReply>;
}

export interface SharedRedisOptions {
	/** `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS). */
	url: string;
	logger?: Logger;
	/** Prefix of every key, so one Redis can serve several deployments. @default "vantage:" */
	keyPrefix?: string;
	/** @default {@link REDIS_COMMAND_TIMEOUT_MS} */
	commandTimeoutMs?: number;
	/** @default {@link REDIS_CONNECT_TIMEOUT_MS} */
	connectTimeoutMs?: number;
}

/** What a health check saw. */
export type RedisHealth = { ok: true; latencyMs: number } | { ok: false; error: string };

/**
 * The instance's Redis connection. It connects in the background (the start never waits for Redis) and reconnects
 * for ever; while it is not connected, commands fail at once instead of queueing (`enableOfflineQueue: false`), so a
 * caller's fallback costs nothing, and a command on a connection that hangs fails after `commandTimeoutMs`.
 *
 * @example
 * const redis = openSharedRedis({ url: config.redisUrl, logger });
 * const taken = await redis.takeToken("rl:game:1818", 100, 500);
 * await redis.close();
 */
export class SharedRedis {
	readonly #client: Redis & BucketCommands;
	readonly #logger: Logger | undefined;
	readonly #url: string;
	/** When each warning was last logged. */
	readonly #warnedAt = new Map<string, number>();
	#closed = false;

	constructor(options: SharedRedisOptions) {
		this.#logger = options.logger;
		this.#url = redactedUrl(options.url);
		const client = new Redis(options.url, {
			keyPrefix: options.keyPrefix ?? "vantage:",
			lazyConnect: true,
			enableOfflineQueue: false,
			maxRetriesPerRequest: 0,
			commandTimeout: options.commandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_MS,
			connectTimeout: options.connectTimeoutMs ?? REDIS_CONNECT_TIMEOUT_MS,
			retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
		});
		client.defineCommand("vantageTokenBucket", { numberOfKeys: 1, lua: TOKEN_BUCKET_LUA });
		this.#client = client as Redis & BucketCommands;
		// An unhandled 'error' event would crash the process; a lost Redis is a warning, not a crash.
		client.on("error", (error: Error) => this.warn("redis connection failed", error));
		client.on("ready", () => {
			// The next outage is reported again at once.
			this.#warnedAt.clear();
			this.#logger?.info("redis connected", { url: this.#url });
		});
		client.connect().catch((error: unknown) => this.warn("redis connection failed", error));
	}

	/** Whether commands can be sent right now (connected and ready). */
	get ready(): boolean {
		return this.#client.status === "ready";
	}

	/**
	 * One token-bucket step on the shared bucket `key` (see TokenBuckets.take): rejects when Redis cannot answer, so
	 * the caller decides what a missing answer means.
	 */
	async takeToken(
		key: string,
		perSecond: number,
		burst: number,
	): Promise<{ allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number }> {
		if (!this.ready) throw new Error(`redis is not connected (${this.#client.status})`);
		const [allowed, value] = await this.#client.vantageTokenBucket(key, perSecond, burst);
		return allowed === 1
			? { allowed: true, remaining: Number(value) }
			: { allowed: false, retryAfterSeconds: Number(value) };
	}

	/** Pings Redis (never rejects): what a readiness page or an operator's check shows. */
	async health(): Promise<RedisHealth> {
		const started = performance.now();
		try {
			if (!this.ready) throw new Error(`not connected (${this.#client.status})`);
			await this.#client.ping();
			return { ok: true, latencyMs: performance.now() - started };
		} catch (error) {
			return { ok: false, error: error instanceof Error ? error.message : String(error) };
		}
	}

	/** Logs a Redis failure as a warning, each message at most once every 30 s while it lasts. */
	warn(message: string, error: unknown): void {
		if (this.#closed) return;
		const now = Date.now();
		if (now - (this.#warnedAt.get(message) ?? Number.NEGATIVE_INFINITY) < WARN_INTERVAL_MS) return;
		this.#warnedAt.set(message, now);
		this.#logger?.warn(message, { url: this.#url, error });
	}

	/** Closes the connection (pending commands fail); safe to call twice. */
	async close(): Promise<void> {
		if (this.#closed) return;
		this.#closed = true;
		this.#client.disconnect();
	}
}

/**
 * Opens the shared Redis of `url` (VANTAGE_REDIS_URL) without waiting for it.
 *
 * @example
 * const redis = config.redisUrl === undefined ? undefined : openSharedRedis({ url: config.redisUrl, logger });
 */
export function openSharedRedis(options: SharedRedisOptions): SharedRedis {
	return new SharedRedis(options);
}

/** The URL without its password, for logs. */
function redactedUrl(url: string): string {
	try {
		const parsed = new URL(url);
		if (parsed.password) parsed.password = "***";
		return parsed.toString();
	} catch {
		return "redis";
	}
}
