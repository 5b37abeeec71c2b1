import { describe, expect, it } from "vitest";
import {
	FEATURE_NAMES,
	allPlayerFeatures,
	featureVector,
	groupByPlayer,
	playerFeatures,
	type FeatureEvent,
} from "./features.js";

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);

function ev(
	type: string,
	day: number,
	minute: number,
	props: FeatureEvent["props"] = {},
	sessionId = "s",
): FeatureEvent {
	return {
		userId: 7,
		sessionId,
		type,
		name: type === "progression" ? "level" : "player",
		time: T0 + day * DAY + minute * 60_000,
		props,
	};
}

/** A session on `day` of `minutes` minutes with id `id`. */
function session(day: number, minutes: number, id: string, device = "phone"): FeatureEvent[] {
	return [ev("session_start", day, 0, { device }, id), ev("session_end", day, minutes, { duration: minutes * 60 }, id)];
}

describe("playerFeatures", () => {
	// Sessions of 10, 20, 30, 40 and 5 minutes on days 0, 1, 3, 3 and 5; cut-off at day 7.
	const events: FeatureEvent[] = [
		...session(0, 10, "a", "desktop"),
		...session(1, 20, "b"),
		...session(3, 30, "c"),
		ev("progression", 3, 5, { status: "complete" }, "c"),
		ev("progression", 3, 6, { status: "fail" }, "c"),
		ev("purchase", 3, 7, { robux: 99 }, "c"),
		ev("purchase", 3, 8, { robux: "not a number" }, "c"),
		...session(3, 40, "d"),
		...session(5, 5, "e"),
	];
	const cutoff = T0 + 7 * DAY;

	it("computes recency, frequency, sessions, progression and spend from hand-built rows", () => {
		const f = playerFeatures(7, events, cutoff)!;
		expect(f.daysSinceLast).toBeCloseTo(7 - (5 + 5 / 1440), 12);
		expect(f.cohortAgeDays).toBe(7);
		expect(f.activeDays).toBe(4);
		expect(f.events).toBe(events.length);
		expect(f.sessions).toBe(5);
		expect(f.meanSessionMinutes).toBe((10 + 20 + 30 + 40 + 5) / 5);
		expect(f.completions).toBe(1);
		expect(f.purchases).toBe(2);
		expect(f.spendRobux).toBe(99);
		expect(f.platform).toBe("phone");
	});

	it("takes the session trend as the last three sessions' mean minus the earlier ones', in time order", () => {
		// Last three: 30, 40, 5 (mean 25); earlier: 10, 20 (mean 15) → +10, even with the rows shuffled.
		const shuffled = [...events].reverse();
		expect(playerFeatures(7, shuffled, cutoff)!.sessionTrendMinutes).toBeCloseTo(10, 12);
		expect(playerFeatures(7, session(0, 10, "a"), cutoff)!.sessionTrendMinutes).toBe(0);
	});

	it("ignores everything at or after the cut-off", () => {
		const f = playerFeatures(
			7,
			[...events, ...session(7, 60, "future", "console"), ev("purchase", 8, 0, { robux: 500 })],
			cutoff,
		)!;
		expect(f).toEqual(playerFeatures(7, events, cutoff));
		expect(playerFeatures(7, session(9, 10, "z"), cutoff)).toBeUndefined();
	});

	it("counts frequency in the look-back window but spend and cohort age over the whole history", () => {
		const f = playerFeatures(7, events, cutoff, { lookbackDays: 3 })!;
		// Window [day 4, day 7): only session e.
		expect(f.activeDays).toBe(1);
		expect(f.sessions).toBe(1);
		expect(f.completions).toBe(0);
		expect(f.spendRobux).toBe(99);
		expect(f.cohortAgeDays).toBe(7);
	});

	it("maps an unknown device to unknown and one-hot encodes the platform", () => {
		const f = playerFeatures(7, session(0, 10, "a", "toaster"), cutoff)!;
		expect(f.platform).toBe("unknown");
		const v = featureVector(f);
		expect(v).toHaveLength(FEATURE_NAMES.length);
		expect(v.slice(-5)).toEqual([0, 0, 0, 0, 0]);
		expect(featureVector(playerFeatures(7, events, cutoff)!).slice(-5)).toEqual([0, 1, 0, 0, 0]);
	});
});

describe("groupByPlayer / allPlayerFeatures", () => {
	it("skips server events (userId 0) and players with nothing before the cut-off", () => {
		const rows: FeatureEvent[] = [
			{ ...ev("custom", 0, 0), userId: 0 },
			{ ...ev("custom", 0, 0), userId: 1 },
			{ ...ev("custom", 9, 0), userId: 2 },
		];
		expect([...groupByPlayer(rows).keys()]).toEqual([1, 2]);
		expect(allPlayerFeatures(rows, T0 + 7 * DAY).map((f) => f.userId)).toEqual([1]);
	});
});
