// Planning an experiment before it starts: how many players each variation needs to detect the smallest effect worth
// finding (server/stats/power.ts), and how many days the game's own traffic takes to bring them. Pure: the traffic
// arrives as the metrics engine's active-users answer (daily, weekly and monthly active players, new players).
import { z } from "zod";
import type { ValidationIssue } from "../errors.js";
import {
	powerMeans,
	powerProportions,
	sampleSizeMeans,
	sampleSizeProportions,
	type SampleSizeResult,
} from "../stats/index.js";
import { WEIGHT_TOLERANCE, normalizedWeights } from "./common-schema.js";

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

/** POST /v1/admin/games/{gameId}/experiments/plan */
export const planRequestSchema = z.strictObject({
	baseline: z
		.discriminatedUnion("kind", [proportionBaseline, meanBaseline])
		.describe("The metric as it is today: a rate (conversion, retention) or a mean with its standard deviation."),
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
	baseline: PlanRequest["baseline"];
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
export function planIssues(request: PlanRequest): ValidationIssue[] {
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
	} else if (request.relativeMde && b.mean === 0) {
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
export function planExperiment(request: PlanRequest, traffic: Traffic | null): PlanResult {
	const weights = normalizedWeights(request.weights)!;
	const comparisons = weights.length - 1;
	const alphaPerComparison = request.alpha / comparisons;
	const w0 = weights[0]!;
	const absolute = absoluteEffect(request);
	const b = request.baseline;
	const base = b.kind === "proportion" ? b.rate : b.mean;
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

function absoluteEffect(request: PlanRequest): number {
	const b = request.baseline;
	if (!request.relativeMde) return request.mde;
	return request.mde * (b.kind === "proportion" ? b.rate : b.mean);
}

function sampleSize(request: PlanRequest, absolute: number, alpha: number, ratio: number): SampleSizeResult {
	const b = request.baseline;
	const common = { mde: Math.abs(absolute), alpha, power: request.power, ratio };
	return b.kind === "proportion"
		? sampleSizeProportions({ baseline: b.rate, ...common })
		: sampleSizeMeans({ stdDev: b.stdDev, ...common });
}

function achievedPower(
	request: PlanRequest,
	absolute: number,
	alpha: number,
	ratio: number,
	controlUnits: number,
): number {
	if (controlUnits <= 0) return 0;
	const b = request.baseline;
	const common = { mde: Math.abs(absolute), alpha, ratio, controlUnits };
	return b.kind === "proportion"
		? powerProportions({ baseline: b.rate, ...common }).power
		: powerMeans({ stdDev: b.stdDev, ...common }).power;
}

/** The plan document (for the OpenAPI document). */
export const planResultSchema = z.object({
	method: z.string().describe("The sample-size formula used."),
	assumptions: z.array(z.string()).describe("What the plan assumes, for people to check."),
	baseline: z.discriminatedUnion("kind", [proportionBaseline, meanBaseline]).describe("The baseline as requested."),
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
