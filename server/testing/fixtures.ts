import { gzipSync } from "node:zlib";
import type { IngestEvent } from "../ingest/schema.js";
import { createLogger, type Logger } from "../logger.js";

/** Shared test data and helpers; imported by *.test.ts only. */

export const T0 = Date.UTC(2025, 0, 1);

export function makeEvent(overrides: Partial<IngestEvent> = {}): IngestEvent {
	return {
		id: "01JGZ000000000000000000001",
		time: T0,
		userId: 42,
		sessionId: "s-1",
		type: "custom",
		name: "level_up",
		props: { level: 3, vip: true, note: null, zone: "north" },
		...overrides,
	};
}

/** Events with increasing ids (`e-0001`, `e-0002`, …) so their order is the id order. */
export function makeEvents(count: number, prefix = "e"): IngestEvent[] {
	return Array.from({ length: count }, (_, i) =>
		makeEvent({ id: `${prefix}-${String(i + 1).padStart(4, "0")}`, time: T0 + i }),
	);
}

export function makeBatch(events: unknown[], overrides: Record<string, unknown> = {}): Record<string, unknown> {
	return { batchId: "b-1", sentAt: T0, sdk: { name: "vantage-roblox", version: "0.1.0" }, events, ...overrides };
}

/** A logger whose lines are kept as parsed objects. */
export function memoryLogger(level: "debug" | "info" | "warn" | "error" = "debug"): {
	logger: Logger;
	lines: Record<string, unknown>[];
} {
	const lines: Record<string, unknown>[] = [];
	const logger = createLogger({ level, sink: { write: (line) => lines.push(JSON.parse(line)) } });
	return { logger, lines };
}

export function jsonRequest(
	body: unknown,
	init: { gzip?: boolean; headers?: Record<string, string> } = {},
): RequestInit {
	const text = typeof body === "string" ? body : JSON.stringify(body);
	const headers: Record<string, string> = { "Content-Type": "application/json", ...init.headers };
	if (init.gzip) {
		headers["Content-Encoding"] = "gzip";
		return { method: "POST", headers, body: gzipSync(text) };
	}
	return { method: "POST", headers, body: text };
}
