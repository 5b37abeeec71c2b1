// Delivery on the game server, the last stages of the data flow
//
//   track() → consent gate → enrich → queue → batcher → sender ─ HttpService
//   (tracking)  (consent-gate.ts) (queue.ts)           (sender.ts)      ↕ spill/drain (spill-drain.ts)
//
// Tracking records a call only past the consent gate; the worker builds those records into wire events (enrich:
// validation, ids), queues them in memory, seals them into immutable batches on an interval (or as soon as a batch
// is full) and sends one request at a time, within a request budget. Failures are retried with capped exponential
// backoff and full jitter (or after Retry-After); a long outage and the shutdown (shutdown.ts) move batches to
// DataStore, and every server drains what any server parked there. This file composes the parts and runs the worker.
//
// The worker's loop, one step at a time (`step`):
//   1. HTTP requests off or no game key (first-run.ts) → nothing can be sent: one warning, events wait (bounded); in
//      a live game they spill. A dry run skips this: it sends nothing anyway, and settles batches in step 5;
//   2. build tracking's deferred records into events (validation, ids: DeferredEvents), then seal queued events into
//      batches when the interval is up, a batch is full, or flush() asked;
//   3. spill to DataStore: after `spillAfterSeconds` of failures, or when memory passes half of `maxQueuedEvents`;
//   4. blocked by backoff, Retry-After or the request budget → sleep until then;
//   5. send the oldest live batch;
//   6. else send the next batch of a claimed spill chunk, or claim one (at most every `drainIntervalSeconds`, and
//      right after an outage ends);
//   7. else sleep until the next thing due (enqueue, flush() and shutdown() wake it early).
import { HttpService, RunService } from "@rbxts/services";
import { IdGenerator, prefixFromGuid } from "../../shared/ids";
import { WireEvent } from "../../shared/protocol";
import {
	DeferredEvents,
	DeliveryDeps,
	DeliverySignals,
	DeliveryStats,
	DeliveryWarnings,
	EventSink,
	Lifecycle,
	nowMs,
} from "./contracts";
import { DeliveryOptions } from "./options";
import { DeliveryQueue } from "./queue";
import { DeliveryReport } from "./report";
import { BatchSender } from "./sender";
import { shutDown } from "./shutdown";
import { SpillDrain } from "./spill-drain";

export type {
	DeferredEvents,
	DeliveryDeps,
	DeliveryError,
	DeliverySignals,
	DeliveryStats,
	EventSink,
	RejectedEvent,
} from "./contracts";

/** Queues events and delivers them to the backend in batches, without losing any (see the file comment). */
export class DeliveryPipeline implements EventSink {
	/** `eventsDropped`, `eventsRejected`, `deliveryError`. */
	readonly signals: DeliverySignals;

	private readonly life: Lifecycle = { closing: false, stopped: false, closed: false };
	private readonly report: DeliveryReport;
	private readonly queue: DeliveryQueue;
	private readonly sender: BatchSender;
	private readonly spill: SpillDrain;

	private worker?: thread;
	private sleeper?: thread;
	private sleepTimer?: thread;
	/** wake() was called while the worker was busy: it looks again before sleeping. */
	private wakePending = false;
	private waiters = new Array<thread>();

	constructor(
		private readonly options: DeliveryOptions,
		warnings: DeliveryWarnings,
		private readonly deps: DeliveryDeps = {},
	) {
		// One generator for batch ids and chunk keys: both must be unique across this server.
		const ids = new IdGenerator(prefixFromGuid(HttpService.GenerateGUID(false)), nowMs);
		const isStudio = deps.isStudio ?? RunService.IsStudio();
		const jobId = game.JobId;
		const serverId = deps.serverId ?? (jobId !== "" ? jobId : HttpService.GenerateGUID(false));
		this.report = new DeliveryReport(warnings, options.debug, deps.signals);
		this.signals = this.report.signals;
		this.queue = new DeliveryQueue(options, ids, this.report, this.life);
		this.sender = new BatchSender(options, deps, isStudio, this.queue, this.report, (now) =>
			this.spill.backendRecovered(now),
		);
		this.spill = new SpillDrain(
			options,
			deps,
			serverId,
			// Studio never spills, and a dry run keeps everything local (it must not drain other servers' batches).
			isStudio || options.dryRun,
			ids,
			this.queue,
			this.sender,
			this.report,
			this.life,
		);
	}

	// Public ------------------------------------------------------------------------------------------------------

	/** Starts the worker (and binds {@link shutdown} to BindToClose unless told not to). */
	start(): void {
		if (this.worker !== undefined || this.life.stopped) return;
		this.queue.lastSealAt = os.clock();
		this.worker = task.spawn(() => this.run());
		// BindToClose: at most 30 s before the server shuts down.
		if (this.deps.bindToClose !== false) game.BindToClose(() => this.shutdown());
	}

	/** Queues one event (past the consent gate). Never yields, never throws. */
	enqueue(event: WireEvent): void {
		if (this.life.closed) {
			this.report.drop(1, "the server had already shut down");
			return;
		}
		// Runs once per tracked event: locals and plain indexing (see queued()), and no wake() while one is pending.
		const queue = this.queue;
		const pending = queue.pending;
		const size = pending.size() + 1;
		pending[size - 1] = event;
		const queued = size + queue.sealing + queue.readyEvents;
		const max = this.options.maxQueuedEvents;
		if (this.options.debug) this.report.queued(pending, size - 1);
		if (queued > max) queue.evict();
		if ((size >= queue.fullBatch || queued * 2 >= max) && !this.wakePending) this.wake();
	}

	attach(source: DeferredEvents): void {
		this.queue.deferred = source;
		this.rewatch();
	}

	/**
	 * Seals what is queued and waits (yielding) until it is sent (in a dry run: settled locally), or until sending has
	 * to wait (backoff, budget, HTTP off, no game key). Returns whether nothing is left in memory.
	 */
	flush(): boolean {
		if (this.life.closing || this.worker === undefined) return this.queue.queued() === 0;
		this.queue.sealRequested = true;
		this.waiters.push(coroutine.running());
		this.wake();
		coroutine.yield();
		return this.queue.queued() === 0;
	}

	/**
	 * For BindToClose (start() binds it): seals everything, keeps sending while the backend answers and time allows,
	 * then writes what is left to DataStore for another server to send. Yields; finishes within 27 s. Idempotent: a
	 * second call waits for the first.
	 */
	shutdown(): void {
		shutDown({
			life: this.life,
			queue: this.queue,
			sender: this.sender,
			spill: this.spill,
			report: this.report,
			workerRunning: () => this.worker !== undefined,
			wake: () => this.wake(),
			onClosed: () => {
				this.queue.collect();
				this.rewatch();
				this.resumeWaiters();
			},
		});
	}

	/** Stops the worker without spilling (tests; the server's own shutdown goes through {@link shutdown}). */
	stop(): void {
		this.life.stopped = true;
		this.wake();
		this.resumeWaiters();
	}

	stats(): DeliveryStats {
		const counters = this.report.counters;
		return {
			queued: this.queue.queued(),
			sent: counters.sent,
			rejected: counters.rejected,
			dropped: counters.dropped,
			failedRequests: counters.failedRequests,
			retried: counters.retried,
			spilled: counters.spilled,
			drained: counters.drained,
			requestsLastMinute: this.sender.budget.used(),
			dryRunBatches: counters.dryRunBatches,
			dryRunEvents: counters.dryRunEvents,
		};
	}

	// Worker ------------------------------------------------------------------------------------------------------

	/**
	 * Tells tracking when its records need the pipeline (what enqueue checks per event): a full batch or half the
	 * memory cap wakes the worker, past the cap evicts, after shutdown drops.
	 */
	private rewatch(): void {
		const queue = this.queue;
		const deferred = queue.deferred;
		if (deferred === undefined) return;
		if (this.life.closed) {
			deferred.watch(1, () => {
				queue.collect();
				this.rewatch();
			});
			return;
		}
		const max = this.options.maxQueuedEvents;
		const other = queue.pending.size() + queue.sealing + queue.readyEvents;
		const overCap = max - other + 1;
		if (this.wakePending) {
			deferred.watch(overCap, () => this.deferredReached());
			return;
		}
		// Debugging: wake for every record, so each event is printed as it is queued rather than at the next seal.
		const wakeAt = this.options.debug
			? 1
			: math.min(queue.fullBatch - queue.pending.size(), math.ceil(max / 2) - other);
		deferred.watch(math.min(wakeAt, overCap), () => this.deferredReached());
	}

	private deferredReached(): void {
		if (this.life.closed || this.queue.queued() > this.options.maxQueuedEvents) this.queue.collect();
		else if (!this.wakePending) this.wake();
		this.rewatch();
	}

	private run(): void {
		while (!this.life.stopped) {
			const [ok, result] = pcall(() => this.step());
			this.rewatch();
			if (this.life.stopped) break;
			let pause = 5;
			if (ok) pause = result as number;
			else this.report.warnings.warn(`delivery hit an internal error and carries on (${result})`);
			if (pause > 0 && this.wakePending) {
				this.wakePending = false;
				continue;
			}
			if (pause > 0) {
				this.resumeWaiters();
				this.sleep(pause);
			}
		}
		this.worker = undefined;
		this.resumeWaiters();
	}

	/** One unit of work; returns seconds to sleep (0: more work now). */
	private step(): number {
		const { queue, sender, spill } = this;
		// The time before building: the seal below decides as if the records had been queued one by one.
		const now = os.clock();
		queue.collectSpread();
		// 1. HTTP off or no game key
		if (!this.options.dryRun && sender.checkCannotSend()) {
			sender.failingSince ??= now;
			if (spill.shouldSpill(now, true)) {
				queue.sealPending();
				spill.spillLive(false);
			}
			return math.max(0.1, math.min(sender.gate.checkAt, this.nextWake(now, false)) - now);
		}
		// 2. seal
		const flushDue = now - queue.lastSealAt >= this.options.flushSeconds;
		if (queue.pending.size() > 0 && (queue.sealRequested || flushDue)) {
			queue.sealPending(false, true);
		} else if (queue.pending.size() >= queue.fullBatch) {
			queue.sealPending(true, true);
		} else if (queue.pending.size() === 0 && flushDue) queue.lastSealAt = now;
		// 3. spill
		if (spill.shouldSpill(now)) spill.spillLive(true);
		if (this.life.closing) spill.releaseDraining();
		// A claimed chunk keeps its lease while the worker waits (backoff, budget) as well as while it sends.
		if (spill.draining && !spill.renewLease(spill.draining)) return spill.draining ? 5 : 0;
		// 4. blocked
		if (now < sender.blockedUntil) return math.max(0.01, this.nextWake(now) - now);
		// 5. live batches
		if (queue.ready.size() > 0) {
			sender.send(queue.ready[0], queue.ready);
			return 0;
		}
		// 6. spilled batches
		if (spill.draining) {
			spill.sendDrained();
			return 0;
		}
		if (spill.canStartDrain(now) && spill.startDrain(now)) return 0;
		// 7. idle
		if ((queue.sealRequested && queue.unsealed() > 0) || queue.unsealed() >= queue.fullBatch) return 0;
		queue.sealRequested = false;
		return math.max(0.01, this.nextWake(now) - now);
	}

	/** The next time (os.clock) something is due without outside help (`canSend` false: HTTP is off). */
	private nextWake(now: number, canSend = true): number {
		// Sealing: every flushSeconds.
		let at = this.queue.lastSealAt + this.options.flushSeconds;
		if (at <= now) at = now + this.options.flushSeconds;
		// Sending again after backoff, Retry-After or the budget.
		const blockedUntil = this.sender.blockedUntil;
		if (blockedUntil > now) at = math.min(at, blockedUntil);
		// Spilling during an outage, looking for parked chunks, renewing a drain's lease.
		return this.spill.wakeAt(now, at, canSend);
	}

	private sleep(seconds: number): void {
		this.wakePending = false;
		const me = coroutine.running();
		this.sleeper = me;
		this.sleepTimer = task.delay(seconds, () => {
			this.sleepTimer = undefined;
			if (this.sleeper === me) {
				this.sleeper = undefined;
				task.spawn(me);
			}
		});
		coroutine.yield();
	}

	/** Wakes a sleeping worker (deferred, so callers such as enqueue never run delivery work themselves). */
	private wake(): void {
		const sleeper = this.sleeper;
		if (sleeper === undefined) {
			this.wakePending = true;
			return;
		}
		this.sleeper = undefined;
		if (this.sleepTimer !== undefined) {
			task.cancel(this.sleepTimer);
			this.sleepTimer = undefined;
		}
		task.defer(sleeper);
	}

	private resumeWaiters(): void {
		if (this.waiters.size() === 0) return;
		const waiters = this.waiters;
		this.waiters = [];
		for (const waiter of waiters) if (coroutine.status(waiter) === "suspended") task.spawn(waiter);
	}
}
