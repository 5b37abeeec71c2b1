// The event store's contract suite (store/contracts.ts EventStore), engine-neutral: it calls only the contract's
// methods (and the metadata half for the game and its settings), so every engine that implements the event half runs
// the same cases, on fixtures small enough that every expected number is worked out beside it.
//
// To run it on another engine, add `<engine>.contract.test.ts` beside sqlite.contract.test.ts:
//
//   describeEventContract("clickhouse", async () => {
//     const metadata = ...; // a fresh metadata store (PostgreSQL, or SQLite in memory)
//     const events = await openClickHouseEvents({ url: cluster.eventsUrl(`contract_${n++}`), players, ...,
//       settings: (gameId) => metadata.getGameSettings(gameId), listSettings: () => metadata.listGameSettings() });
//     return { events, metadata, close: async () => { await events.close(); await metadata.close(); } };
//   });
//
// `open()` is called once per group of cases (a `describe` below) and must give EMPTY stores each time (a fresh
// database). Events are folded with `events.warehouse.catchUp()` before metrics are read.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventType, IngestEvent, ValidatedBatch } from "../../domain/ingest.js";
import type { MetricDefinition } from "../../domain/experiments.js";
import type { ExperimentUnitsQuery } from "../../domain/experiments.js";
import type { EventStore, MetadataStore } from "../contracts.js";
import type { ExperimentMetricRow } from "../types.js";

/** What an engine's `open()` gives the event suite. */
export interface OpenedEvents {
	events: EventStore;
	/** Holds the suite's games and their settings (the event engine reads them from it). */
	metadata: MetadataStore;
	close(): Promise<void>;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Monday 2026-01-05 00:00 UTC: day D0 of the fixtures. */
const D0 = Date.UTC(2026, 0, 5);
const D0_DAY = D0 / DAY;
/** "Now" for metric reads: every day of the fixtures has ended. */
const NOW = D0 + 5 * DAY;

/**
 * Registers the event contract's cases for `engine` (vitest `describe` blocks).
 *
 * @example
 * describeEventContract("sqlite", async () => {
 *   const store = openSqliteStore({ path: ":memory:", autoFold: false });
 *   return { events: store, metadata: store, close: () => store.close() };
 * });
 */
export function describeEventContract(engine: string, open: () => Promise<OpenedEvents>): void {
	/** Fresh stores (with games g1 and g2) for the cases of the enclosing describe. */
	function fresh(): () => OpenedEvents {
		let opened: OpenedEvents | undefined;
		beforeAll(async () => {
			opened = await open();
			await opened.metadata.createGame({ id: "g1", name: "One", createdAt: D0 - DAY });
			await opened.metadata.createGame({ id: "g2", name: "Two", createdAt: D0 - DAY });
		}, 60_000);
		afterAll(async () => {
			await opened?.close();
		}, 60_000);
		return () => {
			if (!opened) throw new Error("the stores did not open");
			return opened;
		};
	}

	describe(`EventStore contract on ${engine}`, () => {
		describe("ingest: accepted, duplicates, replays, conflicts", () => {
			const s = fresh();

			it("stores every event of a new batch and returns the answer with the caller's rejected list", async () => {
				const { events } = s();
				const rejected = [{ index: 3, code: "invalid_event" as const, message: "name: too short" }];
				const outcome = await events.ingestBatch("g1", batch("b1", numbered("a", 3), rejected), D0);
				expect(outcome).toEqual({ result: { accepted: 3, duplicates: 0, rejected }, replayed: false });
				expect((await events.listEvents({ gameId: "g1", limit: 10 })).map((e) => e.id)).toEqual([
					"a-01",
					"a-02",
					"a-03",
				]);
			});

			it("answers a resent batchId with the first answer and writes nothing", async () => {
				const { events } = s();
				const first = await events.ingestBatch("g1", batch("b1", numbered("other", 5)), D0 + 5000);
				expect(first.replayed).toBe(true);
				expect(first.result).toEqual({
					accepted: 3,
					duplicates: 0,
					rejected: [{ index: 3, code: "invalid_event", message: "name: too short" }],
				});
				expect(first.conflict).toBeUndefined();
				const stored = await events.listEvents({ gameId: "g1", limit: 10 });
				expect(stored).toHaveLength(3);
				expect(stored.every((e) => e.receivedAt === D0 && e.batchId === "b1")).toBe(true);
			});

			it("counts an event id already stored as a duplicate, per game", async () => {
				const { events } = s();
				const outcome = await events.ingestBatch("g1", batch("b2", numbered("a", 5)), D0 + 1);
				expect(outcome).toEqual({ result: { accepted: 2, duplicates: 3, rejected: [] }, replayed: false });
				// The same ids in another game are that game's own events.
				const other = await events.ingestBatch("g2", batch("b2", numbered("a", 2)), D0 + 1);
				expect(other.result).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
				expect(await events.listEvents({ gameId: "g1", limit: 100 })).toHaveLength(5);
			});

			it("flags a resent batchId with a different fingerprint as a conflict (a client bug, not a retry)", async () => {
				const { events } = s();
				const sent = { ...batch("b3", numbered("c", 2)), fingerprint: "f-one" };
				expect((await events.ingestBatch("g1", sent, D0 + 2)).replayed).toBe(false);
				const same = await events.ingestBatch("g1", sent, D0 + 3);
				expect(same).toEqual({ result: { accepted: 2, duplicates: 0, rejected: [] }, replayed: true });
				const changed = await events.ingestBatch("g1", { ...sent, fingerprint: "f-two" }, D0 + 4);
				expect(changed).toEqual({
					result: { accepted: 2, duplicates: 0, rejected: [] },
					replayed: true,
					conflict: true,
				});
			});

			it("stores a batch sent twice at once a single time", async () => {
				const { events } = s();
				const twice = await Promise.all([
					events.ingestBatch("g2", batch("b9", numbered("z", 4)), D0 + 9),
					events.ingestBatch("g2", batch("b9", numbered("z", 4)), D0 + 9),
				]);
				expect(twice.map((o) => o.replayed).sort()).toEqual([false, true]);
				expect(twice.map((o) => o.result)).toEqual([
					{ accepted: 4, duplicates: 0, rejected: [] },
					{ accepted: 4, duplicates: 0, rejected: [] },
				]);
				const stored = await events.listEvents({ gameId: "g2", batchId: "b9", limit: 100 });
				expect(stored.map((e) => e.id)).toEqual(["z-01", "z-02", "z-03", "z-04"]);
			});

			it("prunes stored answers received before a time, up to a limit; a resent batch then dedups by event id", async () => {
				const { events } = s();
				// An answer stays until the rollups have folded its batch (the scale path's ledger names the batch to
				// the rollup job until then): folded first.
				await events.warehouse.catchUp();
				const pruned = await events.pruneBatches(D0 + 2, 100);
				// b1 (D0) and b2 of both games (D0 + 1); b3 (D0 + 2) and b9 stay.
				expect(pruned).toBe(3);
				expect(await events.pruneBatches(D0 + 2, 100)).toBe(0);
				const resent = await events.ingestBatch("g1", batch("b1", numbered("a", 3)), D0 + 10);
				expect(resent).toEqual({ result: { accepted: 0, duplicates: 3, rejected: [] }, replayed: false });
				expect((await events.ingestBatch("g1", batch("b3", numbered("c", 2)), D0 + 11)).replayed).toBe(true);
				await events.warehouse.catchUp();
				expect(await events.pruneBatches(D0 + 100, 1)).toBe(1);
			});
		});

		describe("listEvents: filters and cursor paging", () => {
			const s = fresh();
			beforeAll(async () => {
				const { events } = s();
				const list: IngestEvent[] = [];
				for (let i = 0; i < 30; i++) {
					list.push(
						event(
							`e-${String(i).padStart(2, "0")}`,
							(i % 3) + 1,
							i % 5 === 0 ? "purchase" : "custom",
							`n${i % 2}`,
							D0 + i * HOUR,
						),
					);
				}
				await events.ingestBatch("g1", batch("first", list.slice(0, 15)), D0);
				await events.ingestBatch("g1", batch("second", list.slice(15)), D0 + 1);
				await events.ingestBatch("g2", batch("first", list.slice(0, 2)), D0);
			});
			const ids = async (query: Parameters<EventStore["listEvents"]>[0]) =>
				(await s().events.listEvents(query)).map((e) => e.id);
			const range = (from: number, to: number) =>
				Array.from({ length: to - from }, (_, k) => `e-${String(from + k).padStart(2, "0")}`);

			it("reads a game's events in id order with every field as sent (UserIds, not pseudonyms)", async () => {
				const { events } = s();
				const all = await events.listEvents({ gameId: "g1", limit: 100 });
				expect(all.map((e) => e.id)).toEqual(range(0, 30));
				expect(all[5]).toEqual({
					...event("e-05", 3, "purchase", "n1", D0 + 5 * HOUR),
					gameId: "g1",
					batchId: "first",
					receivedAt: D0,
				});
				expect(await ids({ gameId: "g2", limit: 100 })).toEqual(range(0, 2));
			});

			it("filters by batch, player, type, name and time, alone and together", async () => {
				expect(await ids({ gameId: "g1", batchId: "second", limit: 100 })).toEqual(range(15, 30));
				expect(await ids({ gameId: "g1", userId: 2, limit: 100 })).toEqual(range(0, 30).filter((_, i) => i % 3 === 1));
				expect(await ids({ gameId: "g1", userId: 999, limit: 100 })).toEqual([]);
				expect(await ids({ gameId: "g1", type: "purchase", limit: 100 })).toEqual([
					"e-00",
					"e-05",
					"e-10",
					"e-15",
					"e-20",
					"e-25",
				]);
				expect(await ids({ gameId: "g1", name: "n1", from: D0 + 10 * HOUR, to: D0 + 16 * HOUR, limit: 100 })).toEqual([
					"e-11",
					"e-13",
					"e-15",
				]);
				expect(await ids({ gameId: "g1", from: D0 + 28 * HOUR, limit: 100 })).toEqual(["e-28", "e-29"]);
				expect(await ids({ gameId: "g1", to: D0 + 2 * HOUR, limit: 100 })).toEqual(["e-00", "e-01"]);
				expect(await ids({ gameId: "g1", userId: 1, type: "purchase", batchId: "second", limit: 100 })).toEqual([
					"e-15",
				]);
			});

			it("pages with limit and an `after` cursor, with and without filters, missing and repeating nothing", async () => {
				for (const filter of [{}, { name: "n0" }, { userId: 3 }, { from: D0 + 7 * HOUR, to: D0 + 25 * HOUR }]) {
					const expected = await ids({ gameId: "g1", ...filter, limit: 1000 });
					const paged: string[] = [];
					let after: string | undefined;
					for (;;) {
						const page = await ids({ gameId: "g1", ...filter, limit: 4, after });
						paged.push(...page);
						if (page.length < 4) break;
						after = page.at(-1);
					}
					expect(paged).toEqual(expected);
				}
			});
		});

		describe("metrics after catch-up, event names, a player's events and their erasure", () => {
			const s = fresh();
			// U1: D0 session and a level-up; D1 a purchase of 100 Robux. U2: D0 and D1 sessions.
			// U3: D1 session and a purchase of 40 Robux.
			beforeAll(async () => {
				const { events } = s();
				await events.ingestBatch(
					"g1",
					batch("m1", [
						event("m-01", 1, "session_start", "player", D0 + 10 * HOUR),
						event("m-02", 1, "custom", "level_up", D0 + 10 * HOUR + 5000, { level: 2 }),
						event("m-03", 2, "session_start", "player", D0 + 12 * HOUR),
						event("m-04", 1, "purchase", "developer_product", D0 + DAY + 10 * HOUR, purchase(11, "p1", 100)),
						event("m-05", 2, "session_start", "player", D0 + DAY + 12 * HOUR),
					]),
					NOW,
				);
				await events.ingestBatch(
					"g1",
					batch("m2", [
						event("m-06", 3, "session_start", "player", D0 + DAY + 15 * HOUR),
						event("m-07", 3, "purchase", "developer_product", D0 + DAY + 15 * HOUR + 60_000, purchase(12, "p2", 40)),
					]),
					NOW,
				);
				await events.warehouse.catchUp();
			});

			it("answers daily active users and revenue from the folded events", async () => {
				const { events } = s();
				expect(await dailyActive(events)).toEqual([2, 3]);
				expect(await dailyRevenue(events)).toEqual([0, 140]);
			});

			it("names the events seen, with counts and the last day", async () => {
				const { events } = s();
				const names = await events.warehouse.eventNames("g1", null);
				const byName = (rows: typeof names) =>
					rows.map((r) => [r.type, r.name, r.events, r.lastDay]).sort((a, b) => String(a).localeCompare(String(b)));
				expect(byName(names)).toEqual(
					[
						["custom", "level_up", 1, D0_DAY],
						["purchase", "developer_product", 2, D0_DAY + 1],
						["session_start", "player", 4, D0_DAY + 1],
					].sort((a, b) => String(a).localeCompare(String(b))),
				);
				const firstDay = await events.warehouse.eventNames("g1", { from: D0_DAY, to: D0_DAY });
				expect(byName(firstDay).map((r) => [r[1], r[2]])).toEqual([
					["level_up", 1],
					["player", 2],
				]);
			});

			it("gives one player's events with their UserId, in id order", async () => {
				const { events } = s();
				const mine = await events.playerEvents("g1", 1);
				expect(mine.map((e) => [e.id, e.userId])).toEqual([
					["m-01", 1],
					["m-02", 1],
					["m-04", 1],
				]);
				expect(await events.playerEvents("g1", 404)).toEqual([]);
			});

			it("erases a player's events and their part of every metric, once", async () => {
				const { events } = s();
				const erased = await eraseWhenFolded(events, "g1", 3);
				expect(erased.done).toBe(true);
				expect(erased.done && erased.deleted.events).toBe(2);
				expect(await events.playerEvents("g1", 3)).toEqual([]);
				expect((await events.listEvents({ gameId: "g1", limit: 100 })).map((e) => e.id)).toEqual([
					"m-01",
					"m-02",
					"m-03",
					"m-04",
					"m-05",
				]);
				// D1 loses U3: DAU 3 → 2, revenue 140 → 100 (U1's purchase stays).
				expect(await dailyActive(events)).toEqual([2, 2]);
				expect(await dailyRevenue(events)).toEqual([0, 100]);
				const again = await eraseWhenFolded(events, "g1", 3);
				expect(again.done).toBe(true);
				expect(again.done && (again.deleted.events ?? 0)).toBe(0);
				expect(await dailyActive(events)).toEqual([2, 2]);
				// The other players are untouched.
				expect((await events.playerEvents("g1", 1)).map((e) => e.id)).toEqual(["m-01", "m-02", "m-04"]);
			});
		});

		describe("experiment units and sums", () => {
			const s = fresh();
			const t = D0 + HOUR;
			// U1: arm 0, buys after exposure. U2: arm 1, bought only before exposure. U3: exposed to arms 0 and 1 (no
			// arm). U4: arm 1, buys 30 h after exposure. U5: arm 0 and buys, but is a QA user (excluded). U6: first
			// exposed before `from` (no unit), exposed again and buys inside the range. U7: exposed to another experiment.
			beforeAll(async () => {
				const { events } = s();
				let n = 0;
				const e = (userId: number, type: EventType, name: string, time: number, props: IngestEvent["props"] = {}) =>
					event(`x-${String(++n).padStart(3, "0")}`, userId, type, name, time, props);
				await events.ingestBatch(
					"g2",
					batch("x1", [
						e(6, "exposure", "shop", D0 - HOUR, { variation: 0 }),
						e(1, "exposure", "shop", t, { variation: 0 }),
						e(1, "custom", "buy", t + HOUR),
						e(2, "custom", "buy", t - 10 * 60_000),
						e(2, "exposure", "shop", t, { variation: 1 }),
						e(3, "exposure", "shop", t + 2 * HOUR, { variation: 0 }),
						e(3, "exposure", "shop", t + 3 * HOUR, { variation: 1 }),
						e(4, "exposure", "shop", t, { variation: 1 }),
						e(4, "custom", "buy", t + 30 * HOUR),
						e(5, "exposure", "shop", t, { variation: 0 }),
						e(5, "custom", "buy", t + HOUR),
						e(6, "exposure", "shop", t + 5 * HOUR, { variation: 0 }),
						e(6, "custom", "buy", t + 6 * HOUR),
						e(7, "exposure", "other", t, { variation: 0 }),
						e(7, "custom", "buy", t + HOUR),
					]),
					NOW,
				);
				await events.warehouse.catchUp();
			});
			const bought: MetricDefinition = { key: "bought", type: "conversion", event: "buy" };
			const query = (metric: MetricDefinition = bought): ExperimentUnitsQuery => ({
				gameId: "g2",
				experimentKey: "shop",
				from: D0,
				to: D0 + 10 * DAY,
				metric,
				excludeUserIds: [5],
				covariateLookbackDays: 0,
				dimensions: [],
			});

			it("makes units of first-ever exposures in range, with their arm and value, leaving QA users out", async () => {
				const { events } = s();
				const units = await events.experimentUnits(query());
				expect(units.count).toBe(4);
				const rows = Array.from({ length: units.count }, (_, k) => [
					units.firstExposure[k]! - D0,
					units.variation[k] ?? null,
					units.multipleVariations[k],
					units.value[k],
				]).sort(
					// Units come in no set order: the value breaks the tie of U2 and U4 (same arm, same first exposure).
					(a, b) =>
						Number(a[0]) - Number(b[0]) || String(a[1]).localeCompare(String(b[1])) || Number(a[3]) - Number(b[3]),
				);
				expect(rows).toEqual([
					[HOUR, 0, 0, 1], // U1
					[HOUR, 1, 0, 0], // U2: the purchase before exposure does not count
					[HOUR, 1, 0, 1], // U4: within the analysis window
					[3 * HOUR, null, 1, 0], // U3: two arms, no arm
				]);
			});

			it("applies the metric's own window", async () => {
				const { events } = s();
				const units = await events.experimentUnits(query({ ...bought, windowHours: 24 }));
				const values = Array.from({ length: units.count }, (_, k) => [units.variation[k], units.value[k]]);
				// U4 bought 30 h after exposure: outside a 24-hour window.
				expect(values.filter(([v]) => v === 1).map(([, value]) => value)).toEqual([0, 0]);
			});

			it("sums per arm and exposure day, agreeing with the units", async () => {
				const { events } = s();
				const rows = await events.experimentMetricSums(query());
				const sorted = [...rows].sort((a, b) => String(a.variation).localeCompare(String(b.variation)));
				expect(sorted).toEqual<ExperimentMetricRow[]>([
					{ variation: 0, multipleVariations: false, day: D0_DAY, units: 1, sum: 1, sumSquares: 1 },
					{ variation: 1, multipleVariations: false, day: D0_DAY, units: 2, sum: 1, sumSquares: 1 },
					{ variation: null, multipleVariations: true, day: D0_DAY, units: 1, sum: 0, sumSquares: 0 },
				]);
				// A QA user named by UserId is left out; without the exclusion U5 counts in arm 0.
				const withQa = await events.experimentMetricSums({ ...query(), excludeUserIds: [] });
				expect(withQa.find((r) => r.variation === 0)).toMatchObject({ units: 2, sum: 2 });
			});

			it("counts nobody exposed outside the range", async () => {
				const { events } = s();
				const later = await events.experimentUnits({ ...query(), from: D0 + 2 * DAY });
				expect(later.count).toBe(0);
				expect(await events.experimentMetricSums({ ...query(), from: D0 + 2 * DAY })).toEqual([]);
			});
		});
	});
}

function event(
	id: string,
	userId: number,
	type: EventType,
	name: string,
	time: number,
	props: IngestEvent["props"] = {},
): IngestEvent {
	return { id, time, userId, sessionId: `s${userId}`, type, name, props };
}

/** Events `<prefix>-01` … with increasing times. */
function numbered(prefix: string, count: number): IngestEvent[] {
	return Array.from({ length: count }, (_, i) =>
		event(`${prefix}-${String(i + 1).padStart(2, "0")}`, 42, "custom", "level_up", D0 + i, { level: i }),
	);
}

function batch(batchId: string, events: IngestEvent[], rejected: ValidatedBatch["rejected"] = []): ValidatedBatch {
	return { batchId, sentAt: D0, events, rejected };
}

function purchase(productId: number, purchaseId: string, robux: number): IngestEvent["props"] {
	return { productId, purchaseId, robux };
}

const RANGE = { from: D0_DAY, to: D0_DAY + 1 };

async function dailyActive(events: EventStore): Promise<unknown[]> {
	const r = await events.warehouse.metric("g1", { metric: "active-users", range: RANGE, spec: { filters: [] } }, NOW);
	return (r.segments[0]!.days as { dau: number }[]).map((d) => d.dau);
}

async function dailyRevenue(events: EventStore): Promise<unknown[]> {
	const r = await events.warehouse.metric(
		"g1",
		{ metric: "revenue", range: RANGE, spec: { filters: [] }, usdPerRobux: 0.0038, developerShare: 0.7, ltvDays: [0] },
		NOW,
	);
	return (r.segments[0]!.days as { revenue: number }[]).map((d) => d.revenue);
}

/** Erases once the warehouse has folded the game's events (an engine refuses while it is behind). */
async function eraseWhenFolded(events: EventStore, gameId: string, userId: number) {
	for (let attempt = 0; ; attempt++) {
		const outcome = await events.erasePlayerEvents(gameId, userId, NOW);
		if (outcome.done || attempt >= 20) return outcome;
		await events.warehouse.catchUp();
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}
