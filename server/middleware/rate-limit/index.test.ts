import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../http/app-env.js";
import { rateLimit } from "./index.js";
import { TokenBuckets } from "./token-bucket.js";

describe("TokenBuckets", () => {
	it("allows a burst, then refills at the rate", () => {
		let now = 0;
		const buckets = new TokenBuckets({ perSecond: 2, burst: 3, clock: () => now });
		expect([1, 2, 3, 4].map(() => buckets.take("a").allowed)).toEqual([true, true, true, false]);
		expect(buckets.take("a")).toEqual({ allowed: false, retryAfterSeconds: 0.5 });
		now = 500;
		expect(buckets.take("a").allowed).toBe(true);
		expect(buckets.take("a").allowed).toBe(false);
	});

	it("keeps one bucket per key", () => {
		const buckets = new TokenBuckets({ perSecond: 1, burst: 1, clock: () => 0 });
		expect(buckets.take("a").allowed).toBe(true);
		expect(buckets.take("b").allowed).toBe(true);
		expect(buckets.take("a").allowed).toBe(false);
	});

	it("mints nothing when the clock steps back", () => {
		let now = 10_000;
		const buckets = new TokenBuckets({ perSecond: 1, burst: 1, clock: () => now });
		buckets.take("a");
		now = 0;
		expect(buckets.take("a").allowed).toBe(false);
		now = 10_999;
		expect(buckets.take("a").allowed).toBe(false);
		now = 11_000;
		expect(buckets.take("a").allowed).toBe(true);
	});

	it("never holds more than maxKeys buckets", () => {
		let now = 0;
		const buckets = new TokenBuckets({ perSecond: 1, burst: 5, clock: () => now, maxKeys: 100 });
		for (let i = 0; i < 1000; i++) {
			now += 1;
			buckets.take(`ip-${i}`);
		}
		expect(buckets.size).toBeLessThanOrEqual(100);
	});

	it("refuses a zero rate", () => {
		expect(() => new TokenBuckets({ perSecond: 0, burst: 1, clock: () => 0 })).toThrow();
	});
});

describe("rateLimit middleware", () => {
	it("answers 429 with Retry-After in whole seconds once the bucket is empty", async () => {
		const buckets = new TokenBuckets({ perSecond: 0.1, burst: 1, clock: () => 0 });
		const router = new Hono<AppEnv>();
		router.get("/", rateLimit({ buckets, key: () => "k", detail: "Slow down." }), (c) => c.text("ok"));
		router.onError((error, c) => {
			const headers = (error as { headers?: Record<string, string> }).headers ?? {};
			return c.json({ status: (error as { status?: number }).status }, 429, headers);
		});
		expect((await router.request("/")).status).toBe(200);
		const limited = await router.request("/");
		expect(limited.status).toBe(429);
		expect(limited.headers.get("retry-after")).toBe("10");
	});
});
