import { describe, expect, it } from "@rbxts/jest-globals";
import { anchoredClock } from "../../../../src/server/tracking/clock";

/** Hand-moved clocks: `unix` in ms (and how often it was read), `seconds` like os.clock. */
function clocks(unix: number, seconds: number) {
	const c = { unix, seconds, unixReads: 0 };
	const now = anchoredClock(
		() => {
			c.unixReads += 1;
			return c.unix;
		},
		() => c.seconds,
		1,
	);
	return { c, now };
}

describe("anchoredClock", () => {
	it("reads unix time once, then counts whole milliseconds of the seconds clock", () => {
		const { c, now } = clocks(1767225600000, 50);
		expect(now()).toBe(1767225600000);
		c.seconds = 50.0125;
		expect(now()).toBe(1767225600012);
		c.seconds = 50.9999;
		expect(now()).toBe(1767225600999);
		expect(c.unixReads).toBe(1);
	});

	it("re-anchors once a second has passed, following a correction of the unix clock", () => {
		const { c, now } = clocks(1767225600000, 50);
		c.seconds = 51;
		c.unix = 1767225600000 + 1000 - 40;
		expect(now()).toBe(1767225600960);
		c.seconds = 51.5;
		expect(now()).toBe(1767225601460);
		expect(c.unixReads).toBe(2);
	});

	it("re-anchors when the seconds clock goes backwards", () => {
		const { c, now } = clocks(1767225600000, 50);
		c.seconds = 10;
		c.unix = 1767225600100;
		expect(now()).toBe(1767225600100);
		expect(c.unixReads).toBe(2);
	});

	it("follows the harness's virtual clock as DateTime does", () => {
		const now = anchoredClock();
		const before = DateTime.now().UnixTimestampMillis;
		task.wait(0.5);
		const read = now();
		expect(math.abs(read - DateTime.now().UnixTimestampMillis) <= 1).toBe(true);
		expect(read - before >= 499).toBe(true);
	}, 5_000);
});
