import { describe, expect, it } from "vitest";
import { churnDataset, churned, isHeldOut, scoreChurn, splitChurnData, trainChurnModel } from "./churn.js";
import type { FeatureEvent } from "./features.js";
import { generatePlayers } from "./synthetic.js";

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1);
const WINDOWS = { trainCutoff: START + 42 * DAY, testCutoff: START + 56 * DAY };

function history(players = 3000, seed = 5): Map<number, FeatureEvent[]> {
	return new Map(generatePlayers({ players, days: 63, start: START, seed }).map((p) => [p.userId, p.events]));
}

describe("churned", () => {
	const e = (time: number): FeatureEvent => ({ userId: 1, sessionId: "", type: "custom", name: "x", time, props: {} });
	it("is 1 only when no event falls in [cutoff, cutoff + horizon)", () => {
		expect(churned([e(99), e(110)], 100, 10)).toBe(1);
		expect(churned([e(100)], 100, 10)).toBe(0);
		expect(churned([e(109)], 100, 10)).toBe(0);
	});
});

describe("isHeldOut", () => {
	it("is stable and holds out about the asked share", () => {
		let held = 0;
		for (let id = 1; id <= 20000; id++) if (isHeldOut(id, 0.3, 1)) held++;
		expect(held / 20000).toBeGreaterThan(0.28);
		expect(held / 20000).toBeLessThan(0.32);
		expect(isHeldOut(123, 0.3, 1)).toBe(isHeldOut(123, 0.3, 1));
	});
});

describe("the train/test split", () => {
	const players = history();

	it("never gives training a held-out player or an event at or after trainCutoff + horizon", () => {
		const { train, test } = splitChurnData(players, WINDOWS);
		expect(train.size).toBeGreaterThan(0);
		expect(test.size).toBeGreaterThan(0);
		for (const userId of train.keys()) expect(test.has(userId)).toBe(false);
		for (const [userId, events] of train) {
			expect(isHeldOut(userId, 0.3, 1)).toBe(false);
			for (const e of events) expect(e.time).toBeLessThan(WINDOWS.trainCutoff + 7 * DAY);
		}
	});

	it("trains the same model whatever the test players and the days after the training labels hold", () => {
		const base = trainChurnModel(players, WINDOWS, 0);
		// Scramble what training must not see: every held-out player's history and every later day of the others.
		const tampered = new Map<number, FeatureEvent[]>();
		for (const [userId, events] of players) {
			const later = (e: FeatureEvent) => e.time >= WINDOWS.trainCutoff + 7 * DAY;
			tampered.set(
				userId,
				isHeldOut(userId, 0.3, 1)
					? events.map((e) => ({ ...e, time: e.time + 3 * DAY, props: { duration: 1 } }))
					: [
							...events.filter((e) => !later(e)),
							...events.filter(later).map((e) => ({ ...e, props: { duration: 1 } })),
						],
			);
		}
		const other = trainChurnModel(tampered, WINDOWS, 0);
		expect(other.model.coefficients).toEqual(base.model.coefficients);
		expect(other.model.intercept).toBe(base.model.intercept);
		expect(other.card.training).toEqual(base.card.training);
		// …while the held-out measurement does see the change (the test data is really the tampered part).
		expect(other.card.heldOut.metrics.auc).not.toBe(base.card.heldOut.metrics.auc);
	});

	it("refuses windows where training labels would overlap the test window", () => {
		expect(() =>
			splitChurnData(players, { trainCutoff: WINDOWS.trainCutoff, testCutoff: WINDOWS.trainCutoff + 6 * DAY }),
		).toThrow(RangeError);
	});

	it("counts only players active within activeWithinDays before the cut-off", () => {
		const set = churnDataset(players, WINDOWS.trainCutoff, { activeWithinDays: 3 });
		for (const f of set.features) expect(f.daysSinceLast).toBeLessThanOrEqual(3);
		expect(set.rows).toHaveLength(set.labels.length);
	});
});

describe("trainChurnModel", () => {
	it("finds the planted signals and beats the recency baseline on held-out players", () => {
		const { model, card } = trainChurnModel(history(6000, 11), WINDOWS, START + 63 * DAY);
		const coefficient = (name: string) => card.features.find((f) => f.name === name)!.coefficient;
		// Planted: shorter sessions raise churn, shrinking sessions raise it, longer absence raises it.
		expect(coefficient("log_mean_session_minutes")).toBeLessThan(0);
		expect(coefficient("session_trend_minutes")).toBeLessThan(0);
		expect(coefficient("log_days_since_last")).toBeGreaterThan(0);
		expect(card.heldOut.metrics.auc).toBeGreaterThan(0.8);
		expect(card.heldOut.metrics.auc).toBeGreaterThan(card.baseline.metrics.auc);
		expect(card.heldOut.metrics.ece).toBeLessThan(0.06);
		expect(card.trainedAt).toBe("2026-03-05T00:00:00.000Z");
		expect(card.training.labelsUntil).toBe("2026-02-19T00:00:00.000Z");
		expect(model.converged).toBe(true);
		// The card goes out as JSON: nothing may turn into null on the way (NaN, Infinity).
		expect(JSON.parse(JSON.stringify(card))).toEqual(card);
	});

	it("scores players with the features that drive each score", () => {
		const players = history(1500, 3);
		const { model } = trainChurnModel(players, WINDOWS, 0);
		const set = churnDataset(players, WINDOWS.testCutoff);
		const [first] = scoreChurn(model, set.features, 2);
		expect(first!.probability).toBeGreaterThan(0);
		expect(first!.probability).toBeLessThan(1);
		expect(first!.drivers).toHaveLength(2);
		expect(Math.abs(first!.drivers[0]!.contribution)).toBeGreaterThanOrEqual(Math.abs(first!.drivers[1]!.contribution));
	});
});
