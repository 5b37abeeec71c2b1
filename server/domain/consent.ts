// Consent as plain data: the sources and modes of a choice, and the consent ledger's persistence contract (policy
// versions, sealed records, tallies), implemented by every metadata engine (server/store). The sealing, schemas and
// routes live in server/privacy.
import type { IngestEvent, PropValue } from "./ingest.js";

/** How a consent event came about: the SDK's prompt, the game calling the consent API, or a withdrawal. */
export const CONSENT_SOURCES = ["prompt", "api", "withdrawal"] as const;
export type ConsentSource = (typeof CONSENT_SOURCES)[number];

/** How a region without its own rule treats a player who has not answered yet. */
export const CONSENT_MODES = ["opt-in", "opt-out"] as const;
export type ConsentMode = (typeof CONSENT_MODES)[number];

/** What a game without the setting has: asking first is the choice no jurisdiction objects to. */
export const DEFAULT_CONSENT_MODE: ConsentMode = "opt-in";

/** A consent policy version of a game, as stored. Policies are never edited: a change is a new version. */
export interface ConsentPolicyRecord {
	gameId: string;
	version: string;
	/** What changed or what the policy says, for people reading the dashboard. At least one of summary and url. */
	summary: string | null;
	/** Where the full policy text is published. */
	url: string | null;
	/** Unix ms from which this version is the current one (until a later one takes effect). */
	effectiveAt: number;
	createdAt: number;
	/** `admin:<user id>` of whoever published it. */
	createdBy: string;
}

/**
 * One consent record: the proof that a player made a choice. What proves it happened (player, time, policy version)
 * is kept in clear so it can be found and counted (the player as their pseudonym in the database, as their UserId
 * here: the store maps it, see pseudonyms.ts); the choice itself (categories, region, UI version, source) is
 * `details`, sealed with the player's key (server/privacy/consent-records.ts).
 */
export interface ConsentRecordRow {
	gameId: string;
	/** The consent event's id (unique per game): a resent event never makes a second record. */
	eventId: string;
	userId: number;
	/** When the player chose (the event's time, clock-skew corrected). */
	time: number;
	receivedAt: number;
	policyVersion: string;
	details: Uint8Array;
}

/** The anonymous part of a choice, counted per game and policy version for the dashboard. */
export interface ConsentTally {
	source: ConsentSource;
	analytics: boolean;
	experiments: boolean;
	personalization: boolean;
}

/** What the ingest transaction stores for one consent event, made by a {@link ConsentSealer}. */
export interface SealedConsent {
	/** The sealed details of the record. */
	details: Uint8Array;
	policyVersion: string;
	/** What the events table keeps as the event's props (no personal fields). */
	storedProps: Record<string, PropValue>;
	tally: ConsentTally;
}

/** Seals validated consent events for their records (server/privacy/consent-records.ts). */
export interface ConsentSealer {
	/**
	 * Called once per batch with its consent events, before the ingest transaction: makes sure every player among
	 * them has a key, in one durable write (a key must be on disk before anything sealed with it is).
	 */
	prepare(gameId: string, events: readonly IngestEvent[], receivedAt: number): void;
	/** Runs inside the ingest transaction, once per consent event (duplicates too: the engine drops what it skips). */
	seal(gameId: string, event: IngestEvent, receivedAt: number): SealedConsent;
	/**
	 * What a stored record counted for in the tallies (its source and choice), read with the player's key; undefined
	 * when the key is gone. An erasure uses it to take the player's records out of the tallies.
	 */
	tallyOf?(row: Pick<ConsentRecordRow, "gameId" | "userId" | "eventId" | "details">): ConsentTally | undefined;
}

/** Counts of a game's consent records, per policy version and choice. */
export interface ConsentTallyRow extends ConsentTally {
	policyVersion: string;
	/** Consent events recorded with this choice (a history: an erased player's records stay counted, anonymously). */
	records: number;
}

export interface ConsentStore {
	/**
	 * Publishes a policy version, in one transaction:
	 * 1. the version exists in the game → "version_taken" (nothing written);
	 * 2. a version takes effect after `effectiveAt` → "out_of_order": history only moves forward;
	 * 3. else stored → "created".
	 */
	insertPolicy(record: ConsentPolicyRecord): Promise<"created" | "version_taken" | "out_of_order">;
	/** A game's policies, oldest effective first (ties: oldest published first). */
	listPolicies(gameId: string): Promise<ConsentPolicyRecord[]>;
	/** One player's consent records, oldest first (by time, then event id). */
	listRecords(gameId: string, userId: number): Promise<ConsentRecordRow[]>;
	/**
	 * The latest record (by time, then event id: the last of {@link listRecords}) of each of these players that has
	 * one, in no particular order. A player without a record, or erased (the vault no longer knows them), has none.
	 * What the predictive models read to leave out players who refused a category (server/predict/consent.ts).
	 */
	latestRecords(gameId: string, userIds: readonly number[]): Promise<ConsentRecordRow[]>;
	/** Tallies per policy version and choice, and distinct players with a record per policy version. */
	summary(
		gameId: string,
	): Promise<{ tallies: ConsentTallyRow[]; players: { policyVersion: string; players: number }[] }>;
}
