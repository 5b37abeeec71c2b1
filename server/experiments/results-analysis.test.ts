// Results from hand-built units (the shape Store.experimentUnits answers): every metric type, CUPED by default, both
// effects side by side, the unreliable relative interval, plan warnings, the recommendation, guardrail alerts and
// breakdowns. Pure: no store, no worker.
import { describe, expect, it } from "vitest";
import {
	cupedAdjust,
	holmBonferroni,
	mulberry32,
	quantileTest,
	ratioTest,
	sampleNormal,
	twoProportionZTest,
	welchTTest,
	type Prng,
} from "../stats/index.js";
import { analyzeBreakdown } from "./breakdown.js";
import { DAY_MS, type MetricDefinition } from "./metric.js";
import {
	analyzeExperiment,
	analyzeMetric,
	type ExperimentPlan,
	type MetricData,
	type ResultsInput,
} from "./results.js";
import type { BreakdownDimension, ExperimentUnits } from "./units.js";

const T0 = Date.UTC(2026, 0, 1);
const CONVERSION: MetricDefinition = { key: "bought", type: "conversion", event: "buy" };
const MEAN: MetricDefinition = { key: "levels", type: "count", event: "level_up" };
const RATIO: MetricDefinition = {
	key: "robux_per_session",
	type: "ratio",
	numerator: { event: "buy", valueProp: "robux" },
	denominator: { event: "session", eventType: "session_start" },
};
const QUANTILE: MetricDefinition = {
	key: "median_session",
	type: "quantile",
	event: "session",
	valueProp: "seconds",
	quantile: 0.5,
	aggregate: "mean",
};

/** One unit as a test writes it. */
interface Unit {
	arm: number | string | null;
	value: number;
	den?: number;
	cov?: number;
	covDen?: number;
	/** Days after T0 of the first exposure. */
	day?: number;
	multiple?: boolean;
	dims?: Partial<Record<BreakdownDimension, string | null>>;
}

/** Columnar units from rows; `covariate: true` attaches the covariate columns. */
function units(rows: readonly Unit[], options: { covariate?: boolean; ratio?: boolean } = {}): ExperimentUnits {
	const dims = new Set(rows.flatMap((r) => Object.keys(r.dims ?? {}) as BreakdownDimension[]));
	const dimensions: ExperimentUnits["dimensions"] = {};
	for (const d of dims) dimensions[d] = rows.map((r) => r.dims?.[d] ?? null);
	return {
		count: rows.length,
		variation: rows.map((r) => (r.multiple ? null : r.arm)),
		multipleVariations: Uint8Array.from(rows.map((r) => (r.multiple ? 1 : 0))),
		firstExposure: Float64Array.from(rows.map((r) => T0 + (r.day ?? 0) * DAY_MS + 1000)),
		value: Float64Array.from(rows.map((r) => r.value)),
		denominator: options.ratio ? Float64Array.from(rows.map((r) => r.den ?? 0)) : null,
		covariate: options.covariate ? Float64Array.from(rows.map((r) => r.cov ?? 0)) : null,
		covariateDenominator: options.covariate && options.ratio ? Float64Array.from(rows.map((r) => r.covDen ?? 0)) : null,
		dimensions,
		cap: null,
	};
}

const NO_PLAN: ExperimentPlan = { targetEffect: null, plannedEnd: null };

function input(metric: MetricDefinition, u: ExperimentUnits, extra: Partial<ResultsInput> = {}): ResultsInput {
	return {
		experimentKey: "shop",
		variations: [
			{ key: "control", weight: 0.5 },
			{ key: "grid", weight: 0.5 },
		],
		assignment: { mode: "deterministic" },
		metric,
		role: "primary",
		units: u,
		from: T0,
		to: T0 + 14 * DAY_MS,
		lookbackDays: u.covariate ? 14 : 0,
		plan: NO_PLAN,
		...extra,
	};
}

/** n units per arm of a binary metric with `conversions` converted, spread over `days` days. */
function binaryRows(n: [number, number], conversions: [number, number], days = 1): Unit[] {
	const rows: Unit[] = [];
	for (const arm of [0, 1]) {
		for (let i = 0; i < n[arm]!; i++) rows.push({ arm, value: i < conversions[arm]! ? 1 : 0, day: i % days });
	}
	return rows;
}

/** Normal values per arm: Y = mean + ρ·X + noise, with X the standard-normal covariate (pre-period). */
function normalRows(rng: Prng, n: number, means: [number, number], rho: number): Unit[] {
	const rows: Unit[] = [];
	for (const arm of [0, 1]) {
		for (let i = 0; i < n; i++) {
			const x = sampleNormal(rng);
			const y = means[arm]! + rho * x + Math.sqrt(1 - rho * rho) * sampleNormal(rng);
			rows.push({ arm, value: 10 + y, cov: 10 + x, day: i % 7 });
		}
	}
	return rows;
}

describe("results from units, by metric type", () => {
	it("compares a conversion metric with the z-test and Beta-binomial, both effects side by side", () => {
		const r = analyzeMetric(input(CONVERSION, units(binaryRows([1000, 1000], [100, 130])), { lookbackDays: 0 }));
		const c = r.comparisons[0]!;
		const abs = twoProportionZTest(
			{ n: 1000, conversions: 100 },
			{ n: 1000, conversions: 130 },
			{ difference: "absolute" },
		);
		const rel = twoProportionZTest(
			{ n: 1000, conversions: 100 },
			{ n: 1000, conversions: 130 },
			{ difference: "relative" },
		);
		expect(r.variations.map((v) => [v.n, v.value])).toEqual([
			[1000, 0.1],
			[1000, 0.13],
		]);
		expect(c.absolute.effect).toBeCloseTo(0.03, 12);
		expect(c.absolute.pValue).toBe(abs.pValue);
		expect(c.relative.effect).toBeCloseTo(0.3, 12);
		expect(c.relative.pValue).toBe(rel.pValue);
		// The primary difference (relative by default) drives frequentist/sequential; the sequential is wider.
		expect(c.frequentist.pValue).toBe(rel.pValue);
		expect(c.bayesian?.method).toMatch(/Beta-binomial/);
		expect(c.relative.sequential.ci.lower).toBeLessThan(c.relative.ci.lower);
		expect(c.cuped).toBeNull();
		expect(r.cuped.applied).toBe(false);
	});

	it("picks the absolute effect as primary on request, keeping the relative one beside it", () => {
		const r = analyzeMetric(input(CONVERSION, units(binaryRows([1000, 1000], [100, 130]))), { difference: "absolute" });
		const c = r.comparisons[0]!;
		expect(r.difference).toBe("absolute");
		expect(c.frequentist.effect).toBeCloseTo(0.03, 12);
		expect(c.relative.effect).toBeCloseTo(0.3, 12);
	});

	it("compares a mean metric with Welch's t-test", () => {
		const rng = mulberry32(3);
		const rows = normalRows(rng, 500, [0, 0.3], 0);
		const r = analyzeMetric(input(MEAN, units(rows)));
		const sums = [0, 1].map((arm) => {
			const vs = rows.filter((u) => u.arm === arm).map((u) => u.value);
			const mean = vs.reduce((s, v) => s + v, 0) / vs.length;
			const variance = vs.reduce((s, v) => s + (v - mean) ** 2, 0) / (vs.length - 1);
			return { n: vs.length, mean, variance };
		});
		const welch = welchTTest(sums[0]!, sums[1]!, { difference: "absolute" });
		expect(r.comparisons[0]!.absolute.effect).toBeCloseTo(welch.effect, 10);
		expect(r.comparisons[0]!.absolute.pValue).toBeCloseTo(welch.pValue, 10);
		expect(r.comparisons[0]!.bayesian?.method).toMatch(/Gaussian/);
	});

	it("compares a ratio metric by the delta method (ratioTest), reporting Σ numerator / Σ denominator per arm", () => {
		const rng = mulberry32(5);
		const rows: Unit[] = [];
		for (const arm of [0, 1]) {
			for (let i = 0; i < 800; i++) {
				const den = 1 + Math.floor(rng() * 5);
				rows.push({ arm, den, value: den * (arm ? 2.4 : 2) + 3 * sampleNormal(rng) });
			}
		}
		const r = analyzeMetric(input(RATIO, units(rows, { ratio: true })));
		const sums = [0, 1].map((arm) => {
			const us = rows.filter((u) => u.arm === arm);
			return {
				n: us.length,
				sumNum: us.reduce((s, u) => s + u.value, 0),
				sumNum2: us.reduce((s, u) => s + u.value ** 2, 0),
				sumDen: us.reduce((s, u) => s + u.den!, 0),
				sumDen2: us.reduce((s, u) => s + u.den! ** 2, 0),
				sumNumDen: us.reduce((s, u) => s + u.value * u.den!, 0),
			};
		});
		const expected = ratioTest(sums[0]!, sums[1]!, { difference: "relative" });
		expect(r.variations[0]!.value).toBeCloseTo(sums[0]!.sumNum / sums[0]!.sumDen, 12);
		expect(r.variations[1]!.denominatorSum).toBe(sums[1]!.sumDen);
		expect(r.comparisons[0]!.relative.effect).toBeCloseTo(expected.effect, 12);
		expect(r.comparisons[0]!.relative.pValue).toBeCloseTo(expected.pValue, 12);
		expect(r.comparisons[0]!.relative.effect).toBeGreaterThan(0.1);
	});

	it("compares a quantile metric (quantileTest), with no Bayesian model and no SRM check", () => {
		const rng = mulberry32(7);
		const rows: Unit[] = [];
		for (const arm of [0, 1]) {
			for (let i = 0; i < 600; i++) rows.push({ arm, value: Math.exp(sampleNormal(rng) * 0.5 + (arm ? 5.2 : 5)) });
		}
		const r = analyzeMetric(input(QUANTILE, units(rows)));
		const values = [0, 1].map((arm) => rows.filter((u) => u.arm === arm).map((u) => u.value));
		const expected = quantileTest(values[0]!, values[1]!, { quantile: 0.5, difference: "absolute" });
		expect(r.comparisons[0]!.absolute.effect).toBeCloseTo(expected.effect, 10);
		expect(r.comparisons[0]!.absolute.stdError).toBeCloseTo(expected.stdError, 10);
		expect(r.variations[0]!.value).toBeCloseTo(expected.controlQuantile.estimate, 10);
		expect(r.comparisons[0]!.bayesian).toBeNull();
		expect(r.srm).toBeNull();
	});

	it("leaves out units exposed to several variations or to an unknown one", () => {
		const rows = [...binaryRows([200, 200], [20, 20]), { arm: 0, value: 1, multiple: true }, { arm: "nope", value: 1 }];
		const r = analyzeMetric(input(CONVERSION, units(rows)));
		expect(r.excluded).toEqual({ multipleVariations: 1, unknownVariation: 1 });
		expect(r.variations.map((v) => v.n)).toEqual([200, 200]);
	});

	it("builds a cumulative daily series by first-exposure day", () => {
		const r = analyzeMetric(input(CONVERSION, units(binaryRows([300, 300], [30, 60], 3))));
		expect(r.timeSeries.map((p) => p.date)).toEqual(["2026-01-01", "2026-01-02", "2026-01-03"]);
		expect(r.timeSeries.map((p) => p.variations[0]!.units)).toEqual([100, 200, 300]);
		expect(r.timeSeries.at(-1)!.comparisons[0]!.pValue).toBe(r.comparisons[0]!.frequentist.pValue);
	});
});

describe("CUPED", () => {
	const rows = normalRows(mulberry32(11), 2000, [0, 0.08], 0.7);

	it("is on by default with a covariate: adjusted headline, raw one beside it, variance reduction ≈ ρ²", () => {
		const r = analyzeMetric(input(MEAN, units(rows, { covariate: true })));
		const c = r.comparisons[0]!;
		expect(r.cuped.applied).toBe(true);
		expect(r.cuped.lookbackDays).toBe(14);
		expect(c.cuped).not.toBeNull();
		// Theory: Var(Y − θX) = (1 − ρ²)·Var(Y) with ρ = 0.7 → ≈ 49% removed.
		expect(c.cuped!.varianceReduction).toBeGreaterThan(0.44);
		expect(c.cuped!.varianceReduction).toBeLessThan(0.54);
		expect(r.cuped.varianceReduction).toBeCloseTo(c.cuped!.varianceReduction, 2);
		const sums = [0, 1].map((arm) => {
			const us = rows.filter((u) => u.arm === arm);
			return {
				n: us.length,
				sumY: us.reduce((s, u) => s + u.value, 0),
				sumY2: us.reduce((s, u) => s + u.value ** 2, 0),
				sumX: us.reduce((s, u) => s + u.cov!, 0),
				sumX2: us.reduce((s, u) => s + u.cov! ** 2, 0),
				sumXY: us.reduce((s, u) => s + u.value * u.cov!, 0),
			};
		});
		expect(c.cuped!.varianceReduction).toBeCloseTo(cupedAdjust(sums[0]!, sums[1]!).varianceReduction, 12);
		// Narrower with the adjustment; the same estimand.
		expect(c.absolute.stdError).toBeLessThan(0.75 * c.cuped!.unadjusted.absolute.stdError);
		expect(c.frequentist.method).toMatch(/CUPED/);
	});

	it("is off on request: the raw tests only", () => {
		const on = analyzeMetric(input(MEAN, units(rows, { covariate: true })));
		const off = analyzeMetric(input(MEAN, units(rows, { covariate: true })), { cuped: false });
		expect(off.cuped).toMatchObject({ applied: false, varianceReduction: null });
		expect(off.comparisons[0]!.cuped).toBeNull();
		expect(off.comparisons[0]!.absolute).toEqual(on.comparisons[0]!.cuped!.unadjusted.absolute);
	});

	it("is not applied when no unit has pre-exposure data (the exact tests stay)", () => {
		const r = analyzeMetric(input(CONVERSION, units(binaryRows([500, 500], [50, 60]), { covariate: true })));
		expect(r.cuped.applied).toBe(false);
		expect(r.cuped.reason).toMatch(/nothing to adjust/);
		expect(r.comparisons[0]!.bayesian?.method).toMatch(/Beta-binomial/);
	});

	it("adjusts ratio metrics too", () => {
		const rng = mulberry32(13);
		const ratioRows: Unit[] = [];
		for (const arm of [0, 1]) {
			for (let i = 0; i < 1500; i++) {
				const skill = sampleNormal(rng);
				const den = 2 + Math.floor(rng() * 4);
				const covDen = 2 + Math.floor(rng() * 4);
				ratioRows.push({
					arm,
					den,
					covDen,
					value: den * (3 + skill + (arm ? 0.1 : 0)) + sampleNormal(rng),
					cov: covDen * (3 + skill) + sampleNormal(rng),
				});
			}
		}
		const r = analyzeMetric(input(RATIO, units(ratioRows, { covariate: true, ratio: true })));
		const c = r.comparisons[0]!;
		expect(r.cuped.applied).toBe(true);
		expect(c.cuped!.varianceReduction).toBeGreaterThan(0.3);
		expect(c.absolute.stdError).toBeLessThan(c.cuped!.unadjusted.absolute.stdError);
	});
});

describe("the relative interval", () => {
	it("warns where the delta method fails (few control conversions) and gives Fieller's interval", () => {
		// As in the issue: the relative test is borderline while the absolute one is clear, on the same data.
		const r = analyzeMetric(input(CONVERSION, units(binaryRows([3000, 3000], [12, 36]))));
		const c = r.comparisons[0]!;
		expect(c.absolute.pValue).toBeLessThan(0.002);
		expect(c.relative.pValue).toBeGreaterThan(0.03);
		expect(c.relative.reliable).toBe(false);
		expect(c.relative.reliabilityNote).toMatch(/control mean is too uncertain/);
		expect(c.relative.robustCi?.method).toBe("fieller");
		// Fieller's interval allows for the skew: it excludes 0, as the absolute test does, and is asymmetric.
		expect(c.relative.robustCi!.ci.lower).toBeGreaterThan(0);
		expect(c.relative.robustCi!.ci.upper - c.relative.effect).toBeGreaterThan(
			c.relative.effect - c.relative.robustCi!.ci.lower,
		);
		expect(r.warnings.map((w) => w.code)).toContain("relative-interval-unreliable");
	});

	it("trusts the delta method with many control conversions", () => {
		const r = analyzeMetric(input(CONVERSION, units(binaryRows([5000, 5000], [1000, 1100]))));
		expect(r.comparisons[0]!.relative.reliable).toBe(true);
		expect(r.comparisons[0]!.relative.robustCi?.method).toBe("fieller");
		expect(r.warnings.map((w) => w.code)).not.toContain("relative-interval-unreliable");
	});
});

describe("plan warnings", () => {
	const small = units(binaryRows([300, 300], [30, 33], 3));
	const large = units(binaryRows([20_000, 20_000], [4000, 4400], 3));

	it("warns underpowered when the power to detect the target effect is under 80%", () => {
		const r = analyzeMetric(input(CONVERSION, small, { plan: { targetEffect: 0.05, plannedEnd: null } }));
		expect(r.warnings.map((w) => w.code)).toContain("underpowered");
		expect(r.plan.power).toBeLessThan(0.8);
		expect(r.comparisons[0]!.frequentist.warnings.map((w) => w.code)).toContain("underpowered");
	});

	it("does not warn underpowered with enough units, nor without a target", () => {
		const enough = analyzeMetric(input(CONVERSION, large, { plan: { targetEffect: 0.1, plannedEnd: null } }));
		expect(enough.plan.power).toBeGreaterThan(0.8);
		expect(enough.warnings.map((w) => w.code)).not.toContain("underpowered");
		const none = analyzeMetric(input(CONVERSION, small));
		expect(none.plan.power).toBeNull();
		expect(none.warnings.map((w) => w.code)).not.toContain("underpowered");
	});

	it("warns peeking on fixed-horizon results read before the planned end, pointing to the sequential result", () => {
		const plan = { targetEffect: null, plannedEnd: T0 + 28 * DAY_MS };
		const r = analyzeMetric(input(CONVERSION, large, { plan }));
		expect(r.plan.beforePlannedEnd).toBe(true);
		const peeking = r.warnings.find((w) => w.code === "peeking");
		expect(peeking?.message).toMatch(/sequential/);
		expect(r.comparisons[0]!.frequentist.warnings.map((w) => w.code)).toContain("peeking");
		// The always-valid result may be read at any time.
		expect(r.comparisons[0]!.sequential.warnings.map((w) => w.code)).not.toContain("peeking");
	});

	it("does not warn peeking once the data reach the planned end, or without one", () => {
		const after = analyzeMetric(
			input(CONVERSION, large, { plan: { targetEffect: null, plannedEnd: T0 + 7 * DAY_MS } }),
		);
		expect(after.plan.beforePlannedEnd).toBe(false);
		expect(after.warnings.map((w) => w.code)).not.toContain("peeking");
		expect(analyzeMetric(input(CONVERSION, large)).warnings.map((w) => w.code)).not.toContain("peeking");
	});
});

describe("the recommendation", () => {
	const guardrail = (metric: MetricDefinition, rows: Unit[]): MetricData => ({
		metric,
		role: "guardrail",
		units: units(rows),
	});
	const run = (metric: MetricDefinition, rows: Unit[], guardrails: MetricData[] = [], plan = NO_PLAN) => {
		const { metric: _m, role: _r, units: _u, ...common } = input(metric, units(rows), { plan });
		return analyzeExperiment({ ...common, metric: { metric, role: "primary", units: units(rows) }, guardrails });
	};
	const flat = binaryRows([5000, 5000], [500, 500]);

	it("ships a clear winner that harms no guardrail", () => {
		const r = run(CONVERSION, binaryRows([5000, 5000], [500, 650]), [guardrail(MEAN, flat)]);
		expect(r.decision).toMatchObject({ action: "ship", variation: "grid", reason: "winner" });
		expect(r.decision!.message).toMatch(/^Ship grid: it improves bought by \+30\.0%/);
		expect(r.alerts).toEqual([]);
		expect(r.guardrails.map((g) => g.metric.key)).toEqual(["levels"]);
	});

	it("stops a loser", () => {
		const r = run(CONVERSION, binaryRows([5000, 5000], [650, 500]));
		expect(r.decision).toMatchObject({ action: "stop", variation: "grid", reason: "loser" });
		expect(r.comparisons[0]!.regression).toBe(true);
	});

	it("stops a winner that harms a guardrail, and raises an alert", () => {
		const crashes: MetricDefinition = { key: "crashes", type: "conversion", event: "crash", direction: "lower" };
		const r = run(CONVERSION, binaryRows([5000, 5000], [500, 650]), [
			guardrail(crashes, binaryRows([5000, 5000], [100, 200])),
		]);
		expect(r.decision).toMatchObject({ action: "stop", variation: "grid", reason: "guardrail-regression" });
		expect(r.decision!.message).toMatch(/harms the guardrail crashes \+100\.0%/);
		expect(r.alerts).toHaveLength(1);
		expect(r.alerts[0]).toMatchObject({ metric: "crashes", variation: "grid", direction: "lower" });
		expect(r.alerts[0]!.pValue).toBeLessThan(0.05);
	});

	it("keeps running while nothing is significant yet, saying why", () => {
		const r = run(CONVERSION, binaryRows([400, 400], [40, 44]));
		expect(r.decision).toMatchObject({ action: "keep-running", variation: null, reason: "keep-collecting" });
		expect(r.decision!.message).toMatch(/no treatment changes bought significantly yet/);
	});

	it("keeps running with too few units for the rule", () => {
		expect(run(CONVERSION, binaryRows([50, 50], [5, 30])).decision?.reason).toBe("too-few-units");
	});

	it("reads a lower-is-better metric the right way round", () => {
		const loadTime: MetricDefinition = { key: "load", type: "count", event: "slow_frame", direction: "lower" };
		const rng = mulberry32(17);
		const faster = normalRows(rng, 3000, [0, -0.2], 0);
		const r = run(loadTime, faster);
		expect(r.comparisons[0]!.absolute.effect).toBeLessThan(0);
		expect(r.decision).toMatchObject({ action: "ship", variation: "grid", reason: "winner" });
		const slower = normalRows(rng, 3000, [0, 0.2], 0);
		expect(run(loadTime, slower).decision).toMatchObject({ action: "stop", reason: "loser" });
	});

	it("splits alpha over several treatments, so a borderline win with two treatments is not yet a win", () => {
		const two = run(CONVERSION, binaryRows([5000, 5000], [500, 600]));
		expect(two.decision?.action).toBe("ship");
		const rows = [
			...binaryRows([5000, 5000], [500, 600]),
			...binaryRows([0, 5000], [0, 500]).map((u) => ({ ...u, arm: 2 })),
		];
		const { metric: _m, role: _r, units: _u, ...common } = input(CONVERSION, units(rows));
		const three = analyzeExperiment({
			...common,
			variations: ["control", "grid", "list"].map((key) => ({ key, weight: 1 / 3 })),
			metric: { metric: CONVERSION, role: "primary", units: units(rows) },
			guardrails: [],
		});
		expect(three.comparisons[0]!.absolute.sequential.pValue).toBeLessThan(0.05);
		expect(three.decision).toMatchObject({ action: "keep-running", reason: "keep-collecting" });
	});

	it("stops at the planned end without a difference", () => {
		const r = run(CONVERSION, binaryRows([400, 400], [40, 44]), [], { targetEffect: null, plannedEnd: T0 + DAY_MS });
		expect(r.decision).toMatchObject({ action: "stop", reason: "planned-end" });
	});

	it("does not alert on a guardrail that improves, and alerts on a guardrail read on its own", () => {
		const better = run(CONVERSION, flat, [guardrail(MEAN, normalRows(mulberry32(19), 3000, [0, 0.3], 0))]);
		expect(better.alerts).toEqual([]);
		const { metric: _m, role: _r, units: _u, ...common } = input(MEAN, units([]));
		const worse = analyzeExperiment({
			...common,
			metric: guardrail(MEAN, normalRows(mulberry32(19), 3000, [0, -0.3], 0)),
			guardrails: [],
		});
		expect(worse.decision).toBeNull();
		expect(worse.alerts.map((a) => [a.metric, a.variation])).toEqual([["levels", "grid"]]);
	});
});

describe("breakdowns", () => {
	/** Platforms with different sizes; only "pc" has a real effect. */
	function platformRows(): Unit[] {
		const rows: Unit[] = [];
		const cells: [string | null, number, number, number][] = [
			["mobile", 3000, 300, 300],
			["pc", 2000, 200, 280],
			["console", 500, 50, 50],
			["vr", 40, 4, 6],
			[null, 200, 20, 20],
		];
		for (const [platform, n, c0, c1] of cells) {
			for (const arm of [0, 1]) {
				const conv = arm ? c1 : c0;
				for (let i = 0; i < n; i++) rows.push({ arm, value: i < conv ? 1 : 0, dims: { platform } });
			}
		}
		return rows;
	}

	it("compares within each cell, largest first, with Holm across every cell × comparison", () => {
		const b = analyzeBreakdown({ ...input(CONVERSION, units(platformRows())), dimension: "platform" });
		expect(b.cells.map((c) => [c.kind, c.value, c.units])).toEqual([
			["value", "mobile", 6000],
			["value", "pc", 4000],
			["value", "console", 1000],
			["unknown", null, 400],
			["value", "vr", 80],
		]);
		const raw = b.cells.map((c) => {
			const [a, t] = c.variations;
			return twoProportionZTest({ n: a!.n, conversions: a!.sum }, { n: t!.n, conversions: t!.sum }).pValue;
		});
		const holm = holmBonferroni(raw).adjusted;
		expect(b.cells.map((c) => c.comparisons[0]!.adjustedPValue)).toEqual(holm);
		expect(b.correction.comparisons).toBe(5);
		expect(b.cells.filter((c) => c.comparisons[0]!.significant).map((c) => c.value)).toEqual(["pc"]);
		// Holm can only raise a p-value.
		b.cells.forEach((c, i) => expect(c.comparisons[0]!.adjustedPValue).toBeGreaterThanOrEqual(raw[i]!));
	});

	it("flags cells with an arm under the threshold as small", () => {
		const b = analyzeBreakdown({ ...input(CONVERSION, units(platformRows())), dimension: "platform" });
		const small = b.cells.filter((c) => c.warnings.some((w) => w.code === "small-cell")).map((c) => c.value);
		expect(small).toEqual(["vr"]);
		expect(b.warnings.find((w) => w.code === "small-cell")?.message).toMatch(/1 of 5 cells/);
		const strict = analyzeBreakdown(
			{ ...input(CONVERSION, units(platformRows())), dimension: "platform" },
			{ minUnitsPerArm: 600 },
		);
		expect(strict.cells.filter((c) => c.warnings.some((w) => w.code === "small-cell")).length).toBe(3);
	});

	it("merges the cells past the cap into one other cell, listed last", () => {
		const b = analyzeBreakdown({ ...input(CONVERSION, units(platformRows())), dimension: "platform" }, { maxCells: 2 });
		expect(b.cells.map((c) => [c.kind, c.value, c.merged, c.units])).toEqual([
			["value", "mobile", 1, 6000],
			["value", "pc", 1, 4000],
			["unknown", null, 1, 400],
			["other", null, 2, 1080],
		]);
		expect(b.warnings.map((w) => w.code)).toContain("cells-merged");
	});

	it("refuses a dimension the units do not carry", () => {
		expect(() => analyzeBreakdown({ ...input(CONVERSION, units(platformRows())), dimension: "country" })).toThrow(
			/no "country" dimension/,
		);
	});
});

describe("breakdown corrections (simulation)", () => {
	it("keep the family-wise error at alpha over 10 cells in A/A tests, where uncorrected cells would not", () => {
		const rng = mulberry32(2026);
		const SIMS = 500;
		let anyCorrected = 0;
		let anyRaw = 0;
		for (let s = 0; s < SIMS; s++) {
			const rows: Unit[] = [];
			for (let cell = 0; cell < 10; cell++) {
				for (let i = 0; i < 400; i++) {
					rows.push({ arm: i % 2, value: 10 + sampleNormal(rng), dims: { country: `c${cell}` } });
				}
			}
			// Normal values and Welch's t-test: each cell's test is exact, so what is measured is the correction.
			const b = analyzeBreakdown({ ...input(MEAN, units(rows)), dimension: "country" }, { difference: "absolute" });
			if (b.cells.some((c) => c.comparisons[0]!.significant)) anyCorrected++;
			if (b.cells.some((c) => c.comparisons[0]!.absolute.pValue < 0.05)) anyRaw++;
		}
		// With no effect anywhere, "some cell is significant" is a false positive: Holm keeps it at alpha (5%, 2 SE over
		// 500 runs ≈ 2%; measured 6.8% with this seed); uncorrected, ten cells make it ≈ 1 − 0.95¹⁰ ≈ 40%.
		console.log(`A/A, 10 cells: any cell significant ${anyCorrected / SIMS} with Holm, ${anyRaw / SIMS} uncorrected`);
		expect(anyCorrected / SIMS).toBeLessThan(0.08);
		expect(anyCorrected / SIMS).toBeGreaterThan(0.02);
		expect(anyRaw / SIMS).toBeGreaterThan(0.3);
	});
});
