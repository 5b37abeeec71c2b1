// Per-unit experiment values: what every metric type means for one unit (player), its pre-exposure covariate
// (CUPED), winsorization and the unit's breakdown dimensions. Pure: an engine (SQLite today, others later) reads the
// units' exposures and the candidate events in time ranges this module names, feeds them in any order, and gets the
// columnar answer results read ({@link ExperimentUnits}). No engine decides what a metric means.
//
// Semantics (the metric schema's TSDoc says the same for users):
// 1. a unit is a user whose FIRST EVER exposure to the experiment is in [from, to); its time is `t`;
// 2. a post-exposure event counts if it is in [t, min(to, t + windowHours)); retention day N looks at
//    [t + N·24 h, t + (N + 1)·24 h) and keeps only units whose day N ended by `to`;
// 3. the covariate is the same metric over [t − lookback, t); for retention, "active on any day of the lookback
//    before the last 24 hours" ([t − lookback, t − 24 h)), because nearly every unit is active in the minutes
//    before its exposure (the SDK sends `session_start` when the player joins, before any exposure), which would
//    make the covariate 1 for everyone and worthless;
// 4. a value prop that is not a finite number counts as 0; parts without a value prop count events (1 each);
// 5. winsorization caps the value (the ratio's numerator) and the covariate at the same number: a fixed value, or
//    the pooled percentile (linear interpolation, as numpy's default) of the values of every unit in an arm;
// 6. dimensions (see BreakdownDimension): platform, country and attr:<name> from the session profile in effect at
//    first exposure; newVsReturning from the player's first known event (the warehouse's first_time, or any earlier
//    event read), "new" when less than 24 hours before first exposure.
import type { EventType, PropValue } from "../domain/ingest.js";
import { DAY_MS, HOUR_MS, type MetricDefinition } from "../domain/experiments.js";
import type { BreakdownDimension, ExperimentUnits } from "../domain/experiments.js";

/** A kind of event an engine reads for a metric: its filter and what each matching event adds to the unit. */
export interface EventSource {
	/** Only events with this name; null: any name. */
	name: string | null;
	/** Only events of this type; null: any type. */
	type: EventType | null;
	/** The numeric prop each event adds; null: each event adds 1 (counting). */
	valueProp: string | null;
}

/**
 * The event sources of a metric, in part order: one for every type, two for ratio (numerator, denominator). The
 * engine reads each source's events in {@link candidateRange} and feeds them to {@link UnitValues.addEvent} with
 * the source's index as `part`.
 * @example
 * metricSources({ key: "robux", type: "revenue", valueProp: "robux" });
 * // [{ name: null, type: "purchase", valueProp: "robux" }]
 */
export function metricSources(metric: MetricDefinition): EventSource[] {
	switch (metric.type) {
		case "conversion":
		case "count":
			return [{ name: metric.event, type: metric.eventType ?? null, valueProp: null }];
		case "sum":
		case "quantile":
			return [{ name: metric.event, type: metric.eventType ?? null, valueProp: metric.valueProp }];
		case "revenue":
			return [{ name: metric.event ?? null, type: "purchase", valueProp: metric.valueProp }];
		case "retention":
			return [{ name: null, type: null, valueProp: null }];
		case "ratio":
			return [metric.numerator, metric.denominator].map((p) => ({
				name: p.event ?? null,
				type: p.eventType ?? null,
				valueProp: p.valueProp ?? null,
			}));
	}
}

/** A half-open range of unix ms, [from, to). */
export interface TimeRange {
	from: number;
	to: number;
}

/**
 * The range of candidate events that can count for units first exposed in [from, to): from the earliest
 * covariate window start (or post-exposure window start) to `to`.
 */
export function candidateRange(metric: MetricDefinition, from: number, to: number, lookbackDays: number): TimeRange {
	const postStart = metric.type === "retention" ? from + metric.day * DAY_MS : from;
	return { from: lookbackDays > 0 ? Math.min(postStart, from - lookbackDays * DAY_MS) : postStart, to };
}

/**
 * The range of `session_start`/`session_end` events read for the profile-based dimensions: the profile in effect
 * at first exposure is the latest `session_start` before it, normally minutes before; the range reaches back the
 * lookback, and at least one day. Units without one there fall back on the warehouse's first profile.
 */
export function profileRange(from: number, to: number, lookbackDays: number): TimeRange {
	return { from: from - Math.max(lookbackDays, 1) * DAY_MS, to };
}

const ATTRIBUTE_DIMENSION = /^attr:[A-Za-z0-9_]{1,64}$/;

/**
 * Whether `text` names a breakdown dimension: platform, country, newVsReturning or `attr:<name>` (1-64 of
 * A-Z a-z 0-9 _, as event props are named).
 * @example
 * isBreakdownDimension("attr:premium"); // true
 */
export function isBreakdownDimension(text: string): text is BreakdownDimension {
	return text === "platform" || text === "country" || text === "newVsReturning" || ATTRIBUTE_DIMENSION.test(text);
}

/** Throws a RangeError naming the first dimension that is not one. */
export function checkDimensions(dimensions: readonly string[]): void {
	for (const dimension of dimensions) {
		if (!isBreakdownDimension(dimension)) {
			throw new RangeError(`unknown dimension "${dimension}": use platform, country, newVsReturning or attr:<name>`);
		}
	}
}

/** Whether a dimension is read from the player's session profile (needs the profile events). */
export function isProfileDimension(dimension: BreakdownDimension): boolean {
	return dimension !== "newVsReturning";
}

/** A player counts as new for {@link BreakdownDimension} `newVsReturning` when first seen less than this before t. */
export const NEW_PLAYER_MS = DAY_MS;

/** The session props each built-in profile dimension reads. */
const PROFILE_PROPS: Record<"platform" | "country", string> = { platform: "device", country: "country" };

/** Window and accumulators of one part (post-exposure or pre-exposure) for all units. */
class Accumulator {
	readonly sum: Float64Array;
	readonly count: Float64Array;
	readonly max: Float64Array;
	constructor(n: number) {
		this.sum = new Float64Array(n);
		this.count = new Float64Array(n);
		this.max = new Float64Array(n).fill(-Infinity);
	}
	add(i: number, x: number): void {
		this.sum[i]! += x;
		this.count[i]! += 1;
		if (x > this.max[i]!) this.max[i] = x;
	}
}

interface Profile {
	time: number;
	id: string;
	sessionId: string;
	props: Record<string, PropValue>;
}

export interface UnitValuesOptions {
	/** End of the analysed range (unix ms, exclusive). */
	to: number;
	/** Days of the covariate lookback; 0: no covariate. */
	covariateLookbackDays: number;
}

/**
 * Builds the per-unit values of one metric. Feed it the units (each user once, with its first-ever exposure),
 * then the events of each {@link metricSources} part in {@link candidateRange}, and, for dimensions, the profile
 * events and first-seen times; events may come in any order, and events of users that are not units are ignored.
 * @example
 * const b = new UnitValues(metric, { to, covariateLookbackDays: 14 });
 * b.addUnit(42, t, 0, false);
 * b.addEvent(0, 42, t + 60_000, null);
 * const units = b.finish(["country"]);
 */
export class UnitValues {
	readonly #metric: MetricDefinition;
	readonly #sources: EventSource[];
	readonly #to: number;
	readonly #lookbackMs: number;
	readonly #windowMs: number;
	#index = new Map<number, number>();
	#t: number[] = [];
	#variation: (string | number | null)[] = [];
	#multiple: boolean[] = [];
	/** Per part: post-exposure and pre-exposure accumulators, allocated when the first event arrives. */
	#post: Accumulator[] = [];
	#pre: Accumulator[] = [];
	/** Earliest event of each unit known (first exposure, events read, the warehouse's first time). */
	#firstSeen: number[] = [];
	/** Latest `session_start` at or before each unit's first exposure. */
	#profile: (Profile | undefined)[] = [];
	/** The props of each unit's first exposure (the SDK puts the game's attributes there as `attr.<name>`). */
	#exposureProps: (Record<string, PropValue> | undefined)[] = [];
	/** `session_end` props by user and session (they fill what the session's start did not know yet). */
	#sessionEnds = new Map<string, Record<string, PropValue>>();

	constructor(metric: MetricDefinition, options: UnitValuesOptions) {
		if (!(options.covariateLookbackDays >= 0)) throw new RangeError("covariateLookbackDays must be ≥ 0");
		this.#metric = metric;
		this.#sources = metricSources(metric);
		this.#to = options.to;
		this.#lookbackMs = options.covariateLookbackDays * DAY_MS;
		const hours = metric.type === "retention" ? undefined : metric.windowHours;
		this.#windowMs = hours === undefined ? Infinity : hours * HOUR_MS;
	}

	/** Adds a unit: a user and its first-ever exposure (callers pass each user once). */
	addUnit(userId: number, firstExposure: number, variation: string | number | null, multiple: boolean): void {
		if (this.#post.length > 0) throw new Error("add every unit before the first event");
		if (this.#index.has(userId)) throw new Error(`user ${userId} was added twice`);
		this.#index.set(userId, this.#t.length);
		this.#t.push(firstExposure);
		this.#variation.push(multiple ? null : variation);
		this.#multiple.push(multiple);
		this.#firstSeen.push(firstExposure);
		this.#profile.push(undefined);
		this.#exposureProps.push(undefined);
	}

	/**
	 * The props of a unit's first exposure: `attr:<name>` reads the game's attribute `attr.<name>` there first (as it
	 * was when the player first saw the experiment), then the session profile.
	 */
	addExposureProps(userId: number, props: Record<string, PropValue>): void {
		const i = this.#index.get(userId);
		if (i !== undefined) this.#exposureProps[i] = props;
	}

	get units(): number {
		return this.#t.length;
	}

	/** One event of source `part` (index in {@link metricSources}); `value` is its value prop as stored, if any. */
	addEvent(part: number, userId: number, time: number, value: unknown): void {
		const i = this.#index.get(userId);
		if (i === undefined) return;
		if (this.#post.length === 0) this.#allocate();
		const source = this.#sources[part];
		if (!source) throw new RangeError(`the metric has no event source ${part}`);
		if (time < this.#firstSeen[i]!) this.#firstSeen[i] = time;
		const x = source.valueProp === null ? 1 : typeof value === "number" && Number.isFinite(value) ? value : 0;
		const t = this.#t[i]!;
		const m = this.#metric;
		if (m.type === "retention") {
			if (time >= t + m.day * DAY_MS && time < t + (m.day + 1) * DAY_MS) this.#post[part]!.add(i, x);
			else if (time >= t - this.#lookbackMs && time < t - DAY_MS) this.#pre[part]!.add(i, x);
			return;
		}
		if (time >= t && time < Math.min(this.#to, t + this.#windowMs)) this.#post[part]!.add(i, x);
		else if (time < t && time >= t - this.#lookbackMs) this.#pre[part]!.add(i, x);
	}

	/** A hint of the user's first event in the game (the warehouse's `wh_players.first_time`), for newVsReturning. */
	addFirstSeen(userId: number, time: number): void {
		const i = this.#index.get(userId);
		if (i !== undefined && time < this.#firstSeen[i]!) this.#firstSeen[i] = time;
	}

	/**
	 * A `session_start` (kind "start") or `session_end` of a user: the profile in effect at the unit's first
	 * exposure is the latest start at or before it (by time, then id); props that start lacks are taken from the same
	 * session's end, which carries facts the SDK learned late (a device reported after the start was sent).
	 */
	addProfile(
		userId: number,
		kind: "start" | "end",
		time: number,
		id: string,
		sessionId: string,
		props: Record<string, PropValue>,
	): void {
		const i = this.#index.get(userId);
		if (i === undefined) return;
		if (time < this.#firstSeen[i]!) this.#firstSeen[i] = time;
		if (kind === "end") {
			if (sessionId !== "") this.#sessionEnds.set(`${userId}\u0001${sessionId}`, props);
			return;
		}
		if (time > this.#t[i]!) return;
		const best = this.#profile[i];
		if (!best || time > best.time || (time === best.time && id > best.id)) {
			this.#profile[i] = { time, id, sessionId, props };
		}
	}

	/** Whether a unit has a profile at its first exposure yet (the engine then skips its fallback profile). */
	hasProfile(userId: number): boolean {
		const i = this.#index.get(userId);
		return i !== undefined && this.#profile[i] !== undefined;
	}

	#allocate(): void {
		const n = this.#t.length;
		for (let part = 0; part < this.#sources.length; part++) {
			this.#post.push(new Accumulator(n));
			this.#pre.push(new Accumulator(n));
		}
	}

	/** The units' values, covariates (when a lookback was given) and the requested dimensions. */
	finish(dimensions: readonly BreakdownDimension[]): ExperimentUnits {
		checkDimensions(dimensions);
		if (this.#post.length === 0) this.#allocate();
		const m = this.#metric;
		// 1. which units count: retention only once day N has passed; quantile only with a matching event.
		const kept: number[] = [];
		for (let i = 0; i < this.#t.length; i++) {
			if (m.type === "retention" && this.#t[i]! + (m.day + 1) * DAY_MS > this.#to) continue;
			if (m.type === "quantile" && this.#post[0]!.count[i] === 0) continue;
			kept.push(i);
		}
		const n = kept.length;
		const withCovariate = this.#lookbackMs > 0;
		const value = new Float64Array(n);
		const covariate = withCovariate ? new Float64Array(n) : null;
		const isRatio = m.type === "ratio";
		const denominator = isRatio ? new Float64Array(n) : null;
		const covariateDenominator = isRatio && withCovariate ? new Float64Array(n) : null;
		const multipleVariations = new Uint8Array(n);
		const firstExposure = new Float64Array(n);
		const variation: (string | number | null)[] = new Array(n);
		// 2. each kept unit's value and covariate, by the metric's type.
		for (let k = 0; k < n; k++) {
			const i = kept[k]!;
			multipleVariations[k] = this.#multiple[i] ? 1 : 0;
			firstExposure[k] = this.#t[i]!;
			variation[k] = this.#variation[i]!;
			value[k] = this.#unitValue(this.#post[0]!, i);
			if (covariate) covariate[k] = this.#unitValue(this.#pre[0]!, i);
			if (denominator) denominator[k] = this.#post[1]!.sum[i]!;
			if (covariateDenominator) covariateDenominator[k] = this.#pre[1]!.sum[i]!;
		}
		// 3. winsorization, the same cap for the value and the covariate.
		const cap = this.#cap(value, multipleVariations);
		if (cap !== null) {
			for (let k = 0; k < n; k++) {
				if (value[k]! > cap) value[k] = cap;
				if (covariate && covariate[k]! > cap) covariate[k] = cap;
			}
		}
		// 4. dimensions.
		const dims: ExperimentUnits["dimensions"] = {};
		for (const dimension of dimensions) {
			const column: (string | null)[] = new Array(n);
			for (let k = 0; k < n; k++) column[k] = this.#dimension(dimension, kept[k]!);
			dims[dimension] = column;
		}
		return {
			count: n,
			variation,
			multipleVariations,
			firstExposure,
			value,
			denominator,
			covariate,
			covariateDenominator,
			dimensions: dims,
			cap,
		};
	}

	/** One unit's value from one window's accumulator (part 0: the metric, or the ratio's numerator). */
	#unitValue(acc: Accumulator, i: number): number {
		const m = this.#metric;
		switch (m.type) {
			case "conversion":
			case "retention":
				return acc.count[i]! > 0 ? 1 : 0;
			case "count":
			case "sum":
			case "revenue":
			case "ratio":
				return acc.sum[i]!;
			case "quantile": {
				const count = acc.count[i]!;
				if (count === 0) return 0;
				if (m.aggregate === "sum") return acc.sum[i]!;
				if (m.aggregate === "max") return acc.max[i]!;
				return acc.sum[i]! / count;
			}
		}
	}

	#cap(value: Float64Array, multiple: Uint8Array): number | null {
		const m = this.#metric;
		if (!("cap" in m) || m.cap === undefined) return null;
		if ("value" in m.cap) return m.cap.value;
		const pooled: number[] = [];
		for (let k = 0; k < value.length; k++) if (multiple[k] === 0) pooled.push(value[k]!);
		return pooled.length === 0 ? null : percentile(pooled, m.cap.percentile);
	}

	#dimension(dimension: BreakdownDimension, i: number): string | null {
		if (dimension === "newVsReturning") {
			return this.#t[i]! - this.#firstSeen[i]! < NEW_PLAYER_MS ? "new" : "returning";
		}
		const name = dimension === "platform" || dimension === "country" ? PROFILE_PROPS[dimension] : dimension.slice(5);
		if (dimension.startsWith("attr:")) {
			const fromGame = this.#exposureProps[i]?.[`attr.${name}`];
			if (fromGame !== undefined && fromGame !== null && fromGame !== "") return String(fromGame);
		}
		const profile = this.#profile[i];
		if (!profile) return null;
		let raw: PropValue | undefined = profile.props[name];
		if (raw === undefined || raw === null) {
			raw = this.#sessionEnds.get(`${this.#userOf(i)}\u0001${profile.sessionId}`)?.[name];
		}
		if (raw === undefined || raw === null || raw === "") return null;
		// The SDK's "unknown" device class says it could not tell: no platform.
		if (dimension === "platform" && raw === "unknown") return null;
		return String(raw);
	}

	#users: number[] | undefined;
	#userOf(i: number): number {
		if (!this.#users) {
			this.#users = new Array(this.#t.length);
			for (const [userId, index] of this.#index) this.#users[index] = userId;
		}
		return this.#users[i]!;
	}
}

/**
 * The `p` quantile of `values` by linear interpolation between order statistics (numpy's default, "type 7").
 * @example
 * percentile([1, 2, 3, 4], 0.5); // 2.5
 */
export function percentile(values: readonly number[] | Float64Array, p: number): number {
	if (values.length === 0) throw new RangeError("no values");
	if (!(p >= 0 && p <= 1)) throw new RangeError("p must be in [0, 1]");
	const sorted = Float64Array.from(values).sort();
	const h = (sorted.length - 1) * p;
	const lo = Math.floor(h);
	const hi = Math.min(lo + 1, sorted.length - 1);
	return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}
