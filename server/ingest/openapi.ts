// Ingest and the raw events read-back in the OpenAPI document (routes: routes.ts; schemas: schema.ts).
import { DEFAULT_EXPORT_PAGE_SIZE } from "../exports/events-export.js";
import type { OpenApiFragment } from "../openapi/fragment.js";
import { CLOCK_SKEW_TOLERANCE_MS } from "./clock-skew.js";
import { EVENT_TIME_WINDOW_TEXT, MAX_EVENT_AGE_DAYS, MAX_EVENT_LEAD_MINUTES } from "./event-time-window.js";
import { REPLAYED_HEADER, exportEventsQuerySchema, listEventsQuerySchema, listEventsResponseSchema } from "./routes.js";
import { batchSchema, eventSchema, ingestResultSchema } from "./schema.js";

const BATCH_DESCRIPTION = `
gzip (\`Content-Encoding: gzip\`) is accepted and recommended. Invalid events are reported by index in \`rejected\`
and the rest are stored. A batchId seen before answers with the first answer and stores nothing.

Times are unix milliseconds (UTC). Event times are moved by the sender's clock skew (arrival time minus \`sentAt\`,
when over ${CLOCK_SKEW_TOLERANCE_MS / 1000} s) unless the game's \`trustClientClock\` setting is on (for replayed
history, such as the simulator's). An event whose time is then outside the window — ${EVENT_TIME_WINDOW_TEXT} — is
refused with \`code: "implausible_time"\` and a message naming the time and the bound; it is never moved into the
window. The window is ${MAX_EVENT_AGE_DAYS} days back because the SDK keeps batches in DataStore through an outage
until a server can send them (no expiry), and ${MAX_EVENT_LEAD_MINUTES} minutes ahead for clocks that drift.
Refused events are counted in \`vantage_events_rejected_total{code}\` on /metrics.

Event types: \`session_start\`/\`session_end\` (name \`player\` for a player's visit, \`server\` with userId 0 for the
game server's run), \`custom\` (any name), \`progression\`, \`economy\`, \`purchase\`, \`funnel\`, \`error\`,
\`exposure\` (name = the experiment key, \`props.variation\` = the variation key the player got, \`props.mode\` = how
it was assigned; one per player and experiment) and \`consent\` (props: policyVersion, analytics, experiments,
personalization, region, uiVersion, source).
`;

export const ingestOpenApi: OpenApiFragment = {
	components: {
		Event: eventSchema,
		Batch: batchSchema,
		IngestResult: ingestResultSchema,
		ListEventsResponse: listEventsResponseSchema,
	},
	paths: (h) => ({
		"/v1/batches": {
			post: {
				operationId: "postBatch",
				summary: "Send a batch of events (the game comes from the token)",
				description: BATCH_DESCRIPTION,
				tags: ["ingest"],
				security: [{ gameToken: ["ingest"] }],
				parameters: [
					{
						name: "Content-Encoding",
						in: "header",
						required: false,
						description: "gzip to send the body compressed (recommended); identity or absent otherwise.",
						schema: { type: "string", enum: ["gzip", "identity"] },
					},
				],
				requestBody: { required: true, content: h.json("Batch") },
				responses: {
					"200": {
						description: "Processed (also when some events were rejected).",
						headers: {
							[REPLAYED_HEADER]: {
								description: "`true` when this batchId was seen before: the body is the first answer.",
								schema: { type: "string", const: "true" },
							},
						},
						content: h.json("IngestResult"),
					},
					"400": h.problem("The envelope, JSON or gzip is invalid. Not retryable.", false),
					"409": h.problem(
						"The batchId was already used for other events (a retry must resend the same events; a new batch takes a new batchId). Not retryable.",
						false,
					),
					...h.gameAuth,
					"413": h.problem("Compressed or inflated body over the limit. Split the batch and retry.", true),
					"415": h.problem("Not application/json, or an encoding other than gzip. Not retryable.", false),
					"429": h.problem("The game is over its rate limit.", true, h.retryAfter),
					...h.common,
				},
			},
		},
		"/v1/games/{gameId}/batches": {
			post: {
				operationId: "postGameBatch",
				summary: "Send a batch naming the game in the path (deprecated: use /v1/batches)",
				deprecated: true,
				tags: ["ingest"],
				security: [{ gameToken: ["ingest"] }],
				parameters: [h.gameIdParam],
				requestBody: { required: true, content: h.json("Batch") },
				responses: {
					"200": { description: "As POST /v1/batches.", content: h.json("IngestResult") },
					"400": h.problem("Invalid envelope or game id.", false),
					...h.gameAuth,
					"413": h.problem("Over the limit; split.", true),
					"429": h.problem("Rate limited.", true, h.retryAfter),
					...h.common,
				},
			},
		},
		"/v1/games/{gameId}/events": {
			get: {
				operationId: "listEvents",
				summary: "Read stored events back in id (≈ time) order (analyst or owner)",
				tags: ["ingest"],
				security: [{ adminToken: [] }],
				parameters: [h.gameIdParam, ...h.queryParameters(listEventsQuerySchema)],
				responses: {
					"200": { description: "A page of events.", content: h.json("ListEventsResponse") },
					"400": h.problem("Invalid query, an unknown parameter, or `from` not before `to`.", false),
					...h.adminAuth,
				},
			},
		},
		"/v1/games/{gameId}/events/export": {
			get: {
				operationId: "exportEvents",
				summary: "Download every matching event as NDJSON, CSV or Parquet (analyst or owner)",
				description:
					"Streamed in id (≈ time) order as the client reads it, so exports of any size use little server " +
					"memory. Columns: id, gameId, batchId, userId, sessionId, type, name, time (unix milliseconds), " +
					"receivedAt (unix milliseconds), props (an object in NDJSON, JSON text in CSV and Parquet). CSV " +
					"follows RFC 4180 (CRLF, UTF-8, header row). Parquet: strings UTF8, userId INT64, time and " +
					"receivedAt INT64 unix milliseconds annotated as UTC timestamps, props JSON; one row group per " +
					`${DEFAULT_EXPORT_PAGE_SIZE} events. A failure after the download started ends it early (the ` +
					"file is then incomplete).",
				tags: ["ingest"],
				security: [{ adminToken: [] }],
				parameters: [h.gameIdParam, ...h.queryParameters(exportEventsQuerySchema)],
				responses: {
					"200": {
						description: "The file, as an attachment named `events-<gameId>.<ndjson|csv|parquet>`.",
						headers: {
							"Content-Disposition": {
								description: 'attachment; filename="events-<gameId>.<extension>"',
								schema: { type: "string" },
							},
						},
						content: {
							"application/x-ndjson": {
								schema: { type: "string", description: "One JSON object per line (LF)." },
							},
							"text/csv; charset=utf-8": { schema: { type: "string" } },
							"application/vnd.apache.parquet": {
								schema: { type: "string", contentMediaType: "application/vnd.apache.parquet" },
							},
						},
					},
					"400": h.problem("Invalid query, an unknown parameter, or `from` not before `to`.", false),
					...h.adminAuth,
				},
			},
		},
	}),
};
