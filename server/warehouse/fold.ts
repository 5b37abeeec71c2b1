// Folding raw events into rollup deltas: a pure function from a chunk of events to what each rollup row gains.
// The warehouse applies these deltas to its tables; the property tests fold raw events in one piece and compare.
// Semantics (the API documentation repeats them):
// - a player is any userId > 0; their first event (by time) fixes their install day (cohort) in the game's zone;
// - a player is active on a local day if they sent any event that day;
// - revenue is the `robux` prop of `purchase` events (Robux the player spent); a payer has ≥ 1 purchase that day;
// - a session is one `sessionId`: its start is the `session_start` time, or `session_end` time − duration if only
//   the end arrived; its length is the `duration` prop (seconds) of `session_end`;
// - a player's attributes are the props of their earliest `session_start` (ties: smallest event id).
import type { PropValue } from "../domain/ingest.js";

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
	/** Events per (type, name, local day). Keys join the parts with \u0001; values repeat them. */
	eventDays: Map<string, { type: string; name: string; day: number; events: number }>;
	/** Events per (type, name, UTC hour since the epoch). */
	eventHours: Map<string, { type: string; name: string; hour: number; events: number }>;
	economy: Map<
		string,
		{ day: number; currency: string; flow: string; itemType: string; itemId: string; amount: number; events: number }
	>;
	progression: Map<
		string,
		{
			day: number;
			path: string;
			status: string;
			events: number;
			attempts: number;
			attemptsN: number;
			seconds: number;
			secondsN: number;
		}
	>;
	/** Robux and purchases per (day, product). */
	products: Map<string, { day: number; product: string; revenue: number; purchases: number }>;
	/** A player's first arrival at a funnel step, and its step name. */
	funnelSteps: Map<
		string,
		{ funnel: string; step: number; userId: number; time: number; id: string; stepName: string }
	>;
	/** A player's first exposure to an experiment, its variation (JSON), and every variation seen (JSON). */
	exposures: Map<
		string,
		{ experiment: string; userId: number; time: number; id: string; variation: string; variations: Set<string> }
	>;
}

/** Separator of map keys: cannot occur in the numbers and is no character a name would use. */
const SEP = "\u0001";

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
		eventDays: new Map(),
		eventHours: new Map(),
		economy: new Map(),
		progression: new Map(),
		products: new Map(),
		funnelSteps: new Map(),
		exposures: new Map(),
	};
}

/**
 * Folds events into `facts` (in place). Any order and any split into chunks gives the same applied result: every
 * delta is a sum, a minimum or an "earliest by (time, id)".
 */
export function foldEvents(facts: ChunkFacts, events: Iterable<FoldEvent>, dayOf: (time: number) => number): void {
	for (const e of events) {
		const day = dayOf(e.time);
		const nameKey = e.type + SEP + e.name;
		const dayKey = nameKey + SEP + day;
		const ed = facts.eventDays.get(dayKey);
		if (ed) ed.events += 1;
		else facts.eventDays.set(dayKey, { type: e.type, name: e.name, day, events: 1 });
		const hour = Math.floor(e.time / HOUR_MS);
		const hourKey = nameKey + SEP + hour;
		const eh = facts.eventHours.get(hourKey);
		if (eh) eh.events += 1;
		else facts.eventHours.set(hourKey, { type: e.type, name: e.name, hour, events: 1 });

		if (e.userId > 0) foldPlayer(facts, e, day);
		if (e.type === "economy") {
			const currency = str(e.props.currency);
			const flow = str(e.props.flow);
			const itemType = str(e.props.itemType);
			const itemId = str(e.props.itemId);
			const key = day + SEP + currency + SEP + flow + SEP + itemType + SEP + itemId;
			let row = facts.economy.get(key);
			if (!row) facts.economy.set(key, (row = { day, currency, flow, itemType, itemId, amount: 0, events: 0 }));
			row.amount += num(e.props.amount) ?? 0;
			row.events += 1;
		} else if (e.type === "progression") {
			const status = str(e.props.status);
			const key = day + SEP + e.name + SEP + status;
			let row = facts.progression.get(key);
			if (!row) {
				row = { day, path: e.name, status, events: 0, attempts: 0, attemptsN: 0, seconds: 0, secondsN: 0 };
				facts.progression.set(key, row);
			}
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
		} else if (e.type === "purchase") {
			const product = productKey(e.name, e.props);
			const key = day + SEP + product;
			let row = facts.products.get(key);
			if (!row) facts.products.set(key, (row = { day, product, revenue: 0, purchases: 0 }));
			row.revenue += num(e.props.robux) ?? 0;
			row.purchases += 1;
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
			const key = e.name + SEP + step + SEP + e.userId;
			const seen = facts.funnelSteps.get(key);
			if (!seen || earlier(e.time, e.id, seen.time, seen.id)) {
				const stepName = str(e.props.stepName);
				facts.funnelSteps.set(key, { funnel: e.name, step, userId: e.userId, time: e.time, id: e.id, stepName });
			}
			break;
		}
		case "exposure": {
			const variation = e.props.variation;
			if (variation === undefined || variation === null) break;
			const json = JSON.stringify(variation);
			const key = e.name + SEP + e.userId;
			const seen = facts.exposures.get(key);
			if (!seen) {
				const variations = new Set([json]);
				facts.exposures.set(key, {
					experiment: e.name,
					userId: e.userId,
					time: e.time,
					id: e.id,
					variation: json,
					variations,
				});
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
