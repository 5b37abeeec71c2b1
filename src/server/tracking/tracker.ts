import { IdGenerator, prefixFromGuid } from "../../shared/ids";
import { EventType, Props } from "../../shared/protocol";
import { EventSink } from "../delivery/pipeline";
import { anchoredClock, nowMs } from "./clock";

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

/**
 * The bottom of tracking: turns validated calls into wire events with time-ordered ids and hands them to the sink.
 * Never yields, never throws (the sink does neither).
 */
export class Tracker {
	private readonly ids: IdGenerator;
	/** Event times: `now` anchored to os.clock (see clock.ts). */
	private readonly eventClock: () => number;
	readonly counters: TrackingCounters = {
		invalidCalls: 0,
		clientRejected: 0,
		clientRateLimited: 0,
	};

	constructor(
		private readonly sink: EventSink,
		serverGuid: string,
		private readonly warnings: Warnings,
		private readonly onInvalidCall?: (fn: string, reason: string) => void,
		/** Unix milliseconds, read where exactness beats cost (session boundaries). */
		readonly now: () => number = nowMs,
	) {
		this.eventClock = anchoredClock(now);
		this.ids = new IdGenerator(prefixFromGuid(serverGuid), this.eventClock);
	}

	/** A new time-ordered id (events, sessions). */
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

	/** Queues one event; returns its id. `props` must be validated already and owned by the event. */
	emit(userId: number, sessionId: string, eventType: EventType, name: string, props: Props, time?: number): string {
		const ms = this.eventClock();
		const id = this.ids.nextAt(ms);
		// One table constructor with every field (a `??` inside the literal would make roblox-ts grow it field by field).
		const at = time ?? ms;
		this.sink.enqueue({ id, time: at, userId, sessionId, type: eventType, name, props });
		return id;
	}
}
