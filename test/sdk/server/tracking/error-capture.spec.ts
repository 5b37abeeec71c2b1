import { describe, expect, it } from "@rbxts/jest-globals";
import { ErrorCapture, ErrorReport } from "../../../../src/server/tracking/error-capture";
import { MAX_PROP_STRING_LENGTH } from "../../../../src/shared/protocol";
import { fakePlayer, fakeTracking } from "./fakes";

/** An ErrorCapture on a clock the spec moves by hand. */
function capture(maxPerMinute = 30, repeatSeconds = 60) {
	const clock = { t: 0 };
	const reports = new Array<ErrorReport>();
	const c = new ErrorCapture(
		{ maxPerMinute, repeatSeconds },
		() => clock.t,
		(r) => reports.push(r),
	);
	return { c, clock, reports };
}

describe("error capture", () => {
	it("sends the same error once per window and its repeats with the next report", () => {
		const { c, clock, reports } = capture();
		for (let i = 0; i < 100; i++) c.capture("server", 0, "Main:3: boom", "Main:3", "ServerScriptService.Main");
		expect(reports.size()).toBe(1);
		expect(reports[0].props).toEqual({
			side: "server",
			message: "Main:3: boom",
			stack: "Main:3",
			repeats: 0,
			script: "ServerScriptService.Main",
		});
		clock.t = 59;
		c.capture("server", 0, "Main:3: boom", "Main:3");
		expect(reports.size()).toBe(1);
		clock.t = 61;
		c.capture("server", 0, "Main:3: boom", "Main:3");
		expect(reports.size()).toBe(2);
		expect(reports[1].props.repeats).toBe(100);
		expect(c.reported).toBe(2);
		expect(c.suppressed).toBe(100);
	});

	it("tells errors apart by side, message and stack", () => {
		const { c, reports } = capture();
		c.capture("server", 0, "boom", "a");
		c.capture("server", 0, "boom", "b");
		c.capture("server", 0, "bang", "a");
		c.capture("client", 5, "boom", "a");
		expect(reports.size()).toBe(4);
		expect(reports[3]).toMatchObject({ side: "client", userId: 5 });
	});

	it("caps error events per minute and sends what was held back once the cap refills", () => {
		const { c, clock, reports } = capture(10);
		for (let i = 1; i <= 50; i++) c.capture("server", 0, `error ${i}`, "");
		expect(reports.size()).toBe(10);
		expect(c.suppressed).toBe(40);
		// The bucket refills at 10 per minute: one more after 6 seconds, and error 11 reports its held-back occurrence.
		clock.t = 7;
		c.capture("server", 0, "error 11", "");
		expect(reports.size()).toBe(11);
		expect(reports[10].props).toMatchObject({ message: "error 11", repeats: 1 });
	});

	it("clips long messages and stacks to the prop limit", () => {
		const { c, reports } = capture();
		c.capture("server", 0, string.rep("m", 5000), string.rep("s", 5000));
		expect((reports[0].props.message as string).size()).toBe(MAX_PROP_STRING_LENGTH);
		expect((reports[0].props.stack as string).size()).toBe(MAX_PROP_STRING_LENGTH);
	});

	it("becomes error events: server errors in the server session, client errors in the player's", () => {
		const { tracking, sink } = fakeTracking();
		tracking.start();
		tracking.errors.capture("server", 0, "boom", "trace");
		const ada = fakePlayer(1001);
		tracking.track(ada, "x");
		tracking.errors.capture("client", 1001, "ui broke", "trace");
		tracking.close();
		const [server, client] = sink.ofType("error");
		expect(server).toMatchObject({ userId: 0, type: "error", name: "server_error" });
		expect(server.sessionId).toBe(sink.ofType("session_start")[0].sessionId);
		expect(client).toMatchObject({ userId: 1001, name: "client_error" });
		expect(client.sessionId).toBe(sink.ofType("custom")[0].sessionId);
		expect(tracking.stats()).toMatchObject({ errorsReported: 2, errorsSuppressed: 0 });
	});
});
