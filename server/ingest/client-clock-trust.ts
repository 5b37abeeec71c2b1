import type { Store } from "../store/types.js";

/** How long a game's setting is reused before it is read again: a change made by another process shows after this. */
export const CLIENT_CLOCK_TRUST_TTL_MS = 5_000;
/** Games remembered at most; past it the entry cached first is forgotten (it is read again when next needed). */
export const CLIENT_CLOCK_TRUST_MAX_GAMES = 10_000;

export interface ClientClockTrustOptions {
	store: Pick<Store, "getGameSettings">;
	/** Unix ms (the app's clock, so tests can move it). */
	clock: () => number;
	/** @default CLIENT_CLOCK_TRUST_TTL_MS */
	ttlMs?: number;
	/** @default CLIENT_CLOCK_TRUST_MAX_GAMES */
	maxGames?: number;
}

interface Entry {
	/** A pending read is cached too, so a burst of batches for one game makes one read. */
	trusted: Promise<boolean>;
	expiresAt: number;
}

/**
 * Each game's `trustClientClock` setting as ingest needs it: from memory, read from the store at most once per game
 * every {@link CLIENT_CLOCK_TRUST_TTL_MS}, so the hot path adds no database read per batch. The settings route calls
 * {@link forget} after a change, so this process sees it on the next batch; another process on the same database
 * (the CLI) is seen once the entry expires.
 *
 * @example
 * const trust = new ClientClockTrust({ store, clock: Date.now });
 * if (!(await trust.trusts("1818"))) event.time = correctClockSkew(event.time, sentAt, receivedAt);
 */
export class ClientClockTrust {
	readonly #store: Pick<Store, "getGameSettings">;
	readonly #clock: () => number;
	readonly #ttlMs: number;
	readonly #maxGames: number;
	readonly #entries = new Map<string, Entry>();

	constructor(options: ClientClockTrustOptions) {
		this.#store = options.store;
		this.#clock = options.clock;
		this.#ttlMs = options.ttlMs ?? CLIENT_CLOCK_TRUST_TTL_MS;
		this.#maxGames = options.maxGames ?? CLIENT_CLOCK_TRUST_MAX_GAMES;
	}

	/** Whether the game's events keep their sent times (no clock-skew correction). */
	trusts(gameId: string): Promise<boolean> {
		const now = this.#clock();
		const cached = this.#entries.get(gameId);
		if (cached && cached.expiresAt > now) return cached.trusted;

		const trusted = this.#store.getGameSettings(gameId).then((settings) => settings.trustClientClock);
		const entry: Entry = { trusted, expiresAt: now + this.#ttlMs };
		// Re-inserted so the Map's order stays oldest-first for eviction.
		this.#entries.delete(gameId);
		this.#entries.set(gameId, entry);
		// A failed read is not remembered: the next batch tries again.
		trusted.catch(() => {
			if (this.#entries.get(gameId) === entry) this.#entries.delete(gameId);
		});
		if (this.#entries.size > this.#maxGames) {
			const oldest = this.#entries.keys().next();
			if (!oldest.done) this.#entries.delete(oldest.value);
		}
		return trusted;
	}

	/** Drops what is remembered of a game, so its next batch reads the setting again (after a settings change). */
	forget(gameId: string): void {
		this.#entries.delete(gameId);
	}
}
