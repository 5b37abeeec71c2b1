// Churn prediction: the probability that a player active before a cut-off does not come back within N days after it.
// Trained on one window and measured on a later window and on players the fit never saw, against a naive baseline
// (recency alone), so the held-out numbers on the model card are honest: nothing here is tuned on the test set.
//
// The timeline (train cut-off T, test cut-off T', horizon h, T + h ≤ T'):
//   training features: events before T (look-back window) · training labels: events in [T, T + h)
//   test features:     events before T'                   · test labels:     events in [T', T' + h)
// Training players and test players are disjoint (a hash of the user id), and training never sees an event at or
// after T + h, so neither a test player nor a test-window day can reach the fit.
import {
	FEATURE_NAMES,
	featureVector,
	playerFeatures,
	type FeatureEvent,
	type FeatureOptions,
	type PlayerFeatures,
} from "./features.js";
import {
	auc,
	calibration,
	featureContributions,
	fitLogistic,
	logLoss,
	predictProbability,
	type LogisticModel,
	type ReliabilityBin,
} from "./logistic.js";

const DAY_MS = 86_400_000;

export interface ChurnOptions extends FeatureOptions {
	/** A player churned if they have no event within this many days after the cut-off. @default 7 */
	horizonDays?: number;
	/** L2 penalty of the logistic regression (standardized features). @default 1 */
	l2?: number;
	/** Share of players held out for testing (never trained on). @default 0.3 */
	testFraction?: number;
	/** Seed of the player split, so a retrain holds out the same players. @default 1 */
	splitSeed?: number;
	/**
	 * Who is "at risk": players with an event within this many days before the cut-off. Players silent for longer
	 * have already left; counting them would inflate every score (recency alone would look excellent). @default 7
	 */
	activeWithinDays?: number;
}

/** The two cut-offs (unix ms). `trainCutoff + horizon` must not pass `testCutoff`. */
export interface ChurnWindows {
	trainCutoff: number;
	testCutoff: number;
}

/** A model's quality on the held-out players and window. */
export interface HeldOutMetrics {
	auc: number;
	logLoss: number;
	/** Expected calibration error over 10 equal-width bins. */
	ece: number;
	brier: number;
	bins: ReliabilityBin[];
}

/** What a churn model is, what it was trained on and how well it did where it was not trained. */
export interface ChurnModelCard {
	model: "churn";
	method: string;
	horizonDays: number;
	lookbackDays: number;
	activeWithinDays: number;
	features: { name: string; coefficient: number }[];
	intercept: number;
	training: { cutoff: string; labelsUntil: string; players: number; churnRate: number };
	heldOut: { cutoff: string; labelsUntil: string; players: number; churnRate: number; metrics: HeldOutMetrics };
	baseline: { name: string; metrics: HeldOutMetrics };
	trainedAt: string;
}

/** One player's rows for a model: features, the numeric input and the label. */
export interface ChurnDataset {
	features: PlayerFeatures[];
	rows: number[][];
	labels: number[];
}

/**
 * Whether a player is held out for testing: a stable hash of (userId, seed), so the same players stay out across
 * retrains and no randomness source is needed.
 *
 * @example
 * isHeldOut(123456, 0.3, 1); // true or false, the same on every call
 */
export function isHeldOut(userId: number, fraction: number, seed: number): boolean {
	// A 32-bit integer mix (the finalizer of MurmurHash3) of both halves of the id and the seed.
	let h = (Math.imul(userId >>> 0, 0x9e3779b1) ^ Math.floor(userId / 4294967296) ^ Math.imul(seed, 0x85ebca6b)) >>> 0;
	h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
	h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
	h = (h ^ (h >>> 16)) >>> 0;
	return h / 4294967296 < fraction;
}

/**
 * Splits players' histories into what training may see and what testing may see: training players' events before
 * `trainCutoff + horizon`, and held-out players' events before `testCutoff + horizon`.
 *
 * @example
 * const { train, test } = splitChurnData(byPlayer, { trainCutoff, testCutoff });
 */
export function splitChurnData<E extends FeatureEvent>(
	players: ReadonlyMap<number, readonly E[]>,
	windows: ChurnWindows,
	options: ChurnOptions = {},
): { train: Map<number, E[]>; test: Map<number, E[]> } {
	const horizonMs = (options.horizonDays ?? 7) * DAY_MS;
	const fraction = options.testFraction ?? 0.3;
	const seed = options.splitSeed ?? 1;
	// Training labels would otherwise be read from days the test window also scores.
	if (windows.trainCutoff + horizonMs > windows.testCutoff) {
		throw new RangeError("the training labels' window must end at or before the test cut-off");
	}
	const train = new Map<number, E[]>();
	const test = new Map<number, E[]>();
	for (const [userId, events] of players) {
		const heldOut = isHeldOut(userId, fraction, seed);
		const until = (heldOut ? windows.testCutoff : windows.trainCutoff) + horizonMs;
		const visible = events.filter((e) => e.time < until);
		if (visible.length > 0) (heldOut ? test : train).set(userId, visible);
	}
	return { train, test };
}

/**
 * Whether a player churned: no event in [cutoff, cutoff + horizon).
 *
 * @example
 * churned([{ userId: 1, sessionId: "", type: "custom", name: "x", time: 5, props: {} }], 0, 10); // 0 (came back)
 */
export function churned(events: readonly FeatureEvent[], cutoff: number, horizonMs: number): 0 | 1 {
	for (const e of events) if (e.time >= cutoff && e.time < cutoff + horizonMs) return 0;
	return 1;
}

/**
 * The model rows at one cut-off: every player active within `activeWithinDays` before it (a player silent longer
 * has already left and is no longer "at risk"), with the churn label from the horizon after it.
 *
 * @example
 * churnDataset(train, windows.trainCutoff).labels; // [0, 1, 1, 0, …]
 */
export function churnDataset(
	players: ReadonlyMap<number, readonly FeatureEvent[]>,
	cutoff: number,
	options: ChurnOptions = {},
): ChurnDataset {
	const horizonMs = (options.horizonDays ?? 7) * DAY_MS;
	const activeWithinDays = options.activeWithinDays ?? 7;
	const out: ChurnDataset = { features: [], rows: [], labels: [] };
	for (const [userId, events] of players) {
		const f = playerFeatures(userId, events, cutoff, options);
		if (!f || f.daysSinceLast > activeWithinDays) continue;
		out.features.push(f);
		out.rows.push(featureVector(f));
		out.labels.push(churned(events, cutoff, horizonMs));
	}
	return out;
}

/**
 * Trains a churn model on the training window and players, then measures it and the recency baseline on the held-out
 * players at the later cut-off. `trainedAt` is passed in (pure: no clock read here).
 *
 * @example
 * const { model, card } = trainChurnModel(groupByPlayer(events), { trainCutoff, testCutoff }, Date.now());
 * card.heldOut.metrics.auc; // e.g. 0.84, next to card.baseline.metrics.auc
 */
export function trainChurnModel(
	players: ReadonlyMap<number, readonly FeatureEvent[]>,
	windows: ChurnWindows,
	trainedAt: number,
	options: ChurnOptions = {},
): { model: LogisticModel; baseline: LogisticModel; card: ChurnModelCard } {
	const horizonDays = options.horizonDays ?? 7;
	// 1. Split before anything is computed, so the training rows cannot be built from test data.
	const { train, test } = splitChurnData(players, windows, options);
	const trainSet = churnDataset(train, windows.trainCutoff, options);
	const testSet = churnDataset(test, windows.testCutoff, options);
	if (trainSet.rows.length === 0 || testSet.rows.length === 0)
		throw new RangeError("no active players to train or test on");
	// 2. Fit the model and the baseline (recency alone, fitted the same way so its probabilities are comparable).
	const model = fitLogistic(trainSet.rows, trainSet.labels, { l2: options.l2 ?? 1 });
	const recency = FEATURE_NAMES.indexOf("log_days_since_last");
	const baseline = fitLogistic(
		trainSet.rows.map((r) => [r[recency]!]),
		trainSet.labels,
		{ l2: options.l2 ?? 1 },
	);
	// 3. Measure both on the held-out players at the later cut-off.
	const modelScores = testSet.rows.map((r) => predictProbability(model, r));
	const baselineScores = testSet.rows.map((r) => predictProbability(baseline, [r[recency]!]));
	const iso = (ms: number) => new Date(ms).toISOString();
	const card: ChurnModelCard = {
		model: "churn",
		method: `L2-regularized logistic regression (λ = ${model.l2}, standardized features, Newton/IRLS)`,
		horizonDays,
		lookbackDays: options.lookbackDays ?? 28,
		activeWithinDays: options.activeWithinDays ?? 7,
		features: FEATURE_NAMES.map((name, j) => ({ name, coefficient: model.coefficients[j]! })),
		intercept: model.intercept,
		training: {
			cutoff: iso(windows.trainCutoff),
			labelsUntil: iso(windows.trainCutoff + horizonDays * DAY_MS),
			players: trainSet.rows.length,
			churnRate: rate(trainSet.labels),
		},
		heldOut: {
			cutoff: iso(windows.testCutoff),
			labelsUntil: iso(windows.testCutoff + horizonDays * DAY_MS),
			players: testSet.rows.length,
			churnRate: rate(testSet.labels),
			metrics: heldOutMetrics(modelScores, testSet.labels),
		},
		baseline: {
			name: "recency alone (log days since last event)",
			metrics: heldOutMetrics(baselineScores, testSet.labels),
		},
		trainedAt: iso(trainedAt),
	};
	return { model, baseline, card };
}

/** A player's churn score and the features that push it most (largest absolute contributions first). */
export interface ChurnScore {
	userId: number;
	probability: number;
	drivers: { feature: string; contribution: number }[];
}

/**
 * Scores players with a trained model, each with its `topDrivers` strongest feature contributions.
 *
 * @example
 * scoreChurn(model, allPlayerFeatures(events, Date.now()))[0]; // { userId, probability: 0.71, drivers: [ … ] }
 */
export function scoreChurn(model: LogisticModel, players: readonly PlayerFeatures[], topDrivers = 3): ChurnScore[] {
	return players.map((f) => {
		const row = featureVector(f);
		const drivers = featureContributions(model, row, FEATURE_NAMES)
			.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
			.slice(0, topDrivers);
		return { userId: f.userId, probability: predictProbability(model, row), drivers };
	});
}

/**
 * AUC, log loss and calibration (10 bins) of probabilities against outcomes: the held-out block of a model card.
 *
 * @example
 * heldOutMetrics([0.2, 0.8], [0, 1]).auc; // 1
 */
export function heldOutMetrics(scores: readonly number[], labels: readonly number[]): HeldOutMetrics {
	const c = calibration(scores, labels, 10);
	return { auc: auc(scores, labels), logLoss: logLoss(scores, labels), ece: c.ece, brier: c.brier, bins: c.bins };
}

/** The share of 1s. */
export function rate(labels: readonly number[]): number {
	let sum = 0;
	for (const y of labels) sum += y;
	return labels.length ? sum / labels.length : NaN;
}
