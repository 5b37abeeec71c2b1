// The daily digest: every minute, each game with a webhook whose local clock has passed its digest hour gets
// yesterday's KPIs posted once. Deliveries run in the background, one per game, so a slow webhook never holds up
// another game, a request, ingest or shutdown. digest_state makes "once" hold across restarts and processes.
import type { Logger } from "../logger.js";
import { maskWebhookUrl } from "../settings/settings.js";
import type { GameSettings, Store } from "../store/types.js";
import {
	DEFAULT_DELIVERY,
	deliverWebhook,
	timerSleep,
	type DeliveryOptions,
	type DeliveryResult,
	type Sleep,
} from "./delivery.js";
import { dueDigestDay, yesterdayIn } from "./local-day.js";
import {
	buildDigestPayload,
	type DigestAlert,
	type DigestAlertSource,
	type DigestAnomalySource,
	type DigestKpiSource,
	type DiscordWebhookPayload,
} from "./payload.js";

/** How often the scheduler looks for due digests. */
export const DIGEST_INTERVAL_MS = 60_000;
/**
 * How long a process's claim on a day holds. Longer than the longest delivery (5 requests of ≤ 10 s and 4 waits of
 * ≤ 5 min), so a claim only lapses when its process died; the day is then tried again.
 */
export const DIGEST_CLAIM_MS = 30 * 60_000;
/** After the KPIs (or the game) could not be read, the game's digest is tried again this much later. */
export const DIGEST_RETRY_PAUSE_MS = 15 * 60_000;
/**
 * How long the guardrail alerts may take (their statistics run in the results worker): past it, or when they fail,
 * the digest goes without them and says so, rather than late or not at all.
 */
export const DIGEST_ALERTS_BUDGET_MS = 20_000;

export interface DigestsOptions {
	store: Store;
	logger: Logger;
	/** Unix ms. */
	clock: () => number;
	/** A game's KPIs of one local day (the metrics engine). */
	kpis: DigestKpiSource;
	/** Guardrail regressions of the game's running experiments (experiments/alerts.ts). @default none */
	alerts?: DigestAlertSource;
	/** KPI anomalies of the day (server/predict). @default none */
	anomalies?: DigestAnomalySource;
	/** @default globalThis.fetch */
	fetch?: typeof fetch;
	/** @default {@link DIGEST_INTERVAL_MS} */
	intervalMs?: number;
	/** Waits between attempts. @default timers, cut short by stop() */
	sleep?: Sleep;
	/** Jitter source. @default Math.random */
	random?: () => number;
	/** @default {@link DEFAULT_DELIVERY} */
	delivery?: Partial<DeliveryOptions>;
}

/** What one game's digest delivery did. `unprepared`: the game or its KPIs could not be read; nothing was sent. */
export interface DigestRun extends Omit<DeliveryResult, "outcome"> {
	gameId: string;
	/** The local day the digest is of. */
	day: string;
	outcome: DeliveryResult["outcome"] | "unprepared";
}

export interface Digests {
	/**
	 * One pass, what the timer runs: starts the delivery of every due digest (claiming its day first) and resolves
	 * with the results of those it started, once they have finished and been recorded.
	 */
	runOnce(): Promise<DigestRun[]>;
	/** Stops the timer, aborts requests in flight and waits between retries; resolves once every delivery is recorded. */
	stop(): Promise<void>;
}

/**
 * Posts each game's daily digest (see {@link dueDigestDay}) every `intervalMs`. The timer does not keep the process
 * alive; passes never overlap, and a game whose delivery is still running is left alone until it ends.
 *
 * How a delivery is recorded (digest_state):
 * 1. delivered, refused (4xx) or given up after the retries → the day is settled: never posted again;
 * 2. stopped by shutdown while waiting to retry, or the KPIs could not be read → the claim is released and the day
 *    is tried again (after {@link DIGEST_RETRY_PAUSE_MS} for the KPIs);
 * 3. stopped by shutdown with a request in flight → settled too: it may have arrived, and posting a day twice is
 *    worse than missing one. Only a crash in that instant can post a day twice (after its claim lapses).
 *
 * @example
 * const digests = startDigests({ store, logger, clock: Date.now, kpis: NO_DIGEST_KPIS });
 * // on shutdown, before closing the store:
 * await digests.stop();
 */
export function startDigests(options: DigestsOptions): Digests {
	const { store, logger, clock } = options;
	const delivery = { ...DEFAULT_DELIVERY, ...options.delivery };
	const stopping = new AbortController();
	const deliveryDeps = {
		fetch: options.fetch ?? globalThis.fetch,
		sleep: options.sleep ?? timerSleep,
		random: options.random ?? Math.random,
		signal: stopping.signal,
	};
	const inFlight = new Map<string, Promise<DigestRun>>();
	const pausedUntil = new Map<string, number>();

	const deliverDay = async (settings: GameSettings, url: string, day: string): Promise<DigestRun> => {
		const { gameId } = settings;
		let result: Omit<DigestRun, "gameId" | "day">;
		try {
			const payload = await untilAborted(composeDigest(options, settings, day, false), stopping.signal);
			result = await deliverWebhook(url, payload, deliveryDeps, delivery);
		} catch (error) {
			const aborted = stopping.signal.aborted;
			if (!aborted) pausedUntil.set(gameId, clock() + DIGEST_RETRY_PAUSE_MS);
			const message = aborted ? "aborted by shutdown" : `could not prepare the digest: ${errorMessage(error)}`;
			result = {
				outcome: aborted ? "aborted" : "unprepared",
				attempts: 0,
				status: null,
				error: message,
				mayHaveArrived: false,
			};
		}
		const run: DigestRun = { gameId, day, ...result };
		const settled = run.outcome === "delivered" || run.outcome === "rejected" || run.outcome === "gave_up";
		const fields = { gameId, day, webhook: maskWebhookUrl(url), attempts: run.attempts, error: run.error };
		if (run.outcome === "delivered") logger.info("digest delivered", fields);
		else logger.warn("digest not delivered", { ...fields, outcome: run.outcome, status: run.status });
		try {
			await store.finishDigestDay(
				gameId,
				{ day, settled: settled || run.mayHaveArrived, attempts: run.attempts, error: run.error },
				clock(),
			);
		} catch (error) {
			logger.error("digest state not recorded", { gameId, day, error });
		}
		return run;
	};

	const scan = async (): Promise<Promise<DigestRun>[]> => {
		const started: Promise<DigestRun>[] = [];
		const now = clock();
		for (const settings of await store.listGameSettings()) {
			const { gameId, digestWebhookUrl: url } = settings;
			if (stopping.signal.aborted) break;
			if (url === null || inFlight.has(gameId) || (pausedUntil.get(gameId) ?? 0) > now) continue;
			try {
				const state = await store.getDigestState(gameId);
				const day = dueDigestDay({ now, ...settings, lastDay: state?.lastDay ?? null });
				if (day === null) continue;
				if (!(await store.claimDigestDay(gameId, day, now, now + DIGEST_CLAIM_MS))) continue;
				const run = deliverDay(settings, url, day).finally(() => inFlight.delete(gameId));
				inFlight.set(gameId, run);
				started.push(run);
			} catch (error) {
				// A zone Intl no longer knows, a store error: this game is skipped, the others go on.
				logger.error("digest check failed", { gameId, error });
			}
		}
		return started;
	};

	let scanning: Promise<Promise<DigestRun>[]> | undefined;
	const pass = (): Promise<Promise<DigestRun>[]> => {
		scanning ??= scan().finally(() => {
			scanning = undefined;
		});
		return scanning;
	};
	const timer = setInterval(() => {
		pass().catch((error: unknown) => logger.error("digest pass failed", { error }));
	}, options.intervalMs ?? DIGEST_INTERVAL_MS);
	timer.unref();

	return {
		async runOnce() {
			return Promise.all(await pass());
		},
		async stop() {
			clearInterval(timer);
			stopping.abort();
			await scanning?.catch(() => undefined);
			await Promise.allSettled([...inFlight.values()]);
		},
	};
}

export interface TestDigestDeps {
	store: Store;
	clock: () => number;
	kpis: DigestKpiSource;
	/** Guardrail regressions of the game's running experiments. @default none */
	alerts?: DigestAlertSource;
	/** KPI anomalies of the day (server/predict). @default none */
	anomalies?: DigestAnomalySource;
	/** @default globalThis.fetch */
	fetch?: typeof fetch;
	/** @default {@link DEFAULT_DELIVERY} with one attempt */
	delivery?: Partial<DeliveryOptions>;
}

/** What a test digest did. */
export interface TestDigestResult extends Omit<DeliveryResult, "mayHaveArrived"> {
	/** The local day the digest is of: yesterday in the game's time zone. */
	day: string;
}

/**
 * Sends yesterday's digest of a game now, marked as a test, in one attempt so the answer comes within the request
 * timeout. digest_state is left alone: the scheduled digest of the day still goes. Undefined when the game has no
 * webhook.
 *
 * @example
 * const result = await sendTestDigest({ store, clock: Date.now, kpis }, "123");
 */
export async function sendTestDigest(
	deps: TestDigestDeps,
	gameId: string,
	signal: AbortSignal = new AbortController().signal,
): Promise<TestDigestResult | undefined> {
	const settings = await deps.store.getGameSettings(gameId);
	if (settings.digestWebhookUrl === null) return undefined;
	const day = yesterdayIn(deps.clock(), settings.timeZone);
	const payload = await composeDigest(deps, settings, day, true);
	const { mayHaveArrived: _, ...result } = await deliverWebhook(
		settings.digestWebhookUrl,
		payload,
		{ fetch: deps.fetch ?? globalThis.fetch, sleep: timerSleep, random: Math.random, signal },
		{ ...DEFAULT_DELIVERY, maxAttempts: 1, ...deps.delivery },
	);
	return { day, ...result };
}

async function composeDigest(
	deps: {
		store: Store;
		clock: () => number;
		kpis: DigestKpiSource;
		alerts?: DigestAlertSource;
		anomalies?: DigestAnomalySource;
	},
	settings: GameSettings,
	day: string,
	test: boolean,
): Promise<DiscordWebhookPayload> {
	const game = await deps.store.getGame(settings.gameId);
	const kpis = await deps.kpis(settings.gameId, day);
	const alerts = deps.alerts ? await alertsWithinBudget(deps.alerts, settings.gameId) : [];
	// Anomalies are read from the latest prediction run (a stored document): a failure only leaves the section out.
	const anomalies = deps.anomalies ? await deps.anomalies(settings.gameId, day).catch(() => []) : [];
	return buildDigestPayload({
		alerts,
		anomalies,
		gameId: settings.gameId,
		gameName: game?.name ?? settings.gameId,
		day,
		timeZone: settings.timeZone,
		kpis,
		at: deps.clock(),
		test,
	});
}

/** The game's guardrail alerts, or null when they fail or take longer than {@link DIGEST_ALERTS_BUDGET_MS}. */
async function alertsWithinBudget(source: DigestAlertSource, gameId: string): Promise<DigestAlert[] | null> {
	let timer: NodeJS.Timeout | undefined;
	const late = new Promise<null>((resolve) => {
		timer = setTimeout(() => resolve(null), DIGEST_ALERTS_BUDGET_MS);
		timer.unref();
	});
	try {
		return await Promise.race([source(gameId).catch(() => null), late]);
	} finally {
		clearTimeout(timer);
	}
}

/** `promise`, or a rejection as soon as `signal` aborts: a KPI query that hangs must not hold up shutdown. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
	if (signal.aborted) return Promise.reject(new Error("aborted"));
	return new Promise<T>((resolve, reject) => {
		const onAbort = () => reject(new Error("aborted"));
		signal.addEventListener("abort", onAbort, { once: true });
		promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
	});
}

function errorMessage(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}
