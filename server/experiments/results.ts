// Experiment results from per-variation, per-day metric sums: the statistics engine's frequentist and Bayesian
// comparisons of each treatment with control, the sample-ratio check, a multiple-comparison correction and a daily
// series. Pure: the sums come from the store (Store.experimentMetricSums).
import { z } from "zod";
import {
	benjaminiHochberg,
	betaBinomialTest,
	gaussianBayesianTest,
	holmBonferroni,
	meanSummary,
	proportionSummary,
	sequentialTest,
	srmTest,
	twoProportionZTest,
	welchTTest,
	type BetaBinomialResult,
	type CorrectionResult,
	type DifferenceType,
	type FrequentistResult,
	type GaussianBayesianResult,
	type Interval,
	type MeanSums,
	type SequentialResult,
	type SrmResult,
} from "../stats/index.js";
import type { ExperimentMetricRow } from "../store/types.js";
import type { AssignmentMode } from "./experiment.js";
import { DAY_MS, isBinaryMetric, metricSchema, type MetricDefinition } from "./metric.js";

export const CORRECTIONS = ["holm", "bh", "none"] as const;
export type Correction = (typeof CORRECTIONS)[number];

export interface ResultsOptions {
	/** @default "relative" */
	difference?: DifferenceType;
	/** Across the treatment-vs-control comparisons. @default "holm" */
	correction?: Correction;
	/** @default 0.05 */
	alpha?: number;
}

export interface ResultsInput {
	experimentKey: string;
	variations: readonly { key: string; weight: number }[];
	assignment: AssignmentMode;
	metric: MetricDefinition;
	/** Analysis window, unix ms. */
	from: number;
	to: number;
	rows: readonly ExperimentMetricRow[];
}

/** One arm's units and sums; `mean` is the conversion rate of a binary metric. */
export interface VariationTotals extends MeanSums {
	index: number;
	key: string;
	mean: number;
}

export interface Comparison {
	variation: string;
	frequentist: FrequentistResult;
	bayesian: BetaBinomialResult | GaussianBayesianResult;
	/** Always-valid confidence sequence and p-value: safe to read at every look. */
	sequential: SequentialResult;
	/** The frequentist p-value after the correction across comparisons (equal to it with one treatment). */
	adjustedPValue: number;
}

export interface ResultsWarning {
	code: string;
	message: string;
}

/** Cumulative by first-exposure day: the units exposed up to that day, each with its value over the window. */
export interface DailyPoint {
	date: string;
	variations: { key: string; units: number; mean: number }[];
	comparisons: { variation: string; effect: number; ci: Interval; pValue: number }[];
}

export interface ExperimentResults {
	experiment: string;
	metric: MetricDefinition;
	from: string;
	to: string;
	difference: DifferenceType;
	variations: VariationTotals[];
	/** Against the planned weights; null for adaptive experiments (their weights move) and without units. */
	srm: SrmResult | null;
	comparisons: Comparison[];
	correction: (CorrectionResult & { name: Correction }) | null;
	/** Units left out: exposures naming several variations, or a variation the experiment does not have. */
	excluded: { multipleVariations: number; unknownVariation: number };
	warnings: ResultsWarning[];
	timeSeries: DailyPoint[];
}

const statResult = z
	.object({
		method: z.string().describe("The test or model used, e.g. two-proportion z-test."),
		assumptions: z.array(z.string()).describe("What the method assumes, for people to check."),
		warnings: z.array(z.unknown()).describe("What may make this result unreliable (low power, peeking, …)."),
	})
	.catchall(z.unknown());
const interval = z
	.object({
		lower: z.number().nullable().describe("Lower bound; null when it cannot be computed."),
		upper: z.number().nullable().describe("Upper bound; null when it cannot be computed."),
	})
	.describe("95% confidence interval of the effect, in the unit of `difference`.");
const warningsSchema = z
	.array(
		z.object({
			code: z.string().describe("Stable code of the warning, e.g. srm or low_power."),
			message: z.string().describe("What it means, for people."),
		}),
	)
	.describe("What a reader of these results must know (sample ratio mismatch, low power, …).");

/** The results document (for the OpenAPI document; non-finite numbers are sent as null). */
export const experimentResultsSchema = z.object({
	experiment: z.string().describe("The experiment's key."),
	metric: metricSchema.describe("The metric these results are of."),
	from: z.string().describe("ISO 8601 start of the exposure window (inclusive)."),
	to: z.string().describe("ISO 8601 end of the window (exclusive)."),
	difference: z
		.enum(["relative", "absolute"])
		.describe("relative: effects as a share of control's mean (0.05 = +5%); absolute: in the metric's unit."),
	variations: z
		.array(
			z.object({
				index: z.number().int().describe("Position in the experiment's variations (0 = control)."),
				key: z.string().describe("The variation's key."),
				n: z.number().int().describe("Units: users whose first exposure named this variation."),
				sum: z.number().describe("Σ per-unit values (converted units for conversion and retention)."),
				sumSquares: z.number().describe("Σ of squared per-unit values (for the variance)."),
				mean: z.number().describe("sum / n: the conversion rate of a binary metric."),
			}),
		)
		.describe("Totals per variation, control first."),
	srm: statResult.nullable().describe("Chi-square test of units against the planned weights; flagged at p < 0.001."),
	comparisons: z
		.array(
			z.object({
				variation: z.string().describe("The treatment's key, compared with control."),
				frequentist: statResult.describe("z-test (binary metrics) or Welch t-test (means)."),
				bayesian: statResult.describe("Beta-binomial (binary metrics) or Gaussian effect model (means)."),
				sequential: statResult.describe("Always-valid confidence sequence (safe to peek), gbstats-style."),
				adjustedPValue: z.number().describe("The frequentist p-value after the multiple-comparison correction."),
			}),
		)
		.describe("Each treatment against control."),
	correction: statResult.nullable().describe("With two or more treatments (unless correction=none)."),
	excluded: z
		.object({
			multipleVariations: z.number().int().describe("Units exposed to more than one variation: left out."),
			unknownVariation: z.number().int().describe("Units whose exposure named no variation of the experiment."),
		})
		.describe("Units left out of the totals, by reason."),
	warnings: warningsSchema,
	timeSeries: z
		.array(
			z.object({
				date: z.string().describe("UTC day (YYYY-MM-DD) of first exposure; cumulative up to it."),
				variations: z
					.array(
						z.object({
							key: z.string().describe("The variation's key."),
							units: z.number().int().describe("Units exposed up to this day."),
							mean: z.number().describe("Their mean metric value."),
						}),
					)
					.describe("Per variation, cumulative."),
				comparisons: z
					.array(
						z.object({
							variation: z.string().describe("The treatment's key."),
							effect: z.number().nullable().describe("Its effect against control (null when undefined)."),
							ci: interval,
							pValue: z.number().describe("Frequentist p-value up to this day."),
						}),
					)
					.describe("Each treatment against control, cumulative."),
			}),
		)
		.describe("Cumulative by first-exposure day: units exposed up to that day, each valued over the window."),
});

/**
 * Results of one metric.
 * 1. each row's variation (index or key, as the exposure sent it) is matched to an arm; others are counted apart;
 * 2. totals per arm; SRM against the planned weights (not for adaptive experiments);
 * 3. each treatment vs control (index 0): z-test + Beta-binomial for binary metrics, Welch t + Gaussian Bayesian
 *    for means, and an always-valid sequential test for both, with the SRM p-value in their warnings' context;
 * 4. p-values corrected across treatments (Holm by default);
 * 5. a cumulative daily series by first-exposure day.
 *
 * @example
 * analyzeExperiment({ experimentKey: "shop", variations, assignment: { mode: "deterministic" }, metric, from, to, rows });
 */
export function analyzeExperiment(input: ResultsInput, options: ResultsOptions = {}): ExperimentResults {
	const difference = options.difference ?? "relative";
	const correctionName = options.correction ?? "holm";
	const alpha = options.alpha ?? 0.05;
	const k = input.variations.length;

	// 1. Rows to arms.
	const { byDay, totals, excluded } = sumsByArm(input.rows, input.variations);
	const days = [...byDay.keys()].sort((a, b) => a - b);

	// 2. SRM.
	const warnings: ResultsWarning[] = [];
	const adaptive = input.assignment.mode === "adaptive";
	const totalUnits = totals.reduce((s, t) => s + t.n, 0);
	const srm =
		adaptive || totalUnits === 0
			? null
			: srmTest(
					totals.map((t) => t.n),
					input.variations.map((v) => v.weight),
				);
	if (adaptive) warnings.push({ code: "srm-not-checked", message: "Adaptive weights move, so SRM is not checked." });
	if (srm?.flagged) warnings.push(...srm.warnings);
	if (excluded.multipleVariations > 0) {
		warnings.push({
			code: "multiple-variations",
			message: `${excluded.multipleVariations} units were exposed to more than one variation and are left out.`,
		});
	}
	if (excluded.unknownVariation > 0) {
		warnings.push({
			code: "unknown-variation",
			message: `${excluded.unknownVariation} units were exposed to a variation this experiment does not have.`,
		});
	}

	// 3. Comparisons.
	const context = srm ? { srmPValue: srm.pValue } : {};
	const compareAll = (arms: MeanSums[]) =>
		arms.slice(1).map((treatment) => compare(input.metric, arms[0]!, treatment, { difference, alpha, context }));
	const tests = compareAll(totals);

	// 4. Correction across treatments.
	const pValues = tests.map((t) => t.frequentist.pValue);
	const correction =
		correctionName === "none" || pValues.length < 2
			? null
			: {
					name: correctionName,
					...(correctionName === "holm" ? holmBonferroni(pValues, alpha) : benjaminiHochberg(pValues, alpha)),
				};
	const comparisons = tests.map((t, i) => ({
		variation: input.variations[i + 1]!.key,
		...t,
		adjustedPValue: correction ? correction.adjusted[i]! : t.frequentist.pValue,
	}));
	for (const c of comparisons) {
		for (const w of c.frequentist.warnings) {
			if (!warnings.some((x) => x.code === w.code)) warnings.push(w);
		}
	}

	// 5. Daily series.
	const running = emptySums(k);
	const timeSeries = days.map((day): DailyPoint => {
		byDay.get(day)!.forEach((sums, i) => addSums(running[i]!, sums));
		return {
			date: new Date(day * DAY_MS).toISOString().slice(0, 10),
			variations: running.map((s, i) => ({ key: input.variations[i]!.key, units: s.n, mean: mean(s) })),
			comparisons: compareAll(running).map(({ frequentist: f }, i) => ({
				variation: input.variations[i + 1]!.key,
				effect: f.effect,
				ci: f.ci,
				pValue: f.pValue,
			})),
		};
	});

	return {
		experiment: input.experimentKey,
		metric: input.metric,
		from: new Date(input.from).toISOString(),
		to: new Date(input.to).toISOString(),
		difference,
		variations: totals.map((s, i) => ({ index: i, key: input.variations[i]!.key, ...s, mean: mean(s) })),
		srm,
		comparisons,
		correction,
		excluded,
		warnings,
		timeSeries,
	};
}

/**
 * Rows to arms: the sums of each arm per first-exposure day and in total, and the units that belong to no arm.
 *
 * @example
 * sumsByArm(await store.experimentMetricSums(query), experiment.definition.variations).totals[0]; // { n, sum, sumSquares }
 */
export function sumsByArm(
	rows: readonly ExperimentMetricRow[],
	variations: readonly { key: string }[],
): { byDay: Map<number, MeanSums[]>; totals: MeanSums[]; excluded: ExperimentResults["excluded"] } {
	const excluded = { multipleVariations: 0, unknownVariation: 0 };
	const byDay = new Map<number, MeanSums[]>();
	const totals = emptySums(variations.length);
	for (const row of rows) {
		const index = row.multipleVariations ? -1 : variationIndex(row.variation, variations);
		if (index < 0) {
			if (row.multipleVariations) excluded.multipleVariations += row.units;
			else excluded.unknownVariation += row.units;
			continue;
		}
		const day = byDay.get(row.day) ?? emptySums(variations.length);
		byDay.set(row.day, day);
		addSums(day[index]!, row);
		addSums(totals[index]!, row);
	}
	return { byDay, totals, excluded };
}

/** The arm an exposure's `variation` prop names: an index in range, or a variation key; -1 otherwise. */
export function variationIndex(value: string | number | null, variations: readonly { key: string }[]): number {
	if (typeof value === "number") return Number.isInteger(value) && value >= 0 && value < variations.length ? value : -1;
	if (typeof value === "string") return variations.findIndex((v) => v.key === value);
	return -1;
}

function compare(
	metric: MetricDefinition,
	control: MeanSums,
	treatment: MeanSums,
	options: { difference: DifferenceType; alpha: number; context: { srmPValue?: number } },
): Pick<Comparison, "frequentist" | "bayesian" | "sequential"> {
	if (isBinaryMetric(metric)) {
		const a = { n: control.n, conversions: control.sum };
		const b = { n: treatment.n, conversions: treatment.sum };
		return {
			frequentist: twoProportionZTest(a, b, options),
			bayesian: betaBinomialTest(a, b, { alpha: options.alpha, context: options.context }),
			sequential: sequentialTest(proportionSummary(a), proportionSummary(b), options),
		};
	}
	const a = meanSummary(control);
	const b = meanSummary(treatment);
	return {
		frequentist: welchTTest(a, b, options),
		bayesian: gaussianBayesianTest(a, b, options),
		sequential: sequentialTest(a, b, options),
	};
}

function emptySums(k: number): MeanSums[] {
	return Array.from({ length: k }, () => ({ n: 0, sum: 0, sumSquares: 0 }));
}

function addSums(into: MeanSums, add: MeanSums | ExperimentMetricRow): void {
	into.n += "units" in add ? add.units : add.n;
	into.sum += add.sum;
	into.sumSquares += add.sumSquares;
}

function mean(s: MeanSums): number {
	return s.n > 0 ? s.sum / s.n : 0;
}
