import { describe, expect, it } from "vitest";
import {
	ciPlot,
	experimentRows,
	experimentsViewSearch,
	formatEffect,
	formatPValue,
	metricLabel,
	niceTicks,
	parseExperimentsView,
	plainWarnings,
	resultRows,
	sequentialText,
	trendSeries,
} from "./experiments-data.js";
import type { Experiment, ExperimentResults, Exposures } from "./experiments-types.js";

const NOW = Date.UTC(2025, 0, 20);

function experiment(overrides: Partial<Experiment>): Experiment {
	return {
		gameId: "1818",
		key: "exp",
		status: "draft",
		name: "exp",
		description: "",
		variations: [
			{ key: "control", name: "control", weight: 0.5 },
			{ key: "treatment", name: "treatment", weight: 0.5 },
		],
		coverage: 1,
		hashAttribute: "id",
		seed: "exp",
		hashVersion: 2,
		namespace: null,
		condition: null,
		assignment: { mode: "deterministic" },
		startAt: null,
		endAt: null,
		primaryMetric: null,
		guardrailMetrics: [],
		forcedVariations: {},
		adaptive: null,
		targetEffect: null,
		plannedDays: null,
		plannedEnd: null,
		createdAt: "2025-01-01T00:00:00.000Z",
		updatedAt: "2025-01-01T00:00:00.000Z",
		...overrides,
	};
}

/** A results document as the server sends it: two arms of a conversion metric (nulls where numbers are not finite). */
function results(overrides: Partial<ExperimentResults> = {}): ExperimentResults {
	const stat = { method: "m", assumptions: [], warnings: [] };
	return {
		experiment: "obby",
		metric: { key: "reached", type: "conversion", event: "World1:Level3" },
		from: "2025-01-01T00:00:00.000Z",
		to: "2025-01-05T00:00:00.000Z",
		difference: "relative",
		variations: [
			{ index: 0, key: "classic", n: 1000, sum: 500, sumSquares: 500, mean: 0.5 },
			{ index: 1, key: "hard", n: 980, sum: 392, sumSquares: 392, mean: 0.4 },
		],
		srm: { ...stat, statistic: 0.2, df: 1, pValue: 0.65, flagged: false, expected: [990, 990] },
		comparisons: [
			{
				variation: "hard",
				frequentist: {
					...stat,
					difference: "relative",
					effect: -0.2,
					stdError: 0.04,
					ci: { lower: -0.28, upper: -0.12 },
					pValue: 0.00001,
					statistic: -5,
					df: Infinity,
					alpha: 0.05,
					significant: true,
					control: { n: 1000, mean: 0.5, variance: 0.25 },
					treatment: { n: 980, mean: 0.4, variance: 0.24 },
				},
				bayesian: {
					...stat,
					chanceToWin: 0.0001,
					expectedLoss: { control: 0, treatment: 0.1 },
					control: { alpha: 501, beta: 501, mean: 0.5, ci: { lower: 0.47, upper: 0.53 } },
					treatment: { alpha: 393, beta: 589, mean: 0.4, ci: { lower: 0.37, upper: 0.43 } },
					absolute: { mean: -0.1, stdError: 0.02, stdDev: 0.02, ci: { lower: -0.14, upper: -0.06 } },
					relative: { mean: -0.2, stdDev: 0.04, ci: { lower: -0.28, upper: -0.12 } },
					alpha: 0.05,
				},
				sequential: {
					...stat,
					difference: "relative",
					effect: -0.2,
					stdError: 0.04,
					ci: { lower: -0.35, upper: -0.05 },
					pValue: 0.004,
					alpha: 0.05,
					significant: true,
					tuningParameter: 5000,
					rho: 0.01,
					control: { n: 1000, mean: 0.5, variance: 0.25 },
					treatment: { n: 980, mean: 0.4, variance: 0.24 },
				},
				adjustedPValue: 0.00001,
			},
		],
		correction: null,
		excluded: { multipleVariations: 0, unknownVariation: 0 },
		warnings: [],
		timeSeries: [
			{
				date: "2025-01-01",
				variations: [
					{ key: "classic", units: 10, mean: 0.6 },
					{ key: "hard", units: 0, mean: 0 },
				],
				comparisons: [],
			},
			{
				date: "2025-01-02",
				variations: [
					{ key: "classic", units: 1000, mean: 0.5 },
					{ key: "hard", units: 980, mean: 0.4 },
				],
				comparisons: [],
			},
		],
		...overrides,
	} as ExperimentResults;
}

describe("the view in the query", () => {
	it("reads results, edit and new, and falls back to the list", () => {
		expect(parseExperimentsView("?page=experiments&experiment=obby_difficulty")).toEqual({
			view: "results",
			key: "obby_difficulty",
		});
		expect(parseExperimentsView("?experiment=obby&action=edit")).toEqual({ view: "edit", key: "obby" });
		expect(parseExperimentsView("?action=new")).toEqual({ view: "new" });
		expect(parseExperimentsView("?experiment=bad%20key")).toEqual({ view: "list" });
		expect(parseExperimentsView("")).toEqual({ view: "list" });
	});

	it("writes a view beside the shell's parameters, and round-trips", () => {
		const search = "?page=experiments&game=1818&experiment=old";
		expect(experimentsViewSearch(search, { view: "edit", key: "shop" })).toBe(
			"?page=experiments&game=1818&experiment=shop&action=edit",
		);
		expect(experimentsViewSearch(search, { view: "list" })).toBe("?page=experiments&game=1818");
		for (const view of [{ view: "new" }, { view: "results", key: "a.b-c_d" }, { view: "list" }] as const) {
			expect(parseExperimentsView(experimentsViewSearch("?page=experiments", view))).toEqual(view);
		}
	});
});

describe("experimentRows", () => {
	it("puts running ones first, then drafts, then stopped ones, with their exposures", () => {
		const exposures: Exposures = {
			experiment: "live",
			from: "",
			to: "",
			units: 1234,
			variations: [
				{ key: "control", units: 600 },
				{ key: "treatment", units: 634 },
			],
			excluded: { multipleVariations: 0, unknownVariation: 0 },
			daily: [],
		};
		const rows = experimentRows(
			[
				experiment({ key: "old", status: "stopped", startAt: "2025-01-02T10:00:00.000Z" }),
				experiment({ key: "idea" }),
				experiment({
					key: "live",
					name: "Live test",
					status: "running",
					startAt: "2025-01-05T10:00:00.000Z",
					variations: [
						{ key: "a", name: "a", weight: 0.25 },
						{ key: "b", name: "b", weight: 0.75 },
					],
					primaryMetric: { key: "d1", type: "retention", day: 1 },
				}),
				experiment({ key: "later", status: "running", startAt: "2025-02-01T00:00:00.000Z" }),
			],
			{ live: exposures },
			NOW,
		);
		expect(rows.map((r) => r.key)).toEqual(["live", "later", "idea", "old"]);
		expect(rows[0]).toMatchObject({
			name: "Live test",
			statusLabel: "Running",
			variations: "a 25% · b 75%",
			started: "Jan 5, 2025",
			exposures: 1234,
			metric: "d1: back on day 1",
		});
		expect(rows[1]!.started).toBe("Starts Feb 1, 2025");
		expect(rows[2]).toMatchObject({ started: "Not started", exposures: null, metric: "No primary metric" });
	});

	it("words every metric type", () => {
		expect(metricLabel({ key: "k", type: "conversion", event: "Level3", eventType: "progression" })).toBe(
			"k: players who sent progression Level3",
		);
		expect(metricLabel({ key: "k", type: "count", event: "jump", windowHours: 24 })).toBe(
			"k: count of jump within 24 h",
		);
		expect(metricLabel({ key: "k", type: "revenue", valueProp: "robux" })).toBe("k: robux of all purchases");
	});
});

describe("results", () => {
	it("formats effects, intervals and p-values as the results state them", () => {
		expect(formatEffect(-0.2, "relative", true)).toBe("−20.0%");
		expect(formatEffect(0.0123, "absolute", true)).toBe("+1.2 pp");
		expect(formatEffect(2.5, "absolute", false)).toBe("+2.5");
		expect(formatEffect(null, "relative", true)).toBe("—");
		expect(formatPValue(0.00001)).toBe("< 0.001");
		expect(formatPValue(0.0412)).toBe("0.041");
	});

	it("tables control, then each treatment with its effect, interval, p-value, chance to win, risk and verdict", () => {
		const [control, hard] = resultRows(results());
		expect(control).toMatchObject({ key: "classic", units: "1,000", mean: "50.0%", effect: "Control" });
		expect(hard).toMatchObject({
			key: "hard",
			units: "980",
			mean: "40.0%",
			effect: "−20.0%",
			ci: "−28.0% to −12.0%",
			pValue: "< 0.001",
			chanceToWin: "0.0%",
			risk: "10.00 pp",
			sequentialCi: "−35.0% to −5.0%",
			sequential: "Conclusive: hard is lower; safe to stop",
			verdict: "worse",
		});
	});

	it("says when the sequential test is not conclusive, or has no interval yet", () => {
		const r = results();
		const c = r.comparisons[0]!;
		expect(sequentialText({ ...c, sequential: { ...c.sequential, significant: false } })).toMatch(
			/^Not conclusive yet/,
		);
		const empty = { ...c.sequential, ci: { lower: null, upper: null } } as unknown as typeof c.sequential;
		expect(sequentialText({ ...c, sequential: empty })).toBe("Not enough data yet");
	});

	it("plots each treatment's interval against 0 with round ticks covering both intervals", () => {
		const plot = ciPlot(results())!;
		expect(plot.rows).toEqual([
			expect.objectContaining({ label: "hard vs classic", effect: -0.2, lower: -0.28, upper: -0.12, verdict: "worse" }),
		]);
		expect(plot.rows[0]!.seqLower).toBe(-0.35);
		expect(plot.domain[0]).toBeLessThan(-0.35);
		expect(plot.domain[1]).toBeGreaterThan(0);
		expect(plot.ticks.map((t) => t.label)).toEqual(["−40%", "−30%", "−20%", "−10%", "0"]);
		// Nothing to plot without a finite interval.
		const r = results();
		const f = {
			...r.comparisons[0]!.frequentist,
			ci: { lower: null, upper: null },
		} as unknown as (typeof r.comparisons)[0]["frequentist"];
		expect(ciPlot({ ...r, comparisons: [{ ...r.comparisons[0]!, frequentist: f }] })).toBeNull();
	});

	it("picks round ticks", () => {
		expect(niceTicks(-0.07, 0.02, 5)).toEqual([-0.08, -0.06, -0.04, -0.02, 0, 0.02]);
		expect(niceTicks(0, 37, 4)).toEqual([0, 10, 20, 30, 40]);
	});

	it("words a sample-ratio mismatch first and plainly, and a passed check last", () => {
		const flagged = results({
			srm: {
				method: "m",
				assumptions: [],
				warnings: [],
				statistic: 30,
				df: 1,
				pValue: 0.00000001,
				flagged: true,
				expected: [990, 990],
			},
			warnings: [
				{ code: "srm", message: "server's own SRM text" },
				{ code: "multiple-variations", message: "3 units were exposed to more than one variation and are left out." },
			],
		});
		const words = plainWarnings(flagged);
		expect(words.map((w) => [w.code, w.level])).toEqual([
			["srm", "serious"],
			["multiple-variations", "serious"],
		]);
		expect(words[0]!.text).toBe(
			"Sample ratio mismatch: the variations got classic 1,000, hard 980 players, where the split promised about " +
				"classic 990, hard 990 (p < 0.001). Assignment or tracking is broken: do not trust these results until it is fixed.",
		);
		const fine = plainWarnings(results());
		expect(fine).toEqual([
			{
				code: "srm-ok",
				level: "ok",
				text: "Sample ratio OK: classic 1,000, hard 980 players fit the planned split (p = 0.650).",
			},
		]);
	});

	it("gathers the comparisons' own warnings once each, in words", () => {
		const r = results();
		const c = r.comparisons[0]!;
		const tooFew = { code: "too-few-units" as const, message: "An arm has 12 units; at least 100 are needed." };
		const withWarnings = results({
			srm: null,
			comparisons: [
				{
					...c,
					frequentist: { ...c.frequentist, warnings: [tooFew] },
					sequential: { ...c.sequential, warnings: [tooFew] },
				},
			],
		});
		expect(plainWarnings(withWarnings)).toEqual([
			{
				code: "too-few-units",
				level: "caution",
				text: "Too few players so far: a variation has 12 players; at least 100 are needed. Until then the numbers are mostly noise.",
			},
		]);
	});

	it("draws the daily trend per variation in percent, leaving days without players empty", () => {
		const trend = trendSeries(results());
		expect(trend.x).toEqual([Date.UTC(2025, 0, 1) / 1000, Date.UTC(2025, 0, 2) / 1000]);
		expect(trend.series).toEqual([
			{ label: "classic", values: [60, 50] },
			{ label: "hard", values: [null, 40] },
		]);
	});
});
