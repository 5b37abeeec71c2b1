import { describe, expect, it } from "vitest";
import { anomalyScores, detectAnomalies, theilSenSlope } from "./anomaly.js";
import { generateKpis } from "./synthetic-kpis.js";

const WEEKLY = [1.25, 0.96, 0.94, 0.95, 0.97, 1.08, 1.28];

describe("anomaly detection", () => {
	it("needs history before judging, and uses only the days before each day", () => {
		const series = Array.from({ length: 40 }, (_, t) => 1000 * WEEKLY[t % 7]!);
		const points = detectAnomalies(series);
		expect(points.slice(0, 21).every((p) => p === null)).toBe(true);
		const shocked = [...series];
		shocked[35] = 3000;
		const after = detectAnomalies(shocked);
		// Days before the shock are judged the same whether or not the shock is in the series.
		expect(after.slice(0, 35)).toEqual(points.slice(0, 35));
		expect(after[35]).toMatchObject({ anomaly: true, direction: "up" });
	});

	it("learns the weekday pattern: a busy Saturday is not an anomaly, a quiet one is", () => {
		const series = Array.from({ length: 70 }, (_, t) => 1000 * WEEKLY[t % 7]! * (1 + 0.01 * Math.sin(t)));
		const normal = detectAnomalies(series);
		expect(normal.filter((p) => p?.anomaly)).toEqual([]);
		const quiet = [...series];
		quiet[69] = 1000 * 0.95; // day 69 is a Saturday (index 6 of its week): a weekday's level is a 25% drop
		expect(detectAnomalies(quiet)[69]).toMatchObject({ anomaly: true, direction: "down" });
		expect(normal[69]!.expected).toBeCloseTo(series[69]!, -1);
	});

	it("follows a trend (Theil–Sen) instead of flagging growth", () => {
		const series = Array.from({ length: 90 }, (_, t) => 1000 * Math.exp(0.02 * t));
		expect(detectAnomalies(series).filter((p) => p?.anomaly)).toEqual([]);
		expect(theilSenSlope([0, 1, 2, 3, 4], [0, 1, 2, 30, 4])).toBe(1);
	});

	it("keeps a past anomaly from moving the baseline (robust statistics)", () => {
		const series = Array.from({ length: 60 }, (_, t) => 500 + 10 * Math.cos(t));
		series[40] = 5000;
		const points = detectAnomalies(series, { scale: "linear", minSpread: 1 });
		expect(points[40]?.anomaly).toBe(true);
		expect(points.slice(41).filter((p) => p?.anomaly)).toEqual([]);
	});

	it("judges rates on the logit scale and skips missing values", () => {
		const series = Array.from({ length: 40 }, () => 0.004);
		series[30] = 0.02;
		series[31] = NaN;
		const points = detectAnomalies(series, { scale: "logit" });
		expect(points[30]).toMatchObject({ anomaly: true, direction: "up" });
		expect(points[31]).toBeNull();
	});

	it("finds the injected anomalies of synthetic KPIs with precision and recall ≥ 0.9", () => {
		let tp = 0;
		let flagged = 0;
		let actual = 0;
		for (let seed = 1; seed <= 6; seed++) {
			for (const kpi of generateKpis({ seed })) {
				const points = detectAnomalies(kpi.values, { scale: kpi.scale });
				const s = anomalyScores(
					points.filter((p) => p?.anomaly).map((p) => p!.index),
					kpi.anomalies,
				);
				tp += s.truePositives;
				flagged += s.flagged;
				actual += s.actual;
			}
		}
		expect(tp / flagged).toBeGreaterThanOrEqual(0.9);
		expect(tp / actual).toBeGreaterThanOrEqual(0.9);
	});
});
