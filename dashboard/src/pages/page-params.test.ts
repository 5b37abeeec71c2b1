import { describe, expect, it } from "vitest";
import { readParams, writeParams } from "./page-params.js";

const defaults = { mode: "classic", days: "0,1,3,7,14,30", steps: [] as readonly string[] };

describe("page options in the URL", () => {
	it("reads each option, a missing one at its default, lists from repeated parameters", () => {
		expect(readParams("?page=retention&mode=rolling&steps=a&steps=b", defaults)).toEqual({
			mode: "rolling",
			days: "0,1,3,7,14,30",
			steps: ["a", "b"],
		});
		expect(readParams("", defaults)).toEqual(defaults);
	});

	it("writes only what differs from the default, and keeps the shell's parameters", () => {
		const search = writeParams("?page=retention&game=1818&mode=rolling", { ...defaults, days: "0-30" }, defaults);
		expect(search).toBe("?page=retention&game=1818&days=0-30");
		expect(writeParams("?mode=rolling", defaults, defaults)).toBe("");
	});

	it("round-trips lists, also an empty one that is not the default", () => {
		const withSteps = writeParams("?page=funnels", { ...defaults, steps: ["a:b", "c"] }, defaults);
		expect(withSteps).toBe("?page=funnels&steps=a%3Ab&steps=c");
		expect(readParams(withSteps, defaults).steps).toEqual(["a:b", "c"]);
		const listDefault = { tags: ["x"] as readonly string[] };
		const empty = writeParams("", { tags: [] }, listDefault);
		expect(readParams(empty, listDefault).tags).toEqual([]);
	});

	it("refuses to use one of the shell's names", () => {
		expect(() => writeParams("", { game: "x" }, { game: "" })).toThrow('"game" is the shell\'s parameter');
	});
});
