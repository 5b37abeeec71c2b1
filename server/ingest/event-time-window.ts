// The window of event times ingest accepts. An event's time is unix milliseconds; one outside this window is far more
// likely a unit mistake (seconds, os.clock(), a zeroed clock, microseconds) than a real moment, and storing it would
// put it on a day no chart shows or in a future that every "last 7 days" query includes forever.
//
// Why these bounds:
// - Past: the SDK parks batches in DataStore during an outage or at shutdown (src/server/delivery/spill-store.ts) and
//   keeps a chunk until a server drains it: there is no expiry, so a game whose servers all stopped during an outage
//   sends its history when it next runs. The window is far longer than any outage worth recovering, and longer than
//   the longest history the simulator seeds with a trusted client clock (`npm start -- --days 365`).
// - Future: after the clock-skew correction a sender's offset is gone, so only an event stamped after its batch's
//   `sentAt` (or a trusted clock that is off) lands ahead; a few minutes covers clocks that drift between corrections.

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** The latest instant a JavaScript Date holds (unix ms). */
const MAX_DATE_MS = 8_640_000_000_000_000;

/** Days before the server's time an event may be (after clock-skew correction): older is refused. */
export const MAX_EVENT_AGE_DAYS = 400;
/** Minutes after the server's time an event may be (after clock-skew correction): later is refused. */
export const MAX_EVENT_LEAD_MINUTES = 10;

export const MAX_EVENT_AGE_MS = MAX_EVENT_AGE_DAYS * DAY_MS;
export const MAX_EVENT_LEAD_MS = MAX_EVENT_LEAD_MINUTES * MINUTE_MS;

/** The reason code of an event refused for its time, as `rejected[].code` of the ingest answer. */
export const IMPLAUSIBLE_TIME = "implausible_time";

/** The window in words, for the OpenAPI document and error messages. */
export const EVENT_TIME_WINDOW_TEXT =
	`at most ${MAX_EVENT_AGE_DAYS} days before and ${MAX_EVENT_LEAD_MINUTES} minutes after the server's time, ` +
	"after clock-skew correction (a game with trustClientClock keeps its sent times, and the window applies to them)";

/**
 * Why an event's time is implausible at `now` (both unix ms), or undefined when it is inside the window. The bounds
 * are inclusive: exactly {@link MAX_EVENT_AGE_MS} old or {@link MAX_EVENT_LEAD_MS} ahead is accepted.
 *
 * @example
 * implausibleTimeReason(Date.now() - 1000, Date.now()); // undefined
 * implausibleTimeReason(1_735_689_600, Date.now()); // "time 1735689600 (1970-01-21T…Z) is more than 400 days … seconds?"
 */
export function implausibleTimeReason(time: number, now: number): string | undefined {
	// 1. inside the window → fine;
	if (time >= now - MAX_EVENT_AGE_MS && time <= now + MAX_EVENT_LEAD_MS) return undefined;
	// A safe integer can exceed the latest instant a Date holds (toISOString would throw).
	const at = time <= MAX_DATE_MS ? `time ${time} (${new Date(time).toISOString()})` : `time ${time}`;
	// 2. too old: a time in seconds lands in January 1970, a common slip worth naming;
	if (time < now - MAX_EVENT_AGE_MS) {
		const hint = time < now / 100 ? " Event times are unix milliseconds: was it sent in seconds?" : "";
		return `${at} is more than ${MAX_EVENT_AGE_DAYS} days before the server's time, after clock-skew correction.${hint}`;
	}
	// 3. too far ahead: microseconds (or nanoseconds) land centuries ahead.
	const hint = time > now * 100 ? " Event times are unix milliseconds: was it sent in microseconds?" : "";
	return `${at} is more than ${MAX_EVENT_LEAD_MINUTES} minutes after the server's time, after clock-skew correction.${hint}`;
}
