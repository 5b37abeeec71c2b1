// One writer at a time between the ingest thread and the warehouse worker, without SQLite's busy handler: a writer
// that finds the database locked sleeps 1, 2, 5, 10 … up to 100 ms before it looks again, which turns a 10 ms
// rollup write into a 20-100 ms ingest stall. This lock hands the database over the moment it is free, and lets
// ingest go first whenever it is waiting. (Other processes on the same file still meet busy_timeout.)

/** What the warehouse takes around each write transaction. */
export interface WriteLock {
	acquire(): void;
	release(): void;
}

export const NO_LOCK: WriteLock = { acquire() {}, release() {} };

const STATE = 0;
const WAITING = 1;

/** The ingest side (main thread): waits without blocking the event loop. */
export class MainWriteLock {
	readonly cells: Int32Array;

	constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(8)) {
		this.cells = new Int32Array(buffer);
	}

	get buffer(): SharedArrayBuffer {
		return this.cells.buffer as SharedArrayBuffer;
	}

	/** Takes the lock; resolves at once when it is free (the common case costs no event-loop turn). */
	acquire(): Promise<void> | undefined {
		if (Atomics.compareExchange(this.cells, STATE, 0, 1) === 0) return undefined;
		return this.#wait();
	}

	async #wait(): Promise<void> {
		Atomics.add(this.cells, WAITING, 1);
		// A pending Atomics.waitAsync does not keep Node's event loop alive; this timer does, while ingest waits.
		const keepAlive = setInterval(() => {}, 1000);
		try {
			while (Atomics.compareExchange(this.cells, STATE, 0, 1) !== 0) {
				const result = Atomics.waitAsync(this.cells, STATE, 1, 50);
				if (result.async) await result.value;
			}
		} finally {
			clearInterval(keepAlive);
			Atomics.sub(this.cells, WAITING, 1);
		}
	}

	release(): void {
		Atomics.store(this.cells, STATE, 0);
		Atomics.notify(this.cells, STATE);
	}
}

/** The worker side: blocks its own thread while ingest holds the lock or waits for it. */
export class WorkerWriteLock implements WriteLock {
	readonly #cells: Int32Array;

	constructor(buffer: SharedArrayBuffer) {
		this.#cells = new Int32Array(buffer);
	}

	acquire(): void {
		for (;;) {
			// Ingest first: while it waits, stand back until it has had its turn.
			const waiting = Atomics.load(this.#cells, WAITING);
			if (waiting > 0) {
				Atomics.wait(this.#cells, WAITING, waiting, 5);
				continue;
			}
			if (Atomics.compareExchange(this.#cells, STATE, 0, 1) === 0) return;
			Atomics.wait(this.#cells, STATE, 1, 50);
		}
	}

	release(): void {
		Atomics.store(this.#cells, STATE, 0);
		Atomics.notify(this.#cells, STATE);
	}
}
