import { describe, expect, it } from "vitest";
import { dueDigestDay, localClock, previousDay, yesterdayIn } from "./local-day.js";

const at = (iso: string) => Date.parse(iso);

describe("localClock", () => {
	it.each([
		["2025-01-01T23:30:00Z", "UTC", { day: "2025-01-01", hour: 23 }],
		["2025-01-01T23:30:00Z", "Europe/Berlin", { day: "2025-01-02", hour: 0 }],
		["2025-01-02T03:00:00Z", "America/Los_Angeles", { day: "2025-01-01", hour: 19 }],
		["2025-01-01T18:29:00Z", "Asia/Kolkata", { day: "2025-01-01", hour: 23 }],
		["2025-01-01T18:30:00Z", "Asia/Kolkata", { day: "2025-01-02", hour: 0 }],
		["2025-01-01T10:00:00Z", "Pacific/Kiritimati", { day: "2025-01-02", hour: 0 }],
		// Summer time in Berlin: UTC+2.
		["2025-07-01T22:00:00Z", "Europe/Berlin", { day: "2025-07-02", hour: 0 }],
		// The hour at midnight is 0, never 24.
		["2025-03-01T00:00:00Z", "UTC", { day: "2025-03-01", hour: 0 }],
	])("%s in %s", (iso, zone, expected) => {
		expect(localClock(at(iso), zone)).toEqual(expected);
	});

	it("throws for a zone Intl does not know", () => {
		expect(() => localClock(0, "Mars/Olympus")).toThrow(RangeError);
	});
});

describe("previousDay", () => {
	it.each([
		["2025-01-02", "2025-01-01"],
		["2025-01-01", "2024-12-31"],
		["2024-03-01", "2024-02-29"],
		["2025-03-01", "2025-02-28"],
		// The day Berlin moves its clocks forward is still one calendar day.
		["2025-03-31", "2025-03-30"],
	])("%s → %s", (day, expected) => {
		expect(previousDay(day)).toBe(expected);
	});

	it("gives yesterday on the game's wall clock", () => {
		expect(yesterdayIn(at("2025-01-02T03:00:00Z"), "America/Los_Angeles")).toBe("2024-12-31");
		expect(yesterdayIn(at("2025-01-02T03:00:00Z"), "Asia/Tokyo")).toBe("2025-01-01");
	});
});

describe("dueDigestDay", () => {
	const base = { timeZone: "UTC", digestHour: 9, lastDay: null };
	it.each([
		["before the hour", { ...base, now: at("2025-01-02T08:59:59Z") }, null],
		["at the hour", { ...base, now: at("2025-01-02T09:00:00Z") }, "2025-01-01"],
		["later that day", { ...base, now: at("2025-01-02T23:59:00Z") }, "2025-01-01"],
		["once posted", { ...base, now: at("2025-01-02T10:00:00Z"), lastDay: "2025-01-01" }, null],
		["the next day", { ...base, now: at("2025-01-03T09:00:00Z"), lastDay: "2025-01-01" }, "2025-01-02"],
		[
			"after missed days: only yesterday",
			{ ...base, now: at("2025-01-09T09:00:00Z"), lastDay: "2025-01-01" },
			"2025-01-08",
		],
		["hour 0", { ...base, digestHour: 0, now: at("2025-01-02T00:00:00Z") }, "2025-01-01"],
		// 09:00 in Los Angeles is 17:00 UTC in winter.
		["in the game's zone, before", { ...base, timeZone: "America/Los_Angeles", now: at("2025-01-02T16:59:00Z") }, null],
		[
			"in the game's zone, at",
			{ ...base, timeZone: "America/Los_Angeles", now: at("2025-01-02T17:00:00Z") },
			"2025-01-01",
		],
		// A zone change that makes yesterday a day already posted posts nothing.
		[
			"a day already posted",
			{ ...base, timeZone: "Pacific/Kiritimati", now: at("2025-01-02T20:00:00Z"), lastDay: "2025-01-02" },
			null,
		],
	])("%s", (_, input, expected) => {
		expect(dueDigestDay(input)).toBe(expected);
	});
});
