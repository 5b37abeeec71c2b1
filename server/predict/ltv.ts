// Lifetime value over a horizon: the Robux an active player spends in the N days (30 or 90) after a cut-off,
// predicted on the same features as churn, measured on held-out players at a later cut-off against a cohort-average
// baseline (the mean future spend of training players of the same age in weeks).
//
// Why a two-part ("hurdle") model: spend is zero for most players and heavy-tailed for the rest, so one linear fit
// on everyone smears the payers' spend over the non-payers. Expected Robux = P(any purchase in the horizon)
// (logistic regression) × expected spend of a buyer (ridge regression on the buyers only, floored at the smallest
// spend seen). The mean absolute error also rewards predicting the median (0 for most players), so the card reports
// the MAE of always predicting 0 and the ratio of predicted to actual total spend, so nobody mistakes a low MAE for
// a good revenue forecast.
import { rate, splitChurnData, type ChurnOptions, type ChurnWindows } from "./churn.js";
import { FEATURE_NAMES, featureVector, playerFeatures, type FeatureEvent, type PlayerFeatures } from "./features.js";
import { choleskySolve, fitLogistic, predictProbability, standardization, type LogisticModel } from "./logistic.js";

const DAY_MS = 86_400_000;
/** Cohort buckets of the baseline: weeks since first seen, the last bucket holding everyone older. */
const COHORT_WEEKS = 12;

/** A fitted ridge regression; coefficients apply to standardized features. */
export interface LinearModel {
	intercept: number;
	coefficients: number[];
	means: number[];
	scales: number[];
	l2: number;
}

/**
 * Ridge regression: least squares on standardized features plus l2/2·‖β‖², intercept unpenalized, solved in closed
 * form ((ZᵀZ + λI)β = Zᵀ(y − ȳ), intercept ȳ because standardized columns have mean 0).
 *
 * @example
 * predictLinear(fitRidge([[0], [1], [2]], [1, 3, 5], { l2: 1e-9 }), [3]); // ≈ 7
 */
export function fitRidge(
	rows: readonly (readonly number[])[],
	targets: readonly number[],
	options: { l2?: number } = {},
): LinearModel {
	const l2 = options.l2 ?? 1;
	if (!(l2 > 0)) throw new RangeError("l2 must be > 0");
	if (rows.length === 0 || rows.length !== targets.length)
		throw new RangeError("need one target per row, at least one");
	const { means, scales } = standardization(rows);
	const d = means.length;
	let yMean = 0;
	for (const y of targets) yMean += y;
	yMean /= targets.length;
	const gram = new Float64Array(d * d);
	const rhs = new Float64Array(d);
	const z = new Float64Array(d);
	for (let i = 0; i < rows.length; i++) {
		const row = rows[i]!;
		for (let j = 0; j < d; j++) z[j] = (row[j]! - means[j]!) / scales[j]!;
		const yc = targets[i]! - yMean;
		for (let a = 0; a < d; a++) {
			rhs[a]! += z[a]! * yc;
			for (let b = 0; b <= a; b++) gram[a * d + b]! += z[a]! * z[b]!;
		}
	}
	for (let a = 0; a < d; a++) {
		for (let b = 0; b < a; b++) gram[b * d + a] = gram[a * d + b]!;
		gram[a * d + a]! += l2;
	}
	return { intercept: yMean, coefficients: Array.from(choleskySolve(gram, rhs, d)), means, scales, l2 };
}

/**
 * The ridge model's prediction for one raw feature row.
 *
 * @example
 * predictLinear(model, featureVector(features)); // expected Robux (may be negative: clip where it must not be)
 */
export function predictLinear(model: LinearModel, row: readonly number[]): number {
	let y = model.intercept;
	for (let j = 0; j < model.coefficients.length; j++) {
		y += model.coefficients[j]! * ((row[j]! - model.means[j]!) / model.scales[j]!);
	}
	return y;
}

/**
 * Robux spent in [cutoff, cutoff + horizon).
 *
 * @example
 * spendBetween([{ userId: 1, sessionId: "", type: "purchase", name: "gems", time: 5, props: { robux: 99 } }], 0, 10); // 99
 */
export function spendBetween(events: readonly FeatureEvent[], cutoff: number, horizonMs: number): number {
	let sum = 0;
	for (const e of events) {
		if (e.type !== "purchase" || e.time < cutoff || e.time >= cutoff + horizonMs) continue;
		const robux = e.props.robux;
		if (typeof robux === "number" && Number.isFinite(robux) && robux > 0) sum += robux;
	}
	return sum;
}

/** Rows of players active at a cut-off, with their spend over the horizon after it. */
export interface LtvDataset {
	features: PlayerFeatures[];
	rows: number[][];
	targets: number[];
}

/**
 * The LTV rows at one cut-off: players active within `activeWithinDays` (default 28 here: a month-long horizon
 * also covers players between visits) and what they spend over `horizonDays` (default 30).
 *
 * @example
 * ltvDataset(players, cutoff, { horizonDays: 90 }).targets; // [0, 0, 298, …]
 */
export function ltvDataset(
	players: ReadonlyMap<number, readonly FeatureEvent[]>,
	cutoff: number,
	options: ChurnOptions = {},
): LtvDataset {
	const horizonMs = (options.horizonDays ?? 30) * DAY_MS;
	const activeWithinDays = options.activeWithinDays ?? 28;
	const out: LtvDataset = { features: [], rows: [], targets: [] };
	for (const [userId, events] of players) {
		const f = playerFeatures(userId, events, cutoff, options);
		if (!f || f.daysSinceLast > activeWithinDays) continue;
		out.features.push(f);
		out.rows.push(featureVector(f));
		out.targets.push(spendBetween(events, cutoff, horizonMs));
	}
	return out;
}

/** Regression quality on held-out players. */
export interface LtvMetrics {
	mae: number;
	rmse: number;
	/** Σ predicted / Σ actual: 1 when total revenue is forecast right. */
	totalRatio: number;
}

/** What an LTV model is, what it was trained on and how it did on held-out players. */
export interface LtvModelCard {
	model: "ltv";
	method: string;
	horizonDays: number;
	activeWithinDays: number;
	/** Per feature: its coefficient in P(buy) (log-odds) and in the spend of a buyer (Robux), per standard deviation. */
	features: { name: string; buyCoefficient: number; spendCoefficient: number }[];
	training: { cutoff: string; players: number; meanSpend: number; payerRate: number };
	heldOut: { cutoff: string; players: number; meanSpend: number; metrics: LtvMetrics };
	baseline: { name: string; metrics: LtvMetrics };
	/** MAE of always predicting 0 (the median for most games): a floor any MAE claim should be read against. */
	zeroMae: number;
	trainedAt: string;
}

/**
 * Trains the LTV model for one horizon (options.horizonDays, default 30) and measures it against the cohort-average
 * baseline on held-out players at the later cut-off.
 *
 * @example
 * trainLtvModel(byPlayer, { trainCutoff, testCutoff }, Date.now(), { horizonDays: 90 }).card.heldOut.metrics.mae;
 */
export function trainLtvModel(
	players: ReadonlyMap<number, readonly FeatureEvent[]>,
	windows: ChurnWindows,
	trainedAt: number,
	options: ChurnOptions = {},
): { model: LtvModel; card: LtvModelCard } {
	const horizonDays = options.horizonDays ?? 30;
	const withHorizon = { ...options, horizonDays };
	// 1. Split first: disjoint players, training never sees a day after its labels' horizon.
	const { train, test } = splitChurnData(players, windows, withHorizon);
	const trainSet = ltvDataset(train, windows.trainCutoff, withHorizon);
	const testSet = ltvDataset(test, windows.testCutoff, withHorizon);
	if (trainSet.rows.length === 0 || testSet.rows.length === 0)
		throw new RangeError("no active players to train or test on");
	// 2. The model, and the baseline's cohort means (training players only).
	const model = fitLtv(trainSet, options.l2 ?? 1);
	const cohortMean = cohortMeans(trainSet);
	// 3. Held-out predictions.
	const predicted = testSet.rows.map((r) => predictLtv(model, r));
	const baseline = testSet.features.map((f) => cohortMean(f));
	const iso = (ms: number) => new Date(ms).toISOString();
	const card: LtvModelCard = {
		model: "ltv",
		method: `hurdle: P(buy) by L2 logistic regression × spend per buyer by ridge regression (λ = ${options.l2 ?? 1})`,
		horizonDays,
		activeWithinDays: options.activeWithinDays ?? 28,
		features: FEATURE_NAMES.map((name, j) => ({
			name,
			buyCoefficient: model.buy.coefficients[j]!,
			spendCoefficient: model.spend.coefficients[j]!,
		})),
		training: {
			cutoff: iso(windows.trainCutoff),
			players: trainSet.rows.length,
			meanSpend: mean(trainSet.targets),
			payerRate: rate(trainSet.targets.map((y) => (y > 0 ? 1 : 0))),
		},
		heldOut: {
			cutoff: iso(windows.testCutoff),
			players: testSet.rows.length,
			meanSpend: mean(testSet.targets),
			metrics: regressionMetrics(predicted, testSet.targets),
		},
		baseline: {
			name: "cohort average (mean spend of training players by weeks since first seen)",
			metrics: regressionMetrics(baseline, testSet.targets),
		},
		zeroMae: mean(testSet.targets),
		trainedAt: iso(trainedAt),
	};
	return { model, card };
}

/** The two parts of the LTV model. */
export interface LtvModel {
	/** P(any purchase within the horizon). */
	buy: LogisticModel;
	/** Spend within the horizon of a player who buys. */
	spend: LinearModel;
	/** Smallest positive spend in training: a buyer's expected spend is never below it. */
	minSpend: number;
}

/**
 * Fits both parts on a training set (needs buyers and non-buyers).
 *
 * @example
 * const model = fitLtv(ltvDataset(train, trainCutoff), 1);
 */
export function fitLtv(set: LtvDataset, l2: number): LtvModel {
	const bought = set.targets.map((y) => (y > 0 ? 1 : 0));
	const buyerRows = set.rows.filter((_, i) => bought[i] === 1);
	const buyerTargets = set.targets.filter((y) => y > 0);
	if (buyerRows.length === 0 || buyerRows.length === set.rows.length) {
		throw new RangeError("need buyers and non-buyers in training");
	}
	return {
		buy: fitLogistic(set.rows, bought, { l2 }),
		spend: fitRidge(buyerRows, buyerTargets, { l2 }),
		minSpend: Math.min(...buyerTargets),
	};
}

/**
 * Expected Robux over the model's horizon for one raw feature row: P(buy) × expected spend of a buyer.
 *
 * @example
 * predictLtv(model, featureVector(features)); // e.g. 37.5
 */
export function predictLtv(model: LtvModel, row: readonly number[]): number {
	return predictProbability(model.buy, row) * Math.max(model.minSpend, predictLinear(model.spend, row));
}

/**
 * MAE, RMSE and the total ratio of predictions against actual values.
 *
 * @example
 * regressionMetrics([1, 3], [2, 2]); // { mae: 1, rmse: 1, totalRatio: 1 }
 */
export function regressionMetrics(predicted: readonly number[], actual: readonly number[]): LtvMetrics {
	let abs = 0;
	let sq = 0;
	let sumP = 0;
	let sumA = 0;
	for (let i = 0; i < actual.length; i++) {
		const e = predicted[i]! - actual[i]!;
		abs += Math.abs(e);
		sq += e * e;
		sumP += predicted[i]!;
		sumA += actual[i]!;
	}
	return { mae: abs / actual.length, rmse: Math.sqrt(sq / actual.length), totalRatio: sumA ? sumP / sumA : NaN };
}

/** The baseline: mean training target by cohort week, the overall mean for a week nobody in training had. */
function cohortMeans(set: LtvDataset): (f: PlayerFeatures) => number {
	const week = (f: PlayerFeatures) => Math.min(COHORT_WEEKS, Math.floor(f.cohortAgeDays / 7));
	const sums = new Map<number, { sum: number; n: number }>();
	set.features.forEach((f, i) => {
		const w = week(f);
		const s = sums.get(w) ?? { sum: 0, n: 0 };
		s.sum += set.targets[i]!;
		s.n += 1;
		sums.set(w, s);
	});
	const overall = mean(set.targets);
	return (f) => {
		const s = sums.get(week(f));
		return s ? s.sum / s.n : overall;
	};
}

function mean(values: readonly number[]): number {
	let sum = 0;
	for (const v of values) sum += v;
	return values.length ? sum / values.length : NaN;
}
