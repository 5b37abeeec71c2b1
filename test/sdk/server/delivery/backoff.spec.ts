import { describe, expect, it } from "@rbxts/jest-globals";
import { backoffSeconds, headerValue, parseRetryAfter } from "../../../../src/server/delivery/backoff";

describe("backoffSeconds", () => {
	it("doubles the bound per failure up to the cap, and scales it by the draw", () => {
		const cases: [failures: number, draw: number, expected: number][] = [
			[1, 1, 2],
			[2, 1, 4],
			[5, 1, 32],
			[9, 1, 300],
			[1000, 1, 300],
			[3, 0.5, 4],
			[3, 0, 0],
			[0, 1, 2],
		];
		for (const [failures, draw, expected] of cases) {
			expect(backoffSeconds(failures, 2, 300, () => draw)).toBe(expected);
		}
	});
});

describe("parseRetryAfter", () => {
	it("reads delta-seconds, caps them, and ignores dates and junk", () => {
		expect(parseRetryAfter("30", 600)).toBe(30);
		expect(parseRetryAfter(" 7 ", 600)).toBe(7);
		expect(parseRetryAfter("0", 600)).toBe(0);
		expect(parseRetryAfter("86400", 600)).toBe(600);
		expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", 600)).toBeUndefined();
		expect(parseRetryAfter("-5", 600)).toBeUndefined();
		expect(parseRetryAfter("1.5", 600)).toBeUndefined();
		expect(parseRetryAfter(undefined, 600)).toBeUndefined();
	});
});

describe("headerValue", () => {
	it("finds a header whatever the case of its name", () => {
		expect(headerValue({ ["retry-after"]: "5" }, "Retry-After")).toBe("5");
		expect(headerValue({ ["RETRY-AFTER"]: "6" }, "retry-after")).toBe("6");
		expect(headerValue({}, "Retry-After")).toBeUndefined();
		expect(headerValue(undefined, "Retry-After")).toBeUndefined();
	});
});
