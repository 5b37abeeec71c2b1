// Experiment units and per-variation sums on ClickHouse. As on SQLite (sqlite/experiment-sums.ts), the engine only
// fetches rows — each unit's exposures, the metric's candidate events, the session profiles, the players' first
// event and first profile — and the pure module (experiments/unit-values.ts) decides what every metric means.
// Every query runs on each shard's local tables: a unit's events all live on its player's shard.
import type { PropValue } from "../../domain/ingest.js";
import type { ExperimentUnits, ExperimentUnitsQuery } from "../../domain/experiments.js";
import {
	candidateRange,
	checkDimensions,
	isProfileDimension,
	metricSources,
	profileRange,
	UnitValues,
} from "../../experiments/unit-values.js";
import { sumsUnitsQuery, unitSums } from "../../experiments/unit-sums.js";
import type { ExperimentMetricQuery, ExperimentMetricRow } from "../types.js";
import { queryRows, sqlInt, sqlString, type ClickHouseShard } from "./client.js";
import type { ClickHouseContext } from "./events-store.js";
import { FACT, factTable } from "./rollups-schema.js";

/** The name the SDK gives player sessions' `session_start`/`session_end` (as on SQLite). */
const SDK_SESSION_NAME = "player";
const LARGE_QUERY = { max_query_size: "67108864" } as const;

/**
 * A prop as SQLite's `json_extract` hands it to the pure module: booleans become 1/0, objects and arrays their JSON,
 * everything else as is (so `typeof value === "number"` means the same on both engines).
 */
function sqliteValue(value: PropValue | undefined): unknown {
	if (value === undefined) return null;
	if (typeof value === "boolean") return value ? 1 : 0;
	if (value !== null && typeof value === "object") return JSON.stringify(value);
	return value;
}

/** SQLite's ordering of values of mixed types for min()/max(): numbers before text. */
function sqliteCompare(a: unknown, b: unknown): number {
	const rank = (v: unknown) => (typeof v === "number" ? 0 : 1);
	if (rank(a) !== rank(b)) return rank(a) - rank(b);
	if (typeof a === "number") return a - (b as number);
	return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
}

export class ClickHouseExperimentUnits {
	readonly #ctx: ClickHouseContext;
	readonly #facts: string;

	constructor(ctx: ClickHouseContext) {
		this.#ctx = ctx;
		this.#facts = factTable(ctx.target.database);
	}

	async #each<T>(sql: (shard: ClickHouseShard) => string): Promise<T[]> {
		const parts = await Promise.all(this.#ctx.shards.map((shard) => queryRows<T>(shard, sql(shard), LARGE_QUERY)));
		return parts.flat();
	}

	/** Every unit first exposed in [from, to) with its value, covariate and dimensions (see ExperimentUnits). */
	async units(query: ExperimentUnitsQuery): Promise<ExperimentUnits> {
		const lookbackDays = query.covariateLookbackDays;
		const builder = new UnitValues(query.metric, { to: query.to, covariateLookbackDays: lookbackDays });
		const dimensions = query.dimensions;
		checkDimensions(dimensions);
		const withPlayers = dimensions.length > 0;
		const withProfiles = dimensions.some(isProfileDimension);
		const events = this.#ctx.tables.eventsLocal;
		const game = sqlString(query.gameId);
		const excluded = query.excludeUserIds.length > 0 ? query.excludeUserIds.map(sqlInt).join(",") : "NULL";

		// 1. the units: users whose first exposure ever is in [from, to), with every exposure before `to`.
		const exposures = await this.#each<{ user_id: string; time: string; id: string; props: string }>(
			() => `SELECT user_id, time, id, props FROM ${events}
			WHERE game_id = ${game} AND name = ${sqlString(query.experimentKey)} AND type = 'exposure'
				AND time < ${sqlInt(query.to)} AND user_id > 0 AND user_id NOT IN (${excluded})
				AND user_id IN (SELECT user_id FROM ${events} WHERE game_id = ${game}
					AND name = ${sqlString(query.experimentKey)} AND type = 'exposure' AND time < ${sqlInt(query.to)}
					GROUP BY user_id HAVING min(time) >= ${sqlInt(query.from)})
			ORDER BY user_id, time, id LIMIT 1 BY user_id, id`,
		);
		interface Unit {
			t: number;
			min: unknown;
			max: unknown;
			firstProps: string;
		}
		const units = new Map<number, Unit>();
		for (const row of exposures) {
			const userId = Number(row.user_id);
			const time = Number(row.time);
			const variation = sqliteValue((JSON.parse(row.props) as Record<string, PropValue>).variation);
			const unit = units.get(userId);
			if (!unit) {
				units.set(userId, { t: time, min: variation, max: variation, firstProps: row.props });
				continue;
			}
			// Rows come in (time, id) order: the first one is the first exposure (SQLite takes one at that time).
			// min()/max() skip NULLs, as SQL's do.
			if (variation !== null) {
				if (unit.min === null || sqliteCompare(variation, unit.min) < 0) unit.min = variation;
				if (unit.max === null || sqliteCompare(variation, unit.max) > 0) unit.max = variation;
			}
		}
		const userIds = [...units.keys()].sort((a, b) => a - b);
		for (const userId of userIds) {
			const unit = units.get(userId)!;
			builder.addUnit(userId, unit.t, unit.min as string | number | null, unit.min !== unit.max);
		}
		if (builder.units === 0) return builder.finish(dimensions);
		// The units again, as a subquery each shard runs over its own events: a player's events all live on one shard, so
		// this is exact, and the query stays small however many units there are (a list of 250,000 ids is past
		// ClickHouse's 50,000-node query limit).
		const unitIds = `SELECT user_id FROM ${events} WHERE game_id = ${game}
			AND name = ${sqlString(query.experimentKey)} AND type = 'exposure' AND time < ${sqlInt(query.to)}
			AND user_id > 0 AND user_id NOT IN (${excluded})
			GROUP BY user_id HAVING min(time) >= ${sqlInt(query.from)}`;

		// The warehouse's first event and first profile of each unit (dimensions).
		const fallbacks: [number, number, string, string][] = [];
		if (withPlayers) {
			const players = await this.#each<{
				user_id: string;
				first_time: string;
				attrs_time: string;
				attrs_id: string;
				attrs: string;
				has_attrs: number;
			}>(
				() => `SELECT user_id, min(t1) AS first_time, argMinIf(t4, (t4, id), s1 = '1') AS attrs_time,
					argMinIf(id, (t4, id), s1 = '1') AS attrs_id, argMinIf(props, (t4, id), s1 = '1') AS attrs,
					max(s1 = '1') AS has_attrs
				FROM ${this.#facts} WHERE game_id = ${game} AND kind = ${sqlString(FACT.player)}
					AND user_id IN (${unitIds})
				GROUP BY user_id`,
			);
			for (const row of players) {
				const userId = Number(row.user_id);
				builder.addFirstSeen(userId, Number(row.first_time));
				if (withProfiles && Number(row.has_attrs) === 1) {
					fallbacks.push([userId, Number(row.attrs_time), row.attrs_id, row.attrs]);
				}
			}
			if (withProfiles) {
				for (const userId of userIds) {
					const unit = units.get(userId)!;
					builder.addExposureProps(userId, JSON.parse(unit.firstProps) as Record<string, PropValue>);
				}
			}
		}

		// 2. the metric's candidate events, per source.
		const range = candidateRange(query.metric, query.from, query.to, lookbackDays);
		const sources = metricSources(query.metric);
		for (const [part, source] of sources.entries()) {
			const conditions = [`game_id = ${game}`, `time >= ${sqlInt(range.from)}`, `time < ${sqlInt(range.to)}`];
			if (source.name !== null) conditions.push(`name = ${sqlString(source.name)}`);
			if (source.type !== null) conditions.push(`type = ${sqlString(source.type)}`);
			const rows = await this.#each<{ user_id: string; time: string; props: string }>(
				() => `SELECT user_id, time, props FROM ${events}
				WHERE ${conditions.join(" AND ")} AND user_id IN (${unitIds})
				ORDER BY user_id, time, id LIMIT 1 BY user_id, id`,
			);
			for (const row of rows) {
				const value =
					source.valueProp === null
						? null
						: sqliteValue((JSON.parse(row.props) as Record<string, PropValue>)[source.valueProp]);
				builder.addEvent(part, Number(row.user_id), Number(row.time), value);
			}
		}

		// 3. the session profiles, for platform, country and player attributes.
		if (withProfiles) {
			const names = new Set([SDK_SESSION_NAME]);
			const named = await this.#each<{ name: string }>(
				() => `SELECT DISTINCT s2 AS name FROM ${this.#facts} WHERE game_id = ${game}
				AND kind = ${sqlString(FACT.eventDay)} AND s1 IN ('session_start', 'session_end')`,
			);
			for (const row of named) names.add(row.name);
			const profiles = profileRange(query.from, query.to, lookbackDays);
			const rows = await this.#each<{
				user_id: string;
				time: string;
				id: string;
				session_id: string;
				type: string;
				props: string;
			}>(
				() => `SELECT user_id, time, id, session_id, type, props FROM ${events}
				WHERE game_id = ${game} AND name IN (${[...names].map(sqlString).join(",")})
					AND type IN ('session_start', 'session_end') AND time >= ${sqlInt(profiles.from)}
					AND time < ${sqlInt(profiles.to)} AND user_id IN (${unitIds})
				ORDER BY user_id, time, id LIMIT 1 BY user_id, id`,
			);
			for (const row of rows) {
				builder.addProfile(
					Number(row.user_id),
					row.type === "session_start" ? "start" : "end",
					Number(row.time),
					row.id,
					row.session_id,
					JSON.parse(row.props) as Record<string, PropValue>,
				);
			}
			for (const [userId, time, id, attrs] of fallbacks) {
				if (builder.hasProfile(userId)) continue;
				builder.addProfile(userId, "start", time, id, "", JSON.parse(attrs) as Record<string, PropValue>);
			}
		}
		return builder.finish(dimensions);
	}

	/** Per-variation sums by UTC day of first exposure, from the same per-unit values (as on SQLite). */
	async sums(query: ExperimentMetricQuery): Promise<ExperimentMetricRow[]> {
		return unitSums(await this.units(sumsUnitsQuery(query)));
	}
}
