import { describe, expect, it } from "vitest";
import { correctClockSkew } from "./clock-skew.js";

describe("correctClockSkew", () => {
	it.each([
		// [time, sentAt, receivedAt, expected, why]
		[1_000, 2_000, 2_300, 1_000, "latency only: unchanged"],
		[1_000, 2_000, 7_000, 1_000, "exactly 5 s: unchanged"],
		[1_000, 2_000, 7_001, 6_001, "sender behind by just over 5 s: shifted forward"],
		[1_000, 2_000, 62_000, 61_000, "sender 60 s behind"],
		[100_000, 200_000, 80_000, 0, "sender ahead, shift would go negative: clamped to 0"],
		[500_000, 600_000, 500_000, 400_000, "sender 100 s ahead: shifted back"],
	])("time %i sent %i received %i → %i (%s)", (time, sentAt, receivedAt, expected) => {
		expect(correctClockSkew(time, sentAt, receivedAt)).toBe(expected);
	});
});
