import { describe, expect, it } from "@rbxts/jest-globals";
import { fakePlayer, fakeTracking, keysOf } from "./fakes";

const ada = fakePlayer(1001);

describe("track", () => {
	it("sends a custom event with the player, their session, the name and a copy of the props", () => {
		const { tracking, sink } = fakeTracking();
		const props = { tab: "weapons", level: 3, vip: true };
		expect(tracking.track(ada, "shop_opened", props)).toBe(true);
		props.level = 99;
		const [event] = sink.ofType("custom");
		expect(event).toMatchObject({ userId: 1001, type: "custom", name: "shop_opened" });
		expect(event.props).toEqual({ tab: "weapons", level: 3, vip: true });
		expect(event.sessionId.size() > 0).toBe(true);
		expect(keysOf(event)).toEqual(["id", "name", "props", "sessionId", "time", "type", "userId"]);
	});

	it("gives every event of a player the same session and a new time-ordered id", () => {
		const { tracking, sink } = fakeTracking();
		tracking.track(ada, "a");
		tracking.track(ada, "b");
		tracking.track(fakePlayer(2002), "c");
		const [a, b, c] = sink.ofType("custom");
		expect(a.sessionId).toBe(b.sessionId);
		expect(c.sessionId).never.toBe(a.sessionId);
		expect(a.id < b.id && b.id < c.id).toBe(true);
	});

	it("copies the props of every call, also once the player and the name are known", () => {
		const { tracking, sink } = fakeTracking();
		const props = { level: 1 };
		for (let level = 1; level <= 3; level++) {
			props.level = level;
			expect(tracking.track(ada, "level_up", props)).toBe(true);
		}
		props.level = 99;
		expect(sink.ofType("custom").map((e) => e.props.level)).toEqual([1, 2, 3]);
	});

	it("accepts a known player's string name and plain props at once and refuses bad ones when sealed, with the same reasons", () => {
		const { tracking, sink, warnings } = fakeTracking();
		expect(tracking.track(ada, "level_up", { level: 1 })).toBe(true);
		sink.all();
		// Accepted for processing: the player has a session, the name is a string, the props a plain table.
		expect(tracking.track(ada, "level_up", { level: 0 / 0 })).toBe(true);
		expect(tracking.track(ada, "", { level: 1 })).toBe(true);
		// Not a table: refused at once.
		expect(tracking.track(ada, "level_up", "level=1")).toBe(false);
		expect(tracking.stats().invalidCalls).toBe(1);
		expect(warnings.messages).toEqual(["track call ignored: props must be a table, got string"]);
		// The worker's seal validates the rest.
		expect(sink.ofType("custom").size()).toBe(1);
		expect(tracking.stats().invalidCalls).toBe(3);
		expect(warnings.messages[1]).toMatch("track call ignored: props must map string keys");
		expect(warnings.messages[2]).toBe("track call ignored: event name must have 1 to 128 characters");
	});

	it("refuses nested tables, too many keys, bad keys and long strings when sealed, and tells listeners", () => {
		const seen = new Array<string>();
		const { tracking, sink } = fakeTracking(
			{},
			{ hooks: { invalidCall: (fn, reason) => seen.push(`${fn}: ${reason}`) } },
		);
		tracking.track(ada, "warmup");
		sink.all();
		const many: Record<string, number> = {};
		for (let i = 1; i <= 65; i++) many[`k${i}`] = i;
		const calls: unknown[] = [
			{ nested: { a: 1 } },
			many,
			{ [""]: 1 },
			{ [1]: "array" },
			{ text: string.rep("x", 1025) },
			{ big: math.huge },
		];
		for (const props of calls) expect(tracking.track(ada, "bad_props", props)).toBe(true);
		expect(seen.size()).toBe(0);
		expect(
			sink
				.ofType("custom")
				.filter((e) => e.name === "bad_props")
				.size(),
		).toBe(0);
		expect(tracking.stats().invalidCalls).toBe(calls.size());
		expect(seen[1]).toBe("track: props may have at most 64 keys");
		for (const reason of seen) expect(reason).toMatch("^track: props ");
	});

	it("does only the cheap part at call time: ids, times and validation come when the worker seals", () => {
		const { tracking, sink } = fakeTracking();
		tracking.track(ada, "warmup");
		const before = sink.all().size();
		for (let i = 0; i < 10; i++) expect(tracking.track(ada, "tick", { i })).toBe(true);
		expect(sink.waiting()).toBe(10);
		task.wait(0.5);
		const sealedAt = DateTime.now().UnixTimestampMillis;
		const events = sink.all();
		expect(events.size() - before).toBe(10);
		expect(sink.waiting()).toBe(0);
		const ticks = events.filter((e) => e.name === "tick");
		// Stamped with the call's time, not the seal's; ids unique and ordered by that time.
		expect(sealedAt - ticks[0].time >= 499).toBe(true);
		for (let i = 1; i < ticks.size(); i++) {
			expect(ticks[i - 1].id < ticks[i].id).toBe(true);
			expect(ticks[i - 1].time <= ticks[i].time).toBe(true);
		}
		expect(ticks.map((e) => e.props.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
	}, 5_000);

	it("sends the props of a table with a metatable as a plain copy", () => {
		const { tracking, sink } = fakeTracking();
		tracking.track(ada, "warmup");
		const props = setmetatable({ tab: "weapons" }, { __index: () => "inherited" });
		expect(tracking.track(ada, "shop_opened", props)).toBe(true);
		const [, event] = sink.ofType("custom");
		expect(event.props).toEqual({ tab: "weapons" });
		expect(getmetatable(event.props)).toBeUndefined();
	});

	it("puts a returning player's events in their new session, not the one that ended", () => {
		const { tracking, sink } = fakeTracking();
		tracking.track(ada, "first_visit");
		tracking.sessions.end(1001);
		tracking.track(ada, "while_leaving");
		tracking.sessions.begin(ada);
		tracking.track(ada, "second_visit");
		const [first, leaving, second] = sink.ofType("custom");
		expect(leaving.sessionId).toBe(first.sessionId);
		expect(second.sessionId).never.toBe(first.sessionId);
		expect(second.sessionId).toBe(tracking.sessions.sessionIdOf(1001));
	});

	it("stamps events with the clock's milliseconds and ids in the order tracked", () => {
		const { tracking, sink } = fakeTracking();
		const before = DateTime.now().UnixTimestampMillis;
		for (let i = 0; i < 50; i++) tracking.track(ada, "tick", { i });
		task.wait(0.25);
		tracking.track(ada, "tock");
		const events = sink.ofType("custom");
		for (let i = 1; i < events.size(); i++) expect(events[i - 1].id < events[i].id).toBe(true);
		expect(math.abs(events[0].time - before) <= 1).toBe(true);
		expect(math.abs(events[50].time - DateTime.now().UnixTimestampMillis) <= 1).toBe(true);
	}, 5_000);

	it("gives a player who is not on this server no session", () => {
		const { tracking, sink } = fakeTracking();
		tracking.track(fakePlayer(3003, { present: false }), "late");
		expect(sink.ofType("custom")[0].sessionId).toBe("");
		expect(sink.ofType("session_start").size()).toBe(0);
	});
});

describe("progression", () => {
	it("names the event after the path and carries status, levels and score", () => {
		const { tracking, sink } = fakeTracking();
		expect(tracking.progression(ada, "start", ["World1", "Level2", "Boss"])).toBe(true);
		expect(tracking.progression(ada, "complete", ["World1", "Level2", "Boss"], 1200)).toBe(true);
		const [start, complete] = sink.ofType("progression");
		expect(start.name).toBe("World1:Level2:Boss");
		expect(start.props).toEqual({ status: "start", p1: "World1", p2: "Level2", p3: "Boss" });
		expect(complete.props).toEqual({
			status: "complete",
			p1: "World1",
			p2: "Level2",
			p3: "Boss",
			score: 1200,
			attempt: 1,
			seconds: 0,
		});
	});

	it("counts attempts across fails and the seconds since the start on the virtual clock", () => {
		const { tracking, sink } = fakeTracking();
		const path = ["Level1"];
		tracking.progression(ada, "start", path);
		task.wait(3);
		tracking.progression(ada, "fail", path);
		tracking.progression(ada, "start", path);
		task.wait(1.5);
		tracking.progression(ada, "complete", path);
		tracking.progression(ada, "fail", path);
		const ends = sink.ofType("progression").filter((e) => e.props.status !== "start");
		expect(ends.map((e) => e.props.attempt)).toEqual([1, 2, 1]);
		expect(math.abs((ends[0].props.seconds as number) - 3) < 0.05).toBe(true);
		expect(math.abs((ends[1].props.seconds as number) - 1.5) < 0.05).toBe(true);
		// No start before the last fail: no seconds.
		expect(ends[2].props.seconds).toBeUndefined();
	}, 20_000);

	it("refuses a bad status, a path of 0 or 4 levels, a level with ':' and a non-finite score", () => {
		const { tracking, sink } = fakeTracking();
		expect(tracking.progression(ada, "begin", ["A"])).toBe(false);
		expect(tracking.progression(ada, "start", [])).toBe(false);
		expect(tracking.progression(ada, "start", ["A", "B", "C", "D"])).toBe(false);
		expect(tracking.progression(ada, "start", ["A:B"])).toBe(false);
		expect(tracking.progression(ada, "start", "A")).toBe(false);
		expect(tracking.progression(ada, "complete", ["A"], 0 / 0)).toBe(false);
		expect(sink.ofType("progression").size()).toBe(0);
		expect(tracking.stats().invalidCalls).toBe(6);
	});
});

describe("economy", () => {
	it("names the event flow:currency and carries every field", () => {
		const { tracking, sink } = fakeTracking();
		const data = { flow: "sink", currency: "Gems", amount: 50, itemType: "Weapons", itemId: "IronSword" } as const;
		expect(tracking.economy(ada, data)).toBe(true);
		const [event] = sink.ofType("economy");
		expect(event.name).toBe("sink:Gems");
		expect(event.props).toEqual({
			flow: "sink",
			currency: "Gems",
			amount: 50,
			itemType: "Weapons",
			itemId: "IronSword",
		});
	});

	it("refuses a wrong flow, a zero amount, a missing field and an unknown field", () => {
		const { tracking, sink } = fakeTracking();
		const ok = { flow: "source", currency: "Gems", amount: 5, itemType: "Quest", itemId: "Q1" };
		expect(tracking.economy(ada, { ...ok, flow: "spend" })).toBe(false);
		expect(tracking.economy(ada, { ...ok, amount: 0 })).toBe(false);
		expect(tracking.economy(ada, { flow: "source", currency: "Gems", amount: 5, itemType: "Quest" })).toBe(false);
		expect(tracking.economy(ada, { ...ok, itemID: "Q1" })).toBe(false);
		expect(sink.ofType("economy").size()).toBe(0);
	});
});

describe("purchase", () => {
	const receipt = {
		PurchaseId: "p-1",
		PlayerId: 1001,
		ProductId: 555,
		CurrencySpent: 99,
		PlaceIdWherePurchased: 42,
	};

	it("records the receipt at once, in the player's session", () => {
		const { tracking, sink } = fakeTracking();
		tracking.track(ada, "before");
		const start = os.clock();
		expect(tracking.purchase(receipt)).toBe(true);
		expect(os.clock() - start).toBe(0);
		const [event] = sink.ofType("purchase");
		expect(event).toMatchObject({ userId: 1001, type: "purchase", name: "developer_product" });
		expect(event.sessionId).toBe(sink.ofType("custom")[0].sessionId);
		expect(event.props).toEqual({ productId: 555, purchaseId: "p-1", robux: 99, placeId: 42 });
	});

	it("records a receipt processed again once, and works for a player not on this server", () => {
		const { tracking, sink } = fakeTracking();
		tracking.purchase(receipt);
		tracking.purchase(receipt);
		tracking.purchase({ ...receipt, PurchaseId: "p-2", PlayerId: 7 });
		const events = sink.ofType("purchase");
		expect(events.map((e) => e.props.purchaseId)).toEqual(["p-1", "p-2"]);
		expect(events[1].sessionId).toBe("");
	});

	it("refuses something that is not a receipt", () => {
		const { tracking, sink } = fakeTracking();
		expect(tracking.purchase({ ...receipt, PlayerId: "1001" })).toBe(false);
		expect(tracking.purchase(ada)).toBe(false);
		expect(sink.ofType("purchase").size()).toBe(0);
	});
});

describe("funnelStep", () => {
	it("names the event after the funnel and carries the step and its name", () => {
		const { tracking, sink } = fakeTracking();
		expect(tracking.funnelStep(ada, "onboarding", 2, "picked_class")).toBe(true);
		const [event] = sink.ofType("funnel");
		expect(event.name).toBe("onboarding");
		expect(event.props).toEqual({ step: 2, stepName: "picked_class" });
	});

	it("refuses step 0, a fractional step and an empty name", () => {
		const { tracking } = fakeTracking();
		expect(tracking.funnelStep(ada, "onboarding", 0, "x")).toBe(false);
		expect(tracking.funnelStep(ada, "onboarding", 1.5, "x")).toBe(false);
		expect(tracking.funnelStep(ada, "onboarding", 1, "")).toBe(false);
		expect(tracking.stats().invalidCalls).toBe(3);
	});
});

describe("invalid calls", () => {
	it("are refused, counted, warned about once per reason and reported to listeners", () => {
		const seen = new Array<string>();
		const { tracking, sink, warnings } = fakeTracking(
			{},
			{ hooks: { invalidCall: (fn, reason) => seen.push(`${fn}: ${reason}`) } },
		);
		for (let i = 0; i < 3; i++) tracking.track(ada, "", {});
		tracking.track("not a player", "x");
		tracking.track(ada, "x", { nested: { a: 1 } });
		expect(tracking.stats().invalidCalls).toBe(5);
		expect(seen.size()).toBe(5);
		expect(sink.ofType("custom").size()).toBe(0);
		// The recorder sees every call; WarnOnce prints each distinct message once.
		const distinct = new Set(warnings.messages);
		expect(distinct.size()).toBe(3);
		expect(seen[3]).toBe("track: the first argument must be a Player");
	});

	it("never throw, whatever the arguments", () => {
		const { tracking } = fakeTracking();
		const callEach = (a: unknown, b: unknown) => {
			tracking.track(a, b, a);
			tracking.progression(a, b, a, b);
			tracking.economy(a, b);
			tracking.purchase(a);
			tracking.funnelStep(a, b, a, b);
		};
		// (nil is called apart: a Luau array stops at its first nil)
		const junk: unknown[] = [0, "x", true, {}, [1, 2], () => 1, ada, math.huge];
		for (const a of junk) for (const b of junk) expect(() => callEach(a, b)).never.toThrow();
		expect(() => callEach(undefined, undefined)).never.toThrow();
	});
});
