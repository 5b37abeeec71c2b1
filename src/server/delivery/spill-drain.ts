// Spill and drain: on a long outage, under memory pressure and at shutdown, live batches move to DataStore in chunks
// (spill-store.ts); while the backend answers, every server claims parked chunks one at a time under a lease and
// sends their batches (the drain), so a chunk is sent by one server, once, and a lapsed lease hands it on.
import { IdGenerator } from "../../shared/ids";
import { SealedBatch, splitBatch } from "./batch";
import { DeliveryDeps, Lifecycle, nowMs } from "./contracts";
import { DeliveryOptions } from "./options";
import { DeliveryQueue } from "./queue";
import { DeliveryReport } from "./report";
import { BatchSender } from "./sender";
import { MAX_CHUNK_BYTES, packChunks, SpillStore } from "./spill-store";

/** Seconds between spills during an outage, so the game keeps its DataStore write budget. */
const SPILL_INTERVAL_SECONDS = 30;
/** Chunk keys looked at per drain pass. */
const DRAIN_PAGE = 20;

/** A claimed chunk: its key, the batches not sent yet, and when the lease runs out (unix ms). */
interface Draining {
	key: string;
	batches: SealedBatch[];
	leaseUntil: number;
}

export class SpillDrain {
	/** The chunk this server is draining. */
	draining?: Draining;
	/** Chunk keys from the last listing not tried yet. */
	private drainCandidates = new Array<string>();
	/** Earliest next spill during an outage, and after a failed spill. */
	private nextOutageSpillAt = 0;
	private spillRetryAt = 0;
	private nextDrainAt = 0;
	private readonly store: SpillStore;
	private readonly leaseSeconds: number;
	private readonly drainInterval: number;
	private readonly maxChunkBytes: number;

	constructor(
		private readonly options: DeliveryOptions,
		deps: DeliveryDeps,
		serverId: string,
		/** Studio, or a dry run: never spill or drain. */
		private readonly isStudio: boolean,
		private readonly ids: IdGenerator,
		private readonly queue: DeliveryQueue,
		private readonly sender: BatchSender,
		private readonly report: DeliveryReport,
		private readonly life: Lifecycle,
	) {
		this.leaseSeconds = deps.leaseSeconds ?? 120;
		this.drainInterval = deps.drainIntervalSeconds ?? options.spillDrainSeconds;
		this.maxChunkBytes = deps.maxChunkBytes ?? MAX_CHUNK_BYTES;
		this.store = new SpillStore(options.spillStore, serverId, this.leaseSeconds, deps.dataStoreReserve ?? 10, nowMs);
	}

	/**
	 * Studio never spills: its DataStore writes would land in the live experience and be drained there. A dry run
	 * neither spills nor drains (it would settle other servers' batches without sending them).
	 */
	canSpill(): boolean {
		return !this.isStudio;
	}

	// Spill -----------------------------------------------------------------------------------------------------------

	/**
	 * Whether to move live batches to DataStore now: after `spillAfterSeconds` of outage (then at most every
	 * SPILL_INTERVAL_SECONDS, to spare the game's write budget), or whenever memory is past half its cap. Only batches
	 * behind the oldest one are spilled while it keeps probing the backend, unless `all` (nothing can be sent).
	 */
	shouldSpill(now: number, all = false): boolean {
		if (!this.canSpill() || this.life.closing || now < this.spillRetryAt) return false;
		const queue = this.queue;
		const spillable = all ? queue.readyEvents + queue.unsealed() : queue.readyEvents - (queue.ready[0]?.count ?? 0);
		if (spillable <= 0) return false;
		if ((queue.unsealed() + queue.readyEvents) * 2 >= this.options.maxQueuedEvents) return true;
		const failingSince = this.sender.failingSince;
		return (
			failingSince !== undefined &&
			now - failingSince >= this.options.spillAfterSeconds &&
			now >= this.nextOutageSpillAt
		);
	}

	/** Spills live batches (all but the oldest when `keepHead`: it keeps probing the backend). */
	spillLive(keepHead: boolean): void {
		const batches = new Array<SealedBatch>();
		const ready = this.queue.ready;
		for (let i = keepHead ? 1 : 0; i < ready.size(); i++) batches.push(ready[i]);
		const ok = this.spillBatches(batches);
		if (ok) this.nextOutageSpillAt = os.clock() + SPILL_INTERVAL_SECONDS;
		else this.spillRetryAt = os.clock() + 5;
	}

	/**
	 * Writes batches to DataStore in chunks, removing each written batch from the live queue. With a deadline it
	 * waits for write budget until then; without, it stops at the first chunk that cannot be written. Returns
	 * whether everything was written.
	 */
	spillBatches(batches: SealedBatch[], deadline?: number): boolean {
		const queue = this.queue;
		let todo = [...batches];
		while (todo.size() > 0) {
			const { chunks, tooBig } = packChunks(todo, this.maxChunkBytes);
			todo = [];
			for (const batch of tooBig) {
				const halves = splitBatch(batch);
				if (halves && queue.replace(queue.ready, batch, halves)) {
					todo.push(halves[0], halves[1]);
				}
			}
			for (const chunk of chunks) {
				for (;;) {
					const result = this.store.write(this.ids.next(), chunk);
					if (result.ok) break;
					const canWait = result.budget === true && deadline !== undefined && os.clock() + 1 < deadline;
					if (!canWait) {
						this.report.signals.deliveryError.Fire({
							kind: "spill",
							message: result.message,
							willRetry: deadline === undefined,
						});
						return false;
					}
					task.wait(1);
				}
				let events = 0;
				for (const batch of chunk) {
					queue.replace(queue.ready, batch, []);
					events += batch.count;
				}
				this.report.counters.spilled += events;
				if (this.report.debug) print(`[Vantage] ${events} events saved to DataStore`);
			}
		}
		return true;
	}

	// Drain -----------------------------------------------------------------------------------------------------------

	/** The backend answers again after an outage: look for parked chunks now, with a fresh listing. */
	backendRecovered(now: number): void {
		this.nextDrainAt = now;
		this.drainCandidates = [];
	}

	canStartDrain(now: number): boolean {
		return (
			this.canSpill() &&
			!this.life.closing &&
			this.sender.failures === 0 &&
			this.queue.ready.size() === 0 &&
			this.draining === undefined &&
			now >= this.nextDrainAt
		);
	}

	/**
	 * Claims the oldest spill chunk no other server holds; false when there is none (or DataStore is busy). Keys come
	 * from the last listing while it lasts: listing has the smallest budget (5 + 2 × players per minute).
	 */
	startDrain(now: number): boolean {
		if (this.drainCandidates.size() === 0) {
			this.nextDrainAt = now + this.drainInterval;
			const keys = this.store.list(DRAIN_PAGE);
			if (!keys.ok) return false;
			this.drainCandidates = keys.value;
		}
		while (this.drainCandidates.size() > 0) {
			if (this.life.closing) return false;
			const key = this.drainCandidates.shift()!;
			const lease = this.store.lease(key);
			if (!lease.ok) {
				if (!lease.taken) {
					// DataStore busy or failing: try this key again later.
					this.drainCandidates.unshift(key);
					this.nextDrainAt = now + 5;
					return false;
				}
				continue;
			}
			const chunk = this.store.read(key);
			if (!chunk.ok) {
				this.store.release(key);
				this.nextDrainAt = now + 5;
				return false;
			}
			if (chunk.value === undefined || chunk.value.size() === 0) {
				// Drained by another server meanwhile (or empty): only the lease is left to clean.
				this.store.remove(key);
				continue;
			}
			this.draining = { key, batches: chunk.value, leaseUntil: lease.value };
			if (this.report.debug) print(`[Vantage] draining ${key} (${chunk.value.size()} batches)`);
			return true;
		}
		return false;
	}

	/** Unix ms at which a claimed chunk's lease is renewed: when half of it is left. */
	private renewAt(d: Draining): number {
		return d.leaseUntil - (this.leaseSeconds * 1000) / 2;
	}

	/**
	 * Renews the lease on the chunk being drained when half of it is gone, so no other server takes the chunk while
	 * this one holds it. False when the drain cannot go on now: DataStore busy or failing (retried in 5 s), or another
	 * server holds the chunk (this lease lapsed; that server sends the rest).
	 */
	renewLease(d: Draining): boolean {
		if (nowMs() < this.renewAt(d)) return true;
		const lease = this.store.lease(d.key);
		if (lease.ok) {
			d.leaseUntil = lease.value;
			return true;
		}
		if (lease.taken) this.draining = undefined;
		else this.sender.blockedUntil = math.max(this.sender.blockedUntil, os.clock() + 5);
		return false;
	}

	/** Sends the next batch of the claimed chunk; removes the chunk once all are sent. */
	sendDrained(): void {
		const d = this.draining!;
		if (d.batches.size() === 0) {
			const removed = this.store.remove(d.key);
			if (!removed.ok && removed.budget) {
				this.sender.blockedUntil = os.clock() + 5;
				return;
			}
			// A chunk that could not be removed is left to its lease's expiry: a later drain re-sends its batches,
			// which the backend answers from its first answer.
			this.draining = undefined;
			// Straight on to the next chunk of the last listing (or a new listing after an interval).
			if (this.drainCandidates.size() > 0) this.nextDrainAt = os.clock();
			return;
		}
		if (!this.renewLease(d)) return;
		this.sender.send(d.batches[0], d.batches);
	}

	/** Hands the chunk being drained back (shutdown): it stays in DataStore for another server. */
	releaseDraining(): void {
		if (this.draining === undefined) return;
		this.store.release(this.draining.key);
		this.draining = undefined;
	}

	/**
	 * The earliest of `at` and what spill and drain have due (os.clock): an outage spill once there is something to
	 * spill, a look for parked chunks (`canSend` false: HTTP is off), renewing the lease of the chunk being drained.
	 */
	wakeAt(now: number, at: number, canSend: boolean): number {
		const sender = this.sender;
		const spillable = this.canSpill() && !this.life.closing;
		// Spilling, during an outage, once there is something to spill.
		if (spillable && sender.failingSince !== undefined && (this.queue.ready.size() > 1 || sender.cannotSend)) {
			const outageSpill = math.max(this.nextOutageSpillAt, sender.failingSince + this.options.spillAfterSeconds);
			at = math.min(at, math.max(outageSpill, this.spillRetryAt));
		}
		// Looking for spilled chunks, and renewing the lease on the one being drained.
		if (canSend && spillable && sender.failures === 0 && this.draining === undefined) {
			at = math.min(at, math.max(this.nextDrainAt, sender.blockedUntil));
		}
		if (this.draining) at = math.min(at, now + math.max(0, this.renewAt(this.draining) - nowMs()) / 1000);
		return at;
	}
}
