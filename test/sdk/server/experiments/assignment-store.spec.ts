import { describe, expect, it } from "@rbxts/jest-globals";
import {
	DataStoreAssignments,
	keptOf,
	KeptAssignments,
	MAX_KEPT,
	mergeKept,
} from "../../../../src/server/experiments/assignment-store";

const entry = (k: string, s = "shop", t = 1) => ({ k, s, t });

describe("DataStoreAssignments (emulated DataStore)", () => {
	it("loads nothing for a new player, then keeps what is saved under u<UserId>", () => {
		HarnessBackend.reset();
		const store = new DataStoreAssignments("KeptA", false, 10, 3, 0.1);
		expect(store.load(1001)).toEqual({ ok: true, kept: {} });
		expect(store.save(1001, { shop: entry("grid") })).toBe(true);
		expect(HarnessBackend.dataStore.get("KeptA", "u1001")).toEqual({ v: 1, a: { shop: entry("grid") } });
		expect(store.load(1001)).toEqual({ ok: true, kept: { shop: entry("grid") } });
		const methods = HarnessBackend.dataStore.requests("KeptA").map((r) => `${r.method} ${r.key} ${r.error}`);
		expect(methods).toEqual(["GetAsync u1001 ", "UpdateAsync u1001 ", "GetAsync u1001 "]);
	});

	it("merges with what other servers kept: their entry for the same experiment and seed stays", () => {
		HarnessBackend.reset();
		HarnessBackend.dataStore.set("KeptB", "u7", {
			v: 1,
			a: { shop: entry("list"), hud: entry("big", "hud"), old: entry("x", "old-seed") },
		});
		const store = new DataStoreAssignments("KeptB", false, 10, 3, 0.1);
		store.save(7, { shop: entry("grid", "shop", 2), old: entry("y", "new-seed", 2), pets: entry("more", "pets") });
		expect(keptOf(HarnessBackend.dataStore.get("KeptB", "u7"))).toEqual({
			shop: entry("list"),
			hud: entry("big", "hud"),
			old: entry("y", "new-seed", 2),
			pets: entry("more", "pets"),
		});
	});

	it("retries failed requests, then reports the failure", () => {
		HarnessBackend.reset();
		const store = new DataStoreAssignments("KeptC", false, 10, 3, 0.1);
		HarnessBackend.dataStore.fail("GetAsync", 2, "502: API Services rejected request");
		expect(store.load(5)).toEqual({ ok: true, kept: {} });
		HarnessBackend.dataStore.fail("GetAsync", 3, "502: API Services rejected request");
		const failed = store.load(5);
		expect(failed.ok).toBe(false);
		HarnessBackend.dataStore.fail("UpdateAsync", 3, "502: API Services rejected request");
		expect(store.save(5, { shop: entry("grid") })).toBe(false);
		HarnessBackend.dataStore.clearFailures();
	});

	it("leaves the DataStore alone while the server's budget is below the reserve", () => {
		HarnessBackend.reset();
		const store = new DataStoreAssignments("KeptD", false, 100000, 2, 0.1);
		expect(store.load(5)).toEqual({ ok: false, message: "DataStore budget low" });
		expect(store.save(5, { shop: entry("grid") })).toBe(false);
		expect(HarnessBackend.dataStore.requests("KeptD").size()).toBe(0);
	});
});

describe("kept assignment values", () => {
	it("ignore malformed entries and values", () => {
		expect(keptOf(undefined)).toEqual({});
		expect(keptOf("x")).toEqual({});
		expect(keptOf({ v: 1, a: { shop: entry("grid"), bad: { k: 1 }, worse: "x" } })).toEqual({ shop: entry("grid") });
	});

	it(`keep the ${MAX_KEPT} newest experiments`, () => {
		const current: KeptAssignments = {};
		for (let i = 1; i <= MAX_KEPT; i++) current[`e${i}`] = entry("a", `e${i}`, i);
		const merged = mergeKept(current, { fresh: entry("b", "fresh", 1000) });
		let n = 0;
		for (const [_] of pairs(merged)) n += 1;
		expect(n).toBe(MAX_KEPT);
		expect(merged.e1).toBeUndefined();
		expect(merged.e2).toBeDefined();
		expect(merged.fresh).toEqual(entry("b", "fresh", 1000));
	});
});
