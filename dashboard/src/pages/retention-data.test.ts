import { describe, expect, it } from "vitest";
import type { Retention } from "../analytics-types.js";
import {
	answerDays,
	dayColumns,
	formatDaySet,
	hasCohorts,
	heatLevel,
	parseDaySet,
	retentionCurve,
	retentionRows,
} from "./retention-data.js";

const envelope = {
	metric: "retention",
	gameId: "g1",
	timeZone: "UTC",
	from: "2025-01-01",
	to: "2025-01-03",
	filters: [],
	source: "rollups" as const,
};

type Segment = Retention["segments"][number];

function segment(name: string | null, players: number, rates: (number | null)[][]): Segment {
	const days = [0, 1, 7];
	const cohorts = rates.map((row, i) => ({
		cohort: `2025-01-0${i + 1}`,
		players,
		days: days.map((day, j) => ({
			day,
			players: row[j] === null ? null : Math.round(row[j]! * players),
			rate: row[j] ?? null,
		})),
	}));
	return {
		segment: name,
		players: players * rates.length,
		average: days.map((day, j) => ({ day, players: 1, rate: rates[0]?.[j] ?? null })),
		cohorts,
	};
}

function answer(segments: Segment[], breakdown: string | null = null): Retention {
	return { ...envelope, breakdown, segments };
}

describe("retention day sets", () => {
	it("reads lists, ranges and both, sorted and distinct, as the API does", () => {
		expect(parseDaySet("1,7,30")).toEqual([1, 7, 30]);
		expect(parseDaySet("0-3")).toEqual([0, 1, 2, 3]);
		expect(parseDaySet("14, 0-2 ,1")).toEqual([0, 1, 2, 14]);
	});

	it("explains a set the API would refuse", () => {
		expect(parseDaySet("0-999")).toBe('"0-999": a range a-b needs a ≤ b ≤ 365');
		expect(parseDaySet("5-2")).toBe('"5-2": a range a-b needs a ≤ b ≤ 365');
		expect(parseDaySet("week")).toBe('"week" is not a day from 0 to 365');
		expect(parseDaySet("1,,2")).toBe('"" is not a day from 0 to 365');
		expect(parseDaySet("0-200")).toBe("at most 120 days");
	});

	it("writes runs of three or more days as a range, the rest as a list", () => {
		expect(formatDaySet([0, 1, 2, 3, 7, 14, 15])).toBe("0-3,7,14,15");
		expect(formatDaySet([1, 7, 30])).toBe("1,7,30");
		expect(formatDaySet(parseDaySet("0-30") as number[])).toBe("0-30");
	});
});

describe("the retention heatmap", () => {
	it("spreads rates over ten levels on a square-root scale, and leaves unknown cells unlevelled", () => {
		expect([0, 0.01, 0.04, 0.09, 0.25, 0.5, 0.81, 1].map(heatLevel)).toEqual([0, 1, 2, 3, 5, 7, 9, 9]);
		expect(heatLevel(null)).toBeNull();
		expect(heatLevel(-0.1)).toBe(0);
	});

	it("has the average first, then cohorts from the oldest, each cell with its rate and its players", () => {
		const s = segment(null, 20, [
			[1, 0.25, 0.1],
			[1, 0.5, null],
		]);
		s.cohorts.reverse();
		const rows = retentionRows(s);
		expect(rows.map((r) => [r.label, r.detail, r.summary ?? false])).toEqual([
			["All cohorts", "40", true],
			["Jan 1, 2025", "20", false],
			["Jan 2, 2025", "20", false],
		]);
		expect(rows[1]!.cells).toEqual([
			{ text: "100%", level: 9, title: "Day 0: 20 of 20 players" },
			{ text: "25%", level: 5, title: "Day 1: 5 of 20 players" },
			{ text: "10%", level: 3, title: "Day 7: 2 of 20 players" },
		]);
		expect(rows[2]!.cells[2]).toEqual({ text: "—", level: null, title: "Day 7 has not ended yet" });
		expect(dayColumns(answerDays(answer([s])))).toEqual(["Day 0", "Day 1", "Day 7"]);
	});
});

describe("the retention curve", () => {
	it("draws the average of the whole game, without the days not ended for any cohort", () => {
		const whole = retentionCurve(answer([segment(null, 10, [[1, 0.3, null]])]));
		expect(whole).toEqual({ x: [0, 1], series: [{ label: "All players", values: [1, 0.3] }], hidden: 0 });
	});

	it("draws the largest segments of a breakdown, the rest counted as hidden", () => {
		const many = Array.from({ length: 8 }, (_, i) => segment(`s${i}`, i + 1, [[1, 0.1 * i, 0.05]]));
		const curve = retentionCurve(answer(many, "country"));
		expect(curve.series.map((s) => s.label)).toEqual(["s7", "s6", "s5", "s4", "s3", "s2"]);
		expect(curve.x).toEqual([0, 1, 7]);
		expect(curve.hidden).toBe(2);
	});

	it("tells an answer without players apart", () => {
		expect(hasCohorts(answer([segment(null, 0, [])]))).toBe(false);
		expect(hasCohorts(answer([segment(null, 3, [[1, 0, 0]])]))).toBe(true);
	});
});
