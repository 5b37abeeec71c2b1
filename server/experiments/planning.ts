// Planning an experiment before it starts: how many players each variation needs to detect the smallest effect worth
// finding (server/stats/power.ts), and how many days the game's own traffic takes to bring them. Pure: the traffic
// arrives as the metrics engine's active-users answer (daily, weekly and monthly active players, new players), and an
// observed baseline as an experiment's units (observedBaseline): the metric's own rate, mean and variance (CUPED-
// reduced when a pre-exposure covariate explains some of it), for rates, means and ratio metrics.
import { z } from "zod";
import type { ValidationIssue } from "../errors.js";
import {
	cupedAdjust,
	powerMeans,
	powerProportions,
	powerRatio,
	ratioSummary,
	sampleSizeMeans,
	sampleSizeProportions,
	sampleSizeRatio,
	type SampleSizeResult,
	type SampleSummary,
} from "../stats/index.js";
import { ValidationError } from "../errors.js";
import { WEIGHT_TOLERANCE, entityKeySchema, normalizedWeights } from "./common-schema.js";
import { isBinaryMetric, metricKeySchema, type MetricDefinition } from "./metric.js";
import type { ExperimentUnits } from "./units.js";

/** Longest test the plan looks for, in days: past it the answer is "more than a year". */
export const MAX_PLAN_DAYS = 365;
/** Test lengths the forecast reports the reach and power of. */
export const FORECAST_DAYS = [7, 14, 28, 56] as const;

const proportionBaseline = z.strictObject({
	kind: z.literal("proportion").describe("A rate: conversion or retention."),
	rate: z
		.number()
		.gt(0)
		.lt(1)
		.describe("Control's conversion (or retention) rate, between 0 and 1 exclusive: 0.2 = 20% of players."),
});
const meanBaseline = z.strictObject({
	kind: z.literal("mean").describe("A mean per player, with its standard deviation."),
	mean: z.number().describe("Control's mean per player (e.g. Robux spent, levels completed)."),
	stdDev: z.number().positive().describe("Standard deviation of one player's value."),
});
const ratioBaseline = z.strictObject({
	kind: z.literal("ratio").describe("A ratio metric: Σ numerator / Σ denominator (e.g. Robux per session)."),
	ratio: z.number().describe("Control's ratio."),
	stdDev: z
		.number()
		.positive()
		.describe("Per-player standard deviation of the linearized ratio, √Var(M − R·D)/D̄ (delta method)."),
});
const observedBaselineSchema = z.strictObject({
	kind: z
		.literal("observed")
		.describe("Read from the game's data: the metric as an experiment's control arm measured it recently."),
	experiment: entityKeySchema.describe("The experiment whose units are read (a running or past one)."),
	metric: metricKeySchema
		.optional()
		.describe("Its metric (primary or guardrail); default: its primary metric. Quantile metrics are not supported."),
	days: z
		.number()
		.int()
		.min(1)
		.max(90)
		.default(28)
		.describe("Units first exposed in the last this many days (within the experiment's run) are read."),
	cuped: z
		.boolean()
		.default(true)
		.describe("Plan for CUPED-adjusted results: the variance the pre-exposure covariate explains is removed."),
});

/** A baseline the plan computes with (an observed one resolved into one of these). */
export const resolvedBaselineSchema = z
	.discriminatedUnion("kind", [proportionBaseline, meanBaseline, ratioBaseline])
	.describe("The metric as it is today: a rate, a mean with its standard deviation, or a ratio.");
export type ResolvedBaseline = z.output<typeof resolvedBaselineSchema>;

/** POST /v1/admin/games/{gameId}/experiments/plan */
export const planRequestSchema = z.strictObject({
	baseline: z
		.discriminatedUnion("kind", [proportionBaseline, meanBaseline, ratioBaseline, observedBaselineSchema])
		.describe(
			"The metric as it is today: a rate (conversion, retention), a mean with its standard deviation, a ratio, " +
				"or observed: read from an experiment's control arm (its rate, mean or ratio and variance).",
		),
	mde: z
		.number()
		.positive()
		.describe("Minimum detectable effect: relative to the baseline (0.05 = +5%) unless relativeMde is false."),
	relativeMde: z.boolean().default(true).describe("Whether mde is relative to the baseline (default) or absolute."),
	alpha: z.number().min(0.001).max(0.2).default(0.05).describe("Two-sided significance level."),
	power: z.number().min(0.5).max(0.99).default(0.8).describe("Chance of detecting an effect of size mde."),
	weights: z
		.array(z.number().min(0).max(1))
		.min(2)
		.max(20)
		.default([0.5, 0.5])
		.describe("The variations' split, control first, summing to 1 (± 0.001)."),
	eligibleShare: z
		.number()
		.gt(0)
		.max(1)
		.default(1)
		.describe("Share of the game's players who take part: coverage × the share matching the targeting."),
	settleDays: z
		.number()
		.int()
		.min(0)
		.max(120)
		.default(0)
		.describe("Days the metric needs after the last player joins (day-N retention: N + 1)."),
	lookbackDays: z
		.number()
		.int()
		.min(7)
		.max(90)
		.default(28)
		.describe("Complete days of traffic (ending yesterday, the game's time zone) the estimate rests on."),
});
export type PlanRequest = z.output<typeof planRequestSchema>;
/** A plan request whose baseline is known (an observed one read from the data). */
export type ResolvedPlanRequest = Omit<PlanRequest, "baseline"> & { baseline: ResolvedBaseline };

/** Where an observed baseline came from. */
export interface ObservedBaselineInfo {
	experiment: string;
	metric: string;
	/** ISO 8601 window of first exposures read. */
	from: string;
	to: string;
	/** Control units read. */
	units: number;
	/** The raw per-player standard deviation (of the linearized ratio for ratio metrics). */
	rawStdDev: number;
	/** Share of the variance CUPED removes (pooled over every arm); null when not applied. */
	varianceReduction: number | null;
}

/** One day of the active-users metric (the fields the plan reads). */
export interface TrafficDay {
	date: string;
	dau: number;
	newPlayers: number;
	wau: number;
	mau: number;
}

/** The game's traffic as the plan reads it. */
export interface Traffic {
	/** First and last day of the history used (YYYY-MM-DD, the game's days). */
	from: string;
	to: string;
	/** Days from the first day with players to the last: the history the estimate rests on. */
	days: number;
	/** Mean daily active players over those days. */
	dailyActive: number;
	/** Mean new players a day. */
	dailyNew: number;
	/** Distinct players over those days. */
	players: number;
	/** Distinct players in the 7 days ending on the last day; null with under 7 days of history. */
	weeklyActive: number | null;
	/** Distinct players in the 30 days ending on the last day; null with under 30 days of history. */
	monthlyActive: number | null;
}

export interface PlanWarning {
	code: "no-traffic" | "short-history" | "too-long" | "long-test" | "few-players";
	message: string;
}

export interface PlanResult {
	method: string;
	assumptions: string[];
	baseline: ResolvedBaseline;
	/** With an observed baseline: where it came from; null otherwise. */
	observed: ObservedBaselineInfo | null;
	/** The effect on both scales; `relative` is null when the baseline mean is 0. */
	mde: { absolute: number; relative: number | null };
	alpha: number;
	/** Alpha of each treatment-vs-control comparison (Bonferroni over the comparisons). */
	alphaPerComparison: number;
	power: number;
	/** Treatment-vs-control comparisons: variations − 1. */
	comparisons: number;
	/** Players each variation needs, control first. */
	variations: { index: number; weight: number; units: number }[];
	/** Players the experiment needs in all. */
	totalUnits: number;
	eligibleShare: number;
	/** Distinct players who must visit so that `totalUnits` of them take part (totalUnits ÷ eligibleShare). */
	playersToReach: number;
	traffic: Traffic | null;
	/** Days until enough players have joined; null without traffic or past {@link MAX_PLAN_DAYS}. */
	enrollmentDays: number | null;
	settleDays: number;
	/** enrollmentDays + settleDays: how long the test runs. */
	days: number | null;
	/** Distinct players reached, players taking part and the power reached after each length. */
	forecast: { days: number; players: number; units: number; power: number }[];
	warnings: PlanWarning[];
}

/**
 * Problems a valid-looking plan request still has, each with its path:
 * 1. the weights sum to 1 (± 0.001) and every variation has a share above 0;
 * 2. a rate plus the effect stays below 1;
 * 3. a relative effect on a mean needs a mean other than 0.
 */
export function planIssues(raw: PlanRequest): ValidationIssue[] {
	const request = resolved(raw);
	const issues: ValidationIssue[] = [];
	if (!normalizedWeights(request.weights)) {
		issues.push({ path: "weights", message: `the shares must sum to 100% (± ${WEIGHT_TOLERANCE * 100}%)` });
	}
	request.weights.forEach((w, i) => {
		if (w === 0) issues.push({ path: `weights.${i}`, message: "every variation needs a share above 0 to be compared" });
	});
	const b = request.baseline;
	if (b.kind === "proportion") {
		const treated = b.rate + absoluteEffect(request);
		if (treated >= 1) {
			issues.push({
				path: "mde",
				message: `the treatment's rate would be ${(treated * 100).toFixed(1)}%: pick an effect that keeps it below 100%`,
			});
		}
	} else if (request.relativeMde && (b.kind === "mean" ? b.mean : b.ratio) === 0) {
		issues.push({ path: "mde", message: "a relative effect needs a baseline mean other than 0: give an absolute one" });
	}
	return issues;
}

/**
 * The traffic the plan reads from the active-users metric's days (oldest first) and its distinct players over them:
 * the history starts at the first day with players; null when no day has any.
 *
 * @example
 * trafficFromActiveUsers([{ date: "2025-01-01", dau: 100, newPlayers: 20, wau: 100, mau: 100 }], 100);
 */
export function trafficFromActiveUsers(days: readonly TrafficDay[], players: number): Traffic | null {
	const first = days.findIndex((d) => d.dau > 0);
	if (first < 0) return null;
	const history = days.slice(first);
	const last = history[history.length - 1]!;
	const mean = (pick: (d: TrafficDay) => number) => history.reduce((s, d) => s + pick(d), 0) / history.length;
	return {
		from: history[0]!.date,
		to: last.date,
		days: history.length,
		dailyActive: mean((d) => d.dau),
		dailyNew: mean((d) => d.newPlayers),
		players,
		weeklyActive: history.length >= 7 ? last.wau : null,
		monthlyActive: history.length >= 30 ? last.mau : null,
	};
}

/**
 * Expected distinct players over the next `days` days, from what the game saw: piecewise linear through the known
 * points (1 day: mean DAU; 7: WAU; 30: MAU; the whole history: its distinct players), then growing by the mean new
 * players a day (returning players are already counted). Returning players rarely seen would add a few more, so
 * the estimate errs on the long side.
 *
 * @example
 * reachModel(traffic)(14); // distinct players expected in two weeks
 */
export function reachModel(traffic: Traffic): (days: number) => number {
	const points: [number, number][] = [[1, traffic.dailyActive]];
	if (traffic.weeklyActive !== null) points.push([7, traffic.weeklyActive]);
	if (traffic.monthlyActive !== null) points.push([30, traffic.monthlyActive]);
	if (traffic.days > 1) points.push([traffic.days, traffic.players]);
	points.sort((a, b) => a[0] - b[0]);
	// One value per day, never falling as days are added.
	const known: [number, number][] = [];
	for (const [day, value] of points) {
		const previous = known[known.length - 1];
		if (previous && previous[0] === day) previous[1] = Math.max(previous[1], value);
		else known.push([day, Math.max(value, previous?.[1] ?? 0)]);
	}
	return (days) => {
		let before = known[0]!;
		if (days <= before[0]) return (before[1] * days) / before[0];
		for (const point of known.slice(1)) {
			if (days <= point[0]) {
				const share = (days - before[0]) / (point[0] - before[0]);
				return before[1] + share * (point[1] - before[1]);
			}
			before = point;
		}
		return before[1] + traffic.dailyNew * (days - before[0]);
	};
}

/**
 * The plan of one experiment.
 * 1. each treatment against control at ratio wᵢ/w₀, at alpha ÷ (variations − 1) (Bonferroni, which the results'
 *    default Holm correction never needs more than): the players that comparison needs ({@link sampleSizeProportions}
 *    for rates, {@link sampleSizeMeans} for means), and so the experiment's total; the largest total wins;
 * 2. players to reach: the total ÷ the eligible share;
 * 3. without traffic: no duration; else the first day on which the {@link reachModel} reaches them, up to
 *    {@link MAX_PLAN_DAYS}, plus the settle days;
 * 4. the forecast: reach and power after 7, 14, 28 and 56 days.
 * The request must have passed {@link planIssues}.
 *
 * @example
 * planExperiment(planRequestSchema.parse({ baseline: { kind: "proportion", rate: 0.2 }, mde: 0.25 }), traffic);
 */
export function planExperiment(
	raw: PlanRequest,
	traffic: Traffic | null,
	observed: ObservedBaselineInfo | null = null,
): PlanResult {
	const request = resolved(raw);
	const weights = normalizedWeights(request.weights)!;
	const comparisons = weights.length - 1;
	const alphaPerComparison = request.alpha / comparisons;
	const w0 = weights[0]!;
	const absolute = absoluteEffect(request);
	const b = request.baseline;
	const base = baselineValue(b);
	const mde = { absolute, relative: base === 0 ? null : absolute / base };

	// 1. The comparison that needs the most players sets the total.
	const sizes = weights.slice(1).map((w) => sampleSize(request, absolute, alphaPerComparison, w / w0));
	let total = 0;
	sizes.forEach((size, i) => {
		total = Math.max(total, size.control / w0, size.treatment / weights[i + 1]!);
	});
	const totalUnits = Math.ceil(total - 1e-9);
	const variations = weights.map((weight, index) => ({ index, weight, units: Math.ceil(totalUnits * weight - 1e-9) }));

	// 2. Players who must visit.
	const playersToReach = Math.ceil(totalUnits / request.eligibleShare - 1e-9);

	// 3. Duration at the game's traffic.
	const warnings: PlanWarning[] = [];
	const reach = traffic ? reachModel(traffic) : undefined;
	let enrollmentDays: number | null = null;
	if (!traffic || !reach) {
		warnings.push({
			code: "no-traffic",
			message: `No players in the last ${request.lookbackDays} complete days, so the test's length cannot be estimated yet.`,
		});
	} else {
		for (let d = 1; d <= MAX_PLAN_DAYS; d++) {
			if (reach(d) * request.eligibleShare >= totalUnits) {
				enrollmentDays = d;
				break;
			}
		}
		if (traffic.days < 7) {
			warnings.push({
				code: "short-history",
				message: `Only ${traffic.days} day${traffic.days === 1 ? "" : "s"} of traffic so far: how many players come back later is a rough guess.`,
			});
		}
		if (enrollmentDays === null) {
			warnings.push({
				code: "too-long",
				message:
					"At today's traffic the test would need more than a year. A larger effect, fewer variations or a wider audience shortens it.",
			});
		} else if (enrollmentDays + request.settleDays > 56) {
			warnings.push({
				code: "long-test",
				message:
					"The test would run more than 8 weeks; players and the game change over that time, so consider a larger effect.",
			});
		}
	}
	if (totalUnits < 200 * weights.length) {
		warnings.push({
			code: "few-players",
			message:
				"Fewer than 200 players per variation: the normal approximation behind these numbers is rough; plan for more.",
		});
	}

	// 4. Forecast.
	const forecast = reach
		? FORECAST_DAYS.map((days) => {
				const players = Math.round(reach(days));
				const units = Math.round(players * request.eligibleShare);
				const reached = weights
					.slice(1)
					.map((w) => achievedPower(request, absolute, alphaPerComparison, w / w0, units * w0));
				return { days, players, units, power: Math.min(...reached) };
			})
		: [];

	const method = sizes[0]!.method;
	return {
		method,
		assumptions: [
			...sizes[0]!.assumptions,
			...(comparisons > 1
				? [`${comparisons} treatments each compared with control at alpha ÷ ${comparisons} (Bonferroni)`]
				: []),
			"every player who visits is exposed once, on their first visit of the test; the split follows the weights",
			"traffic continues as over the history (mean daily and new players); distinct players interpolated from DAU, WAU, MAU",
		],
		baseline: request.baseline,
		observed,
		mde,
		alpha: request.alpha,
		alphaPerComparison,
		power: request.power,
		comparisons,
		variations,
		totalUnits,
		eligibleShare: request.eligibleShare,
		playersToReach,
		traffic,
		enrollmentDays,
		settleDays: request.settleDays,
		days: enrollmentDays === null ? null : enrollmentDays + request.settleDays,
		forecast,
		warnings,
	};
}

/** The request with its baseline known: an observed baseline must have been read first ({@link observedBaseline}). */
function resolved(request: PlanRequest): ResolvedPlanRequest {
	if (request.baseline.kind === "observed") {
		throw new Error("An observed baseline is read from the data first (observedBaseline), then planned with.");
	}
	return request as ResolvedPlanRequest;
}

function baselineValue(b: ResolvedBaseline): number {
	return b.kind === "proportion" ? b.rate : b.kind === "mean" ? b.mean : b.ratio;
}

function absoluteEffect(request: ResolvedPlanRequest): number {
	if (!request.relativeMde) return request.mde;
	return request.mde * baselineValue(request.baseline);
}

/** A ratio baseline as the summary the ratio power functions take (variance = per-unit linearized variance). */
function ratioBaselineSummary(b: Extract<ResolvedBaseline, { kind: "ratio" }>): SampleSummary {
	return { n: 2, mean: b.ratio, variance: b.stdDev * b.stdDev };
}

function sampleSize(request: ResolvedPlanRequest, absolute: number, alpha: number, ratio: number): SampleSizeResult {
	const b = request.baseline;
	const common = { mde: Math.abs(absolute), alpha, power: request.power, ratio };
	if (b.kind === "ratio") return sampleSizeRatio({ baseline: ratioBaselineSummary(b), ...common });
	return b.kind === "proportion"
		? sampleSizeProportions({ baseline: b.rate, ...common })
		: sampleSizeMeans({ stdDev: b.stdDev, ...common });
}

function achievedPower(
	request: ResolvedPlanRequest,
	absolute: number,
	alpha: number,
	ratio: number,
	controlUnits: number,
): number {
	if (controlUnits <= 0) return 0;
	const b = request.baseline;
	const common = { mde: Math.abs(absolute), alpha, ratio, controlUnits };
	if (b.kind === "ratio") return powerRatio({ baseline: ratioBaselineSummary(b), ...common }).power;
	return b.kind === "proportion"
		? powerProportions({ baseline: b.rate, ...common }).power
		: powerMeans({ stdDev: b.stdDev, ...common }).power;
}

/** The plan document (for the OpenAPI document). */
export const planResultSchema = z.object({
	method: z.string().describe("The sample-size formula used."),
	assumptions: z.array(z.string()).describe("What the plan assumes, for people to check."),
	baseline: resolvedBaselineSchema.describe("The baseline planned with: as requested, or as observed (resolved)."),
	observed: z
		.object({
			experiment: z.string().describe("The experiment read."),
			metric: z.string().describe("Its metric read."),
			from: z.string().describe("ISO 8601 start of the first exposures read."),
			to: z.string().describe("ISO 8601 end (exclusive)."),
			units: z.number().int().describe("Control units read."),
			rawStdDev: z.number().describe("Per-player standard deviation before CUPED."),
			varianceReduction: z
				.number()
				.nullable()
				.describe("Share of the variance CUPED removes, which the plan counts on; null when not applied."),
		})
		.nullable()
		.describe("With an observed baseline: where it came from; null otherwise."),
	mde: z
		.object({
			absolute: z.number().describe("In the metric's unit (rate points or the mean's unit)."),
			relative: z.number().nullable().describe("As a share of the baseline; null when the baseline is 0."),
		})
		.describe("The minimum detectable effect, both ways."),
	alpha: z.number().describe("Two-sided significance level."),
	alphaPerComparison: z.number().describe("alpha ÷ comparisons (Bonferroni)."),
	power: z.number().describe("Chance of detecting an effect of size mde."),
	comparisons: z.number().int().describe("Treatments compared with control."),
	variations: z
		.array(
			z.object({
				index: z.number().int().describe("Position in the variations (0 = control)."),
				weight: z.number().describe("Its share of the players taking part."),
				units: z.number().int().describe("Players it needs."),
			}),
		)
		.describe("Players each variation needs, control first."),
	totalUnits: z.number().int().describe("Players the experiment needs in all."),
	eligibleShare: z.number().describe("Share of the game's players who take part."),
	playersToReach: z.number().int().describe("Distinct players who must visit: totalUnits ÷ eligibleShare."),
	traffic: z
		.object({
			from: z.string().describe("First day of the history (YYYY-MM-DD, the game's time zone)."),
			to: z.string().describe("Last day of the history (YYYY-MM-DD, inclusive)."),
			days: z.number().int().describe("Days of history from the first day with players."),
			dailyActive: z.number().describe("Mean daily active players."),
			dailyNew: z.number().describe("Mean new players a day."),
			players: z.number().int().describe("Distinct players over the history."),
			weeklyActive: z.number().int().nullable().describe("Distinct players over the last 7 days; null if shorter."),
			monthlyActive: z.number().int().nullable().describe("Distinct players over the last 28 days; null if shorter."),
		})
		.nullable()
		.describe("The game's traffic over the lookback (complete days); null without players."),
	enrollmentDays: z
		.number()
		.int()
		.nullable()
		.describe("Days until enough players took part; null if unknown or > 365."),
	settleDays: z.number().int().describe("Days the metric needs after the last player joins."),
	days: z.number().int().nullable().describe("enrollmentDays + settleDays."),
	forecast: z
		.array(
			z.object({
				days: z.number().int().describe("Days from the start."),
				players: z.number().int().describe("Distinct players expected."),
				units: z.number().int().describe("Of them taking part (× eligibleShare)."),
				power: z.number().describe("Power for mde reached with them (the weakest comparison)."),
			}),
		)
		.describe("After 7, 14, 28 and 56 days; empty without traffic."),
	warnings: z
		.array(
			z.object({
				code: z.string().describe("Stable code of the warning."),
				message: z.string().describe("What it means, for people."),
			}),
		)
		.describe("What may make the plan unreliable (little traffic, …" + ")."),
});

/**
 * A baseline from an experiment's units: its control arm's rate, mean or ratio and per-player variance, with the
 * variance CUPED would remove (θ from every arm pooled, so the treatment does not decide it) taken off when `cuped`:
 * a rate then plans as a mean with standard deviation √(p(1 − p)(1 − R²)). Needs at least 2 control units with some
 * variance; quantile metrics have no power formula here → 400.
 *
 * @example
 * observedBaseline(units, experiment.definition.variations, metric, { cuped: true });
 * // { baseline: { kind: "mean", mean: 4.1, stdDev: 1.2 }, rawStdDev: 3.4, varianceReduction: 0.87 }
 */
export function observedBaseline(
	units: ExperimentUnits,
	variations: readonly { key: string }[],
	metric: MetricDefinition,
	options: { cuped: boolean },
): { baseline: ResolvedBaseline; rawStdDev: number; varianceReduction: number | null; controlUnits: number } {
	if (metric.type === "quantile") {
		throw new ValidationError("The plan cannot be computed.", [
			{ path: "baseline.metric", message: "quantile metrics are not supported: plan with a mean or ratio metric" },
		]);
	}
	const control: number[] = [];
	const all: number[] = [];
	for (let i = 0; i < units.count; i++) {
		if (units.multipleVariations[i] === 1) continue;
		const v = units.variation[i];
		const index = typeof v === "number" ? v : variations.findIndex((x) => x.key === v);
		if (index < 0 || index >= variations.length) continue;
		all.push(i);
		if (index === 0) control.push(i);
	}
	const tooFew = () =>
		new ValidationError("The plan cannot be computed.", [
			{
				path: "baseline",
				message: `only ${control.length} control units with data in the window: too few to estimate a variance`,
			},
		]);
	if (control.length < 2) throw tooFew();
	const covariate = options.cuped ? units.covariate : null;

	// 1. Ratio metrics: the linearized ratio's variance (CUPED on the linearization, as results do).
	if (metric.type === "ratio") {
		const den = units.denominator!;
		const sums = (list: number[]) => {
			const s = { n: 0, sumNum: 0, sumNum2: 0, sumDen: 0, sumDen2: 0, sumNumDen: 0 };
			for (const i of list) {
				const m = units.value[i]!;
				const d = den[i]!;
				s.n++;
				s.sumNum += m;
				s.sumNum2 += m * m;
				s.sumDen += d;
				s.sumDen2 += d * d;
				s.sumNumDen += m * d;
			}
			return s;
		};
		const summary = ratioSummary(sums(control));
		if (!(Number.isFinite(summary.mean) && summary.variance > 0)) throw tooFew();
		const rawStdDev = Math.sqrt(summary.variance);
		const reduction = covariate && units.covariateDenominator ? linearizedReduction(units, all) : null;
		const stdDev = rawStdDev * Math.sqrt(1 - (reduction ?? 0));
		return {
			baseline: { kind: "ratio", ratio: summary.mean, stdDev },
			rawStdDev,
			varianceReduction: reduction,
			controlUnits: control.length,
		};
	}

	// 2. Rates and means: the control arm's mean and variance; CUPED's reduction from every arm pooled.
	let sum = 0;
	let sumSquares = 0;
	for (const i of control) {
		sum += units.value[i]!;
		sumSquares += units.value[i]! ** 2;
	}
	const n = control.length;
	const mean = sum / n;
	const variance = Math.max(0, (sumSquares - (sum * sum) / n) / (n - 1));
	if (!(variance > 0)) throw tooFew();
	let reduction: number | null = null;
	// A covariate constant over the units (no one active before exposure) explains nothing: plan without CUPED.
	if (covariate && all.some((i) => covariate[i] !== covariate[all[0]!])) {
		const pooled = { n: 0, sumY: 0, sumY2: 0, sumX: 0, sumX2: 0, sumXY: 0 };
		for (const i of all) {
			const y = units.value[i]!;
			const x = covariate[i]!;
			pooled.n++;
			pooled.sumY += y;
			pooled.sumY2 += y * y;
			pooled.sumX += x;
			pooled.sumX2 += x * x;
			pooled.sumXY += x * y;
		}
		const empty = { n: 0, sumY: 0, sumY2: 0, sumX: 0, sumX2: 0, sumXY: 0 };
		reduction = pooled.n > 2 ? Math.max(0, cupedAdjust(pooled, empty).varianceReduction) : null;
	}
	const rawStdDev = Math.sqrt(variance);
	if (isBinaryMetric(metric) && reduction === null) {
		if (!(mean > 0 && mean < 1)) throw tooFew();
		return { baseline: { kind: "proportion", rate: mean }, rawStdDev, varianceReduction: null, controlUnits: n };
	}
	const stdDev = rawStdDev * Math.sqrt(1 - (reduction ?? 0));
	return { baseline: { kind: "mean", mean, stdDev }, rawStdDev, varianceReduction: reduction, controlUnits: n };
}

/** CUPED's variance reduction on the linearized ratio, every arm pooled: ρ² of (M − R·D)/D̄ and (M′ − R′·D′)/D̄′. */
function linearizedReduction(units: ExperimentUnits, list: readonly number[]): number | null {
	const den = units.denominator!;
	const pre = units.covariate!;
	const preDen = units.covariateDenominator!;
	let m = 0;
	let d = 0;
	let pm = 0;
	let pd = 0;
	for (const i of list) {
		m += units.value[i]!;
		d += den[i]!;
		pm += pre[i]!;
		pd += preDen[i]!;
	}
	if (d === 0 || pd === 0 || list.length < 3) return null;
	const r = m / d;
	const rPre = pm / pd;
	let sy = 0;
	let sx = 0;
	let syy = 0;
	let sxx = 0;
	let sxy = 0;
	for (const i of list) {
		const y = units.value[i]! - r * den[i]!;
		const x = pre[i]! - rPre * preDen[i]!;
		sy += y;
		sx += x;
		syy += y * y;
		sxx += x * x;
		sxy += x * y;
	}
	const n = list.length;
	const vy = syy - (sy * sy) / n;
	const vx = sxx - (sx * sx) / n;
	const c = sxy - (sx * sy) / n;
	return vy > 0 && vx > 0 ? (c * c) / (vx * vy) : 0;
}
