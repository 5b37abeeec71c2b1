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
