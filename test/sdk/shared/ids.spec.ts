import { describe, expect, it } from "@rbxts/jest-globals";
import { encodeBase32, IdGenerator, prefixFromGuid } from "../../../src/shared/ids";

describe("encodeBase32", () => {
	it("pads to the width with Crockford digits", () => {
		expect(encodeBase32(0, 4)).toBe("0000");
		expect(encodeBase32(31, 2)).toBe("0Z");
		expect(encodeBase32(32, 2)).toBe("10");
	});

	it("keeps millisecond timestamps exact and sortable", () => {
		const a = encodeBase32(1767225600000, 10);
		const b = encodeBase32(1767225600001, 10);
		expect(a < b).toBe(true);
		expect(a.size()).toBe(10);
	});
});

describe("IdGenerator", () => {
	it("orders ids by time, then by a counter within one millisecond", () => {
		let now = 1767225600000;
		const ids = new IdGenerator("ABCDEFGH", () => now);
		const first = ids.next();
		const second = ids.next();
		now += 1;
		const third = ids.next();
		expect(first < second).toBe(true);
		expect(second < third).toBe(true);
	});

	it("never goes backwards when the clock does", () => {
		let now = 1767225600500;
		const ids = new IdGenerator("ABCDEFGH", () => now);
		const before = ids.next();
		now -= 400;
		expect(before < ids.next()).toBe(true);
	});

	it("draws distinct prefixes from distinct GUIDs", () => {
		const a = prefixFromGuid("0f1e2d3c-4b5a-4697-8877-665544332211");
		const b = prefixFromGuid("1f1e2d3c-4b5a-4697-8877-665544332211");
		expect(a.size()).toBe(8);
		expect(a).never.toBe(b);
	});
});
