import { describe, expect, it } from "vitest";
import {
	driverText,
	kpiValue,
	qualityRows,
	trainingText,
	type ModelCardView,
	type PredictionSummary,
} from "./predictions-data.js";

const card = (model: string, metric: Record<string, number>, base: Record<string, number>): ModelCardView => ({
	model,
	method: "m",
	heldOut: { players: 100, metrics: metric },
	baseline: { name: "recency alone", metrics: base },
	trainedAt: "2026-12-01T00:00:00.000Z",
});

const summary: PredictionSummary = {
	gameId: "g",
	trainedAt: "2026-12-01T00:00:00.000Z",
	data: { events: 1, players: 1, from: "", to: "", truncated: false },
	models: {
		churn: { status: "trained", card: card("churn", { auc: 0.86, ece: 0.02 }, { auc: 0.8 }) },
		purchase: { status: "insufficient_data", reason: "no buyers" },
		ltv: {
			status: "trained",
			cards: [
				{ ...card("ltv", { mae: 20 }, { mae: 40 }), horizonDays: 30 },
				{ ...card("ltv", { mae: 70 }, { mae: 60 }), horizonDays: 90 },
			],
		},
		recommendations: {
			status: "trained",
			card: {
				...card("recommendations", {}, {}),
				heldOut: { players: 5, hitRate: 0.6 },
				baseline: { name: "pop", hitRate: 0.2 },
			},
		},
	},
	anomalies: { status: "trained", alerts: [] },
};

describe("predictions page data", () => {
	it("puts each trained model's held-out number beside its baseline, lower-is-better for MAE", () => {
		const rows = qualityRows(summary);
		expect(rows.map((r) => [r.model, r.value, r.baseline, r.better])).toEqual([
			["churn", "0.860", "0.800", true],
			["ltv 30 d", "20.00", "40.00", true],
			["ltv 90 d", "70.00", "60.00", false],
			["recommendations", "0.600", "0.200", true],
		]);
	});

	it("says in a card's training line how many players its model left out for consent", () => {
		const training = { cutoff: "2026-02-18T00:00:00.000Z", players: 1234, excludedForConsent: 2 };
		expect(trainingText({ model: "churn", training })).toBe(
			"cut-off 2026-02-18, 1,234 players; 2 players left out (no analytics consent)",
		);
		expect(trainingText({ model: "recommendations", training: { players: 40, excludedForConsent: 1 } })).toBe(
			"40 players; 1 player left out (no personalization consent)",
		);
		// A run stored before consent was counted says nothing about it.
		expect(trainingText({ model: "churn", training: { players: 40 } })).toBe("40 players");
	});

	it("writes drivers and KPI values for people", () => {
		expect(driverText({ feature: "log_days_since_last", contribution: 0.4 })).toBe("log days since last ↑");
		expect(driverText({ feature: "sessions", contribution: -1 })).toBe("sessions ↓");
		expect(kpiValue("error_rate", 0.0123)).toBe("1.23%");
		expect(kpiValue("dau", 12345.6)).toBe("12,346");
	});
});
