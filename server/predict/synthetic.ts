// A seeded generator of players' event histories with known, planted signals, for measuring the predictive models
// where the truth is known (benchmarks and tests). Not the example game's simulator: this one is a statistical
// model of behaviour, fast enough for 100k players in seconds.
//
// Planted signals (what a model should find):
// - shorter sessions raise churn: after each active day a player quits for good with probability
//   sigmoid(QUIT_BASE − QUIT_PER_LOG_MINUTES · ln(minutes / 15)), minutes being that day's mean session length;
// - session length drifts per player (some players' sessions shrink, which raises their quit hazard over time);
// - phone players quit a little more often, payers a little less;
// - between visits a player waits a gap drawn around a personal mean, so recency alone is informative but not enough.
import { mulberry32, sampleNormal } from "../stats/prng.js";
import type { FeatureEvent, Platform } from "./features.js";

const DAY_MS = 86_400_000;
const QUIT_BASE = -1.9;
const QUIT_PER_LOG_MINUTES = 1.4;
const PLATFORM_WEIGHTS: readonly [Platform, number][] = [
	["desktop", 0.35],
	["phone", 0.45],
	["tablet", 0.1],
	["console", 0.08],
	["vr", 0.02],
];
const PRICES = [25, 99, 199, 499] as const;

export interface SyntheticOptions {
	/** Players to generate. @default 100_000 */
	players?: number;
	/** Days of history; players install uniformly over the first `days - 7`. @default 63 */
	days?: number;
	/** Unix ms of day 0 (UTC midnight). @default 2026-01-01 */
	start?: number;
	/** @default 42 */
	seed?: number;
}

/** One player's generated events (time order) and the truth behind them, for checks. */
export interface SyntheticPlayer {
	userId: number;
	events: FeatureEvent[];
	/** The day the player quit for good, or undefined if still playing at the end. */
	quitDay: number | undefined;
}

/**
 * Generates players' histories. The same options give the same events on every machine.
 *
 * @example
 * const players = generatePlayers({ players: 1000, seed: 7 });
 * players[0].events[0].type; // "session_start"
 */
export function generatePlayers(options: SyntheticOptions = {}): SyntheticPlayer[] {
	const count = options.players ?? 100_000;
	const days = options.days ?? 63;
	const start = options.start ?? Date.UTC(2026, 0, 1);
	const random = mulberry32(options.seed ?? 42);
	// Props objects without per-event values are shared: 100k players make millions of events.
	const startProps = new Map(PLATFORM_WEIGHTS.map(([p]) => [p, { device: p }]));
	const completeProps = { status: "complete" };
	const out: SyntheticPlayer[] = [];
	for (let p = 0; p < count; p++) {
		const userId = 10_000_000 + p;
		const platform = pickPlatform(random());
		const payer = random() < 0.08;
		const installDay = Math.floor(random() * (days - 7));
		// Personal habits: typical session minutes, its drift per active day, and the mean gap between visits.
		let logMinutes = Math.log(15) + 0.7 * sampleNormal(random);
		const drift = -0.05 + 0.12 * sampleNormal(random);
		const gapMean = Math.exp(Math.log(1.2) + 0.6 * sampleNormal(random));
		const quitShift = (platform === "phone" ? 0.3 : 0) + (payer ? -0.5 : 0);
		const events: FeatureEvent[] = [];
		let quitDay: number | undefined;
		let session = 0;
		for (let day = installDay; day < days;) {
			const sessions = random() < 0.3 ? 2 : 1;
			let minutesSum = 0;
			let previousEnd = -Infinity;
			for (let s = 0; s < sessions; s++) {
				// Capped at 3 hours so a day's sessions never overlap nor cross midnight (start ≤ 19:00, end ≤ 22:00).
				const minutes = Math.min(180, Math.max(0.5, Math.exp(logMinutes + 0.35 * sampleNormal(random))));
				minutesSum += minutes;
				const sessionId = `${userId}-${session++}`;
				const planned = start + day * DAY_MS + Math.floor((8 + 6 * s + random() * 5) * 3_600_000);
				const t0 = Math.max(planned, previousEnd + 1_800_000);
				const t1 = t0 + Math.round(minutes * 60_000);
				events.push({
					userId,
					sessionId,
					type: "session_start",
					name: "player",
					time: t0,
					props: startProps.get(platform)!,
				});
				if (random() < 0.4) {
					const mid = t0 + Math.round((t1 - t0) / 2);
					events.push({ userId, sessionId, type: "progression", name: "level", time: mid, props: completeProps });
				}
				if (payer && random() < 0.15) {
					const robux = PRICES[Math.floor(random() * PRICES.length)]!;
					events.push({ userId, sessionId, type: "purchase", name: "gems", time: t1 - 1000, props: { robux } });
				}
				events.push({
					userId,
					sessionId,
					type: "session_end",
					name: "player",
					time: t1,
					props: { duration: Math.round(minutes * 60) },
				});
				previousEnd = t1;
			}
			// The planted signal: that day's session length sets the chance of never coming back.
			const meanMinutes = minutesSum / sessions;
			const quit = sigmoid(QUIT_BASE + quitShift - QUIT_PER_LOG_MINUTES * Math.log(meanMinutes / 15));
			if (random() < quit) {
				quitDay = day;
				break;
			}
			logMinutes += drift;
			day += 1 + Math.floor(-Math.log(1 - random()) * gapMean);
		}
		out.push({ userId, events, quitDay });
	}
	return out;
}

function pickPlatform(u: number): Platform {
	let acc = 0;
	for (const [platform, weight] of PLATFORM_WEIGHTS) {
		acc += weight;
		if (u < acc) return platform;
	}
	return "desktop";
}

function sigmoid(x: number): number {
	return 1 / (1 + Math.exp(-x));
}
