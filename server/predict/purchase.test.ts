import { describe, expect, it } from "vitest";
import { trainPurchasePropensity } from "./purchase.js";
import { generatePlayers } from "./synthetic.js";

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1);

describe("trainPurchasePropensity on synthetic players", () => {
	const players = new Map(
		generatePlayers({ players: 8000, days: 130, start: START, seed: 9 }).map((p) => [p.userId, p.events]),
	);

	it("purchase propensity (7 days) beats recency alone on held-out players", () => {
		const windows = { trainCutoff: START + 116 * DAY, testCutoff: START + 123 * DAY };
		const { card } = trainPurchasePropensity(players, windows, 0);
		expect(card.heldOut.metrics.auc).toBeGreaterThan(card.baseline.metrics.auc);
		expect(card.heldOut.metrics.auc).toBeGreaterThan(0.8);
	});

	it("refuses windows where the training labels would reach the test cut-off", () => {
		const windows = { trainCutoff: START + 116 * DAY, testCutoff: START + 122 * DAY };
		expect(() => trainPurchasePropensity(players, windows, 0)).toThrow(RangeError);
	});
});
