// Anomaly detection on a game's daily KPIs (DAU, revenue, error rate, event volume, SDK version mix): a seasonal
// baseline with weekday effects and robust thresholds. Pure functions over a series of daily values.
//
// For each day t the baseline is built from the days before it only (never from t or later), so a day is judged
// against what was known the evening before:
// 1. the series is put on a scale where effects add: log(1 + x) for counts and Robux, logit for rates and shares;
// 2. weekday profile: each history day's deviation from the median of its surrounding week (a centred 7-day median
//    where the history allows, the trailing one at its end), and the median of those deviations per weekday;
// 3. level and trend: the deseasonalized history's Theil–Sen line (the median of pairwise slopes, robust to the
//    outliers it is meant to find) through the median of the last 7 deseasonalized days, extended to t;
// 4. spread: 1.4826 × the median absolute deviation of the history's residuals from that fit (a consistent estimate
//    of σ under normal noise that a few outliers cannot inflate), widened by the error of the baseline's own estimates
//    (a forecast, not an in-sample fit) and floored so a flat series does not make every wobble an alert;
// 5. score z = (y_t − expected_t) / spread; |z| ≥ threshold is an anomaly (direction from the sign).
// Robust statistics (medians, MAD, Theil–Sen) are what lets an earlier anomaly stay in the history without moving the
// baseline: Rousseeuw & Croux (1993), Hampel (1974).

/** How a KPI's values add up: counts and money multiply (log scale), rates and shares are bounded (logit). */
export type KpiScale = "log" | "logit" | "linear";

export interface AnomalyOptions {
	/** @default "log" */
	scale?: KpiScale;
	/** Days of history the baseline reads. @default 56 */
	historyDays?: number;
	/** Fewer days of history than this: no verdict (null). @default 21 */
	minHistoryDays?: number;
	/** |z| at or above this is an anomaly. @default 4 */
	threshold?: number;
	/** The smallest spread on the transformed scale (5% on a log scale). @default 0.05 */
	minSpread?: number;
	/** Weekday (0 = Sunday … 6) of the series' first day; only the pattern matters, not which day is which. @default 0 */
	firstWeekday?: number;
}

/** The verdict on one day. */
export interface AnomalyPoint {
	index: number;
	value: number;
	/** The baseline's expectation, back on the value's own scale. */
	expected: number;
	/** The band |z| < threshold, on the value's own scale. */
	lower: number;
	upper: number;
	/** Robust z-score on the transformed scale. */
	score: number;
	anomaly: boolean;
	direction: "up" | "down" | null;
}

function forward(scale: KpiScale, x: number): number {
	if (scale === "log") return Math.log1p(Math.max(0, x));
	if (scale === "logit") {
		const p = Math.min(1 - 1e-6, Math.max(1e-6, x));
		return Math.log(p / (1 - p));
	}
	return x;
}

function backward(scale: KpiScale, y: number): number {
	if (scale === "log") return Math.expm1(y);
	if (scale === "logit") return 1 / (1 + Math.exp(-y));
	return y;
}

function median(values: readonly number[]): number {
	if (values.length === 0) return NaN;
	const sorted = [...values].sort((a, b) => a - b);
	const mid = sorted.length >> 1;
	return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Theil–Sen slope of (x, y) pairs: the median of all pairwise slopes. */
export function theilSenSlope(xs: readonly number[], ys: readonly number[]): number {
	const slopes: number[] = [];
	for (let i = 0; i < xs.length; i++) {
		for (let j = i + 1; j < xs.length; j++) {
			if (xs[j] !== xs[i]) slopes.push((ys[j]! - ys[i]!) / (xs[j]! - xs[i]!));
		}
	}
	return slopes.length ? median(slopes) : 0;
}

/**
 * Judges every day of a daily KPI series against the baseline of the days before it. Days with too little history
 * (or a non-finite value) get `null`.
 *
 * @example
 * const points = detectAnomalies(dau, { scale: "log", firstWeekday: 4 });
 * points.filter((p) => p?.anomaly);
 */
export function detectAnomalies(series: readonly number[], options: AnomalyOptions = {}): (AnomalyPoint | null)[] {
	const scale = options.scale ?? "log";
	const historyDays = options.historyDays ?? 56;
	const minHistory = Math.max(14, options.minHistoryDays ?? 21);
	const threshold = options.threshold ?? 4;
	const minSpread = options.minSpread ?? 0.05;
	const firstWeekday = options.firstWeekday ?? 0;
	const y = series.map((x) => (Number.isFinite(x) ? forward(scale, x) : NaN));
	const out: (AnomalyPoint | null)[] = [];
	for (let t = 0; t < series.length; t++) {
		const from = Math.max(0, t - historyDays);
		const idx: number[] = [];
		for (let d = from; d < t; d++) if (!Number.isNaN(y[d]!)) idx.push(d);
		if (idx.length < minHistory || Number.isNaN(y[t]!)) {
			out.push(null);
			continue;
		}
		const baseline = fitBaseline(y, idx, firstWeekday);
		const expected = baseline.at(t);
		const spread = Math.max(minSpread, baseline.spread);
		const score = (y[t]! - expected) / spread;
		const anomaly = Math.abs(score) >= threshold;
		out.push({
			index: t,
			value: series[t]!,
			expected: backward(scale, expected),
			lower: backward(scale, expected - threshold * spread),
			upper: backward(scale, expected + threshold * spread),
			score,
			anomaly,
			direction: anomaly ? (score > 0 ? "up" : "down") : null,
		});
	}
	return out;
}

/** The baseline fitted on the history days `idx` (ascending) of the transformed series `y`. */
function fitBaseline(
	y: readonly number[],
	idx: readonly number[],
	firstWeekday: number,
): { at(t: number): number; spread: number } {
	const weekday = (d: number) => (d + firstWeekday) % 7;
	const values = idx.map((d) => y[d]!);
	// 2. weekday profile from deviations to the centred (or trailing, at the end) 7-day median.
	const deviations: number[][] = [[], [], [], [], [], [], []];
	for (let k = 0; k < idx.length; k++) {
		const lo = Math.max(0, Math.min(k - 3, idx.length - 7));
		const window = values.slice(lo, lo + 7);
		deviations[weekday(idx[k]!)]!.push(values[k]! - median(window));
	}
	const profile = deviations.map((list) => (list.length ? median(list) : 0));
	// Centre the profile so it moves no level.
	const centre = median(profile);
	for (let w = 0; w < 7; w++) profile[w]! -= centre;
	// 3. level and Theil–Sen trend on the deseasonalized history (the last 28 days for the slope: recent trend).
	const deseason = idx.map((d, k) => values[k]! - profile[weekday(d)]!);
	const recent = Math.max(0, idx.length - 28);
	const slope = theilSenSlope(idx.slice(recent), deseason.slice(recent));
	const lastWeek = idx.slice(-7);
	const anchorX = median(lastWeek);
	const anchorY = median(deseason.slice(-7));
	const line = (t: number) => anchorY + slope * (t - anchorX);
	// 4. spread: MAD of the residuals of the history's own fit.
	const residuals = idx.map((d, k) => deseason[k]! - line(d));
	const mad = median(residuals.map((r) => Math.abs(r - median(residuals))));
	// The residuals are in-sample; a forecast also carries the error of its own estimates: the level (a median of 7
	// days) and the weekday effect (a median of about n/7 days), each with π/2 times a mean's variance.
	const forecast = Math.sqrt(1 + Math.PI / 2 / 7 + Math.PI / 2 / Math.max(1, Math.floor(idx.length / 7)));
	return { at: (t) => line(t) + profile[weekday(t)]!, spread: 1.4826 * mad * forecast };
}

/** Precision and recall of flagged days against the days known to be anomalous. */
export function anomalyScores(
	flagged: Iterable<number>,
	truth: Iterable<number>,
): { precision: number; recall: number; truePositives: number; flagged: number; actual: number } {
	const f = new Set(flagged);
	const tr = new Set(truth);
	let tp = 0;
	for (const d of f) if (tr.has(d)) tp++;
	return {
		precision: f.size ? tp / f.size : 1,
		recall: tr.size ? tp / tr.size : 1,
		truePositives: tp,
		flagged: f.size,
		actual: tr.size,
	};
}
