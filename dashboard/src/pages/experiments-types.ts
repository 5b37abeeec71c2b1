// Shapes of the experiment and flag APIs' JSON, from the server's own types and schemas (type-only imports: nothing of
// the server ends up in the bundle), so a changed field fails the dashboard's type check. Numbers the server cannot
// compute (non-finite) arrive as null, so the pages read every statistic through a null check.
import type { z } from "zod";
import type { Condition } from "../../../server/experiments/condition.js";
import type { experimentSchema } from "../../../server/experiments/experiment.js";
import type { FlagValue, flagSchema } from "../../../server/experiments/flag.js";
import type { MetricDefinition } from "../../../server/experiments/metric.js";
import type { ExposuresAnswer } from "../../../server/experiments/exposures.js";
import type { PlanRequest, PlanResult } from "../../../server/experiments/planning.js";
import type { PreviewSummary, previewResultSchema } from "../../../server/experiments/preview.js";
import type {
	BreakdownResults,
	ExperimentAlerts,
	ExperimentResults,
	GuardrailAlert,
} from "../../../server/experiments/results.js";
import type { EventType } from "../../../server/ingest/schema.js";

export type {
	BreakdownResults,
	Condition,
	EventType,
	ExperimentAlerts,
	ExperimentResults,
	FlagValue,
	GuardrailAlert,
	MetricDefinition,
	PlanResult,
	PreviewSummary,
};

/** GET /v1/admin/games/{id}/experiments/{key} */
export type Experiment = z.output<typeof experimentSchema>;
export type ExperimentStatus = Experiment["status"];

/** GET /v1/admin/games/{id}/experiments */
export interface ExperimentList {
	experiments: Experiment[];
}

/** GET /v1/admin/games/{id}/flags/{key} */
export type Flag = z.output<typeof flagSchema>;

/** GET /v1/admin/games/{id}/flags */
export interface FlagList {
	flags: Flag[];
}

/** GET /v1/admin/games/{id}/experiments/{key}/exposures */
export type Exposures = ExposuresAnswer;

/** POST /v1/admin/games/{id}/experiments/preview */
export type Preview = z.output<typeof previewResultSchema>;

/** The body of POST /v1/admin/games/{id}/experiments/plan (defaults may be left out). */
export type PlanBody = Partial<PlanRequest> & Pick<PlanRequest, "baseline" | "mde">;

/** One treatment-vs-control comparison of the results. */
export type Comparison = ExperimentResults["comparisons"][number];

/** The event types the SDK sends (server/ingest/schema.ts), for metric definitions. */
export const EVENT_TYPE_NAMES = [
	"session_start",
	"session_end",
	"custom",
	"progression",
	"economy",
	"purchase",
	"funnel",
	"error",
	"exposure",
	"consent",
] as const satisfies readonly EventType[];
