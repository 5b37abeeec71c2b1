import { describe, expect, it } from "vitest";
import { formatChange, formatCompact, formatDate, formatDayTick, formatDuration, formatValue } from "./format.js";

describe("formatting", () => {
	it.each([
		[1234.4, "players", "1,234"],
		[12.25, "players", "12.3"],
		[0.043, "players", "0.04"],
		[2.5, "robux", "R$ 2.50"],
		[15234, "robux", "R$ 15,234"],
		[0.4217, "ratio", "42.2%"],
		[252, "seconds", "4 min 12 s"],
		[null, "count", "—"],
		[Number.NaN, "count", "—"],
	] as const)("formats %s %s as %s", (value, unit, text) => {
		expect(formatValue(value, unit)).toBe(text);
	});

	it("formats durations from seconds to hours", () => {
		expect(formatDuration(42.4)).toBe("42 s");
		expect(formatDuration(3900)).toBe("1 h 5 min");
	});

	it("signs changes with a real minus and leaves unknown ones blank", () => {
		expect(formatChange(0.123)).toBe("+12.3%");
		expect(formatChange(-0.04)).toBe("−4%");
		expect(formatChange(0)).toBe("0%");
		expect(formatChange(null)).toBe("—");
	});

	it("labels axes and dates in UTC, whatever the browser's zone", () => {
		expect(formatCompact(1234)).toBe("1.2K");
		expect(formatDayTick(Date.UTC(2025, 0, 5) / 1000)).toBe("Jan 5");
		expect(formatDate("2025-01-05")).toBe("Jan 5, 2025");
	});
});
