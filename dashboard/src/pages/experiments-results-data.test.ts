import { describe, expect, it } from "vitest";
import {
	alertText,
	breakdownRows,
	cupedText,
	decisionView,
	effectsRows,
	intervalText,
	planText,
} from "./experiments-results-data.js";
import type { BreakdownResults, ExperimentResults, GuardrailAlert } from "./experiments-types.js";

const effect = (value: number, lower: number, upper: number, pValue: number) => ({
	effect: value,
	stdError: 0.01,
	ci: { lower, upper },
	pValue,
	significant: pValue < 0.05,
	sequential: { ci: { lower, upper }, pValue, significant: pValue < 0.05 },
});
const relative = (value: number, lower: number, upper: number, pValue: number, reliable = true) => ({
	...effect(value, lower, upper, pValue),
	reliable,
	reliabilityNote: reliable ? "enough control conversions" : "only 3 control conversions: the delta method fails",
	robustCi: reliable ? null : { method: "fieller" as const, ci: { lower: -0.5, upper: null as unknown as number } },
});

/** A results document as the server sends it (nulls where numbers are not finite); only what the page reads. */
function results(overrides: Partial<ExperimentResults> = {}): ExperimentResults {
	return {
		experiment: "obby",
		metric: { key: "reached", type: "conversion", event: "World1:Level3" },
		role: "primary",
		difference: "relative",
		cuped: { applied: true, lookbackDays: 14, varianceReduction: 0.236, reason: null },
		comparisons: [
			{
				variation: "hard",
				absolute: effect(-0.05, -0.08, -0.02, 0.001),
				relative: relative(-0.1, -0.16, -0.04, 0.001),
				cuped: {
					theta: 0.4,
					varianceReduction: 0.236,
					unadjusted: { absolute: effect(-0.06, -0.1, -0.02, 0.004), relative: relative(-0.12, -0.2, -0.04, 0.004) },
				},
				regression: false,
			},
		],
		plan: { targetEffect: 0.05, plannedEnd: "2025-02-01T00:00:00.000Z", beforePlannedEnd: true, power: 0.42 },
		decision: { action: "ship", variation: "hard", reason: "winner", message: "hard wins.", method: "m" },
		guardrails: [],
		alerts: [],
		...overrides,
	} as unknown as ExperimentResults;
}

describe("decisionView", () => {
	it("says ship, stop or keep running in plain words with the server's reason", () => {
		expect(decisionView(results())).toEqual({
			action: "ship",
			headline: "Ship hard",
			message: "hard wins.",
			tone: "good",
		});
		const stop = {
			action: "stop",
			variation: "hard",
			reason: "guardrail-regression",
			message: "It harms d1.",
			method: "m",
		};
		expect(decisionView(results({ decision: stop } as Partial<ExperimentResults>))).toMatchObject({
			headline: "Stop — do not ship hard",
			tone: "bad",
		});
		const keep = {
			action: "keep-running",
			variation: null,
			reason: "keep-collecting",
			message: "Not yet.",
			method: "m",
		};
		expect(decisionView(results({ decision: keep } as Partial<ExperimentResults>))).toMatchObject({
			headline: "Keep it running",
			tone: "neutral",
		});
		expect(decisionView(results({ decision: null }))).toBeNull();
	});
});

describe("effectsRows", () => {
	it("puts absolute and relative side by side, with the comparison without CUPED", () => {
		const [row] = effectsRows(results());
		expect(row!.absolute).toEqual({ effect: "−5.0 pp", ci: "−8.0 pp to −2.0 pp", pValue: "0.001", significant: true });
		expect(row!.relative).toMatchObject({ effect: "−10.0%", ci: "−16.0% to −4.0%", reliable: true, robust: null });
		expect(row!.unadjusted!.absolute.effect).toBe("−6.0 pp");
		expect(row!.unadjusted!.relative.effect).toBe("−12.0%");
	});

	it("offers the interval that holds when the delta method's does not, unbounded ends said", () => {
		const base = results().comparisons[0]!;
		const unreliable = { ...base, relative: relative(-0.1, -0.16, -0.04, 0.001, false), cuped: null };
		const [row] = effectsRows(results({ comparisons: [unreliable] }));
		expect(row!.relative.reliable).toBe(false);
		expect(row!.relative.robust).toBe("−50.0% to +∞ (Fieller)");
		expect(row!.relative.note).toMatch(/delta method fails/);
		expect(row!.unadjusted).toBeNull();
	});
});

describe("intervalText", () => {
	it("says — when nothing is known and ∞ for an unbounded end", () => {
		expect(intervalText({ lower: null, upper: null }, "absolute", false)).toBe("—");
		expect(intervalText({ lower: null, upper: 2 }, "absolute", false)).toBe("−∞ to +2");
	});
});

describe("cupedText and planText", () => {
	it("says how much variance CUPED removed, or why it is off", () => {
		expect(cupedText(results())).toBe(
			"CUPED on: each player's reached over the 14 days before their first exposure removed 23.6% of the variance, " +
				"so intervals are narrower for the same players.",
		);
		expect(
			cupedText(results({ cuped: { applied: false, lookbackDays: 0, varianceReduction: null, reason: null } })),
		).toMatch(/^CUPED off/);
		expect(
			cupedText(
				results({ cuped: { applied: false, lookbackDays: 14, varianceReduction: null, reason: "quantile metric" } }),
			),
		).toBe("CUPED not applied: quantile metric.");
	});

	it("states the target effect, the power now and whether the planned end has come", () => {
		expect(planText(results())).toBe(
			"Target effect 5.0%; power to detect it now: 42.0%. Planned end 2025-02-01: fixed-horizon numbers read before " +
				"it are a peek; the sequential ones hold at any time.",
		);
		expect(
			planText(results({ plan: { targetEffect: null, plannedEnd: null, beforePlannedEnd: false, power: null } })),
		).toBeNull();
	});
});

describe("alertText", () => {
	it("names the variation, the metric, its direction and the always-valid numbers", () => {
		const alert: GuardrailAlert = {
			code: "guardrail-regression",
			experiment: "obby",
			metric: "d1",
			metricName: "Day-1 retention",
			direction: "higher",
			variation: "hard",
			absolute: { effect: -0.041, ci: { lower: -0.07, upper: -0.012 } },
			relative: { effect: -0.1, ci: { lower: -0.2, upper: -0.03 } },
			pValue: 0.004,
			message: "m",
		};
		expect(alertText(alert, { key: "d1", type: "retention", day: 1 })).toBe(
			"hard harms Day-1 retention (d1) (higher is better): −4.1 pp, −10.0% relative (always-valid 95% CI −7.0 pp to " +
				"−1.2 pp, p = 0.004).",
		);
	});
});

describe("breakdownRows", () => {
	it("gives a row per cell and treatment, unknown and merged cells named, small cells warned", () => {
		const cell = (value: string | null, kind: "value" | "unknown" | "other", merged: number, warnings: string[]) => ({
			value,
			kind,
			merged,
			units: 1234,
			variations: [],
			comparisons: [
				{
					variation: "hard",
					absolute: effect(-1.5, -2, -1, 0.01),
					relative: relative(-0.2, -0.3, -0.1, 0.01),
					adjustedPValue: 0.03,
					significant: true,
				},
			],
			warnings: warnings.map((message) => ({ code: "small-cell", message })),
		});
		const b = {
			metric: { key: "coins", type: "count", event: "source:Coins" },
			cells: [cell("IOS", "value", 1, []), cell(null, "unknown", 1, ["Few players."]), cell(null, "other", 3, [])],
		} as unknown as BreakdownResults;
		const rows = breakdownRows(b);
		expect(rows.map((r) => r.label)).toEqual(["IOS", "Unknown", "Other (3 values)"]);
		expect(rows[0]).toMatchObject({
			units: "1,234",
			variation: "hard",
			absolute: "−1.5",
			absoluteCi: "−2 to −1",
			relative: "−20.0%",
			adjustedPValue: "0.030",
			significant: true,
			warnings: [],
		});
		expect(rows[1]!.warnings).toEqual(["Few players."]);
	});
});
