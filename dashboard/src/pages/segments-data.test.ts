import { describe, expect, it } from "vitest";
import { bySize, dailyBySegment, pickSegment, segmentLabel, trimTrailingGaps } from "./segments-data.js";

const segments = [
	{ segment: "DE", size: 5 },
	{ segment: "BR", size: 9 },
	{ segment: "US", size: 9 },
];

describe("segments of a breakdown", () => {
	it("orders by size, ties by name, and names the whole game", () => {
		expect(bySize(segments, (s) => s.size).map((s) => s.segment)).toEqual(["BR", "US", "DE"]);
		expect(segmentLabel(null)).toBe("All players");
	});

	it("picks the segment asked for, else the largest", () => {
		expect(pickSegment(segments, "DE", (s) => s.size)?.segment).toBe("DE");
		expect(pickSegment(segments, "FR", (s) => s.size)?.segment).toBe("BR");
		expect(pickSegment([{ segment: null }], "", () => 0)?.segment).toBeNull();
		expect(pickSegment([], "", () => 0)).toBeUndefined();
	});

	it("draws a daily line per segment, the largest six", () => {
		const many = Array.from({ length: 7 }, (_, i) => ({
			segment: `s${i}`,
			days: [
				{ date: "2025-01-01", v: i },
				{ date: "2025-01-02", v: null },
			],
		}));
		const chart = dailyBySegment(
			many,
			(s) => Number(s.segment.slice(1)),
			(s) => s.days,
			(d) => d.v,
		);
		expect(chart.x).toEqual([Date.UTC(2025, 0, 1) / 1000, Date.UTC(2025, 0, 2) / 1000]);
		expect(chart.series[0]).toEqual({ label: "s6", values: [6, null] });
		expect(chart.series).toHaveLength(6);
		expect(chart.hidden).toBe(1);
	});

	it("trims the days no series has a value for yet, keeping two points", () => {
		const data = {
			x: [0, 1, 7, 30],
			series: [
				{ label: "a", values: [1, 0.5, null, null] },
				{ label: "b", values: [1, null, 0.2, null] },
			],
		};
		expect(trimTrailingGaps(data).x).toEqual([0, 1, 7]);
		expect(trimTrailingGaps(data).series[1]!.values).toEqual([1, null, 0.2]);
		expect(trimTrailingGaps({ x: [0, 1, 2], series: [{ values: [null, null, null] }] }).x).toEqual([0, 1]);
	});
});
