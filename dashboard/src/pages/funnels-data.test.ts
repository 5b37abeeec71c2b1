import { describe, expect, it } from "vitest";
import type { EventNamesAnswer, Funnel } from "../analytics-types.js";
import {
	funnelChart,
	funnelChoice,
	funnelQuery,
	funnelRows,
	hasEntries,
	stepOptions,
	windowDays,
	type FunnelParams,
} from "./funnels-data.js";

const names: EventNamesAnswer = {
	gameId: "g1",
	from: null,
	to: null,
	events: [
		{ event: "session_start:player", type: "session_start", name: "player", events: 1200, lastDate: "2025-01-03" },
		{ event: "funnel:onboarding", type: "funnel", name: "onboarding", events: 900, lastDate: "2025-01-03" },
		{ event: "custom:shop_opened", type: "custom", name: "shop_opened", events: 300, lastDate: "2025-01-02" },
	],
	funnels: [
		{ name: "onboarding", events: 900 },
		{ name: "tutorial", events: 5 },
	],
};
const none: EventNamesAnswer = { ...names, events: [], funnels: [] };
const params = (p: Partial<FunnelParams>): FunnelParams => ({
	source: "tracked",
	funnel: "",
	steps: [],
	window: "14",
	...p,
});

function step(n: number, name: string, players: number, previous: number, entered: number) {
	return {
		step: n,
		name,
		players,
		conversionRate: players / entered,
		stepConversionRate: n === 1 ? 1 : players / previous,
		dropOff: n === 1 ? 0 : previous - players,
		medianSecondsFromPrevious: n === 1 ? null : 90,
		medianSecondsFromStart: n === 1 ? null : 90 * (n - 1),
	};
}

function funnel(segments: { segment: string | null; counts: number[] }[]): Funnel {
	return {
		metric: "funnel",
		gameId: "g1",
		timeZone: "UTC",
		from: "2025-01-01",
		to: "2025-01-03",
		breakdown: segments[0]?.segment === null ? null : "country",
		filters: [],
		source: "rollups",
		segments: segments.map((s) => ({
			segment: s.segment,
			entered: s.counts[0] ?? 0,
			completed: s.counts.at(-1) ?? 0,
			conversionRate: s.counts[0] ? s.counts.at(-1)! / s.counts[0] : null,
			medianSecondsToConvert: 180,
			steps: ["spawned", "first level", "opened shop"].map((name, i) =>
				step(i + 1, name, s.counts[i] ?? 0, s.counts[i - 1] ?? 0, s.counts[0] ?? 1),
			),
		})),
	};
}

describe("which funnel the view asks for", () => {
	it("1. takes steps from events when at least two are chosen, else asks for more", () => {
		expect(funnelChoice(params({ source: "events", steps: ["a", "b"] }), names)).toEqual({
			kind: "steps",
			steps: ["a", "b"],
		});
		expect(funnelChoice(params({ source: "events", steps: ["a", ""] }), names)).toEqual({
			kind: "none",
			reason: "few-steps",
		});
	});

	it("2-3. takes the tracked funnel named, else the game's first", () => {
		expect(funnelChoice(params({ funnel: "tutorial" }), names)).toEqual({ kind: "funnel", funnel: "tutorial" });
		expect(funnelChoice(params({}), names)).toEqual({ kind: "funnel", funnel: "onboarding" });
	});

	it("4. has nothing to ask for a game without funnels", () => {
		expect(funnelChoice(params({}), none)).toEqual({ kind: "none", reason: "no-funnels" });
	});

	it("asks the API with a window inside its bounds", () => {
		expect(funnelQuery({ kind: "funnel", funnel: "onboarding" }, "7")).toEqual({ funnel: "onboarding", window: "7" });
		expect(funnelQuery({ kind: "steps", steps: ["a", "custom:b"] }, "500")).toEqual({
			steps: "a,custom:b",
			window: "14",
		});
		expect([windowDays("0"), windowDays("90"), windowDays("2.5"), windowDays("x")]).toEqual([14, 90, 14, 14]);
	});

	it("offers every event but funnel steps as a step, most frequent first", () => {
		expect(stepOptions(names)).toEqual([
			{ value: "session_start:player", label: "session_start:player (1,200)" },
			{ value: "custom:shop_opened", label: "custom:shop_opened (300)" },
		]);
	});
});

describe("the funnel's chart and table", () => {
	it("draws players per step as bars, one series per segment, the largest first", () => {
		const chart = funnelChart(
			funnel([
				{ segment: "BR", counts: [10, 5, 1] },
				{ segment: "US", counts: [40, 20, 8] },
			]),
		);
		expect(chart.labels).toEqual(["1. spawned", "2. first level", "3. opened shop"]);
		expect(chart.x).toEqual([0, 1, 2]);
		expect(chart.series).toEqual([
			{ label: "US", values: [40, 20, 8], bars: true },
			{ label: "BR", values: [10, 5, 1], bars: true },
		]);
	});

	it("lists players, conversion, drop-off and times per step; step 1 has no previous", () => {
		const rows = funnelRows(funnel([{ segment: null, counts: [40, 20, 8] }]).segments[0]!);
		expect(rows.map((r) => r.cells)).toEqual([
			["1. spawned", "40", "100%", "—", "—", "—", "—"],
			["2. first level", "20", "50%", "50%", "20", "1 min 30 s", "1 min 30 s"],
			["3. opened shop", "8", "20%", "40%", "12", "1 min 30 s", "3 min 0 s"],
		]);
	});

	it("tells a funnel nobody entered apart", () => {
		expect(hasEntries(funnel([{ segment: null, counts: [0, 0, 0] }]))).toBe(false);
		expect(hasEntries(funnel([{ segment: null, counts: [1, 0, 0] }]))).toBe(true);
	});
});
