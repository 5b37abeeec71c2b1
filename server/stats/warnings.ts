// The warnings every comparison checks: too few units, sample-ratio mismatch, peeking at a fixed-horizon test,
// and too little power for the effect the experiment was designed to find.
import { normalCdf, normalQuantile } from "./distributions.js";
import type { StatWarning } from "./types.js";

/** An SRM p-value below this flags the experiment (the industry convention: Kohavi et al., "Trustworthy Online
 * Controlled Experiments", 2020, ch. 21; GrowthBook's default). */
export const SRM_P_THRESHOLD = 0.001;

/** What is known about the experiment around one comparison, for its warnings. */
export interface AnalysisContext {
	/** Fewest units per arm for a result worth reading. @default 100 */
	minUnitsPerArm?: number;
	/** p-value of the experiment's sample-ratio-mismatch check (srmTest); below 0.001 every result warns. */
	srmPValue?: number;
	/** How many times these results have been looked at, this look included. @default 1 */
	looks?: number;
	/** Smallest effect worth detecting, on the scale of the result's difference type (absolute or relative). */
	targetEffect?: number;
	/** Power for `targetEffect` below which the result is underpowered. @default 0.8 */
	targetPower?: number;
}

/** Facts about one comparison that the checks need. */
export interface ComparisonFacts {
	units: readonly number[];
	stdError: number;
	alpha: number;
	/** Always-valid (sequential) inference: looking often is then safe. */
	sequential: boolean;
}

const DEFAULT_MIN_UNITS = 100;
const DEFAULT_TARGET_POWER = 0.8;

/**
 * Warnings for one comparison, in a fixed order: 1. too few units; 2. SRM; 3. peeking without sequential testing;
 * 4. underpowered for the target effect (power of a two-sided z-test at the current standard error:
 * Φ(|δ|/se − z₁₋α/₂) + Φ(−|δ|/se − z₁₋α/₂)).
 *
 * @example
 * contextWarnings({ looks: 3 }, { units: [500, 500], stdError: 0.01, alpha: 0.05, sequential: false });
 * // [{ code: "peeking", … }]
 */
export function contextWarnings(context: AnalysisContext, facts: ComparisonFacts): StatWarning[] {
	const warnings: StatWarning[] = [];
	const minUnits = context.minUnitsPerArm ?? DEFAULT_MIN_UNITS;
	const fewest = Math.min(...facts.units);
	if (fewest < minUnits) {
		warnings.push({ code: "too-few-units", message: `An arm has ${fewest} units; at least ${minUnits} are needed.` });
	}
	if (context.srmPValue !== undefined && context.srmPValue < SRM_P_THRESHOLD) {
		warnings.push({
			code: "srm",
			message: `Sample ratio mismatch (p = ${context.srmPValue.toPrecision(3)} < ${SRM_P_THRESHOLD}): assignment or tracking is broken; do not trust this result.`,
		});
	}
	const looks = context.looks ?? 1;
	if (!facts.sequential && looks > 1) {
		warnings.push({
			code: "peeking",
			message: `Looked at ${looks} times with a fixed-horizon test: the false-positive rate exceeds alpha. Use the sequential test or wait for the planned sample size.`,
		});
	}
	if (context.targetEffect !== undefined) {
		const power = achievedPower(context.targetEffect, facts.stdError, facts.alpha);
		const target = context.targetPower ?? DEFAULT_TARGET_POWER;
		if (!(power >= target)) {
			warnings.push({
				code: "underpowered",
				message: `Power to detect ${context.targetEffect} is ${(power * 100).toFixed(1)}% (< ${target * 100}%).`,
			});
		}
	}
	return warnings;
}

/**
 * Power of a two-sided z-test at level α when the true effect is δ and the estimate's standard error is se.
 *
 * @example
 * achievedPower(0.028, 0.01, 0.05); // ≈ 0.80
 */
export function achievedPower(effect: number, stdError: number, alpha: number): number {
	const z = normalQuantile(1 - alpha / 2);
	const shift = Math.abs(effect) / stdError;
	return normalCdf(shift - z) + normalCdf(-shift - z);
}
