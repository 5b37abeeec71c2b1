import { describe, expect, it } from "vitest";
import { makeEvent, makeEvents } from "../testing/fixtures.js";
import { LiveEventHub } from "./event-hub.js";

const batch = (events = makeEvents(3), batchId = "b-1") => ({ batchId, receivedAt: 1234, events });

describe("LiveEventHub", () => {
	it("hands a stored batch's events to the game's streams, with where and when they arrived", async () => {
		const hub = new LiveEventHub();
		const a = hub.subscribe({ gameId: "g1", userId: "u1" })!;
		const other = hub.subscribe({ gameId: "g2", userId: "u1" })!;
		hub.publish("g1", batch());
		expect(await a.next()).toBe(true);
		const { events, dropped } = a.take();
		expect(dropped).toBe(0);
		expect(events.map((e) => e.id)).toEqual(["e-0001", "e-0002", "e-0003"]);
		expect(events[0]).toMatchObject({ gameId: "g1", batchId: "b-1", receivedAt: 1234, name: "level_up" });
		// Another game's stream saw nothing; a take empties the queue.
		expect(other.take()).toEqual({ events: [], dropped: 0 });
		expect(a.take()).toEqual({ events: [], dropped: 0 });
	});

	it("keeps only the events a stream's filter matches", () => {
		const hub = new LiveEventHub();
		const purchases = hub.subscribe({ gameId: "g1", userId: "u1", filter: { type: "purchase" } })!;
		const named = hub.subscribe({ gameId: "g1", userId: "u1", filter: { name: "shop_opened" } })!;
		hub.publish(
			"g1",
			batch([
				makeEvent({ id: "1", type: "purchase", name: "developer_product" }),
				makeEvent({ id: "2", type: "custom", name: "shop_opened" }),
				makeEvent({ id: "3", type: "custom", name: "level_up" }),
			]),
		);
		expect(purchases.take().events.map((e) => e.id)).toEqual(["1"]);
		expect(named.take().events.map((e) => e.id)).toEqual(["2"]);
	});

	it("keeps the newest events of a slow stream and counts the ones it dropped", () => {
		const hub = new LiveEventHub({ bufferSize: 5 });
		const slow = hub.subscribe({ gameId: "g1", userId: "u1" })!;
		hub.publish("g1", batch(makeEvents(4, "a"), "b-1"));
		hub.publish("g1", batch(makeEvents(4, "b"), "b-2"));
		const { events, dropped } = slow.take();
		expect(dropped).toBe(3);
		expect(events.map((e) => e.id)).toEqual(["a-0004", "b-0001", "b-0002", "b-0003", "b-0004"]);
	});

	it("caps open streams overall and per user; a closed stream frees its slot", () => {
		const hub = new LiveEventHub({ maxStreams: 3, maxStreamsPerUser: 2 });
		const first = hub.subscribe({ gameId: "g1", userId: "u1" })!;
		hub.subscribe({ gameId: "g2", userId: "u1" });
		expect(hub.subscribe({ gameId: "g1", userId: "u1" })).toBeUndefined();
		expect(hub.subscribe({ gameId: "g1", userId: "u2" })).toBeDefined();
		expect(hub.subscribe({ gameId: "g1", userId: "u3" })).toBeUndefined();
		expect(hub.streamCount).toBe(3);
		first.close();
		first.close();
		expect(hub.streamCount).toBe(2);
		expect(hub.subscribe({ gameId: "g1", userId: "u1" })).toBeDefined();
	});

	it("wakes a waiting stream on publish, and with false once it is closed", async () => {
		const hub = new LiveEventHub();
		const subscription = hub.subscribe({ gameId: "g1", userId: "u1" })!;
		const waiting = subscription.next();
		hub.publish("g1", batch());
		expect(await waiting).toBe(true);
		subscription.take();
		const ending = subscription.next();
		hub.close();
		expect(await ending).toBe(false);
		expect(await subscription.next()).toBe(false);
		expect(hub.streamCount).toBe(0);
		// Publishing after everyone left costs a lookup and changes nothing.
		hub.publish("g1", batch());
		expect(subscription.take()).toEqual({ events: [], dropped: 0 });
	});
});
