// Experiment results from unit-level data (Store.experimentUnits): per-arm totals; for every treatment against control
// the fixed-horizon, Bayesian and always-valid (sequential) comparisons with the absolute and the relative effect side
// by side; CUPED on by default where a pre-exposure covariate exists; an interval that holds where the delta method's
// relative interval does not; warnings from the experiment's plan (underpowered, peeking); guardrail regressions and a
// plain recommendation (decision.ts); a cumulative daily series. Pure: it runs in the results worker.
import {
	achievedPower,
	benjaminiHochberg,
	betaBinomialTest,
	cupedTest,
	gaussianBayesianTest,
	holmBonferroni,
	meanSummary,
	proportionSummary,
	sequentialTest,
	srmTest,
	stoppingDecision,
	twoProportionZTest,
	welchTTest,
	type AnalysisContext,
	type CupedSums,
	type DifferenceType,
	type FrequentistResult,
	type MeanSums,
	type SampleSummary,
	type SequentialResult,
} from "../stats/index.js";
import type { ExperimentMetricRow } from "../store/types.js";
import type { AssignmentMode } from "./experiment.js";
import { decide, guardrailAlerts, guardrailSummary } from "./decision.js";
import { DAY_MS, isBinaryMetric, metricDirection, type MetricDefinition } from "./metric.js";
// Ratio and quantile arms are built in metric-kinds.ts (they need the statistics of those metric types).
import { compareKind, newKindAccumulator, type ArmExtra } from "./metric-kinds.js";
import { relativeView, robustRelative } from "./relative-interval.js";
import type {
	Comparison,
	ComparisonCuped,
	Correction,
	CupedSummary,
	DailyPoint,
	EffectView,
	ExperimentResults,
	ResultRole,
	PlanStatus,
	RelativeEffectView,
	ResultsWarning,
	VariationTotals,
} from "./results-types.js";
import type { ExperimentUnits } from "./units.js";

export * from "./results-types.js";
export { experimentResultsSchema } from "./results-schema.js";

/** Days before first exposure the CUPED covariate covers unless a request says otherwise (Statsig, Eppo: 7–14). */
export const DEFAULT_CUPED_LOOKBACK_DAYS = 14;
/** Fewest units per arm for a comparison worth reading (and a breakdown cell that is not "small"). */
export const MIN_UNITS_PER_ARM = 100;

/** The experiment's plan, as the definition holds it. */
export interface ExperimentPlan {
	/** The relative effect worth detecting (0.05 = 5%); null: none set. */
	targetEffect: number | null;
	/** Unix ms of the fixed horizon's end; null: none set. */
	plannedEnd: number | null;
}

export interface ResultsOptions {
	/** Which effect is primary (`frequentist`, `bayesian`, `sequential`, the series). @default "relative" */
	difference?: DifferenceType;
	/** Across the treatment-vs-control comparisons. @default "holm" */
	correction?: Correction;
	/** @default 0.05 */
	alpha?: number;
	/** Adjust with the pre-exposure covariate when the units carry one. @default true */
	cuped?: boolean;
	/** Build the cumulative daily series (the guardrails' summaries and breakdown cells skip it). @default true */
	timeSeries?: boolean;
	/** @default {@link MIN_UNITS_PER_ARM} */
	minUnitsPerArm?: number;
}

/** One metric's units, as the route read them. */
export interface MetricData {
	metric: MetricDefinition;
	role: ResultRole;
	units: ExperimentUnits;
}

export interface ResultsInput extends MetricData {
	experimentKey: string;
	variations: readonly { key: string; weight: number }[];
	assignment: AssignmentMode;
	/** Analysis window, unix ms. */
	from: number;
	to: number;
	/** Days of CUPED covariate the units were read with (0: none). */
	lookbackDays: number;
	plan: ExperimentPlan;
}

export interface ExperimentInput extends Omit<ResultsInput, keyof MetricData> {
	/** The metric the document is about. */
	metric: MetricData;
	/** With the primary metric: every guardrail metric (for the decision and the alerts); else ignored. */
	guardrails: readonly MetricData[];
}

/**
 * The results document of one metric of an experiment ({@link analyzeMetric}); for the primary metric also every
 * guardrail's comparisons, the guardrail alerts and the recommendation (decision.ts); for a guardrail metric, its
 * own alerts.
 *
 * @example
 * analyzeExperiment({ ...common, metric: { metric, role: "primary", units }, guardrails: [{ metric: g, role: "guardrail", units: gu }] });
 */
export function analyzeExperiment(input: ExperimentInput, options: ResultsOptions = {}): ExperimentResults {
	const { metric, guardrails, ...common } = input;
	const results = analyzeMetric({ ...common, ...metric }, options);
	if (metric.role === "guardrail") {
		return { ...results, alerts: guardrailAlerts(input.experimentKey, [guardrailSummary(results)]) };
	}
	// Guardrails are judged for harm, not planned for: no target effect (no underpowered warning), no daily series.
	const summaries = guardrails.map((g) =>
		guardrailSummary(
			analyzeMetric(
				{ ...common, ...g, plan: { targetEffect: null, plannedEnd: common.plan.plannedEnd } },
				{ ...options, timeSeries: false },
			),
		),
	);
	return {
		...results,
		guardrails: summaries,
		decision: decide(results, summaries),
		alerts: guardrailAlerts(input.experimentKey, summaries),
	};
}

/**
 * Results of one metric.
 * 1. each unit's variation (index or key, as its first exposure sent it) is matched to an arm; others are counted apart;
 * 2. totals per arm; SRM against the planned weights (not for adaptive experiments, nor quantile metrics, whose units
 *    are only the players with a matching event);
 * 3. each treatment vs control (index 0), on both the absolute and the relative effect: z-test + Beta-binomial for
 *    binary metrics, Welch t + Gaussian Bayesian for means, and an always-valid sequential test for every metric;
 *    with a covariate (and `cuped` not false), the CUPED-adjusted tests are the headline and the raw ones are kept
 *    beside them; the relative interval is checked and a Fieller / log-ratio interval given where it fails;
 * 4. p-values corrected across treatments (Holm by default);
 * 5. warnings: SRM, units left out, underpowered for the target effect, peeking before the planned end;
 * 6. a cumulative daily series by first-exposure day.
 *
 * @example
 * analyzeMetric({ experimentKey: "shop", variations, assignment, metric, role: "primary", units, from, to,
 *   lookbackDays: 14, plan: { targetEffect: 0.05, plannedEnd: null } });
 */
export function analyzeMetric(input: ResultsInput, options: ResultsOptions = {}): ExperimentResults {
	const difference = options.difference ?? "relative";
	const correctionName = options.correction ?? "holm";
	const alpha = options.alpha ?? 0.05;
	const minUnitsPerArm = options.minUnitsPerArm ?? MIN_UNITS_PER_ARM;
	const { metric, units } = input;
	const kind = metricKind(metric);

	// 1. Units to arms.
	const { arms, excluded } = unitsByArm(units, input.variations);
	const cuped = cupedSummary(input, kind, options.cuped ?? true);
	const useCuped = cuped.applied;
	const accumulators = arms.map((indices) => {
		const acc = newAccumulator(kind, units, metric, useCuped);
		for (const i of indices) acc.add(i);
		return acc;
	});

	// 2. Totals and SRM.
	const warnings: ResultsWarning[] = [];
	const variations = accumulators.map((acc, i) => ({ index: i, key: input.variations[i]!.key, ...acc.totals() }));
	const adaptive = input.assignment.mode === "adaptive";
	const totalUnits = variations.reduce((s, v) => s + v.n, 0);
	const srm =
		adaptive || kind === "quantile" || totalUnits === 0
			? null
			: srmTest(
					variations.map((v) => v.n),
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
	const planStatus = planStatusOf(input);
	const peeking = planStatus.beforePlannedEnd ? peekingWarning(input.plan.plannedEnd!) : null;
	const settings: CompareSettings = {
		metric,
		difference,
		alpha,
		// Several treatments each get a share of alpha in the stopping rule (Bonferroni), so the chance that any of
		// them is called a winner or loser by chance stays at alpha.
		decisionAlpha: alpha / Math.max(1, input.variations.length - 1),
		minUnitsPerArm,
		targetEffect: input.plan.targetEffect,
		srmPValue: srm?.pValue,
		peeking,
	};
	const control = accumulators[0]!.arm();
	const tests = accumulators.slice(1).map((acc) => compareArms(control, acc.arm(), settings));

	// 4. Correction across treatments.
	const pValues = tests.map((t) => t.frequentist.pValue);
	const correction =
		correctionName === "none" || pValues.length < 2
			? null
			: {
					name: correctionName,
					...(correctionName === "holm" ? holmBonferroni(pValues, alpha) : benjaminiHochberg(pValues, alpha)),
				};
	const comparisons: Comparison[] = tests.map((t, i) => ({
		variation: input.variations[i + 1]!.key,
		...t,
		adjustedPValue: correction ? correction.adjusted[i]! : t.frequentist.pValue,
	}));

	// 5. Warnings of the comparisons, once each.
	const powers = comparisons.map((c) => c.power).filter((p): p is number => p !== null);
	planStatus.power = powers.length > 0 ? Math.min(...powers) : null;
	for (const c of comparisons) {
		for (const w of [...c.frequentist.warnings, ...relativeWarnings(c)]) {
			if (!warnings.some((x) => x.code === w.code)) warnings.push(w);
		}
	}

	// 6. Daily series.
	const timeSeries = options.timeSeries === false ? [] : dailySeries(input, arms, kind, useCuped, settings);

	if (useCuped) {
		const all = newAccumulator(kind, units, metric, true);
		for (const indices of arms) for (const i of indices) all.add(i);
		cuped.varianceReduction = all.pooledVarianceReduction();
	}

	return {
		experiment: input.experimentKey,
		metric,
		role: input.role,
		from: new Date(input.from).toISOString(),
		to: new Date(input.to).toISOString(),
		difference,
		cuped,
		variations,
		srm,
		comparisons,
		correction,
		excluded,
		warnings,
		plan: planStatus,
		decision: null,
		guardrails: [],
		alerts: [],
		timeSeries,
	};
}

/** How a metric's units are analysed. */
export type MetricKind = "binary" | "mean" | "ratio" | "quantile";

/**
 * The analysis a metric needs: binary (conversion, retention), mean (count, sum, revenue), ratio or quantile.
 *
 * @example
 * metricKind({ key: "d1", type: "retention", day: 1 }); // "binary"
 */
export function metricKind(metric: MetricDefinition): MetricKind {
	if (metric.type === "ratio") return "ratio";
	if (metric.type === "quantile") return "quantile";
	return isBinaryMetric(metric) ? "binary" : "mean";
}

/** The plan as the results read it: target, planned end, and whether these data stop short of it. */
function planStatusOf(input: ResultsInput): PlanStatus {
	const { targetEffect, plannedEnd } = input.plan;
	return {
		targetEffect,
		plannedEnd: plannedEnd === null ? null : new Date(plannedEnd).toISOString(),
		beforePlannedEnd: plannedEnd !== null && input.to < plannedEnd,
		power: null,
	};
}

/**
 * The peeking warning of a fixed-horizon result whose data end before the planned end: its p-value and interval
 * only hold when read once, at the planned sample; the always-valid (sequential) result may be read at any time.
 */
function peekingWarning(plannedEnd: number): ResultsWarning {
	return {
		code: "peeking",
		message:
			`Read before the planned end (${new Date(plannedEnd).toISOString().slice(0, 10)}): the fixed-horizon p-value ` +
			"and interval hold only when read once, at the planned end. Read the sequential (always-valid) result now, " +
			"or wait for the planned end.",
	};
}

function cupedSummary(input: ResultsInput, kind: MetricKind, requested: boolean): CupedSummary {
	const base = { lookbackDays: input.lookbackDays, varianceReduction: null };
	if (!requested) return { ...base, applied: false, reason: "CUPED was turned off for this request." };
	if (kind === "quantile") {
		return { ...base, applied: false, reason: "CUPED does not apply to quantile metrics." };
	}
	if (input.units.covariate === null || input.lookbackDays <= 0) {
		return { ...base, applied: false, reason: "No pre-exposure covariate was read (lookback of 0 days)." };
	}
	if (kind === "ratio" && input.units.covariateDenominator === null) {
		return { ...base, applied: false, reason: "No pre-exposure denominator was read for this ratio metric." };
	}
	// A constant covariate (typically: no unit was active before its exposure) cannot explain any variance; the plain
	// tests are then kept (the exact z-test and Beta-binomial for rates rather than Welch on adjusted values).
	// For a ratio the covariate is the linearized pre-period ratio M′ − R′·D′: constant when the numerators are all 0
	// (whatever the denominators) or when both parts are constant.
	const covariate = input.units.covariate;
	const uninformative =
		kind === "ratio"
			? isConstant(covariate) && (covariate[0] === 0 || isConstant(input.units.covariateDenominator!))
			: isConstant(covariate);
	if (uninformative) {
		return {
			...base,
			applied: false,
			reason: `No unit differs in the ${input.lookbackDays} days before its first exposure (e.g. all are new players), so CUPED has nothing to adjust with.`,
		};
	}
	return { ...base, applied: true, reason: null };
}

function isConstant(values: Float64Array): boolean {
	for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return false;
	return true;
}

// ----- Units to arms -----

/**
 * Unit indices per arm, and the units that belong to no arm.
 *
 * @example
 * unitsByArm(units, experiment.definition.variations).arms[0]; // [0, 2, 5, …]
 */
export function unitsByArm(
	units: ExperimentUnits,
	variations: readonly { key: string }[],
): { arms: number[][]; excluded: ExperimentResults["excluded"] } {
	const excluded = { multipleVariations: 0, unknownVariation: 0 };
	const arms: number[][] = variations.map(() => []);
	for (let i = 0; i < units.count; i++) {
		if (units.multipleVariations[i] === 1) {
			excluded.multipleVariations++;
			continue;
		}
		const index = variationIndex(units.variation[i] ?? null, variations);
		if (index < 0) excluded.unknownVariation++;
		else arms[index]!.push(i);
	}
	return { arms, excluded };
}

/**
 * Rows of per-day sums to arms (the adaptive weights and the exposures page still read sums): the sums of each arm
 * per first-exposure day and in total, and the units that belong to no arm.
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
		addRow(day[index]!, row);
		addRow(totals[index]!, row);
	}
	return { byDay, totals, excluded };
}

/** The arm an exposure's `variation` prop names: an index in range, or a variation key; -1 otherwise. */
export function variationIndex(value: string | number | null, variations: readonly { key: string }[]): number {
	if (typeof value === "number") return Number.isInteger(value) && value >= 0 && value < variations.length ? value : -1;
	if (typeof value === "string") return variations.findIndex((v) => v.key === value);
	return -1;
}

function emptySums(k: number): MeanSums[] {
	return Array.from({ length: k }, () => ({ n: 0, sum: 0, sumSquares: 0 }));
}

function addRow(into: MeanSums, row: ExperimentMetricRow): void {
	into.n += row.units;
	into.sum += row.sum;
	into.sumSquares += row.sumSquares;
}

// ----- Arms: what the comparisons read -----

/** One arm, ready to compare. */
export interface Arm {
	n: number;
	kind: MetricKind;
	/** Binary and mean metrics: sums of the value. */
	sums: MeanSums;
	/** With CUPED (binary and mean metrics): the value and covariate sums. */
	cupedSums: CupedSums | null;
	/** Ratio and quantile metrics: what their tests take. */
	extra: ArmExtra | null;
}

/** Accumulates units into an arm, so the daily series can grow arms day by day. */
export interface ArmAccumulator {
	add(unit: number): void;
	arm(): Arm;
	totals(): Omit<VariationTotals, "index" | "key">;
	/** Variance CUPED removes with every unit added so far pooled (0 without a covariate). */
	pooledVarianceReduction(): number;
}

function newAccumulator(
	kind: MetricKind,
	units: ExperimentUnits,
	metric: MetricDefinition,
	useCuped: boolean,
): ArmAccumulator {
	if (kind === "ratio" || kind === "quantile") return newKindAccumulator(kind, units, metric, useCuped);
	const sums: MeanSums = { n: 0, sum: 0, sumSquares: 0 };
	const cuped: CupedSums | null = useCuped ? { n: 0, sumY: 0, sumY2: 0, sumX: 0, sumX2: 0, sumXY: 0 } : null;
	const { value, covariate } = units;
	return {
		add(i) {
			const y = value[i]!;
			sums.n++;
			sums.sum += y;
			sums.sumSquares += y * y;
			if (cuped) {
				const x = covariate![i]!;
				cuped.n++;
				cuped.sumY += y;
				cuped.sumY2 += y * y;
				cuped.sumX += x;
				cuped.sumX2 += x * x;
				cuped.sumXY += x * y;
			}
		},
		arm: () => ({ n: sums.n, kind, sums: { ...sums }, cupedSums: cuped ? { ...cuped } : null, extra: null }),
		totals: () => {
			const mean = sums.n > 0 ? sums.sum / sums.n : 0;
			return { ...sums, mean, value: mean, denominatorSum: null };
		},
		pooledVarianceReduction: () => (cuped ? pooledReduction(cuped) : 0),
	};
}

/** 1 − Var(Y − θX)/Var(Y) with θ = Cov(X, Y)/Var(X), over the pooled sums. */
function pooledReduction(s: CupedSums): number {
	if (s.n < 2) return 0;
	const varY = (s.sumY2 - (s.sumY * s.sumY) / s.n) / (s.n - 1);
	const varX = (s.sumX2 - (s.sumX * s.sumX) / s.n) / (s.n - 1);
	const cov = (s.sumXY - (s.sumX * s.sumY) / s.n) / (s.n - 1);
	if (!(varY > 0) || !(varX > 0)) return 0;
	return (cov * cov) / (varX * varY);
}

// ----- Comparisons -----

/** What every comparison of one metric shares. */
export interface CompareSettings {
	metric: MetricDefinition;
	difference: DifferenceType;
	alpha: number;
	/** Level of the stopping rule and the regression flag: alpha ÷ treatments. */
	decisionAlpha: number;
	minUnitsPerArm: number;
	/** Relative. */
	targetEffect: number | null;
	srmPValue: number | undefined;
	/** Added to the fixed-horizon results' warnings when these data end before the planned end. */
	peeking: ResultsWarning | null;
}

/** The tests of one treatment against control on one effect scale. */
export interface ScaleTests {
	frequentist: FrequentistResult;
	/** Arm summaries of the estimate (mean = the arm's value, variance/n = its sampling variance). */
	summaries: [SampleSummary, SampleSummary];
	/** Degrees of freedom of the robust relative interval's critical value: Infinity for z-tests; default Welch's. */
	df?: number;
}

/** A comparison's tests on both scales, with and without CUPED. */
export interface KindTests {
	absolute: ScaleTests;
	relative: ScaleTests;
	/** With CUPED: the raw tests, and the adjustment. */
	unadjusted: { absolute: ScaleTests; relative: ScaleTests; theta: number; varianceReduction: number } | null;
	/** Binary metrics without CUPED: Beta-binomial instead of the Gaussian effect model. */
	betaBinomial: boolean;
}

/**
 * One treatment against control: both effects, fixed-horizon and always-valid, the Bayesian model on the primary
 * difference, CUPED, the regression flag, power for the target effect and the stopping rule.
 */
export function compareArms(
	control: Arm,
	treatment: Arm,
	settings: CompareSettings,
): Omit<Comparison, "variation" | "adjustedPValue"> {
	const { alpha } = settings;
	const controlValue = control.n > 0 ? armValue(control) : Number.NaN;
	const context = (difference: DifferenceType): AnalysisContext => ({
		minUnitsPerArm: settings.minUnitsPerArm,
		...(settings.srmPValue === undefined ? {} : { srmPValue: settings.srmPValue }),
		...(settings.targetEffect === null || !Number.isFinite(controlValue)
			? {}
			: {
					targetEffect:
						difference === "relative" ? settings.targetEffect : settings.targetEffect * Math.abs(controlValue),
				}),
	});
	const tests = kindTests(control, treatment, { alpha, context });

	const view = (scale: ScaleTests, difference: DifferenceType): EffectView => {
		const sequential = sequentialTest(scale.summaries[0], scale.summaries[1], {
			difference,
			alpha,
			context: context(difference),
		});
		return effectView(scale.frequentist, sequential);
	};
	const absolute = view(tests.absolute, "absolute");
	const relative = relativeView(
		view(tests.relative, "relative"),
		robustRelative(tests.relative.summaries, alpha, tests.relative.df),
	);

	// The primary difference's results, as before: fixed-horizon (with the peeking warning), Bayesian, sequential.
	const primary = settings.difference === "absolute" ? tests.absolute : tests.relative;
	const frequentist = withPeeking(primary.frequentist, settings.peeking);
	const sequential = sequentialTest(primary.summaries[0], primary.summaries[1], {
		difference: settings.difference,
		alpha,
		context: context(settings.difference),
	});
	const bayesian =
		control.kind === "quantile"
			? null
			: tests.betaBinomial
				? betaBinomialTest(
						{ n: control.sums.n, conversions: control.sums.sum },
						{ n: treatment.sums.n, conversions: treatment.sums.sum },
						{ alpha, context: context(settings.difference) },
					)
				: gaussianBayesianTest(primary.summaries[0], primary.summaries[1], {
						difference: settings.difference,
						alpha,
						context: context(settings.difference),
					});

	let cuped: ComparisonCuped | null = null;
	if (tests.unadjusted) {
		const u = tests.unadjusted;
		cuped = {
			theta: u.theta,
			varianceReduction: u.varianceReduction,
			unadjusted: {
				absolute: view(u.absolute, "absolute"),
				relative: relativeView(
					view(u.relative, "relative"),
					robustRelative(u.relative.summaries, alpha, u.relative.df),
				),
			},
		};
	}

	// Direction-aware readings, on the absolute effect (its sign is the change's, whatever control's sign).
	const goal = metricDirection(settings.metric) === "lower" ? "decrease" : "increase";
	const absoluteSequential = sequentialTest(tests.absolute.summaries[0], tests.absolute.summaries[1], {
		difference: "absolute",
		alpha: settings.decisionAlpha,
	});
	const regression =
		absoluteSequential.significant && (goal === "increase" ? absolute.effect < 0 : absolute.effect > 0);
	const targetAbsolute =
		settings.targetEffect === null || !Number.isFinite(controlValue)
			? undefined
			: settings.targetEffect * Math.abs(controlValue);
	const stopping = stoppingDecision(absoluteSequential, {
		minUnitsPerArm: settings.minUnitsPerArm,
		goal,
		...(targetAbsolute === undefined || !(targetAbsolute > 0) ? {} : { futilityMargin: targetAbsolute }),
		...(settings.srmPValue === undefined ? {} : { srmPValue: settings.srmPValue }),
	});
	const power =
		settings.targetEffect === null || !(relative.stdError > 0)
			? null
			: achievedPower(settings.targetEffect, relative.stdError, alpha);

	return { frequentist, bayesian, sequential, absolute, relative, cuped, regression, power, stopping };
}

/** The arm's metric value: rate, mean, ratio or quantile. */
function armValue(arm: Arm): number {
	if (arm.kind === "binary" || arm.kind === "mean") return arm.sums.n > 0 ? arm.sums.sum / arm.sums.n : Number.NaN;
	return arm.extra!.value;
}

function kindTests(
	control: Arm,
	treatment: Arm,
	options: { alpha: number; context: (difference: DifferenceType) => AnalysisContext },
): KindTests {
	if (control.kind === "ratio" || control.kind === "quantile") return compareKind(control, treatment, options);
	const { alpha, context } = options;
	const raw = (difference: DifferenceType): ScaleTests => {
		if (control.kind === "binary") {
			const a = { n: control.sums.n, conversions: control.sums.sum };
			const b = { n: treatment.sums.n, conversions: treatment.sums.sum };
			return {
				frequentist: twoProportionZTest(a, b, { difference, alpha, context: context(difference) }),
				summaries: [proportionSummary(a), proportionSummary(b)],
				df: Infinity,
			};
		}
		const a = meanSummary(control.sums);
		const b = meanSummary(treatment.sums);
		return { frequentist: welchTTest(a, b, { difference, alpha, context: context(difference) }), summaries: [a, b] };
	};
	if (!control.cupedSums || !treatment.cupedSums) {
		return {
			absolute: raw("absolute"),
			relative: raw("relative"),
			unadjusted: null,
			betaBinomial: control.kind === "binary",
		};
	}
	const adjusted = (difference: DifferenceType): ScaleTests & { theta: number; varianceReduction: number } => {
		const result = cupedTest(control.cupedSums!, treatment.cupedSums!, {
			difference,
			alpha,
			context: context(difference),
		});
		const { adjustment } = result;
		return {
			frequentist: result,
			summaries: [adjustment.control, adjustment.treatment],
			theta: adjustment.theta,
			varianceReduction: adjustment.varianceReduction,
		};
	};
	const absolute = adjusted("absolute");
	return {
		absolute,
		relative: adjusted("relative"),
		unadjusted: {
			absolute: raw("absolute"),
			relative: raw("relative"),
			theta: absolute.theta,
			varianceReduction: absolute.varianceReduction,
		},
		betaBinomial: false,
	};
}

function effectView(f: FrequentistResult, s: SequentialResult): EffectView {
	return {
		effect: f.effect,
		stdError: f.stdError,
		ci: f.ci,
		pValue: f.pValue,
		significant: f.significant,
		sequential: { ci: s.ci, pValue: s.pValue, significant: s.significant },
	};
}

function withPeeking(result: FrequentistResult, peeking: ResultsWarning | null): FrequentistResult {
	if (!peeking || result.warnings.some((w) => w.code === "peeking")) return result;
	return { ...result, warnings: [...result.warnings, peeking as FrequentistResult["warnings"][number]] };
}

/** The results-level warning a comparison's unreliable relative interval raises. */
function relativeWarnings(c: Comparison): ResultsWarning[] {
	const r: RelativeEffectView = c.relative;
	if (r.reliable) return [];
	return [{ code: "relative-interval-unreliable", message: r.reliabilityNote }];
}

// ----- Daily series -----

function dailySeries(
	input: ResultsInput,
	arms: readonly number[][],
	kind: MetricKind,
	useCuped: boolean,
	settings: CompareSettings,
): DailyPoint[] {
	const { units } = input;
	const byDay = new Map<number, number[][]>();
	arms.forEach((indices, arm) => {
		for (const i of indices) {
			const day = Math.floor(units.firstExposure[i]! / DAY_MS);
			let lists = byDay.get(day);
			if (!lists) byDay.set(day, (lists = arms.map(() => [])));
			lists[arm]!.push(i);
		}
	});
	const days = [...byDay.keys()].sort((a, b) => a - b);
	const running = arms.map(() => newAccumulator(kind, units, input.metric, useCuped));
	const quiet: CompareSettings = { ...settings, targetEffect: null, peeking: null };
	return days.map((day): DailyPoint => {
		byDay.get(day)!.forEach((indices, arm) => {
			for (const i of indices) running[arm]!.add(i);
		});
		const current = running.map((acc) => acc.arm());
		return {
			date: new Date(day * DAY_MS).toISOString().slice(0, 10),
			variations: running.map((acc, i) => {
				const totals = acc.totals();
				return { key: input.variations[i]!.key, units: totals.n, mean: totals.value };
			}),
			comparisons: current.slice(1).map((treatment, i) => {
				const tests = kindTests(current[0]!, treatment, { alpha: quiet.alpha, context: () => ({}) });
				const f = (quiet.difference === "absolute" ? tests.absolute : tests.relative).frequentist;
				return { variation: input.variations[i + 1]!.key, effect: f.effect, ci: f.ci, pValue: f.pValue };
			}),
		};
	});
}
