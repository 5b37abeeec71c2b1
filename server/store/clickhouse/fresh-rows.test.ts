// The rows kept for the rollup job: taken once, bounded by a cap on events and by age, oldest out first.
import { describe, expect, it } from "vitest";
import type { FoldEvent } from "../../warehouse/fold.js";
import { FreshRows, type FreshBatch } from "./fresh-rows.js";

function batch(events: number, player = 1, shard = 0): FreshBatch {
	const list: FoldEvent[] = Array.from({ length: events }, (_, i) => ({
		id: `e${i}`,
		userId: player,
		sessionId: "s",
		type: "custom",
		name: "n",
		time: i,
		props: {},
	}));
	return new Map([[shard, new Map([[player, list]])]]);
}

describe("FreshRows", () => {
	it("gives a batch's rows once", () => {
		const rows = new FreshRows();
		const b = batch(3);
		rows.put("g", "b1", b);
		expect(rows.events).toBe(3);
		expect(rows.take("g", "b2")).toBeUndefined();
		expect(rows.take("h", "b1")).toBeUndefined();
		expect(rows.take("g", "b1")).toBe(b);
		expect(rows.take("g", "b1")).toBeUndefined();
		expect(rows.events).toBe(0);
	});

	it("drops the oldest batches beyond the cap, and a batch larger than the cap is not kept", () => {
		const rows = new FreshRows({ maxEvents: 10 });
		rows.put("g", "b1", batch(4));
		rows.put("g", "b2", batch(4));
		rows.put("g", "b3", batch(4));
		expect(rows.events).toBe(8);
		expect(rows.take("g", "b1")).toBeUndefined();
		expect(rows.take("g", "b2")).toBeDefined();
		rows.put("g", "big", batch(11));
		expect(rows.take("g", "big")).toBeUndefined();
		expect(rows.take("g", "b3")).toBeDefined();
	});

	it("drops batches nobody took within the age (another instance folds them)", () => {
		let now = 0;
		const rows = new FreshRows({ maxAgeMs: 1000, clock: () => now });
		rows.put("g", "b1", batch(2));
		now = 500;
		rows.put("g", "b2", batch(2));
		now = 1200;
		rows.put("g", "b3", batch(2));
		expect(rows.take("g", "b1")).toBeUndefined();
		expect(rows.take("g", "b2")).toBeDefined();
		expect(rows.take("g", "b3")).toBeDefined();
	});
});
