// The SQLite side of the metrics engine: rows from the rollup tables, or from raw events where no rollup fits
// (segmented economy, progression and product breakdowns, prop-filtered KPIs, event-step funnels).
import type BetterSqlite3 from "better-sqlite3";
import type { PropValue } from "../../domain/ingest.js";
import { MetricRequestError } from "../../domain/metrics.js";
import type {
	CohortCellRow,
	CohortLastRow,
	DayRange,
	DayTotalsRow,
	EconomyRow,
	EventRef,
	FunnelStepRow,
	MetricsReader,
	PlayerRow,
	ProductRow,
	ProgressionRow,
	RawEventRow,
	SessionRow,
	UserDayRow,
	EventDayRow,
	EventNameRow,
} from "../../domain/metrics-reader.js";
import {
	MULTIPLE_VARIATIONS,
	NO_VALUE,
	NOT_EXPOSED,
	type Dimension,
	type SegmentSpec,
} from "../../metrics/segments.js";
import { localDayFn, localDayStart } from "../../warehouse/time-zone.js";
import { economyRows, productRows, progressionRows } from "../../metrics/raw-rows.js";

type Params = Record<string, unknown>;

interface SegmentSql {
	/** JOIN clauses (players and exposures). */
	joins: string;
	/** The breakdown expression, or NULL. */
	select: string;
	/** WHERE conditions of the filters, each starting with AND. */
	where: string;
	params: Params;
	/** Filters that need the event's day (new_vs_returning on raw events), checked in JS. */
	needsFirstDay: boolean;
}

/**
 * SQL of a segment spec over a table aliased `alias` with game_id and user_id. `dayExpr` is the row's local day, for
 * new_vs_returning; without one (raw events), that dimension is resolved in JS from `p.first_day`.
 */
function segmentSql(spec: SegmentSpec, alias: string, dayExpr: string | null): SegmentSql {
	const params: Params = {};
	const joins: string[] = [];
	let n = 0;
	let needsFirstDay = false;
	const expr = (dimension: Dimension): string => {
		const i = n++;
		switch (dimension.kind) {
			case "attr":
				params[`path${i}`] = `$.${dimension.name}`;
				return `(CASE json_type(p.attrs, @path${i}) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'
					ELSE coalesce(CAST(json_extract(p.attrs, @path${i}) AS TEXT), '${NO_VALUE}') END)`;
			case "variant":
				params[`exp${i}`] = dimension.experiment;
				joins.push(
					`LEFT JOIN wh_exposures x${i} ON x${i}.game_id = p.game_id AND x${i}.experiment = @exp${i}
						AND x${i}.user_id = p.user_id`,
				);
				return `(CASE WHEN x${i}.user_id IS NULL THEN '${NOT_EXPOSED}'
					WHEN json_array_length(x${i}.variations) > 1 THEN '${MULTIPLE_VARIATIONS}'
					ELSE CAST(json_extract(x${i}.variation, '$') AS TEXT) END)`;
			case "newVsReturning":
				if (dayExpr === null) {
					needsFirstDay = true;
					return "NULL";
				}
				return `(CASE WHEN p.first_day = ${dayExpr} THEN 'new' ELSE 'returning' END)`;
		}
	};
	const select = spec.breakdown ? expr(spec.breakdown) : "NULL";
	let where = "";
	for (const filter of spec.filters) {
		const e = expr(filter.dimension);
		if (e === "NULL") continue;
		const i = n++;
		params[`value${i}`] = filter.value;
		where += ` AND ${e} = @value${i}`;
	}
	const playerJoin = `JOIN wh_players p ON p.game_id = ${alias}.game_id AND p.user_id = ${alias}.user_id`;
	return { joins: [playerJoin, ...joins].join("\n"), select, where, params, needsFirstDay };
}

function segmented(spec: SegmentSpec): boolean {
	return spec.breakdown !== undefined || spec.filters.length > 0;
}

export class SqliteMetricsReader implements MetricsReader {
	readonly #db: BetterSqlite3.Database;
	readonly #cache = new Map<string, BetterSqlite3.Statement>();

	constructor(db: BetterSqlite3.Database) {
		this.#db = db;
	}

	#all<T>(sql: string, params: Params): T[] {
		return this.#statement(sql).all(params) as T[];
	}

	#statement(sql: string): BetterSqlite3.Statement {
		let statement = this.#cache.get(sql);
		if (!statement) {
			statement = this.#db.prepare(sql);
			if (this.#cache.size > 500) this.#cache.clear();
			this.#cache.set(sql, statement);
		}
		return statement;
	}

	timeZone(gameId: string): string {
		const row = this.#db.prepare("SELECT time_zone FROM wh_state WHERE game_id = ?").get(gameId) as
			{ time_zone: string } | undefined;
		return row?.time_zone ?? "UTC";
	}

	dayTotals(gameId: string, range: DayRange): DayTotalsRow[] {
		return this.#all<DayTotalsRow>(
			`SELECT day, dau, new_users AS newUsers, payers, revenue, purchases FROM wh_days
			WHERE game_id = @gameId AND day BETWEEN @from AND @to ORDER BY day`,
			{ gameId, from: range.from, to: range.to },
		);
	}

	userDays(gameId: string, range: DayRange, spec: SegmentSpec): UserDayRow[] {
		if (!segmented(spec)) {
			return this.#all<UserDayRow>(
				`SELECT d.day, d.user_id AS userId, p.first_day AS firstDay, d.events, d.revenue, d.purchases, NULL AS segment
				FROM wh_user_days d JOIN wh_players p ON p.game_id = d.game_id AND p.user_id = d.user_id
				WHERE d.game_id = @gameId AND d.day BETWEEN @from AND @to`,
				{ gameId, from: range.from, to: range.to },
			);
		}
		const seg = segmentSql(spec, "d", "d.day");
		return this.#all<UserDayRow>(
			`SELECT d.day, d.user_id AS userId, p.first_day AS firstDay, d.events, d.revenue, d.purchases,
				${seg.select} AS segment
			FROM wh_user_days d ${seg.joins}
			WHERE d.game_id = @gameId AND d.day BETWEEN @from AND @to ${seg.where}`,
			{ gameId, from: range.from, to: range.to, ...seg.params },
		);
	}

	rangeTotals(gameId: string, range: DayRange): { players: number; payers: number } {
		return this.#all<{ players: number; payers: number }>(
			`SELECT count(DISTINCT user_id) AS players, count(DISTINCT CASE WHEN purchases > 0 THEN user_id END) AS payers
			FROM wh_user_days WHERE game_id = @gameId AND day BETWEEN @from AND @to`,
			{ gameId, from: range.from, to: range.to },
		)[0]!;
	}

	players(gameId: string, range: DayRange, spec: SegmentSpec): PlayerRow[] {
		const seg = segmentSql(spec, "q", null);
		return this.#all<PlayerRow>(
			`SELECT q.user_id AS userId, q.first_day AS firstDay, q.last_day AS lastDay, q.first_time AS firstTime,
				q.first_purchase_time AS firstPurchaseTime, ${seg.select} AS segment
			FROM wh_players q ${seg.joins}
			WHERE q.game_id = @gameId AND q.first_day BETWEEN @from AND @to ${seg.where}`,
			{ gameId, from: range.from, to: range.to, ...seg.params },
		);
	}

	firstPurchases(gameId: string, fromTime: number, toTime: number, spec: SegmentSpec): PlayerRow[] {
		const seg = segmentSql(spec, "q", null);
		return this.#all<PlayerRow>(
			`SELECT q.user_id AS userId, q.first_day AS firstDay, q.last_day AS lastDay, q.first_time AS firstTime,
				q.first_purchase_time AS firstPurchaseTime, ${seg.select} AS segment
			FROM wh_players q ${seg.joins}
			WHERE q.game_id = @gameId AND q.first_purchase_time >= @fromTime AND q.first_purchase_time < @toTime
				${seg.where}`,
			{ gameId, fromTime, toTime, ...seg.params },
		);
	}

	cohortCells(gameId: string, range: DayRange): CohortCellRow[] {
		return this.#all<CohortCellRow>(
			`SELECT cohort_day AS cohortDay, day_offset AS offset, users, revenue FROM wh_cohorts
			WHERE game_id = @gameId AND cohort_day BETWEEN @from AND @to`,
			{ gameId, from: range.from, to: range.to },
		);
	}

	cohortLast(gameId: string, range: DayRange): CohortLastRow[] {
		return this.#all<CohortLastRow>(
			`SELECT cohort_day AS cohortDay, max_offset AS maxOffset, users FROM wh_cohort_last
			WHERE game_id = @gameId AND cohort_day BETWEEN @from AND @to AND users <> 0`,
			{ gameId, from: range.from, to: range.to },
		);
	}

	sessions(gameId: string, range: DayRange, spec: SegmentSpec): SessionRow[] {
		const seg = segmented(spec) ? segmentSql(spec, "s", "s.day") : undefined;
		return this.#all<SessionRow>(
			`SELECT s.day, s.user_id AS userId, s.duration, ${seg?.select ?? "NULL"} AS segment
			FROM wh_sessions s ${seg?.joins ?? ""}
			WHERE s.game_id = @gameId AND s.day BETWEEN @from AND @to ${seg?.where ?? ""}`,
			{ gameId, from: range.from, to: range.to, ...seg?.params },
		);
	}

	eventDays(gameId: string, event: EventRef, range: DayRange): EventDayRow[] {
		const typeClause = event.type === undefined ? "" : "AND type = @type";
		return this.#all<EventDayRow>(
			`SELECT day, sum(events) AS events FROM wh_event_days
			WHERE game_id = @gameId ${typeClause} AND name = @name AND day BETWEEN @from AND @to
			GROUP BY day ORDER BY day`,
			{ gameId, name: event.name, from: range.from, to: range.to, ...(event.type && { type: event.type }) },
		);
	}

	eventNames(gameId: string, range: DayRange | null): EventNameRow[] {
		// A few rows per event kind and day: cheap at any event volume.
		return this.#all<EventNameRow>(
			`SELECT type, name, sum(events) AS events, max(day) AS lastDay FROM wh_event_days
			WHERE game_id = @gameId AND day BETWEEN @from AND @to
			GROUP BY type, name ORDER BY events DESC, type, name`,
			{ gameId, from: range?.from ?? -1e9, to: range?.to ?? 1e9 },
		);
	}

	eventHours(gameId: string, event: EventRef, fromHour: number, toHour: number): { hour: number; events: number }[] {
		const typeClause = event.type === undefined ? "" : "AND type = @type";
		return this.#all(
			`SELECT hour, sum(events) AS events FROM wh_event_hours
			WHERE game_id = @gameId ${typeClause} AND name = @name AND hour >= @fromHour AND hour < @toHour
			GROUP BY hour ORDER BY hour`,
			{ gameId, name: event.name, fromHour, toHour, ...(event.type && { type: event.type }) },
		);
	}

	economy(gameId: string, range: DayRange, spec: SegmentSpec): EconomyRow[] {
		if (!segmented(spec)) {
			return this.#all<EconomyRow>(
				`SELECT day, currency, flow, item_type AS itemType, item_id AS itemId, amount, events, NULL AS segment
				FROM wh_economy WHERE game_id = @gameId AND day BETWEEN @from AND @to`,
				{ gameId, from: range.from, to: range.to },
			);
		}
		return economyRows(this.#rawByType(gameId, "economy", range, spec));
	}

	progression(gameId: string, range: DayRange, spec: SegmentSpec): ProgressionRow[] {
		if (!segmented(spec)) {
			return this.#all<ProgressionRow>(
				`SELECT day, path, status, events, attempts, attempts_n AS attemptsN, seconds, seconds_n AS secondsN,
					NULL AS segment
				FROM wh_progression WHERE game_id = @gameId AND day BETWEEN @from AND @to`,
				{ gameId, from: range.from, to: range.to },
			);
		}
		return progressionRows(this.#rawByType(gameId, "progression", range, spec));
	}

	products(gameId: string, range: DayRange, spec: SegmentSpec): ProductRow[] {
		if (!segmented(spec)) {
			return this.#all<ProductRow>(
				`SELECT day, product, revenue, purchases, NULL AS segment FROM wh_products
				WHERE game_id = @gameId AND day BETWEEN @from AND @to`,
				{ gameId, from: range.from, to: range.to },
			);
		}
		return productRows(this.#rawByType(gameId, "purchase", range, spec));
	}

	funnelStepCount(gameId: string, funnel: string): number {
		const row = this.#statement(
			"SELECT max(step) AS n FROM wh_funnel_steps WHERE game_id = @gameId AND funnel = @funnel",
		).get({ gameId, funnel }) as { n: number | null };
		return row.n ?? 0;
	}

	funnelSteps(gameId: string, funnel: string, fromTime: number, toTime: number, spec: SegmentSpec): FunnelStepRow[] {
		if (spec.breakdown?.kind === "newVsReturning" || spec.filters.some((f) => f.dimension.kind === "newVsReturning")) {
			throw new MetricRequestError("new_vs_returning does not apply to funnels: group funnels by player attributes");
		}
		const seg = segmented(spec) ? segmentSql(spec, "f", null) : undefined;
		return this.#all<FunnelStepRow>(
			`SELECT f.step, f.user_id AS userId, f.first_time AS time, f.step_name AS stepName,
				${seg?.select ?? "NULL"} AS segment
			FROM wh_funnel_steps f ${seg?.joins ?? ""}
			WHERE f.game_id = @gameId AND f.funnel = @funnel ${seg?.where ?? ""}
				AND f.user_id IN (SELECT user_id FROM wh_funnel_steps WHERE game_id = @gameId AND funnel = @funnel
					AND step = 1 AND first_time >= @fromTime AND first_time < @toTime)`,
			{ gameId, funnel, fromTime, toTime, ...seg?.params },
		);
	}

	*rawEvents(
		gameId: string,
		event: EventRef,
		fromTime: number,
		toTime: number,
		spec: SegmentSpec,
	): Iterable<RawEventRow> {
		const typeClause = event.type === undefined ? "" : "AND e.type = @type";
		const params = { gameId, name: event.name, fromTime, toTime, ...(event.type && { type: event.type }) };
		yield* this.#raw(
			gameId,
			`e.game_id = @gameId ${typeClause} AND e.name = @name AND e.time >= @fromTime AND e.time < @toTime`,
			params,
			spec,
		);
	}

	latestEventTime(gameId: string): number | null {
		const row = this.#db.prepare("SELECT max(time) AS t FROM events WHERE game_id = ?").get(gameId) as {
			t: number | null;
		};
		return row.t;
	}

	/** Raw events of one type in a day range, with their local day. */
	*#rawByType(
		gameId: string,
		type: string,
		range: DayRange,
		spec: SegmentSpec,
	): Iterable<RawEventRow & { day: number }> {
		const zone = this.timeZone(gameId);
		const dayOf = localDayFn(zone);
		const fromTime = range.from < -1e6 ? 0 : localDayStart(range.from, zone);
		const toTime = localDayStart(range.to + 1, zone);
		const rows = this.#raw(
			gameId,
			"e.game_id = @gameId AND e.time >= @fromTime AND e.time < @toTime AND e.type = @type",
			{ gameId, fromTime, toTime, type },
			spec,
		);
		for (const row of rows) yield { ...row, day: dayOf(row.time) };
	}

	*#raw(gameId: string, where: string, params: Params, spec: SegmentSpec): Iterable<RawEventRow> {
		const seg = segmented(spec) ? segmentSql(spec, "e", null) : undefined;
		const sql = `SELECT e.time, e.user_id AS userId, e.name, e.props, ${seg?.select ?? "NULL"} AS segment,
				${seg ? "p.first_day" : "NULL"} AS firstDay
			FROM events e ${seg?.joins ?? ""}
			WHERE ${where} ${seg?.where ?? ""} ORDER BY e.time`;
		const zone = seg?.needsFirstDay ? this.timeZone(gameId) : "UTC";
		const dayOf = localDayFn(zone);
		const newVsReturning = spec.filters.filter((f) => f.dimension.kind === "newVsReturning");
		for (const row of this.#statement(sql).iterate({ ...params, ...seg?.params }) as Iterable<{
			time: number;
			userId: number;
			name: string;
			props: string;
			segment: string | null;
			firstDay: number | null;
		}>) {
			let segment = row.segment;
			if (seg?.needsFirstDay) {
				const status = row.firstDay === dayOf(row.time) ? "new" : "returning";
				if (newVsReturning.some((f) => f.value !== status)) continue;
				if (spec.breakdown?.kind === "newVsReturning") segment = status;
			}
			yield {
				time: row.time,
				userId: row.userId,
				name: row.name,
				props: JSON.parse(row.props) as Record<string, PropValue>,
				segment,
			};
		}
	}
}
