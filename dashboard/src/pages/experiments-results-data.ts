// The results page's reading aids, worked out from the results API's answers: the recommendation in plain words, each
// treatment's absolute and relative effects side by side (with the interval that holds when the delta method's does
// not, and the same numbers without CUPED), what CUPED did, the plan's status, guardrail alerts, and a breakdown's
// table. Pure functions; the server computes every statistic, this only words them.
import { formatEffect, formatPValue, isBinary, pText } from "./experiments-data.js";
import type { BreakdownResults, ExperimentResults, GuardrailAlert, MetricDefinition } from "./experiments-types.js";

/** A number the server may have sent as null (non-finite). */
type Num = number | null | undefined;
interface NumInterval {
	lower: Num;
	upper: Num;
}

function finite(x: Num): x is number {
	return typeof x === "number" && Number.isFinite(x);
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const percent1 = new Intl.NumberFormat("en-US", {
	style: "percent",
	minimumFractionDigits: 1,
	maximumFractionDigits: 1,
});

// ---- the recommendation ----

export interface DecisionView {
	action: "ship" | "stop" | "keep-running";
	/** "Ship hard", "Stop the experiment", "Keep it running". */
	headline: string;
	/** The server's reasoning, with its numbers. */
	message: string;
	/** "good": ship; "bad": stop; "neutral": keep running. */
	tone: "good" | "bad" | "neutral";
}

/**
 * The recommendation of the primary metric's results, headline first; null when the results carry none (a guardrail's
 * own results).
 *
 * @example
 * decisionView(results)?.headline; // "Ship hard"
 */
export function decisionView(results: ExperimentResults): DecisionView | null {
	const d = results.decision;
	if (!d) return null;
	switch (d.action) {
		case "ship":
			return {
				action: d.action,
				headline: d.variation ? `Ship ${d.variation}` : "Ship",
				message: d.message,
				tone: "good",
			};
		case "stop":
			return {
				action: d.action,
				headline: d.variation ? `Stop — do not ship ${d.variation}` : "Stop the experiment",
				message: d.message,
				tone: "bad",
			};
		default:
			return { action: "keep-running", headline: "Keep it running", message: d.message, tone: "neutral" };
	}
}

// ---- effects side by side ----

export interface EffectText {
	effect: string;
	/** "−1.2 pp to +0.4 pp", or "—". */
	ci: string;
	pValue: string;
	significant: boolean;
}

export interface RelativeEffectText extends EffectText {
	reliable: boolean;
	/** Why the delta-method interval is (un)reliable; shown when it is not. */
	note: string;
	/** The interval that holds (Fieller's or log-ratio), when the delta method's does not: "−20.1% to +3.0% (Fieller)". */
	robust: string | null;
}

export interface EffectsRow {
	variation: string;
	absolute: EffectText;
	relative: RelativeEffectText;
	/** The same comparison without CUPED; null when CUPED is not applied. */
	unadjusted: { absolute: EffectText; relative: RelativeEffectText } | null;
	/** A significant change in the bad direction of this metric. */
	regression: boolean;
}

type EffectLike = ExperimentResults["comparisons"][number]["absolute"];
type RelativeLike = ExperimentResults["comparisons"][number]["relative"];

/** An interval in the effect's words; unbounded ends say so (a Fieller interval may be). */
export function intervalText(ci: NumInterval, difference: "relative" | "absolute", binary: boolean): string {
	const end = (x: Num, side: "lower" | "upper") => {
		if (finite(x)) return formatEffect(x, difference, binary);
		return side === "lower" ? "−∞" : "+∞";
	};
	if (ci.lower === null && ci.upper === null) return "—";
	return `${end(ci.lower, "lower")} to ${end(ci.upper, "upper")}`;
}

function absoluteText(e: EffectLike, binary: boolean): EffectText {
	return {
		effect: formatEffect(e.effect, "absolute", binary),
		ci: intervalText(e.ci, "absolute", binary),
		pValue: formatPValue(e.pValue),
		significant: e.significant,
	};
}

function relativeText(e: RelativeLike, binary: boolean): RelativeEffectText {
	const robust = e.robustCi
		? `${intervalText(e.robustCi.ci, "relative", binary)} (${e.robustCi.method === "fieller" ? "Fieller" : "log-ratio"})`
		: null;
	return {
		effect: formatEffect(e.effect, "relative", binary),
		ci: intervalText(e.ci, "relative", binary),
		pValue: formatPValue(e.pValue),
		significant: e.significant,
		reliable: e.reliable,
		note: e.reliabilityNote,
		robust,
	};
}

/**
 * Each treatment's absolute and relative effect against control, side by side, each with its interval and p-value;
 * with CUPED applied, the same without it.
 *
 * @example
 * effectsRows(results)[0].absolute.effect; // "−3.4"
 */
export function effectsRows(results: ExperimentResults): EffectsRow[] {
	const binary = isBinary(results.metric);
	return results.comparisons.map((c) => ({
		variation: c.variation,
		absolute: absoluteText(c.absolute, binary),
		relative: relativeText(c.relative, binary),
		unadjusted: c.cuped
			? {
					absolute: absoluteText(c.cuped.unadjusted.absolute, binary),
					relative: relativeText(c.cuped.unadjusted.relative, binary),
				}
			: null,
		regression: c.regression,
	}));
}

// ---- CUPED, plan ----

/**
 * What CUPED did for the metric, in a sentence.
 *
 * @example
 * cupedText(results); // "CUPED on: each player's coin_rewards over the 14 days before their first exposure removed 23.6% of the variance."
 */
export function cupedText(results: ExperimentResults | BreakdownResults): string {
	const c = results.cuped;
	if (c.applied) {
		const removed = finite(c.varianceReduction) ? percent1.format(c.varianceReduction) : "some";
		return (
			`CUPED on: each player's ${results.metric.key} over the ${c.lookbackDays} days before their first exposure ` +
			`removed ${removed} of the variance, so intervals are narrower for the same players.`
		);
	}
	if (c.lookbackDays === 0) return "CUPED off: the raw comparison, without the pre-exposure adjustment.";
	return `CUPED not applied: ${c.reason ?? "no pre-exposure data"}.`;
}

/** The plan's status in a sentence (target effect, power now, planned end); null when the experiment has no plan. */
export function planText(results: ExperimentResults): string | null {
	const p = results.plan;
	const parts: string[] = [];
	if (finite(p.targetEffect)) {
		const power = finite(p.power) ? `; power to detect it now: ${percent1.format(p.power)}` : "";
		parts.push(`Target effect ${percent1.format(p.targetEffect)}${power}.`);
	}
	if (p.plannedEnd) {
		const date = p.plannedEnd.slice(0, 10);
		parts.push(
			p.beforePlannedEnd
				? `Planned end ${date}: fixed-horizon numbers read before it are a peek; the sequential ones hold at any time.`
				: `Planned end ${date} reached.`,
		);
	}
	return parts.length > 0 ? parts.join(" ") : null;
}

// ---- guardrails ----

/**
 * A guardrail alert in plain words.
 *
 * @example
 * alertText(alert); // "hard harms day1_retention (higher is better): −4.1 pp (always-valid 95% CI −7.0 pp to −1.2 pp, p = 0.004)."
 */
export function alertText(alert: GuardrailAlert, metric?: MetricDefinition): string {
	const binary = metric ? isBinary(metric) : false;
	const name =
		alert.metricName && alert.metricName !== alert.metric ? `${alert.metricName} (${alert.metric})` : alert.metric;
	const better = alert.direction === "lower" ? "lower is better" : "higher is better";
	return (
		`${alert.variation} harms ${name} (${better}): ${formatEffect(alert.absolute.effect, "absolute", binary)}, ` +
		`${formatEffect(alert.relative.effect, "relative", binary)} relative (always-valid 95% CI ` +
		`${intervalText(alert.absolute.ci, "absolute", binary)}, ${pText(alert.pValue)}).`
	);
}

// ---- breakdowns ----

export const BREAKDOWN_DIMENSIONS = [
	{ value: "platform", label: "Platform" },
	{ value: "country", label: "Country" },
	{ value: "newVsReturning", label: "New vs returning players" },
] as const;

export interface BreakdownRow {
	/** The cell's value in words: "IOS", "Unknown", "Other (3 values)". */
	label: string;
	units: string;
	variation: string;
	absolute: string;
	absoluteCi: string;
	relative: string;
	adjustedPValue: string;
	significant: boolean;
	/** Small-cell and other warnings of the cell, in words. */
	warnings: string[];
}

/** One row per cell and treatment, largest cell first, as the breakdown API orders them. */
export function breakdownRows(b: BreakdownResults): BreakdownRow[] {
	const binary = isBinary(b.metric);
	return b.cells.flatMap((cell) => {
		const label =
			cell.kind === "other"
				? `Other (${cell.merged} value${cell.merged === 1 ? "" : "s"})`
				: cell.kind === "unknown" || cell.value === null
					? "Unknown"
					: cell.value;
		return cell.comparisons.map((c) => ({
			label,
			units: integer.format(cell.units),
			variation: c.variation,
			absolute: formatEffect(c.absolute.effect, "absolute", binary),
			absoluteCi: intervalText(c.absolute.ci, "absolute", binary),
			relative: formatEffect(c.relative.effect, "relative", binary),
			adjustedPValue: formatPValue(c.adjustedPValue),
			significant: c.significant,
			warnings: cell.warnings.map((w) => w.message),
		}));
	});
}

/** How the breakdown was corrected, in a sentence. */
export function breakdownNote(b: BreakdownResults): string {
	return (
		`p-values adjusted (${b.correction.method}) across ${b.correction.comparisons} cell comparisons, so the chance of ` +
		`any false finding stays at ${percent1.format(b.correction.alpha)}. Cells with an arm under ` +
		`${integer.format(b.minUnitsPerArm)} players are flagged small: read them as hints, not findings.`
	);
}
