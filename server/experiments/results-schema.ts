// The results documents for the OpenAPI document (results-types.ts holds the TypeScript shapes). Non-finite numbers
// (an undefined effect, an unbounded interval) are sent as null.
import { z } from "zod";
import { DECISION_ACTIONS, DECISION_REASONS } from "./results-types.js";
import { METRIC_DIRECTIONS } from "./metric.js";
import { experimentMetricSchema as metricSchema } from "./metric-reference.js";

const num = (description: string) => z.number().nullable().describe(`${description} (null when undefined).`);

const statResult = z
	.object({
		method: z.string().describe("The test or model used, e.g. two-proportion z-test."),
		assumptions: z.array(z.string()).describe("What the method assumes, for people to check."),
		warnings: z.array(z.unknown()).describe("What may make this result unreliable (low power, peeking, …)."),
	})
	.catchall(z.unknown());

const interval = (description: string) =>
	z
		.object({
			lower: z.number().nullable().describe("Lower bound; null when it cannot be computed or is unbounded."),
			upper: z.number().nullable().describe("Upper bound; null when it cannot be computed or is unbounded."),
		})
		.describe(description);

const warningsSchema = z
	.array(
		z.object({
			code: z
				.string()
				.describe(
					"Stable code: srm, srm-not-checked, multiple-variations, unknown-variation, too-few-units, underpowered, " +
						"peeking, relative-interval-unreliable, zero-baseline, zero-variance, small-cell, …",
				),
			message: z.string().describe("What it means, for people."),
		}),
	)
	.describe("What a reader of these results must know (sample ratio mismatch, low power, peeking, …).");

const effectView = z.object({
	effect: num("treatment − control (absolute, in the metric's unit) or treatment / control − 1 (relative)"),
	stdError: num("Standard error of the effect"),
	ci: interval("Fixed-horizon (1 − alpha) confidence interval: valid when read once, at the planned end."),
	pValue: z.number().describe("Fixed-horizon two-sided p-value."),
	significant: z.boolean().describe("pValue < alpha."),
	sequential: z
		.object({
			ci: interval("Always-valid confidence sequence at the current sample."),
			pValue: z.number().describe("Always-valid p-value."),
			significant: z.boolean().describe("The always-valid p-value is below alpha."),
		})
		.describe("The always-valid (sequential) reading: may be looked at any time without inflating false positives."),
});

const relativeView = effectView.extend({
	reliable: z
		.boolean()
		.describe("False when the delta-method interval `ci` is unreliable (e.g. few control conversions): read robustCi."),
	reliabilityNote: z.string().describe("Why the delta-method interval can or cannot be trusted, for people."),
	robustCi: z
		.object({
			method: z
				.enum(["fieller", "log-ratio"])
				.describe("fieller: Fieller's interval of the ratio; log-ratio: the delta method on log(treatment/control)."),
			ci: interval("Interval of treatment / control − 1 that holds where the delta method's does not."),
		})
		.nullable()
		.describe("An interval of the relative effect that holds with small or skewed samples; null when undefined."),
});

const effects = {
	absolute: effectView.describe("The absolute effect (CUPED-adjusted when CUPED is applied)."),
	relative: relativeView.describe("The relative effect (CUPED-adjusted when CUPED is applied)."),
};

const cupedSummary = z
	.object({
		applied: z.boolean().describe("Whether the comparisons are CUPED-adjusted (the default when a covariate exists)."),
		lookbackDays: z.number().int().describe("Days before each unit's first exposure the covariate covers (0: none)."),
		varianceReduction: num(
			"Share of the metric's variance CUPED removes, all arms pooled (≈ ρ² of metric and covariate)",
		),
		reason: z.string().nullable().describe("Why CUPED is not applied; null when it is."),
	})
	.describe("CUPED (pre-exposure covariate adjustment) for this metric.");

const variationTotals = z.object({
	index: z.number().int().describe("Position in the experiment's variations (0 = control)."),
	key: z.string().describe("The variation's key."),
	n: z.number().int().describe("Units: users whose first ever exposure named this variation."),
	sum: z.number().describe("Σ per-unit values (converted units for binary metrics; numerators for ratios)."),
	sumSquares: z.number().describe("Σ of squared per-unit values (for the variance)."),
	mean: z.number().describe("sum / n: the mean per-unit value (the conversion rate of a binary metric)."),
	value: num("The arm's metric value: rate, mean, Σ numerator / Σ denominator, or the quantile"),
	denominatorSum: z.number().nullable().describe("Ratio metrics: Σ denominators; null otherwise."),
});

const stopping = z
	.object({
		stop: z.boolean().describe("Whether the rule says stop."),
		reason: z
			.string()
			.describe("too-few-units, srm, winner, loser, futility, max-units or keep-collecting (the stats engine's)."),
		method: z.string().describe("The rule."),
		message: z.string().describe("The rule's reading, for people."),
	})
	.describe("The early-stopping rule on this comparison's always-valid absolute effect, direction-aware.");

const alertSchema = z.object({
	code: z.literal("guardrail-regression").describe("The alert's kind."),
	experiment: z.string().describe("The experiment's key."),
	metric: z.string().describe("The guardrail metric's key."),
	metricName: z.string().describe("The guardrail metric's name (its key when it has none)."),
	direction: z.enum(METRIC_DIRECTIONS).describe("Which way is good for the metric."),
	variation: z.string().describe("The treatment that harms it."),
	absolute: z
		.object({
			effect: num("treatment − control"),
			ci: interval("Always-valid interval of the absolute effect."),
		})
		.describe("The absolute effect."),
	relative: z
		.object({
			effect: num("treatment / control − 1"),
			ci: interval("Always-valid interval of the relative effect."),
		})
		.describe("The relative effect."),
	pValue: z.number().describe("Always-valid p-value."),
	message: z.string().describe("The alert in plain words."),
});

/** A guardrail regression alert (for the OpenAPI document). */
export const guardrailAlertSchema = alertSchema;

const decisionSchema = z
	.object({
		action: z
			.enum(DECISION_ACTIONS)
			.describe("ship: a treatment wins with no guardrail harmed; stop: it loses, cannot win or harms a guardrail."),
		variation: z
			.string()
			.nullable()
			.describe("ship: the variation to ship; stop for a loss or regression: the variation at fault; else null."),
		reason: z
			.enum(DECISION_REASONS)
			.describe(
				"winner, loser, futility (no effect as large as the target remains plausible), guardrail-regression, " +
					"srm, too-few-units, planned-end (reached without a difference), keep-collecting, no-data.",
			),
		message: z.string().describe("The recommendation and its reason in plain words, with the numbers behind it."),
		method: z.string().describe("How it was reached."),
	})
	.nullable()
	.describe("The recommendation from the always-valid results; null unless this is the primary metric.");

/** The results document (for the OpenAPI document; non-finite numbers are sent as null). */
export const experimentResultsSchema = z.object({
	experiment: z.string().describe("The experiment's key."),
	metric: metricSchema.describe("The metric these results are of."),
	role: z.enum(["primary", "guardrail"]).describe("Whether it is the experiment's primary or a guardrail metric."),
	from: z.string().describe("ISO 8601 start of the exposure window (inclusive)."),
	to: z.string().describe("ISO 8601 end of the window (exclusive)."),
	difference: z
		.enum(["relative", "absolute"])
		.describe(
			"Which effect frequentist, bayesian, sequential and the daily series are on (both are always given in " +
				"absolute and relative): relative = a share of control's value (0.05 = +5%); absolute = the metric's unit.",
		),
	cuped: cupedSummary,
	variations: z.array(variationTotals).describe("Totals per variation, control first."),
	srm: statResult
		.nullable()
		.describe("Chi-square test of units against the planned weights; flagged at p < 0.001. Null: not checked."),
	comparisons: z
		.array(
			z.object({
				variation: z.string().describe("The treatment's key, compared with control."),
				frequentist: statResult.describe(
					"Fixed-horizon test on the primary difference: z-test (binary), Welch t (means), delta method (ratio), " +
						"quantile test; CUPED-adjusted when applied.",
				),
				bayesian: statResult
					.nullable()
					.describe("Beta-binomial (binary, without CUPED) or Gaussian effect model; null for quantile metrics."),
				sequential: statResult.describe("Always-valid confidence sequence on the primary difference (safe to peek)."),
				adjustedPValue: z.number().describe("The frequentist p-value after the multiple-comparison correction."),
				...effects,
				cuped: z
					.object({
						theta: z.number().describe("θ of Y − θ(X − X̄), from both arms pooled."),
						varianceReduction: z.number().describe("Share of the variance removed: 1 − Var(adjusted)/Var(raw)."),
						unadjusted: z
							.object({
								absolute: effectView.describe("The absolute effect without CUPED."),
								relative: relativeView.describe("The relative effect without CUPED."),
							})
							.describe("The same comparison without the adjustment."),
					})
					.nullable()
					.describe("CUPED on this comparison; null when not applied."),
				regression: z
					.boolean()
					.describe("A significant (always-valid) change in the bad direction for the metric: the treatment harms it."),
				power: num("Power to detect the experiment's target effect at the current standard error"),
				stopping,
			}),
		)
		.describe("Each treatment against control."),
	correction: statResult.nullable().describe("With two or more treatments (unless correction=none)."),
	excluded: z
		.object({
			multipleVariations: z.number().int().describe("Units exposed to more than one variation: left out."),
			unknownVariation: z.number().int().describe("Units whose exposure named no variation of the experiment."),
		})
		.describe("Units left out of the totals, by reason."),
	warnings: warningsSchema,
	plan: z
		.object({
			targetEffect: z.number().nullable().describe("The experiment's relative target effect; null when not set."),
			plannedEnd: z.string().nullable().describe("ISO 8601 end of the fixed horizon; null when not set."),
			beforePlannedEnd: z
				.boolean()
				.describe("These data end before the planned end: fixed-horizon numbers are a peek (warning peeking)."),
			power: num("Lowest power over the comparisons to detect the target effect now; null without a target"),
		})
		.describe("The experiment's plan as these results read it (warnings underpowered and peeking)."),
	decision: decisionSchema,
	guardrails: z
		.array(
			z.object({
				metric: metricSchema.describe("The guardrail metric."),
				variations: z.array(variationTotals).describe("Its totals per variation."),
				comparisons: z
					.array(
						z.object({
							variation: z.string().describe("The treatment's key."),
							...effects,
							regression: z.boolean().describe("A significant (always-valid) change in the bad direction."),
						}),
					)
					.describe("Each treatment against control."),
				cuped: cupedSummary,
				warnings: warningsSchema,
			}),
		)
		.describe("With the primary metric: every guardrail metric's comparisons; empty otherwise."),
	alerts: z.array(alertSchema).describe("Guardrail regressions: significant harm to a guardrail metric."),
	timeSeries: z
		.array(
			z.object({
				date: z.string().describe("UTC day (YYYY-MM-DD) of first exposure; cumulative up to it."),
				variations: z
					.array(
						z.object({
							key: z.string().describe("The variation's key."),
							units: z.number().int().describe("Units exposed up to this day."),
							mean: z.number().nullable().describe("Their metric value (rate, mean, ratio or quantile)."),
						}),
					)
					.describe("Per variation, cumulative."),
				comparisons: z
					.array(
						z.object({
							variation: z.string().describe("The treatment's key."),
							effect: z.number().nullable().describe("Its effect against control (null when undefined)."),
							ci: interval("Fixed-horizon interval of the effect, in the unit of `difference`."),
							pValue: z.number().describe("Frequentist p-value up to this day."),
						}),
					)
					.describe("Each treatment against control, cumulative, with the headline's method."),
			}),
		)
		.describe("Cumulative by first-exposure day: units exposed up to that day, each valued over the window."),
});

/** A breakdown document (for the OpenAPI document). */
export const breakdownResultsSchema = z.object({
	experiment: z.string().describe("The experiment's key."),
	metric: metricSchema.describe("The metric broken down."),
	dimension: z.string().describe("platform, country, newVsReturning or attr:<name>."),
	from: z.string().describe("ISO 8601 start of the exposure window (inclusive)."),
	to: z.string().describe("ISO 8601 end of the window (exclusive)."),
	difference: z.enum(["relative", "absolute"]).describe("Which effect the adjusted p-values are of."),
	cuped: cupedSummary,
	minUnitsPerArm: z.number().int().describe("A cell with an arm under this many units is flagged small-cell."),
	maxCells: z.number().int().describe("Cells kept apart, largest first; the rest are merged into one other cell."),
	correction: z
		.object({
			method: z.string().describe("Holm–Bonferroni step-down across every cell × comparison."),
			comparisons: z.number().int().describe("How many p-values the correction covers."),
			alpha: z.number().describe("The family-wise error rate it keeps."),
		})
		.describe("The multiple-comparison correction across cells."),
	cells: z
		.array(
			z.object({
				value: z.string().nullable().describe("The dimension's value; null for unknown and other."),
				kind: z
					.enum(["value", "unknown", "other"])
					.describe("value: one value; unknown: units without it; other: the smaller cells merged."),
				merged: z.number().int().describe("How many values the other cell merges (1 otherwise)."),
				units: z.number().int().describe("Units in the cell, all arms."),
				variations: z.array(variationTotals).describe("Totals per variation in the cell."),
				comparisons: z
					.array(
						z.object({
							variation: z.string().describe("The treatment's key."),
							...effects,
							adjustedPValue: z.number().describe("Holm-adjusted across every cell × comparison."),
							significant: z.boolean().describe("adjustedPValue < alpha."),
						}),
					)
					.describe("Each treatment against control within the cell."),
				warnings: warningsSchema,
			}),
		)
		.describe("Largest cell first; other last."),
	excluded: z
		.object({
			multipleVariations: z.number().int().describe("Units exposed to more than one variation: left out."),
			unknownVariation: z.number().int().describe("Units whose exposure named no variation of the experiment."),
		})
		.describe("Units left out, by reason."),
	warnings: warningsSchema,
});

/** GET /v1/admin/games/{gameId}/experiment-alerts (for the OpenAPI document). */
export const experimentAlertsSchema = z.object({
	at: z.string().describe("ISO 8601 time the alerts were computed."),
	alerts: z.array(alertSchema).describe("Guardrail regressions of the game's running experiments."),
	experiments: z
		.array(
			z.object({
				key: z.string().describe("A running experiment."),
				guardrails: z.number().int().describe("Guardrail metrics checked."),
				error: z.string().nullable().describe("Why it could not be checked; null when it was."),
			}),
		)
		.describe("The running experiments looked at."),
});
