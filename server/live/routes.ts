import { Hono, type Context, type MiddlewareHandler } from "hono";
import { streamSSE, type SSEStreamingApi } from "hono/streaming";
import { z } from "zod";
import { parseGameId } from "../auth/provisioning.js";
import { NotFoundError, RateLimitedError } from "../errors.js";
import type { AppEnv } from "../http/app-env.js";
import { parseQuery, storedEventSchema, type EventsRead } from "../ingest/routes.js";
import { EVENT_TYPES } from "../ingest/schema.js";
import type { Store } from "../store/types.js";
import type { LiveEventHub, LiveSubscription } from "./event-hub.js";

/** How long a client waits before reconnecting after the stream ended (the SSE `retry` field), in ms. */
export const LIVE_RETRY_MS = 2000;
/** How long a client is told to wait when every stream slot is taken, in seconds. */
const FULL_RETRY_SECONDS = 10;

export const liveEventsQuerySchema = z.strictObject({
	type: z.enum(EVENT_TYPES).optional().describe("Only events of this type."),
	name: z.string().min(1).max(128).optional().describe("Only events with exactly this name."),
});

/** The data of an `events` message. */
export const liveEventsMessageSchema = z
	.object({
		events: z.array(storedEventSchema).describe("Events of batches stored since the last message, in arrival order."),
		dropped: z
			.number()
			.int()
			.nonnegative()
			.describe(
				"Matching events left out before these because the client read slower than they arrived (the stream keeps " +
					"the newest); count them for rates.",
			),
	})
	.describe("The data of an SSE `events` message of the live event stream.");

export interface LiveRoutesDeps {
	store: Store;
	hub: LiveEventHub;
	/**
	 * Who may watch: the guard of the events API (an admin token or the dashboard's session, analyst or higher). It
	 * runs again with every heartbeat, so a stream ends once its session ends or its user is disabled or demoted.
	 */
	guard: MiddlewareHandler<AppEnv>;
	/** Pause between heartbeat comments (which keep proxies from closing an idle stream), in ms. @default 15000 */
	heartbeatMs?: number;
	/** Told of every stream opened (a read of every player's raw events): the privacy audit log records it. */
	onWatch?: (c: Context<AppEnv>, read: EventsRead) => Promise<void>;
}

/**
 * Routes relative to /v1.
 *
 * - `GET /games/:gameId/events/live?type=&name=` — a server-sent-events stream (text/event-stream) of the game's events
 *   as ingest stores them: first a `ready` message, then an `events` message per stored batch (coalesced when the
 *   client reads slower), a `: heartbeat` comment every {@link LiveRoutesDeps.heartbeatMs}, and an `end` message with
 *   the reason when the server ends the stream (the session ended, the server shuts down).
 */
export function liveRoutes(deps: LiveRoutesDeps): Hono<AppEnv> {
	const heartbeatMs = deps.heartbeatMs ?? 15_000;
	const routes = new Hono<AppEnv>();

	routes.get("/games/:gameId/events/live", deps.guard, async (c) => {
		const gameId = parseGameId(c.req.param("gameId"));
		const filter = parseQuery(c, liveEventsQuerySchema);
		if (!(await deps.store.getGame(gameId))) throw new NotFoundError(`Game "${gameId}" does not exist.`);
		await deps.onWatch?.(c, { gameId, userId: undefined, kind: "live" });
		const subscription = deps.hub.subscribe({ gameId, userId: c.get("admin").userId, filter });
		if (!subscription) {
			throw new RateLimitedError(
				"Too many live streams are open: close one (another tab) or try again.",
				FULL_RETRY_SECONDS,
			);
		}
		// Proxies such as nginx buffer responses unless told not to; a live stream must pass through at once.
		c.header("X-Accel-Buffering", "no");
		return streamSSE(c, (stream) => pump(c, stream, subscription, deps.guard, heartbeatMs));
	});

	return routes;
}

/**
 * Writes the stream until it ends:
 * 1. `ready` (with the reconnect delay) so the client knows it is subscribed;
 * 2. each time events are queued, one `events` message with all of them;
 * 3. every heartbeat, the guard again: refused → an `end` message and the stream closes; else a comment line;
 * 4. the client going away (abort) or the server closing the hub ends the subscription and the loop.
 */
async function pump(
	c: Context<AppEnv>,
	stream: SSEStreamingApi,
	subscription: LiveSubscription,
	guard: MiddlewareHandler<AppEnv>,
	heartbeatMs: number,
): Promise<void> {
	stream.onAbort(() => subscription.close());
	let ending: string | undefined;
	const heartbeat = setInterval(() => {
		void stillAllowed(c, guard).then(async (allowed) => {
			if (subscription.closed) return;
			if (!allowed) {
				ending = "unauthorized";
				subscription.close();
				return;
			}
			await stream.write(": heartbeat\n\n");
		});
	}, heartbeatMs);
	try {
		await stream.writeSSE({
			event: "ready",
			data: JSON.stringify({ gameId: subscription.gameId, filter: subscription.filter }),
			retry: LIVE_RETRY_MS,
		});
		while (await subscription.next()) {
			const delivery = subscription.take();
			await stream.writeSSE({ event: "events", data: JSON.stringify(delivery) });
		}
		if (!stream.aborted) await stream.writeSSE({ event: "end", data: JSON.stringify({ reason: ending ?? "closed" }) });
	} finally {
		clearInterval(heartbeat);
		subscription.close();
	}
}

/** Runs the route's guard again on the stream's request: false when it refuses now. */
async function stillAllowed(c: Context<AppEnv>, guard: MiddlewareHandler<AppEnv>): Promise<boolean> {
	let passed = false;
	try {
		await guard(c, async () => {
			passed = true;
		});
	} catch {
		return false;
	}
	return passed;
}
