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
 * One per app. Tombstones are read from the store once per game and then kept in memory; an erasure in this process
 * adds its own at once ({@link add}).
 */
export class ErasureGuard {
	readonly #store: Pick<Store, "privacy">;
	readonly #loaded = new Map<string, Promise<Set<string>>>();
	/** Tombstones added by this process, kept apart so a load racing with an add cannot lose one. */
	readonly #added = new Map<string, Set<string>>();
	readonly #inFlight = new Set<Promise<void>>();

	constructor(store: Pick<Store, "privacy">) {
		this.#store = store;
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
		let loaded = this.#loaded.get(gameId);
		if (!loaded) {
			loaded = this.#store.privacy.tombstones(gameId).then((subjects) => new Set(subjects));
			loaded.catch(() => this.#loaded.delete(gameId));
			this.#loaded.set(gameId, loaded);
		}
		return loaded;
	}
}
