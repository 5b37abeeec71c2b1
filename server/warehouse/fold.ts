// Folding raw events into rollup deltas: a pure function from a chunk of events to what each rollup row gains.
// The warehouse applies these deltas to its tables; the property tests fold raw events in one piece and compare.
// Semantics (the API documentation repeats them):
// - a player is any userId > 0; their first event (by time) fixes their install day (cohort) in the game's zone;
// - a player is active on a local day if they sent any event that day;
// - revenue is the `robux` prop of `purchase` events (Robux the player spent); a payer has ≥ 1 purchase that day;
// - a session is one `sessionId`: its start is the `session_start` time, or `session_end` time − duration if only
//   the end arrived; its length is the `duration` prop (seconds) of `session_end`;
// - a player's attributes are the props of their earliest `session_start` (ties: smallest event id).
import type { PropValue } from "../ingest/schema.js";

/** The columns of a stored event the warehouse reads. */
export interface FoldEvent {
	id: string;
	userId: number;
	sessionId: string;
	type: string;
	name: string;
	time: number;
	props: Record<string, PropValue>;
}

export interface PlayerDelta {
	userId: number;
	firstTime: number;
	/** Latest local day with an event in this chunk. */
	maxDay: number;
	/** Props of the chunk's earliest session_start, with its time and id. */
	attrs?: { time: number; id: string; props: Record<string, PropValue> };
	firstPurchaseTime?: number;
}

export interface UserDayDelta {
	userId: number;
	day: number;
	events: number;
	revenue: number;
	purchases: number;
}

export interface SessionDelta {
	sessionId: string;
	userId: number;
	/** Time of `session_start`, if it was in the chunk. */
	startTime?: number;
	/** Time of `session_end` and its duration (seconds), if it was in the chunk. */
	endTime?: number;
	duration?: number;
}

export interface ChunkFacts {
	players: Map<number, PlayerDelta>;
	/** Key `${userId}:${day}`. */
	userDays: Map<string, UserDayDelta>;
	sessions: Map<string, SessionDelta>;
	/** Key JSON [type, name, day, userId] → events. */
	userEvents: Map<string, number>;
	/** Key JSON [type, name, hour] (UTC hours since the epoch) → events. */
	eventHours: Map<string, number>;
	/** Key JSON [day, currency, flow, itemType, itemId] → amount and events. */
	economy: Map<string, { amount: number; events: number }>;
	/** Key JSON [day, path, status]. */
	progression: Map<string, { events: number; attempts: number; attemptsN: number; seconds: number; secondsN: number }>;
	/** Key JSON [day, product] → Robux and purchases. */
	products: Map<string, { revenue: number; purchases: number }>;
	/** Key JSON [funnel, step, userId] → the first arrival and its step name. */
	funnelSteps: Map<string, { time: number; id: string; stepName: string }>;
	/** Key JSON [experiment, userId] → first exposure, its variation (JSON), and every variation seen (JSON). */
	exposures: Map<string, { time: number; id: string; variation: string; variations: Set<string> }>;
}

const HOUR_MS = 3_600_000;

function num(value: PropValue | undefined): number | undefined {
	return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function str(value: PropValue | undefined): string {
	if (value === undefined || value === null) return "";
	return String(value);
}

/** Whether (time, id) comes before (otherTime, otherId): the deterministic "earliest" among events. */
export function earlier(time: number, id: string, otherTime: number, otherId: string): boolean {
	return time < otherTime || (time === otherTime && id < otherId);
}

/** The product a purchase is of: its name and product id ("developer_product:123456"). */
export function productKey(name: string, props: Record<string, PropValue>): string {
	const id = props.productId;
	return id === undefined || id === null ? name : `${name}:${String(id)}`;
}

export function emptyFacts(): ChunkFacts {
	return {
		players: new Map(),
		userDays: new Map(),
		sessions: new Map(),
		userEvents: new Map(),
		eventHours: new Map(),
		economy: new Map(),
		progression: new Map(),
		products: new Map(),
		funnelSteps: new Map(),
		exposures: new Map(),
	};
}

function add(map: Map<string, number>, key: string, n: number): void {
	map.set(key, (map.get(key) ?? 0) + n);
}

/**
 * Folds events into `facts` (in place). Any order and any split into chunks gives the same applied result: every
 * delta is a sum, a minimum or an "earliest by (time, id)".
 */
export function foldEvents(facts: ChunkFacts, events: Iterable<FoldEvent>, dayOf: (time: number) => number): void {
	for (const e of events) {
		const day = dayOf(e.time);
		add(facts.userEvents, JSON.stringify([e.type, e.name, day, e.userId]), 1);
		add(facts.eventHours, JSON.stringify([e.type, e.name, Math.floor(e.time / HOUR_MS)]), 1);

		if (e.userId > 0) foldPlayer(facts, e, day);
		if (e.type === "economy") {
			const key = JSON.stringify([
				day,
				str(e.props.currency),
				str(e.props.flow),
				str(e.props.itemType),
				str(e.props.itemId),
			]);
			const row = facts.economy.get(key) ?? { amount: 0, events: 0 };
			row.amount += num(e.props.amount) ?? 0;
			row.events += 1;
			facts.economy.set(key, row);
		} else if (e.type === "progression") {
			const key = JSON.stringify([day, e.name, str(e.props.status)]);
			const row = facts.progression.get(key) ?? { events: 0, attempts: 0, attemptsN: 0, seconds: 0, secondsN: 0 };
			row.events += 1;
			const attempt = num(e.props.attempt);
			if (attempt !== undefined) {
				row.attempts += attempt;
				row.attemptsN += 1;
			}
			const seconds = num(e.props.seconds);
			if (seconds !== undefined) {
				row.seconds += seconds;
				row.secondsN += 1;
			}
			facts.progression.set(key, row);
		} else if (e.type === "purchase") {
			const key = JSON.stringify([day, productKey(e.name, e.props)]);
			const row = facts.products.get(key) ?? { revenue: 0, purchases: 0 };
			row.revenue += num(e.props.robux) ?? 0;
			row.purchases += 1;
			facts.products.set(key, row);
		}
	}
}

function foldPlayer(facts: ChunkFacts, e: FoldEvent, day: number): void {
	let player = facts.players.get(e.userId);
	if (!player) {
		player = { userId: e.userId, firstTime: e.time, maxDay: day };
		facts.players.set(e.userId, player);
	}
	player.firstTime = Math.min(player.firstTime, e.time);
	player.maxDay = Math.max(player.maxDay, day);

	const dayKey = `${e.userId}:${day}`;
	let userDay = facts.userDays.get(dayKey);
	if (!userDay) {
		userDay = { userId: e.userId, day, events: 0, revenue: 0, purchases: 0 };
		facts.userDays.set(dayKey, userDay);
	}
	userDay.events += 1;

	switch (e.type) {
		case "purchase": {
			userDay.revenue += num(e.props.robux) ?? 0;
			userDay.purchases += 1;
			player.firstPurchaseTime = Math.min(player.firstPurchaseTime ?? Infinity, e.time);
			break;
		}
		case "session_start": {
			if (!player.attrs || earlier(e.time, e.id, player.attrs.time, player.attrs.id)) {
				player.attrs = { time: e.time, id: e.id, props: e.props };
			}
			if (e.sessionId === "") break;
			const session = sessionOf(facts, e);
			session.startTime = Math.min(session.startTime ?? Infinity, e.time);
			break;
		}
		case "session_end": {
			if (e.sessionId === "") break;
			const session = sessionOf(facts, e);
			session.endTime = Math.max(session.endTime ?? -Infinity, e.time);
			const duration = num(e.props.duration);
			if (duration !== undefined && duration >= 0) session.duration = Math.max(session.duration ?? 0, duration);
			break;
		}
		case "funnel": {
			const step = num(e.props.step);
			if (step === undefined || !Number.isInteger(step) || step < 1) break;
			const key = JSON.stringify([e.name, step, e.userId]);
			const seen = facts.funnelSteps.get(key);
			if (!seen || earlier(e.time, e.id, seen.time, seen.id)) {
				facts.funnelSteps.set(key, { time: e.time, id: e.id, stepName: str(e.props.stepName) });
			}
			break;
		}
		case "exposure": {
			const variation = e.props.variation;
			if (variation === undefined || variation === null) break;
			const json = JSON.stringify(variation);
			const key = JSON.stringify([e.name, e.userId]);
			const seen = facts.exposures.get(key);
			if (!seen) {
				facts.exposures.set(key, { time: e.time, id: e.id, variation: json, variations: new Set([json]) });
			} else {
				seen.variations.add(json);
				if (earlier(e.time, e.id, seen.time, seen.id)) Object.assign(seen, { time: e.time, id: e.id, variation: json });
			}
			break;
		}
	}
}

function sessionOf(facts: ChunkFacts, e: FoldEvent): SessionDelta {
	let session = facts.sessions.get(e.sessionId);
	if (!session) {
		session = { sessionId: e.sessionId, userId: e.userId };
		facts.sessions.set(e.sessionId, session);
	}
	return session;
}
