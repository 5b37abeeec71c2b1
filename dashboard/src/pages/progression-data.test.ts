import { describe, expect, it } from "vitest";
import type { Progression } from "../analytics-types.js";
import {
	countsChart,
	hasLevels,
	levelRows,
	MAX_LEVELS,
	progressionSize,
	ratesChart,
	sortLevels,
} from "./progression-data.js";

type Segment = Progression["segments"][number];

function level(path: string, starts: number, completes: number, fails: number) {
	return {
		path,
		starts,
		completes,
		fails,
		completionRate: starts ? completes / starts : null,
		failRate: starts ? fails / starts : null,
		attemptsToComplete: completes ? 1.25 : null,
		meanSecondsToComplete: completes ? 200 : null,
	};
}

const segment: Segment = {
	segment: null,
	levels: [level("World1:Level10", 4, 1, 3), level("World1:Level2", 10, 6, 2), level("World1:Level1", 20, 15, 5)],
};

describe("progression numbers", () => {
	it("orders levels as they are played: Level2 before Level10", () => {
		expect(sortLevels(segment.levels).map((l) => l.path)).toEqual(["World1:Level1", "World1:Level2", "World1:Level10"]);
		expect(progressionSize(segment)).toBe(34);
	});

	it("draws starts, completes and fails, and the rates, as grouped bars per level", () => {
		const counts = countsChart(segment);
		expect(counts.labels).toEqual(["World1:Level1", "World1:Level2", "World1:Level10"]);
		expect(counts.series).toEqual([
			{ label: "Starts", values: [20, 10, 4], bars: true },
			{ label: "Completes", values: [15, 6, 1], bars: true },
			{ label: "Fails", values: [5, 2, 3], bars: true },
		]);
		expect(ratesChart(segment).series[0]!.values).toEqual([0.75, 0.6, 0.25]);
	});

	it("draws at most the first levels, counting the rest", () => {
		const many: Segment = {
			segment: null,
			levels: Array.from({ length: MAX_LEVELS + 3 }, (_, i) => level(`L${i + 1}`, 1, 1, 0)),
		};
		const chart = countsChart(many);
		expect(chart.labels).toHaveLength(MAX_LEVELS);
		expect(chart.labels.at(-1)).toBe(`L${MAX_LEVELS}`);
		expect(chart.hidden).toBe(3);
	});

	it("tabulates every level with rates, attempts and time", () => {
		expect(levelRows(segment)[0]!.cells).toEqual(["World1:Level1", "20", "15", "5", "75%", "25%", "1.3", "3 min 20 s"]);
		expect(levelRows({ segment: null, levels: [level("X", 0, 0, 0)] })[0]!.cells.slice(4)).toEqual([
			"—",
			"—",
			"—",
			"—",
		]);
		expect(hasLevels({ segments: [segment] } as Progression)).toBe(true);
		expect(hasLevels({ segments: [{ segment: null, levels: [] }] } as unknown as Progression)).toBe(false);
	});
});
