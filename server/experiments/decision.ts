// What to do with an experiment now — ship, stop or keep running, with its reason — and the guardrail alerts, both
// read from the always-valid (sequential) results, so they may be looked at every day without inflating errors.
import { metricDirection } from "./metric.js";
import type { Comparison, Decision, ExperimentResults, GuardrailAlert, GuardrailResult } from "./results-types.js";

const METHOD =
	"always-valid confidence sequences (primary metric: winner, loser or futility at the target effect; guardrails: " +
	"a significant change in the bad direction)";

/**
 * The recommendation for an experiment from its primary metric's results and its guardrails'.
 * 1. no units in an arm → keep running (no data);
 * 2. sample ratio mismatch → stop: assignment or tracking is broken;
 * 3. a treatment wins on the primary metric and harms no guardrail → ship it (the largest win when several do);
 * 4. a treatment harms a guardrail (a winner first) → stop, naming it and the guardrail;
 * 5. an arm has too few units for the rule → keep running;
 * 6. every treatment loses, or no effect as large as the target remains plausible (futility) → stop;
 * 7. the planned end is reached without a decision → stop: the effect is smaller than the target, if any;
 * 8. otherwise keep running, saying how far the result is from a decision.
 * "Wins" and "harms" are direction-aware: for a metric where lower is better, a decrease wins.
 *
 * @example
 * decide(primaryResults, guardrailResults); // { action: "ship", variation: "grid", reason: "winner", message: "…" }
 */
export function decide(primary: ExperimentResults, guardrails: readonly GuardrailResult[]): Decision {
	const label = metricLabel(primary.metric);
	const comparisons = primary.comparisons;
	const regressions = (variation: string) =>
		guardrails.flatMap((g) =>
			g.comparisons.filter((c) => c.variation === variation && c.regression).map((c) => ({ guardrail: g, c })),
		);

	// 1. No data.
	if (comparisons.length === 0 || primary.variations.some((v) => v.n === 0)) {
		return decision(
			"keep-running",
			null,
			"no-data",
			"An arm has no units yet: keep running until every arm has players.",
		);
	}
	// 2. SRM.
	if (primary.srm?.flagged) {
		return decision(
			"stop",
			null,
			"srm",
			`Stop: the split of players does not match the planned weights (SRM p = ${fmtP(primary.srm.pValue)}), so ` +
				"assignment or tracking is broken and no effect can be trusted. Fix it and restart under a new key.",
		);
	}
	// 3. A clean winner.
	const winners = comparisons.filter((c) => c.stopping.reason === "winner");
	const clean = winners.filter((c) => regressions(c.variation).length === 0);
	if (clean.length > 0) {
		const best = clean.reduce((a, b) => (goodness(primary, b) > goodness(primary, a) ? b : a));
		return decision(
			"ship",
			best.variation,
			"winner",
			`Ship ${best.variation}: it improves ${label} by ${fmtEffect(best)} (always-valid p = ` +
				`${fmtP(best.absolute.sequential.pValue)}), and no guardrail metric is harmed.`,
		);
	}
	// 4. A guardrail regression (the winner's first).
	const harmed = [...winners, ...comparisons.filter((c) => !winners.includes(c))].find(
		(c) => regressions(c.variation).length > 0,
	);
	if (harmed) {
		const found = regressions(harmed.variation);
		const list = found
			.map(
				({ guardrail, c }) => `${metricLabel(guardrail.metric)} ${fmtRelative(c.relative.effect, c.absolute.effect)}`,
			)
			.join(", ");
		const win = winners.includes(harmed) ? ` even though it improves ${label} by ${fmtEffect(harmed)}` : "";
		return decision(
			"stop",
			harmed.variation,
			"guardrail-regression",
			`Stop ${harmed.variation}: it harms ${found.length === 1 ? "the guardrail" : "the guardrails"} ${list} ` +
				`(always-valid p = ${fmtP(Math.min(...found.map((f) => f.c.absolute.sequential.pValue)))})${win}.`,
		);
	}
	// 5. Too few units for the rule.
	const young = comparisons.find((c) => c.stopping.reason === "too-few-units");
	if (young) {
		return decision("keep-running", null, "too-few-units", `Keep running: ${young.stopping.message}`);
	}
	// 6. Every treatment loses or cannot win.
	if (comparisons.every((c) => c.stopping.reason === "loser" || c.stopping.reason === "futility")) {
		const loser = comparisons.find((c) => c.stopping.reason === "loser");
		if (loser) {
			return decision(
				"stop",
				comparisons.length === 1 ? loser.variation : null,
				"loser",
				`Stop: ${comparisons.length === 1 ? loser.variation : "no treatment"} improves ${label}` +
					(comparisons.length === 1
						? ` — it makes it worse by ${fmtEffect(loser)} (always-valid p = ${fmtP(loser.absolute.sequential.pValue)}).`
						: "; each is worse than control or cannot reach the target effect."),
			);
		}
		const target = primary.plan.targetEffect;
		return decision(
			"stop",
			null,
			"futility",
			`Stop: no effect on ${label} as large as the target${target === null ? "" : ` (${fmtPercent(target)})`} is ` +
				"still plausible, so running longer would not find one.",
		);
	}
	// 7. The planned end is reached.
	if (primary.plan.plannedEnd !== null && !primary.plan.beforePlannedEnd) {
		return decision(
			"stop",
			null,
			"planned-end",
			`Stop: the planned end (${primary.plan.plannedEnd.slice(0, 10)}) is reached and no treatment changes ${label} ` +
				"significantly; any effect is likely smaller than the target.",
		);
	}
	// 8. Keep running.
	const closest = comparisons.reduce((a, b) => (b.absolute.sequential.pValue < a.absolute.sequential.pValue ? b : a));
	const power = primary.plan.power;
	const until =
		primary.plan.plannedEnd === null ? "" : ` until the planned end (${primary.plan.plannedEnd.slice(0, 10)})`;
	return decision(
		"keep-running",
		null,
		"keep-collecting",
		`Keep running${until}: no treatment changes ${label} significantly yet (best: ${closest.variation} ` +
			`${fmtEffect(closest)}, always-valid p = ${fmtP(closest.absolute.sequential.pValue)})` +
			(power === null ? "." : `; power for the target effect is ${(power * 100).toFixed(0)}% so far.`),
	);
}

/**
 * One alert per guardrail metric and treatment that harms it significantly (always-valid).
 *
 * @example
 * guardrailAlerts("shop", results.guardrails); // [{ code: "guardrail-regression", metric: "crashes", … }]
 */
export function guardrailAlerts(experiment: string, guardrails: readonly GuardrailResult[]): GuardrailAlert[] {
	const alerts: GuardrailAlert[] = [];
	for (const g of guardrails) {
		for (const c of g.comparisons) {
			if (!c.regression) continue;
			const name = metricLabel(g.metric);
			const better = metricDirection(g.metric) === "lower" ? "lower" : "higher";
			alerts.push({
				code: "guardrail-regression",
				experiment,
				metric: g.metric.key,
				metricName: name,
				direction: metricDirection(g.metric),
				variation: c.variation,
				absolute: { effect: c.absolute.effect, ci: c.absolute.sequential.ci },
				relative: { effect: c.relative.effect, ci: c.relative.sequential.ci },
				pValue: c.absolute.sequential.pValue,
				message:
					`${experiment}: ${c.variation} harms ${name} (${better} is better): ` +
					`${fmtRelative(c.relative.effect, c.absolute.effect)}, always-valid p = ${fmtP(c.absolute.sequential.pValue)}.`,
			});
		}
	}
	return alerts;
}

/** A metric's results as the primary metric's document summarizes a guardrail. */
export function guardrailSummary(results: ExperimentResults): GuardrailResult {
	return {
		metric: results.metric,
		variations: results.variations,
		comparisons: results.comparisons.map((c) => ({
			variation: c.variation,
			absolute: c.absolute,
			relative: c.relative,
			regression: c.regression,
		})),
		cuped: results.cuped,
		warnings: results.warnings,
	};
}

function decision(
	action: Decision["action"],
	variation: string | null,
	reason: Decision["reason"],
	message: string,
): Decision {
	return { action, variation, reason, message, method: METHOD };
}

/** The improvement of a comparison in the metric's good direction (absolute). */
function goodness(results: ExperimentResults, c: Comparison): number {
	return metricDirection(results.metric) === "lower" ? -c.absolute.effect : c.absolute.effect;
}

function metricLabel(metric: { key: string; name?: string | undefined }): string {
	return metric.name ?? metric.key;
}

function fmtEffect(c: Pick<Comparison, "relative" | "absolute">): string {
	return fmtRelative(c.relative.effect, c.absolute.effect);
}

/** "+4.2% (+0.013)", or the absolute effect alone when the relative one is undefined. */
function fmtRelative(relative: number, absolute: number): string {
	const abs = `${absolute >= 0 ? "+" : ""}${Number(absolute.toPrecision(3))}`;
	return Number.isFinite(relative) ? `${fmtPercent(relative, true)} (${abs})` : abs;
}

function fmtPercent(x: number, signed = false): string {
	const text = `${(x * 100).toFixed(1)}%`;
	return signed && x >= 0 ? `+${text}` : text;
}

function fmtP(p: number): string {
	return p < 0.0001 ? "< 0.0001" : p.toPrecision(2);
}
