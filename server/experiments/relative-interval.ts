// The relative effect as results show it: the delta-method interval with a verdict on whether it holds, and an interval
// that does (Fieller's, or the log-ratio one) — so a reader is told why a relative p-value of 0.05 can sit next to an
// absolute one of 0.001 on the same data (few control conversions), instead of being left to guess.
import {
	relativeIntervalCheck,
	type Interval,
	type RelativeIntervalCheck,
	type SampleSummary,
} from "../stats/index.js";
import type { EffectView, RelativeEffectView } from "./results-types.js";

/**
 * The stats engine's verdict on the delta-method relative interval of two arm summaries (estimate summaries: mean =
 * the arm's value, variance/n = its sampling variance); null when it cannot be judged (an arm under 2 units, a
 * control value of 0, or no variance).
 *
 * @example
 * robustRelative([proportionSummary({ n: 1000, conversions: 5 }), proportionSummary({ n: 1000, conversions: 20 })], 0.05, Infinity);
 */
export function robustRelative(
	summaries: readonly [SampleSummary, SampleSummary],
	alpha: number,
	df?: number,
): RelativeIntervalCheck | null {
	const [control, treatment] = summaries;
	if (control.n < 2 || treatment.n < 2) return null;
	if (!Number.isFinite(control.mean) || !Number.isFinite(treatment.mean) || control.mean === 0) return null;
	if (!(control.variance > 0 || treatment.variance > 0)) return null;
	return relativeIntervalCheck(control, treatment, df === undefined ? { alpha } : { alpha, df });
}

/**
 * The relative effect's view with the verdict: `reliable` and its reason, and the interval that holds beside the
 * delta method's (Fieller's when bounded, else the log-ratio interval, else Fieller's unbounded set as (−∞, ∞)).
 *
 * @example
 * relativeView(view, robustRelative(summaries, 0.05)); // { …view, reliable: false, robustCi: { method: "fieller", ci } }
 */
export function relativeView(view: EffectView, check: RelativeIntervalCheck | null): RelativeEffectView {
	if (!check) {
		return {
			...view,
			reliable: Number.isFinite(view.effect),
			reliabilityNote: Number.isFinite(view.effect)
				? "Too little data to check the relative interval."
				: "The control value is 0 or undefined, so the relative effect is undefined: read the absolute effect.",
			robustCi: null,
		};
	}
	return {
		...view,
		reliable: check.reliable,
		reliabilityNote: check.message,
		robustCi: robustInterval(check),
	};
}

function robustInterval(check: RelativeIntervalCheck): RelativeEffectView["robustCi"] {
	if (check.fieller.bounded) return { method: "fieller", ci: plain(check.fieller) };
	if (check.logRatio) return { method: "log-ratio", ci: plain(check.logRatio) };
	// Fieller's set is two half-lines or everything: no interval bounds it.
	return { method: "fieller", ci: { lower: -Infinity, upper: Infinity } };
}

function plain(i: Interval): Interval {
	return { lower: i.lower, upper: i.upper };
}
