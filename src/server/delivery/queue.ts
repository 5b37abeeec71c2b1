// The in-memory queue and the batcher: wire events waiting (`pending`), tracking's records built into them by the
// worker (enrich: validation, ids), sealed into immutable batches (`ready`), and the memory bound (oldest-first
// eviction). Nothing here sends or touches DataStore; the pipeline's worker decides when each step runs.
import { IdGenerator } from "../../shared/ids";
import { WireEvent } from "../../shared/protocol";
import { ENVELOPE_BYTES, SealedBatch, sealBatches } from "./batch";
import { DeferredEvents, Lifecycle } from "./contracts";
import { DeliveryOptions } from "./options";
import { DeliveryReport } from "./report";

/** Groups of events (100 each, see sealBatches) the worker encodes per frame. */
const SEAL_GROUPS_PER_FRAME = 20;
/** Tracking records the worker builds per frame (validation, ids, wire events), so a big build spreads over frames. */
const BUILD_PER_FRAME = 2000;

export class DeliveryQueue {
	/** Wire events not sealed yet (read and filled by the pipeline's enqueue, the hot path). */
	pending = new Array<WireEvent>();
	/** Tracking's records, built into `pending` by the worker (collect). */
	deferred?: DeferredEvents;
	/** Sealed batches, oldest first: the live queue the sender takes from and the spill moves to DataStore. */
	ready = new Array<SealedBatch>();
	readyEvents = 0;
	/** Events being sealed by the worker (between frames), not yet in `ready`. */
	sealing = 0;
	/** The batch the sender has on the wire (never evicted). */
	inFlight?: SealedBatch;
	/** Events that fill a batch at the average event size so far (see eventsPerBatch). */
	fullBatch: number;
	lastSealAt: number;
	/** flush() or shutdown() asked for everything to be sealed. */
	sealRequested = false;
	private avgEventBytes = 250;

	constructor(
		private readonly options: DeliveryOptions,
		private readonly ids: IdGenerator,
		private readonly report: DeliveryReport,
		private readonly life: Lifecycle,
	) {
		this.lastSealAt = os.clock();
		this.fullBatch = this.eventsPerBatch();
	}

	queued(): number {
		return this.pending.size() + (this.deferred?.waiting() ?? 0) + this.sealing + this.readyEvents;
	}

	/** Events not sealed yet: queued, and recorded by tracking. */
	unsealed(): number {
		return this.pending.size() + (this.deferred?.waiting() ?? 0);
	}

	/** Builds tracking's records into `pending` (worker side: validation and ids happen here). */
	collect(): void {
		const deferred = this.deferred;
		if (deferred === undefined || deferred.waiting() === 0) return;
		if (this.life.closed) {
			const late = new Array<WireEvent>();
			deferred.buildInto(late);
			if (late.size() > 0) this.report.drop(late.size(), "the server had already shut down");
			return;
		}
		const from = this.pending.size();
		deferred.buildInto(this.pending);
		if (this.report.debug) this.report.queued(this.pending, from);
		if (this.queued() > this.options.maxQueuedEvents) this.evict();
	}

	/** The worker's {@link collect}: at most BUILD_PER_FRAME records a frame, yielding in between. */
	collectSpread(): void {
		const deferred = this.deferred;
		if (deferred === undefined || this.life.closed) return this.collect();
		while (deferred.waiting() > 0) {
			// Shutting down: everything at once (shutdown seals right after).
			if (this.life.stopped || this.life.closing) return this.collect();
			const from = this.pending.size();
			deferred.buildInto(this.pending, BUILD_PER_FRAME);
			if (this.report.debug) this.report.queued(this.pending, from);
			if (this.queued() > this.options.maxQueuedEvents) this.evict();
			if (deferred.waiting() > 0) task.wait();
		}
	}

	/** How many events make a full batch (by count, or by bytes at the average event size so far). */
	eventsPerBatch(): number {
		const byBytes = math.floor((this.options.maxBatchBytes - ENVELOPE_BYTES) / this.avgEventBytes);
		return math.max(1, math.min(this.options.maxBatchEvents, byBytes));
	}

	/**
	 * Seals queued events into batches: all of them, or (`onlyFull`) as many as fill whole batches. The worker seals
	 * `spread` over frames (HttpService:JSONEncode of a 2 MB batch would otherwise stall one server frame); events
	 * queued meanwhile wait for the next seal.
	 */
	sealPending(onlyFull = false, spread = false): void {
		this.collect();
		let events = this.pending;
		if (onlyFull) {
			const perBatch = this.eventsPerBatch();
			const take = events.size() - (events.size() % perBatch);
			if (take === 0) return;
			const rest = new Array<WireEvent>();
			const taken = new Array<WireEvent>();
			for (let i = 0; i < events.size(); i++) (i < take ? taken : rest).push(events[i]);
			this.pending = rest;
			events = taken;
			// The interval restarts: the few events left arrived just now, and sealing them on the old interval
			// would send a small batch right behind the full one.
			this.lastSealAt = os.clock();
		} else {
			this.lastSealAt = os.clock();
			this.sealRequested = false;
			if (events.size() === 0) return;
			this.pending = [];
		}
		this.sealing += events.size();
		let groups = 0;
		const [ok, result] = pcall(() =>
			sealBatches(
				events,
				this.options.maxBatchEvents,
				this.options.maxBatchBytes,
				() => this.ids.next(),
				spread ? () => ++groups % SEAL_GROUPS_PER_FRAME === 0 && task.wait() : undefined,
			),
		);
		this.sealing -= events.size();
		if (!ok) {
			// Never lose them to an encoding error: back to the queue, and the error to the worker's handler.
			for (const e of this.pending) events.push(e);
			this.pending = events;
			error(result, 0);
		}
		let bytes = 0;
		for (const batch of result as SealedBatch[]) {
			this.ready.push(batch);
			this.readyEvents += batch.count;
			bytes += batch.eventsJson.size();
		}
		this.avgEventBytes = math.max(50, bytes / events.size());
		this.fullBatch = this.eventsPerBatch();
	}

	/** Memory is full: drop the oldest events (whole batches first, never the one being sent). */
	evict(): void {
		const target = math.floor(this.options.maxQueuedEvents * 0.99);
		let dropped = 0;
		while (this.queued() > target) {
			const index = this.ready.findIndex((b) => b !== this.inFlight);
			if (index >= 0) {
				const batch = this.ready.remove(index)!;
				this.readyEvents -= batch.count;
				dropped += batch.count;
				continue;
			}
			// No batch left to drop (events being sealed cannot be): the oldest queued events go.
			const excess = math.min(this.pending.size(), this.queued() - target);
			if (excess <= 0) break;
			const kept = new Array<WireEvent>();
			for (let i = excess; i < this.pending.size(); i++) kept.push(this.pending[i]);
			this.pending = kept;
			dropped += excess;
		}
		if (dropped > 0) this.report.drop(dropped, "the in-memory queue was full (maxQueuedEvents)");
	}

	/**
	 * Replaces `batch` in `list` (the live queue or a drained chunk) by `replacement`; false when it is no longer
	 * there (spilled or evicted meanwhile).
	 */
	replace(list: SealedBatch[], batch: SealedBatch, replacement: SealedBatch[]): boolean {
		const index = list.indexOf(batch);
		if (index < 0) return false;
		list.remove(index);
		for (let i = replacement.size() - 1; i >= 0; i--) list.insert(index, replacement[i]);
		if (list === this.ready) {
			let added = 0;
			for (const b of replacement) added += b.count;
			this.readyEvents += added - batch.count;
		}
		return true;
	}

	/** Gives up every live batch (shutdown, when they could neither be sent nor spilled); returns their events. */
	clearReady(): number {
		const lost = this.readyEvents;
		this.ready = [];
		this.readyEvents = 0;
		return lost;
	}
}
