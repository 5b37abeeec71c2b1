import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestEvent } from "../ingest/schema.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/types.js";
import { compareVersions, trainGamePredictions, type AnomalySection } from "./service.js";

const DAY = 86_400_000;
const START = Date.UTC(2026, 2, 1);
const DAYS = 42;
const ROLLBACK_DAY = 36;

let store: Store;

beforeAll(async () => {
	store = openSqliteStore({ path: ":memory:" });
	await store.createGame({ id: "g", name: "g", createdAt: START });
	// 60 players a day; from day 14 servers move to 0.2.0 (20% of sessions a day more, up to 90%); on day 36 a
	// rollback puts almost every server back on 0.1.0 for that day.
	const events: IngestEvent[] = [];
	let n = 0;
	for (let day = 0; day < DAYS; day++) {
		const share = day < 14 ? 0 : Math.min(0.9, 0.2 * (day - 13));
		for (let p = 0; p < 60; p++) {
			const onNewest = day === ROLLBACK_DAY ? p < 3 : p < Math.round(60 * share);
			events.push({
				id: `e-${String(n++).padStart(7, "0")}`,
				time: START + day * DAY + 3_600_000 + p * 1000,
				userId: 1 + p,
				sessionId: `s-${day}-${p}`,
				type: "session_start",
				name: "player",
				props: { sdkVersion: onNewest ? "0.2.0" : "0.1.0" },
			});
		}
	}
	for (let i = 0; i < events.length; i += 2000) {
		await store.ingestBatch(
			"g",
			{ batchId: `b${i}`, sentAt: START, events: events.slice(i, i + 2000), rejected: [] },
			START,
		);
	}
}, 60_000);

afterAll(async () => {
	await store.close();
});

describe("players without a consent record", () => {
	it("are used under either consent default: the SDK's gate sent their events (a game without the prompt, opt-out)", async () => {
		const now = START + DAYS * DAY;
		// The default setting is opt-in: where it applies the SDK sends nothing before a grant (a record), so stored
		// events without a record come from a game that does not ask, or from where opt-out applies.
		const optIn = await trainGamePredictions(store, "g", now);
		expect(optIn.data.players).toBe(60);
		expect(optIn.data.excludedForConsent).toEqual({ analytics: 0, personalization: 0 });
		expect(optIn.churn).not.toMatchObject({ reason: "no active players to train or test on" });
		expect(optIn.anomalies.status).toBe("trained");
		await store.updateGameSettings("g", { consentDefault: "opt-out" }, now);
		try {
			const optOut = await trainGamePredictions(store, "g", now);
			expect(optOut.data.excludedForConsent).toEqual({ analytics: 0, personalization: 0 });
			expect(optOut.churn).not.toMatchObject({ reason: "no active players to train or test on" });
		} finally {
			await store.updateGameSettings("g", { consentDefault: "opt-in" }, now);
		}
	});
});

describe("KPI anomalies of a game", () => {
	it("follows the SDK version mix: the share of sessions on the newest version, and flags a rollback", async () => {
		const doc = await trainGamePredictions(store, "g", START + DAYS * DAY);
		expect(doc.anomalies.status).toBe("trained");
		const anomalies = doc.anomalies as AnomalySection;
		const mix = anomalies.kpis.find((k) => k.kpi === "sdk_version_mix")!;
		const day = (d: number) => new Date(START + d * DAY).toISOString().slice(0, 10);
		expect(mix.days.find((d) => d.date === day(40))?.value).toBeCloseTo(54 / 60, 6);
		const rollback = mix.days.find((d) => d.date === day(ROLLBACK_DAY))!;
		expect(rollback.value).toBeCloseTo(3 / 60, 6);
		expect(rollback).toMatchObject({ anomaly: true, direction: "down" });
		// Steady days at 90% are not anomalies; DAU (60 every day) has none either.
		expect(mix.days.filter((d) => d.anomaly).map((d) => d.date)).toContain(day(ROLLBACK_DAY));
		expect(anomalies.kpis.find((k) => k.kpi === "dau")!.days.filter((d) => d.anomaly)).toEqual([]);
	});

	it("orders versions numerically", () => {
		expect(["0.10.0", "0.9.3", "1.0.0", "0.2.0"].sort(compareVersions)).toEqual(["0.2.0", "0.9.3", "0.10.0", "1.0.0"]);
	});
});
