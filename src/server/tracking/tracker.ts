import { IdGenerator, prefixFromGuid } from "../../shared/ids";
import { EventType, Props, WireEvent } from "../../shared/protocol";
import { checkName, checkProps, isUsableName, isValidProps } from "../../shared/validate";
import { ConsentGate, GAME_DEFAULT_CONSENT, gatedOrHeld } from "../delivery/consent-gate";
import { DeferredEvents, EventSink } from "../delivery/contracts";
import { nowMs } from "./clock";

/** Where warnings go: the SDK's WarnOnce (one line per distinct message), or a spec's recorder. */
export interface Warnings {
	warn(message: string): void;
}

/** Tracking counters, part of `Vantage.stats()`. */
export interface TrackingCounters {
	/** Calls refused because their arguments were invalid (each warned about once). */
	invalidCalls: number;
	/** Client messages refused as malformed. */
	clientRejected: number;
	/** Client messages refused because the player sent too many (token bucket per player). */
	clientRateLimited: number;
}

/** The session a recorded `track` call belongs to (read when the record is built). */
export interface SessionRef {
	readonly id: string;
	readonly userId: number;
}

/** A record that needs no checking: everything but its id (and its time, unless given). */
interface CheckedRecord {
	userId: number;
	sessionId: string;
	type: EventType;
	name: string;
	props: Props;
	time?: number;
}

/** The props of a `track` call without props (one shared marker: a nil would leave a hole in the array). */
export const NO_PROPS = {} as Props;
/** The session slot of a checked record (which carries its own). */
const NO_SESSION: SessionRef = { id: "", userId: 0 };

/**
 * The bottom of tracking. Every event passes the consent gate first: an event the gate refuses is not recorded at all
 * (see consent-gate.ts). Calls are recorded cheaply (a few array stores: see {@link Tracking.trackFast}) and built
 * into wire events by the delivery worker when it seals ({@link buildInto}): a `track` call's name and props are
 * validated then (refusals counted and warned about as at call time), and every event gets its time-ordered id then.
 * Never yields, never throws.
 */
export class Tracker implements DeferredEvents {
	private readonly ids: IdGenerator;
	readonly counters: TrackingCounters = {
		invalidCalls: 0,
		clientRejected: 0,
		clientRateLimited: 0,
	};

	// Waiting records, flat in one array (no table per call; one array is cheaper to fill than four): the record in
	// slots k..k+3 is its session, name, props (an unchecked copy, or NO_PROPS) and os.clock at the call, unless
	// checked[k] holds a checked record.
	/** Slots used: 4 per record. */
	used = 0;
	/** Slot of the oldest record not built yet (records before it are built, kept until all are). */
	private from = 0;
	/** When a record is stored at this slot or later, the recorder calls {@link reached}. */
	limit = math.huge;
	records = new Array<unknown>();
	private checked = new Map<number, CheckedRecord>();
	private onReached?: () => void;

	constructor(
		sink: EventSink,
		serverGuid: string,
		private readonly warnings: Warnings,
		private readonly onInvalidCall?: (fn: string, reason: string) => void,
		/** Unix milliseconds, read where exactness beats cost (session boundaries, building records). */
		readonly now: () => number = nowMs,
		/** Consulted before anything is recorded (Tracking.trackFast asks it too). */
		readonly consent: ConsentGate = GAME_DEFAULT_CONSENT,
	) {
		this.ids = new IdGenerator(prefixFromGuid(serverGuid), now);
		sink.attach(this);
	}

	/** A new time-ordered id (sessions). */
	nextId(): string {
		return this.ids.next();
	}

	/** Refuses a call: counts it, warns once per distinct reason and tells listeners. Always returns false. */
	refuse(fn: string, reason: string): false {
		this.counters.invalidCalls += 1;
		this.warnings.warn(`${fn} call ignored: ${reason}`);
		this.onInvalidCall?.(fn, reason);
		return false;
	}

	/**
	 * Queues one event whose arguments are checked already; `props` must be owned by the event. Nothing is recorded
	 * when the consent gate refuses the event's category for the player.
	 */
	emit(userId: number, sessionId: string, eventType: EventType, name: string, props: Props, time?: number): void {
		if (
			userId !== 0 &&
			gatedOrHeld(this.consent, userId, eventType, () =>
				this.emit(userId, sessionId, eventType, name, props, time ?? this.now()),
			)
		) {
			return;
		}
		const k = this.used;
		this.checked.set(k, { userId, sessionId, type: eventType, name, props, time });
		const r = this.records;
		r[k] = NO_SESSION;
		r[k + 1] = name;
		r[k + 2] = props;
		r[k + 3] = os.clock();
		this.used = k + 4;
		if (k >= this.limit) this.reached();
	}

	/**
	 * Records a `track` call whose name and props are checked when built (as Tracking.trackFast does), with the
	 * os.clock reading of the call: how an event that waited for the player's consent is recorded at its own time.
	 */
	recordCall(session: SessionRef, name: unknown, copy: object, clockAtCall: number): void {
		const k = this.used;
		const r = this.records;
		r[k] = session;
		r[k + 1] = name;
		r[k + 2] = copy;
		r[k + 3] = clockAtCall;
		this.used = k + 4;
		if (k >= this.limit) this.reached();
	}

	/** The recorder's count reached {@link limit}. */
	reached(): void {
		this.limit = math.huge;
		this.onReached?.();
	}

	// DeferredEvents ----------------------------------------------------------------------------------------------

	waiting(): number {
		return (this.used - this.from) / 4;
	}

	watch(at: number, onReached: () => void): void {
		this.onReached = onReached;
		// The record that makes `at` is stored at slot (at - 1) * 4.
		this.limit = this.from + (math.max(1, at) - 1) * 4;
		if (this.used > this.limit) this.reached();
	}

	/**
	 * Builds the oldest waiting records (all, or at most `max`), in order, into `out`: checks a `track` call's name
	 * and props (refusing them with the reasons of checkName/checkProps), stamps unix milliseconds and assigns ids
	 * ordered by event time.
	 */
	buildInto(out: WireEvent[], max = math.huge): void {
		const from = this.from;
		const used = math.min(this.used, from + max * 4);
		if (used === from) return;
		const r = this.records;
		const checked = this.checked;
		if (used === this.used) {
			this.records = [];
			this.checked = new Map();
			this.used = 0;
			this.from = 0;
			this.limit = this.limit - used;
		} else {
			this.from = used;
		}
		// os.clock at the call → unix ms, against one reading of both clocks now.
		const unixNow = this.now();
		const clockNow = os.clock();
		for (let k = from; k < used; k += 4) {
			let ms = unixNow - (clockNow - (r[k + 3] as number)) * 1000;
			ms -= ms % 1;
			const record = checked.get(k);
			if (record !== undefined) {
				const id = this.ids.nextAt(ms);
				const time = record.time ?? ms;
				const p = record.props;
				out.push({
					id,
					time,
					userId: record.userId,
					sessionId: record.sessionId,
					type: record.type,
					name: record.name,
					props: p,
				});
				continue;
			}
			const name = r[k + 1];
			const copy = r[k + 2];
			if (!isUsableName(name) || (copy !== NO_PROPS && !isValidProps(copy))) {
				this.refuse("track", checkName(name) ?? checkProps(copy) ?? "props are invalid");
				continue;
			}
			const session = r[k] as SessionRef;
			const id = this.ids.nextAt(ms);
			out.push({
				id,
				time: ms,
				userId: session.userId,
				sessionId: session.id,
				type: "custom",
				name: name as string,
				props: copy === NO_PROPS ? {} : (copy as Props),
			});
		}
	}
}
