import { describe, expect, it } from "vitest";
import { newId } from "./ids.js";

describe("newId", () => {
	it("is the prefix, 10 time characters and 16 random Crockford characters", () => {
		expect(newId("vk_", 0)).toMatch(/^vk_0000000000[0-9A-HJKMNP-TV-Z]{16}$/);
	});

	it("sorts by creation time", () => {
		const times = [1, 31, 32, 1_000, Date.UTC(2025, 0, 1), Date.UTC(2025, 0, 1) + 1, 2 ** 48 - 1];
		const ids = times.map((t) => newId("", t));
		expect([...ids].sort()).toEqual(ids);
	});

	it("differs between two calls in the same millisecond", () => {
		expect(newId("x", 5)).not.toBe(newId("x", 5));
	});
});
