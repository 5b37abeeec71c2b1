// The delivery pipeline's contracts: what tracking hands it (EventSink, DeferredEvents), what a game reads from it
// (DeliveryStats, the signals and their payloads), the seams a server or a spec sets (DeliveryDeps), and the
// lifecycle its parts share.
import Signal from "@rbxts/signal";
import { WireEvent } from "../../shared/protocol";
import { SendGate } from "../first-run";

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
	/** Batches a dry run (the `dryRun` option, or an unpublished place) built and kept local instead of sending. */
	dryRunBatches: number;
	/** Events in those batches. */
	dryRunEvents: number;
}

/**
 * Events recorded cheaply by tracking at call time (after the consent gate) and built into wire events (validated,
 * with ids) by the worker when it seals, off the game's hot path. The pipeline counts them as queued.
 */
export interface DeferredEvents {
	/** Records waiting to be built. */
	waiting(): number;
	/** Builds the oldest waiting records (at most `max`), in order, into `out` (refusing invalid ones). Never yields. */
	buildInto(out: WireEvent[], max?: number): void;
	/** Calls `onReached` (once, on the recording thread) when `waiting()` reaches `at`. */
	watch(at: number, onReached: () => void): void;
}

/**
 * Where tracking hands events; never yields, never throws. Events reach it past the consent gate (see
 * consent-gate.ts): `enqueue` takes wire events as they are, and the records of `attach`'s source were gated when
 * they were recorded.
 */
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
	/**
	 * Whether requests may be made (HTTP on, game key found), shared with the experiment config.
	 * @default a SendGate of its own, reading HttpService.HttpEnabled and GetSecret(gameKeySecret)
	 */
	gate?: SendGate;
}

/** Where warnings go: the SDK's WarnOnce, or a spec's recorder. */
export interface DeliveryWarnings {
	warn(message: string): void;
}

/**
 * The pipeline's lifecycle, owned by the pipeline and read by its parts: `closing` from the start of a shutdown,
 * `stopped` once the worker is told to stop, `closed` once the shutdown finished (later events are dropped).
 */
export interface Lifecycle {
	closing: boolean;
	stopped: boolean;
	closed: boolean;
}

/** Unix milliseconds (spill leases, batch sentAt, ids). */
export function nowMs(): number {
	return DateTime.now().UnixTimestampMillis;
}
