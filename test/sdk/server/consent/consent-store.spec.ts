import { describe, expect, it } from "@rbxts/jest-globals";
import { DataStoreConsent } from "../../../../src/server/consent/consent-store";

const answer = {
	policyVersion: "2",
	choices: { analytics: true, experiments: false, personalization: true },
	answeredAt: 77,
};

describe("DataStoreConsent (emulated DataStore)", () => {
	it("keeps an answer under u<UserId> with its policy version and time, and reads it back", () => {
		HarnessBackend.reset();
		const store = new DataStoreConsent("ConsentA", false, 5, 3, 0.1);
		expect(store.load(42)).toEqual({ ok: true, stored: undefined });
		expect(store.save(42, answer)).toBe(true);
		expect(HarnessBackend.dataStore.get("ConsentA", "u42")).toEqual({
			v: 1,
			p: "2",
			c: { a: true, e: false, p: true },
			t: 77,
		});
		expect(store.load(42)).toEqual({ ok: true, stored: answer });
		const methods = HarnessBackend.dataStore.requests("ConsentA").map((r) => `${r.method} ${r.key}`);
		expect(methods).toEqual(["GetAsync u42", "SetAsync u42", "GetAsync u42"]);
	});

	it("retries failing requests and then says so; treats a malformed value as no answer", () => {
		HarnessBackend.reset();
		const store = new DataStoreConsent("ConsentB", false, 5, 3, 0.1);
		HarnessBackend.dataStore.fail("SetAsync", 2, "502: API Services rejected request");
		expect(store.save(7, answer)).toBe(true);
		HarnessBackend.dataStore.fail("GetAsync", 3, "502: API Services rejected request");
		expect(store.load(7).ok).toBe(false);
		HarnessBackend.dataStore.clearFailures();
		HarnessBackend.dataStore.set("ConsentB", "u8", { v: 1, p: "2", c: { a: "yes" }, t: 1 });
		expect(store.load(8)).toEqual({ ok: true, stored: undefined });
	});

	it("leaves the DataStore to the game while the budget is below the reserve", () => {
		HarnessBackend.reset();
		const store = new DataStoreConsent("ConsentC", false, 100000, 2, 0.1);
		expect(store.load(5)).toEqual({ ok: false, message: "DataStore budget low" });
		expect(HarnessBackend.dataStore.requests("ConsentC").size()).toBe(0);
	});
});
