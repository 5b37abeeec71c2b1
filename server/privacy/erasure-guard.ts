// Ingest's check against erased players: events of a player erased from a game are dropped before they are stored
// (a spill drained after the erasure, a game server that had them queued). The check compares pseudonyms with the
// game's tombstones, so neither the check nor the tombstones need the erased UserIds.
import type { Store } from "../store/types.js";
import { playerSubject, subjectKey } from "./subject.js";

/** What ingest may store of a batch, and the call that says the batch's write is over. */
export interface Admission<T> {
	kept: T[];
	/** Events of erased players left out. */
	dropped: number;
	/** Call once the batch is stored (or failed): an erasure waiting in {@link ErasureGuard.drain} may go on. */
	done(): void;
}

/**
 * How long a game's tombstones read from the store are trusted before they are read again: an erasure made by
 * another instance (or the CLI) is enforced here after at most this long.
 */
export const ERASURE_TOMBSTONE_REFRESH_MS = 5_000;

/**
 * One per app. Tombstones are read from the store per game and kept in memory for
 * {@link ERASURE_TOMBSTONE_REFRESH_MS}; an erasure in this process adds its own at once ({@link add}).
 */
export class ErasureGuard {
	readonly #store: Pick<Store, "privacy">;
	readonly #refreshMs: number;
	readonly #loaded = new Map<string, { at: number; subjects: Promise<Set<string>> }>();
	/** Tombstones added by this process, kept apart so a load racing with an add cannot lose one. */
	readonly #added = new Map<string, Set<string>>();
	readonly #inFlight = new Set<Promise<void>>();

	constructor(
		store: Pick<Store, "privacy">,
		options: { /** @default ERASURE_TOMBSTONE_REFRESH_MS */ refreshMs?: number } = {},
	) {
		this.#store = store;
		this.#refreshMs = options.refreshMs ?? ERASURE_TOMBSTONE_REFRESH_MS;
	}

	/**
	 * Splits a batch's events into those to store and those of erased players. The fast path (a game nobody was
	 * erased from) computes no pseudonym. Every admission counts as in flight until `done()`.
	 */
	async admit<T extends { userId: number }>(gameId: string, events: readonly T[]): Promise<Admission<T>> {
		const loaded = await this.#tombstones(gameId);
		const added = this.#added.get(gameId);
		let kept: T[] = [...events];
		if (loaded.size > 0 || (added?.size ?? 0) > 0) {
			const key = await subjectKey(this.#store);
			const erased = new Map<number, boolean>();
			kept = events.filter((event) => {
				if (event.userId <= 0) return true;
				let gone = erased.get(event.userId);
				if (gone === undefined) {
					const subject = playerSubject(key, gameId, event.userId);
					gone = loaded.has(subject) || (this.#added.get(gameId)?.has(subject) ?? false);
					erased.set(event.userId, gone);
				}
				return !gone;
			});
		}
		// Registered in the same turn as the check above: a drain() that starts after an add() waits for this batch.
		let release!: () => void;
		const flight = new Promise<void>((resolve) => (release = resolve));
		this.#inFlight.add(flight);
		return {
			kept,
			dropped: events.length - kept.length,
			done: () => {
				this.#inFlight.delete(flight);
				release();
			},
		};
	}

	/** Makes ingest drop the player's events from now on (the caller has stored the tombstone). */
	add(gameId: string, subject: string): void {
		let set = this.#added.get(gameId);
		if (!set) this.#added.set(gameId, (set = new Set()));
		set.add(subject);
	}

	/** Resolves once every batch admitted before this call is stored: none of them can add an erased player's events later. */
	async drain(): Promise<void> {
		await Promise.all([...this.#inFlight]);
	}

	#tombstones(gameId: string): Promise<Set<string>> {
		const now = performance.now();
		const cached = this.#loaded.get(gameId);
		if (cached && now - cached.at < this.#refreshMs) return cached.subjects;
		// Read again now and then: other instances store tombstones too (the store is the truth, this is a cache).
		const entry = { at: now, subjects: this.#store.privacy.tombstones(gameId).then((subjects) => new Set(subjects)) };
		entry.subjects.catch(() => {
			if (this.#loaded.get(gameId) === entry) this.#loaded.delete(gameId);
		});
		this.#loaded.set(gameId, entry);
		return entry.subjects;
	}
}
