// The SQLite warehouse: folds new events (ingest_log) into the rollup tables, rebuilds a game's rollups from raw
// events (backfill, time-zone change), and purges raw events past a game's retention. It runs on its own
// connection (the warehouse worker's), never on the ingest connection's event loop.
import type BetterSqlite3 from "better-sqlite3";
import type { PropValue } from "../../domain/ingest.js";
import { emptyFacts, foldEvents, type ChunkFacts, type FoldEvent } from "../../warehouse/fold.js";
import { localDayFn } from "../../warehouse/time-zone.js";
import { ROLLUP_TABLES } from "./warehouse-migration.js";
import { NO_LOCK, type WriteLock } from "./write-lock.js";

export interface FoldOutcome {
	/** Events folded by this call (from the inbox and from rebuild scans). */
	events: number;
	/** Inbox rows (batches) consumed. */
	batches: number;
	/** Games whose rebuild is still running after this call. */
	rebuilding: number;
}

interface StateRow {
	game_id: string;
	time_zone: string;
	rebuild_cursor: string | null;
}

interface RawEventRow {
	id: string;
	user_id: number;
	session_id: string;
	type: string;
	name: string;
	time: number;
	props: string;
}

function toFoldEvent(row: RawEventRow): FoldEvent {
	return {
		id: row.id,
		userId: row.user_id,
		sessionId: row.session_id,
		type: row.type,
		name: row.name,
		time: row.time,
		props: JSON.parse(row.props) as Record<string, PropValue>,
	};
}

/** Raw events a rebuild folds per step: one step is one short write transaction. */
const REBUILD_STEP_EVENTS = 5_000;
/** About how many inbox events one step folds (estimated from the ids' JSON length): ~20 ms of writes. */
const STEP_EVENTS = 5_000;

interface GamePlan {
	zone: string;
	cursorBefore: string | null;
	cursorAfter: string | null;
	events: FoldEvent[];
	/** The events folded into deltas (read phase), applied in the write phase. */
	facts?: ChunkFacts;
	/** Ids the rebuild scan read in this step. */
	scanned: Set<string>;
}

interface Plan {
	games: Map<string, GamePlan>;
	inbox: { seq: number; game_id: string; ids: string }[];
	rebuilding: number;
}

export class SqliteWarehouse {
	readonly #db: BetterSqlite3.Database;
	readonly #clock: () => number;
	readonly #s;

	readonly #lock: WriteLock;

	constructor(db: BetterSqlite3.Database, options: { clock?: () => number; lock?: WriteLock } = {}) {
		this.#db = db;
		this.#clock = options.clock ?? Date.now;
		this.#lock = options.lock ?? NO_LOCK;
		const p = <P extends unknown[] | object, R = unknown>(sql: string) =>
			db.prepare<P extends unknown[] ? P : [P], R>(sql);
		this.#s = {
			inbox: p<[number], { seq: number; game_id: string; ids: string }>(
				"SELECT seq, game_id, ids FROM ingest_log ORDER BY seq LIMIT ?",
			),
			deleteInbox: p<[number]>("DELETE FROM ingest_log WHERE seq <= ?"),
			inboxCount: p<[], { n: number }>("SELECT count(*) AS n FROM ingest_log"),
			inboxSpan: p<[number, number], { n: number }>("SELECT count(*) AS n FROM ingest_log WHERE seq BETWEEN ? AND ?"),
			event: p<[string, string], RawEventRow>(
				"SELECT id, user_id, session_id, type, name, time, props FROM events WHERE game_id = ? AND id = ?",
			),
			range: p<[string, string, string, number], RawEventRow>(
				`SELECT id, user_id, session_id, type, name, time, props FROM events
				WHERE game_id = ? AND id >= ? AND id <= ? ORDER BY id LIMIT ?`,
			),
			scan: p<[string, string, number], RawEventRow>(
				`SELECT id, user_id, session_id, type, name, time, props FROM events
				WHERE game_id = ? AND id > ? ORDER BY id LIMIT ?`,
			),
			state: p<[string], StateRow>("SELECT game_id, time_zone, rebuild_cursor FROM wh_state WHERE game_id = ?"),
			states: p<[], StateRow>("SELECT game_id, time_zone, rebuild_cursor FROM wh_state ORDER BY game_id"),
			insertState: p<[string, string, string | null, number]>(
				`INSERT INTO wh_state (game_id, time_zone, rebuild_cursor, updated_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (game_id) DO NOTHING`,
			),
			setState: p<[string, string | null, number, number, string]>(
				`UPDATE wh_state SET time_zone = ?, rebuild_cursor = ?, folded_events = folded_events + ?, updated_at = ?
				WHERE game_id = ?`,
			),
			gameZone: p<[string], { time_zone: string }>("SELECT time_zone FROM game_settings WHERE game_id = ?"),
			games: p<[], { id: string }>("SELECT id FROM games ORDER BY id"),
			player: p<[string, number], PlayerRow>(
				`SELECT first_time, first_day, last_day, attrs_time, attrs_id, first_purchase_time FROM wh_players
				WHERE game_id = ? AND user_id = ?`,
			),
			upsertPlayer: p<[PlayerWrite]>(
				`INSERT INTO wh_players (game_id, user_id, first_time, first_day, last_day, attrs_time, attrs_id, attrs,
					first_purchase_time)
				VALUES (@game_id, @user_id, @first_time, @first_day, @last_day, @attrs_time, @attrs_id, @attrs,
					@first_purchase_time)
				ON CONFLICT (game_id, user_id) DO UPDATE SET first_time = excluded.first_time,
					first_day = excluded.first_day, last_day = excluded.last_day,
					first_purchase_time = excluded.first_purchase_time,
					attrs_time = coalesce(excluded.attrs_time, attrs_time), attrs_id = coalesce(excluded.attrs_id, attrs_id),
					attrs = coalesce(excluded.attrs, attrs)`,
			),
			userDaysOf: p<[string, number], { day: number; revenue: number }>(
				"SELECT day, revenue FROM wh_user_days WHERE game_id = ? AND user_id = ?",
			),
			upsertUserDay: p<[string, number, number, number, number, number], { events: number; purchases: number }>(
				`INSERT INTO wh_user_days (game_id, day, user_id, events, revenue, purchases) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (game_id, day, user_id) DO UPDATE SET events = events + excluded.events,
					revenue = revenue + excluded.revenue, purchases = purchases + excluded.purchases
				RETURNING events, purchases`,
			),
			addDay: p<[string, number, number, number, number, number, number, number]>(
				`INSERT INTO wh_days (game_id, day, dau, new_users, payers, revenue, purchases, events)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (game_id, day) DO UPDATE SET dau = dau + excluded.dau, new_users = new_users + excluded.new_users,
					payers = payers + excluded.payers, revenue = revenue + excluded.revenue,
					purchases = purchases + excluded.purchases, events = events + excluded.events`,
			),
			addCohort: p<[string, number, number, number, number]>(
				`INSERT INTO wh_cohorts (game_id, cohort_day, day_offset, users, revenue) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (game_id, cohort_day, day_offset) DO UPDATE SET users = users + excluded.users,
					revenue = revenue + excluded.revenue`,
			),
			addCohortLast: p<[string, number, number, number]>(
				`INSERT INTO wh_cohort_last (game_id, cohort_day, max_offset, users) VALUES (?, ?, ?, ?)
				ON CONFLICT (game_id, cohort_day, max_offset) DO UPDATE SET users = users + excluded.users`,
			),
			session: p<[string, string], SessionRow>(
				"SELECT start_time, end_time, duration FROM wh_sessions WHERE game_id = ? AND session_id = ?",
			),
			upsertSession: p<[string, string, number, number, number | null, number | null, number | null]>(
				`INSERT INTO wh_sessions (game_id, session_id, user_id, day, start_time, end_time, duration)
				VALUES (?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (game_id, session_id) DO UPDATE SET day = excluded.day, start_time = excluded.start_time,
					end_time = excluded.end_time, duration = excluded.duration`,
			),
			addEventDays: p<[string, string, string, number, number]>(
				`INSERT INTO wh_event_days (game_id, type, name, day, events) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (game_id, type, name, day) DO UPDATE SET events = events + excluded.events`,
			),
			addEventHours: p<[string, string, string, number, number]>(
				`INSERT INTO wh_event_hours (game_id, type, name, hour, events) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (game_id, type, name, hour) DO UPDATE SET events = events + excluded.events`,
			),
			addEconomy: p<[string, number, string, string, string, string, number, number]>(
				`INSERT INTO wh_economy (game_id, day, currency, flow, item_type, item_id, amount, events)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (game_id, day, currency, flow, item_type, item_id) DO UPDATE SET
					amount = amount + excluded.amount, events = events + excluded.events`,
			),
			addProgression: p<[string, number, string, string, number, number, number, number, number]>(
				`INSERT INTO wh_progression (game_id, day, path, status, events, attempts, attempts_n, seconds, seconds_n)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (game_id, day, path, status) DO UPDATE SET events = events + excluded.events,
					attempts = attempts + excluded.attempts, attempts_n = attempts_n + excluded.attempts_n,
					seconds = seconds + excluded.seconds, seconds_n = seconds_n + excluded.seconds_n`,
			),
			addProduct: p<[string, number, string, number, number]>(
				`INSERT INTO wh_products (game_id, day, product, revenue, purchases) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (game_id, day, product) DO UPDATE SET revenue = revenue + excluded.revenue,
					purchases = purchases + excluded.purchases`,
			),
			funnelStep: p<[string, string, number, number], { first_time: number; first_id: string }>(
				`SELECT first_time, first_id FROM wh_funnel_steps WHERE game_id = ? AND funnel = ? AND step = ?
					AND user_id = ?`,
			),
			// Keeps the earliest arrival by (time, id): one statement, no read first.
			upsertFunnelStep: p<[string, string, number, number, number, string, string]>(
				`INSERT INTO wh_funnel_steps (game_id, funnel, step, user_id, first_time, first_id, step_name)
				VALUES (?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (game_id, funnel, step, user_id) DO UPDATE SET first_time = excluded.first_time,
					first_id = excluded.first_id, step_name = excluded.step_name
				WHERE excluded.first_time < wh_funnel_steps.first_time
					OR (excluded.first_time = wh_funnel_steps.first_time AND excluded.first_id < wh_funnel_steps.first_id)`,
			),
			exposure: p<[string, string, number], { first_time: number; first_id: string; variations: string }>(
				`SELECT first_time, first_id, variations FROM wh_exposures WHERE game_id = ? AND experiment = ?
					AND user_id = ?`,
			),
			upsertExposure: p<[string, string, number, number, string, string, string]>(
				`INSERT INTO wh_exposures (game_id, experiment, user_id, first_time, first_id, variation, variations)
				VALUES (?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (game_id, experiment, user_id) DO UPDATE SET first_time = excluded.first_time,
					first_id = excluded.first_id, variation = excluded.variation, variations = excluded.variations`,
			),
			updateExposureVariations: p<[string, string, string, number]>(
				"UPDATE wh_exposures SET variations = ? WHERE game_id = ? AND experiment = ? AND user_id = ?",
			),
			retention: p<[], { game_id: string; raw_retention_days: number | null }>(
				"SELECT game_id, raw_retention_days FROM game_settings WHERE raw_retention_days IS NOT NULL",
			),
			purge: p<[string, number, string, number, number]>(
				`DELETE FROM events WHERE game_id = ? AND time < ?
					AND id IN (SELECT id FROM events WHERE game_id = ? AND time < ? LIMIT ?)`,
			),
		};
	}

	/**
	 * One step of the warehouse job:
	 * 1. a game whose configured time zone differs from its rollups' starts a rebuild (a short write);
	 * 2. read phase, no lock held: each rebuilding game's next slice of raw events, then up to `maxBatches` inbox
	 *    rows and their events, folded into deltas in memory;
	 * 3. write phase, one short transaction under the write lock: the state read in 2 is checked unchanged, the
	 *    deltas applied, the inbox rows deleted and the rebuild cursors moved.
	 * Each event is folded once: an inbox event a rebuild will reach (id past its new cursor) or has just scanned is
	 * left to the rebuild; the inbox rows go in the same transaction as their deltas, so a crash folds nothing twice.
	 */
	step(maxBatches = 50): FoldOutcome {
		this.#checkZones();
		const plan = this.#read(maxBatches);
		if (plan.games.size === 0 && plan.inbox.length === 0) return { events: 0, batches: 0, rebuilding: 0 };
		this.#lock.acquire();
		try {
			return this.#db.transaction(() => this.#write(plan)).immediate();
		} finally {
			this.#lock.release();
		}
	}

	/** Runs {@link step} until the inbox is empty and no rebuild is left (tests, backfill from the CLI). */
	catchUp(): FoldOutcome {
		const total: FoldOutcome = { events: 0, batches: 0, rebuilding: 0 };
		for (;;) {
			const out = this.step();
			total.events += out.events;
			total.batches += out.batches;
			total.rebuilding = out.rebuilding;
			if (out.batches === 0 && out.rebuilding === 0) return total;
		}
	}

	/** Inbox rows (batches) not folded yet. */
	pending(): number {
		return this.#s.inboxCount.get()?.n ?? 0;
	}

	/** Games whose rollups are being rebuilt. */
	rebuildingGames(): number {
		return this.#s.states.all().filter((state) => state.rebuild_cursor !== null).length;
	}

	/** Clears a game's rollups and re-folds its raw events step by step (backfill). */
	rebuild(gameId: string): void {
		this.#lock.acquire();
		try {
			this.#db
				.transaction(() => {
					const state = this.#ensureState(gameId);
					this.#reset(gameId, state.time_zone);
				})
				.immediate();
		} finally {
			this.#lock.release();
		}
	}

	/**
	 * Deletes raw events older than each game's `raw_retention_days` (rollups are kept). Runs after the inbox is
	 * folded, so no event leaves before its rollups have it; deletes at most `limit` rows per game per call.
	 */
	purgeExpired(now: number, limit = 50_000): { gameId: string; deleted: number }[] {
		if (this.pending() > 0) return [];
		const out: { gameId: string; deleted: number }[] = [];
		for (const { game_id, raw_retention_days } of this.#s.retention.all()) {
			if (raw_retention_days === null) continue;
			const state = this.#s.state.get(game_id);
			// A rebuilding game still reads its raw events.
			if (state && state.rebuild_cursor !== null) continue;
			const before = now - raw_retention_days * 86_400_000;
			let changes: number;
			this.#lock.acquire();
			try {
				({ changes } = this.#db
					.transaction(() => this.#s.purge.run(game_id, before, game_id, before, limit))
					.immediate());
			} finally {
				this.#lock.release();
			}
			if (changes > 0) out.push({ gameId: game_id, deleted: changes });
		}
		return out;
	}

	#checkZones(): void {
		for (const { id } of this.#s.games.all()) {
			const state = this.#s.state.get(id);
			const zone = this.#s.gameZone.get(id)?.time_zone ?? "UTC";
			if (state && zone === state.time_zone) continue;
			this.#lock.acquire();
			try {
				this.#db
					.transaction(() => {
						const current = this.#ensureState(id);
						if (zone !== current.time_zone) this.#reset(id, zone);
					})
					.immediate();
			} finally {
				this.#lock.release();
			}
		}
	}

	#read(maxBatches: number): Plan {
		const games = new Map<string, GamePlan>();
		const plan = (state: StateRow): GamePlan => {
			let g = games.get(state.game_id);
			if (!g) {
				g = {
					zone: state.time_zone,
					cursorBefore: state.rebuild_cursor,
					cursorAfter: state.rebuild_cursor,
					events: [],
					scanned: new Set(),
				};
				games.set(state.game_id, g);
			}
			return g;
		};
		// Rebuild scans first, so an event stored after a scan is never mistaken for one it covered.
		let rebuilding = 0;
		for (const state of this.#s.states.all()) {
			if (state.rebuild_cursor === null) continue;
			const g = plan(state);
			const rows = this.#s.scan.all(state.game_id, state.rebuild_cursor, REBUILD_STEP_EVENTS);
			for (const row of rows) {
				g.events.push(toFoldEvent(row));
				g.scanned.add(row.id);
			}
			g.cursorAfter = rows.length < REBUILD_STEP_EVENTS ? null : rows.at(-1)!.id;
			if (g.cursorAfter !== null) rebuilding++;
		}
		// Batches up to about STEP_EVENTS events (at least one), so a write phase stays short whatever piled up.
		const inbox: { seq: number; game_id: string; ids: string }[] = [];
		let ids = 0;
		for (const row of this.#s.inbox.iterate(maxBatches)) {
			const count = row.ids.length / 20;
			if (inbox.length > 0 && ids + count > STEP_EVENTS) break;
			inbox.push(row);
			ids += count;
		}
		for (const row of inbox) {
			const state = this.#s.state.get(row.game_id) ?? {
				game_id: row.game_id,
				time_zone: this.#s.gameZone.get(row.game_id)?.time_zone ?? "UTC",
				rebuild_cursor: null,
			};
			const g = plan(state);
			const wanted = (JSON.parse(row.ids) as string[]).filter(
				// A rebuild that goes on reaches every id past its new cursor itself.
				(id) => !g.scanned.has(id) && !(g.cursorAfter !== null && id > g.cursorAfter),
			);
			for (const event of this.#events(row.game_id, wanted)) g.events.push(toFoldEvent(event));
		}
		for (const g of games.values()) {
			g.facts = emptyFacts();
			foldEvents(g.facts, g.events, localDayFn(g.zone));
		}
		return { games, inbox, rebuilding };
	}

	/**
	 * The stored events with these ids. A batch's ids are time-ordered and mostly adjacent in the key, so one range
	 * read finds them far faster than a lookup each; ids the range read did not reach (a late event among new
	 * ones) are looked up one by one.
	 */
	#events(gameId: string, ids: string[]): RawEventRow[] {
		if (ids.length === 0) return [];
		const sorted = [...ids].sort();
		const wanted = new Set(sorted);
		const limit = sorted.length * 2 + 64;
		const rows = this.#s.range.all(gameId, sorted[0]!, sorted.at(-1)!, limit);
		const found: RawEventRow[] = [];
		for (const row of rows) {
			if (wanted.delete(row.id)) found.push(row);
		}
		for (const id of wanted) {
			const row = this.#s.event.get(gameId, id);
			if (row) found.push(row);
		}
		return found;
	}

	#write(plan: Plan): FoldOutcome {
		const now = this.#clock();
		// Another folder (the CLI) may have moved on since the read phase: then this plan is stale; the next step redoes it.
		const first = plan.inbox[0];
		const last = plan.inbox.at(-1);
		if (first && last && this.#s.inboxSpan.get(first.seq, last.seq)!.n !== plan.inbox.length) {
			return { events: 0, batches: 0, rebuilding: plan.rebuilding };
		}
		for (const [gameId, g] of plan.games) {
			const state = this.#s.state.get(gameId);
			if ((state?.rebuild_cursor ?? null) !== g.cursorBefore || (state && state.time_zone !== g.zone)) {
				return { events: 0, batches: 0, rebuilding: plan.rebuilding };
			}
		}
		let events = 0;
		for (const [gameId, g] of plan.games) {
			this.#ensureState(gameId);
			if (g.events.length > 0) {
				const dayOf = localDayFn(g.zone);
				this.#applyPlayers(gameId, g.facts!, dayOf);
				this.#applyFacts(gameId, g.facts!, dayOf);
			}
			this.#s.setState.run(g.zone, g.cursorAfter, g.events.length, now, gameId);
			events += g.events.length;
		}
		if (last) this.#s.deleteInbox.run(last.seq);
		return { events, batches: plan.inbox.length, rebuilding: plan.rebuilding };
	}

	#ensureState(gameId: string): StateRow {
		const existing = this.#s.state.get(gameId);
		if (existing) return existing;
		// A game first seen here has no events before its first inbox row: nothing to rebuild.
		const zone = this.#s.gameZone.get(gameId)?.time_zone ?? "UTC";
		this.#s.insertState.run(gameId, zone, null, this.#clock());
		return { game_id: gameId, time_zone: zone, rebuild_cursor: null };
	}

	#reset(gameId: string, zone: string): void {
		for (const table of ROLLUP_TABLES) this.#db.prepare(`DELETE FROM ${table} WHERE game_id = ?`).run(gameId);
		this.#db
			.prepare(
				"UPDATE wh_state SET time_zone = ?, rebuild_cursor = '', folded_events = 0, updated_at = ? WHERE game_id = ?",
			)
			.run(zone, this.#clock(), gameId);
	}

	/**
	 * Players, user-days and the day/cohort aggregates kept in step with them. A player whose install day moves (a
	 * late event older than their first one) has their whole cohort contribution taken out and put back.
	 */
	#applyPlayers(gameId: string, facts: ChunkFacts, dayOf: (time: number) => number): void {
		const s = this.#s;
		const days = new Map<number, DayDelta>();
		const dayDelta = (day: number): DayDelta => {
			let d = days.get(day);
			if (!d) days.set(day, (d = { dau: 0, newUsers: 0, payers: 0, revenue: 0, purchases: 0, events: 0 }));
			return d;
		};
		const cohorts = new Map<string, { users: number; revenue: number }>();
		const cohort = (cohortDay: number, offset: number, users: number, revenue: number) => {
			const key = `${cohortDay}:${offset}`;
			const c = cohorts.get(key) ?? { users: 0, revenue: 0 };
			c.users += users;
			c.revenue += revenue;
			cohorts.set(key, c);
		};
		const lasts = new Map<string, number>();
		const last = (cohortDay: number, offset: number, users: number) => {
			const key = `${cohortDay}:${offset}`;
			lasts.set(key, (lasts.get(key) ?? 0) + users);
		};

		const byUser = new Map<number, UserDayDeltaLite[]>();
		for (const ud of facts.userDays.values()) {
			let list = byUser.get(ud.userId);
			if (!list) byUser.set(ud.userId, (list = []));
			list.push(ud);
		}

		// In key order, so the writes land on neighbouring pages.
		const players = [...facts.players.values()].sort((a, b) => a.userId - b.userId);
		for (const player of players) {
			const before = s.player.get(gameId, player.userId);
			const firstTime = Math.min(before?.first_time ?? Infinity, player.firstTime);
			const firstDay = dayOf(firstTime);
			const lastDay = Math.max(before?.last_day ?? -Infinity, player.maxDay);
			const moved = !before || before.first_day !== firstDay;
			const beforeDays = before && moved ? s.userDaysOf.all(gameId, player.userId) : [];

			for (const ud of byUser.get(player.userId) ?? []) {
				// One statement: the row after the upsert tells whether it is new (its events are only this chunk's) and
				// what it held before.
				const after = s.upsertUserDay.get(gameId, ud.day, player.userId, ud.events, ud.revenue, ud.purchases)!;
				const existing = after.events === ud.events ? undefined : { purchases: after.purchases - ud.purchases };
				const d = dayDelta(ud.day);
				d.events += ud.events;
				d.revenue += ud.revenue;
				d.purchases += ud.purchases;
				if (!existing) d.dau += 1;
				if ((existing?.purchases ?? 0) === 0 && ud.purchases > 0) d.payers += 1;
				if (!moved) cohort(firstDay, ud.day - firstDay, existing ? 0 : 1, ud.revenue);
			}

			if (moved) {
				if (before) {
					for (const row of beforeDays) cohort(before.first_day, row.day - before.first_day, -1, -row.revenue);
					dayDelta(before.first_day).newUsers -= 1;
					last(before.first_day, before.last_day - before.first_day, -1);
				}
				const after = new Map<number, number>(beforeDays.map((row) => [row.day, row.revenue]));
				for (const ud of byUser.get(player.userId) ?? []) after.set(ud.day, (after.get(ud.day) ?? 0) + ud.revenue);
				for (const [day, revenue] of after) cohort(firstDay, day - firstDay, 1, revenue);
				dayDelta(firstDay).newUsers += 1;
				last(firstDay, lastDay - firstDay, 1);
			} else if (before && lastDay !== before.last_day) {
				last(firstDay, before.last_day - firstDay, -1);
				last(firstDay, lastDay - firstDay, 1);
			}

			const takeAttrs =
				player.attrs &&
				(before?.attrs_time == null ||
					player.attrs.time < before.attrs_time ||
					(player.attrs.time === before.attrs_time && player.attrs.id < (before.attrs_id ?? "")));
			const firstPurchase = minOrNull(before?.first_purchase_time ?? null, player.firstPurchaseTime ?? null);
			// Most chunks only add activity to a known player: write the row only when one of its facts moves.
			const unchanged =
				before &&
				!takeAttrs &&
				before.first_time === firstTime &&
				before.last_day === lastDay &&
				before.first_purchase_time === firstPurchase;
			if (unchanged) continue;
			s.upsertPlayer.run({
				game_id: gameId,
				user_id: player.userId,
				first_time: firstTime,
				first_day: firstDay,
				last_day: lastDay,
				attrs_time: takeAttrs ? player.attrs!.time : null,
				attrs_id: takeAttrs ? player.attrs!.id : null,
				attrs: takeAttrs ? JSON.stringify(player.attrs!.props) : null,
				first_purchase_time: firstPurchase,
			});
		}

		for (const [day, d] of days)
			s.addDay.run(gameId, day, d.dau, d.newUsers, d.payers, d.revenue, d.purchases, d.events);
		for (const [key, c] of cohorts) {
			if (c.users === 0 && c.revenue === 0) continue;
			const [cohortDay, offset] = key.split(":").map(Number) as [number, number];
			s.addCohort.run(gameId, cohortDay, offset, c.users, c.revenue);
		}
		for (const [key, users] of lasts) {
			if (users === 0) continue;
			const [cohortDay, offset] = key.split(":").map(Number) as [number, number];
			s.addCohortLast.run(gameId, cohortDay, offset, users);
		}
	}

	#applyFacts(gameId: string, facts: ChunkFacts, dayOf: (time: number) => number): void {
		const s = this.#s;
		for (const session of facts.sessions.values()) {
			const before = s.session.get(gameId, session.sessionId);
			const start = minOrNull(before?.start_time ?? null, session.startTime ?? null);
			const end = maxOrNull(before?.end_time ?? null, session.endTime ?? null);
			const duration = maxOrNull(before?.duration ?? null, session.duration ?? null);
			const startOrDerived = start ?? (end !== null ? end - Math.round((duration ?? 0) * 1000) : null);
			if (startOrDerived === null) continue;
			s.upsertSession.run(gameId, session.sessionId, session.userId, dayOf(startOrDerived), start, end, duration);
		}
		for (const v of facts.eventDays.values()) s.addEventDays.run(gameId, v.type, v.name, v.day, v.events);
		for (const v of facts.eventHours.values()) s.addEventHours.run(gameId, v.type, v.name, v.hour, v.events);
		for (const v of facts.economy.values()) {
			s.addEconomy.run(gameId, v.day, v.currency, v.flow, v.itemType, v.itemId, v.amount, v.events);
		}
		for (const v of facts.progression.values()) {
			s.addProgression.run(gameId, v.day, v.path, v.status, v.events, v.attempts, v.attemptsN, v.seconds, v.secondsN);
		}
		for (const v of facts.products.values()) s.addProduct.run(gameId, v.day, v.product, v.revenue, v.purchases);
		for (const v of facts.funnelSteps.values()) {
			const { funnel, step, userId } = v;
			s.upsertFunnelStep.run(gameId, funnel, step, userId, v.time, v.id, v.stepName);
		}
		for (const v of facts.exposures.values()) {
			const { experiment, userId } = v;
			const before = s.exposure.get(gameId, experiment, userId);
			const variations = new Set<string>(v.variations);
			if (before) for (const seen of JSON.parse(before.variations) as string[]) variations.add(seen);
			const all = JSON.stringify([...variations].sort());
			if (before && !(v.time < before.first_time || (v.time === before.first_time && v.id < before.first_id))) {
				s.updateExposureVariations.run(all, gameId, experiment, userId);
				continue;
			}
			s.upsertExposure.run(gameId, experiment, userId, v.time, v.id, v.variation, all);
		}
	}
}

interface PlayerRow {
	first_time: number;
	first_day: number;
	last_day: number;
	attrs_time: number | null;
	attrs_id: string | null;
	first_purchase_time: number | null;
}

interface PlayerWrite {
	game_id: string;
	user_id: number;
	first_time: number;
	first_day: number;
	last_day: number;
	attrs_time: number | null;
	attrs_id: string | null;
	attrs: string | null;
	first_purchase_time: number | null;
}

interface SessionRow {
	start_time: number | null;
	end_time: number | null;
	duration: number | null;
}

interface DayDelta {
	dau: number;
	newUsers: number;
	payers: number;
	revenue: number;
	purchases: number;
	events: number;
}

interface UserDayDeltaLite {
	day: number;
	events: number;
	revenue: number;
	purchases: number;
}

function minOrNull(a: number | null, b: number | null): number | null {
	if (a === null) return b;
	if (b === null) return a;
	return Math.min(a, b);
}

function maxOrNull(a: number | null, b: number | null): number | null {
	if (a === null) return b;
	if (b === null) return a;
	return Math.max(a, b);
}
