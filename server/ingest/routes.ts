import { Hono, type Context, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { parseGameId } from "../auth/provisioning.js";
import type { Config } from "../config.js";
import { ForbiddenError, ValidationError } from "../errors.js";
import type { AppEnv } from "../http/app-env.js";
import { readJsonBody } from "../http/read-json-body.js";
import { timeStoreWrite, type Metrics } from "../metrics/metrics.js";
import type { Store, StoredEvent } from "../store/types.js";
import { correctClockSkew } from "./clock-skew.js";
import { EVENT_TYPES, batchEnvelopeSchema, describeIssues, eventSchema, validateEvents } from "./schema.js";

/** Set on the answer to a batchId seen before: the body is the first answer and nothing was written. */
export const REPLAYED_HEADER = "Idempotent-Replayed";

export interface IngestRoutesDeps {
	store: Store;
	config: Pick<Config, "maxBodyBytes" | "maxInflatedBytes">;
	/** Server time in unix ms. */
	clock: () => number;
	metrics: Metrics;
	/**
	 * Runs before a batch is read: authenticates the game (scope `ingest`, sets `c.get("game")`) and rate-limits
	 * it. Several middlewares combine into one with `every` from hono/combine.
	 */
	ingestGuard: MiddlewareHandler<AppEnv>;
	/** Runs before events are read back: an admin token with the analyst role or higher. */
	readGuard: MiddlewareHandler<AppEnv>;
}

export const DEFAULT_EVENTS_LIMIT = 100;
export const MAX_EVENTS_LIMIT = 1000;

export const listEventsQuerySchema = z.object({
	batchId: z.string().min(1).max(64).optional(),
	userId: z.coerce.number().int().nonnegative().optional(),
	type: z.enum(EVENT_TYPES).optional(),
	limit: z.coerce.number().int().min(1).max(MAX_EVENTS_LIMIT).default(DEFAULT_EVENTS_LIMIT),
	after: z.string().min(1).max(64).optional(),
});

/** An event as read back: as sent (time corrected for clock skew), plus where and when it arrived. */
export const storedEventSchema = eventSchema.extend({
	gameId: z.string(),
	batchId: z.string(),
	receivedAt: z.number().int().describe("Server time (unix ms) the batch arrived."),
});

/** Response of GET /v1/games/:gameId/events. `next` is the `after` cursor of the following page, if any. */
export const listEventsResponseSchema = z.object({
	events: z.array(storedEventSchema),
	next: z.string().nullable().describe("Pass as `after` for the next page; null on the last page."),
});

export interface ListEventsResponse {
	events: StoredEvent[];
	next: string | null;
}

/**
 * Routes relative to /v1.
 *
 * - `POST /batches` — the game comes from the access token. JSON batch, optionally gzip; answers 200
 *   {@link IngestResult}.
 * - `POST /games/:gameId/batches` — the same, for SDKs that still name the game in the path; the token's game
 *   must be that game (else 403).
 * - `GET /games/:gameId/events?batchId=&userId=&type=&limit=&after=` — reads stored events back (analysts).
 */
export function ingestRoutes(deps: IngestRoutesDeps): Hono<AppEnv> {
	const routes = new Hono<AppEnv>();

	routes.post("/batches", deps.ingestGuard, (c) => ingestBatch(c, c.get("game").gameId, deps));

	routes.post("/games/:gameId/batches", deps.ingestGuard, (c) => {
		const gameId = parseGameId(c.req.param("gameId"));
		if (gameId !== c.get("game").gameId) throw new ForbiddenError("The access token belongs to another game.");
		return ingestBatch(c, gameId, deps);
	});

	routes.get("/games/:gameId/events", deps.readGuard, async (c) => {
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

/**
 * 1. read the body within the limits (gzip inflated with its own limit);
 * 2. an invalid envelope → 400 validation_failed (nothing stored);
 * 3. each event validated on its own; invalid ones are reported by index, the others kept;
 * 4. event times corrected for the sender's clock skew (from `sentAt`);
 * 5. stored atomically and idempotently by batchId, duplicates by event id.
 */
async function ingestBatch(c: Context<AppEnv>, gameId: string, deps: IngestRoutesDeps): Promise<Response> {
	const body = await readJsonBody(c.req.raw, deps.config);

	const envelope = batchEnvelopeSchema.safeParse(body);
	if (!envelope.success) {
		throw new ValidationError("The batch envelope is invalid.", describeIssues(envelope.error.issues));
	}

	const receivedAt = deps.clock();
	const { batchId, sentAt, sdk } = envelope.data;
	const { events, rejected } = validateEvents(envelope.data.events);
	// The validated events are fresh objects of this request: correct their times in place.
	for (const event of events) event.time = correctClockSkew(event.time, sentAt, receivedAt);

	const { result, replayed } = await timeStoreWrite(deps.metrics, "ingest_batch", () =>
		deps.store.ingestBatch(gameId, { batchId, sentAt, sdk, events, rejected }, receivedAt),
	);
	if (replayed) {
		deps.metrics.batches.inc({ outcome: "replayed" });
		c.header(REPLAYED_HEADER, "true");
	} else {
		deps.metrics.batches.inc({ outcome: "stored" });
		deps.metrics.events.inc({ outcome: "accepted" }, result.accepted);
		deps.metrics.events.inc({ outcome: "duplicate" }, result.duplicates);
		deps.metrics.events.inc({ outcome: "rejected" }, result.rejected.length);
	}
	return c.json(result, 200);
}
