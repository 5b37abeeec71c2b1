import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { parseGameId } from "../auth/provisioning.js";
import type { AdminRole } from "../auth/roles.js";
import { ConflictError, NotFoundError } from "../errors.js";
import type { AppEnv } from "../http/app-env.js";
import type { Store } from "../store/types.js";
import type { DigestAlertSource, DigestAnomalySource, DigestKpiSource } from "./payload.js";
import { sendTestDigest } from "./scheduler.js";

export const testDigestResultSchema = z
	.object({
		day: z.string().describe("The local day (YYYY-MM-DD, in the game's time zone) the digest is of: yesterday."),
		outcome: z
			.enum(["delivered", "rejected", "gave_up", "aborted"])
			.describe(
				"delivered: the webhook answered 2xx; rejected: it refused (4xx other than 408/429, or a redirect); " +
					"gave_up: no 2xx in the one attempt (5xx, 408, 429, timeout, network error); aborted: the request was cancelled.",
			),
		attempts: z.number().int().min(0).max(1).describe("Requests made: a test makes one (0 if cancelled first)."),
		status: z
			.number()
			.int()
			.min(100)
			.max(599)
			.nullable()
			.describe("HTTP status of the webhook's answer; null when none came (timeout after 10 s, network error)."),
		error: z
			.string()
			.nullable()
			.describe("Why it was not delivered (status and the start of the webhook's answer); null when delivered."),
	})
	.describe("What sending a test digest did.");

export interface DigestRoutesDeps {
	store: Store;
	clock: () => number;
	/** Admin-token middleware for a minimum role. */
	requireRole: (role: AdminRole) => MiddlewareHandler<AppEnv>;
	/** The KPIs the digest shows (the same source the scheduler uses). */
	kpis: DigestKpiSource;
	/** Guardrail regressions the digest lists (the same source the scheduler uses). @default none */
	alerts?: DigestAlertSource;
	/** KPI anomalies the digest lists (the same source the scheduler uses). @default none */
	anomalies?: DigestAnomalySource;
	/** @default globalThis.fetch */
	fetch?: typeof fetch;
}

/**
 * The daily digest, mounted at /v1/admin. Owners only: a test posts the game's numbers to its webhook.
 *
 * - `POST /games/:gameId/digest/test` — sends yesterday's digest now (one attempt) and answers with the outcome;
 *   the scheduled digest of the day is not affected
 */
export function digestRoutes(deps: DigestRoutesDeps): Hono<AppEnv> {
	const { store } = deps;
	const routes = new Hono<AppEnv>();

	routes.post("/games/:gameId/digest/test", deps.requireRole("owner"), async (c) => {
		const gameId = parseGameId(c.req.param("gameId"));
		if (!(await store.getGame(gameId))) throw new NotFoundError(`Game "${gameId}" does not exist.`);
		// The client hanging up cancels the webhook request.
		const result = await sendTestDigest(deps, gameId, c.req.raw.signal);
		if (!result) throw new ConflictError("The game has no digest webhook: set digestWebhookUrl in its settings first.");
		return c.json(result, 200);
	});

	return routes;
}
