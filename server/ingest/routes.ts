import { createHash } from "node:crypto";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { parseGameId } from "../auth/provisioning.js";
import type { Config } from "../config.js";
import { ConflictError, ForbiddenError, ValidationError } from "../errors.js";
import { EVENT_EXPORT_FORMATS, EVENT_EXPORT_MEDIA, exportEvents } from "../exports/events-export.js";
import type { AppEnv } from "../http/app-env.js";
import { readJsonBody } from "../http/read-json-body.js";
import type { StoredBatch } from "../live/event-hub.js";
import { timeStoreWrite, type Metrics } from "../metrics/metrics.js";
import type { IngestOutcome, Store, StoredEvent } from "../store/types.js";
import type { ErasureGuard } from "../privacy/erasure-guard.js";
import { withoutConsentDetails } from "../privacy/consent.js";
import type { ClientClockTrust } from "./client-clock-trust.js";
import { correctClockSkew } from "./clock-skew.js";
import type { SdkVersionMonitor } from "./sdk-versions.js";
import { IMPLAUSIBLE_TIME, implausibleTimeReason } from "./event-time-window.js";
import {
	EVENT_TYPES,
	batchEnvelopeSchema,
	describeIssues,
	eventSchema,
	validateEvents,
	type IngestResult,
} from "./schema.js";

/** Set on the answer to a batchId seen before: the body is the first answer and nothing was written. */
export const REPLAYED_HEADER = "Idempotent-Replayed";

export interface IngestRoutesDeps {
	store: Store;
	config: Pick<Config, "maxBodyBytes" | "maxInflatedBytes">;
	/** Server time in unix ms. */
	clock: () => number;
	metrics: Metrics;
	/** Each game's `trustClientClock` setting, from memory (shared with the settings routes, which invalidate it). */
	clientClock: Pick<ClientClockTrust, "trusts">;
	/**
	 * Runs before a batch is read: authenticates the game (scope `ingest`, sets `c.get("game")`) and rate-limits
	 * it. Several middlewares combine into one with `every` from hono/combine.
	 */
	ingestGuard: MiddlewareHandler<AppEnv>;
	/** Runs before events are read back: an admin token with the analyst role or higher. */
	readGuard: MiddlewareHandler<AppEnv>;
	/** Told of every newly stored batch (not of a replay), after the write: feeds the live event stream. */
	onStored?: (gameId: string, batch: StoredBatch) => void;
	/** Drops events of players erased from the game before they are stored (server/privacy). @default none */
	erasures?: Pick<ErasureGuard, "admit">;
	/**
	 * Told of every admin read of raw events (page or export) before it is answered, with the player when the read
	 * is filtered to one: the privacy audit log records it. @default none
	 */
	onEventsRead?: (c: Context<AppEnv>, read: EventsRead) => Promise<void>;
	/** Told the `sdk` of every stored batch: warns once when a game runs an older SDK (server/ingest/sdk-versions). */
	sdkVersions?: Pick<SdkVersionMonitor, "record">;
}

/** An admin read of raw events, as the audit log records it. */
export interface EventsRead {
	gameId: string;
	/** The player the read was filtered to, if any. */
	userId: number | undefined;
	/** "page" (GET …/events) or an export format. */
	kind: string;
}

export const DEFAULT_EVENTS_LIMIT = 100;
export const MAX_EVENTS_LIMIT = 1000;

/** The latest instant a JavaScript Date holds (unix ms): the upper limit of `from` and `to`. */
const MAX_DATE_MS = 8_640_000_000_000_000;

/**
 * A point in time in a query: unix milliseconds, an ISO 8601 date (UTC midnight) or an ISO 8601 date-time with
 * seconds and `Z` or an offset. A date-time without an offset is refused: it would mean the server's time zone.
 */
export const timeQueryParamSchema = z
	.union([z.string().regex(/^\d{1,16}$/, "unix milliseconds"), z.iso.date(), z.iso.datetime({ offset: true })])
	.transform((value) => (/^\d+$/.test(value) ? Number(value) : Date.parse(value)))
	.pipe(z.number().max(MAX_DATE_MS));

/** Filters shared by the events page and the export; every time is unix ms (or ISO 8601 on input). */
const eventFilters = {
	// Digits only: a coerced number would read `userId=` as 0 (the server's own events) and accept `1e3`.
	userId: z
		.string()
		.regex(/^\d{1,16}$/, "a Roblox UserId (digits)")
		.transform(Number)
		.pipe(z.number().int())
		.optional()
		.describe("Only this player's events (Roblox UserId; 0 for server events)."),
	type: z.enum(EVENT_TYPES).optional().describe("Only events of this type."),
	name: z.string().min(1).max(128).optional().describe("Only events with exactly this name."),
	from: timeQueryParamSchema
		.optional()
		.describe(
			"Only events whose time is at or after this: unix milliseconds, or ISO 8601 (`2025-01-01`, " +
				"`2025-01-01T12:00:00Z`, `2025-01-01T12:00:00+02:00`). Inclusive.",
		),
	to: timeQueryParamSchema
		.optional()
		.describe("Only events whose time is before this: unix milliseconds or ISO 8601, as `from`. Exclusive."),
};

/** `from` must come before `to`: an empty or reversed range is a mistake worth reporting. */
function checkTimeRange(query: { from?: number | undefined; to?: number | undefined }, ctx: z.RefinementCtx): void {
	if (query.from !== undefined && query.to !== undefined && query.from >= query.to) {
		ctx.addIssue({ code: "custom", path: ["to"], message: "must be after from", input: query.to });
	}
}

export const listEventsQuerySchema = z
	.strictObject({
		batchId: z.string().min(1).max(64).optional().describe("Only the events of this batch."),
		...eventFilters,
		limit: z.coerce
			.number()
			.int()
			.min(1)
			.max(MAX_EVENTS_LIMIT)
			.default(DEFAULT_EVENTS_LIMIT)
			.describe("Events per page."),
		after: z.string().min(1).max(64).optional().describe("Cursor: the `next` of the previous page (an event id)."),
	})
	.superRefine(checkTimeRange);

export const exportEventsQuerySchema = z
	.strictObject({
		format: z.enum(EVENT_EXPORT_FORMATS).describe("File format: ndjson, csv or parquet."),
		...eventFilters,
	})
	.superRefine(checkTimeRange);

/**
 * An event as read back: as sent (time corrected for clock skew, unless the game's `trustClientClock` is on), plus
 * where and when it arrived.
 */
export const storedEventSchema = eventSchema.extend({
	gameId: z.string().describe("The game the event belongs to."),
	batchId: z.string().describe("The batch it arrived in."),
	receivedAt: z.number().int().describe("Server time (unix ms) the batch arrived."),
});

/** Response of GET /v1/games/:gameId/events. `next` is the `after` cursor of the following page, if any. */
export const listEventsResponseSchema = z.object({
	events: z.array(storedEventSchema).describe("Up to `limit` events, in id (≈ time) order."),
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
 * - `GET /games/:gameId/events?batchId=&userId=&type=&name=&from=&to=&limit=&after=` — reads stored events back
 *   (analysts).
 * - `GET /games/:gameId/events/export?format=&userId=&type=&name=&from=&to=` — every matching event as one
 *   NDJSON, CSV or Parquet download, streamed page by page (analysts).
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
		const query = parseQuery(c, listEventsQuerySchema);
		await deps.onEventsRead?.(c, { gameId, userId: query.userId, kind: "page" });
		const events = await deps.store.listEvents({ gameId, ...query });
		const last = events.at(-1);
		const body: ListEventsResponse = {
			events,
			next: events.length === query.limit && last ? last.id : null,
		};
		return c.json(body, 200);
	});

	routes.get("/games/:gameId/events/export", deps.readGuard, async (c) => {
		const gameId = parseGameId(c.req.param("gameId"));
		const { format, ...filters } = parseQuery(c, exportEventsQuerySchema);
		await deps.onEventsRead?.(c, { gameId, userId: filters.userId, kind: format });
		const body = await exportEvents({ store: deps.store, query: { gameId, ...filters }, format });
		const { contentType, extension } = EVENT_EXPORT_MEDIA[format];
		return c.body(body, 200, {
			"Content-Type": contentType,
			"Content-Disposition": `attachment; filename="events-${gameId}.${extension}"`,
			// The body is read from the store as it is sent: a cache or proxy must not keep it.
			"Cache-Control": "no-store",
		});
	});

	return routes;
}

/**
 * Validates the query string against a strict schema.
 * 1. a parameter given twice → 400: which one wins differs between clients and proxies;
 * 2. an unknown parameter → 400 naming it: a misspelt filter must not silently widen the result;
 * 3. any other invalid value → 400 with the schema's issues.
 */
export function parseQuery<T extends z.ZodType>(c: Context<AppEnv>, schema: T): z.output<T> {
	const repeated = Object.entries(c.req.queries())
		.filter(([, values]) => values.length > 1)
		.map(([name]) => ({ path: name, message: "given more than once" }));
	if (repeated.length > 0) {
		throw new ValidationError(
			`Query parameter given more than once: ${repeated.map((r) => r.path).join(", ")}.`,
			repeated,
		);
	}
	const result = schema.safeParse(c.req.query());
	if (result.success) return result.data;
	const unknown = result.error.issues.flatMap((issue) => (issue.code === "unrecognized_keys" ? issue.keys : []));
	const issues = [
		...unknown.map((name) => ({ path: name, message: "unknown parameter" })),
		...describeIssues(result.error.issues.filter((issue) => issue.code !== "unrecognized_keys")),
	];
	const detail = unknown.length > 0 ? `Unknown query parameter: ${unknown.join(", ")}.` : "The query is invalid.";
	throw new ValidationError(detail, issues);
}

/**
 * 1. read the body within the limits (gzip inflated with its own limit);
 * 2. an invalid envelope → 400 validation_failed (nothing stored);
 * 3. each event validated on its own; invalid ones are reported by index, the others kept;
 * 4. event times corrected for the sender's clock skew (from `sentAt`), unless the game trusts its senders' clocks;
 *    an event whose time is then outside the window (event-time-window.ts) is refused as `implausible_time`;
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
	const trusted = await deps.clientClock.trusts(gameId);
	const { events, rejected } = validateEvents(envelope.data.events, (event) => {
		// The validated events are fresh objects of this request: correct their times in place, then judge the
		// corrected time (an implausible one is refused, never moved into the window).
		if (!trusted) event.time = correctClockSkew(event.time, sentAt, receivedAt);
		const reason = implausibleTimeReason(event.time, receivedAt);
		return reason === undefined ? undefined : { code: IMPLAUSIBLE_TIME, message: reason };
	});
	// What a retry repeats exactly (sentAt aside): the events as sent, before any correction.
	const fingerprint = createHash("sha256").update(JSON.stringify(envelope.data.events)).digest("hex");

	// Events of players erased from this game (a spill drained after the erasure) are dropped, never stored.
	const admission = await deps.erasures?.admit(gameId, events);
	const kept = admission?.kept ?? events;
	let outcome: IngestOutcome;
	try {
		outcome = await timeStoreWrite(deps.metrics, "ingest_batch", () =>
			deps.store.ingestBatch(gameId, { batchId, sentAt, sdk, events: kept, rejected, fingerprint }, receivedAt),
		);
	} finally {
		admission?.done();
	}
	const { replayed } = outcome;
	if (!outcome.conflict) deps.sdkVersions?.record(gameId, sdk);
	if (outcome.conflict) {
		deps.metrics.batches.inc({ outcome: "conflict" });
		throw new ConflictError(
			`batchId "${batchId}" was already used for other events: a retry resends the same events, a new batch takes a new batchId.`,
		);
	}
	const result: IngestResult =
		!replayed && admission && admission.dropped > 0 ? { ...outcome.result, erased: admission.dropped } : outcome.result;
	if (replayed) {
		deps.metrics.batches.inc({ outcome: "replayed" });
		c.header(REPLAYED_HEADER, "true");
	} else {
		deps.metrics.batches.inc({ outcome: "stored" });
		deps.metrics.events.inc({ outcome: "accepted" }, result.accepted);
		deps.metrics.events.inc({ outcome: "duplicate" }, result.duplicates);
		deps.metrics.events.inc({ outcome: "rejected" }, result.rejected.length);
		const byCode = new Map<string, number>();
		for (const { code } of result.rejected) byCode.set(code, (byCode.get(code) ?? 0) + 1);
		for (const [code, count] of byCode) deps.metrics.rejectedEvents.inc({ code }, count);
		// The live stream shows what the events table keeps: a consent event's choice is only in its sealed record.
		deps.onStored?.(gameId, { batchId, receivedAt, events: withoutConsentDetails(kept) });
	}
	return c.json(result, 200);
}
