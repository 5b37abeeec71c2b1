// The consent API: a game's policy versions (owners publish, viewers read), one player's consent records (analysts;
// every read is audited), and a game's consent summary for the dashboard (viewers; anonymous counts only).
import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { existingGameId } from "../auth/provisioning.js";
import type { AdminRole } from "../auth/roles.js";
import { ConflictError, ServiceUnavailableError, ValidationError } from "../errors.js";
import type { AppEnv } from "../http/app-env.js";
import { readJsonBody } from "../http/read-json-body.js";
import { timeQueryParamSchema } from "../ingest/routes.js";
import { describeIssues } from "../ingest/schema.js";
import type { Store } from "../store/types.js";
import { recordAudit } from "./audit.js";
import { CONSENT_SOURCES, policyVersionSchema } from "./consent.js";
import { currentPolicy, loadedPlayerConsent, type ConsentKeys } from "./consent-records.js";
import type { ConsentPolicyRecord } from "./consent-store.js";

/** The latest instant a JavaScript Date holds (unix ms). */
const MAX_DATE_MS = 8_640_000_000_000_000;

/** A policy is a version, a summary and a URL; 16 KiB is far more than any of them needs. */
const BODY_LIMITS = { maxBodyBytes: 16 * 1024, maxInflatedBytes: 16 * 1024 };

/** Audit actions of this module (audit.ts records them). */
export const CONSENT_AUDIT_ACTIONS = {
	/** An admin read a player's consent records. */
	read: "consent.records_read",
	/** An owner published a consent policy version. */
	policyPublished: "consent.policy_published",
} as const;

/** A Roblox UserId in a path: digits, > 0 (0 is the server's own events, which have no consent). */
const userIdParamSchema = z
	.string()
	.regex(/^[1-9]\d{0,15}$/, "a Roblox UserId (digits, not 0)")
	.transform(Number)
	.pipe(z.number().int().max(Number.MAX_SAFE_INTEGER));

export const createConsentPolicySchema = z
	.strictObject({
		version: policyVersionSchema.describe('The version players\' consent refers to ("3", "2025-01"); unique per game.'),
		summary: z.string().trim().min(1).max(4000).optional().describe("What the policy says or what changed."),
		url: z
			.url({ protocol: /^https?$/, error: "must be an http(s) URL" })
			.max(2048)
			.optional()
			.describe("Where the full policy text is published."),
		effectiveAt: z
			.union([z.number().int().nonnegative().max(MAX_DATE_MS), timeQueryParamSchema])
			.optional()
			.describe(
				"When it takes effect (unix ms or ISO 8601); default now. A later time schedules it; never before the latest version's.",
			),
	})
	.refine((body) => body.summary !== undefined || body.url !== undefined, {
		message: "give a summary, a url or both",
		path: ["summary"],
	})
	.describe("A new consent policy version; it becomes current at effectiveAt (now by default).");

export const consentPolicySchema = z
	.object({
		version: z.string().describe("The version's name, as players' records and /v1/config carry it."),
		summary: z.string().nullable().describe("What changed, shown in the consent prompt; null if none."),
		url: z.string().nullable().describe("Where the full policy is published; null if none."),
		effectiveAt: z.string().describe("ISO 8601."),
		createdAt: z.string().describe("ISO 8601."),
		createdBy: z.string().describe("admin:<user id> of the owner who published it."),
		current: z.boolean().describe("The version in effect now (what /v1/config serves)."),
	})
	.describe("A consent policy version.");

export const consentPoliciesSchema = z
	.object({
		current: z.string().nullable().describe("The version in effect now; null before the first takes effect."),
		policies: z.array(consentPolicySchema).describe("Newest effective first."),
	})
	.describe("A game's consent policy versions.");

const choiceCountsSchema = z.object({
	records: z.number().int().describe("Consent records counted."),
	analytics: z.number().int().describe("Records granting analytics."),
	experiments: z.number().int().describe("Records granting experiments."),
	personalization: z.number().int().describe("Records granting personalization."),
	bySource: z
		.record(z.enum(CONSENT_SOURCES), z.number().int())
		.describe("Records by source: prompt (the player answered) or api (the game set it)."),
});

export const consentSummarySchema = z
	.object({
		gameId: z.string().describe("The game."),
		currentPolicyVersion: z.string().nullable().describe("The version in effect now; null before the first."),
		totals: choiceCountsSchema.describe("Every consent record of the game."),
		byPolicyVersion: z
			.array(
				choiceCountsSchema.extend({
					policyVersion: z.string().describe("The policy version."),
					players: z.number().int().describe("Distinct players with a record under this version (erased ones gone)."),
					combinations: z
						.array(
							z.object({
								analytics: z.boolean().describe("Analytics granted."),
								experiments: z.boolean().describe("Experiments granted."),
								personalization: z.boolean().describe("Personalization granted."),
								records: z.number().int().describe("Records with exactly this choice."),
							}),
						)
						.describe("Records per full choice, most frequent first."),
				}),
			)
			.describe("By policy version, as sorted text."),
	})
	.describe(
		"Anonymous counts of a game's consent records. Records are a history: an erased player's choices stay counted " +
			"(without the player); `players` counts only players still held.",
	);
export type ConsentSummary = z.output<typeof consentSummarySchema>;

export interface ConsentRoutesDeps {
	store: Store;
	clock: () => number;
	/** Admin-token middleware for a minimum role. */
	requireRole: (role: AdminRole) => MiddlewareHandler<AppEnv>;
	/** Opens sealed consent details. @default none: a player's records answer 503 (the server always passes one) */
	playerKeys?: ConsentKeys;
}

/**
 * Routes relative to /v1.
 *
 * - `GET /admin/games/:gameId/consent/policies` — the game's policy versions and the current one (viewer)
 * - `POST /admin/games/:gameId/consent/policies` — publishes a version (owner); 409 if the version exists or takes
 *   effect before the latest one
 * - `GET /games/:gameId/players/:userId/consent` — the player's records and current state (analyst; audited)
 * - `GET /games/:gameId/consent/summary` — counts by policy version and choice (viewer)
 */
export function consentRoutes(deps: ConsentRoutesDeps): Hono<AppEnv> {
	const { store, clock } = deps;
	const routes = new Hono<AppEnv>();

	const game = (raw: string): Promise<string> => existingGameId(store, raw);

	routes.get("/admin/games/:gameId/consent/policies", deps.requireRole("viewer"), async (c) => {
		const gameId = await game(c.req.param("gameId"));
		return c.json(policiesResponse(await store.consent.listPolicies(gameId), clock()), 200);
	});

	routes.post("/admin/games/:gameId/consent/policies", deps.requireRole("owner"), async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const body = parse(createConsentPolicySchema, await readJsonBody(c.req.raw, BODY_LIMITS));
		const now = clock();
		const actor = `admin:${c.get("admin").userId}`;
		const record: ConsentPolicyRecord = {
			gameId,
			version: body.version,
			summary: body.summary ?? null,
			url: body.url ?? null,
			effectiveAt: body.effectiveAt ?? now,
			createdAt: now,
			createdBy: actor,
		};
		const outcome = await store.consent.insertPolicy(record);
		if (outcome === "version_taken") {
			throw new ConflictError(`Game "${gameId}" already has policy version "${body.version}"; versions never change.`);
		}
		if (outcome === "out_of_order") {
			throw new ConflictError(
				"effectiveAt is before the latest policy version's: a new version cannot take effect earlier.",
			);
		}
		await recordAudit(
			store,
			{
				action: CONSENT_AUDIT_ACTIONS.policyPublished,
				actor,
				gameId,
				details: { version: record.version, effectiveAt: record.effectiveAt },
			},
			now,
		);
		const policies = await store.consent.listPolicies(gameId);
		const created = policiesResponse(policies, now).policies.find((p) => p.version === record.version);
		return c.json(created, 201);
	});

	routes.get("/games/:gameId/players/:userId/consent", deps.requireRole("analyst"), async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const userId = parseUserId(c.req.param("userId"));
		if (!deps.playerKeys) throw new ServiceUnavailableError("Encryption at rest is not configured on this server.");
		const now = clock();
		const [rows, policies] = await Promise.all([
			store.consent.listRecords(gameId, userId),
			store.consent.listPolicies(gameId),
		]);
		// Audited before the answer leaves: a read that cannot be recorded is not served.
		await recordAudit(
			store,
			{
				action: CONSENT_AUDIT_ACTIONS.read,
				actor: `admin:${c.get("admin").userId}`,
				gameId,
				userId,
				details: { records: rows.length },
			},
			now,
		);
		return c.json(await loadedPlayerConsent(deps.playerKeys, { gameId, userId, rows, policies }, now), 200);
	});

	routes.get("/games/:gameId/consent/summary", deps.requireRole("viewer"), async (c) => {
		const gameId = await game(c.req.param("gameId"));
		const [{ tallies, players }, policies] = await Promise.all([
			store.consent.summary(gameId),
			store.consent.listPolicies(gameId),
		]);
		return c.json(consentSummary(gameId, tallies, players, currentPolicy(policies, clock())?.version ?? null), 200);
	});

	return routes;
}

function policiesResponse(
	policies: readonly ConsentPolicyRecord[],
	now: number,
): z.input<typeof consentPoliciesSchema> {
	const current = currentPolicy(policies, now)?.version ?? null;
	return {
		current,
		policies: [...policies].reverse().map((p) => ({
			version: p.version,
			summary: p.summary,
			url: p.url,
			effectiveAt: new Date(p.effectiveAt).toISOString(),
			createdAt: new Date(p.createdAt).toISOString(),
			createdBy: p.createdBy,
			current: p.version === current,
		})),
	};
}

type Counts = z.output<typeof choiceCountsSchema>;
const emptyCounts = (): Counts => ({
	records: 0,
	analytics: 0,
	experiments: 0,
	personalization: 0,
	bySource: { prompt: 0, api: 0, withdrawal: 0 },
});

/** The summary from the store's tallies (one row per version, source and choice). */
export function consentSummary(
	gameId: string,
	tallies: Awaited<ReturnType<Store["consent"]["summary"]>>["tallies"],
	players: readonly { policyVersion: string; players: number }[],
	currentPolicyVersion: string | null,
): ConsentSummary {
	const totals = emptyCounts();
	const versions = new Map<string, ConsentSummary["byPolicyVersion"][number]>();
	const add = (counts: Counts, row: (typeof tallies)[number]) => {
		counts.records += row.records;
		if (row.analytics) counts.analytics += row.records;
		if (row.experiments) counts.experiments += row.records;
		if (row.personalization) counts.personalization += row.records;
		counts.bySource[row.source] += row.records;
	};
	const version = (policyVersion: string) => {
		let entry = versions.get(policyVersion);
		if (!entry) {
			entry = { policyVersion, players: 0, combinations: [], ...emptyCounts() };
			versions.set(policyVersion, entry);
		}
		return entry;
	};
	for (const row of tallies) {
		add(totals, row);
		const entry = version(row.policyVersion);
		add(entry, row);
		const { analytics, experiments, personalization } = row;
		const same = entry.combinations.find(
			(k) => k.analytics === analytics && k.experiments === experiments && k.personalization === personalization,
		);
		if (same) same.records += row.records;
		else entry.combinations.push({ analytics, experiments, personalization, records: row.records });
	}
	for (const row of players) version(row.policyVersion).players = row.players;
	const byPolicyVersion = [...versions.values()].sort((a, b) => (a.policyVersion < b.policyVersion ? -1 : 1));
	for (const entry of byPolicyVersion) entry.combinations.sort((a, b) => b.records - a.records);
	return { gameId, currentPolicyVersion, totals, byPolicyVersion };
}

function parseUserId(raw: string): number {
	const result = userIdParamSchema.safeParse(raw);
	if (!result.success) throw new ValidationError("The user id is invalid.", describeIssues(result.error.issues));
	return result.data;
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
	const result = schema.safeParse(value);
	if (!result.success) throw new ValidationError("The consent policy is invalid.", describeIssues(result.error.issues));
	return result.data;
}
