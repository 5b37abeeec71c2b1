// Liveness, readiness and Prometheus metrics in the OpenAPI document (routes: app.ts and metrics/routes.ts).
import type { OpenApiFragment } from "../openapi/fragment.js";

export const opsOpenApi: OpenApiFragment = {
	paths: (h) => ({
		"/healthz": {
			get: {
				operationId: "healthz",
				summary: "Liveness",
				tags: ["ops"],
				security: [],
				responses: { "200": { description: "The process is up." } },
			},
		},
		"/readyz": {
			get: {
				operationId: "readyz",
				summary: "Readiness: the store answers",
				tags: ["ops"],
				security: [],
				responses: { "200": { description: "Ready." }, "503": h.problem("The store is unreachable.", true) },
			},
		},
		"/metrics": {
			get: {
				operationId: "metrics",
				summary: "Prometheus metrics (VANTAGE_METRICS_TOKEN bearer, or an admin token)",
				tags: ["ops"],
				security: [{ adminToken: [] }],
				responses: {
					"200": {
						description: "Prometheus text format 0.0.4.",
						content: { "text/plain": { schema: { type: "string" } } },
					},
					"401": h.problem("No scrape or admin token.", false),
				},
			},
		},
	}),
};
