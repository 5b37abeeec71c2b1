// The privacy API: a player's access export (GDPR Art. 15/20), their erasure (Art. 17) and its job's status, and
// Roblox's Right-to-Erasure webhook. Every action lands in the audit log (audit.ts).
import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { parseGameId } from "../auth/provisioning.js";
import { decideGameAccess } from "../auth/access.js";
import { assertGameAccess, type AccessRequirement } from "../auth/game-access.js";
import { InvalidJsonError, NotFoundError, ProblemError, ServiceUnavailableError, ValidationError } from "../errors.js";
import type { AppEnv } from "../http/app-env.js";
import { readLimited } from "../http/read-json-body.js";
import { storedEventSchema } from "../ingest/routes.js";
import { describeIssues } from "../ingest/schema.js";
import type { Store } from "../store/types.js";
import { AUDIT_ACTIONS, recordAudit } from "./audit.js";
import { loadedPlayerConsent, playerConsentSchema, type ConsentKeys } from "./consent-records.js";
import type { ErasureJobs } from "./erasure.js";
import type { PrivacyJobRecord } from "./privacy-store.js";
import { verifyRobloxSignature } from "./roblox-signature.js";

/** Roblox's webhook bodies are small JSON documents; anything near this is not one. */
const WEBHOOK_MAX_BYTES = 64 * 1024;

/** A Roblox UserId in a path: digits, > 0, a safe integer (0 is the server's own events, not a player). */
export const userIdParamSchema = z
	.string()
	.regex(/^[1-9]\d{0,15}$/, "a Roblox UserId (digits, not 0)")
	.transform(Number)
	.pipe(z.number().int().max(Number.MAX_SAFE_INTEGER));

/** An erasure job as the API shows it (never with the UserId). */
export const privacyJobSchema = z
	.object({
		id: z.string().describe("The job id (UUID)."),
		kind: z.literal("erasure").describe("What the job does: erase one player."),
		source: z.enum(["admin", "roblox_webhook"]).describe("Who asked: an owner (DELETE route) or Roblox's webhook."),
		status: z
			.enum(["pending", "running", "completed", "failed"])
			.describe("completed: the player is gone from every listed game this backend knows."),
		gameIds: z.array(z.string()).describe("The games the player is erased from."),
		createdAt: z.string().describe("ISO 8601."),
		startedAt: z.string().nullable().describe("ISO 8601; null while pending."),
		finishedAt: z.string().nullable().describe("ISO 8601; null until completed or failed."),
		result: z
			.record(z.string(), z.unknown())
			.nullable()
			.describe(
				"Per game: `erased` with the rows deleted per table, experiments whose forced variations named the player " +
					"and whether a data key was shredded; or `unknown_game` for a GameId this backend does not hold.",
			),
		error: z.string().nullable().describe("Why the job failed; it is retried at the next server start."),
	})
	.describe("An erasure job.");

/** The Right-to-Erasure notification Roblox posts (other EventTypes share the envelope). */
export const robloxWebhookSchema = z.object({
	NotificationId: z.string().min(1).max(128).describe("Roblox's id of the notification: a redelivery repeats it."),
	EventType: z.string().min(1).max(128).describe("RightToErasureRequest is acted on; others are acknowledged."),
	EventTime: z.string().max(64).optional().describe("When Roblox raised it (ISO 8601)."),
	EventPayload: z.unknown().optional().describe("For RightToErasureRequest: { UserId, GameIds }."),
});

const erasurePayloadSchema = z.object({
	UserId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
	GameIds: z
		.array(
			z.union([
				z.number().int().positive().max(Number.MAX_SAFE_INTEGER).transform(String),
				z.string().regex(/^\d{1,19}$/),
			]),
		)
		.max(1000),
});

export const webhookAnswerSchema = z.object({
	status: z
		.enum(["accepted", "replayed", "ignored"])
		.describe("accepted: a job was started; replayed: this NotificationId was seen before; ignored: not an erasure."),
	jobId: z.string().nullable().describe("The erasure job's id; null when ignored."),
	job: privacyJobSchema.nullable(),
});

/** The access export's envelope (the events are the stored events' shape; records are rows as stored). */
export const playerExportSchema = z.object({
	format: z.literal("vantage.player-export").describe("Names this document's format."),
	version: z.literal(1).describe("The format's version."),
	gameId: z.string().describe("The game."),
	userId: z.number().int().describe("The player's Roblox UserId."),
	generatedAt: z.string().describe("ISO 8601 time of the export."),
	events: z.array(storedEventSchema).describe("Every raw event of the player, in id (≈ time) order."),
	consent: playerConsentSchema
		.nullable()
		.describe("The player's consent records, opened with their key; null when this server has no player keyring."),
	experiments: z
		.object({
			forcedVariations: z
				.record(z.string(), z.string())
				.describe("Experiment key → the variation the player is forced into."),
		})
		.describe("Where experiments single the player out."),
	records: z
		.record(z.string(), z.array(z.record(z.string(), z.unknown())))
		.describe(
			"Every other row keyed by this player, by table: rollups (wh_players, wh_user_days, wh_sessions, " +
				"wh_funnel_steps, wh_exposures: assignments and exposures), consent records (details sealed with the " +
				"player's key) …",
		),
});

export interface PrivacyRoutesDeps {
	store: Store;
	clock: () => number;
	jobs: ErasureJobs;
	requireRole: (role: AccessRequirement) => MiddlewareHandler<AppEnv>;
	/** Opens the player's sealed consent records for the export. @default none: the export's `consent` is null */
	playerKeys?: ConsentKeys | undefined;
	/** VANTAGE_ROBLOX_WEBHOOK_SECRET; undefined: the webhook answers 503. */
	robloxWebhookSecret: string | undefined;
}

/**
 * Routes relative to /v1.
 *
 * - `GET /games/:gameId/players/:userId/export` — everything held on the player, as JSON (owner);
 * - `DELETE /games/:gameId/players/:userId` — starts an erasure job, 202 with it (owner);
 * - `GET /admin/privacy/jobs/:jobId` — an erasure job's status (owner of every game it erases from);
 * - `POST /webhooks/roblox` — Roblox's Right-to-Erasure notifications (signed; no admin auth).
 *
 * Owners only: an export is a dossier on one person meant for that person, and an erasure cannot be undone; analysts
 * read events for analysis (and those reads are audited), they do not answer data subject requests.
 */
export function privacyRoutes(deps: PrivacyRoutesDeps): Hono<AppEnv> {
	const { store, clock, jobs } = deps;
	const owner = deps.requireRole("owner");
	const routes = new Hono<AppEnv>();

	const player = async (rawGame: string, rawUser: string): Promise<{ gameId: string; userId: number }> => {
		const gameId = parseGameId(rawGame);
		const parsed = userIdParamSchema.safeParse(rawUser);
		if (!parsed.success) {
			throw new ValidationError(
				"The UserId is invalid.",
				describeIssues(parsed.error.issues).map((i) => ({ ...i, path: "userId" })),
			);
		}
		if (!(await store.getGame(gameId))) throw new NotFoundError(`Game "${gameId}" does not exist.`);
		return { gameId, userId: parsed.data };
	};

	routes.get("/games/:gameId/players/:userId/export", owner, async (c) => {
		const { gameId, userId } = await player(c.req.param("gameId"), c.req.param("userId"));
		const data = await store.privacy.playerData(gameId, userId);
		const now = clock();
		const consent = deps.playerKeys
			? await loadedPlayerConsent(
					deps.playerKeys,
					{
						gameId,
						userId,
						rows: await store.consent.listRecords(gameId, userId),
						policies: await store.consent.listPolicies(gameId),
					},
					now,
				)
			: null;
		await recordAudit(
			store,
			{
				action: AUDIT_ACTIONS.exported,
				actor: `admin:${c.get("admin").userId}`,
				gameId,
				userId,
				details: {
					events: data.events.length,
					records: Object.fromEntries(Object.entries(data.records).map(([table, rows]) => [table, rows.length])),
				},
			},
			now,
		);
		const body: z.input<typeof playerExportSchema> = {
			format: "vantage.player-export",
			version: 1,
			gameId,
			userId,
			generatedAt: new Date(now).toISOString(),
			events: data.events,
			consent,
			experiments: { forcedVariations: data.forcedVariations },
			records: data.records,
		};
		return c.body(JSON.stringify(body, bufferAsBase64), 200, {
			"Content-Type": "application/json",
			"Content-Disposition": `attachment; filename="player-${gameId}-${userId}.json"`,
			"Cache-Control": "no-store",
		});
	});

	routes.delete("/games/:gameId/players/:userId", owner, async (c) => {
		const { gameId, userId } = await player(c.req.param("gameId"), c.req.param("userId"));
		const { job } = await jobs.request({
			source: "admin",
			gameIds: [gameId],
			userId,
			requestedBy: `admin:${c.get("admin").userId}`,
		});
		c.header("Location", `/v1/admin/privacy/jobs/${job.id}`);
		return c.json(jobResponse(job), 202);
	});

	// The job names its games only in the store: a caller who is not owner of each one gets what an unknown job gets.
	routes.get("/admin/privacy/jobs/:jobId", deps.requireRole("user"), async (c) => {
		const jobId = c.req.param("jobId");
		const job = /^[0-9a-f-]{36}$/.test(jobId) ? await store.privacy.getJob(jobId) : undefined;
		const missing = new NotFoundError(`Privacy job "${jobId.slice(0, 64)}" does not exist.`);
		if (!job) throw missing;
		const caller = c.get("admin");
		if (job.gameIds.some((gameId) => decideGameAccess(caller, gameId, "owner") === "hidden")) throw missing;
		for (const gameId of job.gameIds) assertGameAccess(caller, gameId, "owner");
		return c.json(jobResponse(job), 200);
	});

	routes.post("/webhooks/roblox", async (c) => {
		// 1. not configured → 503: Roblox retries, and deliveries succeed once the owner sets the secret.
		const secret = deps.robloxWebhookSecret;
		if (!secret) {
			throw new ServiceUnavailableError(
				"The Roblox webhook is not configured: set VANTAGE_ROBLOX_WEBHOOK_SECRET to the webhook's secret.",
			);
		}
		// 2. the signature over the raw bytes, before anything is parsed.
		const raw = await readLimited(c.req.raw, WEBHOOK_MAX_BYTES);
		const verdict = verifyRobloxSignature(secret, c.req.header("roblox-signature"), raw, clock());
		if (!verdict.ok) {
			// RFC 9110 §11.6.1: a 401 names the scheme that would work (here, Roblox's signature header).
			const challenge = { "WWW-Authenticate": 'Roblox-Signature realm="vantage-webhooks"' };
			throw new ProblemError(401, "unauthorized", "Unauthorized", verdict.detail, {}, challenge);
		}
		// 3. the body: JSON with the notification envelope.
		let body: unknown;
		try {
			body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw));
		} catch {
			throw new InvalidJsonError();
		}
		const envelope = robloxWebhookSchema.safeParse(body);
		if (!envelope.success) {
			throw new ValidationError("The notification is invalid.", describeIssues(envelope.error.issues));
		}
		const { NotificationId: notificationId, EventType: eventType } = envelope.data;
		const actor = "webhook:roblox";
		// 4. an authentic notification of another type (the Creator Hub's test button sends SampleNotification) is
		//    answered 200 and ignored: a 4xx would only make Roblox retry something that can never succeed.
		if (eventType !== "RightToErasureRequest") {
			await recordAudit(
				store,
				{ action: AUDIT_ACTIONS.webhookReceived, actor, details: { notificationId, eventType, outcome: "ignored" } },
				clock(),
			);
			return c.json({ status: "ignored", jobId: null, job: null }, 200);
		}
		const payload = erasurePayloadSchema.safeParse(envelope.data.EventPayload);
		if (!payload.success) {
			throw new ValidationError(
				"The RightToErasureRequest payload is invalid.",
				describeIssues(payload.error.issues).map((i) => ({ ...i, path: `EventPayload.${i.path}` })),
			);
		}
		// 5. a job per notification; a NotificationId seen before answers with its job and starts nothing.
		const { job, created } = await jobs.request({
			source: "roblox_webhook",
			gameIds: payload.data.GameIds,
			userId: payload.data.UserId,
			requestedBy: `webhook:roblox:${notificationId}`,
			notificationId,
		});
		await recordAudit(
			store,
			{
				action: AUDIT_ACTIONS.webhookReceived,
				actor,
				details: { notificationId, eventType, outcome: created ? "accepted" : "replayed", jobId: job.id },
			},
			clock(),
		);
		return c.json(
			{ status: created ? "accepted" : "replayed", jobId: job.id, job: jobResponse(job) },
			created ? 202 : 200,
		);
	});

	return routes;
}

function jobResponse(job: PrivacyJobRecord): z.input<typeof privacyJobSchema> {
	const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
	return {
		id: job.id,
		kind: job.kind,
		source: job.source,
		status: job.status,
		gameIds: job.gameIds,
		createdAt: new Date(job.createdAt).toISOString(),
		startedAt: iso(job.startedAt),
		finishedAt: iso(job.finishedAt),
		result: job.result,
		error: job.error,
	};
}

/** Sealed columns (BLOBs, e.g. consent details) leave as base64 text instead of Node's `{type: "Buffer"}` form. */
function bufferAsBase64(this: unknown, _key: string, value: unknown): unknown {
	if (value && typeof value === "object" && (value as { type?: unknown }).type === "Buffer") {
		return Buffer.from((value as { data: number[] }).data).toString("base64");
	}
	return value;
}
