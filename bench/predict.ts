// Predictive models measured where the truth is known: seeded synthetic players with planted signals (shorter
// sessions raise churn), a churn model trained on one window and scored on held-out players at a later window,
// next to the naive baseline (recency alone). Prints held-out AUC, calibration and the time to train and to score.
// Then, on a longer history (208 days) of the same number of players: purchase propensity (7 days) against recency
// alone, and LTV (expected Robux over 30 and 90 days) against a cohort-average baseline. Then recommendations
// (hit-rate@5 on held-out players' last purchase against the popularity baseline, planted co-purchase pairs) and KPI
// anomaly detection (precision and recall on injected anomalies of 5 KPIs × 30 seeded games).
//
//   npm run bench -- predict [--players 100000] [--seed 42] [--rounds 3]
//
// Windows: training cut-off day 42, test cut-off day 56, horizon 7 days (so training labels end on day 49, before the
// test cut-off); 30% of players held out by a hash of their id. Timing rounds repeat the fit and the scoring on the
// same data and print medians.
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { churnDataset, scoreChurn, splitChurnData, trainChurnModel } from "../server/predict/churn.js";
import { allPlayerFeatures, type FeatureEvent } from "../server/predict/features.js";
import { fitLogistic } from "../server/predict/logistic.js";
import { trainLtvModel } from "../server/predict/ltv.js";
import { trainPurchasePropensity } from "../server/predict/purchase.js";
import { generatePlayers } from "../server/predict/synthetic.js";
import { baskets, evaluateRecommendations, recommend } from "../server/predict/recommend.js";
import { generateShop } from "../server/predict/synthetic-shop.js";
import { anomalyScores, detectAnomalies } from "../server/predict/anomaly.js";
import { generateKpis } from "../server/predict/synthetic-kpis.js";

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1);

export async function run(args: string[]): Promise<void> {
	const { values } = parseArgs({
		args,
		options: {
			players: { type: "string", default: "100000" },
			seed: { type: "string", default: "42" },
			rounds: { type: "string", default: "3" },
		},
	});
	const playerCount = Number(values.players);
	const rounds = Math.max(1, Number(values.rounds));
	const windows = { trainCutoff: START + 42 * DAY, testCutoff: START + 56 * DAY };

	let t = performance.now();
	const generated = generatePlayers({ players: playerCount, days: 63, start: START, seed: Number(values.seed) });
	const byPlayer = new Map<number, FeatureEvent[]>(generated.map((p) => [p.userId, p.events]));
	const eventCount = generated.reduce((sum, p) => sum + p.events.length, 0);
	console.log(`generated ${playerCount} players, ${eventCount} events in ${ms(performance.now() - t)}`);

	// 1. The honest measurement: train on the early window and training players, test on held-out players later.
	t = performance.now();
	const { model, card } = trainChurnModel(byPlayer, windows, START + 63 * DAY);
	console.log(`train + evaluate (features, split, fit, baseline): ${ms(performance.now() - t)}`);
	const m = card.heldOut.metrics;
	const b = card.baseline.metrics;
	console.log(
		`training: ${card.training.players} active players at ${card.training.cutoff.slice(0, 10)}, churn rate ${pct(card.training.churnRate)}`,
	);
	console.log(
		`held out: ${card.heldOut.players} players at ${card.heldOut.cutoff.slice(0, 10)}, churn rate ${pct(card.heldOut.churnRate)}`,
	);
	console.log(
		`churn model  AUC ${m.auc.toFixed(4)}  log loss ${m.logLoss.toFixed(4)}  ECE ${m.ece.toFixed(4)}  Brier ${m.brier.toFixed(4)}`,
	);
	console.log(
		`baseline     AUC ${b.auc.toFixed(4)}  log loss ${b.logLoss.toFixed(4)}  ECE ${b.ece.toFixed(4)}  Brier ${b.brier.toFixed(4)}  (${card.baseline.name})`,
	);
	console.log(`churn AUC ≥ 0.80: ${m.auc >= 0.8 ? "yes" : "NO"}; beats baseline by ${(m.auc - b.auc).toFixed(4)}`);
	console.log("coefficients (log-odds per standard deviation):");
	for (const f of card.features) console.log(`  ${f.name.padEnd(28)} ${f.coefficient.toFixed(3)}`);

	// 2. Timing at full population: features for every player at one cut-off, the fit alone, and scoring everyone.
	const featureTimes: number[] = [];
	const fitTimes: number[] = [];
	const scoreTimes: number[] = [];
	const { train } = splitChurnData(byPlayer, windows);
	const trainSet = churnDataset(train, windows.trainCutoff);
	// Timing only: every player with history at the test cut-off, active or not, so the fit runs on ≈ 100k rows.
	const everyone = churnDataset(byPlayer, windows.testCutoff, { activeWithinDays: Infinity });
	const fullFitTimes: number[] = [];
	let fullIterations = 0;
	let scored = 0;
	for (let r = 0; r < rounds; r++) {
		t = performance.now();
		const features = allPlayerFeatures(
			generated.flatMap((p) => p.events),
			windows.testCutoff,
		);
		featureTimes.push(performance.now() - t);
		t = performance.now();
		fitLogistic(trainSet.rows, trainSet.labels);
		fitTimes.push(performance.now() - t);
		t = performance.now();
		fullIterations = fitLogistic(everyone.rows, everyone.labels).iterations;
		fullFitTimes.push(performance.now() - t);
		t = performance.now();
		scored = scoreChurn(model, features).length;
		scoreTimes.push(performance.now() - t);
	}
	console.log(`features for all ${playerCount} players from ${eventCount} events: median ${ms(median(featureTimes))}`);
	console.log(
		`fit on ${trainSet.rows.length} training rows × ${trainSet.rows[0]?.length ?? 0} features: median ${ms(median(fitTimes))} (${model.iterations} Newton iterations)`,
	);
	console.log(
		`fit on all ${everyone.rows.length} players' rows (timing only): median ${ms(median(fullFitTimes))} (${fullIterations} Newton iterations)`,
	);
	console.log(`score ${scored} players with top-3 drivers: median ${ms(median(scoreTimes))}`);

	// 3. Purchase propensity and LTV on a longer history; each horizon h uses test cut-off = end − h and
	// train cut-off = test cut-off − h, so training labels end where the test window starts.
	const days = 208;
	t = performance.now();
	const long = new Map<number, FeatureEvent[]>(
		generatePlayers({ players: playerCount, days, start: START, seed: Number(values.seed) }).map((p) => [
			p.userId,
			p.events,
		]),
	);
	console.log(`\nlonger history: ${playerCount} players over ${days} days in ${ms(performance.now() - t)}`);
	const windowsFor = (h: number) => ({
		trainCutoff: START + (days - 2 * h) * DAY,
		testCutoff: START + (days - h) * DAY,
	});
	t = performance.now();
	const propensity = trainPurchasePropensity(long, windowsFor(7), START + days * DAY).card;
	const pm = propensity.heldOut.metrics;
	const pb = propensity.baseline.metrics;
	console.log(
		`purchase propensity (7 d): ${propensity.heldOut.players} held-out players, buy rate ${pct(propensity.heldOut.purchaseRate)}, ` +
			`train + evaluate ${ms(performance.now() - t)}`,
	);
	console.log(`  model     AUC ${pm.auc.toFixed(4)}  log loss ${pm.logLoss.toFixed(4)}  ECE ${pm.ece.toFixed(4)}`);
	console.log(
		`  baseline  AUC ${pb.auc.toFixed(4)}  log loss ${pb.logLoss.toFixed(4)}  ECE ${pb.ece.toFixed(4)}  (${propensity.baseline.name})`,
	);
	for (const h of [30, 90]) {
		t = performance.now();
		const ltv = trainLtvModel(long, windowsFor(h), START + days * DAY, { horizonDays: h }).card;
		const lm = ltv.heldOut.metrics;
		const lb = ltv.baseline.metrics;
		console.log(
			`LTV (${h} d): ${ltv.training.players} training / ${ltv.heldOut.players} held-out players, mean spend ` +
				`${ltv.heldOut.meanSpend.toFixed(1)} R$, train + evaluate ${ms(performance.now() - t)}`,
		);
		console.log(
			`  model     MAE ${lm.mae.toFixed(2)}  RMSE ${lm.rmse.toFixed(2)}  predicted/actual total ${lm.totalRatio.toFixed(3)}`,
		);
		console.log(
			`  baseline  MAE ${lb.mae.toFixed(2)}  RMSE ${lb.rmse.toFixed(2)}  predicted/actual total ${lb.totalRatio.toFixed(3)}  (cohort average)`,
		);
		console.log(`  always 0  MAE ${ltv.zeroMae.toFixed(2)}  (MAE rewards the median; read the model's MAE against it)`);
	}

	// 4. Recommendations: the synthetic shop (themes and planted co-purchase pairs), leave-last-out on held-out players.
	t = performance.now();
	const shop = generateShop({ players: playerCount, seed: Number(values.seed) });
	const shopBaskets = baskets(shop.events);
	console.log(
		`\nshop: ${playerCount} players, ${shop.events.length} purchases of ${shop.items} items in ${ms(performance.now() - t)}`,
	);
	const trainTimes: number[] = [];
	let evaluation = evaluateRecommendations(shopBaskets, 5);
	for (let r = 0; r < rounds; r++) {
		t = performance.now();
		evaluation = evaluateRecommendations(shopBaskets, 5);
		trainTimes.push(performance.now() - t);
	}
	t = performance.now();
	let served = 0;
	for (const basket of shopBaskets.values()) served += recommend(evaluation.model, basket, 5).length > 0 ? 1 : 0;
	const serveTime = performance.now() - t;
	console.log(
		`recommendations: ${evaluation.players} held-out players, hit-rate@5 ${evaluation.hitRate.toFixed(4)} vs popularity ` +
			`${evaluation.baselineHitRate.toFixed(4)}; train + evaluate median ${ms(median(trainTimes))}; ` +
			`recommend for all ${served} buyers ${ms(serveTime)}`,
	);

	// 5. KPI anomalies: 30 seeded games × 5 KPIs × 182 days, 6 injected one-day anomalies per series.
	t = performance.now();
	const totals = new Map<string, { tp: number; flagged: number; actual: number }>();
	let series = 0;
	for (let seed = 1; seed <= 30; seed++) {
		for (const kpi of generateKpis({ seed })) {
			series++;
			const points = detectAnomalies(kpi.values, { scale: kpi.scale });
			const s = anomalyScores(
				points.filter((p) => p?.anomaly).map((p) => p!.index),
				kpi.anomalies,
			);
			const row = totals.get(kpi.name) ?? { tp: 0, flagged: 0, actual: 0 };
			row.tp += s.truePositives;
			row.flagged += s.flagged;
			row.actual += s.actual;
			totals.set(kpi.name, row);
		}
	}
	console.log(`\nKPI anomalies: ${series} series of 182 days in ${ms(performance.now() - t)}`);
	let tp = 0;
	let flagged = 0;
	let actual = 0;
	for (const [name, row] of totals) {
		console.log(
			`  ${name.padEnd(16)} precision ${(row.tp / Math.max(1, row.flagged)).toFixed(3)}  recall ${(row.tp / row.actual).toFixed(3)}`,
		);
		tp += row.tp;
		flagged += row.flagged;
		actual += row.actual;
	}
	const precision = tp / Math.max(1, flagged);
	const recall = tp / actual;
	console.log(
		`  all              precision ${precision.toFixed(3)}  recall ${recall.toFixed(3)}  (≥ 0.9 each: ${precision >= 0.9 && recall >= 0.9 ? "yes" : "NO"})`,
	);
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function ms(value: number): string {
	return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(0)} ms`;
}

function pct(value: number): string {
	return `${(100 * value).toFixed(1)}%`;
}
