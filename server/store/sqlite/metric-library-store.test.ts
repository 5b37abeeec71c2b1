import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MetricDefinition } from "../../domain/experiments.js";
import { T0 } from "../../testing/fixtures.js";
import type { LibraryMetricRecord, Store } from "../types.js";
import { openSqliteStore } from "./sqlite-store.js";

let store: Store;
beforeEach(async () => {
	store = openSqliteStore({ path: ":memory:" });
	await store.createGame({ id: "g1", name: "Game one", createdAt: T0 });
	await store.createGame({ id: "g2", name: "Game two", createdAt: T0 });
});
afterEach(() => store.close());

const D1 = { key: "d1", type: "retention", day: 1 } as const satisfies MetricDefinition;

function version(n: number, changes: Partial<LibraryMetricRecord> = {}): LibraryMetricRecord {
	return {
		gameId: "g1",
		key: "d1",
		version: n,
		definition: { ...D1, day: n },
		role: "guardrail",
		createdAt: T0 + n,
		createdBy: "admin:u1",
		archivedAt: null,
		...changes,
	};
}

describe("the metric library's store", () => {
	it("stores versions in order only: 1 creates, each next one follows the latest, none twice", async () => {
		expect(await store.insertLibraryMetric(version(2))).toBe(false);
		expect(await store.insertLibraryMetric(version(1))).toBe(true);
		expect(await store.insertLibraryMetric(version(1))).toBe(false);
		expect(await store.insertLibraryMetric(version(3))).toBe(false);
		expect(await store.insertLibraryMetric(version(2))).toBe(true);
		expect(await store.getLibraryMetric("g1", "d1")).toEqual(version(2));
		expect(await store.getLibraryMetric("g1", "d1", 1)).toEqual(version(1));
		expect(await store.getLibraryMetric("g1", "d1", 3)).toBeUndefined();
		expect((await store.listLibraryMetricVersions("g1", "d1")).map((r) => r.version)).toEqual([1, 2]);
	});

	it("lists each key's latest version by key, archived ones only when asked", async () => {
		await store.insertLibraryMetric(version(1));
		await store.insertLibraryMetric(version(2));
		const spend: LibraryMetricRecord = {
			...version(1),
			key: "a-spend",
			definition: { key: "a-spend", type: "revenue", valueProp: "robux" },
			role: "goal",
		};
		await store.insertLibraryMetric(spend);
		await store.insertLibraryMetric({ ...version(1), gameId: "g2" });
		expect((await store.listLibraryMetrics("g1")).map((r) => [r.key, r.version])).toEqual([
			["a-spend", 1],
			["d1", 2],
		]);

		expect(await store.archiveLibraryMetric("g1", "d1", T0 + 99)).toBe(true);
		expect(await store.archiveLibraryMetric("g1", "d1", T0 + 100)).toBe(false);
		expect(await store.archiveLibraryMetric("g1", "nope", T0)).toBe(false);
		expect((await store.listLibraryMetrics("g1")).map((r) => r.key)).toEqual(["a-spend"]);
		const all = await store.listLibraryMetrics("g1", { includeArchived: true });
		expect(all.map((r) => [r.key, r.archivedAt])).toEqual([
			["a-spend", null],
			["d1", T0 + 99],
		]);
		// Every version is archived, and the other game's key is not.
		expect((await store.listLibraryMetricVersions("g1", "d1")).map((r) => r.archivedAt)).toEqual([T0 + 99, T0 + 99]);
		expect((await store.getLibraryMetric("g2", "d1"))?.archivedAt).toBeNull();
	});

	it("refuses a new version of an archived metric", async () => {
		await store.insertLibraryMetric(version(1));
		await store.archiveLibraryMetric("g1", "d1", T0 + 5);
		expect(await store.insertLibraryMetric(version(2))).toBe(false);
		expect((await store.getLibraryMetric("g1", "d1"))?.version).toBe(1);
	});
});
