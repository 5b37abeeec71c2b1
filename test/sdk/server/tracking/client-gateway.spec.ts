import { describe, expect, it } from "@rbxts/jest-globals";
import { ClientGateway } from "../../../../src/server/tracking/client-gateway";
import { TokenBucket } from "../../../../src/server/tracking/token-bucket";
import { ClientMessage } from "../../../../src/shared/protocol";
import { fakePlayer, fakeTracking } from "./fakes";

describe("token bucket", () => {
	it("allows a burst, then the refill rate", () => {
		const clock = { t: 0 };
		const bucket = new TokenBucket(3, 2, () => clock.t);
		const taken = [bucket.take(), bucket.take(), bucket.take(), bucket.take()];
		expect(taken).toEqual([true, true, true, false]);
		clock.t = 0.5;
		expect([bucket.take(), bucket.take()]).toEqual([true, false]);
		clock.t = 100;
		let n = 0;
		while (bucket.take()) n += 1;
		expect(n).toBe(3);
	});
});

/** A gateway on a hand-moved clock that records what it accepts and refuses. */
function gateway(burst = 5, perSecond = 1) {
	const clock = { t: 0 };
	const counters = { invalidCalls: 0, clientRejected: 0, clientRateLimited: 0 };
	const accepted = new Array<[number, ClientMessage]>();
	const refused = new Array<[number, string]>();
	const g = new ClientGateway(
		{ burst, perSecond },
		counters,
		(player, message) => accepted.push([player.UserId, message]),
		(player, reason) => refused.push([player.UserId, reason]),
		() => clock.t,
	);
	return { g, clock, counters, accepted, refused };
}

describe("client gateway", () => {
	const ada = fakePlayer(1001);

	it("accepts a valid event as a fresh copy without the fields a client adds", () => {
		const { g, accepted } = gateway();
		const payload = { kind: "event", name: "ui_click", props: { button: "shop" }, userId: 999, extra: true };
		g.receive(ada, payload);
		expect(accepted.size()).toBe(1);
		const [userId, message] = accepted[0];
		expect(userId).toBe(1001);
		expect(message).toEqual({ kind: "event", name: "ui_click", props: { button: "shop" } });
		expect(message.kind === "event" && message.props !== payload.props).toBe(true);
	});

	it("refuses and counts malformed messages, each reported", () => {
		const { g, counters, refused, accepted } = gateway(100);
		// (no nil in the list: a Luau array stops at its first nil)
		const bad: unknown[] = [
			"event",
			{ kind: "purchase", name: "x" },
			{ kind: "event", name: "" },
			{ kind: "event", name: "x", props: { deep: { a: 1 } } },
			{ kind: "event", name: "x", props: { s: string.rep("a", 2000) } },
			{ kind: "device", device: { device: "fridge" } },
			{ kind: "error", message: 5, stack: "" },
		];
		for (const message of bad) g.receive(ada, message);
		g.receive(ada, undefined);
		expect(accepted.size()).toBe(0);
		expect(counters.clientRejected).toBe(bad.size() + 1);
		expect(refused.size()).toBe(bad.size() + 1);
	});

	it("rate-limits each player with a token bucket, counting every refusal and reporting each flood once", () => {
		const { g, clock, counters, accepted, refused } = gateway(5, 1);
		const bob = fakePlayer(2002);
		for (let i = 0; i < 100; i++) g.receive(ada, { kind: "event", name: "spam" });
		g.receive(bob, { kind: "event", name: "fine" });
		expect(accepted.size()).toBe(6);
		expect(counters.clientRateLimited).toBe(95);
		expect(refused).toEqual([[1001, "rate limited"]]);
		clock.t = 2;
		g.receive(ada, { kind: "event", name: "later" });
		expect(accepted.size()).toBe(7);
	});

	it("records client events for the sender with the client marker, and the device on the session", () => {
		const { tracking, sink } = fakeTracking();
		tracking.sessions.begin(ada);
		tracking.gateway.receive(ada, { kind: "event", name: "ui_click", props: { button: "shop" }, userId: 999 });
		tracking.gateway.receive(ada, {
			kind: "device",
			device: {
				device: "phone",
				touch: true,
				keyboard: false,
				mouse: false,
				gamepad: false,
				vr: false,
				tenFoot: false,
			},
		});
		const [event] = sink.ofType("custom");
		expect(event).toMatchObject({ userId: 1001, name: "ui_click" });
		expect(event.props).toEqual({ button: "shop", client: true });
		expect(sink.ofType("session_start")[0].props).toMatchObject({ device: "phone", touch: true });
		expect(
			sink
				.all()
				.filter((e) => e.userId === 999)
				.size(),
		).toBe(0);
	});
});
