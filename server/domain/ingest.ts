// What the SDK sends and ingest answers, as plain types: the stores hold and return these (server/store), the ingest
// module validates them (server/ingest/schema.ts, whose zod schemas are checked to produce exactly these types).

/** Event types the SDK sends. Order is irrelevant; never remove one (stored events keep their type). */
export const EVENT_TYPES = [
	"session_start",
	"session_end",
	"custom",
	"progression",
	"economy",
	"purchase",
	"funnel",
	"error",
	"exposure",
	"consent",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** A property value: JSON scalars only. */
export type PropValue = string | number | boolean | null;

/** One event as the SDK sends it (after validation). */
export interface IngestEvent {
	/** Time-ordered id (ULID), unique within the game: the deduplication key. */
	id: string;
	/** Unix ms (UTC), clock-skew corrected by ingest unless the game trusts client clocks. */
	time: number;
	/** Roblox UserId; 0 marks a server-level event with no player. */
	userId: number;
	sessionId: string;
	type: EventType;
	name: string;
	props: Record<string, PropValue>;
}

/** Why one event of a batch was not stored; `index` is its position in the request's `events` array. */
export interface RejectedEvent {
	index: number;
	code: "invalid_event" | "implausible_time";
	message: string;
}

/** What POST /v1/batches answers (also for a retried batch: the stored first answer). */
export interface IngestResult {
	accepted: number;
	duplicates: number;
	rejected: RejectedEvent[];
	/** Events of players erased from the game, dropped unstored; absent when none. */
	erased?: number | undefined;
}

/** A batch whose envelope and events were validated: what a store ingests. */
export interface ValidatedBatch {
	batchId: string;
	sentAt: number;
	sdk?: { name: string; version: string } | undefined;
	events: IngestEvent[];
	rejected: RejectedEvent[];
	/** SHA-256 (hex) of the batch's events as sent: a retry has the same, a reused batchId with other events not. */
	fingerprint?: string;
}

/** An event as stored: what the SDK sent (time corrected for clock skew) plus where and when it arrived. */
export interface StoredEvent extends IngestEvent {
	gameId: string;
	batchId: string;
	/** Server time (unix ms) when the batch arrived. */
	receivedAt: number;
}
