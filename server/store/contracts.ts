// The two store contracts of the backend. The app sees one `Store` (types.ts); an engine implements one or both halves:
// - MetadataStore: games, keys, users and grants, sessions, signing keys, experiments, flags, the metric library,
//   settings and digest state, consent policies and records, the audit log, erasure jobs, leases;
// - EventStore: ingest with dedup (batch and event ids), raw events, rollups and metric queries (the warehouse),
//   experiment units and sums, a player's events (export) and their erasure.
// SQLite implements both in one database (the embedded default); PostgreSQL implements MetadataStore and ClickHouse
// EventStore (the scale path), and composeStore (composed-store.ts) joins two halves into the app's Store.
// One contract test suite per half (contract/) runs against every engine.
import type { ConsentRecordRow, ConsentSealer, ConsentStore, ConsentTally } from "../domain/consent.js";
import type { PlayerData, PrivacyStore } from "../domain/privacy.js";
import type { StoredEvent, Store } from "./types.js";

/** The Store methods that belong to the metadata half. */
export type MetadataMethod =
	| "createGame"
	| "getGame"
	| "listGames"
	| "insertApiKey"
	| "getApiKey"
	| "listApiKeys"
	| "revokeApiKey"
	| "insertAdminUser"
	| "getAdminUser"
	| "getAdminUserByEmail"
	| "listAdminUsers"
	| "updateAdminUser"
	| "insertAdminSession"
	| "getAdminSession"
	| "touchAdminSession"
	| "deleteAdminSession"
	| "deleteStaleAdminSessions"
	| "listSigningKeys"
	| "addSigningKey"
	| "insertExperiment"
	| "getExperiment"
	| "listExperiments"
	| "updateExperiment"
	| "deleteExperiment"
	| "setAdaptiveWeights"
	| "insertLibraryMetric"
	| "getLibraryMetric"
	| "listLibraryMetrics"
	| "listLibraryMetricVersions"
	| "archiveLibraryMetric"
	| "insertFlag"
	| "getFlag"
	| "listFlags"
	| "updateFlag"
	| "deleteFlag"
	| "getGameSettings"
	| "updateGameSettings"
	| "listGameSettings"
	| "getDigestState"
	| "claimDigestDay"
	| "finishDigestDay"
	| "security"
	| "access"
	| "allocation"
	| "predictions";

/** The Store members that belong to the event half. */
export type EventMethod = "ingestBatch" | "listEvents" | "experimentMetricSums" | "experimentUnits" | "warehouse";

/**
 * Named leases across instances: a background job (rollups, adaptive updates, retention purge, batch pruning) runs on
 * the one instance holding its lease, so N stateless instances do the work once.
 */
export interface LeaseStore {
	/**
	 * Takes the lease `name` for `holder` until `until` (unix ms) if it is free, expired at `now`, or already held by
	 * `holder` (a renewal). True when `holder` holds it afterwards.
	 */
	acquire(name: string, holder: string, now: number, until: number): Promise<boolean>;
	/** Gives the lease up if `holder` holds it (so another instance can take it at once). */
	release(name: string, holder: string): Promise<void>;
	/** Who holds the lease at `now`, or null. */
	holder(name: string, now: number): Promise<string | null>;
	/**
	 * Deletes up to `limit` leases that expired before `expiredBefore` (unix ms: `until < expiredBefore`); returns how
	 * many. A lease that expired is free already (acquire takes it as if absent), so deleting it changes no answer; the
	 * batch-pruning job calls this with a margin past expiry (ingest/batch-pruning.ts), else a lease whose release was
	 * lost (a crash, an unreachable store) would stay.
	 */
	pruneExpired(expiredBefore: number, limit: number): Promise<number>;
}

/** A batch's stored answer: the IngestResult as JSON, the batch's fingerprint ('' for none), when it was received. */
export interface StoredBatchAnswer {
	response: string;
	fingerprint: string;
	receivedAt: number;
}

/**
 * What {@link BatchLedger.claim} found: the claim is ours, another instance holds it, or the batch is answered. A claim
 * given the batch's {@link PlayerIds} also tells, of its players, which hold none of the batch's ids for sure (`clear`:
 * their head is below every one of them) and which have no head yet (`headless`); the rest may hold some.
 */
export type BatchClaim =
	| { claimed: true; answer?: undefined; clear?: number[]; headless?: number[] }
	| { claimed: false; answer?: StoredBatchAnswer };

/**
 * A player's event ids in one batch: the smallest and the largest, in byte order (UTF-8, as ClickHouse and PostgreSQL's
 * "C" collation compare text).
 */
export interface PlayerIds {
	player: number;
	lo: string;
	hi: string;
}

/**
 * The idempotency ledger of an event engine that keeps no answers itself (ClickHouse): one row per (game, batchId)
 * that is first the claim of the instance storing the batch, then the batch's answer. Shared by every instance; each
 * call is one statement, so a new batch costs two (claim, answer) beside its events.
 */
export interface BatchLedger {
	/**
	 * Claims the batch for `holder` until `until` (unix ms) unless it is answered (→ the answer) or another holder's
	 * claim is still live at `now`. Claiming again with the same holder renews the claim. With `ids` (sorted by player),
	 * a claim taken also reads the players' heads (→ `clear`, `headless`) and raises those that exist to `hi`, in the
	 * same statement: before any of the batch's events can be stored.
	 */
	claim(
		gameId: string,
		batchId: string,
		holder: string,
		now: number,
		until: number,
		ids?: readonly PlayerIds[],
	): Promise<BatchClaim>;
	/**
	 * Raises the players' heads to `hi` (a head never goes down; a missing one is created): a player's head is at least
	 * every event id stored for them, so a batch whose ids are all above it holds nothing stored (see
	 * {@link BatchClaim}). A claim taken with `ids` raises the heads that exist; a head is created only from what the
	 * event store holds (the caller's lookup of the player's largest stored id, with the batch's own).
	 */
	raiseHeads(gameId: string, heads: readonly { player: number; hi: string }[]): Promise<void>;
	/**
	 * Stores the batch's answer and ends the claim. The first answer stays: a later one for the batch is dropped.
	 * `players`: the pseudonyms whose events the batch holds; the batch then waits in {@link toFold} for the rollup job.
	 */
	answer(gameId: string, batchId: string, answer: StoredBatchAnswer, players?: readonly number[]): Promise<void>;
	/** Gives up `holder`'s claim on an unanswered batch (a failed attempt), so a retry can claim it at once. */
	release(gameId: string, batchId: string, holder: string): Promise<void>;
	/** Which of these batches are answered: their keys, `gameId NUL batchId`. */
	answered(batches: readonly { gameId: string; batchId: string }[]): Promise<Set<string>>;
	/**
	 * Answered batches whose players were given and that are not folded yet, oldest first (at most `limit`): what the
	 * rollup job folds next, without looking for new events in the event store.
	 */
	toFold(limit: number): Promise<BatchToFold[]>;
	/** Takes batches out of {@link toFold} (their players are forgotten: the ledger keeps pseudonyms only till then). */
	markFolded(batches: readonly { gameId: string; batchId: string }[]): Promise<void>;
	/**
	 * Deletes up to `limit` rows: answers received before `receivedBefore` and already folded, oldest first, and then
	 * claims that expired before it unanswered (their attempt died). Returns how many answers it deleted.
	 */
	prune(receivedBefore: number, limit: number): Promise<number>;
}

/** An answered batch waiting for the rollup job: the pseudonyms of the players whose events it holds. */
export interface BatchToFold {
	gameId: string;
	batchId: string;
	receivedAt: number;
	players: number[];
}

/** A consent record to store, with what it counts for in the tallies (the anonymous part of the choice). */
export interface ConsentRecordInsert extends ConsentRecordRow {
	/** The player's pseudonym is in `userId` (as every player row the stores hold). */
	tally: ConsentTally;
}

/** The consent ledger of a metadata store: the app's ConsentStore plus the write ingest makes. */
export interface MetadataConsentStore extends ConsentStore {
	/**
	 * Stores consent records and counts each new one in its tally, idempotently: a record whose (gameId, eventId) is
	 * stored already is skipped and not counted again. Returns how many were new.
	 */
	appendRecords(records: readonly ConsentRecordInsert[]): Promise<number>;
}

/** What one game's erasure removed from the metadata half. */
export interface EraseRecordsOutcome {
	/** Rows deleted, per table. */
	deleted: Record<string, number>;
	/** Experiments whose forced (QA) variations named the player, now without them. */
	experimentsUpdated: string[];
}

/** The privacy module's metadata: secrets, audit log, tombstones, erasure jobs, and a player's rows of this half. */
export interface PrivacyMetadataStore extends Omit<PrivacyStore, "playerData" | "erasePlayer"> {
	/** One player's rows of this half (consent records …, by table name) and forced variations. */
	playerRecords(gameId: string, userId: number): Promise<Omit<PlayerData, "events">>;
	/**
	 * Deletes the player's rows of this half (consent records, taking each out of its tally with `tallyOf`) and drops
	 * them from forced variations, in one transaction. Idempotent: a second call deletes nothing.
	 */
	erasePlayerRecords(
		gameId: string,
		userId: number,
		at: number,
		tallyOf?: ConsentSealer["tallyOf"],
	): Promise<EraseRecordsOutcome>;
}

export interface MetadataStore extends Pick<Store, MetadataMethod> {
	readonly consent: MetadataConsentStore;
	readonly privacy: PrivacyMetadataStore;
	readonly leases: LeaseStore;
	/** Resolves if the engine can serve queries; rejects otherwise. */
	ping(): Promise<void>;
	/** Releases the engine's resources; further calls reject. Safe to call twice. */
	close(): Promise<void>;
}

/** How an event engine's erasure of one player ended. */
export type EraseEventsOutcome =
	{ done: true; deleted: Record<string, number> } | { done: false; reason: "unfolded_events" | "rebuilding" };

export interface EventStore extends Pick<Store, EventMethod> {
	/** A player's raw events in one game (UserIds, as listEvents shows them), in id order. */
	playerEvents(gameId: string, userId: number): Promise<StoredEvent[]>;
	/**
	 * Removes the player's raw events and their contribution to every rollup; refuses while the game's rollups are
	 * behind (the caller lets the warehouse catch up and retries). Idempotent.
	 */
	erasePlayerEvents(gameId: string, userId: number, at: number): Promise<EraseEventsOutcome>;
	/** Deletes up to `limit` idempotency rows (stored batch answers) received before `receivedBefore`. */
	pruneBatches(receivedBefore: number, limit: number): Promise<number>;
	ping(): Promise<void>;
	close(): Promise<void>;
}

/** A game's latest predictions (server/predict/service.ts): the training run's document, without its players. */
export interface PredictionRecord {
	gameId: string;
	trainedAt: number;
	/** JSON of the prediction document without the ranked players (model cards, recommendations, anomalies). */
	document: string;
}

/** One ranked player of a prediction list; stored under the player's pseudonym like every player row. */
export interface PredictionPlayerRow {
	list: "churn" | "purchase" | "ltv";
	/** 1 = the highest score. */
	rank: number;
	/** The UserId (the store keeps the pseudonym). */
	userId: number;
	/** The probability (churn, purchase) or expected Robux (ltv). */
	score: number;
	/** JSON of the rest (drivers, the 90-day LTV). */
	details: string;
}

/** Where the prediction job keeps each game's latest run. */
export interface PredictionStore {
	/** Replaces the game's document and every ranked player in one transaction. */
	put(record: PredictionRecord, players: readonly PredictionPlayerRow[]): Promise<void>;
	get(gameId: string): Promise<PredictionRecord | undefined>;
	/** The ranked players of one list, best first; erased players are left out. */
	players(gameId: string, list: PredictionPlayerRow["list"]): Promise<PredictionPlayerRow[]>;
}
