// Purchase propensity: the probability that an active player buys something within N days (default 7) after a
// cut-off. Same features, same split and the same honesty rules as churn (see churn.ts): trained on the early window
// and training players, measured on held-out players at the later cut-off, next to recency alone.
import {
	heldOutMetrics,
	rate,
	splitChurnData,
	type ChurnOptions,
	type ChurnWindows,
	type HeldOutMetrics,
} from "./churn.js";
import { FEATURE_NAMES, featureVector, playerFeatures, type FeatureEvent } from "./features.js";
import { fitLogistic, predictProbability, type LogisticModel } from "./logistic.js";

const DAY_MS = 86_400_000;

/** What a purchase-propensity model is, what it was trained on and how it did on held-out players. */
export interface PurchaseModelCard {
	model: "purchase_propensity";
	method: string;
	horizonDays: number;
	activeWithinDays: number;
	features: { name: string; coefficient: number }[];
	training: { cutoff: string; players: number; purchaseRate: number };
	heldOut: { cutoff: string; players: number; purchaseRate: number; metrics: HeldOutMetrics };
	baseline: { name: string; metrics: HeldOutMetrics };
	trainedAt: string;
}

/**
 * Whether a player made a purchase in [cutoff, cutoff + horizon).
 *
 * @example
 * purchased([{ userId: 1, sessionId: "", type: "purchase", name: "gems", time: 5, props: { robux: 99 } }], 0, 10); // 1
 */
export function purchased(events: readonly FeatureEvent[], cutoff: number, horizonMs: number): 0 | 1 {
	for (const e of events) if (e.type === "purchase" && e.time >= cutoff && e.time < cutoff + horizonMs) return 1;
	return 0;
}

/**
 * Rows of active players at a cut-off with the purchase label over the horizon after it.
 *
 * @example
 * purchaseDataset(players, cutoff).labels; // [0, 0, 1, …]
 */
export function purchaseDataset(
	players: ReadonlyMap<number, readonly FeatureEvent[]>,
	cutoff: number,
	options: ChurnOptions = {},
): { rows: number[][]; labels: number[] } {
	const horizonMs = (options.horizonDays ?? 7) * DAY_MS;
	const activeWithinDays = options.activeWithinDays ?? 7;
	const out = { rows: [] as number[][], labels: [] as number[] };
	for (const [userId, events] of players) {
		const f = playerFeatures(userId, events, cutoff, options);
		if (!f || f.daysSinceLast > activeWithinDays) continue;
		out.rows.push(featureVector(f));
		out.labels.push(purchased(events, cutoff, horizonMs));
	}
	return out;
}

/**
 * Trains purchase propensity on the training window and players; measures it and the recency baseline on held-out
 * players at the later cut-off.
 *
 * @example
 * trainPurchasePropensity(byPlayer, { trainCutoff, testCutoff }, Date.now()).card.heldOut.metrics.auc;
 */
export function trainPurchasePropensity(
	players: ReadonlyMap<number, readonly FeatureEvent[]>,
	windows: ChurnWindows,
	trainedAt: number,
	options: ChurnOptions = {},
): { model: LogisticModel; card: PurchaseModelCard } {
	// 1. Split first (the same rules as churn: disjoint players, no day after the training labels).
	const { train, test } = splitChurnData(players, windows, options);
	const trainSet = purchaseDataset(train, windows.trainCutoff, options);
	const testSet = purchaseDataset(test, windows.testCutoff, options);
	if (rate(trainSet.labels) === 0 || rate(trainSet.labels) === 1 || testSet.rows.length === 0) {
		throw new RangeError("need buyers and non-buyers in training and players to test on");
	}
	// 2. Fit the model and the baseline (recency alone).
	const l2 = options.l2 ?? 1;
	const model = fitLogistic(trainSet.rows, trainSet.labels, { l2 });
	const recency = FEATURE_NAMES.indexOf("log_days_since_last");
	const baseline = fitLogistic(
		trainSet.rows.map((r) => [r[recency]!]),
		trainSet.labels,
		{ l2 },
	);
	// 3. Measure on held-out players.
	const iso = (ms: number) => new Date(ms).toISOString();
	const card: PurchaseModelCard = {
		model: "purchase_propensity",
		method: `L2-regularized logistic regression (λ = ${l2}, standardized features, Newton/IRLS)`,
		horizonDays: options.horizonDays ?? 7,
		activeWithinDays: options.activeWithinDays ?? 7,
		features: FEATURE_NAMES.map((name, j) => ({ name, coefficient: model.coefficients[j]! })),
		training: { cutoff: iso(windows.trainCutoff), players: trainSet.rows.length, purchaseRate: rate(trainSet.labels) },
		heldOut: {
			cutoff: iso(windows.testCutoff),
			players: testSet.rows.length,
			purchaseRate: rate(testSet.labels),
			metrics: heldOutMetrics(
				testSet.rows.map((r) => predictProbability(model, r)),
				testSet.labels,
			),
		},
		baseline: {
			name: "recency alone (log days since last event)",
			metrics: heldOutMetrics(
				testSet.rows.map((r) => predictProbability(baseline, [r[recency]!])),
				testSet.labels,
			),
		},
		trainedAt: iso(trainedAt),
	};
	return { model, card };
}
