// Adaptive experiments: traffic weights recomputed from the primary metric by Thompson sampling, stored, and served
// to the SDK in GET /v1/config. The step is pure; `updateAdaptiveExperiment` wires it to the store, and
// `startAdaptiveUpdates` runs it for each running adaptive experiment when its own interval has passed, on a timer
// (started by the server, never by createApp).
import { randomInt } from "node:crypto";
import { z } from "zod";
import { ConflictError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { JobLease } from "../shared-state/job-leases.js";
import {
	meanSummary,
	mulberry32,
	thompsonWeights,
	type BanditArm,
	type MeanSums,
	type Prng,
	type ThompsonResult,
} from "../stats/index.js";
import type { ExperimentRecord, Store } from "../store/types.js";
import { ADAPTIVE_INTERVAL_BOUNDS } from "./experiment.js";
import { isBinaryMetric, type MetricDefinition } from "./metric.js";
import { sumsByArm } from "./results.js";

/** Every arm keeps at least 1% of traffic, so none starves and its results stay estimable. */
export const ADAPTIVE_FLOOR = 0.01;
/** Weights first move once every arm has this many units. */
export const ADAPTIVE_MIN_UNITS = 100;
/** How often an adaptive experiment's weights are recomputed when it does not say (`updateIntervalMinutes`): an hour. */
export const ADAPTIVE_INTERVAL_MS = ADAPTIVE_INTERVAL_BOUNDS.default * 60_000;
/** How often the job looks for adaptive experiments whose interval has passed. */
export const ADAPTIVE_TICK_MS = 60_000;
/** After a failed update, the job tries that experiment again this much later (not at every tick). */
export const ADAPTIVE_RETRY_MS = ADAPTIVE_INTERVAL_BOUNDS.min * 60_000;

/**
 * An adaptive experiment's update interval in ms: its `updateIntervalMinutes`, else {@link ADAPTIVE_INTERVAL_MS}.
 *
 * @example
 * adaptiveIntervalMs(record); // 3_600_000 unless the experiment says otherwise
 */
export function adaptiveIntervalMs(record: ExperimentRecord): number {
	const a = record.definition.assignment;
	return a.mode === "adaptive" && a.updateIntervalMinutes !== undefined
		? a.updateIntervalMinutes * 60_000
		: ADAPTIVE_INTERVAL_MS;
}

/**
 * When an adaptive experiment's next update is due (unix ms): its interval after the last run, else after the last
 * change of its weights, else after its start (or creation). Last runs are stored, so this holds across restarts.
 *
 * @example
 * nextAdaptiveUpdateAt(record, lastRunAt); // lastRunAt + 60 min for an experiment with the default interval
 */
export function nextAdaptiveUpdateAt(record: ExperimentRecord, lastRunAt: number | undefined): number {
	const since = lastRunAt ?? record.adaptiveUpdatedAt ?? record.definition.startAt ?? record.createdAt;
	return since + adaptiveIntervalMs(record);
}

/**
 * The next weights of an adaptive experiment: Thompson sampling on the primary metric (Beta posteriors for a
 * binary metric, normal for a mean) with a {@link ADAPTIVE_FLOOR} floor per arm; the current weights, unchanged
 * (`updated` false), until every arm has {@link ADAPTIVE_MIN_UNITS} units.
 *
 * @example
 * nextAdaptiveWeights(metric, [{ n: 500, sum: 50, sumSquares: 50 }, { n: 500, sum: 80, sumSquares: 80 }], [0.5, 0.5], mulberry32(1));
 * // { weights: [≈0.01, ≈0.99], updated: true, … }
 */
export function nextAdaptiveWeights(
	metric: MetricDefinition,
	arms: readonly MeanSums[],
	current: readonly number[],
	rng: Prng,
): ThompsonResult {
	const binary = isBinaryMetric(metric);
	const bandit = arms.map((arm): BanditArm => {
		if (binary) return { n: arm.n, conversions: arm.sum };
		const { n, mean, variance } = meanSummary(arm);
		return { n, mean, variance };
	});
	return thompsonWeights(bandit, current, rng, { floor: ADAPTIVE_FLOOR, minUnitsPerArm: ADAPTIVE_MIN_UNITS });
}

export const adaptiveUpdateSchema = z.object({
	experiment: z.string().describe("The experiment's key."),
	updated: z.boolean().describe("False until every arm has 100 units: the weights are then unchanged."),
	weights: z.array(z.number()).describe("The weights now served (each ≥ 0.01, summing to 1)."),
	units: z.array(z.number().int()).describe("Units per arm the update saw."),
	probabilityBest: z.array(z.number()).describe("Thompson-sampling probability that each arm is best."),
	warnings: z
		.array(
			z.object({
				code: z.string().describe("Stable code of the warning."),
				message: z.string().describe("What it means, for people."),
			}),
		)
		.describe("Why the update may not be what was expected (too few units, …)."),
});
export type AdaptiveUpdate = z.infer<typeof adaptiveUpdateSchema>;

export interface AdaptiveDeps {
	store: Store;
	clock: () => number;
	/** @default a fresh seeded PRNG per update */
	rng?: Prng;
}

/**
 * Recomputes and stores an adaptive experiment's weights.
 * 1. not running, not adaptive or without a primary metric → 409 conflict;
 * 2. the primary metric's sums per arm from the start to now (forced QA users left out);
 * 3. {@link nextAdaptiveWeights} from the current weights (the planned ones before the first update);
 * 4. stored only when they changed (`updated`); the time of the run is stored either way.
 */
export async function updateAdaptiveExperiment(deps: AdaptiveDeps, record: ExperimentRecord): Promise<AdaptiveUpdate> {
	const d = record.definition;
	if (record.status !== "running" || d.assignment.mode !== "adaptive" || !d.primaryMetric) {
		throw new ConflictError("Only running adaptive experiments with a primary metric update their weights.");
	}
	const now = deps.clock();
	const rows = await deps.store.experimentMetricSums({
		gameId: record.gameId,
		experimentKey: record.key,
		from: d.startAt ?? record.createdAt,
		to: now,
		metric: d.primaryMetric,
		excludeUserIds: Object.keys(d.forcedVariations).map(Number),
	});
	const { totals } = sumsByArm(rows, d.variations);
	const current = record.adaptiveWeights ?? d.variations.map((v) => v.weight);
	const rng = deps.rng ?? mulberry32(randomInt(2 ** 32 - 1));
	const result = nextAdaptiveWeights(d.primaryMetric, totals, current, rng);
	if (result.updated) await deps.store.setAdaptiveWeights(record.gameId, record.key, result.weights, now);
	// The run is recorded even when the weights stay: the next one is then an interval away (nextAdaptiveUpdateAt).
	await deps.store.allocation.recordAdaptiveRun({ gameId: record.gameId, experimentKey: record.key, ranAt: now });
	return {
		experiment: record.key,
		updated: result.updated,
		weights: result.weights,
		units: totals.map((t) => t.n),
		probabilityBest: result.probabilityBest,
		warnings: result.warnings,
	};
}

export interface AdaptiveUpdatesOptions extends AdaptiveDeps {
	logger: Logger;
	/** How often the job looks for experiments that are due. @default {@link ADAPTIVE_TICK_MS} */
	tickMs?: number;
	/**
	 * With several instances: the job's lease (shared-state/job-leases.ts); the timer's passes run only while this
	 * instance holds it, so the weights are updated once, not once per instance. @default none: every pass runs
	 */
	lease?: JobLease;
}

export interface AdaptiveUpdates {
	/**
	 * One pass (what the timer runs): updates every running adaptive experiment whose interval has passed
	 * ({@link nextAdaptiveUpdateAt}); a failing one is logged, skipped and tried again {@link ADAPTIVE_RETRY_MS} later.
	 */
	runOnce(): Promise<AdaptiveUpdate[]>;
	/** Clears the timer; resolves once a pass in progress has finished (so the store can close after it). */
	stop(): Promise<void>;
}

/**
 * Recomputes the weights of each running adaptive experiment of every game once its own interval
 * (`updateIntervalMinutes`, default an hour) has passed since its last run, looking every `tickMs`. The timer does not
 * keep the process alive, and a pass never overlaps the previous one.
 *
 * @example
 * const adaptive = startAdaptiveUpdates({ store, logger, clock: Date.now });
 * // on shutdown, before closing the store:
 * await adaptive.stop();
 */
export function startAdaptiveUpdates(options: AdaptiveUpdatesOptions): AdaptiveUpdates {
	let running: Promise<AdaptiveUpdate[]> | undefined;
	/** "gameId/key" → unix ms of the last failed update (in memory: a restart simply tries again). */
	const failedAt = new Map<string, number>();
	const pass = async (): Promise<AdaptiveUpdate[]> => {
		const updates: AdaptiveUpdate[] = [];
		const now = options.clock();
		const lastRuns = new Map(
			(await options.store.allocation.listAdaptiveRuns()).map((r) => [`${r.gameId}/${r.experimentKey}`, r.ranAt]),
		);
		for (const record of await options.store.listExperiments({ status: "running" })) {
			if (record.definition.assignment.mode !== "adaptive" || !record.definition.primaryMetric) continue;
			const id = `${record.gameId}/${record.key}`;
			if (now < nextAdaptiveUpdateAt(record, lastRuns.get(id))) continue;
			if (now < (failedAt.get(id) ?? -Infinity) + ADAPTIVE_RETRY_MS) continue;
			try {
				const update = await updateAdaptiveExperiment(options, record);
				updates.push(update);
				if (update.updated) {
					options.logger.info("adaptive weights updated", {
						gameId: record.gameId,
						experiment: record.key,
						weights: update.weights,
					});
				}
				failedAt.delete(id);
			} catch (error) {
				failedAt.set(id, now);
				options.logger.error("adaptive update failed", { gameId: record.gameId, experiment: record.key, error });
			}
		}
		return updates;
	};
	const runOnce = (): Promise<AdaptiveUpdate[]> => {
		running ??= pass().finally(() => {
			running = undefined;
		});
		return running;
	};
	const timer = setInterval(() => {
		if (options.lease && !options.lease.held()) return;
		runOnce().catch((error: unknown) => options.logger.error("adaptive updates failed", { error }));
	}, options.tickMs ?? ADAPTIVE_TICK_MS);
	timer.unref();
	const stop = async (): Promise<void> => {
		clearInterval(timer);
		await running?.catch(() => undefined);
	};
	return { runOnce, stop };
}
