// Batches parked in DataStore while the backend is unreachable or the server shuts down, and claimed back by any
// server of the experience.
//
// Layout (one DataStore, default "VantageSpill"):
//   c/<chunkId>  a chunk: `{v, server, at, batches: [{id, n, events}]}` with each batch's events JSON as a string, so
//                a drained batch is byte for byte the batch that was sealed. Written once (SetAsync), never changed,
//                removed after the backend acknowledged every batch in it. Chunk ids are time-ordered, so listing the
//                keys drains the oldest first.
//   l/<chunkId>  the lease on a chunk: `{owner, until}` (until in unix ms). Taken and renewed with UpdateAsync, which
//                is atomic per key: of two servers racing for a free or expired lease exactly one transform wins, and
//                the other sees the winner's lease and backs off. Removed after its chunk.
// Exactly once: a server sends a chunk's batches only while it holds the chunk's lease (renewed before each batch),
// and deletes the chunk before the lease. If a lease still lapses mid-send (a request hanging for longer than the
// lease), the next holder re-sends batches with the same batchIds, which the backend answers from its first answer.
//
// Roblox limits followed (shared/ROBLOX-LIMITS.md, DataStore rows): values ≤ 4 MB serialized (chunks stay under
// MAX_CHUNK_BYTES), key names ≤ 50 characters (25 here), per-server request budgets per request type checked with
// GetRequestBudgetForRequestType before every call, leaving `reserve` requests for the game itself, so Vantage never
// makes the game's own saves queue or throttle.
import { DataStoreService, HttpService } from "@rbxts/services";
import { SealedBatch } from "./batch";

/** Target size of a chunk's serialized value; the DataStore limit is 4 MB (4,194,304 bytes). */
export const MAX_CHUNK_BYTES = 3500000;
/** A chunk's value must serialize to at most this (checked exactly before writing). */
const HARD_CHUNK_BYTES = 4100000;
const CHUNK_PREFIX = "c/";
const LEASE_PREFIX = "l/";

/** DataStore:UpdateAsync with a transform returning one value (nil cancels the write). */
interface Updatable {
	UpdateAsync(key: string, transform: (current: unknown) => unknown): unknown;
}

function updateAsync(store: DataStore, key: string, transform: (current: unknown) => unknown): void {
	(store as unknown as Updatable).UpdateAsync(key, transform);
}

function leaseKeyOf(chunkKey: string): string {
	return LEASE_PREFIX + chunkKey.sub(CHUNK_PREFIX.size() + 1);
}

/** One batch inside a chunk. */
interface StoredBatch {
	id: string;
	n: number;
	events: string;
}

interface StoredChunk {
	v: number;
	server: string;
	at: number;
	batches: StoredBatch[];
}

interface Lease {
	owner: string;
	until: number;
}

/** A DataStore step's result; a failure says whether it was only the budget, or a lease another server holds. */
export type SpillResult<T> = { ok: true; value: T } | { ok: false; message: string; budget?: boolean; taken?: boolean };

function fail<T>(message: string, budget = false): SpillResult<T> {
	return { ok: false, message, budget };
}

/** Serialized size of a string inside a JSON value: its bytes, plus one per character JSON escapes, plus quotes. */
function escapedSize(s: string): number {
	const [, escapes] = s.gsub('["\\]', "");
	return s.size() + escapes + 2;
}

/**
 * Groups batches into chunks of at most `maxBytes` serialized bytes each, in order. A batch bigger than a chunk on
 * its own comes back in `tooBig` (the caller splits it and tries again).
 */
export function packChunks(
	batches: readonly SealedBatch[],
	maxBytes: number,
): { chunks: SealedBatch[][]; tooBig: SealedBatch[] } {
	const chunks = new Array<SealedBatch[]>();
	const tooBig = new Array<SealedBatch>();
	let open = new Array<SealedBatch>();
	// Envelope: {"v":1,"server":"…","at":…,"batches":[…]} and per batch {"id":"…","n":…,"events":…}.
	let size = 200;
	for (const batch of batches) {
		const batchSize = escapedSize(batch.eventsJson) + batch.id.size() + 40;
		if (200 + batchSize > maxBytes) {
			tooBig.push(batch);
			continue;
		}
		if (open.size() > 0 && size + batchSize > maxBytes) {
			chunks.push(open);
			open = [];
			size = 200;
		}
		open.push(batch);
		size += batchSize;
	}
	if (open.size() > 0) chunks.push(open);
	return { chunks, tooBig };
}

/** A claimed chunk: its batches, in order. */
export interface ClaimedChunk {
	key: string;
	batches: SealedBatch[];
	/** Unix ms until which this server holds the lease. */
	leaseUntil: number;
}

export class SpillStore {
	private store?: DataStore;

	constructor(
		private readonly storeName: string,
		/** This server's identity in leases (JobId, or a GUID in Studio). */
		private readonly owner: string,
		private readonly leaseSeconds: number,
		/** Requests of each type left to the game: Vantage only calls when the budget is above this. */
		private readonly reserve: number,
		private readonly nowMs: () => number,
	) {}

	private dataStore(): SpillResult<DataStore> {
		if (this.store) return { ok: true, value: this.store };
		const [ok, store] = pcall(() => DataStoreService.GetDataStore(this.storeName));
		if (!ok) return fail(`DataStore unavailable: ${store}`);
		this.store = store as DataStore;
		return { ok: true, value: this.store };
	}

	/**
	 * Whether the per-server budget of a request type has room above what is left to the game: the reserve, or for
	 * listing (5 + 2 × players per minute, and games rarely list keys) a single request.
	 */
	hasBudget(requestType: Enum.DataStoreRequestType, needed = 1): boolean {
		const [ok, budget] = pcall(() => DataStoreService.GetRequestBudgetForRequestType(requestType));
		const reserve = requestType === Enum.DataStoreRequestType.StandardList ? 1 : this.reserve;
		return ok && (budget as number) >= reserve + needed;
	}

	/** Writes one chunk (a new key) holding `batches`. Yields. */
	write(chunkId: string, batches: readonly SealedBatch[]): SpillResult<string> {
		const store = this.dataStore();
		if (!store.ok) return fail(store.message);
		if (!this.hasBudget(Enum.DataStoreRequestType.StandardWrite)) return fail("DataStore write budget", true);
		const value: StoredChunk = { v: 1, server: this.owner, at: this.nowMs(), batches: [] };
		for (const b of batches) value.batches.push({ id: b.id, n: b.count, events: b.eventsJson });
		const [encoded, json] = pcall(() => HttpService.JSONEncode(value));
		if (!encoded || (json as string).size() > HARD_CHUNK_BYTES) return fail("chunk too large");
		const key = CHUNK_PREFIX + chunkId;
		const [ok, err] = pcall(() => store.value.SetAsync(key, value));
		if (!ok) return fail(`SetAsync ${key}: ${err}`);
		return { ok: true, value: key };
	}

	/** Chunk keys, oldest first (one page of at most `pageSize`). Yields. */
	list(pageSize: number): SpillResult<string[]> {
		const store = this.dataStore();
		if (!store.ok) return fail(store.message);
		if (!this.hasBudget(Enum.DataStoreRequestType.StandardList)) return fail("DataStore list budget", true);
		const [ok, pages] = pcall(() => store.value.ListKeysAsync(CHUNK_PREFIX, pageSize));
		if (!ok) return fail(`ListKeysAsync: ${pages}`);
		const keys = new Array<string>();
		for (const key of (pages as DataStoreKeyPages).GetCurrentPage() as DataStoreKey[]) keys.push(key.KeyName);
		keys.sort();
		return { ok: true, value: keys };
	}

	/**
	 * Takes (or renews) the lease on a chunk: succeeds if the lease is free, expired, or already this server's.
	 * Returns the new expiry (unix ms). One UpdateAsync: atomic against other servers. Yields.
	 */
	lease(chunkKey: string): SpillResult<number> {
		const store = this.dataStore();
		if (!store.ok) return fail(store.message);
		if (!this.hasBudget(Enum.DataStoreRequestType.StandardRead)) return fail("DataStore read budget", true);
		if (!this.hasBudget(Enum.DataStoreRequestType.StandardWrite)) return fail("DataStore write budget", true);
		const leaseKey = leaseKeyOf(chunkKey);
		let expiry = 0;
		const [ok, err] = pcall(() =>
			updateAsync(store.value, leaseKey, (current) => {
				const now = this.nowMs();
				const held = current as Partial<Lease> | undefined;
				if (typeIs(held, "table") && held.owner !== this.owner && typeIs(held.until, "number") && held.until > now) {
					expiry = 0;
					return undefined;
				}
				expiry = now + this.leaseSeconds * 1000;
				const lease: Lease = { owner: this.owner, until: expiry };
				return lease;
			}),
		);
		if (!ok) return fail(`UpdateAsync ${leaseKey}: ${err}`);
		if (expiry === 0) return { ok: false, message: "leased by another server", taken: true };
		return { ok: true, value: expiry };
	}

	/** Reads a chunk's batches (undefined: the chunk is gone, drained by someone else). Yields. */
	read(chunkKey: string): SpillResult<SealedBatch[] | undefined> {
		const store = this.dataStore();
		if (!store.ok) return fail(store.message);
		if (!this.hasBudget(Enum.DataStoreRequestType.StandardRead)) return fail("DataStore read budget", true);
		// Not from the 4-second GetAsync cache: another server may have just removed the chunk.
		const [, options] = pcall(() => {
			const o = new Instance("DataStoreGetOptions");
			o.UseCache = false;
			return o;
		});
		const [ok, value] = pcall(() => {
			const [chunk] = store.value.GetAsync<StoredChunk>(
				chunkKey,
				typeIs(options, "Instance") ? (options as DataStoreGetOptions) : undefined,
			);
			return chunk;
		});
		if (!ok) return fail(`GetAsync ${chunkKey}: ${value}`);
		const chunk = value as StoredChunk | undefined;
		if (chunk === undefined) return { ok: true, value: undefined };
		if (!typeIs(chunk, "table") || !typeIs(chunk.batches, "table")) return fail(`${chunkKey} is not a spill chunk`);
		const batches = new Array<SealedBatch>();
		for (const b of chunk.batches) {
			if (typeIs(b.id, "string") && typeIs(b.n, "number") && typeIs(b.events, "string")) {
				batches.push({ id: b.id, eventsJson: b.events, count: b.n, attempts: 0 });
			}
		}
		return { ok: true, value: batches };
	}

	/** Removes a drained chunk, then its lease. Yields. */
	remove(chunkKey: string): SpillResult<true> {
		const store = this.dataStore();
		if (!store.ok) return fail(store.message);
		if (!this.hasBudget(Enum.DataStoreRequestType.StandardRemove, 2)) return fail("DataStore remove budget", true);
		const [ok, err] = pcall(() => store.value.RemoveAsync(chunkKey));
		if (!ok) return fail(`RemoveAsync ${chunkKey}: ${err}`);
		// The chunk is gone, so nobody can claim it any more: the lease can go whoever holds it now.
		pcall(() => store.value.RemoveAsync(leaseKeyOf(chunkKey)));
		return { ok: true, value: true };
	}

	/**
	 * Gives up this server's lease on a chunk it did not finish (the chunk stays for another server): marks the lease
	 * expired, only if this server still holds it. Yields; best effort.
	 */
	release(chunkKey: string): void {
		const store = this.dataStore();
		if (!store.ok || !this.hasBudget(Enum.DataStoreRequestType.StandardWrite)) return;
		pcall(() =>
			updateAsync(store.value, leaseKeyOf(chunkKey), (current) => {
				const held = current as Partial<Lease> | undefined;
				if (!typeIs(held, "table") || held.owner !== this.owner) return undefined;
				const released: Lease = { owner: this.owner, until: 0 };
				return released;
			}),
		);
	}
}
