// Shared token buckets on a real Redis (Debian's redis-server, started per file): two clients stand for two
// instances. Skipped where redis-server is not installed, except in CI.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../logger.js";
import { SharedRedis } from "../../shared-state/redis.js";
import { serviceRequired, startRedis, type RedisService } from "../../testing/services.js";
import { SharedTokenBuckets } from "./shared-buckets.js";
import { TokenBuckets } from "./token-bucket.js";

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
}

describe.skipIf(!serviceRequired("redis"))("SharedTokenBuckets on Redis", () => {
	let redis: RedisService;
	const clients: SharedRedis[] = [];
	const lines: string[] = [];
	const logger = createLogger({ level: "debug", sink: { write: (line) => lines.push(line) } });

	const client = async (prefix: string): Promise<SharedRedis> => {
		const shared = new SharedRedis({ url: redis.url, logger, keyPrefix: prefix });
		clients.push(shared);
		await until("redis connection", () => shared.ready);
		return shared;
	};
	const buckets = (shared: SharedRedis, perSecond: number, burst: number) =>
		new SharedTokenBuckets({
			redis: shared,
			name: "game",
			perSecond,
			burst,
			fallback: new TokenBuckets({ perSecond, burst, clock: Date.now }),
		});

	beforeAll(async () => {
		redis = await startRedis();
	}, 60_000);

	afterAll(async () => {
		for (const c of clients) await c.close();
		await redis?.stop();
	}, 60_000);

	it("enforces one burst across instances, not one per instance", async () => {
		const [one, two] = [await client("t1:"), await client("t1:")];
		const a = buckets(one!, 0.01, 5);
		const b = buckets(two!, 0.01, 5);
		const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).take("1818")));
		expect(results.filter((r) => r.allowed)).toHaveLength(5);
		const refused = results.find((r) => !r.allowed);
		// One token comes back in 100 s at 0.01/s.
		expect(refused).toMatchObject({ allowed: false });
		expect(refused && !refused.allowed && refused.retryAfterSeconds).toBeGreaterThan(90);
		// Another key has its own bucket.
		expect((await a.take("2929")).allowed).toBe(true);
	});

	it("refills at the configured rate, by Redis' clock", async () => {
		const shared = await client("t2:");
		const limiter = buckets(shared, 20, 1);
		expect((await limiter.take("g")).allowed).toBe(true);
		const refused = await limiter.take("g");
		expect(refused.allowed).toBe(false);
		expect(!refused.allowed && refused.retryAfterSeconds).toBeLessThanOrEqual(0.05);
		await new Promise((resolve) => setTimeout(resolve, 80));
		expect((await limiter.take("g")).allowed).toBe(true);
	});

	it("fails open to the instance's own buckets while Redis is down, with a warning, and shares again once back", async () => {
		const shared = await client("t3:");
		const limiter = buckets(shared, 0.01, 2);
		expect((await limiter.take("g")).allowed).toBe(true);
		expect((await limiter.take("g")).allowed).toBe(true);
		expect((await limiter.take("g")).allowed).toBe(false);
		expect(await shared.health()).toMatchObject({ ok: true });

		await redis.stopServer("SIGKILL");
		lines.length = 0;
		const started = performance.now();
		// The shared bucket is empty, but Redis cannot say so: the local bucket (full) decides, at once.
		expect((await limiter.take("g")).allowed).toBe(true);
		expect((await limiter.take("g")).allowed).toBe(true);
		expect((await limiter.take("g")).allowed).toBe(false);
		expect(performance.now() - started).toBeLessThan(1_000);
		expect(await shared.health()).toMatchObject({ ok: false });
		const warnings = lines.map((l) => JSON.parse(l) as { level: string; msg: string });
		expect(warnings.filter((w) => w.msg.startsWith("redis unavailable: rate limits"))).toHaveLength(1);
		expect(warnings.find((w) => w.msg.startsWith("redis unavailable"))?.level).toBe("warn");

		await redis.startServer();
		await until("reconnection", () => shared.ready, 15_000);
		// Redis came back empty (no persistence): a fresh shared bucket of 2.
		expect((await limiter.take("g")).allowed).toBe(true);
		expect((await limiter.take("g")).allowed).toBe(true);
		expect((await limiter.take("g")).allowed).toBe(false);
	}, 60_000);
});
