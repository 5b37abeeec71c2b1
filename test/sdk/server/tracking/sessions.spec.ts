import { describe, expect, it } from "@rbxts/jest-globals";
import { DeviceInfo } from "../../../../src/shared/protocol";
import { fakePlayer, fakeSources, fakeTracking, SERVER_PROPS } from "./fakes";

const DESKTOP: DeviceInfo = {
	device: "desktop",
	touch: false,
	keyboard: true,
	mouse: true,
	gamepad: false,
	vr: false,
	tenFoot: false,
};

describe("player sessions", () => {
	it("start with the profile once lookups and device are in, and end with the duration on the virtual clock", () => {
		const { tracking, sink } = fakeTracking({}, { sources: fakeSources({ latency: 0.5 }) });
		const ada = fakePlayer(1001, { AccountAge: 420, premium: true, LocaleId: "de-de", country: "de" });
		const joinedAt = DateTime.now().UnixTimestampMillis;
		tracking.sessions.begin(ada);
		tracking.sessions.setDevice(1001, DESKTOP);
		expect(sink.ofType("session_start").size()).toBe(0);
		task.wait(0.6);
		const [start] = sink.ofType("session_start");
		expect(start).toMatchObject({ userId: 1001, name: "player", time: joinedAt });
		expect(start.props).toEqual({
			...SERVER_PROPS,
			accountAge: 420,
			premium: true,
			locale: "de-de",
			teleported: false,
			country: "DE",
			firstVisit: true,
			firstSeen: 1767225600,
			...DESKTOP,
		});
		task.wait(90);
		tracking.sessions.end(1001);
		const [finish] = sink.ofType("session_end");
		expect(finish.sessionId).toBe(start.sessionId);
		expect(math.abs((finish.props.duration as number) - 90.6) < 0.05).toBe(true);
		expect(math.abs(finish.time - start.time - (finish.props.duration as number) * 1000) < 1).toBe(true);
		expect(finish.props.country).toBe("DE");
	}, 120_000);

	it("do not hold events back: events tracked before session_start carry the session id", () => {
		const { tracking, sink } = fakeTracking({}, { sources: fakeSources({ latency: 1 }) });
		const ada = fakePlayer(1001);
		tracking.track(ada, "early");
		const [early] = sink.ofType("custom");
		expect(sink.ofType("session_start").size()).toBe(0);
		task.wait(3);
		expect(sink.ofType("session_start")[0].sessionId).toBe(early.sessionId);
	}, 10_000);

	it("send session_start after the wait without a device, and put late facts on session_end", () => {
		const { tracking, sink } = fakeTracking({ sessionStartWaitSeconds: 2 }, { sources: fakeSources({ latency: 5 }) });
		tracking.sessions.begin(fakePlayer(1001, { country: "FR" }));
		task.wait(2.1);
		const [start] = sink.ofType("session_start");
		expect(start.props.country).toBeUndefined();
		expect(start.props.firstVisit).toBeUndefined();
		expect(start.props.device).toBeUndefined();
		task.wait(4);
		tracking.sessions.setDevice(1001, DESKTOP);
		tracking.sessions.end(1001);
		const [finish] = sink.ofType("session_end");
		expect(finish.props).toMatchObject({ country: "FR", firstVisit: true, device: "desktop" });
		expect(sink.ofType("session_start").size()).toBe(1);
	}, 20_000);

	it("leave facts out when the lookups fail", () => {
		const { tracking, sink } = fakeTracking(
			{},
			{ sources: fakeSources({ countryFails: true, firstVisitFails: true }) },
		);
		tracking.sessions.begin(fakePlayer(1001));
		tracking.sessions.setDevice(1001, DESKTOP);
		const [start] = sink.ofType("session_start");
		expect(start.props.country).toBeUndefined();
		expect(start.props.firstVisit).toBeUndefined();
		expect(start.props.device).toBe("desktop");
	});

	it("report a returning player's first visit as false with the first date", () => {
		const sources = fakeSources({ firstVisit: () => ({ firstVisit: false, firstSeen: 1700000000 }) });
		const { tracking, sink } = fakeTracking({}, { sources });
		tracking.sessions.begin(fakePlayer(1001));
		tracking.sessions.setDevice(1001, DESKTOP);
		expect(sink.ofType("session_start")[0].props).toMatchObject({ firstVisit: false, firstSeen: 1700000000 });
	});

	it("send session_start before session_end when the player leaves during the lookups", () => {
		const { tracking, sink } = fakeTracking({}, { sources: fakeSources({ latency: 3 }) });
		tracking.sessions.begin(fakePlayer(1001));
		task.wait(1);
		tracking.sessions.end(1001);
		task.wait(5);
		expect(sink.all().map((e) => e.type)).toEqual(["session_start", "session_end"]);
		expect(math.abs((sink.all()[1].props.duration as number) - 1) < 0.05).toBe(true);
	}, 10_000);

	it("begin once per visit, and give events right after leaving the ended session", () => {
		const { tracking, sink } = fakeTracking();
		const ada = fakePlayer(1001);
		tracking.sessions.begin(ada);
		tracking.sessions.begin(ada);
		tracking.sessions.end(1001);
		tracking.track(ada, "saved_on_leave");
		const [start] = sink.ofType("session_start");
		expect(sink.ofType("custom")[0].sessionId).toBe(start.sessionId);
		expect(sink.ofType("session_start").size()).toBe(1);
		expect(tracking.stats().activeSessions).toBe(0);
		// A new visit is a new session.
		tracking.sessions.begin(ada);
		tracking.sessions.end(1001);
		const ends = sink.ofType("session_end");
		expect(ends.size()).toBe(2);
		expect(ends[1].sessionId).never.toBe(ends[0].sessionId);
	});

	it("end every session at shutdown, then the server session with its duration", () => {
		const { tracking, sink } = fakeTracking();
		tracking.start();
		tracking.sessions.begin(fakePlayer(1));
		tracking.sessions.begin(fakePlayer(2));
		task.wait(4);
		tracking.close();
		tracking.close();
		const types = sink.all().map((e) => `${e.type}:${e.name}:${e.userId}`);
		expect(types[0]).toBe("session_start:server:0");
		expect(types[types.size() - 1]).toBe("session_end:server:0");
		expect(sink.ofType("session_end").size()).toBe(3);
		const server = sink.ofType("session_end").find((e) => e.userId === 0)!;
		expect(server.props).toMatchObject(SERVER_PROPS);
		expect(math.abs((server.props.duration as number) - 4) < 0.05).toBe(true);
	}, 10_000);
});
