// SqliteStore.experimentUnits and experimentMetricSums: who is a unit (first EVER exposure), the range reads behind
// values and covariates, the profile dimensions, QA exclusion through pseudonyms, and that both methods agree.
// The metric semantics themselves are tested on the pure module (experiments/unit-values.test.ts).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EventType, IngestEvent } from "../../ingest/schema.js";
import { T0 } from "../../testing/fixtures.js";
import { DAY_MS, HOUR_MS, type MetricDefinition } from "../../domain/experiments.js";
import type { ExperimentUnitsQuery } from "../../domain/experiments.js";
import type { Store } from "../types.js";
import { openSqliteStore } from "./sqlite-store.js";

let store: Store;
let events: IngestEvent[];
beforeEach(async () => {
	store = openSqliteStore({ path: ":memory:" });
	await store.createGame({ id: "g1", name: "Game one", createdAt: T0 });
	events = [];
});
afterEach(() => store.close());

function add(
	userId: number,
	type: EventType,
	name: string,
	time: number,
	props: IngestEvent["props"] = {},
	sessionId = `s${userId}`,
): void {
	events.push({ id: `e${String(events.length).padStart(6, "0")}`, time, userId, sessionId, type, name, props });
}

async function flush(): Promise<void> {
	await store.ingestBatch("g1", { batchId: `b${T0}${events[0]?.id}`, sentAt: T0, events, rejected: [] }, T0);
	events = [];
}

const BOUGHT: MetricDefinition = { key: "bought", type: "conversion", event: "buy" };

function query(overrides: Partial<ExperimentUnitsQuery> = {}): ExperimentUnitsQuery {
	return {
		gameId: "g1",
		experimentKey: "shop",
		from: T0,
		to: T0 + 10 * DAY_MS,
		metric: BOUGHT,
		excludeUserIds: [],
		covariateLookbackDays: 0,
		dimensions: [],
		...overrides,
	};
}

describe("SqliteStore.experimentUnits: units", () => {
	it("counts a user first exposed before `from` as no unit, even if exposed again inside the range", async () => {
		// User 1: exposed on day 1 and again on day 5. User 2: first exposed on day 4. Read from day 3.
		add(1, "exposure", "shop", T0 + 1 * DAY_MS, { variation: 0 });
		add(1, "exposure", "shop", T0 + 5 * DAY_MS, { variation: 0 });
		add(1, "custom", "buy", T0 + 5 * DAY_MS + 1000);
		add(2, "exposure", "shop", T0 + 4 * DAY_MS, { variation: 1 });
		await flush();
		const from = T0 + 3 * DAY_MS;
		const units = await store.experimentUnits(query({ from }));
		expect(units.count).toBe(1);
		expect(units.variation).toEqual([1]);
		expect([...units.firstExposure]).toEqual([T0 + 4 * DAY_MS]);
		const rows = await store.experimentMetricSums({ ...query({ from }) });
		expect(rows.map((r) => [r.variation, r.units, r.sum])).toEqual([[1, 1, 0]]);
		// Read from the start, user 1 is a unit from day 1 on, with the purchase of day 5.
		const all = await store.experimentUnits(query());
		expect(all.count).toBe(2);
	});

	it("takes the first exposure's time, and keeps users whose exposures name several variations apart", async () => {
		add(1, "exposure", "shop", T0 + 2 * HOUR_MS, { variation: "a" });
		add(1, "exposure", "shop", T0 + HOUR_MS, { variation: "a" });
		add(2, "exposure", "shop", T0 + HOUR_MS, { variation: "a" });
		add(2, "exposure", "shop", T0 + 3 * HOUR_MS, { variation: "b" });
		add(3, "exposure", "other", T0 + HOUR_MS, { variation: "a" });
		await flush();
		const units = await store.experimentUnits(query());
		const byTime = [...units.firstExposure].map((t, k) => [t - T0, units.variation[k], units.multipleVariations[k]]);
		expect(byTime.sort()).toEqual([
			[HOUR_MS, null, 1],
			[HOUR_MS, "a", 0],
		]);
	});

	it("leaves out QA users, named by UserId although the events hold pseudonyms", async () => {
		add(1, "exposure", "shop", T0 + HOUR_MS, { variation: 0 });
		add(2, "exposure", "shop", T0 + HOUR_MS, { variation: 1 });
		await flush();
		const units = await store.experimentUnits(query({ excludeUserIds: [2] }));
		expect(units.variation).toEqual([0]);
		const rows = await store.experimentMetricSums(query({ excludeUserIds: [2] }));
		expect(rows.map((r) => r.variation)).toEqual([0]);
	});
});

describe("SqliteStore.experimentUnits: values and covariates from range reads", () => {
	it("reads the lookback before `from` for the covariate, and the post-exposure events for the value", async () => {
		const t = T0 + 2 * HOUR_MS;
		add(1, "custom", "buy", T0 - 5 * DAY_MS); // in a 7-day lookback, before `from`
		add(1, "custom", "buy", T0 - 9 * DAY_MS); // outside it
		add(1, "exposure", "shop", t, { variation: 0 });
		add(1, "custom", "buy", t + HOUR_MS);
		add(1, "custom", "buy", t + 2 * HOUR_MS);
		add(2, "exposure", "shop", t, { variation: 1 });
		await flush();
		const count: MetricDefinition = { key: "buys", type: "count", event: "buy" };
		const units = await store.experimentUnits(query({ metric: count, covariateLookbackDays: 7 }));
		const byArm = new Map(units.variation.map((v, k) => [v, [units.value[k], units.covariate![k]]]));
		expect(byArm).toEqual(
			new Map([
				[0, [2, 1]],
				[1, [0, 0]],
			]),
		);
	});

	it("reads revenue from purchases, ratio parts by type alone, and sum and quantile props", async () => {
		const t = T0 + HOUR_MS;
		add(1, "exposure", "shop", t, { variation: 0 });
		add(1, "session_start", "player", t + DAY_MS, { device: "phone" }, "s1b");
		add(1, "session_start", "player", t + 2 * DAY_MS, {}, "s1c");
		add(1, "purchase", "gems", t + DAY_MS, { robux: 40 });
		add(1, "purchase", "sword", t + DAY_MS, { robux: 25 });
		add(1, "progression", "level", t + 10, { seconds: 30 });
		add(1, "progression", "level", t + 20, { seconds: 50 });
		add(1, "progression", "level", t + 30, { seconds: "fast" });
		await flush();
		const get = async (metric: MetricDefinition) => store.experimentUnits(query({ metric }));
		const revenue = await get({ key: "r", type: "revenue", valueProp: "robux" });
		expect([...revenue.value]).toEqual([65]);
		const gems = await get({ key: "g", type: "revenue", event: "gems", valueProp: "robux" });
		expect([...gems.value]).toEqual([40]);
		const perSession = await get({
			key: "rps",
			type: "ratio",
			numerator: { eventType: "purchase", valueProp: "robux" },
			denominator: { eventType: "session_start" },
		});
		expect([...perSession.value, ...perSession.denominator!]).toEqual([65, 2]);
		const seconds = await get({ key: "s", type: "sum", event: "level", valueProp: "seconds" });
		expect([...seconds.value]).toEqual([80]);
		const median = await get({
			key: "q",
			type: "quantile",
			event: "level",
			valueProp: "seconds",
			quantile: 0.5,
			aggregate: "max",
		});
		expect([...median.value]).toEqual([50]);
		const d1 = await get({ key: "d1", type: "retention", day: 1 });
		expect([...d1.value]).toEqual([1]);
	});

	it("answers the same sums per variation and day as the per-unit values, capped alike", async () => {
		for (let u = 1; u <= 40; u++) {
			const t = T0 + (u % 3) * DAY_MS + u * 1000;
			add(u, "exposure", "shop", t, { variation: u % 2 });
			for (let i = 0; i < u % 10; i++) add(u, "custom", "buy", t + i * 1000);
		}
		await flush();
		const metric: MetricDefinition = { key: "buys", type: "count", event: "buy", cap: { percentile: 0.8 } };
		const units = await store.experimentUnits(query({ metric }));
		const rows = await store.experimentMetricSums(query({ metric }));
		// Counts 0-9, four units each: the pooled 80th percentile lies 0.2 of the way from the 32nd value (7) to the 33rd (8).
		expect(units.cap).toBeCloseTo(7.2, 12);
		expect(Math.max(...units.value)).toBeCloseTo(7.2, 12);
		for (const row of rows) {
			let n = 0;
			let sum = 0;
			for (let k = 0; k < units.count; k++) {
				if (units.variation[k] !== row.variation || Math.floor(units.firstExposure[k]! / DAY_MS) !== row.day) continue;
				n += 1;
				sum += units.value[k]!;
			}
			expect([row.units, row.sum]).toEqual([n, sum]);
		}
		expect(rows.reduce((s, r) => s + r.units, 0)).toBe(40);
	});

	it("refuses per-variation sums of a ratio metric (they are read per unit)", async () => {
		const metric: MetricDefinition = {
			key: "rps",
			type: "ratio",
			numerator: { eventType: "purchase" },
			denominator: { eventType: "session_start" },
		};
		await expect(store.experimentMetricSums(query({ metric }))).rejects.toThrow(/per unit/);
	});
});

describe("SqliteStore.experimentUnits: dimensions", () => {
	it("reads platform, country and attributes from the profile in effect at first exposure", async () => {
		const t = T0 + 3 * DAY_MS;
		// User 1: an old session on desktop, then the exposure's session on a phone whose start did not know the
		// device yet (its end did), and a later session on a tablet.
		add(1, "session_start", "player", t - 2 * DAY_MS, { device: "desktop", country: "DE", vip: 1 }, "old");
		add(1, "session_start", "player", t - 60_000, { country: "FR", premium: true }, "now");
		add(1, "exposure", "shop", t, { variation: 0 }, "now");
		add(1, "session_end", "player", t + HOUR_MS, { device: "phone", country: "FR", premium: true }, "now");
		add(1, "session_start", "player", t + DAY_MS, { device: "tablet", country: "US" }, "later");
		// User 2: no session events at all.
		add(2, "exposure", "shop", t, { variation: 1 });
		await flush();
		const units = await store.experimentUnits(
			query({ dimensions: ["platform", "country", "attr:premium", "attr:vip"] }),
		);
		const byArm = (dim: "platform" | "country" | "attr:premium" | "attr:vip") =>
			units.variation.map((v, k) => [v, units.dimensions[dim]![k]]).sort();
		expect(byArm("platform")).toEqual([
			[0, "phone"],
			[1, null],
		]);
		expect(byArm("country")).toEqual([
			[0, "FR"],
			[1, null],
		]);
		expect(byArm("attr:premium")).toEqual([
			[0, "true"],
			[1, null],
		]);
		expect(byArm("attr:vip")).toEqual([
			[0, null],
			[1, null],
		]);
	});

	it("reads a game attribute from the unit's first exposure (attr.<name>) before its session profile", async () => {
		const t = T0 + 3 * DAY_MS;
		add(1, "session_start", "player", t - 60_000, { vip: 0 }, "a");
		add(1, "exposure", "shop", t, { variation: 0, "attr.vip": 2 }, "a");
		add(1, "exposure", "shop", t + DAY_MS, { variation: 0, "attr.vip": 5 }, "b");
		add(2, "session_start", "player", t - 60_000, { vip: 1 }, "c");
		add(2, "exposure", "shop", t, { variation: 1 }, "c");
		add(3, "exposure", "other", t, { variation: 0, "attr.vip": 9 });
		await flush();
		const units = await store.experimentUnits(query({ dimensions: ["attr:vip"] }));
		expect(units.variation.map((v, k) => [v, units.dimensions["attr:vip"]![k]]).sort()).toEqual([
			[0, "2"],
			[1, "1"],
		]);
	});

	it("reads session events under any name the game used, not only the SDK's", async () => {
		add(1, "session_start", "session", T0 - 20 * DAY_MS, { device: "tablet" }, "first");
		add(1, "session_start", "session", T0 + HOUR_MS - 5, { device: "desktop" }, "a");
		add(1, "exposure", "shop", T0 + HOUR_MS, { variation: 0 }, "a");
		await flush();
		await store.warehouse.catchUp();
		const units = await store.experimentUnits(query({ dimensions: ["platform"] }));
		expect(units.dimensions.platform).toEqual(["desktop"]);
	});

	it("refuses an unknown dimension before reading anything", async () => {
		await expect(store.experimentUnits(query({ dimensions: ["device" as never] }))).rejects.toThrow(
			/unknown dimension "device"/,
		);
	});

	it("falls back on the warehouse's first profile when no session_start is in the range read", async () => {
		add(1, "session_start", "player", T0 - 30 * DAY_MS, { device: "console", country: "JP" }, "first");
		add(1, "exposure", "shop", T0 + HOUR_MS, { variation: 0 }, "other");
		await flush();
		await store.warehouse.catchUp();
		const units = await store.experimentUnits(query({ dimensions: ["platform", "country"] }));
		expect([units.dimensions.platform, units.dimensions.country]).toEqual([["console"], ["JP"]]);
	});

	it("calls a player new when their first event in the game is less than 24 hours before first exposure", async () => {
		const t = T0 + 5 * DAY_MS;
		add(1, "custom", "hello", t - 30 * DAY_MS); // returning: first seen a month before (known to the warehouse)
		add(1, "exposure", "shop", t, { variation: 0 });
		add(2, "custom", "hello", t - 23 * HOUR_MS); // new: first seen 23 hours before
		add(2, "exposure", "shop", t, { variation: 1 });
		add(3, "exposure", "shop", t, { variation: 2 }); // new: the exposure is its first event
		await flush();
		await store.warehouse.catchUp();
		const units = await store.experimentUnits(query({ dimensions: ["newVsReturning"] }));
		expect(units.variation.map((v, k) => [v, units.dimensions.newVsReturning![k]]).sort()).toEqual([
			[0, "returning"],
			[1, "new"],
			[2, "new"],
		]);
	});
});
