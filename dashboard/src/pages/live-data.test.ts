import { describe, expect, it } from "vitest";
import { EVENT_TYPES as SERVER_EVENT_TYPES } from "../../../server/ingest/schema.js";
import {
	EVENT_TYPES,
	addEvents,
	formatClock,
	keyProps,
	liveUrl,
	parseLiveMessage,
	playerLabel,
	rateSeries,
	rateSummary,
	recordArrivals,
	sparklinePoints,
	type ApiEvent,
} from "./live-data.js";

function event(id: string, time: number, overrides: Partial<ApiEvent> = {}): ApiEvent {
	return {
		id,
		time,
		userId: 7,
		sessionId: "s1",
		type: "custom",
		name: "level_up",
		props: {},
		gameId: "g1",
		batchId: "b1",
		receivedAt: time,
		...overrides,
	};
}

describe("the live stream's URL", () => {
	it.each([
		[{ type: "", name: "" }, "/v1/games/g1/events/live"],
		[{ type: "purchase", name: "" }, "/v1/games/g1/events/live?type=purchase"],
		[{ type: "", name: " shop opened " }, "/v1/games/g1/events/live?name=shop+opened"],
		[{ type: "custom", name: "a&b" }, "/v1/games/g1/events/live?type=custom&name=a%26b"],
	])("%j → %s", (filter, url) => {
		expect(liveUrl("g1", filter)).toBe(url);
	});

	it("offers exactly the server's event types", () => {
		expect([...EVENT_TYPES]).toEqual([...SERVER_EVENT_TYPES]);
	});
});

describe("parseLiveMessage", () => {
	it("reads an events message and ignores anything else", () => {
		expect(parseLiveMessage('{"events":[],"dropped":2}')).toEqual({ events: [], dropped: 2 });
		expect(parseLiveMessage('{"events":{}}')).toBeUndefined();
		expect(parseLiveMessage("not json")).toBeUndefined();
	});
});

describe("the rolling list", () => {
	it("puts the newest first, skips ids already shown and keeps at most max rows", () => {
		const first = addEvents([], [event("a", 1), event("b", 3), event("c", 2)]);
		expect(first.map((e) => e.id)).toEqual(["b", "c", "a"]);
		const second = addEvents(first, [event("b", 3), event("d", 4)], 3);
		expect(second.map((e) => e.id)).toEqual(["d", "b", "c"]);
	});

	it("orders events of the same time by id, newest id first", () => {
		expect(addEvents([], [event("x1", 5), event("x2", 5)]).map((e) => e.id)).toEqual(["x2", "x1"]);
	});
});

describe("the per-second rate", () => {
	it("counts arrivals per second and forgets seconds outside the window", () => {
		let counts = recordArrivals(new Map(), 10_000, 3);
		counts = recordArrivals(counts, 10_900, 2);
		counts = recordArrivals(counts, 12_100, 1);
		expect(rateSeries(counts, 12_500, 4)).toEqual([0, 5, 0, 1]);
		// 70 s later the first seconds have left the 60 s window.
		const later = recordArrivals(counts, 71_500, 0);
		expect([...later.keys()]).toEqual([12]);
		expect(rateSeries(later, 71_500)).toHaveLength(60);
	});

	it("summarises the series in words", () => {
		expect(rateSummary([0, 4, 2, 1])).toBe("1/s now, peak 4/s, average 1.8/s over the last 4 s (7 events).");
		expect(rateSummary([])).toBe("No data.");
	});

	it("draws the largest value at the top and zero at the bottom", () => {
		expect(sparklinePoints([0, 2, 1], 100, 20)).toBe("0,20 50,0 100,10");
		expect(sparklinePoints([0, 0], 10, 5)).toBe("0,5 10,5");
		expect(sparklinePoints([], 10, 5)).toBe("");
	});
});

describe("a row's cells", () => {
	it("shows the first props as key=value, cutting long values and counting the rest", () => {
		expect(keyProps({ level: 3, vip: true, note: null })).toBe("level=3 · vip=true · note=null");
		expect(keyProps({ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 })).toBe("a=1 · b=2 · c=3 · d=4 · +2 more");
		expect(keyProps({ text: "x".repeat(40) })).toBe(`text=${"x".repeat(31)}…`);
		expect(keyProps({})).toBe("");
	});

	it("names the game server's own events", () => {
		expect(playerLabel(0)).toBe("server");
		expect(playerLabel(1818)).toBe("1818");
	});

	it("shows a time of day to the millisecond", () => {
		const utc = new Intl.DateTimeFormat("en-GB", {
			hour: "2-digit",
			minute: "2-digit",
			second: "2-digit",
			fractionalSecondDigits: 3,
			hour12: false,
			timeZone: "UTC",
		});
		expect(formatClock(Date.UTC(2025, 0, 1, 14, 3, 12, 45), utc)).toBe("14:03:12.045");
	});
});
