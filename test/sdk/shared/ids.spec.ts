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

/** The encoding before ids were optimised, digit by digit: the reference for the table-driven one. */
function referenceBase32(value: number, width: number): string {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	let n = math.floor(value);
	let out = "";
	for (let i = 0; i < width; i++) {
		const digit = n % 32;
		out = alphabet.sub(digit + 1, digit + 1) + out;
		n = math.floor(n / 32);
	}
	return out;
}

describe("encodeBase32 against the digit-by-digit encoding", () => {
	it("agrees for every width from 1 to 11, on small, boundary and large values", () => {
		const values = [0, 1, 31, 32, 1023, 1024, 1025, 32767, 1767225600000, 1767225600000.9, 2 ** 40 - 1, 2 ** 53 - 1];
		for (const value of values) {
			for (let width = 1; width <= 11; width++) expect(encodeBase32(value, width)).toBe(referenceBase32(value, width));
		}
	});
});

describe("IdGenerator ids", () => {
	const T = 1767225600000;

	it("are the millisecond, the prefix and the counter in base32", () => {
		const ids = new IdGenerator("ABCDEFGH", () => T);
		const all = new Array<string>();
		for (let i = 0; i <= 2048; i++) all.push(ids.next());
		for (const counter of [0, 1, 31, 32, 1023, 1024, 2047, 2048]) {
			expect(all[counter]).toBe(referenceBase32(T, 10) + "ABCDEFGH" + referenceBase32(counter, 5));
		}
	});

	it("stay ordered and distinct past 1024 in one millisecond and across a 1024 ms block", () => {
		let now = 1024 * 1725806250 - 1;
		const ids = new IdGenerator("ABCDEFGH", () => now);
		const seen = new Set<string>();
		let previous = "";
		for (let i = 0; i < 3000; i++) {
			if (i === 2500) now += 1;
			const id = ids.next();
			expect(previous < id).toBe(true);
			seen.add(id);
			previous = id;
		}
		expect(seen.size()).toBe(3000);
		expect(previous.sub(1, 10)).toBe(referenceBase32(now, 10));
	});

	it("take the time a caller read with nextAt, and never go back when it is earlier", () => {
		const ids = new IdGenerator("ABCDEFGH", () => 0);
		const a = ids.nextAt(T + 5);
		const b = ids.nextAt(T + 2);
		expect(a.sub(1, 10)).toBe(referenceBase32(T + 5, 10));
		expect(a < b).toBe(true);
	});

	it("borrow the next millisecond when five counter digits run out", () => {
		const ids = new IdGenerator("ABCDEFGH", () => T);
		ids.next();
		// 32^5 ids in one millisecond take too long to make here: jump the counter to the start of its last 1024.
		(ids as unknown as { counter: number }).counter = 32 ** 5 - 1025;
		let last = "";
		for (let i = 0; i < 1024; i++) last = ids.next();
		const borrowed = ids.next();
		expect(last).toBe(referenceBase32(T, 10) + "ABCDEFGH" + "ZZZZZ");
		expect(borrowed).toBe(referenceBase32(T + 1, 10) + "ABCDEFGH" + "00000");
		expect(ids.next() > borrowed).toBe(true);
	});
});
