// The rows an instance has just stored, kept in memory until its rollup job folds them: a batch the instance stored
// whole (none of its events was there before) is folded from these rows instead of reading its events back from
// ClickHouse (a read of every part's granules of the batch's players, all columns, and the parse of their JSON). The
// fold is the same either way: the rows are exactly what the insert wrote (the events as validated, consent events
// with their sealed props), and the job still leaves out every unit a marker says is folded. Only the instance holding
// the fold lease folds: batches stored elsewhere are read back, and entries nobody takes leave by age or by the cap.
import type { FoldEvent } from "../../warehouse/fold.js";

/** A stored batch's rows by shard, then by player (pseudonym). */
export type FreshBatch = Map<number, Map<number, FoldEvent[]>>;

/** Events kept at most (about 300 bytes each); the oldest batches leave first. */
const MAX_EVENTS = 100_000;
/** A batch not folded this long after it was stored is dropped (another instance holds the fold lease). */
const MAX_AGE_MS = 120_000;

export class FreshRows {
	readonly #batches = new Map<string, { rows: FreshBatch; events: number; at: number }>();
	readonly #maxEvents: number;
	readonly #maxAgeMs: number;
	readonly #clock: () => number;
	#events = 0;

	constructor(options: { maxEvents?: number; maxAgeMs?: number; clock?: () => number } = {}) {
		this.#maxEvents = options.maxEvents ?? MAX_EVENTS;
		this.#maxAgeMs = options.maxAgeMs ?? MAX_AGE_MS;
		this.#clock = options.clock ?? Date.now;
	}

	/** Events held now. */
	get events(): number {
		return this.#events;
	}

	/** Keeps a batch's rows (after every shard's insert returned); older or surplus batches leave. */
	put(gameId: string, batchId: string, rows: FreshBatch): void {
		let events = 0;
		for (const players of rows.values()) for (const list of players.values()) events += list.length;
		if (events === 0 || events > this.#maxEvents) return;
		const key = `${gameId}\u0000${batchId}`;
		this.#drop(key);
		const now = this.#clock();
		// Oldest first (insertion order): past the age or beyond the cap.
		for (const [oldKey, entry] of this.#batches) {
			if (now - entry.at <= this.#maxAgeMs && this.#events + events <= this.#maxEvents) break;
			this.#drop(oldKey);
		}
		this.#batches.set(key, { rows, events, at: now });
		this.#events += events;
	}

	/** The batch's rows, taken out (undefined: not held here, or dropped); they never go stale, only out of memory. */
	take(gameId: string, batchId: string): FreshBatch | undefined {
		const key = `${gameId}\u0000${batchId}`;
		const entry = this.#batches.get(key);
		if (!entry) return undefined;
		this.#drop(key);
		return entry.rows;
	}

	#drop(key: string): void {
		const entry = this.#batches.get(key);
		if (!entry) return;
		this.#batches.delete(key);
		this.#events -= entry.events;
	}
}
