import { describe, expect, it } from "vitest";
import { addDays, isDate, previousRange, rangeLength, todayIn } from "./dates.js";
import { formatViewState, parseViewState, resolveRange, type ViewState } from "./url-state.js";

const DEFAULT: ViewState = {
	page: "overview",
	game: undefined,
	range: "30d",
	custom: undefined,
	breakdown: undefined,
	filters: [],
};

describe("view state in the URL", () => {
	it("reads defaults from an empty query and writes them back as nothing", () => {
		expect(parseViewState("")).toEqual(DEFAULT);
		expect(formatViewState(DEFAULT)).toBe("");
	});

	it("round-trips every field", () => {
		const state: ViewState = {
			page: "retention",
			game: "1818",
			range: "30d",
			custom: { from: "2025-01-01", to: "2025-01-31" },
			breakdown: "variant:difficulty",
			filters: ["platform:phone", "country:DE"],
		};
		const text = formatViewState(state);
		expect(text).toBe(
			"?page=retention&game=1818&from=2025-01-01&to=2025-01-31&breakdown=variant%3Adifficulty" +
				"&filter=platform%3Aphone&filter=country%3ADE",
		);
		expect(parseViewState(text)).toEqual(state);
		expect(parseViewState(formatViewState({ ...DEFAULT, range: "7d" }))).toEqual({ ...DEFAULT, range: "7d" });
	});

	it.each([
		["page=<script>", { page: "overview" }],
		["game=a/b", { game: undefined }],
		["range=5y", { range: "30d" }],
		["from=2025-02-30&to=2025-03-01", { custom: undefined }],
		["from=2025-03-02&to=2025-03-01", { custom: undefined }],
		["from=2025-03-01", { custom: undefined }],
		["breakdown=a b", { breakdown: undefined }],
		["filter=nocolon&filter=platform:pc", { filters: ["platform:pc"] }],
	])("falls back to the default for a malformed %s", (query, expected) => {
		expect(parseViewState(`?${query}`)).toMatchObject(expected);
	});

	it("turns a preset into the game's last N days, today included", () => {
		expect(resolveRange({ range: "7d", custom: undefined }, "2025-03-02")).toEqual({
			from: "2025-02-24",
			to: "2025-03-02",
		});
		const custom = { from: "2024-12-30", to: "2025-01-02" };
		expect(resolveRange({ range: "7d", custom }, "2025-03-02")).toBe(custom);
	});
});

describe("dates", () => {
	it("checks real calendar dates", () => {
		expect(isDate("2024-02-29")).toBe(true);
		expect(isDate("2025-02-29")).toBe(false);
		expect(isDate("2025-1-01")).toBe(false);
		expect(isDate(undefined)).toBe(false);
	});

	it("finds the equally long period before a range, across months and years", () => {
		expect(previousRange({ from: "2025-01-01", to: "2025-01-07" })).toEqual({ from: "2024-12-25", to: "2024-12-31" });
		expect(rangeLength({ from: "2024-02-28", to: "2024-03-01" })).toBe(3);
		expect(addDays("2024-03-31", -31)).toBe("2024-02-29");
	});

	it("tells today's date in the game's time zone", () => {
		const now = new Date(Date.UTC(2025, 0, 1, 23, 30));
		expect(todayIn("UTC", now)).toBe("2025-01-01");
		expect(todayIn("Asia/Tokyo", now)).toBe("2025-01-02");
		expect(todayIn("America/Los_Angeles", now)).toBe("2025-01-01");
		expect(todayIn("Not/AZone", now)).toBe("2025-01-01");
	});
});
