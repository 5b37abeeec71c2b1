// The live event stream in the OpenAPI document, built with the document's own helpers (see openapi/document.ts).
import type { OpenApiFragment } from "../openapi/fragment.js";
import type { z } from "zod";
import { LIVE_RETRY_MS, liveEventsMessageSchema, liveEventsQuerySchema } from "./routes.js";

export const LIVE_COMPONENTS: Record<string, z.ZodType> = { LiveEventsMessage: liveEventsMessageSchema };

const DESCRIPTION = `
A [server-sent events](https://html.spec.whatwg.org/multipage/server-sent-events.html) stream of the game's events as
ingest stores them, for a live view (\`new EventSource(url)\` in a browser of the dashboard's origin: its session
cookie authenticates; API clients send their admin token). Messages:

- \`ready\` (first, with \`retry: ${LIVE_RETRY_MS}\`): data \`{ gameId, filter }\`; the stream is subscribed from here on.
- \`events\`: data is a LiveEventsMessage: the events of batches stored since the last message, in arrival order, and
  \`dropped\`, how many matching events were left out because the client read slower than they arrived (a stream holds
  up to 1,000; the newest are kept).
- \`: heartbeat\` comment lines every 15 s. With each, the credentials are checked again: once the session ends or the
  user is disabled or loses the role, an \`end\` message (data \`{ "reason": "unauthorized" }\`) closes the stream.
- \`end\`: the server closed the stream (\`reason\`: \`unauthorized\`, or \`closed\` at shutdown). EventSource reconnects
  by itself; a refused reconnect (401, 403) stops it.

Events from before the connection are not replayed (read them with GET /v1/games/{gameId}/events). A batch replayed by
its batchId is not sent again; an event resent in a new batch may be (its id tells). Each backend instance streams
the batches it stored itself.
`;

/** The stream's path, with the document's problem responses and admin auth. */
export function livePaths(h: {
	gameIdParam: unknown;
	problem: (description: string, retryable: boolean, headers?: Record<string, unknown>) => unknown;
	adminAuth: Record<string, unknown>;
	retryAfter: Record<string, unknown>;
	queryParameters: (schema: z.ZodObject) => unknown[];
}): Record<string, unknown> {
	return {
		"/v1/games/{gameId}/events/live": {
			get: {
				operationId: "streamLiveEvents",
				summary: "Stream the game's events as they are stored, as server-sent events (analyst or owner)",
				description: DESCRIPTION,
				tags: ["ingest"],
				security: [{ adminToken: [] }],
				parameters: [h.gameIdParam, ...h.queryParameters(liveEventsQuerySchema)],
				responses: {
					"200": {
						description: "The stream (ends when the client disconnects or the server ends it).",
						content: {
							"text/event-stream": {
								schema: { type: "string", description: "ready, events and end messages; heartbeat comments." },
								"x-message-data": {
									ready: { type: "object", properties: { gameId: { type: "string" }, filter: { type: "object" } } },
									events: { $ref: "#/components/schemas/LiveEventsMessage" },
									end: { type: "object", properties: { reason: { type: "string", enum: ["unauthorized", "closed"] } } },
								},
							},
						},
					},
					"400": h.problem("Invalid game id, an unknown or repeated parameter, or an unknown type.", false),
					...h.adminAuth,
					"404": h.problem("Unknown game.", false),
					"429": h.problem(
						"Too many streams open (100 on the server, 10 per user): close one, or retry after Retry-After.",
						true,
						h.retryAfter,
					),
				},
			},
		},
	};
}

/** This module's part of the OpenAPI document (listed in openapi/fragments.ts). */
export const liveOpenApi: OpenApiFragment = { components: LIVE_COMPONENTS, paths: livePaths };
