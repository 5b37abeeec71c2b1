// Per-variation sums of one experiment metric over the experiment's exposed units, read from raw events in two
// range reads and one pass in memory. Runs on the warehouse connection (a worker thread), never on the event loop.
import type BetterSqlite3 from "better-sqlite3";
import { DAY_MS, HOUR_MS, type MetricDefinition } from "../../experiments/metric.js";
import type { ExperimentMetricQuery, ExperimentMetricRow } from "../types.js";

export class ExperimentSums {
	readonly #db: BetterSqlite3.Database;
	/** The metric's candidate events, one statement per metric type, prepared on first use. */
	readonly #metricCandidates = new Map<
		MetricDefinition["type"],
		BetterSqlite3.Statement<[MetricSumsParams], unknown[]>
	>();
	#exposedUnits: BetterSqlite3.Statement<[MetricSumsParams], unknown[]> | undefined;

	constructor(db: BetterSqlite3.Database) {
		this.#db = db;
	}

	sums(query: ExperimentMetricQuery): ExperimentMetricRow[] {
		const params = metricSumsParams(query);
		const type = query.metric.type;
		let candidates = this.#metricCandidates.get(type);
		if (!candidates) {
			candidates = this.#db.prepare<[MetricSumsParams], unknown[]>(metricCandidatesSql(type)).raw();
			this.#metricCandidates.set(type, candidates);
		}
		this.#exposedUnits ??= this.#db.prepare<[MetricSumsParams], unknown[]>(EXPOSED_UNITS_SQL).raw();
		const units = new Map<number, Unit>();
		for (const [userId, t, variation, lastVariation] of this.#exposedUnits.iterate(params)) {
			units.set(userId as number, {
				t: t as number,
				variation: variation as string | number | null,
				multiple: variation !== lastVariation,
				x: 0,
			});
		}
		for (const [userId, time, value] of candidates.iterate(params)) {
			const unit = units.get(userId as number);
			if (unit) addMetricEvent(type, params, unit, time as number, value);
		}
		return sumUnits(type, params, units);
	}
}

interface MetricSumsParams {
	gameId: string;
	key: string;
	from: number;
	to: number;
	excluded: string;
	event: string | null;
	eventType: string | null;
	windowMs: number;
	valuePath: string;
	dayStart: number;
	dayEnd: number;
}

/** No metric window: events count until the end of the analysis window (this is past any unix-ms time). */
const NO_WINDOW_MS = 8.64e15;

function metricSumsParams(query: ExperimentMetricQuery): MetricSumsParams {
	const m = query.metric;
	const hours = m.type === "retention" ? undefined : m.windowHours;
	return {
		gameId: query.gameId,
		key: query.experimentKey,
		from: query.from,
		to: query.to,
		excluded: JSON.stringify(query.excludeUserIds),
		event: m.type === "retention" ? null : (m.event ?? null),
		eventType: m.type === "conversion" || m.type === "count" ? (m.eventType ?? null) : null,
		windowMs: hours === undefined ? NO_WINDOW_MS : Math.round(hours * HOUR_MS),
		// valueProp is validated as [A-Za-z0-9_]+, so it needs no quoting inside the JSON path.
		valuePath: m.type === "revenue" ? `$.${m.valueProp}` : "$",
		dayStart: m.type === "retention" ? m.day * DAY_MS : 0,
		dayEnd: m.type === "retention" ? (m.day + 1) * DAY_MS : 0,
	};
}

/**
 * Results of one metric are computed in two range reads and one pass in memory, so the cost grows with exposures
 * plus candidate events, never their product, and ingest keeps only append-friendly indexes:
 * 1. the units: a unit is a user whose first exposure to the experiment is in [from, to) (the partial exposure
 *    index); its variation is the one its exposures name — users whose exposures name different variations are
 *    kept apart (min ≠ max);
 * 2. the metric's candidate events in the window, by range: (game_id, name, time) for conversion and count, the
 *    purchases' partial index for revenue, (game_id, time) for retention;
 * 3. each candidate event counts for its user's unit if it falls in the unit's window; then sums per variation and
 *    UTC day of first exposure, so the daily series needs no second pass.
 */
const EXPOSED_UNITS_SQL = `
	SELECT user_id, min(time) AS t, min(json_extract(props, '$.variation')) AS variation,
		max(json_extract(props, '$.variation')) AS last_variation
	FROM events
	WHERE game_id = @gameId AND name = @key AND type = 'exposure' AND time >= @from AND time < @to
		AND user_id > 0 AND user_id NOT IN (SELECT value FROM json_each(@excluded))
	GROUP BY user_id`;

function metricCandidatesSql(type: MetricDefinition["type"]): string {
	const named = `SELECT user_id, time, NULL FROM events WHERE game_id = @gameId AND name = @event
		AND (@eventType IS NULL OR type = @eventType) AND time >= @from AND time < @to`;
	return {
		conversion: named,
		count: named,
		revenue: `SELECT user_id, time, json_extract(props, @valuePath) FROM events
			WHERE game_id = @gameId AND type = 'purchase' AND (@event IS NULL OR name = @event)
				AND time >= @from AND time < @to`,
		retention: `SELECT user_id, time, NULL FROM events WHERE game_id = @gameId
			AND time >= @from + @dayStart AND time < @to AND user_id > 0`,
	}[type];
}

interface Unit {
	t: number;
	variation: string | number | null;
	multiple: boolean;
	/** The unit's metric value: 0/1 for conversion and retention, a count, or a revenue sum. */
	x: number;
}

function addMetricEvent(
	type: MetricDefinition["type"],
	p: MetricSumsParams,
	unit: Unit,
	time: number,
	value: unknown,
): void {
	if (type === "retention") {
		if (time >= unit.t + p.dayStart && time < unit.t + p.dayEnd) unit.x = 1;
		return;
	}
	if (time < unit.t || time >= Math.min(p.to, unit.t + p.windowMs)) return;
	if (type === "conversion") unit.x = 1;
	else if (type === "count") unit.x += 1;
	else if (typeof value === "number" && Number.isFinite(value)) unit.x += value;
}

function sumUnits(
	type: MetricDefinition["type"],
	p: MetricSumsParams,
	units: Map<number, Unit>,
): ExperimentMetricRow[] {
	const groups = new Map<string, ExperimentMetricRow>();
	for (const unit of units.values()) {
		// Retention is only known once the unit's day N has passed inside the window.
		if (type === "retention" && unit.t + p.dayEnd > p.to) continue;
		const day = Math.floor(unit.t / DAY_MS);
		const variation = unit.multiple ? null : unit.variation;
		const key = JSON.stringify([variation, unit.multiple, day]);
		let row = groups.get(key);
		if (!row) {
			row = { variation, multipleVariations: unit.multiple, day, units: 0, sum: 0, sumSquares: 0 };
			groups.set(key, row);
		}
		row.units += 1;
		row.sum += unit.x;
		row.sumSquares += unit.x * unit.x;
	}
	return [...groups.values()].sort((a, b) => a.day - b.day);
}
