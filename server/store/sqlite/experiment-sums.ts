// The SQLite engine of experiment results: reads an experiment's units and the metric's candidate events in a few
// range reads and hands them to the pure per-unit module (experiments/unit-values.ts), which owns what every metric
// means. Per-unit answers (experimentUnits) and per-variation daily sums (experimentMetricSums) come from the same
// values, so both agree. Runs on the warehouse connection (a worker thread), never on the event loop.
import type BetterSqlite3 from "better-sqlite3";
import type { PropValue } from "../../domain/ingest.js";
import type { ExperimentUnits, ExperimentUnitsQuery } from "../../domain/experiments.js";
import { sumsUnitsQuery, unitSums } from "../../experiments/unit-sums.js";
import {
	candidateRange,
	checkDimensions,
	isProfileDimension,
	metricSources,
	profileRange,
	UnitValues,
	type EventSource,
} from "../../experiments/unit-values.js";
import type { ExperimentMetricQuery, ExperimentMetricRow } from "../types.js";

/** The name the SDK gives player sessions' `session_start`/`session_end` (server sessions are user 0). */
const SDK_SESSION_NAME = "player";

/**
 * The cost grows with exposures plus candidate events, never their product, and ingest keeps only append-friendly
 * indexes:
 * 1. the units: every user's exposures to the experiment before `to` (the partial exposure index), grouped by
 *    user; a unit is a user whose first exposure EVER is in [from, to) — a user first exposed before `from` is no
 *    unit of this range, whatever it did later. Users whose exposures name different variations are kept apart
 *    (min ≠ max). With dimensions, each unit's `wh_players` row (first event, first profile) is joined by key;
 * 2. per event source of the metric, its candidate events in range: (game_id, name, time, user_id, type) for named
 *    events, the purchases' partial index for revenue, (game_id, time) for "any event";
 * 3. for profile dimensions, the `session_start`/`session_end` events around the range, by name;
 * 4. the pure module keeps each event if it falls in its unit's window and computes the values.
 */
const UNITS_SQL = `
	SELECT user_id, min(time) AS t, min(json_extract(props, '$.variation')) AS variation,
		max(json_extract(props, '$.variation')) AS last_variation
	FROM events
	WHERE game_id = @gameId AND name = @key AND type = 'exposure' AND time < @to
		AND user_id > 0 AND user_id NOT IN (SELECT value FROM json_each(@excluded))
	GROUP BY user_id
	HAVING t >= @from`;

const UNITS_WITH_PLAYERS_SQL = `
	WITH u AS (${UNITS_SQL})
	SELECT u.user_id, u.t, u.variation, u.last_variation, p.first_time, p.attrs_time, p.attrs_id,
		CASE WHEN @attrs THEN p.attrs END,
		CASE WHEN @attrs THEN (SELECT e.props FROM events e WHERE e.game_id = @gameId AND e.name = @key
			AND e.type = 'exposure' AND e.user_id = u.user_id AND e.time = u.t LIMIT 1) END
	FROM u LEFT JOIN wh_players p ON p.game_id = @gameId AND p.user_id = u.user_id`;

/** Names under which the game sent session events (the rollups know them; the SDK's name is always read). */
const SESSION_NAMES_SQL = `
	SELECT DISTINCT name FROM wh_event_days WHERE game_id = ? AND type IN ('session_start', 'session_end')`;

const PROFILE_EVENTS_SQL = `
	SELECT user_id, time, id, session_id, type, props FROM events
	WHERE game_id = @gameId AND name = @name AND type IN ('session_start', 'session_end')
		AND time >= @from AND time < @to AND user_id > 0`;

function sourceSql(source: EventSource): string {
	// valueProp is validated as [A-Za-z0-9_]+, so the JSON path needs no quoting; it is passed as a parameter anyway.
	const value = source.valueProp === null ? "NULL" : "json_extract(props, @path)";
	if (source.name !== null) {
		return `SELECT user_id, time, ${value} FROM events WHERE game_id = @gameId AND name = @name
			AND (@type IS NULL OR type = @type) AND time >= @from AND time < @to`;
	}
	if (source.type === "purchase") {
		return `SELECT user_id, time, ${value} FROM events WHERE game_id = @gameId AND type = 'purchase'
			AND time >= @from AND time < @to`;
	}
	const type = source.type === null ? "" : "AND type = @type";
	return `SELECT user_id, time, ${value} FROM events WHERE game_id = @gameId ${type}
		AND time >= @from AND time < @to AND user_id > 0`;
}

type Statement = BetterSqlite3.Statement<unknown[], unknown[]>;

export class ExperimentSums {
	readonly #db: BetterSqlite3.Database;
	readonly #statements = new Map<string, Statement>();

	constructor(db: BetterSqlite3.Database) {
		this.#db = db;
	}

	#raw(sql: string): Statement {
		let statement = this.#statements.get(sql);
		if (!statement) {
			statement = this.#db.prepare<unknown[], unknown[]>(sql).raw();
			this.#statements.set(sql, statement);
		}
		return statement;
	}

	/** Every unit first exposed in [from, to) with its value, covariate and dimensions (see ExperimentUnits). */
	units(query: ExperimentUnitsQuery): ExperimentUnits {
		const lookbackDays = query.covariateLookbackDays;
		const builder = new UnitValues(query.metric, { to: query.to, covariateLookbackDays: lookbackDays });
		const dimensions = query.dimensions;
		checkDimensions(dimensions);
		const withPlayers = dimensions.length > 0;
		const withProfiles = dimensions.some(isProfileDimension);
		const unitParams = {
			gameId: query.gameId,
			key: query.experimentKey,
			from: query.from,
			to: query.to,
			excluded: JSON.stringify(query.excludeUserIds),
			...(withPlayers ? { attrs: withProfiles ? 1 : 0 } : {}),
		};
		// 1. the units (and, for dimensions, the warehouse's first event and first profile of each).
		const fallbacks: [number, number, string, string][] = [];
		const unitRows = this.#raw(withPlayers ? UNITS_WITH_PLAYERS_SQL : UNITS_SQL).iterate(unitParams);
		for (const row of unitRows) {
			const [userId, t, variation, lastVariation] = row as [number, number, string | number | null, unknown];
			builder.addUnit(userId, t, variation, variation !== lastVariation);
			if (!withPlayers) continue;
			const [, , , , firstTime, attrsTime, attrsId, attrs, exposureProps] = row as [
				unknown,
				unknown,
				unknown,
				unknown,
				number | null,
				number | null,
				string | null,
				string | null,
				string | null,
			];
			if (firstTime !== null) builder.addFirstSeen(userId, firstTime);
			if (exposureProps !== null) {
				builder.addExposureProps(userId, JSON.parse(exposureProps) as Record<string, PropValue>);
			}
			if (attrs !== null && attrsTime !== null) fallbacks.push([userId, attrsTime, attrsId ?? "", attrs]);
		}
		if (builder.units === 0) return builder.finish(dimensions);
		// 2. the metric's candidate events, per source.
		const range = candidateRange(query.metric, query.from, query.to, lookbackDays);
		metricSources(query.metric).forEach((source, part) => {
			const params: Record<string, unknown> = { gameId: query.gameId, from: range.from, to: range.to };
			if (source.name !== null) params.name = source.name;
			if (source.name !== null || (source.type !== null && source.type !== "purchase")) params.type = source.type;
			if (source.valueProp !== null) params.path = `$.${source.valueProp}`;
			for (const [userId, time, value] of this.#raw(sourceSql(source)).iterate(params)) {
				builder.addEvent(part, userId as number, time as number, value);
			}
		});
		// 3. the session profiles, for platform, country and player attributes.
		if (withProfiles) {
			const names = new Set([SDK_SESSION_NAME]);
			for (const [name] of this.#raw(SESSION_NAMES_SQL).iterate(query.gameId)) names.add(name as string);
			const profiles = profileRange(query.from, query.to, lookbackDays);
			for (const name of names) {
				const rows = this.#raw(PROFILE_EVENTS_SQL).iterate({ gameId: query.gameId, name, ...profiles });
				for (const [userId, time, id, sessionId, type, props] of rows) {
					builder.addProfile(
						userId as number,
						type === "session_start" ? "start" : "end",
						time as number,
						id as string,
						sessionId as string,
						JSON.parse(props as string) as Record<string, PropValue>,
					);
				}
			}
			// The warehouse's first profile of the player, for units without a session_start in the range read.
			for (const [userId, time, id, attrs] of fallbacks) {
				if (builder.hasProfile(userId)) continue;
				builder.addProfile(userId, "start", time, id, "", JSON.parse(attrs) as Record<string, PropValue>);
			}
		}
		return builder.finish(dimensions);
	}

	/**
	 * Per-variation sums by UTC day of first exposure, from the same per-unit values as {@link units} (capped as the
	 * metric says, no covariate). Only mean metrics: a ratio or quantile is not a sum of per-unit values.
	 */
	sums(query: ExperimentMetricQuery): ExperimentMetricRow[] {
		return unitSums(this.units(sumsUnitsQuery(query)));
	}
}
