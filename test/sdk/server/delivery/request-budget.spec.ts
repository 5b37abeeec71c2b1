import { describe, expect, it } from "@rbxts/jest-globals";
import { RequestBudget } from "../../../../src/server/delivery/request-budget";

describe("RequestBudget", () => {
	it("allows `limit` requests in any window and says how long until the next one fits", () => {
		let now = 100;
		const budget = new RequestBudget(3, 60, () => now);
		for (let i = 0; i < 3; i++) {
			expect(budget.waitSeconds()).toBe(0);
			budget.spend();
			now += 10;
		}
		// Sent at 100, 110, 120; now 130: the first leaves the window at 160.
		expect(budget.used()).toBe(3);
		expect(budget.waitSeconds()).toBe(30);
		now = 160;
		expect(budget.waitSeconds()).toBe(0);
		expect(budget.used()).toBe(2);
	});

	it("holds at a window boundary where the clock's doubles round", () => {
		// Harness frames: the clock reads frame / 60. 60 s after frame 58579, `sent + 60` and `now` round apart.
		let now = 58579 / 60;
		const budget = new RequestBudget(4, 60, () => now);
		for (let i = 0; i < 4; i++) budget.spend();
		now = 62179 / 60;
		let sent = 0;
		while (sent < 10 && budget.waitSeconds() === 0) {
			budget.spend();
			sent += 1;
		}
		expect(sent).toBe(4);
		expect(budget.used()).toBe(4);
	});

	it("stays small over a long run", () => {
		let now = 0;
		const budget = new RequestBudget(30, 60, () => now);
		for (let i = 0; i < 10000; i++) {
			if (budget.waitSeconds() === 0) budget.spend();
			now += 1;
		}
		expect(budget.used()).toBe(30);
	});
});
