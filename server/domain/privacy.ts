// The privacy module's persistence contract, as plain data: the audit log, erasure jobs, tombstones and one player's
// data, implemented by every engine (server/store). The hashing, pseudonyms and job logic live in server/privacy.
import type { StoredEvent } from "./ingest.js";

/** One audit entry as stored. `details` is canonical JSON (sorted keys) and part of what `hash` covers. */
export interface AuditRow {
	/** 1, 2, 3 … with no gaps. */
	seq: number;
	/** Unix ms. */
	at: number;
	/** Who acted: `admin:<user id>`, `webhook:roblox`, `system`. */
	actor: string;
	/** What happened, dotted lower case: `player.export`, `erasure.requested`, `events.read` … */
	action: string;
	gameId: string | null;
	/** The player's pseudonym (never a UserId), or null when the entry is about no single player. */
	subject: string | null;
	details: string;
	/** Hex SHA-256 of the previous row (64 zeros for the first). */
	prevHash: string;
	/** Hex SHA-256 of prevHash and this row's canonical content. */
	hash: string;
}

/** The newest entry's position: what the next entry chains to. */
export interface AuditHead {
	seq: number;
	hash: string;
}

export type PrivacyJobStatus = "pending" | "running" | "completed" | "failed";
export type PrivacyJobSource = "admin" | "roblox_webhook";

/** An erasure job as stored (the UserId is not part of it: see {@link PrivacyStore.unfinishedJobs}). */
export interface PrivacyJobRecord {
	id: string;
	kind: "erasure";
	source: PrivacyJobSource;
	status: PrivacyJobStatus;
	/** The games the player is erased from (the webhook's GameIds, or the one game of the admin route). */
	gameIds: string[];
	/** `admin:<user id>` or `webhook:roblox:<NotificationId>`. */
	requestedBy: string;
	createdAt: number;
	startedAt: number | null;
	finishedAt: number | null;
	/** What the job did, per game (JSON object), once finished. */
	result: Record<string, unknown> | null;
	error: string | null;
}

/** What one game's erasure removed (rows per table) or why it has to wait. */
export type ErasePlayerOutcome =
	| { done: true; deleted: Record<string, number>; experimentsUpdated: string[] }
	| { done: false; reason: "unfolded_events" | "rebuilding" };

/** Everything held on one player of one game, read in one transaction. */
export interface PlayerData {
	events: StoredEvent[];
	/** Rows of every other table keyed by (game_id, user_id): rollups, consent records …, by table name. */
	records: Record<string, Record<string, unknown>[]>;
	/** Experiments that force this player into a variation (QA): key → variation key. */
	forcedVariations: Record<string, string>;
}

export interface PrivacyStore {
	/** The secret called `name`, created (with `create()`) and stored on first use; every process sees the same one. */
	secret(name: string, create: () => string): Promise<string>;

	/**
	 * Appends one audit entry: `build` gets the current head (null for an empty log) inside the write transaction and
	 * returns the row to insert, whose seq must be head.seq + 1. The head moves in the same transaction.
	 */
	appendAudit(build: (head: AuditHead | null) => AuditRow): Promise<AuditRow>;
	/** Audit rows with seq > `afterSeq`, in seq order, at most `limit` (the verifier pages through them). */
	listAudit(afterSeq: number, limit: number): Promise<AuditRow[]>;
	/** The head as recorded by the last append; null when nothing was ever appended. */
	auditHead(): Promise<AuditHead | null>;

	/** Records that the player with this pseudonym was erased from the game (idempotent). */
	addTombstone(gameId: string, subject: string, at: number): Promise<void>;
	/** The tombstoned pseudonyms of one game. */
	tombstones(gameId: string): Promise<string[]>;

	/**
	 * Stores a new pending job holding `userId` until it finishes. With `notificationId`, the job is only created if
	 * that notification is new; otherwise the job it started before is returned with `created: false`.
	 */
	createJob(
		job: PrivacyJobRecord,
		userId: number,
		notificationId?: string,
	): Promise<{ job: PrivacyJobRecord; created: boolean }>;
	getJob(id: string): Promise<PrivacyJobRecord | undefined>;
	/** Pending, running and failed jobs with their UserId, oldest first (resumed, or retried, after a restart). */
	unfinishedJobs(): Promise<{ job: PrivacyJobRecord; userId: number }[]>;
	/**
	 * Moves a job on. `completed` also clears its UserId; `failed` keeps it (the job can be resumed) and records the
	 * error.
	 */
	updateJob(
		id: string,
		changes: Pick<PrivacyJobRecord, "status"> &
			Partial<Pick<PrivacyJobRecord, "startedAt" | "finishedAt" | "result" | "error">>,
	): Promise<void>;

	/** The player's data in one game (an access export reads this). */
	playerData(gameId: string, userId: number): Promise<PlayerData>;
	/**
	 * Removes the player from one game in one write transaction: their contribution is subtracted from every
	 * aggregate rollup, then every row keyed by (game_id, user_id) is deleted (raw events, per-player rollups, consent
	 * rows …) and their forced variations are dropped from experiments. Refuses (done: false) while the game has
	 * events not yet folded into its rollups or a rebuild running: the caller lets the warehouse catch up and retries.
	 */
	erasePlayer(gameId: string, userId: number, at: number): Promise<ErasePlayerOutcome>;
}
