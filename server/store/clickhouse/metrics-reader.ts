// The ClickHouse side of the metrics engine: the MetricsReader rows from the fact table (rollups-schema.ts), or from
// raw events where no rollup fits, with the SQLite reader's ordering and null rules (the engine, metrics/engine.ts,
// owns what every metric means). Each shard is asked with its own client and the answers are merged here:
// - a player's rows all live on their shard (the sharding key), so per-player aggregation and the joins of a
//   player's facts (install day × active days) are exact shard by shard and the results only concatenate;
// - game-wide sums (events per day, economy, products…) are summed over the shards' partial sums.
// Segments (breakdowns and filters) are resolved here from the players' facts, with the SQLite reader's text rules,
// so both engines put every player in the same segment.
import type { PropValue } from "../../domain/ingest.js";
import { MetricRequestError } from "../../domain/metrics.js";
import type {
	CohortCellRow,
	CohortLastRow,
	DayRange,
	DayTotalsRow,
	EconomyRow,
	EventDayRow,
	EventNameRow,
	EventRef,
	FunnelStepRow,
	MetricsReader,
	PlayerRow,
	ProductRow,
	ProgressionRow,
	RawEventRow,
	SessionRow,
	UserDayRow,
} from "../../domain/metrics-reader.js";
import {
	MULTIPLE_VARIATIONS,
	NO_VALUE,
	NOT_EXPOSED,
	type Dimension,
	type SegmentSpec,
} from "../../metrics/segments.js";
import { localDayFn, localDayStart } from "../../warehouse/time-zone.js";
import { queryRows, sqlInt, sqlString, type ClickHouseShard } from "./client.js";
import type { ClickHouseContext } from "./events-store.js";
import { FACT, NONE_MAX, NONE_MIN, factTable } from "./rollups-schema.js";
import { economyRows, productRows, progressionRows } from "../../metrics/raw-rows.js";

/** Day numbers outside any real data (the engine asks economy history from day -1e9). */
const DAY_LIMIT = 1e9;

function dayLiteral(day: number): string {
	return sqlInt(Math.max(-DAY_LIMIT, Math.min(DAY_LIMIT, day)));
}

function segmented(spec: SegmentSpec): boolean {
	return spec.breakdown !== undefined || spec.filters.length > 0;
}

/**
 * A JSON value as SQLite's `CAST(json_extract(...) AS TEXT)` gives it: booleans are 1/0, integers their digits, reals
 * SQLite's `%!.15g`, objects and arrays their JSON; null stays null.
 */
export function sqliteText(value: unknown): string | null {
	if (value === undefined || value === null) return null;
	if (typeof value === "boolean") return value ? "1" : "0";
	if (typeof value === "number") return Number.isSafeInteger(value) ? String(value) : sqliteReal(value);
	if (typeof value === "string") return value;
	return JSON.stringify(value);
}

function sqliteReal(x: number): string {
	const text = x.toPrecision(15);
	const [mantissa, exponent] = text.split("e") as [string, string | undefined];
	let m = mantissa.includes(".") ? mantissa.replace(/0+$/, "").replace(/\.$/, ".0") : `${mantissa}.0`;
	if (exponent === undefined) return m;
	if (!m.includes(".")) m += ".0";
	const sign = exponent.startsWith("-") ? "-" : "+";
	return `${m}e${sign}${exponent.replace(/^[+-]/, "").padStart(2, "0")}`;
}

interface PlayerInfo {
	firstDay: number;
	attrs: Record<string, unknown> | null;
}

/** A spec's segment of each player (and day): the SQLite reader's CASE expressions, in code. */
class Segmenter {
	constructor(
		readonly spec: SegmentSpec,
		readonly players: Map<number, PlayerInfo>,
		readonly exposures: Map<string, Map<number, { variation: string; variations: number }>>,
	) {}

	/** The dimension's value; null for new_vs_returning without a day (SQLite's NULL: not applied). */
	#value(dimension: Dimension, userId: number, player: PlayerInfo, day: number | null): string | null {
		switch (dimension.kind) {
			case "attr": {
				const value = player.attrs?.[dimension.name];
				if (value === true) return "true";
				if (value === false) return "false";
				return sqliteText(value) ?? NO_VALUE;
			}
			case "variant": {
				const x = this.exposures.get(dimension.experiment)?.get(userId);
				if (!x) return NOT_EXPOSED;
				if (x.variations > 1) return MULTIPLE_VARIATIONS;
				return sqliteText(JSON.parse(x.variation));
			}
			case "newVsReturning":
				return day === null ? null : player.firstDay === day ? "new" : "returning";
		}
	}

	/** The row's segment, or undefined when a filter leaves it out or the player is unknown (SQLite's inner join). */
	of(userId: number, day: number | null): { segment: string | null; player: PlayerInfo } | undefined {
		const player = this.players.get(userId);
		if (!player) return undefined;
		for (const filter of this.spec.filters) {
			if (filter.dimension.kind === "newVsReturning" && day === null) continue;
			if (this.#value(filter.dimension, userId, player, day) !== filter.value) return undefined;
		}
		const segment = this.spec.breakdown ? this.#value(this.spec.breakdown, userId, player, day) : null;
		return { segment, player };
	}
}

const num = (value: string | number | null | undefined): number => Number(value ?? 0);

export class ClickHouseMetricsReader implements MetricsReader {
	readonly #ctx: ClickHouseContext;
	readonly #facts: string;
	readonly #zoneOf: (gameId: string) => Promise<string>;

	/** @param zoneOf - the zone the game's facts are folded in (the rollup job knows it) */
	constructor(ctx: ClickHouseContext, zoneOf: (gameId: string) => Promise<string>) {
		this.#ctx = ctx;
		this.#facts = factTable(ctx.target.database);
		this.#zoneOf = zoneOf;
	}

	/** Runs `sql(shard)` on every shard and concatenates the rows. */
	async #all<T>(sql: string | ((shard: ClickHouseShard) => string)): Promise<T[]> {
		const parts = await Promise.all(
			this.#ctx.shards.map((shard) => queryRows<T>(shard, typeof sql === "string" ? sql : sql(shard))),
		);
		return parts.flat();
	}

	#where(gameId: string, kind: string): string {
		return `game_id = ${sqlString(gameId)} AND kind = ${sqlString(kind)}`;
	}

	/**
	 * Game-wide sums of one kind of fact, grouped by `groupBy` columns: each shard sums its own players' facts and the
	 * shards' partial sums of a group are added here (a group has rows on every shard its players live on). Groups
	 * come in the order the shards first answer them.
	 */
	async #groupSums<G extends string, S extends string>(
		gameId: string,
		kind: string,
		where: string,
		groupBy: readonly G[],
		sums: Record<S, string>,
	): Promise<(Record<G, string> & Record<S, number>)[]> {
		const names = Object.keys(sums) as S[];
		const rows = await this.#all<Record<G, string> & Record<S, number | string>>(
			`SELECT ${groupBy.join(", ")}, ${names.map((name) => `${sums[name]} AS ${name}`).join(", ")}
			FROM ${this.#facts} WHERE ${this.#where(gameId, kind)} ${where}
			GROUP BY ${groupBy.join(", ")}`,
		);
		return sumBy(
			rows,
			(r) => JSON.stringify(groupBy.map((column) => r[column])),
			(r) => {
				const acc = {} as Record<G, string> & Record<S, number>;
				for (const column of groupBy) (acc as Record<G, string>)[column] = r[column] as string;
				for (const name of names) (acc as Record<S, number>)[name] = 0;
				return acc;
			},
			(acc, r) => {
				for (const name of names) (acc as Record<S, number>)[name] += num(r[name]);
			},
		);
	}

	/** Per player: first time and day, last day, first purchase, attributes (latest facts merged). */
	#playersSql(gameId: string): string {
		return `SELECT user_id, min(t1) AS first_time, argMin(day, t1) AS first_day, max(t2) AS last_day,
				min(t3) AS first_purchase, argMinIf(props, (t4, id), s1 = '1') AS attrs, max(s1 = '1') AS has_attrs
			FROM ${this.#facts} WHERE ${this.#where(gameId, FACT.player)} GROUP BY user_id`;
	}

	#userDaysSql(gameId: string, range: DayRange): string {
		return `SELECT user_id, day, sum(n1) AS events, sum(n2) AS revenue, sum(n3) AS purchases
			FROM ${this.#facts} WHERE ${this.#where(gameId, FACT.userDay)}
				AND day BETWEEN ${dayLiteral(range.from)} AND ${dayLiteral(range.to)}
			GROUP BY user_id, day`;
	}

	/** The players' segment facts a spec needs (nothing for the whole game). */
	/**
	 * Each player's segment under `spec` on a day (null for a request without segments), or undefined for a player the
	 * spec's filters leave out; the segmenter is read only for a segmented request.
	 */
	async #segmentOf(
		gameId: string,
		spec: SegmentSpec,
	): Promise<(userId: number, day: number | null) => string | null | undefined> {
		if (!segmented(spec)) return () => null;
		const seg = await this.#segmenter(gameId, spec);
		return (userId, day) => seg.of(userId, day)?.segment;
	}

	async #segmenter(gameId: string, spec: SegmentSpec): Promise<Segmenter> {
		const players = new Map<number, PlayerInfo>();
		const rows = await this.#all<{ user_id: string; first_day: string; attrs: string; has_attrs: number }>(
			`SELECT user_id, first_day, attrs, has_attrs FROM (${this.#playersSql(gameId)})`,
		);
		for (const row of rows) {
			players.set(Number(row.user_id), {
				firstDay: Number(row.first_day),
				attrs: Number(row.has_attrs) === 1 ? (JSON.parse(row.attrs) as Record<string, unknown>) : null,
			});
		}
		const experiments = new Set<string>();
		for (const d of [spec.breakdown, ...spec.filters.map((f) => f.dimension)]) {
			if (d?.kind === "variant") experiments.add(d.experiment);
		}
		const exposures = new Map<string, Map<number, { variation: string; variations: number }>>();
		for (const experiment of experiments) {
			const found = await this.#all<{ user_id: string; variation: string; variations: string[] }>(
				`SELECT user_id, argMin(s2, (t1, id)) AS variation, groupArray(s3) AS variations
				FROM ${this.#facts} WHERE ${this.#where(gameId, FACT.exposure)} AND s1 = ${sqlString(experiment)}
				GROUP BY user_id`,
			);
			const byUser = new Map<number, { variation: string; variations: number }>();
			for (const row of found) {
				const seen = new Set<string>();
				for (const list of row.variations) for (const v of JSON.parse(list) as string[]) seen.add(v);
				byUser.set(Number(row.user_id), { variation: row.variation, variations: seen.size });
			}
			exposures.set(experiment, byUser);
		}
		return new Segmenter(spec, players, exposures);
	}

	async timeZone(gameId: string): Promise<string> {
		return await this.#zoneOf(gameId);
	}

	async dayTotals(gameId: string, range: DayRange): Promise<DayTotalsRow[]> {
		const days = new Map<number, DayTotalsRow>();
		const day = (d: number) => {
			let row = days.get(d);
			if (!row) days.set(d, (row = { day: d, dau: 0, newUsers: 0, payers: 0, revenue: 0, purchases: 0 }));
			return row;
		};
		const active = await this.#all<{
			day: string;
			dau: string;
			payers: string;
			day_revenue: number;
			day_purchases: number;
		}>(
			`SELECT day, count() AS dau, countIf(purchases > 0) AS payers, sum(revenue) AS day_revenue,
				sum(purchases) AS day_purchases
			FROM (${this.#userDaysSql(gameId, range)}) GROUP BY day`,
		);
		for (const row of active) {
			const d = day(Number(row.day));
			d.dau += num(row.dau);
			d.payers += num(row.payers);
			d.revenue += num(row.day_revenue);
			d.purchases += num(row.day_purchases);
		}
		const fresh = await this.#all<{ day: string; n: string }>(
			`SELECT first_day AS day, count() AS n FROM (${this.#playersSql(gameId)})
			WHERE first_day BETWEEN ${dayLiteral(range.from)} AND ${dayLiteral(range.to)} GROUP BY first_day`,
		);
		for (const row of fresh) day(Number(row.day)).newUsers += num(row.n);
		return [...days.values()].sort((a, b) => a.day - b.day);
	}

	async userDays(gameId: string, range: DayRange, spec: SegmentSpec): Promise<UserDayRow[]> {
		const rows = await this.#all<{
			user_id: string;
			day: string;
			first_day: string;
			events: number;
			revenue: number;
			purchases: number;
		}>(
			`SELECT user_id, day, first_day, events, revenue, purchases FROM (${this.#userDaysSql(gameId, range)})
			ALL INNER JOIN (SELECT user_id, first_day FROM (${this.#playersSql(gameId)})) USING (user_id)`,
		);
		const segmentOf = await this.#segmentOf(gameId, spec);
		const out: UserDayRow[] = [];
		for (const row of rows) {
			const userId = Number(row.user_id);
			const day = Number(row.day);
			const segment = segmentOf(userId, day);
			if (segment === undefined) continue;
			out.push({
				day,
				userId,
				firstDay: Number(row.first_day),
				events: num(row.events),
				revenue: num(row.revenue),
				purchases: num(row.purchases),
				segment,
			});
		}
		return out;
	}

	async rangeTotals(gameId: string, range: DayRange): Promise<{ players: number; payers: number }> {
		// A player's days are all on one shard: distinct counts add up across shards.
		const rows = await this.#all<{ players: string; payers: string }>(
			`SELECT uniqExact(user_id) AS players, uniqExactIf(user_id, purchases > 0) AS payers
			FROM (${this.#userDaysSql(gameId, range)})`,
		);
		return {
			players: rows.reduce((a, r) => a + num(r.players), 0),
			payers: rows.reduce((a, r) => a + num(r.payers), 0),
		};
	}

	async #playerRows(gameId: string, where: string, spec: SegmentSpec): Promise<PlayerRow[]> {
		const rows = await this.#all<{
			user_id: string;
			first_day: string;
			last_day: string;
			first_time: string;
			first_purchase: string;
		}>(
			`SELECT user_id, first_day, last_day, first_time, first_purchase FROM (${this.#playersSql(gameId)})
			WHERE ${where}`,
		);
		const segmentOf = await this.#segmentOf(gameId, spec);
		const out: PlayerRow[] = [];
		for (const row of rows) {
			const userId = Number(row.user_id);
			const segment = segmentOf(userId, null);
			if (segment === undefined) continue;
			const firstPurchase = Number(row.first_purchase);
			out.push({
				userId,
				firstDay: Number(row.first_day),
				lastDay: Number(row.last_day),
				firstTime: Number(row.first_time),
				firstPurchaseTime: firstPurchase === NONE_MIN ? null : firstPurchase,
				segment,
			});
		}
		return out;
	}

	players(gameId: string, range: DayRange, spec: SegmentSpec): Promise<PlayerRow[]> {
		return this.#playerRows(gameId, `first_day BETWEEN ${dayLiteral(range.from)} AND ${dayLiteral(range.to)}`, spec);
	}

	firstPurchases(gameId: string, fromTime: number, toTime: number, spec: SegmentSpec): Promise<PlayerRow[]> {
		return this.#playerRows(
			gameId,
			`first_purchase >= ${sqlInt(fromTime)} AND first_purchase < ${sqlInt(toTime)}`,
			spec,
		);
	}

	async cohortCells(gameId: string, range: DayRange): Promise<CohortCellRow[]> {
		const rows = await this.#all<{ cohort: string; offset: string; users: string; cell_revenue: number }>(
			`SELECT first_day AS cohort, day - first_day AS offset, count() AS users, sum(revenue) AS cell_revenue
			FROM (SELECT user_id, day, sum(n2) AS revenue FROM ${this.#facts} WHERE ${this.#where(gameId, FACT.userDay)}
				GROUP BY user_id, day)
			ALL INNER JOIN (SELECT user_id, first_day FROM (${this.#playersSql(gameId)})
				WHERE first_day BETWEEN ${dayLiteral(range.from)} AND ${dayLiteral(range.to)}) USING (user_id)
			GROUP BY cohort, offset`,
		);
		const cells = new Map<string, CohortCellRow>();
		for (const row of rows) {
			const key = `${row.cohort}:${row.offset}`;
			const cell = cells.get(key) ?? {
				cohortDay: Number(row.cohort),
				offset: Number(row.offset),
				users: 0,
				revenue: 0,
			};
			cell.users += num(row.users);
			cell.revenue += num(row.cell_revenue);
			cells.set(key, cell);
		}
		return [...cells.values()];
	}

	async cohortLast(gameId: string, range: DayRange): Promise<CohortLastRow[]> {
		const rows = await this.#all<{ cohort: string; offset: string; users: string }>(
			`SELECT first_day AS cohort, last_day - first_day AS offset, count() AS users FROM (${this.#playersSql(gameId)})
			WHERE first_day BETWEEN ${dayLiteral(range.from)} AND ${dayLiteral(range.to)} GROUP BY cohort, offset`,
		);
		const cells = new Map<string, CohortLastRow>();
		for (const row of rows) {
			const key = `${row.cohort}:${row.offset}`;
			const cell = cells.get(key) ?? { cohortDay: Number(row.cohort), maxOffset: Number(row.offset), users: 0 };
			cell.users += num(row.users);
			cells.set(key, cell);
		}
		return [...cells.values()];
	}

	async sessions(gameId: string, range: DayRange, spec: SegmentSpec): Promise<SessionRow[]> {
		const zone = await this.#zoneOf(gameId);
		const dayOf = localDayFn(zone);
		const fromTime = localDayStart(Math.max(range.from, -DAY_LIMIT / 100), zone);
		const toTime = localDayStart(Math.min(range.to + 1, DAY_LIMIT / 100), zone);
		// A session's time: its start, else its end − duration (fold.ts); the exact day is checked below.
		const rows = await this.#all<{ user_id: string; start: string; end: string; duration: number }>(
			`SELECT user_id, min(t1) AS start, max(t2) AS end, max(n1) AS duration
			FROM ${this.#facts} WHERE ${this.#where(gameId, FACT.session)} GROUP BY user_id, s1
			HAVING if(start != ${sqlInt(NONE_MIN)}, start, end - toInt64(floor(greatest(duration, 0) * 1000 + 0.5)))
				BETWEEN ${sqlInt(fromTime - 1000)} AND ${sqlInt(toTime + 1000)}`,
		);
		const segmentOf = await this.#segmentOf(gameId, spec);
		const out: SessionRow[] = [];
		for (const row of rows) {
			const start = Number(row.start);
			const end = Number(row.end);
			const duration = num(row.duration) < 0 ? null : num(row.duration);
			const time = start !== NONE_MIN ? start : end !== NONE_MAX ? end - Math.round((duration ?? 0) * 1000) : null;
			if (time === null) continue;
			const day = dayOf(time);
			if (day < range.from || day > range.to) continue;
			const userId = Number(row.user_id);
			const segment = segmentOf(userId, day);
			if (segment === undefined) continue;
			out.push({ day, userId, duration, segment });
		}
		return out;
	}

	#eventClause(event: EventRef): string {
		return `${event.type === undefined ? "" : `AND s1 = ${sqlString(event.type)}`} AND s2 = ${sqlString(event.name)}`;
	}

	async eventDays(gameId: string, event: EventRef, range: DayRange): Promise<EventDayRow[]> {
		const rows = await this.#groupSums(
			gameId,
			FACT.eventDay,
			`${this.#eventClause(event)} AND day BETWEEN ${dayLiteral(range.from)} AND ${dayLiteral(range.to)}`,
			["day"],
			{ events: "sum(n1)" },
		);
		return rows.map((r) => ({ day: Number(r.day), events: r.events })).sort((a, b) => a.day - b.day);
	}

	async eventNames(gameId: string, range: DayRange | null): Promise<EventNameRow[]> {
		const rows = await this.#all<{ type: string; name: string; events: number; last_day: string }>(
			`SELECT s1 AS type, s2 AS name, sum(n1) AS events, max(day) AS last_day
			FROM ${this.#facts} WHERE ${this.#where(gameId, FACT.eventDay)}
				AND day BETWEEN ${dayLiteral(range?.from ?? -DAY_LIMIT)} AND ${dayLiteral(range?.to ?? DAY_LIMIT)}
			GROUP BY type, name`,
		);
		const merged = sumBy(
			rows,
			(r) => `${r.type}\u0000${r.name}`,
			(r) => ({ type: r.type, name: r.name, events: 0, lastDay: -Infinity }),
			(a, r) => {
				a.events += num(r.events);
				a.lastDay = Math.max(a.lastDay, Number(r.last_day));
			},
		);
		return merged.sort((a, b) => b.events - a.events || byBytes(a.type, b.type) || byBytes(a.name, b.name));
	}

	async eventHours(
		gameId: string,
		event: EventRef,
		fromHour: number,
		toHour: number,
	): Promise<{ hour: number; events: number }[]> {
		// Hour facts keep the hour (since the epoch) in the day column.
		const rows = await this.#groupSums(
			gameId,
			FACT.eventHour,
			`${this.#eventClause(event)} AND day >= ${sqlInt(fromHour)} AND day < ${sqlInt(toHour)}`,
			["day"],
			{ events: "sum(n1)" },
		);
		return rows.map((r) => ({ hour: Number(r.day), events: r.events })).sort((a, b) => a.hour - b.hour);
	}

	async economy(gameId: string, range: DayRange, spec: SegmentSpec): Promise<EconomyRow[]> {
		if (!segmented(spec)) {
			const rows = await this.#groupSums(
				gameId,
				FACT.economy,
				`AND day BETWEEN ${dayLiteral(range.from)} AND ${dayLiteral(range.to)}`,
				["day", "s1", "s2", "s3", "s4"],
				{ amount: "sum(n1)", events: "sum(n2)" },
			);
			const merged: EconomyRow[] = rows.map((r) => ({
				day: Number(r.day),
				currency: r.s1,
				flow: r.s2,
				itemType: r.s3,
				itemId: r.s4,
				amount: r.amount,
				events: r.events,
				segment: null,
			}));
			// SQLite reads them in its key order (day, currency, flow, item type, item id).
			return merged.sort(
				(a, b) =>
					a.day - b.day ||
					byBytes(a.currency, b.currency) ||
					byBytes(a.flow, b.flow) ||
					byBytes(a.itemType, b.itemType) ||
					byBytes(a.itemId, b.itemId),
			);
		}
		return economyRows(await this.#rawByType(gameId, "economy", range, spec));
	}

	async progression(gameId: string, range: DayRange, spec: SegmentSpec): Promise<ProgressionRow[]> {
		if (!segmented(spec)) {
			const rows = await this.#groupSums(
				gameId,
				FACT.progression,
				`AND day BETWEEN ${dayLiteral(range.from)} AND ${dayLiteral(range.to)}`,
				["day", "s1", "s2"],
				{ events: "sum(n1)", attempts: "sum(n2)", attemptsN: "sum(n3)", seconds: "sum(n4)", secondsN: "sum(n5)" },
			);
			return rows.map(({ day, s1, s2, ...sums }) => ({
				day: Number(day),
				path: s1,
				status: s2,
				...sums,
				segment: null,
			}));
		}
		return progressionRows(await this.#rawByType(gameId, "progression", range, spec));
	}

	async products(gameId: string, range: DayRange, spec: SegmentSpec): Promise<ProductRow[]> {
		if (!segmented(spec)) {
			const rows = await this.#groupSums(
				gameId,
				FACT.product,
				`AND day BETWEEN ${dayLiteral(range.from)} AND ${dayLiteral(range.to)}`,
				["day", "s1"],
				{ revenue: "sum(n1)", purchases: "sum(n2)" },
			);
			return rows.map(({ day, s1, ...sums }) => ({ day: Number(day), product: s1, ...sums, segment: null }));
		}
		return productRows(await this.#rawByType(gameId, "purchase", range, spec));
	}

	async funnelStepCount(gameId: string, funnel: string): Promise<number> {
		const rows = await this.#all<{ n: string }>(
			`SELECT max(day) AS n FROM ${this.#facts}
			WHERE ${this.#where(gameId, FACT.funnelStep)} AND s1 = ${sqlString(funnel)}`,
		);
		return Math.max(0, ...rows.map((r) => num(r.n)));
	}

	async funnelSteps(
		gameId: string,
		funnel: string,
		fromTime: number,
		toTime: number,
		spec: SegmentSpec,
	): Promise<FunnelStepRow[]> {
		if (spec.breakdown?.kind === "newVsReturning" || spec.filters.some((f) => f.dimension.kind === "newVsReturning")) {
			throw new MetricRequestError("new_vs_returning does not apply to funnels: group funnels by player attributes");
		}
		const where = `${this.#where(gameId, FACT.funnelStep)} AND s1 = ${sqlString(funnel)}`;
		const rows = await this.#all<{ user_id: string; step: string; time: string; step_name: string }>(
			`SELECT user_id, day AS step, min(t1) AS time, argMin(s2, (t1, id)) AS step_name
			FROM ${this.#facts} WHERE ${where}
				AND user_id IN (SELECT user_id FROM ${this.#facts} WHERE ${where} AND day = 1 GROUP BY user_id
					HAVING min(t1) >= ${sqlInt(fromTime)} AND min(t1) < ${sqlInt(toTime)})
			GROUP BY user_id, step`,
		);
		const segmentOf = await this.#segmentOf(gameId, spec);
		const out: FunnelStepRow[] = [];
		for (const row of rows) {
			const userId = Number(row.user_id);
			const segment = segmentOf(userId, null);
			if (segment === undefined) continue;
			out.push({ step: Number(row.step), userId, time: Number(row.time), stepName: row.step_name, segment });
		}
		// SQLite reads them in its key order (step, player): step names tied in votes resolve the same way.
		return out.sort((a, b) => a.step - b.step || a.userId - b.userId);
	}

	async rawEvents(
		gameId: string,
		event: EventRef,
		fromTime: number,
		toTime: number,
		spec: SegmentSpec,
	): Promise<Iterable<RawEventRow>> {
		const type = event.type === undefined ? "" : `AND type = ${sqlString(event.type)}`;
		return await this.#raw(
			gameId,
			`${type} AND name = ${sqlString(event.name)} AND time >= ${sqlInt(fromTime)} AND time < ${sqlInt(toTime)}`,
			spec,
		);
	}

	async latestEventTime(gameId: string): Promise<number | null> {
		const rows = await this.#all<{ t: string; n: string }>(
			`SELECT max(time) AS t, count() AS n FROM ${this.#ctx.tables.eventsLocal} WHERE game_id = ${sqlString(gameId)}`,
		);
		const times = rows.filter((r) => num(r.n) > 0).map((r) => Number(r.t));
		return times.length === 0 ? null : Math.max(...times);
	}

	/** Raw events of one type in a day range, with their local day (the SQLite reader's #rawByType). */
	async #rawByType(
		gameId: string,
		type: string,
		range: DayRange,
		spec: SegmentSpec,
	): Promise<(RawEventRow & { day: number })[]> {
		const zone = await this.#zoneOf(gameId);
		const dayOf = localDayFn(zone);
		const fromTime = range.from < -1e6 ? 0 : localDayStart(range.from, zone);
		const toTime = localDayStart(range.to + 1, zone);
		const rows = await this.#raw(
			gameId,
			`AND time >= ${sqlInt(fromTime)} AND time < ${sqlInt(toTime)} AND type = ${sqlString(type)}`,
			spec,
		);
		return rows.map((row) => ({ ...row, day: dayOf(row.time) }));
	}

	/** Raw events in time order, each stored copy once; segmented: only players' events, with their segment. */
	async #raw(gameId: string, where: string, spec: SegmentSpec): Promise<RawEventRow[]> {
		const rows = await this.#all<{ time: string; user_id: string; name: string; props: string }>(
			`SELECT time, user_id, id, name, props FROM ${this.#ctx.tables.eventsLocal}
			WHERE game_id = ${sqlString(gameId)} ${where}
			ORDER BY time, id LIMIT 1 BY user_id, id`,
		);
		const segmentOf = await this.#segmentOf(gameId, spec);
		const dayOf = segmented(spec) ? localDayFn(await this.#zoneOf(gameId)) : undefined;
		const out: RawEventRow[] = [];
		for (const row of rows) {
			const time = Number(row.time);
			const userId = Number(row.user_id);
			const segment = segmentOf(userId, dayOf ? dayOf(time) : null);
			if (segment === undefined) continue;
			out.push({ time, userId, name: row.name, props: JSON.parse(row.props) as Record<string, PropValue>, segment });
		}
		return out.sort((a, b) => a.time - b.time);
	}
}

function byBytes(a: string, b: string): number {
	return a < b ? -1 : a > b ? 1 : 0;
}

/** Merges the shards' partial rows by key, in first-seen order. */
function sumBy<R, T>(
	rows: R[],
	key: (row: R) => string | number,
	make: (row: R) => T,
	add: (acc: T, row: R) => void,
): T[] {
	const out = new Map<string | number, T>();
	for (const row of rows) {
		const k = key(row);
		let acc = out.get(k);
		if (!acc) out.set(k, (acc = make(row)));
		add(acc, row);
	}
	return [...out.values()];
}
