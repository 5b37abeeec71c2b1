// Batches: built once from queued events, then never changed. A batch is its id and the JSON of its events; the
// request body around them is rebuilt per attempt only to stamp `sentAt`, so a retry (even hours later, from a
// DataStore spill, on another server) sends the same batchId with the same events and the backend can answer it
// idempotently, while its clock-skew correction still sees when this attempt left.
import { HttpService } from "@rbxts/services";
import { WireEvent } from "../../shared/protocol";
import { sdkName, version } from "../../shared/version";

/** A batch ready to send. Immutable except for its attempt counter. */
export interface SealedBatch {
	readonly id: string;
	/** The events as a JSON array, encoded once when the batch was sealed. */
	readonly eventsJson: string;
	/** Number of events. */
	readonly count: number;
	/** Requests that carried this batch so far (0 = never sent). */
	attempts: number;
}

/** Events encoded per JSONEncode call while sealing; between groups the sealing thread may yield. */
const GROUP = 100;
/** Bytes of a request body around the events: `{"batchId":…,"sentAt":…,"sdk":{…},"events":}` with split suffixes. */
export const ENVELOPE_BYTES = 200;

/**
 * JSON of events `from..to` (0-based, inclusive) without the surrounding brackets.
 * HttpService:JSONEncode writes an empty table as `[]`, but the backend requires `props` to be an object: the
 * pattern can only match a key (inside a JSON string every quote is escaped), and prop values are never arrays.
 */
function encodeRange(events: readonly WireEvent[], from: number, to: number): string {
	const slice = new Array<WireEvent>();
	for (let i = from; i <= to; i++) slice.push(events[i]);
	const [json] = HttpService.JSONEncode(slice).gsub('"props":%[%]', '"props":{}');
	return json.sub(2, -2);
}

/** JSON array of events, with the encoding fixes of {@link sealBatches}. */
export function encodeEvents(events: readonly WireEvent[]): string {
	if (events.size() === 0) return "[]";
	return `[${encodeRange(events, 0, events.size() - 1)}]`;
}

/**
 * Cuts events into sealed batches of at most `maxEvents` events whose request body is at most `maxBytes` bytes
 * (a single event larger than that gets a batch of its own). Encodes `GROUP` events at a time; `pause` (if given) runs between groups so a
 * big seal can spread over frames.
 *
 * 1. encode the next group; if it alone is over the byte limit, encode its events one by one instead;
 * 2. a piece that would push the open batch past either limit closes the batch first;
 * 3. the last open batch is closed at the end.
 */
export function sealBatches(
	events: readonly WireEvent[],
	maxEvents: number,
	maxBytes: number,
	nextId: () => string,
	pause?: () => unknown,
): SealedBatch[] {
	const batches = new Array<SealedBatch>();
	const maxEventBytes = maxBytes - ENVELOPE_BYTES;
	let parts = new Array<string>();
	let count = 0;
	// Bytes of the open batch's JSON: brackets + parts + commas between them.
	let bytes = 2;
	const close = () => {
		if (count === 0) return;
		batches.push({ id: nextId(), eventsJson: `[${parts.join(",")}]`, count, attempts: 0 });
		parts = [];
		count = 0;
		bytes = 2;
	};
	const add = (json: string, n: number) => {
		if (count > 0 && (count + n > maxEvents || bytes + 1 + json.size() > maxEventBytes)) close();
		parts.push(json);
		bytes += (count > 0 ? 1 : 0) + json.size();
		count += n;
	};
	const total = events.size();
	for (let from = 0; from < total; from += GROUP) {
		const to = math.min(from + GROUP, total) - 1;
		const groupJson = encodeRange(events, from, to);
		const groupSize = to - from + 1;
		if (groupSize <= maxEvents - count && bytes + 1 + groupJson.size() <= maxEventBytes) {
			add(groupJson, groupSize);
		} else {
			for (let i = from; i <= to; i++) add(encodeRange(events, i, i), 1);
		}
		if (pause && to < total - 1) pause();
	}
	close();
	return batches;
}

/** The request body of one attempt: the sealed events inside a fresh envelope with this attempt's `sentAt`. */
export function batchBody(batch: SealedBatch, sentAtMs: number): string {
	// Ids are Crockford base32 (plus '-' from splits) and the SDK name/version are constants: no escaping needed.
	return `{"batchId":"${batch.id}","sentAt":${"%d".format(sentAtMs)},"sdk":{"name":"${sdkName}","version":"${version}"},"events":${batch.eventsJson}}`;
}

/** The events of a sealed batch, decoded (for reporting rejected events and for splitting). */
export function decodeEvents(batch: SealedBatch): WireEvent[] {
	const [ok, decoded] = pcall(() => HttpService.JSONDecode(batch.eventsJson));
	return ok && typeIs(decoded, "table") ? (decoded as WireEvent[]) : [];
}

/**
 * Splits a batch in halves (after a 413), or undefined for a single event. The halves get ids derived from the
 * batch's (`<id>-0`, `<id>-1`): the backend never stored the refused batch, and each half is idempotent in turn.
 */
export function splitBatch(batch: SealedBatch): [SealedBatch, SealedBatch] | undefined {
	if (batch.count < 2) return undefined;
	const events = decodeEvents(batch);
	if (events.size() !== batch.count) return undefined;
	const half = math.floor(events.size() / 2);
	const first = new Array<WireEvent>();
	const second = new Array<WireEvent>();
	for (let i = 0; i < events.size(); i++) (i < half ? first : second).push(events[i]);
	return [
		{ id: `${batch.id}-0`, eventsJson: encodeEvents(first), count: first.size(), attempts: 0 },
		{ id: `${batch.id}-1`, eventsJson: encodeEvents(second), count: second.size(), attempts: 0 },
	];
}
