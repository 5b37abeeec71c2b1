import type { WarehouseService } from "../domain/warehouse.js";
import type { PrivacyStore } from "../domain/privacy.js";
import { DEFAULT_CONSENT_MODE, type ConsentMode, type ConsentStore } from "../domain/consent.js";
import type { AdminSessionRecord, SecurityStore } from "../domain/security.js";
import type { AccessStore } from "../domain/access.js";
import type { AllocationStore } from "../domain/allocation.js";
import type { GameScope } from "../domain/roles.js";
import type {
	ExperimentDefinition,
	ExperimentMetricQuery,
	ExperimentMetricRow,
	ExperimentStatus,
	ExperimentUnits,
	ExperimentUnitsQuery,
	FlagDefinition,
	MetricDefinition,
	MetricRole,
} from "../domain/experiments.js";
import type { EventType, IngestResult, StoredEvent, ValidatedBatch } from "../domain/ingest.js";
import type { LeaseStore, PredictionStore } from "./contracts.js";

export type { StoredEvent };

export interface ListEventsQuery {
	gameId: string;
	batchId?: string | undefined;
	userId?: number | undefined;
	type?: EventType | undefined;
	/** Exact event name. */
	name?: string | undefined;
	/** Only events whose `time` is at or after this (unix ms, inclusive). */
	from?: number | undefined;
	/** Only events whose `time` is before this (unix ms, exclusive). */
	to?: number | undefined;
	/** Maximum number of events returned. */
	limit: number;
	/** Cursor: only events whose id sorts after this one (ids are time-ordered). */
	after?: string | undefined;
}

/** What {@link Store.ingestBatch} did: the answer for the client, and whether it was a stored answer replayed. */
export interface IngestOutcome {
	result: IngestResult;
	/** True when the batchId was seen before: nothing was written and `result` is the first answer. */
	replayed: boolean;
	/** With `replayed`: the batchId was seen with different events (a client bug, not a retry). */
	conflict?: boolean;
}

/** A game (Roblox universe) registered with Vantage. */
export interface Game {
	id: string;
	name: string;
	createdAt: number;
}

/** An API key as stored: the secret itself is never kept, only its SHA-256. */
export interface ApiKeyRecord {
	/** Public id, the part of the key before the dot. */
	id: string;
	gameId: string;
	/** A label for humans ("production", "studio"). */
	name: string;
	/** Hex SHA-256 of the secret part of the key. */
	secretHash: string;
	scopes: GameScope[];
	createdAt: number;
	/** Unix ms of revocation; tokens issued for a revoked key stop working at once. */
	revokedAt: number | null;
}

export interface AdminUser {
	id: string;
	/** Lower-cased; unique. */
	email: string;
	/** A PHC string (argon2id). */
	passwordHash: string;
	/** Instance admin: the setup role (games, users, every game's keys and members); owner on every game. */
	admin: boolean;
	createdAt: number;
	disabledAt: number | null;
}

export type { AdminSessionRecord };

/** A token-signing key pair; `privateJwk` never leaves the backend. */
export interface SigningKeyRecord {
	kid: string;
	alg: string;
	privateJwk: string;
	publicJwk: string;
	createdAt: number;
	/** Set when a newer key took over; the key still verifies tokens it signed until they expire. */
	retiredAt: number | null;
}

/** An experiment of a game; `key` is unique per game and never changes. */
export interface ExperimentRecord {
	gameId: string;
	key: string;
	status: ExperimentStatus;
	definition: ExperimentDefinition;
	/** Incremented by every update: an update based on an older read is refused (optimistic concurrency). */
	revision: number;
	createdAt: number;
	updatedAt: number;
	/** Adaptive experiments: the weights of the last update (null before it); served instead of the planned ones. */
	adaptiveWeights: number[] | null;
	adaptiveUpdatedAt: number | null;
}

/**
 * One version of a metric of a game's library (server/experiments/metric-library.ts). Versions are immutable: a change
 * is a new version; `archivedAt` is the same on every version of the key (archived metrics stay readable).
 */
export interface LibraryMetricRecord {
	gameId: string;
	key: string;
	/** 1 for the metric as created, +1 per change. */
	version: number;
	/** Its `key` is the library key. */
	definition: MetricDefinition;
	role: MetricRole;
	/** When this version was written (unix ms). */
	createdAt: number;
	/** Who wrote it: `admin:<user id>` or `cli:<OS user>`; null if unknown. */
	createdBy: string | null;
	archivedAt: number | null;
}

/** A feature flag of a game; `key` is unique per game and never changes. */
export interface FlagRecord {
	gameId: string;
	key: string;
	definition: FlagDefinition;
	/** As {@link ExperimentRecord.revision}. */
	revision: number;
	createdAt: number;
	updatedAt: number;
}

export type { ExperimentMetricQuery, ExperimentMetricRow };

/** Per-game settings; a game never configured has the defaults ({@link DEFAULT_GAME_SETTINGS}). */
export interface GameSettings {
	gameId: string;
	/** IANA time zone of the game's days (daily metrics, the digest). */
	timeZone: string;
	/** Raw events older than this many days may be deleted; null keeps them forever. */
	rawRetentionDays: number | null;
	/** Where the daily digest is posted (Discord-compatible webhook); holds a secret token. Null: no digest. */
	digestWebhookUrl: string | null;
	/** Local hour (0–23, in `timeZone`) from which yesterday's digest is posted. */
	digestHour: number;
	/** Events keep the times their sender stamped: ingest skips the clock-skew correction (history replays). */
	trustClientClock: boolean;
	/** Players outside the regions with their own rule (EEA, UK, CH: opt-in) are asked first, or tracked until they refuse. */
	consentDefault: ConsentMode;
	/** Unix ms of the last change; null while the game has the defaults. */
	updatedAt: number | null;
}

/** What a game without stored settings has. */
export const DEFAULT_GAME_SETTINGS: Readonly<Omit<GameSettings, "gameId">> = Object.freeze({
	timeZone: "UTC",
	rawRetentionDays: null,
	digestWebhookUrl: null,
	digestHour: 9,
	trustClientClock: false,
	consentDefault: DEFAULT_CONSENT_MODE,
	updatedAt: null,
});

/** Where a game's daily digest stands. */
export interface DigestState {
	gameId: string;
	/** Local day (YYYY-MM-DD) of the last digest delivered or given up; null before the first. */
	lastDay: string | null;
	/** Delivery attempts (HTTP requests) of the last finished delivery. */
	attempts: number;
	/** Why the last finished delivery failed; null when it was delivered. */
	lastError: string | null;
	/** The day a process is delivering now, and until when (unix ms) its claim holds; null when none. */
	claimedDay: string | null;
	claimedUntil: number | null;
	updatedAt: number;
}

/** How a digest delivery ended, for {@link Store.finishDigestDay}. */
export interface DigestDayResult {
	/** Local day (YYYY-MM-DD) the digest was for. */
	day: string;
	/** True when the day is done (delivered, or given up); false releases the claim so the day is tried again. */
	settled: boolean;
	attempts: number;
	/** Null when delivered. */
	error: string | null;
}

/**
 * Persistence contract of the backend. Every method is async so the SQLite engine and the scale path
 * (PostgreSQL + ClickHouse) share one interface and one contract test suite.
 */
export interface Store {
	/** Rollups, metric queries and experiment sums (off the event loop where the engine allows). */
	readonly warehouse: WarehouseService;
	/** Privacy: the audit log, erasure jobs and tombstones, one player's data (server/privacy). */
	readonly privacy: PrivacyStore;
	/** Consent policies, consent records (the proof of each choice, sealed) and their tallies (server/privacy). */
	readonly consent: ConsentStore;
	/** Secrets at rest, login throttling, second factors, session listing, idempotency pruning (server/auth). */
	readonly security: SecurityStore;
	/** Per-game grants of admin users (server/auth/access.ts). */
	readonly access: AccessStore;
	/** Layers (namespaces), the global holdout and adaptive run times (server/experiments/allocation-store.ts). */
	readonly allocation: AllocationStore;
	/** Resolves if the store can serve queries; rejects otherwise (used by /readyz). */
	ping(): Promise<void>;
	/**
	 * Stores a validated batch atomically and idempotently.
	 * 1. a batchId already seen for this game → the response stored then, nothing written;
	 * 2. otherwise each event is inserted; an event id already stored for this game counts as a duplicate;
	 * 3. the response (including the caller's `rejected` list) is stored under the batchId and returned.
	 */
	ingestBatch(gameId: string, batch: ValidatedBatch, receivedAt: number): Promise<IngestOutcome>;
	/** Events of one game in id (≈ time) order, optionally filtered. */
	listEvents(query: ListEventsQuery): Promise<StoredEvent[]>;

	/** Registers a game; returns false (and changes nothing) if the id exists. */
	createGame(game: Game): Promise<boolean>;
	getGame(id: string): Promise<Game | undefined>;
	/** All games, by id. */
	listGames(): Promise<Game[]>;

	/** Stores a new key; its game must exist. */
	insertApiKey(key: ApiKeyRecord): Promise<void>;
	getApiKey(id: string): Promise<ApiKeyRecord | undefined>;
	/** Keys of one game (or of all games), oldest first, revoked ones included. */
	listApiKeys(gameId?: string): Promise<ApiKeyRecord[]>;
	/** Marks a key revoked at `at`; false if no such key or it was already revoked. */
	revokeApiKey(id: string, at: number): Promise<boolean>;

	/** Stores a new admin user; returns false if the email is taken. */
	insertAdminUser(user: AdminUser): Promise<boolean>;
	getAdminUser(id: string): Promise<AdminUser | undefined>;
	getAdminUserByEmail(email: string): Promise<AdminUser | undefined>;
	listAdminUsers(): Promise<AdminUser[]>;
	/** Makes a user instance admin (or not) and/or disables (or re-enables with null) them; false if no such user. */
	updateAdminUser(id: string, changes: { admin?: boolean; disabledAt?: number | null }): Promise<boolean>;

	/** Stores a new dashboard session. */
	insertAdminSession(session: AdminSessionRecord): Promise<void>;
	getAdminSession(id: string): Promise<AdminSessionRecord | undefined>;
	/** Records activity on a session; false if it is gone. */
	touchAdminSession(id: string, at: number): Promise<boolean>;
	/** Ends a session (logout); false if it was already gone. */
	deleteAdminSession(id: string): Promise<boolean>;
	/** Deletes sessions past `expiresAt` at `now` or idle since before `lastSeenBefore`; returns how many. */
	deleteStaleAdminSessions(now: number, lastSeenBefore: number): Promise<number>;

	/** Every signing key: the active one first, then the others newest first. */
	listSigningKeys(): Promise<SigningKeyRecord[]>;
	/**
	 * Makes `key` the active signing key and retires the previous active ones, in one transaction.
	 * With `unlessActiveNewerThan`, does nothing (returns false) when an active key created after that time
	 * exists — so concurrent processes starting at once, or rotating on schedule, add one key between them.
	 */
	addSigningKey(key: SigningKeyRecord, options?: { unlessActiveNewerThan?: number }): Promise<boolean>;

	/** Stores a new experiment; false (nothing written) if the game already has one with this key. */
	insertExperiment(record: ExperimentRecord): Promise<boolean>;
	getExperiment(gameId: string, key: string): Promise<ExperimentRecord | undefined>;
	/** Experiments of one game (or of every game), by game and key, optionally of one status. */
	listExperiments(query: { gameId?: string; status?: ExperimentStatus }): Promise<ExperimentRecord[]>;
	/**
	 * Replaces the status and definition (not the adaptive weights) if the stored revision is still
	 * `record.revision`, and increments it; false if the experiment is gone or changed since it was read.
	 */
	updateExperiment(record: ExperimentRecord): Promise<boolean>;
	deleteExperiment(gameId: string, key: string): Promise<boolean>;
	/** Stores the weights of an adaptive update; false if no such experiment. */
	setAdaptiveWeights(gameId: string, key: string, weights: readonly number[], at: number): Promise<boolean>;
	/** Per-variation, per-day sums of a metric over an experiment's exposed units (see {@link ExperimentMetricRow}). */
	experimentMetricSums(query: ExperimentMetricQuery): Promise<ExperimentMetricRow[]>;
	/**
	 * Every unit of an experiment (first-ever exposure in [from, to)) with its arm, its metric value (capped as the
	 * metric says), its pre-exposure covariate and its breakdown dimensions, columnar (see {@link ExperimentUnits}).
	 * `excludeUserIds` are UserIds (QA users), mapped to stored player ids by the store.
	 */
	experimentUnits(query: ExperimentUnitsQuery): Promise<ExperimentUnits>;

	/**
	 * Stores one version of a library metric; false (nothing written) if the key already has that version (a
	 * concurrent change) or is archived. Version 1 creates the key.
	 */
	insertLibraryMetric(record: LibraryMetricRecord): Promise<boolean>;
	/** The latest version of a library metric, or the given one; undefined if there is none. */
	getLibraryMetric(gameId: string, key: string, version?: number): Promise<LibraryMetricRecord | undefined>;
	/** The latest version of each metric of a game's library, by key; archived ones only when asked. */
	listLibraryMetrics(gameId: string, options?: { includeArchived?: boolean }): Promise<LibraryMetricRecord[]>;
	/** Every version of a library metric, oldest first (empty if the key is unknown). */
	listLibraryMetricVersions(gameId: string, key: string): Promise<LibraryMetricRecord[]>;
	/** Archives every version of the key; false if the key is unknown or already archived. */
	archiveLibraryMetric(gameId: string, key: string, at: number): Promise<boolean>;

	/** Stores a new flag; false if the game already has one with this key. */
	insertFlag(record: FlagRecord): Promise<boolean>;
	getFlag(gameId: string, key: string): Promise<FlagRecord | undefined>;
	/** Flags of one game, by key. */
	listFlags(gameId: string): Promise<FlagRecord[]>;
	/** As {@link updateExperiment}. */
	updateFlag(record: FlagRecord): Promise<boolean>;
	deleteFlag(gameId: string, key: string): Promise<boolean>;

	/** A game's settings; {@link DEFAULT_GAME_SETTINGS} when none are stored (the game's existence is not checked). */
	getGameSettings(gameId: string): Promise<GameSettings>;
	/** Changes some settings (the others keep their value, or the default) and returns them all; the game must exist. */
	updateGameSettings(
		gameId: string,
		changes: Partial<Omit<GameSettings, "gameId" | "updatedAt">>,
		at: number,
	): Promise<GameSettings>;
	/** Every game's stored settings, by game id (games never configured are absent: they have the defaults). */
	listGameSettings(): Promise<GameSettings[]>;

	getDigestState(gameId: string): Promise<DigestState | undefined>;
	/**
	 * Claims a game's `day` for delivery until `until` (unix ms); false (nothing written) when that day or a later one
	 * is already settled, or another unexpired claim holds. So two processes never deliver one day at once.
	 */
	claimDigestDay(gameId: string, day: string, at: number, until: number): Promise<boolean>;
	/** Records how a claimed delivery ended and releases the claim; a settled day is never claimed again. */
	finishDigestDay(gameId: string, result: DigestDayResult, at: number): Promise<void>;

	/** Named leases across instances: each background job runs where its lease is held (shared-state/job-leases.ts). */
	readonly leases: LeaseStore;

	/** Each game's latest predictions (server/predict): model cards, rankings by pseudonym, recommendations, anomalies. */
	readonly predictions: PredictionStore;

	/** Releases the underlying resources; further calls reject. Safe to call twice. */
	close(): Promise<void>;
}
