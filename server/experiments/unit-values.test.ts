import { describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS, metricSchema, type MetricDefinition } from "./metric.js";
import {
	candidateRange,
	isBreakdownDimension,
	metricSources,
	percentile,
	profileRange,
	UnitValues,
	type EventSource,
} from "./unit-values.js";

const T = Date.UTC(2025, 0, 10);
const TO = T + 20 * DAY_MS;

function metric(input: Record<string, unknown>): MetricDefinition {
	return metricSchema.parse({ key: "m", ...input });
}

/** Units 1..n exposed at T (variation = user id mod 2), then `events` as [user, time, value?, part?]. */
function run(
	m: MetricDefinition,
	events: [number, number, unknown?, number?][],
	options: { users?: number; lookbackDays?: number; to?: number; exposures?: Record<number, number> } = {},
) {
	const b = new UnitValues(m, { to: options.to ?? TO, covariateLookbackDays: options.lookbackDays ?? 0 });
	for (let u = 1; u <= (options.users ?? 1); u++) b.addUnit(u, options.exposures?.[u] ?? T, u % 2, false);
	for (const [user, time, value, part] of events) b.addEvent(part ?? 0, user, time, value ?? null);
	return b.finish([]);
}

describe("metricSources and candidateRange", () => {
	it("names what an engine reads for every metric type", () => {
		const cases: [Record<string, unknown>, EventSource[]][] = [
			[{ type: "conversion", event: "buy" }, [{ name: "buy", type: null, valueProp: null }]],
			[
				{ type: "count", event: "lvl", eventType: "progression" },
				[{ name: "lvl", type: "progression", valueProp: null }],
			],
			[{ type: "sum", event: "lvl", valueProp: "xp" }, [{ name: "lvl", type: null, valueProp: "xp" }]],
			[{ type: "revenue" }, [{ name: null, type: "purchase", valueProp: "robux" }]],
			[{ type: "retention", day: 7 }, [{ name: null, type: null, valueProp: null }]],
			[
				{ type: "ratio", numerator: { eventType: "purchase", valueProp: "robux" }, denominator: { event: "s" } },
				[
					{ name: null, type: "purchase", valueProp: "robux" },
					{ name: "s", type: null, valueProp: null },
				],
			],
			[{ type: "quantile", event: "end", valueProp: "duration" }, [{ name: "end", type: null, valueProp: "duration" }]],
		];
		for (const [input, sources] of cases) expect(metricSources(metric(input))).toEqual(sources);
	});

	it("reads from the earliest lookback start (or day N for retention) to the end", () => {
		const buy = metric({ type: "conversion", event: "buy" });
		expect(candidateRange(buy, T, TO, 0)).toEqual({ from: T, to: TO });
		expect(candidateRange(buy, T, TO, 14)).toEqual({ from: T - 14 * DAY_MS, to: TO });
		const d7 = metric({ type: "retention", day: 7 });
		expect(candidateRange(d7, T, TO, 0)).toEqual({ from: T + 7 * DAY_MS, to: TO });
		expect(candidateRange(d7, T, TO, 3)).toEqual({ from: T - 3 * DAY_MS, to: TO });
		expect(profileRange(T, TO, 0)).toEqual({ from: T - DAY_MS, to: TO });
		expect(profileRange(T, TO, 14)).toEqual({ from: T - 14 * DAY_MS, to: TO });
	});
});

describe("UnitValues: metric types and windows", () => {
	it("conversion: 1 once the unit sent the event from its exposure on, within windowHours and before `to`", () => {
		const plain = metric({ type: "conversion", event: "buy" });
		const r = run(
			plain,
			[
				[1, T - 1],
				[2, T],
				[3, T + 5 * DAY_MS],
				[3, T + 6 * DAY_MS],
				[4, TO],
			],
			{ users: 5 },
		);
		expect([...r.value]).toEqual([0, 1, 1, 0, 0]);
		const windowed = metric({ type: "conversion", event: "buy", windowHours: 24 });
		const w = run(
			windowed,
			[
				[1, T + DAY_MS - 1],
				[2, T + DAY_MS],
			],
			{ users: 2 },
		);
		expect([...w.value]).toEqual([1, 0]);
		// The window is cut at `to` as well.
		const cut = run(windowed, [[1, T + HOUR_MS]], { to: T + HOUR_MS });
		expect([...cut.value]).toEqual([0]);
	});

	it("count, sum and revenue add events or their value prop; a value that is not a finite number adds 0", () => {
		const events: [number, number, unknown][] = [
			[1, T + 1, 5],
			[1, T + 2, 2.5],
			[1, T + 3, "x"],
			[1, T + 4, null],
			[2, T - 1, 100],
		];
		expect([...run(metric({ type: "count", event: "e" }), events, { users: 2 }).value]).toEqual([4, 0]);
		expect([...run(metric({ type: "sum", event: "e", valueProp: "v" }), events, { users: 2 }).value]).toEqual([7.5, 0]);
		expect([...run(metric({ type: "revenue" }), events, { users: 2 }).value]).toEqual([7.5, 0]);
	});

	it("retention: active during day N after exposure, and only units whose day N ended by `to`", () => {
		const d1 = metric({ type: "retention", day: 1 });
		const exposures = { 1: T, 2: T, 3: T, 4: TO - 2 * DAY_MS + 1 };
		const r = run(
			d1,
			[
				[1, T + DAY_MS],
				[2, T + 2 * DAY_MS],
				[3, T + DAY_MS - 1],
				[4, TO - DAY_MS + 10],
			],
			{ users: 4, exposures },
		);
		// Unit 4's day 1 ends 1 ms after `to`: not counted yet.
		expect(r.count).toBe(3);
		expect([...r.value]).toEqual([1, 0, 0]);
	});

	it("ratio: numerator and denominator per unit; units with a zero denominator still count", () => {
		const rps = metric({
			type: "ratio",
			numerator: { eventType: "purchase", valueProp: "robux" },
			denominator: { eventType: "session_start" },
		});
		const r = run(
			rps,
			[
				[1, T + 1, 40, 0],
				[1, T + 2, 10, 0],
				[1, T + 3, null, 1],
				[1, T + 4, null, 1],
				[2, T + 1, 30, 0],
			],
			{ users: 3 },
		);
		expect([...r.value]).toEqual([50, 30, 0]);
		expect([...r.denominator!]).toEqual([2, 0, 0]);
		expect(r.covariate).toBeNull();
		expect(r.covariateDenominator).toBeNull();
	});

	it("quantile: the unit's mean, sum or max; units without a matching event are no units", () => {
		const events: [number, number, unknown][] = [
			[1, T + 1, 10],
			[1, T + 2, 30],
			[1, T + 3, 20],
			[2, T + 1, 5],
		];
		const of = (aggregate: string) =>
			run(metric({ type: "quantile", event: "e", valueProp: "d", aggregate }), events, { users: 3 });
		expect([...of("mean").value]).toEqual([20, 5]);
		expect([...of("sum").value]).toEqual([60, 5]);
		expect([...of("max").value]).toEqual([30, 5]);
		expect(of("max").count).toBe(2);
		expect(of("max").variation).toEqual([1, 0]);
	});

	it("ignores events of users who are not units, and puts units of several variations in no arm", () => {
		const b = new UnitValues(metric({ type: "count", event: "e" }), { to: TO, covariateLookbackDays: 0 });
		b.addUnit(7, T, "a", false);
		b.addUnit(8, T, "a", true);
		b.addEvent(0, 9, T + 1, null);
		b.addEvent(0, 8, T + 1, null);
		const r = b.finish([]);
		expect(r.variation).toEqual(["a", null]);
		expect([...r.multipleVariations]).toEqual([0, 1]);
		expect([...r.value]).toEqual([0, 1]);
		expect(() => b.addUnit(7, T, "a", false)).toThrow(/before the first event/);
	});
});

describe("UnitValues: CUPED covariates", () => {
	it("measures the same metric over [t − lookback, t)", () => {
		const count = metric({ type: "count", event: "e" });
		const r = run(
			count,
			[
				[1, T - 7 * DAY_MS - 1],
				[1, T - 7 * DAY_MS],
				[1, T - 1],
				[1, T],
				[2, T - DAY_MS],
			],
			{ users: 2, lookbackDays: 7 },
		);
		expect([...r.covariate!]).toEqual([2, 1]);
		expect([...r.value]).toEqual([1, 0]);
		const conversion = run(
			metric({ type: "conversion", event: "e" }),
			[
				[1, T - 5],
				[1, T - 3],
			],
			{
				users: 2,
				lookbackDays: 7,
			},
		);
		expect([...conversion.covariate!]).toEqual([1, 0]);
	});

	it("ratio: both parts over the lookback", () => {
		const rps = metric({ type: "ratio", numerator: { event: "buy", valueProp: "r" }, denominator: { event: "s" } });
		const r = run(
			rps,
			[
				[1, T - DAY_MS, 10, 0],
				[1, T - DAY_MS, null, 1],
				[1, T - 2 * DAY_MS, null, 1],
				[1, T + 1, 99, 0],
			],
			{ lookbackDays: 3 },
		);
		expect([...r.covariate!, ...r.covariateDenominator!]).toEqual([10, 2]);
		expect([...r.value, ...r.denominator!]).toEqual([99, 0]);
	});

	it("retention: active on a lookback day before the last 24 hours (the exposure's own session is not a signal)", () => {
		const d1 = metric({ type: "retention", day: 1 });
		const r = run(
			d1,
			[
				[1, T - 60_000], // the session the unit is exposed in: not counted
				[2, T - DAY_MS - 1], // the day before: counted
				[3, T - 7 * DAY_MS - 1], // before the lookback
			],
			{ users: 3, lookbackDays: 7 },
		);
		expect([...r.covariate!]).toEqual([0, 1, 0]);
	});

	it("quantile: the unit's aggregate over the lookback, 0 when it has no event then", () => {
		const q = metric({ type: "quantile", event: "e", valueProp: "d", aggregate: "max" });
		const r = run(
			q,
			[
				[1, T - 2, 4],
				[1, T - 1, 9],
				[1, T + 1, 1],
				[2, T + 1, 1],
			],
			{ users: 2, lookbackDays: 1 },
		);
		expect([...r.covariate!]).toEqual([9, 0]);
	});
});

describe("UnitValues: winsorization", () => {
	it("caps value and covariate at a fixed value and reports it; no cap, no change", () => {
		const events: [number, number, unknown][] = [
			[1, T + 1, 500],
			[1, T - 1, 300],
			[2, T + 1, 50],
		];
		const capped = run(metric({ type: "revenue", cap: { value: 100 } }), events, { users: 2, lookbackDays: 1 });
		expect([...capped.value, ...capped.covariate!, capped.cap]).toEqual([100, 50, 100, 0, 100]);
		const raw = run(metric({ type: "revenue" }), events, { users: 2, lookbackDays: 1 });
		expect([...raw.value, raw.cap]).toEqual([500, 50, null]);
	});

	it("caps at the pooled percentile of all arms' units (units of several variations left out of the pool)", () => {
		const m = metric({ type: "count", event: "e", cap: { percentile: 0.75 } });
		const b = new UnitValues(m, { to: TO, covariateLookbackDays: 1 });
		// Arm 0 holds the small values, arm 1 the large ones: a per-arm cap would differ.
		for (let u = 1; u <= 8; u++) b.addUnit(u, T, u <= 4 ? 0 : 1, false);
		b.addUnit(9, T, 0, true);
		for (let u = 1; u <= 9; u++) {
			const n = u === 9 ? 1000 : u;
			for (let i = 0; i < n; i++) b.addEvent(0, u, T + 1 + i, null);
			for (let i = 0; i < 2 * n; i++) b.addEvent(0, u, T - 1 - i, null);
		}
		const r = b.finish([]);
		// Pooled values 1..8: the 75th percentile (linear) is 6.25; unit 9 (1000) does not move it.
		expect(r.cap).toBeCloseTo(6.25, 12);
		expect([...r.value]).toEqual([1, 2, 3, 4, 5, 6, 6.25, 6.25, 6.25]);
		expect([...r.covariate!]).toEqual([2, 4, 6, 6.25, 6.25, 6.25, 6.25, 6.25, 6.25]);
	});

	it("caps a ratio's numerator, never its denominator", () => {
		const m = metric({
			type: "ratio",
			numerator: { event: "b", valueProp: "r" },
			denominator: { event: "s" },
			cap: { value: 10 },
		});
		const r = run(m, [
			[1, T + 1, 50, 0],
			...Array.from({ length: 20 }, (_, i): [number, number, unknown, number] => [1, T + 2 + i, null, 1]),
		]);
		expect([...r.value, ...r.denominator!]).toEqual([10, 20]);
	});

	it("computes percentiles as numpy's default (linear interpolation)", () => {
		// numpy.percentile([3, 1, 4, 1, 5, 9, 2, 6], [50, 90, 99]) = [3.5, 6.9, 8.79]
		const xs = [3, 1, 4, 1, 5, 9, 2, 6];
		expect(percentile(xs, 0.5)).toBeCloseTo(3.5, 12);
		expect(percentile(xs, 0.9)).toBeCloseTo(6.9, 12);
		expect(percentile(xs, 0.99)).toBeCloseTo(8.79, 12);
		expect(percentile([7], 0.99)).toBe(7);
		expect(() => percentile([], 0.5)).toThrow(/no values/);
	});
});

describe("UnitValues: dimensions", () => {
	function profiled() {
		const b = new UnitValues(metric({ type: "conversion", event: "e" }), { to: TO, covariateLookbackDays: 0 });
		b.addUnit(1, T, 0, false);
		b.addUnit(2, T, 1, false);
		b.addUnit(3, T, 0, false);
		return b;
	}

	it("reads the latest session_start at or before first exposure, and fills its gaps from that session's end", () => {
		const b = profiled();
		b.addProfile(1, "start", T - DAY_MS, "a", "old", { device: "desktop", country: "DE", level: 3 });
		b.addProfile(1, "start", T - 60_000, "b", "now", { country: "FR", premium: false });
		b.addProfile(1, "start", T + 1, "c", "next", { device: "tablet", country: "US" });
		b.addProfile(1, "end", T + HOUR_MS, "d", "now", { device: "phone", country: "XX", level: 4 });
		b.addProfile(2, "start", T, "a", "s2", { device: "unknown", country: "" });
		b.addProfile(9, "start", T, "a", "s9", { device: "vr" });
		const r = b.finish(["platform", "country", "attr:premium", "attr:level"]);
		expect(r.dimensions).toEqual({
			platform: ["phone", null, null],
			country: ["FR", null, null],
			"attr:premium": ["false", null, null],
			"attr:level": ["4", null, null],
		});
	});

	it("reads a game attribute from the first exposure (attr.<name>) before the session profile", () => {
		const b = profiled();
		b.addProfile(1, "start", T - 60_000, "a", "s1", { vipTier: "1", premium: true });
		b.addProfile(2, "start", T - 60_000, "a", "s2", { vipTier: "0" });
		b.addExposureProps(1, { variation: 0, "attr.vipTier": 3 });
		b.addExposureProps(2, { variation: 1, "attr.vipTier": "" });
		b.addExposureProps(3, { variation: 0, "attr.guild": "red" });
		b.addExposureProps(9, { "attr.vipTier": 9 }); // not a unit: ignored
		const r = b.finish(["attr:vipTier", "attr:premium", "attr:guild"]);
		expect(r.dimensions).toEqual({
			"attr:vipTier": ["3", "0", null],
			"attr:premium": ["true", null, null],
			"attr:guild": [null, null, "red"],
		});
	});

	it("breaks ties between starts at the same time by the larger id", () => {
		const b = profiled();
		b.addProfile(1, "start", T - 5, "b", "s", { device: "phone" });
		b.addProfile(1, "start", T - 5, "a", "s", { device: "desktop" });
		expect(b.finish(["platform"]).dimensions.platform![0]).toBe("phone");
	});

	it("calls a unit new when its first known event is less than 24 hours before first exposure", () => {
		const b = profiled();
		b.addFirstSeen(1, T - DAY_MS); // exactly 24 hours: returning
		b.addFirstSeen(2, T - DAY_MS + 1); // new
		b.addEvent(0, 3, T - 30 * DAY_MS, null); // an event read in the lookback is evidence too: returning
		expect(b.finish(["newVsReturning"]).dimensions.newVsReturning).toEqual(["returning", "new", "returning"]);
	});

	it("refuses an unknown dimension with a clear error", () => {
		expect(isBreakdownDimension("attr:vip_tier")).toBe(true);
		expect(isBreakdownDimension("attr:")).toBe(false);
		expect(isBreakdownDimension("device")).toBe(false);
		expect(() => profiled().finish(["device" as never])).toThrow(/unknown dimension "device"/);
	});

	it("answers only the dimensions asked for, aligned with the kept units", () => {
		const b = new UnitValues(metric({ type: "retention", day: 1 }), { to: T + 2 * DAY_MS, covariateLookbackDays: 0 });
		b.addUnit(1, T + DAY_MS, 0, false); // day 1 not over: dropped
		b.addUnit(2, T, 1, false);
		b.addProfile(2, "start", T - 1, "a", "s", { country: "BR" });
		const r = b.finish(["country"]);
		expect(Object.keys(r.dimensions)).toEqual(["country"]);
		expect(r.dimensions.country).toEqual(["BR"]);
		expect(r.variation).toEqual([1]);
	});
});
