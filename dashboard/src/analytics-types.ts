// Shapes of the metrics the analytics pages read (retention, funnels, revenue, economy, progression, trends, KPIs and
// the event-names list), inferred from the zod schemas the server documents its API with: type-only imports, so
// nothing of the server ends up in the bundle and a changed field fails the type check.
import type { z } from "zod";
import type {
	economySchema,
	eventNamesSchema,
	funnelSchema,
	kpiSchema,
	progressionSchema,
	retentionSchema,
	trendsSchema,
} from "../../server/metrics/schemas.js";

export type Retention = z.infer<typeof retentionSchema>;
export type Funnel = z.infer<typeof funnelSchema>;
export type Economy = z.infer<typeof economySchema>;
export type Progression = z.infer<typeof progressionSchema>;
export type Kpi = z.infer<typeof kpiSchema>;
export type Trends = z.infer<typeof trendsSchema>;
/** GET /v1/games/{id}/metrics/event-names */
export type EventNamesAnswer = z.infer<typeof eventNamesSchema>;
