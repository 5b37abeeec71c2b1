import { Hono } from "hono";
import { z } from "zod";
import type { Config } from "../config.js";
import { ValidationError } from "../errors.js";
import type { AppEnv } from "../http/app-env.js";
import { readJsonBody } from "../http/read-json-body.js";
import type { Store, StoredEvent } from "../store/types.js";
import { correctClockSkew } from "./clock-skew.js";
import { EVENT_TYPES, batchEnvelopeSchema, describeIssues, validateEvents, type IngestResult } from "./schema.js";

export interface IngestRoutesDeps {
	store: Store;
	config: Pick<Config, "maxBodyBytes" | "maxInflatedBytes">;
	/** Server time in unix ms. */
	clock: () => number;
}

/** Game ids appear in URLs and logs; keep them to a safe alphabet. */
const gameIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "game id must be 1-64 characters of A-Z a-z 0-9 _ -");

export const DEFAULT_EVENTS_LIMIT = 100;
export const MAX_EVENTS_LIMIT = 1000;

const listEventsQuerySchema = z.object({
	batchId: z.string().min(1).max(64).optional(),
	userId: z.coerce.number().int().nonnegative().optional(),
	type: z.enum(EVENT_TYPES).optional(),
	limit: z.coerce.number().int().min(1).max(MAX_EVENTS_LIMIT).default(DEFAULT_EVENTS_LIMIT),
	after: z.string().min(1).max(64).optional(),
});

/** Response of GET /v1/games/:gameId/events. `next` is the `after` cursor of the following page, if any. */
export interface ListEventsResponse {
	events: StoredEvent[];
	next: string | null;
}

/**
 * Routes relative to /v1. Mounted behind the v1 router so the auth middleware (next piece of work) sits in front
 * of them without changes here.
 *
 * - `POST /games/:gameId/batches` — JSON batch, optionally gzip; answers 200 {@link IngestResult}.
 * - `GET /games/:gameId/events?batchId=&userId=&type=&limit=&after=` — reads stored events back.
 */
export function ingestRoutes(deps: IngestRoutesDeps): Hono<AppEnv> {
	const routes = new Hono<AppEnv>();

	routes.post("/games/:gameId/batches", async (c) => {
		const gameId = parseGameId(c.req.param("gameId"));
		const body = await readJsonBody(c.req.raw, deps.config);

		const envelope = batchEnvelopeSchema.safeParse(body);
		if (!envelope.success) {
			throw new ValidationError("The batch envelope is invalid.", describeIssues(envelope.error.issues));
		}

		const receivedAt = deps.clock();
		const { batchId, sentAt, sdk } = envelope.data;
		const { events, rejected } = validateEvents(envelope.data.events);
		const corrected = events.map((event) => ({ ...event, time: correctClockSkew(event.time, sentAt, receivedAt) }));

		const result: IngestResult = await deps.store.ingestBatch(
			gameId,
			{ batchId, sentAt, sdk, events: corrected, rejected },
			receivedAt,
		);
		return c.json(result, 200);
	});

	routes.get("/games/:gameId/events", async (c) => {
		const gameId = parseGameId(c.req.param("gameId"));
		const query = listEventsQuerySchema.safeParse(c.req.query());
		if (!query.success) {
			throw new ValidationError("The query is invalid.", describeIssues(query.error.issues));
		}
		const events = await deps.store.listEvents({ gameId, ...query.data });
		const last = events.at(-1);
		const body: ListEventsResponse = {
			events,
			next: events.length === query.data.limit && last ? last.id : null,
		};
		return c.json(body, 200);
	});

	return routes;
}

function parseGameId(raw: string): string {
	const result = gameIdSchema.safeParse(raw);
	if (!result.success) throw new ValidationError("The game id is invalid.", describeIssues(result.error.issues));
	return result.data;
}
