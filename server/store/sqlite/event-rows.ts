// A row of the events table and the StoredEvent it reads as, for every part of the SQLite store that reads raw events.
import type { EventType } from "../../domain/ingest.js";
import type { StoredEvent } from "../types.js";

export interface EventRow {
	game_id: string;
	id: string;
	batch_id: string;
	user_id: number;
	session_id: string;
	type: string;
	name: string;
	time: number;
	received_at: number;
	props: string;
}

export function toStoredEvent(row: EventRow): StoredEvent {
	return {
		gameId: row.game_id,
		id: row.id,
		batchId: row.batch_id,
		userId: row.user_id,
		sessionId: row.session_id,
		// Only ever written from a validated event.
		type: row.type as EventType,
		name: row.name,
		time: row.time,
		receivedAt: row.received_at,
		props: JSON.parse(row.props) as StoredEvent["props"],
	};
}
