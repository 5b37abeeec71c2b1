// Delivery on the game server: events from tracking are queued in memory, sealed into immutable batches on an
// interval (or as soon as a batch is full), and sent one request at a time by one worker thread, within a request
// budget. Failures are retried with capped exponential backoff and full jitter (or after Retry-After); a long outage
// and the shutdown move batches to DataStore, and every server drains what any server parked there.
//
// The worker's loop, one step at a time (`step`):
//   1. HttpService disabled → nothing can be sent: one warning, events wait (bounded); in a live game they spill.
//   2. build tracking's deferred records into events (validation, ids: DeferredEvents), then seal queued events into
//      batches when the interval is up, a batch is full, or flush() asked;
//   3. spill to DataStore: after `spillAfterSeconds` of failures, or when memory passes half of `maxQueuedEvents`;
//   4. blocked by backoff, Retry-After or the request budget → sleep until then;
//   5. send the oldest live batch;
//   6. else send the next batch of a claimed spill chunk, or claim one (at most every `drainIntervalSeconds`, and
//      right after an outage ends);
//   7. else sleep until the next thing due (enqueue, flush() and shutdown() wake it early).
import { HttpService, RunService } from "@rbxts/services";
import Signal from "@rbxts/signal";
import { IdGenerator, prefixFromGuid } from "../../shared/ids";
import { WireEvent } from "../../shared/protocol";
import { backoffSeconds } from "./backoff";
import { batchBody, decodeEvents, ENVELOPE_BYTES, SealedBatch, sealBatches, splitBatch } from "./batch";
import { DeliveryOptions } from "./options";
import { RequestBudget } from "./request-budget";
import { MAX_CHUNK_BYTES, packChunks, SpillStore } from "./spill-store";
import { TokenProvider } from "./token-provider";
import { BatchTransport, RejectedByIndex, SendOutcome } from "./transport";

/** Delivery counters, part of `Vantage.stats()`. */
export interface DeliveryStats {
	/** Events waiting in memory on this server. */
	queued: number;
	/** Events the backend acknowledged (stored, or already stored by an earlier attempt). */
	sent: number;
	/** Events the backend refused as invalid (reported through `eventsRejected`). */
	rejected: number;
	/** Events given up: queue overflow past a spill attempt, batches the backend refuses (400/403/415), events a
	 * shutdown could neither send nor spill (each reported through `eventsDropped`). */
	dropped: number;
	/** Requests that failed (network errors, 5xx, 429, refused tokens); their events are kept and retried. */
	failedRequests: number;
	/** Requests that re-sent a batch after a failure. */
	retried: number;
	/** Events this server moved to DataStore (outage, memory pressure or shutdown). */
	spilled: number;
	/** Events this server took back from DataStore (from any server) and the backend acknowledged. */
	drained: number;
	/** HTTP requests Vantage made in the last 60 seconds (tokens, batches, retries). */
	requestsLastMinute: number;
}

/**
 * Events recorded cheaply by tracking at call time and built into wire events (validated, with ids) by the worker when
 * it seals, off the game's hot path. The pipeline counts them as queued.
 */
export interface DeferredEvents {
	/** Records waiting to be built. */
	waiting(): number;
	/** Builds the oldest waiting records (at most `max`), in order, into `out` (refusing invalid ones). Never yields. */
	buildInto(out: WireEvent[], max?: number): void;
	/** Calls `onReached` (once, on the recording thread) when `waiting()` reaches `at`. */
	watch(at: number, onReached: () => void): void;
}

/** Where tracking hands events; never yields, never throws. */
export interface EventSink {
	enqueue(event: WireEvent): void;
	/** Takes `source`'s records as queued events (one source per sink). */
	attach(source: DeferredEvents): void;
}

/** An event the backend refused as invalid (the rest of its batch was stored). */
export interface RejectedEvent {
	id: string;
	type: string;
	name: string;
	/** The backend's reason code, e.g. "invalid_event". */
	code: string;
	message: string;
}

/** A failed delivery step, for the `deliveryError` signal. */
export interface DeliveryError {
	/** `network`, `server` (5xx/429/other status), `auth` (game key refused or missing), `roblox-budget` (HttpService's
	 * 500/min used up), `disabled` (HTTP requests off), `refused` (the backend will never take a batch), `spill`
	 * (DataStore write or drain failed). */
	kind: string;
	/** HTTP status, when there was one. */
	status?: number;
	message: string;
	/** Whether the events involved are kept and tried again. */
	willRetry: boolean;
}

/** The signals a game can listen to (exposed as `Vantage.eventsDropped` and friends). */
export interface DeliverySignals {
	/** `(count, reason)` whenever events are given up for good. */
	eventsDropped: Signal<(count: number, reason: string) => void>;
	/** `(events)` when the backend refused events of a batch as invalid. */
	eventsRejected: Signal<(events: RejectedEvent[]) => void>;
	/** `(error)` for every failed request or spill attempt. */
	deliveryError: Signal<(error: DeliveryError) => void>;
}

/** Seams for tests and wiring; every default is what a game server uses. */
export interface DeliveryDeps {
	/** Bind {@link DeliveryPipeline.shutdown} to game:BindToClose in start(). @default true */
	bindToClose?: boolean;
	/** Studio never spills (Studio's DataStore writes would reach the live experience). @default RunService:IsStudio() */
	isStudio?: boolean;
	/** This server in spill leases. @default game.JobId (a GUID when empty, as in Studio) */
	serverId?: string;
	/** Uniform in [0, 1), for backoff jitter. @default math.random */
	random?: () => number;
	/** @default 2 */
	backoffBaseSeconds?: number;
	/** @default 60 */
	backoffCapSeconds?: number;
	/** Seconds a spill chunk stays leased to the server draining it (renewed before each batch). @default 120 */
	leaseSeconds?: number;
	/** Seconds between looks for spilled chunks while healthy. @default 120 */
	drainIntervalSeconds?: number;
	/** DataStore requests of each type always left to the game. @default 10 */
	dataStoreReserve?: number;
	/** Target serialized size of a spill chunk (DataStore values: at most 4 MB). @default 3500000 */
	maxChunkBytes?: number;
	/** Signals to fire (e.g. the public ones); missing ones are created. */
	signals?: Partial<DeliverySignals>;
}

/** BindToClose allows 30 s; Vantage keeps a margin for the other callbacks' last moments. */
const SHUTDOWN_SECONDS = 27;
/** Of those, the time kept for writing to DataStore whatever could not be sent. */
const SHUTDOWN_SPILL_SECONDS = 12;
/** Seconds between spills during an outage, so the game keeps its DataStore write budget. */
const SPILL_INTERVAL_SECONDS = 30;
/** Chunk keys looked at per drain pass. */
const DRAIN_PAGE = 20;
/** Groups of events (100 each, see sealBatches) the worker encodes per frame. */
const SEAL_GROUPS_PER_FRAME = 20;
/** Tracking records the worker builds per frame (validation, ids, wire events), so a big build spreads over frames. */
const BUILD_PER_FRAME = 2000;
/** Seconds between checks of HttpService.HttpEnabled while it is off. */
const HTTP_RECHECK_SECONDS = 30;

function nowMs(): number {
	return DateTime.now().UnixTimestampMillis;
}

interface Draining {
	key: string;
	batches: SealedBatch[];
	leaseUntil: number;
}

/** Queues events and delivers them to the backend in batches, without losing any (see the file comment). */
export class DeliveryPipeline implements EventSink {
	/** `eventsDropped`, `eventsRejected`, `deliveryError`. */
	readonly signals: DeliverySignals;

	private pending = new Array<WireEvent>();
	/** Tracking's records, built into `pending` by the worker (collect). */
	private deferred?: DeferredEvents;
	private ready = new Array<SealedBatch>();
	private readyEvents = 0;
	/** Events being sealed by the worker (between frames), not yet in `ready`. */
	private sealing = 0;
	private inFlight?: SealedBatch;
	private draining?: Draining;
	/** Chunk keys from the last listing not tried yet. */
	private drainCandidates = new Array<string>();
	private avgEventBytes = 250;
	/** Events that fill a batch at the average event size so far (see eventsPerBatch). */
	private fullBatch: number;

	private lastSealAt: number;
	private sealRequested = false;
	private failures = 0;
	private failingSince?: number;
	private blockedUntil = 0;
	private httpDisabled = false;
	private httpCheckAt = 0;
	/** Earliest next spill during an outage, and after a failed spill. */
	private nextOutageSpillAt = 0;
	private spillRetryAt = 0;
	private nextDrainAt = 0;

	private worker?: thread;
	private sleeper?: thread;
	private sleepTimer?: thread;
	/** wake() was called while the worker was busy: it looks again before sleeping. */
	private wakePending = false;
	private waiters = new Array<thread>();
	private stopped = false;
	private closing = false;
	private closed = false;

	private readonly ids: IdGenerator;
	private readonly budget: RequestBudget;
	private readonly transport: BatchTransport;
	private readonly spill: SpillStore;
	private readonly isStudio: boolean;
	private readonly random: () => number;
	private readonly backoffBase: number;
	private readonly backoffCap: number;
	private readonly leaseSeconds: number;
	private readonly drainInterval: number;
	private readonly counters = {
		sent: 0,
		rejected: 0,
		dropped: 0,
		failedRequests: 0,
		retried: 0,
		spilled: 0,
		drained: 0,
	};

	constructor(
		private readonly options: DeliveryOptions,
		private readonly warnings: { warn(message: string): void },
		private readonly deps: DeliveryDeps = {},
	) {
		this.ids = new IdGenerator(prefixFromGuid(HttpService.GenerateGUID(false)), nowMs);
		this.budget = new RequestBudget(options.maxRequestsPerMinute);
		const tokens = new TokenProvider(
			`${options.endpoint}/v1/oauth/token`,
			options.gameKeySecret,
			"ingest",
			this.budget,
		);
		this.transport = new BatchTransport(`${options.endpoint}/v1/batches`, tokens, this.budget);
		this.isStudio = deps.isStudio ?? RunService.IsStudio();
		this.random = deps.random ?? (() => math.random());
		this.backoffBase = deps.backoffBaseSeconds ?? 2;
		this.backoffCap = deps.backoffCapSeconds ?? 60;
		this.leaseSeconds = deps.leaseSeconds ?? 120;
		this.drainInterval = deps.drainIntervalSeconds ?? 120;
		const jobId = game.JobId;
		const serverId = deps.serverId ?? (jobId !== "" ? jobId : HttpService.GenerateGUID(false));
		this.spill = new SpillStore(options.spillStore, serverId, this.leaseSeconds, deps.dataStoreReserve ?? 10, nowMs);
		this.signals = {
			eventsDropped: deps.signals?.eventsDropped ?? new Signal(),
			eventsRejected: deps.signals?.eventsRejected ?? new Signal(),
			deliveryError: deps.signals?.deliveryError ?? new Signal(),
		};
		this.lastSealAt = os.clock();
		this.fullBatch = this.eventsPerBatch();
	}

	// Public ------------------------------------------------------------------------------------------------------

	/** Starts the worker (and binds {@link shutdown} to BindToClose unless told not to). */
	start(): void {
		if (this.worker !== undefined || this.stopped) return;
		this.lastSealAt = os.clock();
		this.worker = task.spawn(() => this.run());
		// BindToClose: at most 30 s before the server shuts down.
		if (this.deps.bindToClose !== false) game.BindToClose(() => this.shutdown());
	}

	/** Queues one event. Never yields, never throws. */
	enqueue(event: WireEvent): void {
		if (this.closed) {
			this.drop(1, "the server had already shut down");
			return;
		}
		// Runs once per tracked event: locals and plain indexing (see queued()), and no wake() while one is pending.
		const pending = this.pending;
		const size = pending.size() + 1;
		pending[size - 1] = event;
		const queued = size + this.sealing + this.readyEvents;
		const max = this.options.maxQueuedEvents;
		if (queued > max) this.evict();
		if ((size >= this.fullBatch || queued * 2 >= max) && !this.wakePending) this.wake();
	}

	attach(source: DeferredEvents): void {
		this.deferred = source;
		this.rewatch();
	}

	/**
	 * Seals what is queued and waits (yielding) until it is sent, or until sending has to wait (backoff, budget,
	 * HttpService disabled). Returns whether nothing is left in memory.
	 */
	flush(): boolean {
		if (this.closing || this.worker === undefined) return this.queued() === 0;
		this.sealRequested = true;
		this.waiters.push(coroutine.running());
		this.wake();
		coroutine.yield();
		return this.queued() === 0;
	}

	/**
	 * For BindToClose (start() binds it): seals everything, keeps sending while the backend answers and time allows,
	 * then writes what is left to DataStore for another server to send. Yields; finishes within 27 s. Idempotent: a
	 * second call waits for the first.
	 */
	shutdown(): void {
		if (this.closing) {
			while (!this.closed) task.wait(0.1);
			return;
		}
		this.closing = true;
		const deadline = os.clock() + SHUTDOWN_SECONDS;
		// Let whatever ends sessions at shutdown (PlayerRemoving, other BindToClose functions) queue its events first.
		task.wait();
		this.sealRequested = true;
		this.wake();
		// 1. While the backend answers, keep sending; leave time for the spill.
		while (
			!this.httpDisabled &&
			this.failures === 0 &&
			this.worker !== undefined &&
			this.unsealed() + this.ready.size() > 0 &&
			os.clock() < deadline - SHUTDOWN_SPILL_SECONDS
		) {
			this.wake();
			task.wait(0.1);
		}
		// 2. Stop the worker (a request in flight finishes on its own) and park the rest in DataStore.
		this.stopped = true;
		this.wake();
		while (this.sealing > 0) task.wait();
		this.sealPending();
		if (this.draining) {
			// Not finished: the chunk stays in DataStore for another server.
			this.spill.release(this.draining.key);
			this.draining = undefined;
		}
		if (this.ready.size() > 0 && this.canSpill()) this.spillBatches(this.ready, deadline);
		if (this.ready.size() > 0) {
			const lost = this.readyEvents;
			const reason = this.canSpill()
				? "neither sent nor saved to DataStore before shutdown"
				: "not sent before shutdown (HTTP off in Studio)";
			this.ready = [];
			this.readyEvents = 0;
			this.drop(lost, reason);
		}
		this.closed = true;
		this.collect();
		this.rewatch();
		this.resumeWaiters();
	}

	/** Stops the worker without spilling (tests; the server's own shutdown goes through {@link shutdown}). */
	stop(): void {
		this.stopped = true;
		this.wake();
		this.resumeWaiters();
	}

	stats(): DeliveryStats {
		return {
			queued: this.queued(),
			sent: this.counters.sent,
			rejected: this.counters.rejected,
			dropped: this.counters.dropped,
			failedRequests: this.counters.failedRequests,
			retried: this.counters.retried,
			spilled: this.counters.spilled,
			drained: this.counters.drained,
			requestsLastMinute: this.budget.used(),
		};
	}

	// Worker ------------------------------------------------------------------------------------------------------

	private queued(): number {
		return this.pending.size() + (this.deferred?.waiting() ?? 0) + this.sealing + this.readyEvents;
	}

	/** Events not sealed yet: queued, and recorded by tracking. */
	private unsealed(): number {
		return this.pending.size() + (this.deferred?.waiting() ?? 0);
	}

	/** Builds tracking's records into `pending` (worker side: validation and ids happen here). */
	private collect(): void {
		const deferred = this.deferred;
		if (deferred === undefined || deferred.waiting() === 0) return;
		if (this.closed) {
			const late = new Array<WireEvent>();
			deferred.buildInto(late);
			if (late.size() > 0) this.drop(late.size(), "the server had already shut down");
			return;
		}
		deferred.buildInto(this.pending);
		if (this.queued() > this.options.maxQueuedEvents) this.evict();
	}

	/** The worker's {@link collect}: at most BUILD_PER_FRAME records a frame, yielding in between. */
	private collectSpread(): void {
		const deferred = this.deferred;
		if (deferred === undefined || this.closed) return this.collect();
		while (deferred.waiting() > 0) {
			// Shutting down: everything at once (shutdown seals right after).
			if (this.stopped || this.closing) return this.collect();
			deferred.buildInto(this.pending, BUILD_PER_FRAME);
			if (this.queued() > this.options.maxQueuedEvents) this.evict();
			if (deferred.waiting() > 0) task.wait();
		}
	}

	/**
	 * Tells tracking when its records need the pipeline (what enqueue checks per event): a full batch or half the
	 * memory cap wakes the worker, past the cap evicts, after shutdown drops.
	 */
	private rewatch(): void {
		const deferred = this.deferred;
		if (deferred === undefined) return;
		if (this.closed) {
			deferred.watch(1, () => {
				this.collect();
				this.rewatch();
			});
			return;
		}
		const max = this.options.maxQueuedEvents;
		const other = this.pending.size() + this.sealing + this.readyEvents;
		const overCap = max - other + 1;
		if (this.wakePending) {
			deferred.watch(overCap, () => this.deferredReached());
			return;
		}
		const wakeAt = math.min(this.fullBatch - this.pending.size(), math.ceil(max / 2) - other);
		deferred.watch(math.min(wakeAt, overCap), () => this.deferredReached());
	}

	private deferredReached(): void {
		if (this.closed || this.queued() > this.options.maxQueuedEvents) this.collect();
		else if (!this.wakePending) this.wake();
		this.rewatch();
	}

	private run(): void {
		while (!this.stopped) {
			const [ok, result] = pcall(() => this.step());
			this.rewatch();
			if (this.stopped) break;
			let pause = 5;
			if (ok) pause = result as number;
			else this.warnings.warn(`delivery hit an internal error and carries on (${result})`);
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
		// The time before building: the seal below decides as if the records had been queued one by one.
		const now = os.clock();
		this.collectSpread();
		// 1. HttpService disabled
		if (this.checkHttpDisabled(now)) {
			this.failingSince ??= now;
			if (this.shouldSpill(now, true)) {
				this.sealPending();
				this.spillLive(false);
			}
			return math.max(0.1, math.min(this.httpCheckAt, this.nextWake(now, false)) - now);
		}
		// 2. seal
		if (this.pending.size() > 0 && (this.sealRequested || now - this.lastSealAt >= this.options.flushSeconds)) {
			this.sealPending(false, true);
		} else if (this.pending.size() >= this.fullBatch) {
			this.sealPending(true, true);
		} else if (this.pending.size() === 0 && now - this.lastSealAt >= this.options.flushSeconds) this.lastSealAt = now;
		// 3. spill
		if (this.shouldSpill(now)) this.spillLive(true);
		if (this.closing && this.draining) {
			this.spill.release(this.draining.key);
			this.draining = undefined;
		}
		// A claimed chunk keeps its lease while the worker waits (backoff, budget) as well as while it sends.
		if (this.draining && !this.renewLease(this.draining)) return this.draining ? 5 : 0;
		// 4. blocked
		if (now < this.blockedUntil) return math.max(0.01, this.nextWake(now) - now);
		// 5. live batches
		if (this.ready.size() > 0) {
			this.send(this.ready[0], this.ready);
			return 0;
		}
		// 6. spilled batches
		if (this.draining) {
			this.sendDrained();
			return 0;
		}
		if (this.canStartDrain(now) && this.startDrain(now)) return 0;
		// 7. idle
		if ((this.sealRequested && this.unsealed() > 0) || this.unsealed() >= this.fullBatch) return 0;
		this.sealRequested = false;
		return math.max(0.01, this.nextWake(now) - now);
	}

	/** The next time (os.clock) something is due without outside help (`canSend` false: HTTP is off). */
	private nextWake(now: number, canSend = true): number {
		// Sealing: every flushSeconds.
		let at = this.lastSealAt + this.options.flushSeconds;
		if (at <= now) at = now + this.options.flushSeconds;
		// Sending again after backoff, Retry-After or the budget.
		if (this.blockedUntil > now) at = math.min(at, this.blockedUntil);
		const spillable = this.canSpill() && !this.closing;
		// Spilling, during an outage, once there is something to spill.
		if (spillable && this.failingSince !== undefined && (this.ready.size() > 1 || this.httpDisabled)) {
			const outageSpill = math.max(this.nextOutageSpillAt, this.failingSince + this.options.spillAfterSeconds);
			at = math.min(at, math.max(outageSpill, this.spillRetryAt));
		}
		// Looking for spilled chunks, and renewing the lease on the one being drained.
		if (canSend && spillable && this.failures === 0 && this.draining === undefined) {
			at = math.min(at, math.max(this.nextDrainAt, this.blockedUntil));
		}
		if (this.draining) at = math.min(at, now + math.max(0, this.renewAt(this.draining) - nowMs()) / 1000);
		return at;
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

	// Sealing -------------------------------------------------------------------------------------------------------

	/** How many events make a full batch (by count, or by bytes at the average event size so far). */
	private eventsPerBatch(): number {
		const byBytes = math.floor((this.options.maxBatchBytes - ENVELOPE_BYTES) / this.avgEventBytes);
		return math.max(1, math.min(this.options.maxBatchEvents, byBytes));
	}

	/**
	 * Seals queued events into batches: all of them, or (`onlyFull`) as many as fill whole batches. The worker seals
	 * `spread` over frames (HttpService:JSONEncode of a 2 MB batch would otherwise stall one server frame); events
	 * queued meanwhile wait for the next seal.
	 */
	private sealPending(onlyFull = false, spread = false): void {
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
	private evict(): void {
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
		if (dropped > 0) this.drop(dropped, "the in-memory queue was full (maxQueuedEvents)");
	}

	// Sending -------------------------------------------------------------------------------------------------------

	/** Sends one batch of `list` (the live queue or a drained chunk) and settles the outcome. */
	private send(batch: SealedBatch, list: SealedBatch[]): SendOutcome {
		this.inFlight = batch;
		const outcome = this.transport.send(
			() => batchBody(batch, nowMs()),
			() => {
				if (batch.attempts > 0) this.counters.retried += 1;
				batch.attempts += 1;
			},
		);
		this.inFlight = undefined;
		this.settle(outcome, batch, list);
		return outcome;
	}

	/** Replaces `batch` in `list` by `replacement` (nothing if it is no longer there: spilled or evicted meanwhile). */
	private replace(list: SealedBatch[], batch: SealedBatch, replacement: SealedBatch[]): boolean {
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

	private settle(outcome: SendOutcome, batch: SealedBatch, list: SealedBatch[]): void {
		const now = os.clock();
		switch (outcome.kind) {
			case "accepted": {
				this.replace(list, batch, []);
				this.counters.sent += outcome.accepted + outcome.duplicates;
				if (list !== this.ready) this.counters.drained += outcome.accepted + outcome.duplicates;
				if (outcome.rejected.size() > 0) this.reportRejected(batch, outcome.rejected);
				this.recovered(now);
				if (this.options.debug) print(`[Vantage] batch ${batch.id}: ${batch.count} events delivered`);
				return;
			}
			case "split": {
				const halves = splitBatch(batch);
				if (halves) {
					this.replace(list, batch, halves);
					if (this.options.debug) print(`[Vantage] batch ${batch.id} too large (${outcome.status}); split`);
				} else if (this.replace(list, batch, [])) {
					this.drop(batch.count, `an event too large for the backend (${outcome.message})`);
				}
				this.recovered(now);
				return;
			}
			case "drop": {
				if (this.replace(list, batch, [])) {
					this.warnings.warn("the backend refused a batch as invalid; its events were dropped and counted");
					this.signals.deliveryError.Fire({
						kind: "refused",
						status: outcome.status,
						message: outcome.message,
						willRetry: false,
					});
					this.drop(batch.count, `refused by the backend (${outcome.message})`);
				}
				this.recovered(now);
				return;
			}
			case "wait": {
				this.blockedUntil = now + outcome.retryAfter;
				return;
			}
			case "disabled": {
				this.setHttpDisabled(true, outcome.message);
				this.httpCheckAt = now + HTTP_RECHECK_SECONDS;
				return;
			}
			case "retry": {
				this.counters.failedRequests += 1;
				this.failures += 1;
				this.failingSince ??= now;
				const delay =
					outcome.retryAfter ??
					(outcome.cause === "auth"
						? this.backoffCap
						: backoffSeconds(this.failures, this.backoffBase, this.backoffCap, this.random));
				this.blockedUntil = now + delay;
				// One line per outage (and WarnOnce keeps identical lines to one per server).
				if (this.failures === 1)
					this.warnings.warn(
						outcome.cause === "auth"
							? `the game key (secret "${this.options.gameKeySecret}") is missing or refused by the backend; events are kept and retried`
							: outcome.cause === "roblox-budget"
								? "HttpService's request limit (500/min per server) is used up by the game; events are kept and retried"
								: "cannot deliver events to the backend right now; they are kept and retried",
					);
				if (this.options.debug) print(`[Vantage] ${outcome.message}; retrying in ${"%.1f".format(delay)} s`);
				this.signals.deliveryError.Fire({
					kind: outcome.cause,
					status: outcome.status,
					message: outcome.message,
					willRetry: true,
				});
				return;
			}
		}
	}

	/** The backend answered: the outage (if any) is over, and spilled batches can come back. */
	private recovered(now: number): void {
		if (this.failures > 0 || this.failingSince !== undefined) {
			this.nextDrainAt = now;
			this.drainCandidates = [];
		}
		this.failures = 0;
		this.failingSince = undefined;
	}

	private reportRejected(batch: SealedBatch, rejected: RejectedByIndex[]): void {
		this.counters.rejected += rejected.size();
		const events = decodeEvents(batch);
		const details = new Array<RejectedEvent>();
		for (const r of rejected) {
			const event = events[r.index] as Partial<WireEvent> | undefined;
			details.push({
				id: typeIs(event?.id, "string") ? event.id : "",
				type: typeIs(event?.type, "string") ? event.type : "",
				name: typeIs(event?.name, "string") ? event.name : "",
				code: r.code,
				message: r.message,
			});
		}
		this.warnings.warn("the backend refused some events as invalid; see the eventsRejected signal");
		this.signals.eventsRejected.Fire(details);
	}

	private drop(count: number, reason: string): void {
		this.counters.dropped += count;
		this.signals.eventsDropped.Fire(count, reason);
	}

	private checkHttpDisabled(now: number): boolean {
		if (now < this.httpCheckAt) return this.httpDisabled;
		this.httpCheckAt = now + HTTP_RECHECK_SECONDS;
		const [readable, enabled] = pcall(() => HttpService.HttpEnabled);
		// Not readable here: let the next request find out (RequestAsync says so if requests are disabled).
		this.setHttpDisabled(readable && enabled !== true, "HttpService.HttpEnabled is false");
		return this.httpDisabled;
	}

	/** Warns (once per server) and signals when HTTP requests turn out to be disabled. */
	private setHttpDisabled(disabled: boolean, message: string): void {
		if (disabled && !this.httpDisabled) {
			this.warnings.warn(
				this.isStudio
					? `HTTP requests are disabled (Game Settings → Security → Allow HTTP Requests): events are kept in memory (up to ${this.options.maxQueuedEvents}) and not sent`
					: "HTTP requests are disabled for this experience (Game Settings → Security): events are kept and saved to DataStore until they can be sent",
			);
			this.signals.deliveryError.Fire({ kind: "disabled", message, willRetry: true });
		}
		this.httpDisabled = disabled;
	}

	// Spill -----------------------------------------------------------------------------------------------------------

	/** Studio never spills: its DataStore writes would land in the live experience and be drained there. */
	private canSpill(): boolean {
		return !this.isStudio;
	}

	/**
	 * Whether to move live batches to DataStore now: after `spillAfterSeconds` of outage (then at most every
	 * SPILL_INTERVAL_SECONDS, to spare the game's write budget), or whenever memory is past half its cap. Only batches
	 * behind the oldest one are spilled while it keeps probing the backend, unless `all` (nothing can be sent).
	 */
	private shouldSpill(now: number, all = false): boolean {
		if (!this.canSpill() || this.closing || now < this.spillRetryAt) return false;
		const spillable = all ? this.readyEvents + this.unsealed() : this.readyEvents - (this.ready[0]?.count ?? 0);
		if (spillable <= 0) return false;
		if ((this.unsealed() + this.readyEvents) * 2 >= this.options.maxQueuedEvents) return true;
		return (
			this.failingSince !== undefined &&
			now - this.failingSince >= this.options.spillAfterSeconds &&
			now >= this.nextOutageSpillAt
		);
	}

	/** Spills live batches (all but the oldest when `keepHead`: it keeps probing the backend). */
	private spillLive(keepHead: boolean): void {
		const batches = new Array<SealedBatch>();
		for (let i = keepHead ? 1 : 0; i < this.ready.size(); i++) batches.push(this.ready[i]);
		const ok = this.spillBatches(batches);
		if (ok) this.nextOutageSpillAt = os.clock() + SPILL_INTERVAL_SECONDS;
		else this.spillRetryAt = os.clock() + 5;
	}

	/**
	 * Writes batches to DataStore in chunks, removing each written batch from the live queue. With a deadline it
	 * waits for write budget until then; without, it stops at the first chunk that cannot be written. Returns
	 * whether everything was written.
	 */
	private spillBatches(batches: SealedBatch[], deadline?: number): boolean {
		let todo = [...batches];
		while (todo.size() > 0) {
			const { chunks, tooBig } = packChunks(todo, this.deps.maxChunkBytes ?? MAX_CHUNK_BYTES);
			todo = [];
			for (const batch of tooBig) {
				const halves = splitBatch(batch);
				if (halves && this.replace(this.ready, batch, halves)) {
					todo.push(halves[0], halves[1]);
				}
			}
			for (const chunk of chunks) {
				for (;;) {
					const result = this.spill.write(this.ids.next(), chunk);
					if (result.ok) break;
					const canWait = result.budget === true && deadline !== undefined && os.clock() + 1 < deadline;
					if (!canWait) {
						this.signals.deliveryError.Fire({
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
					this.replace(this.ready, batch, []);
					events += batch.count;
				}
				this.counters.spilled += events;
				if (this.options.debug) print(`[Vantage] ${events} events saved to DataStore`);
			}
		}
		return true;
	}

	// Drain -----------------------------------------------------------------------------------------------------------

	private canStartDrain(now: number): boolean {
		return (
			this.canSpill() &&
			!this.closing &&
			this.failures === 0 &&
			this.ready.size() === 0 &&
			this.draining === undefined &&
			now >= this.nextDrainAt
		);
	}

	/**
	 * Claims the oldest spill chunk no other server holds; false when there is none (or DataStore is busy). Keys come
	 * from the last listing while it lasts: listing has the smallest budget (5 + 2 × players per minute).
	 */
	private startDrain(now: number): boolean {
		if (this.drainCandidates.size() === 0) {
			this.nextDrainAt = now + this.drainInterval;
			const keys = this.spill.list(DRAIN_PAGE);
			if (!keys.ok) return false;
			this.drainCandidates = keys.value;
		}
		while (this.drainCandidates.size() > 0) {
			if (this.closing) return false;
			const key = this.drainCandidates.shift()!;
			const lease = this.spill.lease(key);
			if (!lease.ok) {
				if (!lease.taken) {
					// DataStore busy or failing: try this key again later.
					this.drainCandidates.unshift(key);
					this.nextDrainAt = now + 5;
					return false;
				}
				continue;
			}
			const chunk = this.spill.read(key);
			if (!chunk.ok) {
				this.spill.release(key);
				this.nextDrainAt = now + 5;
				return false;
			}
			if (chunk.value === undefined || chunk.value.size() === 0) {
				// Drained by another server meanwhile (or empty): only the lease is left to clean.
				this.spill.remove(key);
				continue;
			}
			this.draining = { key, batches: chunk.value, leaseUntil: lease.value };
			if (this.options.debug) print(`[Vantage] draining ${key} (${chunk.value.size()} batches)`);
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
	private renewLease(d: Draining): boolean {
		if (nowMs() < this.renewAt(d)) return true;
		const lease = this.spill.lease(d.key);
		if (lease.ok) {
			d.leaseUntil = lease.value;
			return true;
		}
		if (lease.taken) this.draining = undefined;
		else this.blockedUntil = math.max(this.blockedUntil, os.clock() + 5);
		return false;
	}

	private sendDrained(): void {
		const d = this.draining!;
		if (d.batches.size() === 0) {
			const removed = this.spill.remove(d.key);
			if (!removed.ok && removed.budget) {
				this.blockedUntil = os.clock() + 5;
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
		this.send(d.batches[0], d.batches);
	}
}
