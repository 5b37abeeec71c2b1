import type { EventType, IngestEvent, IngestResult, ValidatedBatch } from "../ingest/schema.js";

/** An event as stored: what the SDK sent (time corrected for clock skew) plus where and when it arrived. */
export interface StoredEvent extends IngestEvent {
	gameId: string;
	batchId: string;
	/** Server time (unix ms) when the batch arrived. */
	receivedAt: number;
}

export interface ListEventsQuery {
	gameId: string;
	batchId?: string | undefined;
	userId?: number | undefined;
	type?: EventType | undefined;
	/** Maximum number of events returned. */
	limit: number;
	/** Cursor: only events whose id sorts after this one (ids are time-ordered). */
	after?: string | undefined;
}

/**
 * Persistence contract of the backend. Every method is async so the SQLite engine and the scale path
 * (PostgreSQL + ClickHouse) share one interface and one contract test suite.
 */
export interface Store {
	/** Resolves if the store can serve queries; rejects otherwise (used by /readyz). */
	ping(): Promise<void>;
	/**
	 * Stores a validated batch atomically and idempotently.
	 * 1. a batchId already seen for this game → the response stored then, nothing written;
	 * 2. otherwise each event is inserted; an event id already stored for this game counts as a duplicate;
	 * 3. the response (including the caller's `rejected` list) is stored under the batchId and returned.
	 */
	ingestBatch(gameId: string, batch: ValidatedBatch, receivedAt: number): Promise<IngestResult>;
	/** Events of one game in id (≈ time) order, optionally filtered. */
	listEvents(query: ListEventsQuery): Promise<StoredEvent[]>;
	/** Releases the underlying resources; further calls reject. Safe to call twice. */
	close(): Promise<void>;
}
