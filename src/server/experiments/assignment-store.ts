// Keeps each player's random, stratified and adaptive assignments across sessions and servers: one DataStore key per
// player (`u<UserId>`), read once when the player joins and written when a new assignment is drawn.
// DataStore limits (shared/ROBLOX-LIMITS.md): StandardRead/StandardWrite 60 + 40 × players per minute per server,
// shared with the game, UpdateAsync spends one read and one write; keys ≤ 50 characters, values ≤ 4 MB. Requests
// yield and can fail. The game's own saves matter more: a request is only made while at least `reserve` requests
// of its type are left, else it waits a little and tries again, a few times, then gives up.
import { PlayerDataStore } from "../lazy-data-store";

/** One kept assignment: the variation's key, the experiment's seed when it was drawn, unix seconds. */
export interface KeptAssignment {
	k: string;
	s: string;
	t: number;
}

/** Kept assignments by experiment key. */
export type KeptAssignments = Record<string, KeptAssignment>;

export type LoadResult = { ok: true; kept: KeptAssignments } | { ok: false; message: string };

/** Where kept assignments live; the real one is {@link DataStoreAssignments}, specs use an in-memory one. */
export interface AssignmentPersistence {
	/** The player's kept assignments. Yields; never throws. */
	load(userId: number): LoadResult;
	/**
	 * Adds assignments to the player's key; an entry already kept for the same experiment and seed stays (another
	 * server drew first: this session keeps what it showed, later ones get the kept one). Yields; never throws;
	 * false when nothing could be written.
	 */
	save(userId: number, additions: KeptAssignments): boolean;
}

/** Most experiments kept per player; the oldest entries go first (their experiments have long ended). */
export const MAX_KEPT = 100;

interface StoredValue {
	v: number;
	a: KeptAssignments;
}

function isKept(value: unknown): value is KeptAssignment {
	if (!typeIs(value, "table")) return false;
	const e = value as Partial<KeptAssignment>;
	return typeIs(e.k, "string") && typeIs(e.s, "string") && typeIs(e.t, "number");
}

/** The well-formed entries of a stored value (anything else is ignored). */
export function keptOf(value: unknown): KeptAssignments {
	const out: KeptAssignments = {};
	const entries = typeIs(value, "table") ? (value as Partial<StoredValue>).a : undefined;
	if (!typeIs(entries, "table")) return out;
	for (const [key, entry] of pairs(entries as Record<string, unknown>)) {
		if (typeIs(key, "string") && isKept(entry)) out[key] = { k: entry.k, s: entry.s, t: entry.t };
	}
	return out;
}

/**
 * `current` plus the `additions` it does not have yet (same experiment and seed: the kept one wins), trimmed to
 * the {@link MAX_KEPT} newest. Pure.
 *
 * @example
 * mergeKept({ shop: { k: "grid", s: "shop", t: 1 } }, { shop: { k: "list", s: "shop", t: 2 } }).shop.k; // "grid"
 */
export function mergeKept(current: KeptAssignments, additions: KeptAssignments): KeptAssignments {
	const merged: KeptAssignments = {};
	const order: [string, number][] = [];
	for (const [key, entry] of pairs(current)) {
		merged[key] = entry;
	}
	for (const [key, entry] of pairs(additions)) {
		const existing = merged[key];
		if (existing === undefined || existing.s !== entry.s) merged[key] = entry;
	}
	for (const [key, entry] of pairs(merged)) order.push([key, entry.t]);
	if (order.size() <= MAX_KEPT) return merged;
	order.sort((a, b) => a[1] > b[1]);
	for (let i = MAX_KEPT; i < order.size(); i++) delete merged[order[i][0]];
	return merged;
}

export class DataStoreAssignments extends PlayerDataStore implements AssignmentPersistence {
	/**
	 * @param storeName - the DataStore holding one key per player
	 * @param reserve - requests of each type always left to the game
	 * @param attempts - tries per load or save (waiting `retrySeconds` between them)
	 */
	constructor(storeName: string, debug = false, reserve = 10, attempts = 3, retrySeconds = 2) {
		super(storeName, "assignments", debug, { reserve, attempts, retrySeconds });
	}

	load(userId: number): LoadResult {
		const result = this.request("load", Enum.DataStoreRequestType.GetAsync, (store) => {
			const [value] = store.GetAsync(`u${userId}`);
			return keptOf(value);
		});
		return result.ok ? { ok: true, kept: result.value } : result;
	}

	save(userId: number, additions: KeptAssignments): boolean {
		const result = this.request("save", Enum.DataStoreRequestType.UpdateAsync, (store) => {
			store.UpdateAsync<unknown, StoredValue>(`u${userId}`, (old) =>
				// Tagged with the UserId (the transform's second return), so Roblox's erasure tooling finds the key.
				// eslint-disable-next-line roblox-ts/no-user-defined-lua-tuple -- UpdateAsync reads multiple returns
				$tuple({ v: 1, a: mergeKept(keptOf(old), additions) } satisfies StoredValue, [userId]),
			);
			return true;
		});
		return result.ok;
	}
}
