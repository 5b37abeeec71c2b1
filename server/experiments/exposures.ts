// Players exposed to an experiment so far: per variation and per UTC day of their first exposure, from the same
// per-arm sums the results use (an exposure counted as a conversion on itself makes every exposed player a unit).
import { z } from "zod";
import type { ExperimentMetricRow } from "../store/types.js";
import type { MetricDefinition } from "./metric.js";
import { DAY_MS } from "./metric.js";
import { sumsByArm } from "./results.js";

/** The metric whose units are exactly the exposed players: the exposure event itself, as a conversion. */
export function exposureMetric(experimentKey: string): MetricDefinition {
	return { key: "exposed", type: "conversion", event: experimentKey, eventType: "exposure" };
}

export const exposuresSchema = z.object({
	experiment: z.string().describe("The experiment's key."),
	from: z.string().describe("The experiment's start (or creation), ISO 8601."),
	to: z.string().describe("Its end, or now if earlier."),
	units: z.number().int().describe("Players whose first exposure falls in the window (forced QA users aside)."),
	variations: z
		.array(
			z.object({
				key: z.string().describe("The variation's key."),
				units: z.number().int().describe("Players first exposed to it in the window."),
			}),
		)
		.describe("Per variation, control first."),
	excluded: z
		.object({
			multipleVariations: z.number().int().describe("Players exposed to more than one variation: left out."),
			unknownVariation: z.number().int().describe("Players whose exposure named no variation of the experiment."),
		})
		.describe("Players left out, by reason."),
	daily: z
		.array(
			z.object({
				date: z.string().describe("UTC day, YYYY-MM-DD."),
				units: z.array(z.number().int()).describe("Per variation, control first."),
			}),
		)
		.describe("Players first exposed on each UTC day."),
});
export type ExposuresAnswer = z.output<typeof exposuresSchema>;

/**
 * The exposures answer from the sums of {@link exposureMetric} over [from, to).
 *
 * @example
 * exposureSummary("obby", rows, [{ key: "classic" }, { key: "hard" }], from, to).units;
 */
export function exposureSummary(
	experimentKey: string,
	rows: readonly ExperimentMetricRow[],
	variations: readonly { key: string }[],
	from: number,
	to: number,
): ExposuresAnswer {
	const { totals, excluded, byDay } = sumsByArm(rows, variations);
	const days = [...byDay.keys()].sort((a, b) => a - b);
	return {
		experiment: experimentKey,
		from: new Date(from).toISOString(),
		to: new Date(to).toISOString(),
		units: totals.reduce((s, t) => s + t.n, 0),
		variations: variations.map((v, i) => ({ key: v.key, units: totals[i]!.n })),
		excluded,
		daily: days.map((day) => ({
			date: new Date(day * DAY_MS).toISOString().slice(0, 10),
			units: byDay.get(day)!.map((s) => s.n),
		})),
	};
}
