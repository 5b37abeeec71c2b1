// Seeded daily KPI series with injected anomalies at known days, for measuring the anomaly detector where the truth
// is known. Each series has what real ones have: a trend, a weekday pattern (weekends busier), multiplicative noise,
// and for the SDK version mix an adoption curve. Anomalies are one-day shocks of known size and direction (an outage
// halves DAU, a broken shop zeroes most revenue, a bad release spikes errors, a rollback drops the new version's share).
import { mulberry32, sampleNormal } from "../stats/prng.js";
import type { KpiScale } from "./anomaly.js";

export interface SyntheticKpi {
	name: "dau" | "revenue" | "error_rate" | "event_volume" | "sdk_version_mix";
	scale: KpiScale;
	values: number[];
	/** Indices of the injected anomalies. */
	anomalies: number[];
}

export interface SyntheticKpiOptions {
	/** @default 182 */
	days?: number;
	/** Anomalies per series. @default 6 */
	anomalies?: number;
	/** The first anomaly can be on this day at the earliest (the detector needs history). @default 35 */
	firstAnomalyDay?: number;
	/** @default 42 */
	seed?: number;
}

/** Weekday effects on a log scale, Sunday first (weekends busier, Friday a little). */
const WEEKDAY = [0.22, -0.04, -0.06, -0.05, -0.03, 0.08, 0.25];

/**
 * Generates the five KPI series of one game. Day 0 is a Sunday.
 *
 * @example
 * const [dau] = generateKpis({ seed: 1 });
 * dau.anomalies; // the days a detector should flag
 */
export function generateKpis(options: SyntheticKpiOptions = {}): SyntheticKpi[] {
	const days = options.days ?? 182;
	const count = options.anomalies ?? 6;
	const first = options.firstAnomalyDay ?? 35;
	const random = mulberry32(options.seed ?? 42);
	const pickDays = () => {
		const chosen: number[] = [];
		while (chosen.length < count) {
			const d = first + Math.floor(random() * (days - first));
			if (chosen.every((c) => Math.abs(c - d) >= 4)) chosen.push(d);
		}
		return chosen.sort((a, b) => a - b);
	};
	const shock = (lo: number, hi: number) => lo + (hi - lo) * random();
	const sign = () => (random() < 0.5 ? -1 : 1);
	const out: SyntheticKpi[] = [];

	// DAU: growth for two months then flat, weekday pattern, 3% noise; shocks ×0.5–×0.74 or ×1.35–×2.
	const growth = (t: number) => Math.log(20_000) + 0.004 * Math.min(t, 60);
	const dauLog: number[] = [];
	const dauShocks = pickDays();
	for (let t = 0; t < days; t++) {
		let y = growth(t) + WEEKDAY[t % 7]! + 0.03 * sampleNormal(random);
		if (dauShocks.includes(t)) y += sign() * shock(0.3, 0.7);
		dauLog.push(y);
	}
	out.push({ name: "dau", scale: "log", values: dauLog.map((y) => Math.round(Math.exp(y))), anomalies: dauShocks });

	// Revenue: follows the trend and weekdays, 8% noise (few payers); shocks of ×0.3–×0.55 or ×1.8–×3.3.
	const revenueShocks = pickDays();
	const revenue: number[] = [];
	for (let t = 0; t < days; t++) {
		let y = growth(t) + Math.log(12) + WEEKDAY[t % 7]! + 0.08 * sampleNormal(random);
		if (revenueShocks.includes(t)) y += sign() * shock(0.6, 1.2);
		revenue.push(Math.round(Math.exp(y)));
	}
	out.push({ name: "revenue", scale: "log", values: revenue, anomalies: revenueShocks });

	// Error rate: 0.4% with 5% noise on the logit; shocks are spikes (a bad release): logit +0.8–+1.6 (×2.2–×5).
	const errorShocks = pickDays();
	const errors: number[] = [];
	for (let t = 0; t < days; t++) {
		let y = Math.log(0.004 / 0.996) + 0.05 * sampleNormal(random);
		if (errorShocks.includes(t)) y += shock(0.8, 1.6);
		errors.push(1 / (1 + Math.exp(-y)));
	}
	out.push({ name: "error_rate", scale: "logit", values: errors, anomalies: errorShocks });

	// Event volume: DAU × ~150 events, 3% noise of its own; shocks as DAU's.
	const volumeShocks = pickDays();
	const volume: number[] = [];
	for (let t = 0; t < days; t++) {
		let y = growth(t) + Math.log(150) + WEEKDAY[t % 7]! + 0.03 * sampleNormal(random);
		if (volumeShocks.includes(t)) y += sign() * shock(0.3, 0.7);
		volume.push(Math.round(Math.exp(y)));
	}
	out.push({ name: "event_volume", scale: "log", values: volume, anomalies: volumeShocks });

	// SDK version mix: the newest version's share of servers, a logistic adoption (linear on the logit) from 5% with
	// 5% noise; shocks are rollbacks: logit −0.8–−1.5.
	const mixShocks = pickDays();
	const mix: number[] = [];
	for (let t = 0; t < days; t++) {
		let y = -3 + t / 30 + 0.05 * sampleNormal(random);
		if (mixShocks.includes(t)) y -= shock(0.8, 1.5);
		mix.push(1 / (1 + Math.exp(-y)));
	}
	out.push({ name: "sdk_version_mix", scale: "logit", values: mix, anomalies: mixShocks });
	return out;
}
