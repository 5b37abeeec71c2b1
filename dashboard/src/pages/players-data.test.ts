import { describe, expect, it } from "vitest";
import type { ApiEvent } from "./live-data.js";
import { buildTimeline, formatWhen, parseUserId, playerEventsUrl } from "./players-data.js";

const T = Date.UTC(2025, 0, 5, 12);
let seq = 0;
function event(type: ApiEvent["type"], time: number, overrides: Partial<ApiEvent> = {}): ApiEvent {
	seq += 1;
	return {
		id: `e${String(time).padStart(14, "0")}${seq}`,
		time,
		userId: 42,
		sessionId: "s1",
		type,
		name: "player",
		props: {},
		gameId: "g1",
		batchId: "b1",
		receivedAt: time,
		...overrides,
	};
}

describe("parseUserId", () => {
	it.each([
		["1818", { userId: 1818 }],
		[" 42 ", { userId: 42 }],
		["", { error: expect.stringContaining("Enter") }],
		["12a", { error: expect.stringContaining("digits only") }],
		["-5", { error: expect.stringContaining("digits only") }],
		["9999999999999999", { error: expect.stringContaining("too large") }],
		["0", { error: expect.stringContaining("game server") }],
	])("%j → %j", (input, expected) => {
		expect(parseUserId(input)).toEqual(expected);
	});
});

describe("playerEventsUrl", () => {
	it("asks the events API for one player's events of the window, page by page", () => {
		expect(playerEventsUrl("g 1", 42, "7", T)).toBe(
			`/v1/games/g%201/events?userId=42&limit=1000&from=${T - 7 * 86_400_000}`,
		);
		expect(playerEventsUrl("g1", 42, "all", T, "e123")).toBe("/v1/games/g1/events?userId=42&limit=1000&after=e123");
	});
});

describe("buildTimeline", () => {
	const events = [
		// An older session on a phone, ended, with a purchase and an exposure.
		event("session_start", T, { props: { device: "phone", country: "DE", locale: "de-de", premium: false } }),
		event("exposure", T + 1000, { name: "difficulty", props: { variation: "hard", mode: "deterministic" } }),
		event("purchase", T + 2000, { name: "developer_product", props: { productId: 1001, robux: 49 } }),
		event("session_end", T + 600_000, { props: { device: "phone", country: "DE", duration: 598 } }),
		// A newer session on desktop, still open (no session_end), with a second purchase and the same variant.
		event("session_start", T + 86_400_000, {
			sessionId: "s2",
			props: { device: "desktop", country: "US", premium: true },
		}),
		event("exposure", T + 86_401_000, { sessionId: "s2", name: "difficulty", props: { variation: "hard" } }),
		event("custom", T + 86_430_000, { sessionId: "s2", name: "level_up", props: { level: 4 } }),
		event("purchase", T + 86_440_000, { sessionId: "s2", name: "developer_product", props: { robux: 99 } }),
	];

	it("groups sessions newest first, their events in time order whatever order they came in", () => {
		const timeline = buildTimeline(42, [...events].reverse());
		expect(timeline.sessions.map((s) => s.id)).toEqual(["s2", "s1"]);
		expect(timeline.sessions[1]!.events.map((e) => e.type)).toEqual([
			"session_start",
			"exposure",
			"purchase",
			"session_end",
		]);
		expect(timeline.eventCount).toBe(8);
		expect(timeline.firstSeen).toBe(T);
		expect(timeline.lastSeen).toBe(T + 86_440_000);
	});

	it("takes a session's length from session_end, else from its first to its last event", () => {
		const [open, ended] = buildTimeline(42, events).sessions;
		expect(ended).toMatchObject({ ended: true, seconds: 598, platform: "phone" });
		expect(open).toMatchObject({ ended: false, seconds: 40, platform: "desktop" });
	});

	it("reads the profile from the latest session that carries it", () => {
		const timeline = buildTimeline(42, events);
		expect(timeline).toMatchObject({ country: "US", platform: "desktop", locale: "de-de", premium: true });
	});

	it("lists purchases with the Robux spent, and each experiment's variants once", () => {
		const timeline = buildTimeline(42, events);
		expect(timeline.purchases.map((p) => [p.productId, p.robux])).toEqual([
			["1001", 49],
			[undefined, 99],
		]);
		expect(timeline.robuxSpent).toBe(148);
		expect(timeline.variants).toEqual([{ experiment: "difficulty", variations: ["hard"], firstExposed: T + 1000 }]);
		const switched = buildTimeline(42, [
			...events,
			event("exposure", T + 90_000_000, { name: "difficulty", props: { variation: "easy" } }),
		]);
		expect(switched.variants[0]!.variations).toEqual(["hard", "easy"]);
	});

	it("answers an empty timeline for a player without events", () => {
		expect(buildTimeline(7, [])).toMatchObject({
			eventCount: 0,
			firstSeen: null,
			lastSeen: null,
			sessions: [],
			robuxSpent: 0,
			country: undefined,
		});
	});

	it("formats a moment for text", () => {
		const utc = new Intl.DateTimeFormat("en-US", {
			year: "numeric",
			month: "short",
			day: "numeric",
			hour: "2-digit",
			minute: "2-digit",
			hour12: false,
			timeZone: "UTC",
		});
		expect(formatWhen(T, utc)).toBe("Jan 5, 2025, 12:00");
	});
});
