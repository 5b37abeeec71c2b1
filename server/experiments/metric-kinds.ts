// Arms and comparisons of the metric types whose arm value is not a plain mean: ratio metrics (Σ numerator / Σ
// denominator, delta method, CUPED on the linearized ratio) and quantile metrics (a quantile of the per-unit values).
// results.ts builds binary and mean arms itself and hands these two kinds here.
import {
	cupedRatioTest,
	quantileTest,
	ratioTest,
	type AnalysisContext,
	type CupedRatioSums,
	type DifferenceType,
	type RatioSums,
} from "../stats/index.js";
import type { MetricDefinition } from "./metric.js";
import type { Arm, ArmAccumulator, KindTests, MetricKind, ScaleTests } from "./results.js";
import type { ExperimentUnits } from "./units.js";

/** What a ratio or quantile arm carries besides its units. */
export type ArmExtra =
	| { kind: "ratio"; value: number; sums: RatioSums; cupedSums: CupedRatioSums | null }
	| { kind: "quantile"; value: number; quantile: number; values: Float64Array };

/**
 * An accumulator of ratio or quantile units.
 *
 * @example
 * const acc = newKindAccumulator("ratio", units, metric, true); acc.add(0); acc.arm();
 */
export function newKindAccumulator(
	kind: Extract<MetricKind, "ratio" | "quantile">,
	units: ExperimentUnits,
	metric: MetricDefinition,
	useCuped: boolean,
): ArmAccumulator {
	return kind === "ratio" ? ratioAccumulator(units, useCuped) : quantileAccumulator(units, metric);
}

/**
 * A treatment against control for ratio or quantile arms, on both effect scales; with CUPED (ratio only) the raw
 * tests are kept beside the adjusted ones.
 *
 * @example
 * compareKind(controlArm, treatmentArm, { alpha: 0.05, context: () => ({}) });
 */
export function compareKind(
	control: Arm,
	treatment: Arm,
	options: { alpha: number; context: (difference: DifferenceType) => AnalysisContext },
): KindTests {
	const a = control.extra!;
	const b = treatment.extra!;
	const { alpha, context } = options;
	if (a.kind === "quantile" && b.kind === "quantile") {
		const test = (difference: DifferenceType): ScaleTests => {
			const frequentist = quantileTest(a.values, b.values, {
				quantile: a.quantile,
				difference,
				alpha,
				context: context(difference),
			});
			// A z-test (normal reference), so the robust relative interval uses the normal critical value too.
			return { frequentist, summaries: [frequentist.control, frequentist.treatment], df: Infinity };
		};
		return { absolute: test("absolute"), relative: test("relative"), unadjusted: null, betaBinomial: false };
	}
	if (a.kind !== "ratio" || b.kind !== "ratio") throw new Error("compareKind: arms of different kinds");
	const raw = (difference: DifferenceType): ScaleTests => {
		const frequentist = ratioTest(a.sums, b.sums, { difference, alpha, context: context(difference) });
		return { frequentist, summaries: [frequentist.control, frequentist.treatment] };
	};
	if (!a.cupedSums || !b.cupedSums) {
		return { absolute: raw("absolute"), relative: raw("relative"), unadjusted: null, betaBinomial: false };
	}
	const adjusted = (difference: DifferenceType) => {
		const frequentist = cupedRatioTest(a.cupedSums!, b.cupedSums!, { difference, alpha, context: context(difference) });
		const scale: ScaleTests = {
			frequentist,
			summaries: [frequentist.adjustment.control, frequentist.adjustment.treatment],
		};
		return { scale, adjustment: frequentist.adjustment };
	};
	const absolute = adjusted("absolute");
	return {
		absolute: absolute.scale,
		relative: adjusted("relative").scale,
		unadjusted: {
			absolute: raw("absolute"),
			relative: raw("relative"),
			theta: absolute.adjustment.theta,
			varianceReduction: absolute.adjustment.varianceReduction,
		},
		betaBinomial: false,
	};
}

function ratioAccumulator(units: ExperimentUnits, useCuped: boolean): ArmAccumulator {
	const numerator = units.value;
	const denominator = units.denominator;
	if (!denominator) throw new Error("A ratio metric's units carry no denominators.");
	const pre = useCuped ? { num: units.covariate!, den: units.covariateDenominator! } : null;
	const s: CupedRatioSums = {
		n: 0,
		sumNum: 0,
		sumNum2: 0,
		sumDen: 0,
		sumDen2: 0,
		sumNumDen: 0,
		sumPreNum: 0,
		sumPreNum2: 0,
		sumPreDen: 0,
		sumPreDen2: 0,
		sumPreNumDen: 0,
		sumNumPreNum: 0,
		sumNumPreDen: 0,
		sumDenPreNum: 0,
		sumDenPreDen: 0,
	};
	const ratioSums = (): RatioSums => ({
		n: s.n,
		sumNum: s.sumNum,
		sumNum2: s.sumNum2,
		sumDen: s.sumDen,
		sumDen2: s.sumDen2,
		sumNumDen: s.sumNumDen,
	});
	const value = () => (s.sumDen !== 0 ? s.sumNum / s.sumDen : Number.NaN);
	return {
		add(i) {
			const m = numerator[i]!;
			const d = denominator[i]!;
			s.n++;
			s.sumNum += m;
			s.sumNum2 += m * m;
			s.sumDen += d;
			s.sumDen2 += d * d;
			s.sumNumDen += m * d;
			if (pre) {
				const pm = pre.num[i]!;
				const pd = pre.den[i]!;
				s.sumPreNum += pm;
				s.sumPreNum2 += pm * pm;
				s.sumPreDen += pd;
				s.sumPreDen2 += pd * pd;
				s.sumPreNumDen += pm * pd;
				s.sumNumPreNum += m * pm;
				s.sumNumPreDen += m * pd;
				s.sumDenPreNum += d * pm;
				s.sumDenPreDen += d * pd;
			}
		},
		arm: () => {
			const sums = ratioSums();
			return {
				n: s.n,
				kind: "ratio",
				sums: { n: s.n, sum: s.sumNum, sumSquares: s.sumNum2 },
				cupedSums: null,
				extra: { kind: "ratio", value: value(), sums, cupedSums: pre ? { ...s } : null },
			};
		},
		totals: () => ({
			n: s.n,
			sum: s.sumNum,
			sumSquares: s.sumNum2,
			mean: s.n > 0 ? s.sumNum / s.n : 0,
			value: value(),
			denominatorSum: s.sumDen,
		}),
		pooledVarianceReduction: () => {
			if (!pre) return 0;
			// One arm's CUPED against itself: θ and the reduction come from the pooled linearized ratios.
			const half = { ...s };
			return s.n > 2 ? cupedRatioTest(half, half, { difference: "absolute" }).adjustment.varianceReduction : 0;
		},
	};
}

function quantileAccumulator(units: ExperimentUnits, metric: MetricDefinition): ArmAccumulator {
	const q = metric.type === "quantile" ? metric.quantile : 0.5;
	const values: number[] = [];
	let sum = 0;
	let sumSquares = 0;
	const sorted = () => Float64Array.from(values).sort();
	return {
		add(i) {
			const v = units.value[i]!;
			values.push(v);
			sum += v;
			sumSquares += v * v;
		},
		arm: () => {
			const all = sorted();
			return {
				n: values.length,
				kind: "quantile",
				sums: { n: values.length, sum, sumSquares },
				cupedSums: null,
				extra: { kind: "quantile", value: quantileOf(all, q), quantile: q, values: all },
			};
		},
		totals: () => ({
			n: values.length,
			sum,
			sumSquares,
			mean: values.length > 0 ? sum / values.length : 0,
			value: quantileOf(sorted(), q),
			denominatorSum: null,
		}),
		pooledVarianceReduction: () => 0,
	};
}

/** The sample quantile of sorted values (linear interpolation, numpy's default); NaN when empty. */
function quantileOf(sorted: Float64Array, q: number): number {
	if (sorted.length === 0) return Number.NaN;
	const h = (sorted.length - 1) * q;
	const lo = Math.floor(h);
	const hi = Math.min(sorted.length - 1, lo + 1);
	return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}
