// Script errors as `error` events, without letting an error in a loop flood the queue:
// 1. the same error (same side, message and stack) is sent at most once per `repeatSeconds`; the occurrences in
//    between are counted and sent as `repeats` with its next report;
// 2. at most `maxPerMinute` error events are sent per minute in total (token bucket); what is over is counted too.
import { MAX_PROP_STRING_LENGTH, Props } from "../../shared/protocol";
import { TokenBucket } from "./token-bucket";

export interface ErrorCaptureOptions {
	maxPerMinute: number;
	repeatSeconds: number;
}

/** Where an error happened: a server script, or a player's client (reported through the client tracker). */
export type ErrorSide = "server" | "client";

/** One error report, ready to become an `error` event. */
export interface ErrorReport {
	side: ErrorSide;
	/** The player whose client errored; 0 for the server. */
	userId: number;
	props: Props;
}

/** Most distinct errors remembered for deduplication; past it the memory starts over. */
const MAX_DISTINCT = 500;

function clip(text: string): string {
	return text.size() <= MAX_PROP_STRING_LENGTH ? text : text.sub(1, MAX_PROP_STRING_LENGTH);
}

export class ErrorCapture {
	private seen = new Map<string, { last: number; suppressed: number }>();
	private distinct = 0;
	private readonly bucket: TokenBucket;
	reported = 0;
	suppressed = 0;

	/** @param now - clock in seconds */
	constructor(
		private readonly options: ErrorCaptureOptions,
		private readonly now: () => number,
		private readonly send: (report: ErrorReport) => void,
	) {
		this.bucket = new TokenBucket(options.maxPerMinute, options.maxPerMinute / 60, now);
	}

	/** Handles one error; returns whether it was sent. Never throws. */
	capture(side: ErrorSide, userId: number, message: string, stack: string, origin?: string): boolean {
		// Length-prefixed, so no message/stack split can collide with another.
		const key = `${side}:${message.size()}:${message}${stack}`;
		const t = this.now();
		let entry = this.seen.get(key);
		// 1. Seen within the repeat window → count it for the next report.
		if (entry && t - entry.last < this.options.repeatSeconds) {
			entry.suppressed += 1;
			this.suppressed += 1;
			return false;
		}
		if (!entry) {
			if (this.distinct >= MAX_DISTINCT) {
				this.seen.clear();
				this.distinct = 0;
			}
			entry = { last: -math.huge, suppressed: 0 };
			this.seen.set(key, entry);
			this.distinct += 1;
		}
		// 2. Over the per-minute cap → count it; it goes out as a repeat once the cap allows.
		if (!this.bucket.take()) {
			entry.suppressed += 1;
			this.suppressed += 1;
			return false;
		}
		// 3. Send, with the occurrences held back since the last report.
		const props: Props = { side, message: clip(message), stack: clip(stack), repeats: entry.suppressed };
		if (origin !== undefined) props.script = clip(origin);
		entry.last = t;
		entry.suppressed = 0;
		this.reported += 1;
		this.send({ side, userId, props });
		return true;
	}
}
