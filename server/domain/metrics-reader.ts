// What the metrics engine reads: plain rows from the rollups (or raw events where no rollup fits). An engine
// (SQLite, ClickHouse) implements this; the metric semantics live in the engine-neutral code that consumes it
// (server/metrics/engine.ts). server/metrics/reader.ts re-exports it for the metrics module.
import type { PropValue } from "./ingest.js";
import type { SegmentSpec } from "./metrics.js";

/** Day numbers are local days of the game's time zone since 1970-01-01; ranges are inclusive. */
export interface DayRange {
	from: number;
	to: number;
}

export interface DayTotalsRow {
	day: number;
	dau: number;
	newUsers: number;
	payers: number;
	revenue: number;
	purchases: number;
}

/** One player active on one day; `segment` is the breakdown value (null without a breakdown). */
export interface UserDayRow {
	day: number;
	userId: number;
	firstDay: number;
	events: number;
	revenue: number;
	purchases: number;
	segment: string | null;
}

export interface PlayerRow {
	userId: number;
	firstDay: number;
	lastDay: number;
	firstTime: number;
	firstPurchaseTime: number | null;
	segment: string | null;
}

export interface CohortCellRow {
	cohortDay: number;
	offset: number;
	users: number;
	revenue: number;
}

export interface CohortLastRow {
	cohortDay: number;
	maxOffset: number;
	users: number;
}

export interface SessionRow {
	day: number;
	userId: number;
	/** Seconds; null while the session's end has not arrived. */
	duration: number | null;
	segment: string | null;
}

export interface EventDayRow {
	day: number;
	events: number;
}

/** An event kind the game sent, with how many of it. */
export interface EventNameRow {
	type: string;
	name: string;
	events: number;
	/** Last local day with such an event. */
	lastDay: number;
}

export interface EconomyRow {
	day: number;
	currency: string;
	flow: string;
	itemType: string;
	itemId: string;
	amount: number;
	events: number;
	segment: string | null;
}

export interface ProgressionRow {
	day: number;
	path: string;
	status: string;
	events: number;
	attempts: number;
	attemptsN: number;
	seconds: number;
	secondsN: number;
	segment: string | null;
}

export interface ProductRow {
	day: number;
	product: string;
	revenue: number;
	purchases: number;
	segment: string | null;
}

export interface FunnelStepRow {
	step: number;
	userId: number;
	time: number;
	stepName: string;
	segment: string | null;
}

export interface RawEventRow {
	time: number;
	userId: number;
	name: string;
	props: Record<string, PropValue>;
	segment: string | null;
}

/** An event selector: its type (optional) and name. */
export interface EventRef {
	type?: string | undefined;
	name: string;
}

/** A reader's answer: a value (an embedded engine reads synchronously) or a Promise of one (a server engine). */
export type Awaitable<T> = T | Promise<T>;

export interface MetricsReader {
	/** The time zone the game's rollups are built in. */
	timeZone(gameId: string): Awaitable<string>;
	/** Whole-game totals per day (no segments). */
	dayTotals(gameId: string, range: DayRange): Awaitable<DayTotalsRow[]>;
	userDays(gameId: string, range: DayRange, spec: SegmentSpec): Awaitable<UserDayRow[]>;
	/** Distinct active players and payers of the whole game over a range. */
	rangeTotals(gameId: string, range: DayRange): Awaitable<{ players: number; payers: number }>;
	/** Players whose install day is in `range`. */
	players(gameId: string, range: DayRange, spec: SegmentSpec): Awaitable<PlayerRow[]>;
	/** Players whose first purchase time is in [fromTime, toTime). */
	firstPurchases(gameId: string, fromTime: number, toTime: number, spec: SegmentSpec): Awaitable<PlayerRow[]>;
	/** Whole-game cohort cells (players active and Robux spent at each day offset) for install days in `range`. */
	cohortCells(gameId: string, range: DayRange): Awaitable<CohortCellRow[]>;
	cohortLast(gameId: string, range: DayRange): Awaitable<CohortLastRow[]>;
	sessions(gameId: string, range: DayRange, spec: SegmentSpec): Awaitable<SessionRow[]>;
	/** Whole-game event counts per local day (distinct players and segments come from raw events). */
	eventDays(gameId: string, event: EventRef, range: DayRange): Awaitable<EventDayRow[]>;
	/** Every event kind (type and name) with events in `range` (all history when null), the most frequent first. */
	eventNames(gameId: string, range: DayRange | null): Awaitable<EventNameRow[]>;
	/** Events per UTC hour (hours since the epoch) in [fromHour, toHour). */
	eventHours(
		gameId: string,
		event: EventRef,
		fromHour: number,
		toHour: number,
	): Awaitable<{ hour: number; events: number }[]>;
	/** Economy sums; with a segmented spec, from raw events. `range.from` may be -Infinity (all history). */
	economy(gameId: string, range: DayRange, spec: SegmentSpec): Awaitable<EconomyRow[]>;
	progression(gameId: string, range: DayRange, spec: SegmentSpec): Awaitable<ProgressionRow[]>;
	products(gameId: string, range: DayRange, spec: SegmentSpec): Awaitable<ProductRow[]>;
	/** Every step arrival of the players whose first step-1 arrival is in [fromTime, toTime). */
	funnelSteps(
		gameId: string,
		funnel: string,
		fromTime: number,
		toTime: number,
		spec: SegmentSpec,
	): Awaitable<FunnelStepRow[]>;
	/** The highest step number any player reached in the funnel (0: none). */
	funnelStepCount(gameId: string, funnel: string): Awaitable<number>;
	/** Raw events of one kind with time in [fromTime, toTime), in time order. */
	rawEvents(
		gameId: string,
		event: EventRef,
		fromTime: number,
		toTime: number,
		spec: SegmentSpec,
	): Awaitable<Iterable<RawEventRow>>;
	/** The newest event time of the game (unix ms), or null. */
	latestEventTime(gameId: string): Awaitable<number | null>;
}
