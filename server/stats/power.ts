// Power, sample size and minimum detectable effect for two-arm tests of proportions and means (two-sided, level α).
import { normalCdf, normalQuantile } from "./distributions.js";
import { quantileSummary } from "./quantile.js";
import { ratioSummary, type RatioSums } from "./ratio.js";
import { brentRoot } from "./solve.js";
import type { ResultBase, SampleSummary } from "./types.js";

/**
 * How the power of a two-proportion test is approximated:
 * - "evan-miller": z-test, null SD at the baseline rate, alternative SD unpooled, far tail ignored:
 *   n = (z₁₋α/₂·√(p(1 − p)(1 + 1/r)) + z₁₋β·√(p(1 − p) + p₂(1 − p₂)/r))²/δ² (Evan Miller's sample size calculator).
 * - "pooled-null": the same with the null SD at the pooled rate p̄ = (p + r·p₂)/(1 + r)
 *   (statsmodels samplesize_proportions_2indep_onetail).
 * - "arcsine": Cohen's h = 2 asin √p₂ − 2 asin √p with both tails of the normal power function
 *   (statsmodels NormalIndPower / zt_ind_solve_power with proportion_effectsize).
 */
export type ProportionPowerMethod = "evan-miller" | "pooled-null" | "arcsine";

/** A planned two-proportion test. */
export interface ProportionDesign {
	/** Control conversion rate. */
	baseline: number;
	/** Two-sided significance level. @default 0.05 */
	alpha?: number;
	/** Treatment units per control unit. @default 1 */
	ratio?: number;
	/** @default "evan-miller" */
	method?: ProportionPowerMethod;
}

/** A planned two-sample test of means (normal approximation with a common standard deviation). */
export interface MeanDesign {
	/** Standard deviation of one unit's value (both arms). */
	stdDev: number;
	/** Control mean, needed only to express effects relative to it. */
	baselineMean?: number;
	/** @default 0.05 */
	alpha?: number;
	/** @default 1 */
	ratio?: number;
}

/** The effect a design should detect. */
export interface EffectTarget {
	/** Smallest effect worth detecting. */
	mde: number;
	/** `mde` is relative to the baseline (0.05 = +5%) rather than absolute. @default false */
	relativeMde?: boolean;
}

export interface SampleSizeResult extends ResultBase {
	/** Unrounded control units. */
	exact: number;
	/** Control units (rounded as the method's source does). */
	control: number;
	/** Treatment units: ratio × control, rounded up. */
	treatment: number;
	total: number;
}

export interface PowerResult extends ResultBase {
	power: number;
}

export interface MdeResult extends ResultBase {
	/** Smallest detectable increase, absolute. */
	absolute: number;
	/** The same relative to the baseline (NaN when the baseline is 0 or unknown). */
	relative: number;
}

const TWO_SIDED = "two-sided test at level alpha; power for an increase of the stated size";

/**
 * Units per arm to detect a change in a conversion rate, by {@link ProportionPowerMethod}. The "evan-miller" count
 * is rounded to the nearest unit as that calculator displays it (baseline 0.20, +0.05 absolute, α 0.05, power 0.8 →
 * 1030 per arm); the others round up.
 *
 * @example
 * sampleSizeProportions({ baseline: 0.2, mde: 0.05 }).control; // 1030
 */
export function sampleSizeProportions(design: ProportionDesign & EffectTarget & { power?: number }): SampleSizeResult {
	const method = design.method ?? "evan-miller";
	const ratio = design.ratio ?? 1;
	const power = design.power ?? 0.8;
	const alpha = design.alpha ?? 0.05;
	const delta = absoluteProportionEffect(design);
	const exact =
		method === "arcsine"
			? twoTailSampleSize(cohensH(design.baseline, delta), alpha, power, ratio)
			: oneTailSampleSize(design.baseline, delta, alpha, power, ratio, method);
	return sampleSizeResult(
		proportionMethodText(method),
		exact,
		ratio,
		method === "evan-miller" ? Math.round : Math.ceil,
	);
}

/**
 * Power of a two-proportion test with `controlUnits` in control (and ratio × as many in treatment).
 *
 * @example
 * powerProportions({ baseline: 0.2, mde: 0.05, controlUnits: 1030 }).power; // ≈ 0.80
 */
export function powerProportions(design: ProportionDesign & EffectTarget & { controlUnits: number }): PowerResult {
	const method = design.method ?? "evan-miller";
	const power = proportionPower(design.baseline, absoluteProportionEffect(design), design.controlUnits, design);
	return { method: proportionMethodText(method), assumptions: [TWO_SIDED], warnings: [], power };
}

/**
 * Smallest absolute increase over the baseline detectable with the given power and units (solved numerically).
 *
 * @example
 * mdeProportions({ baseline: 0.2, controlUnits: 1030 }).absolute; // ≈ 0.05
 */
export function mdeProportions(design: ProportionDesign & { controlUnits: number; power?: number }): MdeResult {
	const target = design.power ?? 0.8;
	const p = design.baseline;
	const room = 1 - p;
	const absolute = brentRoot(
		(delta) => proportionPower(p, delta, design.controlUnits, design) - target,
		room * 1e-9,
		room * (1 - 1e-9),
		1e-14,
	);
	return {
		method: proportionMethodText(design.method ?? "evan-miller"),
		assumptions: [TWO_SIDED],
		warnings: [],
		absolute,
		relative: p > 0 ? absolute / p : Number.NaN,
	};
}

/**
 * Units per arm for a two-sample test of means: Cohen's d = δ/σ with both tails of the normal power function,
 * solved exactly (statsmodels NormalIndPower.solve_power; Cohen 1988, ch. 2).
 *
 * @example
 * sampleSizeMeans({ stdDev: 1, mde: 0.2 }).control; // 393
 */
export function sampleSizeMeans(design: MeanDesign & EffectTarget & { power?: number }): SampleSizeResult {
	const ratio = design.ratio ?? 1;
	const d = absoluteMeanEffect(design) / design.stdDev;
	const exact = twoTailSampleSize(d, design.alpha ?? 0.05, design.power ?? 0.8, ratio);
	return sampleSizeResult(MEANS_METHOD, exact, ratio, Math.ceil);
}

/**
 * Power of a two-sample test of means with `controlUnits` in control.
 *
 * @example
 * powerMeans({ stdDev: 1, mde: 0.2, controlUnits: 393 }).power; // ≈ 0.80
 */
export function powerMeans(design: MeanDesign & EffectTarget & { controlUnits: number }): PowerResult {
	const d = absoluteMeanEffect(design) / design.stdDev;
	const power = twoTailPower(d, design.alpha ?? 0.05, design.controlUnits, design.ratio ?? 1);
	return { method: MEANS_METHOD, assumptions: [TWO_SIDED], warnings: [], power };
}

/**
 * Smallest detectable absolute difference of means for the given power and units.
 *
 * @example
 * mdeMeans({ stdDev: 1, controlUnits: 393 }).absolute; // ≈ 0.2
 */
export function mdeMeans(design: MeanDesign & { controlUnits: number; power?: number }): MdeResult {
	const alpha = design.alpha ?? 0.05;
	const ratio = design.ratio ?? 1;
	const target = design.power ?? 0.8;
	const nEff = (design.controlUnits * ratio) / (1 + ratio);
	// Power reaches ~1 by d·√n_eff = z₁₋α/₂ + 40, so the root lies below that.
	const upper = (normalQuantile(1 - alpha / 2) + 40) / Math.sqrt(nEff);
	const d = brentRoot((x) => twoTailPower(x, alpha, design.controlUnits, ratio) - target, 0, upper, 1e-15);
	const absolute = d * design.stdDev;
	const base = design.baselineMean;
	return {
		method: MEANS_METHOD,
		assumptions: [TWO_SIDED],
		warnings: [],
		absolute,
		relative: base ? absolute / base : Number.NaN,
	};
}

/**
 * A planned test of a ratio metric (Σ numerator/Σ denominator per arm): the baseline ratio and its per-unit
 * delta-method variance, from observed sums (e.g. the game's recent traffic) or a {@link ratioSummary}.
 */
export interface RatioDesign {
	/** Observed per-unit sums of the ratio's parts, or their {@link ratioSummary}. */
	baseline: RatioSums | SampleSummary;
	/** @default 0.05 */
	alpha?: number;
	/** Treatment units per control unit. @default 1 */
	ratio?: number;
}

/**
 * Units per arm for a ratio metric: {@link sampleSizeMeans} with σ² = the delta-method per-unit variance of the
 * ratio, Var(M − R·D)/D̄² ({@link ratioSummary}), and the baseline mean = R (for a relative mde).
 *
 * @example
 * sampleSizeRatio({ baseline: sessionSums, mde: 0.05, relativeMde: true }).control; // units per arm
 */
export function sampleSizeRatio(design: RatioDesign & EffectTarget & { power?: number }): SampleSizeResult {
	return {
		...sampleSizeMeans({ ...ratioAsMeans(design), ...effectOf(design), power: design.power }),
		method: RATIO_METHOD,
	};
}

/**
 * Power of a ratio-metric test with `controlUnits` in control (delta-method variance, as {@link sampleSizeRatio}).
 *
 * @example
 * powerRatio({ baseline: sessionSums, mde: 0.05, relativeMde: true, controlUnits: 20_000 }).power;
 */
export function powerRatio(design: RatioDesign & EffectTarget & { controlUnits: number }): PowerResult {
	const means = { ...ratioAsMeans(design), ...effectOf(design), controlUnits: design.controlUnits };
	return { ...powerMeans(means), method: RATIO_METHOD };
}

/**
 * Smallest detectable change of a ratio metric (absolute, and relative to the baseline ratio) for the given units.
 *
 * @example
 * mdeRatio({ baseline: sessionSums, controlUnits: 20_000 }).relative; // e.g. 0.031 (+3.1%)
 */
export function mdeRatio(design: RatioDesign & { controlUnits: number; power?: number }): MdeResult {
	const means = { ...ratioAsMeans(design), controlUnits: design.controlUnits, power: design.power };
	return { ...mdeMeans(means), method: RATIO_METHOD };
}

const RATIO_METHOD =
	"normal-approximation power of a two-sample test of ratio metrics (delta-method variance; statsmodels NormalIndPower)";

function ratioAsMeans(design: RatioDesign): MeanDesign {
	const summary = "sumNum" in design.baseline ? ratioSummary(design.baseline) : design.baseline;
	if (!(Number.isFinite(summary.mean) && summary.variance > 0)) {
		throw new RangeError("the ratio baseline needs a non-zero denominator sum and some variance");
	}
	return { stdDev: Math.sqrt(summary.variance), baselineMean: summary.mean, alpha: design.alpha, ratio: design.ratio };
}

/**
 * A planned test of a quantile metric: baseline per-unit values (e.g. last week's session lengths) and the quantile.
 * The per-unit standard deviation of the sample quantile is √n·se with se its Maritz–Jarrett standard error
 * ({@link quantileSummary}), so that se scales as 1/√n.
 */
export interface QuantileDesign {
	baseline: ArrayLike<number>;
	/** In (0, 1): 0.5 for the median. */
	quantile: number;
	/** @default 0.05 */
	alpha?: number;
	/** Treatment units per control unit. @default 1 */
	ratio?: number;
}

/**
 * Units per arm to detect a change in a quantile (absolute, or relative to the baseline quantile): the
 * normal-approximation sample size of {@link sampleSizeMeans} with σ = √n·se of the baseline's sample quantile.
 *
 * @example
 * sampleSizeQuantile({ baseline: sessionLengths, quantile: 0.5, mde: 0.05, relativeMde: true }).control;
 */
export function sampleSizeQuantile(design: QuantileDesign & EffectTarget & { power?: number }): SampleSizeResult {
	const means = { ...quantileAsMeans(design), ...effectOf(design), power: design.power };
	return { ...sampleSizeMeans(means), method: QUANTILE_METHOD };
}

/**
 * Power of a quantile test with `controlUnits` in control (as {@link sampleSizeQuantile}).
 *
 * @example
 * powerQuantile({ baseline: sessionLengths, quantile: 0.5, mde: 10, controlUnits: 5000 }).power;
 */
export function powerQuantile(design: QuantileDesign & EffectTarget & { controlUnits: number }): PowerResult {
	const means = { ...quantileAsMeans(design), ...effectOf(design), controlUnits: design.controlUnits };
	return { ...powerMeans(means), method: QUANTILE_METHOD };
}

/**
 * Smallest detectable change of a quantile (absolute and relative to the baseline quantile) for the given units.
 *
 * @example
 * mdeQuantile({ baseline: sessionLengths, quantile: 0.9, controlUnits: 5000 }).relative;
 */
export function mdeQuantile(design: QuantileDesign & { controlUnits: number; power?: number }): MdeResult {
	const means = { ...quantileAsMeans(design), controlUnits: design.controlUnits, power: design.power };
	return { ...mdeMeans(means), method: QUANTILE_METHOD };
}

const QUANTILE_METHOD =
	"normal-approximation power of a two-sample quantile test (Maritz–Jarrett standard error; statsmodels NormalIndPower)";

function quantileAsMeans(design: QuantileDesign): MeanDesign {
	const summary = quantileSummary(design.baseline, design.quantile);
	if (!(summary.variance > 0)) {
		throw new RangeError("the quantile baseline needs enough distinct values for a standard error");
	}
	return { stdDev: Math.sqrt(summary.variance), baselineMean: summary.mean, alpha: design.alpha, ratio: design.ratio };
}

function effectOf(target: EffectTarget): EffectTarget {
	return { mde: target.mde, relativeMde: target.relativeMde };
}

const MEANS_METHOD = "normal-approximation power of a two-sample test of means (statsmodels NormalIndPower)";

function proportionMethodText(method: ProportionPowerMethod): string {
	if (method === "evan-miller") return "two-proportion z-test power, null variance at the baseline (Evan Miller)";
	if (method === "pooled-null") {
		return "two-proportion z-test power, pooled null variance (statsmodels samplesize_proportions_2indep_onetail)";
	}
	return "arcsine (Cohen's h) power of a two-proportion test (statsmodels NormalIndPower)";
}

function absoluteProportionEffect(target: ProportionDesign & EffectTarget): number {
	return target.relativeMde ? target.mde * target.baseline : target.mde;
}

function absoluteMeanEffect(target: MeanDesign & EffectTarget): number {
	if (!target.relativeMde) return target.mde;
	if (target.baselineMean === undefined) throw new RangeError("a relative mde needs baselineMean");
	return target.mde * target.baselineMean;
}

function cohensH(p: number, delta: number): number {
	return 2 * Math.asin(Math.sqrt(p + delta)) - 2 * Math.asin(Math.sqrt(p));
}

/** Per-control-unit standard deviations of p₂ − p under the null and the alternative. */
function proportionSds(p: number, delta: number, ratio: number, method: ProportionPowerMethod) {
	const p2 = p + delta;
	const nullRate = method === "pooled-null" ? (p + ratio * p2) / (1 + ratio) : p;
	return {
		sdNull: Math.sqrt(nullRate * (1 - nullRate) * (1 + 1 / ratio)),
		sdAlt: Math.sqrt(p * (1 - p) + (p2 * (1 - p2)) / ratio),
	};
}

function oneTailSampleSize(
	p: number,
	delta: number,
	alpha: number,
	power: number,
	ratio: number,
	method: ProportionPowerMethod,
): number {
	const { sdNull, sdAlt } = proportionSds(p, delta, ratio, method);
	const total = normalQuantile(1 - alpha / 2) * sdNull + normalQuantile(power) * sdAlt;
	return (total * total) / (delta * delta);
}

function proportionPower(p: number, delta: number, controlUnits: number, design: ProportionDesign): number {
	const method = design.method ?? "evan-miller";
	const alpha = design.alpha ?? 0.05;
	const ratio = design.ratio ?? 1;
	if (method === "arcsine") return twoTailPower(cohensH(p, delta), alpha, controlUnits, ratio);
	const { sdNull, sdAlt } = proportionSds(p, delta, ratio, method);
	return normalCdf((Math.abs(delta) * Math.sqrt(controlUnits) - normalQuantile(1 - alpha / 2) * sdNull) / sdAlt);
}

/** Φ(d√n_eff − z) + Φ(−d√n_eff − z), n_eff = n·r/(1 + r) (statsmodels normal_power with NormalIndPower's nobs). */
function twoTailPower(d: number, alpha: number, controlUnits: number, ratio: number): number {
	const shift = Math.abs(d) * Math.sqrt((controlUnits * ratio) / (1 + ratio));
	const z = normalQuantile(1 - alpha / 2);
	return normalCdf(shift - z) + normalCdf(-shift - z);
}

/** Control units at which {@link twoTailPower} reaches `power` (bracketed by the one-tail closed form). */
function twoTailSampleSize(d: number, alpha: number, power: number, ratio: number): number {
	const oneTail = ((normalQuantile(1 - alpha / 2) + normalQuantile(power)) / d) ** 2 * ((1 + ratio) / ratio);
	// The far tail only adds power, so the exact answer is at most the one-tail one.
	return brentRoot((n) => twoTailPower(d, alpha, n, ratio) - power, 1e-9, oneTail, 1e-12 * oneTail);
}

function sampleSizeResult(
	method: string,
	exact: number,
	ratio: number,
	round: (x: number) => number,
): SampleSizeResult {
	const control = round(exact);
	const treatment = Math.ceil(control * ratio - 1e-9);
	return {
		method,
		assumptions: [TWO_SIDED, "units are independent; the baseline and variance are known in advance"],
		warnings: [],
		exact,
		control,
		treatment,
		total: control + treatment,
	};
}
