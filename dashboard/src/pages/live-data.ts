// The Live page's data: the rolling list of events and the per-second rate, shaped from the live stream's messages
// (GET /v1/games/{id}/events/live, server-sent events). Pure functions, tested on their own.
import type { EventType } from "../../../server/ingest/schema.js";

/** The event types the SDK sends (the server's EVENT_TYPES; a test keeps them equal). */
export const EVENT_TYPES = [
	"session_start",
	"session_end",
	"custom",
	"progression",
	"economy",
	"purchase",
	"funnel",
	"error",
	"exposure",
	"consent",
] as const satisfies readonly EventType[];

export type PropValue = string | number | boolean | null;

/** An event as the events API and the live stream answer it. */
export interface ApiEvent {
	id: string;
	/** When it happened (unix ms; corrected for the sending server's clock skew). */
	time: number;
	/** Roblox UserId; 0 for the game server's own events. */
	userId: number;
	sessionId: string;
	type: EventType;
	name: string;
	props: Record<string, PropValue>;
	gameId: string;
	batchId: string;
	/** When its batch arrived (unix ms). */
	receivedAt: number;
}

/** The data of the stream's `events` message. */
export interface LiveMessage {
	events: ApiEvent[];
	/** Matching events the server left out because this page read slower than they arrived. */
	dropped: number;
}

/** What the stream sends: only a type, or only a name, or both; empty strings mean any. (A type, not an interface: it
 * is also the page's URL parameters, an index-signature record.) */
export type LiveFilter = {
	type: string;
	name: string;
};

/** Rows the list keeps: enough to read a burst, few enough that the table stays quick at 1000 events/s. */
export const MAX_ROWS = 200;
/** Seconds the rate sparkline covers. */
export const RATE_SECONDS = 60;

/**
 * The stream's URL for a game and filter.
 *
 * @example
 * liveUrl("1818", { type: "purchase", name: "" }); // "/v1/games/1818/events/live?type=purchase"
 */
export function liveUrl(game: string, filter: LiveFilter): string {
	const query = new URLSearchParams();
	if (filter.type) query.set("type", filter.type);
	if (filter.name.trim()) query.set("name", filter.name.trim());
	const text = query.toString();
	return `/v1/games/${encodeURIComponent(game)}/events/live${text ? `?${text}` : ""}`;
}

/** Whether a received message has the shape the page relies on (anything else is ignored, never half-shown). */
export function parseLiveMessage(data: string): LiveMessage | undefined {
	try {
		const value = JSON.parse(data) as Partial<LiveMessage>;
		if (!Array.isArray(value.events) || typeof value.dropped !== "number") return undefined;
		return { events: value.events, dropped: value.dropped };
	} catch {
		return undefined;
	}
}

/**
 * The list after new events arrived: newest first (by arrival, then by time within a batch), an event already shown
 * (the same id resent in a later batch) left out, at most `max` rows.
 */
export function addEvents(list: readonly ApiEvent[], incoming: readonly ApiEvent[], max = MAX_ROWS): ApiEvent[] {
	const seen = new Set(list.map((e) => e.id));
	const fresh: ApiEvent[] = [];
	for (const event of incoming) {
		if (seen.has(event.id)) continue;
		seen.add(event.id);
		fresh.push(event);
	}
	fresh.sort((a, b) => b.time - a.time || (a.id < b.id ? 1 : -1));
	return [...fresh, ...list].slice(0, max);
}

/** Events received per whole second (unix seconds → count), for the last {@link RATE_SECONDS}. */
export type RateCounts = ReadonlyMap<number, number>;

/** The counts with `count` more events received at `atMs`; seconds older than the window are forgotten. */
export function recordArrivals(counts: RateCounts, atMs: number, count: number): Map<number, number> {
	const second = Math.floor(atMs / 1000);
	const next = new Map<number, number>();
	for (const [s, n] of counts) if (s > second - RATE_SECONDS) next.set(s, n);
	if (count > 0) next.set(second, (next.get(second) ?? 0) + count);
	return next;
}

/** Events per second over the last {@link RATE_SECONDS} whole seconds before `nowMs`, oldest first (zeros included). */
export function rateSeries(counts: RateCounts, nowMs: number, seconds = RATE_SECONDS): number[] {
	const now = Math.floor(nowMs / 1000);
	return Array.from({ length: seconds }, (_, i) => counts.get(now - seconds + 1 + i) ?? 0);
}

/** What the sparkline says in words (for screen readers and the caption). */
export function rateSummary(series: readonly number[]): string {
	if (series.length === 0) return "No data.";
	const total = series.reduce((a, b) => a + b, 0);
	const peak = Math.max(...series);
	const average = total / series.length;
	const latest = series[series.length - 1] ?? 0;
	const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
	return `${fmt(latest)}/s now, peak ${fmt(peak)}/s, average ${fmt(average)}/s over the last ${series.length} s (${total} events).`;
}

/**
 * The polyline of a sparkline in a `width` × `height` box (SVG user units): x spreads the values evenly, y = 0 is the
 * top, so the largest value touches it and zero lies on the bottom edge (an all-zero series is a flat bottom line).
 */
export function sparklinePoints(series: readonly number[], width: number, height: number): string {
	if (series.length === 0) return "";
	const peak = Math.max(...series, 1);
	const step = series.length > 1 ? width / (series.length - 1) : 0;
	return series.map((v, i) => `${round(i * step)},${round(height - (v / peak) * height)}`).join(" ");
}

function round(n: number): number {
	return Math.round(n * 10) / 10;
}

const MAX_PROP_TEXT = 32;

/**
 * The few props that say most about an event, as `key=value` text: at most `max`, in the order sent, long values
 * cut with an ellipsis; the list notes how many were left out.
 *
 * @example
 * keyProps({ level: 3, zone: "north" }); // "level=3 · zone=north"
 */
export function keyProps(props: Readonly<Record<string, PropValue>>, max = 4): string {
	const entries = Object.entries(props);
	const shown = entries.slice(0, max).map(([k, v]) => `${k}=${cut(v === null ? "null" : String(v))}`);
	const more = entries.length - max;
	return shown.join(" · ") + (more > 0 ? ` · +${more} more` : "");
}

function cut(text: string): string {
	return text.length > MAX_PROP_TEXT ? `${text.slice(0, MAX_PROP_TEXT - 1)}…` : text;
}

/** A player cell: the UserId, or "server" for the game server's own events. */
export function playerLabel(userId: number): string {
	return userId === 0 ? "server" : String(userId);
}

const clock = new Intl.DateTimeFormat("en-GB", {
	hour: "2-digit",
	minute: "2-digit",
	second: "2-digit",
	fractionalSecondDigits: 3,
	hour12: false,
});

/** An event's time of day on the viewer's clock, to the millisecond: `14:03:12.345`. */
export function formatClock(ms: number, format: Intl.DateTimeFormat = clock): string {
	return format.format(new Date(ms));
}
