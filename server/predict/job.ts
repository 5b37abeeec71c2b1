// Scheduled training: every game with events gets a fresh prediction run once a day. The job looks every
// `intervalMs` for games whose latest run is older than `maxAgeMs` (or that never had one) and trains them one at a
// time, so a large game does not stall the others' turns for long and the event loop yields between pages of events.
// With several instances the job runs where its lease is held (server/shared-state/job-leases.ts).
import type { Logger } from "../logger.js";
import type { ConsentKeys } from "../privacy/consent-records.js";
import type { JobLease } from "../shared-state/job-leases.js";
import type { PredictionStore } from "../store/contracts.js";
import type { Store } from "../store/types.js";
import { runPredictions } from "./predictions.js";

export const PREDICTION_INTERVAL_MS = 60 * 60 * 1000;
export const PREDICTION_MAX_AGE_MS = 24 * 60 * 60 * 1000;

export interface PredictionJobOptions {
	store: Store & { predictions: PredictionStore };
	clock: () => number;
	logger: Logger;
	lease?: JobLease;
	/** Opens players' consent records (see TrainOptions.playerKeys). @default none */
	playerKeys?: ConsentKeys;
	/** @default one hour */
	intervalMs?: number;
	/** @default one day */
	maxAgeMs?: number;
}

export interface PredictionJob {
	/** One pass now (the timer's work): trains every game that is due; returns the games trained. */
	runOnce(): Promise<string[]>;
	stop(): Promise<void>;
}

/**
 * Starts the daily training of every game.
 *
 * @example
 * const job = startPredictionJob({ store, clock: Date.now, logger });
 * await job.stop();
 */
export function startPredictionJob(options: PredictionJobOptions): PredictionJob {
	const { store, clock, logger } = options;
	const maxAge = options.maxAgeMs ?? PREDICTION_MAX_AGE_MS;
	let running: Promise<string[]> | undefined;
	let stopped = false;
	const pass = async (): Promise<string[]> => {
		const trained: string[] = [];
		for (const game of await store.listGames()) {
			if (stopped) break;
			if (options.lease && !options.lease.held()) break;
			const now = clock();
			const latest = await store.predictions.get(game.id);
			if (latest && now - latest.trainedAt < maxAge) continue;
			// A game without a single event in its history window has nothing to learn from.
			const any = await store.listEvents({ gameId: game.id, limit: 1 });
			if (any.length === 0) continue;
			try {
				const doc = await runPredictions(store, game.id, now, { playerKeys: options.playerKeys });
				trained.push(game.id);
				logger.info("predictions trained", {
					gameId: game.id,
					events: doc.data.events,
					churn: doc.churn.status,
					anomalies: doc.anomalies.status === "trained" ? doc.anomalies.alerts.length : null,
				});
			} catch (error) {
				logger.error("prediction training failed", { gameId: game.id, error });
			}
		}
		return trained;
	};
	const runOnce = () => {
		running ??= pass().finally(() => (running = undefined));
		return running;
	};
	const timer = setInterval(() => void runOnce(), options.intervalMs ?? PREDICTION_INTERVAL_MS);
	timer.unref();
	return {
		runOnce,
		async stop() {
			stopped = true;
			clearInterval(timer);
			await running?.catch(() => undefined);
		},
	};
}
