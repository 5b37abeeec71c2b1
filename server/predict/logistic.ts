// L2-regularized logistic regression and the measures a probability model is judged by (AUC, log loss, calibration).
// Pure functions over plain arrays: no I/O, no clock, no randomness, so a fit is reproducible to the last bit.
//
// Why Newton's method (IRLS) and not gradient descent: the models here have a dozen or two features, so the
// (d+1)² Hessian is tiny, each iteration costs one pass over the rows (n·d²), and Newton converges in ~6-10
// iterations to machine precision with no learning rate to tune. The L2 penalty makes the Hessian positive definite,
// so the Cholesky solve cannot fail on collinear or constant features.

/** A fitted model. Coefficients apply to standardized features; `means`/`scales` standardize a raw row. */
export interface LogisticModel {
	/** Intercept on the standardized scale (the log-odds of a player with every feature at its training mean). */
	intercept: number;
	/** One coefficient per feature, on the standardized scale (log-odds per standard deviation). */
	coefficients: number[];
	/** Training means of the raw features. */
	means: number[];
	/** Training standard deviations of the raw features (1 where a feature was constant, so it standardizes to 0). */
	scales: number[];
	/** The L2 penalty the model was fitted with. */
	l2: number;
	/** Newton iterations taken. */
	iterations: number;
	/** Whether the largest coefficient change fell under the tolerance before `maxIterations`. */
	converged: boolean;
}

export interface LogisticOptions {
	/**
	 * L2 penalty λ on the standardized coefficients (never the intercept): the objective is the negative
	 * log-likelihood plus λ/2·‖β‖². Must be > 0. @default 1
	 */
	l2?: number;
	/** Most Newton iterations. @default 50 */
	maxIterations?: number;
	/** Convergence: stop when no coefficient moves more than this in one step. @default 1e-10 */
	tolerance?: number;
}

/** Mean and (population) standard deviation of every column; a constant column gets scale 1. */
export function standardization(rows: readonly (readonly number[])[]): { means: number[]; scales: number[] } {
	const d = rows[0]?.length ?? 0;
	const means = new Array<number>(d).fill(0);
	const scales = new Array<number>(d).fill(0);
	for (const row of rows) for (let j = 0; j < d; j++) means[j]! += row[j]!;
	for (let j = 0; j < d; j++) means[j]! /= rows.length;
	for (const row of rows) {
		for (let j = 0; j < d; j++) {
			const diff = row[j]! - means[j]!;
			scales[j]! += diff * diff;
		}
	}
	for (let j = 0; j < d; j++) {
		const sd = Math.sqrt(scales[j]! / rows.length);
		// A constant column (a platform nobody in the window used) standardizes to 0 and keeps coefficient 0.
		scales[j] = sd > 1e-12 ? sd : 1;
	}
	return { means, scales };
}

/**
 * Fits L2-regularized logistic regression by Newton's method (IRLS) on standardized features.
 *
 * @example
 * const model = fitLogistic([[0], [1], [2], [3]], [0, 0, 1, 1], { l2: 1 });
 * predictProbability(model, [3]); // > 0.5
 */
export function fitLogistic(
	rows: readonly (readonly number[])[],
	labels: readonly number[],
	options: LogisticOptions = {},
): LogisticModel {
	const l2 = options.l2 ?? 1;
	const maxIterations = options.maxIterations ?? 50;
	const tolerance = options.tolerance ?? 1e-10;
	// 1. Refuse what cannot be fitted rather than return a silently wrong model.
	if (!(l2 > 0)) throw new RangeError("l2 must be > 0");
	if (rows.length === 0 || rows.length !== labels.length) throw new RangeError("need one label per row, at least one");
	// 2. Standardize once into a flat array with a leading 1 for the intercept (cache-friendly inner loops).
	const { means, scales } = standardization(rows);
	const d = means.length;
	const k = d + 1;
	const n = rows.length;
	const z = new Float64Array(n * k);
	for (let i = 0; i < n; i++) {
		const row = rows[i]!;
		z[i * k] = 1;
		for (let j = 0; j < d; j++) z[i * k + 1 + j] = (row[j]! - means[j]!) / scales[j]!;
	}
	// 3. Newton steps, halved while the penalized objective does not decrease (guards separable data).
	let beta = new Float64Array(k);
	let objective = penalizedLoss(z, labels, beta, k, l2);
	let iterations = 0;
	let converged = false;
	while (iterations < maxIterations && !converged) {
		iterations += 1;
		const { gradient, hessian } = gradientAndHessian(z, labels, beta, k, l2);
		const step = choleskySolve(hessian, gradient, k);
		let scale = 1;
		let next = beta;
		let nextObjective = Infinity;
		for (let halvings = 0; halvings < 30; halvings++) {
			next = beta.map((b, j) => b - scale * step[j]!);
			nextObjective = penalizedLoss(z, labels, next, k, l2);
			if (nextObjective <= objective) break;
			scale /= 2;
		}
		let largest = 0;
		for (let j = 0; j < k; j++) largest = Math.max(largest, Math.abs(next[j]! - beta[j]!));
		beta = next;
		objective = Math.min(objective, nextObjective);
		converged = largest < tolerance;
	}
	return {
		intercept: beta[0]!,
		coefficients: Array.from(beta.subarray(1)),
		means,
		scales,
		l2,
		iterations,
		converged,
	};
}

/**
 * The model's log-odds for one raw feature row.
 *
 * @example
 * logOdds({ intercept: 0, coefficients: [2], means: [1], scales: [0.5], l2: 1, iterations: 1, converged: true }, [1.5]);
 * // 2 (one standard deviation above the mean, times 2)
 */
export function logOdds(model: LogisticModel, row: readonly number[]): number {
	let eta = model.intercept;
	for (let j = 0; j < model.coefficients.length; j++) {
		eta += model.coefficients[j]! * ((row[j]! - model.means[j]!) / model.scales[j]!);
	}
	return eta;
}

/**
 * The predicted probability for one raw feature row.
 *
 * @example
 * predictProbability(model, [3]); // a number in (0, 1)
 */
export function predictProbability(model: LogisticModel, row: readonly number[]): number {
	return sigmoid(logOdds(model, row));
}

/**
 * What drives one score: each feature's contribution to the log-odds (coefficient × standardized value), so the
 * contributions plus the intercept sum to the score's log-odds. Positive pushes the probability up.
 *
 * @example
 * featureContributions(model, [3], ["sessions"]); // [{ feature: "sessions", contribution: 1.7 }]
 */
export function featureContributions(
	model: LogisticModel,
	row: readonly number[],
	names: readonly string[],
): { feature: string; contribution: number }[] {
	return model.coefficients.map((c, j) => ({
		feature: names[j] ?? `x${j}`,
		contribution: c * ((row[j]! - model.means[j]!) / model.scales[j]!),
	}));
}

/**
 * The logistic function, computed without overflow for large |x|.
 *
 * @example
 * sigmoid(0); // 0.5
 */
export function sigmoid(x: number): number {
	if (x >= 0) return 1 / (1 + Math.exp(-x));
	const e = Math.exp(x);
	return e / (1 + e);
}

/**
 * Area under the ROC curve: the probability that a random positive scores above a random negative, ties counting
 * half (the Mann–Whitney U statistic over n₊·n₋). NaN when either class is empty.
 *
 * @example
 * auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]); // 0.75
 */
export function auc(scores: readonly number[], labels: readonly number[]): number {
	const order = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
	let positives = 0;
	let rankSum = 0;
	// Average ranks over tied scores so a constant score gets exactly 0.5.
	for (let start = 0; start < order.length;) {
		let end = start;
		while (end + 1 < order.length && scores[order[end + 1]!] === scores[order[start]!]) end++;
		const averageRank = (start + end) / 2 + 1;
		for (let i = start; i <= end; i++) {
			if (labels[order[i]!] === 1) {
				positives += 1;
				rankSum += averageRank;
			}
		}
		start = end + 1;
	}
	const negatives = order.length - positives;
	if (positives === 0 || negatives === 0) return NaN;
	return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Mean negative log-likelihood of the labels (natural log), probabilities clipped to [1e-15, 1 − 1e-15].
 *
 * @example
 * logLoss([0.5, 0.5], [0, 1]); // 0.6931…
 */
export function logLoss(probabilities: readonly number[], labels: readonly number[]): number {
	let sum = 0;
	for (let i = 0; i < probabilities.length; i++) {
		const p = Math.min(1 - 1e-15, Math.max(1e-15, probabilities[i]!));
		sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
	}
	return sum / probabilities.length;
}

/** One bin of a reliability diagram. */
export interface ReliabilityBin {
	/** Lower edge (inclusive) of the predicted-probability bin. */
	from: number;
	/** Upper edge (exclusive; the last bin includes 1). */
	to: number;
	count: number;
	/** Mean predicted probability in the bin (null when empty: JSON has no NaN, and a model card is sent as JSON). */
	meanPredicted: number | null;
	/** Share of positives in the bin (null when empty). */
	observedRate: number | null;
}

export interface Calibration {
	/** Expected calibration error: Σ (count/n)·|meanPredicted − observedRate| over non-empty bins. */
	ece: number;
	/** Mean squared error of the probabilities (Brier score). */
	brier: number;
	bins: ReliabilityBin[];
}

/**
 * Calibration of probabilities against outcomes with equal-width bins.
 *
 * @example
 * calibration([0.2, 0.2, 0.8, 0.8], [0, 1, 1, 1], 2).ece; // 0.5·|0.2 − 0.5| + 0.5·|0.8 − 1| = 0.25
 */
export function calibration(probabilities: readonly number[], labels: readonly number[], binCount = 10): Calibration {
	const sums = Array.from({ length: binCount }, () => ({ count: 0, predicted: 0, positives: 0 }));
	let brier = 0;
	for (let i = 0; i < probabilities.length; i++) {
		const p = probabilities[i]!;
		const y = labels[i] === 1 ? 1 : 0;
		const bin = sums[Math.min(binCount - 1, Math.max(0, Math.floor(p * binCount)))]!;
		bin.count += 1;
		bin.predicted += p;
		bin.positives += y;
		brier += (p - y) * (p - y);
	}
	const n = probabilities.length;
	let ece = 0;
	const bins = sums.map((s, b): ReliabilityBin => {
		const bin = { from: b / binCount, to: (b + 1) / binCount, count: s.count };
		if (s.count === 0) return { ...bin, meanPredicted: null, observedRate: null };
		const meanPredicted = s.predicted / s.count;
		const observedRate = s.positives / s.count;
		ece += (s.count / n) * Math.abs(meanPredicted - observedRate);
		return { ...bin, meanPredicted, observedRate };
	});
	return { ece, brier: brier / n, bins };
}

function penalizedLoss(z: Float64Array, labels: readonly number[], beta: Float64Array, k: number, l2: number): number {
	let loss = 0;
	for (let i = 0; i < labels.length; i++) {
		let eta = 0;
		for (let j = 0; j < k; j++) eta += z[i * k + j]! * beta[j]!;
		// log(1 + e^η) − yη, written to stay finite for large |η|.
		loss += (eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta))) - labels[i]! * eta;
	}
	for (let j = 1; j < k; j++) loss += (l2 / 2) * beta[j]! * beta[j]!;
	return loss;
}

function gradientAndHessian(
	z: Float64Array,
	labels: readonly number[],
	beta: Float64Array,
	k: number,
	l2: number,
): { gradient: Float64Array; hessian: Float64Array } {
	const gradient = new Float64Array(k);
	const hessian = new Float64Array(k * k);
	for (let i = 0; i < labels.length; i++) {
		const base = i * k;
		let eta = 0;
		for (let j = 0; j < k; j++) eta += z[base + j]! * beta[j]!;
		const p = sigmoid(eta);
		const residual = p - labels[i]!;
		const w = p * (1 - p);
		for (let a = 0; a < k; a++) {
			const za = z[base + a]!;
			gradient[a]! += residual * za;
			const wza = w * za;
			// Lower triangle only; mirrored below.
			for (let b = 0; b <= a; b++) hessian[a * k + b]! += wza * z[base + b]!;
		}
	}
	for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) hessian[b * k + a] = hessian[a * k + b]!;
	for (let j = 1; j < k; j++) {
		gradient[j]! += l2 * beta[j]!;
		hessian[j * k + j]! += l2;
	}
	return { gradient, hessian };
}

/**
 * Solves H x = g for a symmetric positive-definite H (k × k, row-major) by Cholesky decomposition.
 *
 * @example
 * choleskySolve(new Float64Array([4, 0, 0, 1]), new Float64Array([8, 3]), 2); // [2, 3]
 */
export function choleskySolve(h: Float64Array, g: Float64Array, k: number): Float64Array {
	const l = new Float64Array(k * k);
	for (let i = 0; i < k; i++) {
		for (let j = 0; j <= i; j++) {
			let sum = h[i * k + j]!;
			for (let m = 0; m < j; m++) sum -= l[i * k + m]! * l[j * k + m]!;
			if (i === j) {
				if (!(sum > 0)) throw new RangeError("Hessian is not positive definite");
				l[i * k + i] = Math.sqrt(sum);
			} else l[i * k + j] = sum / l[j * k + j]!;
		}
	}
	const y = new Float64Array(k);
	for (let i = 0; i < k; i++) {
		let sum = g[i]!;
		for (let m = 0; m < i; m++) sum -= l[i * k + m]! * y[m]!;
		y[i] = sum / l[i * k + i]!;
	}
	const x = new Float64Array(k);
	for (let i = k - 1; i >= 0; i--) {
		let sum = y[i]!;
		for (let m = i + 1; m < k; m++) sum -= l[m * k + i]! * x[m]!;
		x[i] = sum / l[i * k + i]!;
	}
	return x;
}
