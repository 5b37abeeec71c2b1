// The Predictions page's data: the API's answers (server/predict/openapi.ts) and the rows the page shows.

export interface HeldOutMetricsView {
	auc?: number;
	ece?: number;
	logLoss?: number;
	mae?: number;
	rmse?: number;
}

export interface ModelCardView {
	model: string;
	method: string;
	horizonDays?: number;
	features?: { name: string; coefficient?: number; buyCoefficient?: number; spendCoefficient?: number }[];
	/** excludedForConsent: players with events the model left out because their consent does not allow it. */
	training?: { cutoff?: string; players: number; items?: number; pairs?: number; excludedForConsent?: number };
	heldOut: { cutoff?: string; players: number; metrics?: HeldOutMetricsView; hitRate?: number };
	baseline: { name: string; metrics?: HeldOutMetricsView; hitRate?: number };
	trainedAt: string;
}

export interface ModelView {
	status: "trained" | "insufficient_data";
	reason?: string;
	card?: ModelCardView;
	cards?: ModelCardView[];
	scored?: number;
}

export interface AnomalyAlert {
	kpi: string;
	date: string;
	value: number;
	expected: number;
	direction: "up" | "down";
	score: number;
}

export interface PredictionSummary {
	gameId: string;
	trainedAt: string;
	data: {
		events: number;
		players: number;
		from: string;
		to: string;
		truncated: boolean;
		/** Players with events left out for consent, per category (absent in runs before it was counted). */
		excludedForConsent?: { analytics: number; personalization: number };
	};
	models: { churn: ModelView; purchase: ModelView; ltv: ModelView; recommendations: ModelView };
	anomalies: { status: "trained" | "insufficient_data"; reason?: string; alerts?: AnomalyAlert[] };
}

export interface RankedPlayer {
	rank: number;
	userId: number;
	score: number;
	drivers?: { feature: string; contribution: number }[];
	ltv90?: number | null;
}

export interface KpiDay {
	date: string;
	value: number;
	expected: number;
	lower: number;
	upper: number;
	score: number;
	anomaly: boolean;
	direction: "up" | "down" | null;
}

export interface AnomaliesAnswer {
	trainedAt: string;
	anomalies: {
		status: "trained" | "insufficient_data";
		reason?: string;
		kpis?: { kpi: string; scale: string; days: KpiDay[] }[];
		alerts?: AnomalyAlert[];
	};
}

export const predictionsPath = (game: string, ...rest: string[]) =>
	[`/v1/admin/games/${encodeURIComponent(game)}/predictions`, ...rest].join("/");

/** Labels of the models and KPIs, for people. */
export const MODEL_LABELS: Record<string, string> = {
	churn: "Churn (no return within 7 days)",
	purchase: "Purchase propensity (7 days)",
	ltv: "Lifetime value (Robux, 30 and 90 days)",
	recommendations: "Shop recommendations (co-purchase)",
};

export const KPI_LABELS: Record<string, string> = {
	dau: "Daily active players",
	revenue: "Revenue (Robux)",
	event_volume: "Events",
	error_rate: "Error rate",
	sdk_version_mix: "Sessions on the newest SDK",
};

/** One line of the model-quality table: the model's held-out number next to the baseline's. */
export interface QualityRow {
	model: string;
	measure: string;
	value: string;
	baseline: string;
	baselineName: string;
	better: boolean;
	heldOutPlayers: number;
	trainedAt: string;
}

const fixed = (x: number | undefined, digits: number) => (x === undefined ? "–" : x.toFixed(digits));

/**
 * The held-out quality of every trained model against its baseline (AUC for classifiers, MAE for LTV, hit-rate@5
 * for recommendations), with whether the model beats the baseline.
 *
 * @example
 * qualityRows(summary)[0]; // { model: "churn", measure: "AUC", value: "0.867", baseline: "0.799", better: true, … }
 */
export function qualityRows(summary: PredictionSummary): QualityRow[] {
	const rows: QualityRow[] = [];
	for (const key of ["churn", "purchase"] as const) {
		const card = summary.models[key].card;
		if (summary.models[key].status !== "trained" || !card) continue;
		const auc = card.heldOut.metrics?.auc;
		const base = card.baseline.metrics?.auc;
		rows.push({
			model: key,
			measure: `AUC (calibration error ${fixed(card.heldOut.metrics?.ece, 3)})`,
			value: fixed(auc, 3),
			baseline: fixed(base, 3),
			baselineName: card.baseline.name,
			better: auc !== undefined && base !== undefined && auc > base,
			heldOutPlayers: card.heldOut.players,
			trainedAt: card.trainedAt,
		});
	}
	if (summary.models.ltv.status === "trained") {
		for (const card of summary.models.ltv.cards ?? []) {
			const mae = card.heldOut.metrics?.mae;
			const base = card.baseline.metrics?.mae;
			rows.push({
				model: `ltv ${card.horizonDays ?? ""} d`.trim(),
				measure: "MAE (Robux, lower is better)",
				value: fixed(mae, 2),
				baseline: fixed(base, 2),
				baselineName: card.baseline.name,
				better: mae !== undefined && base !== undefined && mae < base,
				heldOutPlayers: card.heldOut.players,
				trainedAt: card.trainedAt,
			});
		}
	}
	const rec = summary.models.recommendations;
	if (rec.status === "trained" && rec.card) {
		rows.push({
			model: "recommendations",
			measure: "hit-rate@5",
			value: fixed(rec.card.heldOut.hitRate, 3),
			baseline: fixed(rec.card.baseline.hitRate, 3),
			baselineName: rec.card.baseline.name,
			better: (rec.card.heldOut.hitRate ?? 0) > (rec.card.baseline.hitRate ?? 0),
			heldOutPlayers: rec.card.heldOut.players,
			trainedAt: rec.card.trainedAt,
		});
	}
	return rows;
}

/** A driver as people read it: the feature and whether it raises or lowers the score. */
/**
 * The Training line of a model card: its cut-off, the players it trained on, and how many players it left out for
 * consent (analytics for churn, purchase and LTV; personalization for recommendations, counted among buyers).
 *
 * @example
 * trainingText({ model: "churn", training: { cutoff: "2026-02-18T00:00:00.000Z", players: 1234, excludedForConsent: 2 }, … });
 * // "cut-off 2026-02-18, 1,234 players; 2 players left out (no analytics consent)"
 */
export function trainingText(card: Pick<ModelCardView, "model" | "training">): string {
	const t = card.training;
	if (!t) return "–";
	const parts = `${t.cutoff ? `cut-off ${t.cutoff.slice(0, 10)}, ` : ""}${t.players.toLocaleString("en-US")} players`;
	if (t.excludedForConsent === undefined) return parts;
	const category = card.model === "recommendations" ? "personalization" : "analytics";
	const n = t.excludedForConsent;
	return `${parts}; ${n.toLocaleString("en-US")} ${n === 1 ? "player" : "players"} left out (no ${category} consent)`;
}

export function driverText(driver: { feature: string; contribution: number }): string {
	return `${driver.feature.replace(/_/g, " ")} ${driver.contribution >= 0 ? "↑" : "↓"}`;
}

/** The value of a KPI as shown (rates as percentages, the rest rounded). */
export function kpiValue(kpi: string, value: number): string {
	if (kpi === "error_rate" || kpi === "sdk_version_mix") return `${(100 * value).toFixed(2)}%`;
	return Math.round(value).toLocaleString("en-US");
}
