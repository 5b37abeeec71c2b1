import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The backend's Prometheus metrics, on a registry of their own (never prom-client's global one). */
export interface Metrics {
	registry: Registry;
	/** `vantage_http_requests_total{method, route, status}` */
	httpRequests: Counter<"method" | "route" | "status">;
	/** `vantage_http_request_duration_seconds{method, route, status}` */
	httpDuration: Histogram<"method" | "route" | "status">;
	/** `vantage_events_total{outcome="accepted"|"duplicate"|"rejected"}` */
	events: Counter<"outcome">;
	/** `vantage_events_rejected_total{code="invalid_event"|"implausible_time"}`: the rejected events, by reason. */
	rejectedEvents: Counter<"code">;
	/** `vantage_batches_total{outcome="stored"|"replayed"}` */
	batches: Counter<"outcome">;
	/** `vantage_store_write_duration_seconds{operation}` */
	storeWriteDuration: Histogram<"operation">;
}

export interface MetricsOptions {
	/** Also export Node's process metrics (CPU, memory, event loop lag, GC). @default false */
	processMetrics?: boolean;
}

/**
 * Creates the metrics. Route labels are route patterns (`/v1/games/:gameId/events`), never raw paths, so their
 * number stays bounded whatever clients send.
 *
 * @example
 * const metrics = createMetrics({ processMetrics: true });
 * const text = await metrics.registry.metrics();
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
	const registry = new Registry();
	if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: "vantage_" });
	return {
		registry,
		httpRequests: new Counter({
			name: "vantage_http_requests_total",
			help: "HTTP requests answered, by method, route pattern and status.",
			labelNames: ["method", "route", "status"],
			registers: [registry],
		}),
		httpDuration: new Histogram({
			name: "vantage_http_request_duration_seconds",
			help: "HTTP request latency from first byte in to response ready, by method, route pattern and status.",
			labelNames: ["method", "route", "status"],
			buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
			registers: [registry],
		}),
		events: new Counter({
			name: "vantage_events_total",
			help: "Events received in batches, by outcome: accepted (stored), duplicate (already stored) or rejected (invalid).",
			labelNames: ["outcome"],
			registers: [registry],
		}),
		rejectedEvents: new Counter({
			name: "vantage_events_rejected_total",
			help: "Events refused in batches, by reason code: invalid_event (schema) or implausible_time (outside the time window).",
			labelNames: ["code"],
			registers: [registry],
		}),
		batches: new Counter({
			name: "vantage_batches_total",
			help: "Batches received, by outcome: stored (first time) or replayed (batchId seen before, nothing written).",
			labelNames: ["outcome"],
			registers: [registry],
		}),
		storeWriteDuration: new Histogram({
			name: "vantage_store_write_duration_seconds",
			help: "Time spent in store write transactions, by operation.",
			labelNames: ["operation"],
			buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
			registers: [registry],
		}),
	};
}

/** Runs a store write and records its duration (also when it throws). */
export async function timeStoreWrite<T>(metrics: Metrics, operation: string, write: () => Promise<T>): Promise<T> {
	const end = metrics.storeWriteDuration.startTimer({ operation });
	try {
		return await write();
	} finally {
		end();
	}
}
