import { describe, expect, it } from "vitest";
import type { FeatureEvent } from "./features.js";
import { fitRidge, ltvDataset, predictLinear, regressionMetrics, spendBetween, trainLtvModel } from "./ltv.js";
import { purchased } from "./purchase.js";
import { generatePlayers } from "./synthetic.js";

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1);

function buy(time: number, robux: unknown = 99): FeatureEvent {
	return { userId: 1, sessionId: "", type: "purchase", name: "gems", time, props: { robux: robux as number } };
}

describe("fitRidge", () => {
	it("matches the hand-computed closed form", () => {
		// x = 0, 1, 2 → z = −√1.5, 0, √1.5 (Σz² = 3); y = 1, 3, 5 → Σz(y − 3) = 4√1.5.
		// β = 4√1.5 / (3 + λ): λ = 1 → √1.5, prediction at x = 2 is 3 + 1.5 = 4.5; λ = 3 → prediction 3 + 1 = 4.
		expect(predictLinear(fitRidge([[0], [1], [2]], [1, 3, 5], { l2: 1 }), [2])).toBeCloseTo(4.5, 12);
		expect(predictLinear(fitRidge([[0], [1], [2]], [1, 3, 5], { l2: 3 }), [2])).toBeCloseTo(4, 12);
		expect(predictLinear(fitRidge([[0], [1], [2]], [1, 3, 5], { l2: 1e-9 }), [3])).toBeCloseTo(7, 6);
	});

	it("refuses a non-positive penalty", () => {
		expect(() => fitRidge([[1]], [1], { l2: 0 })).toThrow(RangeError);
	});
});

describe("labels", () => {
	it("count purchases and valid Robux only inside [cutoff, cutoff + horizon)", () => {
		expect(spendBetween([buy(9), buy(10, 25), buy(15, "x"), buy(19, 99), buy(20, 499)], 10, 10)).toBe(124);
		expect(purchased([buy(9), buy(20), { ...buy(12), type: "session_start" }], 10, 10)).toBe(0);
		expect(purchased([buy(10)], 10, 10)).toBe(1);
	});
});

describe("regressionMetrics", () => {
	it("computes MAE, RMSE and the total ratio by hand", () => {
		// Errors +1, −3, 0 → MAE 4/3, RMSE √(10/3); totals 6 / 8.
		const m = regressionMetrics([2, 1, 3], [1, 4, 3]);
		expect(m.mae).toBeCloseTo(4 / 3, 15);
		expect(m.rmse).toBeCloseTo(Math.sqrt(10 / 3), 15);
		expect(m.totalRatio).toBeCloseTo(0.75, 15);
	});
});

describe("trainLtvModel on synthetic players", () => {
	const days = 130;
	const players = new Map(
		generatePlayers({ players: 8000, days, start: START, seed: 9 }).map((p) => [p.userId, p.events]),
	);

	it("LTV (30 days) beats the cohort-average baseline on held-out players", () => {
		const windows = { trainCutoff: START + 70 * DAY, testCutoff: START + 100 * DAY };
		const { card } = trainLtvModel(players, windows, 0, { horizonDays: 30 });
		expect(card.heldOut.players).toBeGreaterThan(100);
		expect(card.heldOut.metrics.mae).toBeLessThan(card.baseline.metrics.mae);
		expect(card.heldOut.metrics.rmse).toBeLessThan(card.baseline.metrics.rmse);
		expect(card.features.find((f) => f.name === "payer")!.buyCoefficient).toBeGreaterThan(0);
	});

	it("LTV refuses windows where the 30-day training labels would reach the test cut-off", () => {
		const windows = { trainCutoff: START + 70 * DAY, testCutoff: START + 90 * DAY };
		expect(() => trainLtvModel(players, windows, 0, { horizonDays: 30 })).toThrow(RangeError);
	});

	it("LTV targets never count spend from before the cut-off or after the horizon", () => {
		const set = ltvDataset(players, START + 70 * DAY, { horizonDays: 30 });
		set.features.forEach((f, i) => {
			const events = players.get(f.userId)!;
			expect(set.targets[i]).toBe(spendBetween(events, START + 70 * DAY, 30 * DAY));
		});
	});
});
