import { mkdirSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { createApp } from "./app.js";
import { SigningKeyRing, signingKeyRingOptions } from "./auth/signing-keys.js";
import type { Config } from "./config.js";
import { loadDashboardAssets, type DashboardAssets } from "./dashboard/assets.js";
import type { DigestKpiSource } from "./digest/payload.js";
import { startDigests, type Digests } from "./digest/scheduler.js";
import { digestAlertSource } from "./experiments/alerts.js";
import { sharedResultsAnalyzer } from "./experiments/results-analyzer.js";
import { startAdaptiveUpdates, type AdaptiveUpdates } from "./experiments/adaptive.js";
import { startPredictionJob, type PredictionJob } from "./predict/job.js";
import { digestAnomalySource } from "./predict/predictions.js";
import { LiveEventHub } from "./live/event-hub.js";
import { createLogger, type Logger } from "./logger.js";
import { metricsDigestKpis } from "./metrics/digest-kpis.js";
import { createMetrics } from "./metrics/metrics.js";
import { createErasure, ERASURE_LEASE_TTL_MS } from "./privacy/erasure.js";
import { ERASURE_TOMBSTONE_REFRESH_MS } from "./privacy/erasure-guard.js";
import { loadMasterKeys } from "./privacy/master-keys.js";
import { sealSecretsAtRest } from "./auth/secrets-at-rest.js";
import { batchIdempotencyMs, startBatchPruning, type BatchPruning } from "./ingest/batch-pruning.js";
import { registerRunningServer } from "./running-servers.js";
import { JobLeases, newInstanceId } from "./shared-state/job-leases.js";
import { openSharedRedis, type SharedRedis } from "./shared-state/redis.js";
import { openStores } from "./store/open-stores.js";
import { openDeploymentVault } from "./player-vault.js";
import type { Store } from "./store/types.js";

export { DATABASE_FILE } from "./store/open-stores.js";

export interface StartServerOptions {
	/** @default a JSON-lines logger on stdout at `config.logLevel` */
	logger?: Logger;
	/** How long close() lets in-flight requests finish before cutting connections. @default 10000 */
	shutdownGraceMs?: number;
	/**
	 * Where this server records its data directory and URL while it runs, so the CLI can warn when it opens another
	 * directory (running-servers.ts). @default defaultRunDir() (per user, in the OS temp directory)
	 */
	runDir?: string;
}

export interface RunningServer {
	/** Base URL to reach the server, e.g. `http://127.0.0.1:54321`. */
	url: string;
	/** The port actually bound (useful with PORT=0). */
	port: number;
	/** Stops accepting connections, waits for in-flight requests (up to the grace period), closes the store. */
	close(): Promise<void>;
	/**
	 * Trains now every game whose predictions are due (none yet, or a day old), as the daily job would; resolves with
	 * the games trained (none while another instance holds the job's lease). `npm start` calls it once the demo's
	 * history is seeded, so the Predictions page has models without waiting for the job's next look.
	 */
	trainDuePredictions(): Promise<string[]>;
}

/**
 * Opens the store in `config.dataDir` and serves the app on `config.host:config.port`.
 *
 * @example
 * const server = await startServer(loadConfig({ PORT: "0", VANTAGE_DATA_DIR: tmp }));
 * await fetch(`${server.url}/healthz`);
 * await server.close();
 */
export async function startServer(config: Config, options: StartServerOptions = {}): Promise<RunningServer> {
	const logger = options.logger ?? createLogger({ level: config.logLevel });
	mkdirSync(config.dataDir, { recursive: true });
	// Personal fields are sealed with per-player keys kept in the player vault (player-keys.db, or PostgreSQL on the
	// scale path: see player-vault.ts), wrapped by the master key; a wrong master key stops the start here, before
	// anything is written. With VANTAGE_MASTER_KEY_PREVIOUS (a rotation), the old master key's keys are rewrapped first.
	const masterKeys = loadMasterKeys(config, logger);
	const vault = await openDeploymentVault(config, masterKeys, logger);
	const playerKeys = vault.keys;
	let store: Store;
	try {
		// SQLite in the data directory, or PostgreSQL + ClickHouse when configured (store/open-stores.ts).
		store = await openStores(config, {
			consentSealer: vault.consentSealer,
			// The stores hold pseudonyms, the vault maps them to UserIds (privacy/pseudonyms.ts).
			players: vault.players,
			// Secrets in their tables (digest webhook URLs) are sealed by the master keys, like the signing keys.
			secrets: masterKeys,
			logger,
			sqlite: { onWarehouseError: (error) => logger.error("warehouse job failed", { error }) },
		});
	} catch (error) {
		await vault.close();
		throw error;
	}

	// createAdaptorServer + listen (rather than serve()) so a bind failure rejects here instead of crashing later.
	let server: Server;
	let adaptive: AdaptiveUpdates;
	let predictions: PredictionJob;
	let digests: Digests;
	// The daily digest's KPIs (the metrics engine's overview of the day), shared by the scheduler and the admin API's
	// test send.
	const digestKpis: DigestKpiSource = metricsDigestKpis(store, Date.now);
	// The live event stream's publisher: closed first at shutdown, so open dashboards' streams end and do not hold it.
	const liveEvents = new LiveEventHub();
	// Erasure jobs run in the background; jobs a previous process left unfinished are resumed once listening.
	const erasure = createErasure({
		store,
		clock: Date.now,
		logger,
		shredPlayerKey: (gameId, userId) => playerKeys.shred(gameId, userId),
		// Where several instances may ingest (shared Redis or a server engine), an erasure waits until every instance's
		// guard has read the new tombstone and stored what it had admitted before (privacy/erasure-guard.ts).
		peerWaitMs:
			config.redisUrl !== undefined || config.metadataUrl !== undefined ? ERASURE_TOMBSTONE_REFRESH_MS + 5_000 : 0,
	});
	// The dashboard's bundle (built by npm ci / npm start); without it the API still serves and / says how to build.
	let dashboardAssets: DashboardAssets | undefined;
	try {
		dashboardAssets = loadDashboardAssets();
	} catch (error) {
		logger.warn("dashboard not built", { error });
	}
	let batchPruning: BatchPruning;
	let stopErasureSweeps = (): void => {};
	// Several instances may run on one deployment: each is one holder of the background jobs' leases, and with
	// VANTAGE_REDIS_URL they share the rate limits. Redis is connected in the background; losing it never stops a
	// request (shared-state/redis.ts).
	const instanceId = newInstanceId();
	const sharedRedis: SharedRedis | undefined =
		config.redisUrl === undefined ? undefined : openSharedRedis({ url: config.redisUrl, logger });
	const jobLeases = new JobLeases({ leases: store.leases, instanceId, ttlMs: config.jobLeaseMs, logger });
	try {
		// Secrets kept in the database are sealed by the master keys: plain-text ones (databases from before schema 14)
		// are sealed now, the previous master key's rewrapped; one no configured key opens stops the start here.
		await sealSecretsAtRest(store, masterKeys, logger);
		// The first start generates the token-signing key (kept in the database, sealed, inside VANTAGE_DATA_DIR).
		const keys = await SigningKeyRing.open({
			store,
			secrets: masterKeys,
			clock: Date.now,
			...signingKeyRingOptions(config),
		});
		const app = createApp({
			store,
			config,
			logger,
			keys,
			metrics: createMetrics({ processMetrics: true }),
			digestKpis,
			dashboardAssets,
			liveEvents,
			erasure,
			playerKeys,
			...(sharedRedis ? { sharedRedis } : {}),
		});
		server = createAdaptorServer({ fetch: app.fetch }) as Server;
		await new Promise<void>((resolve, reject) => {
			server.once("error", reject);
			server.listen(config.port, config.host, () => {
				server.off("error", reject);
				resolve();
			});
		});
		// The jobs below that must run once across instances run where their lease is held (shared-state/job-leases.ts);
		// the first round of leases is taken before they start.
		const adaptiveLease = jobLeases.lease("adaptive-updates");
		const pruningLease = jobLeases.lease("batch-pruning");
		const predictionLease = jobLeases.lease("predictions");
		await jobLeases.start();
		// Adaptive experiments' weights are recomputed hourly; timers live here, never in createApp.
		adaptive = startAdaptiveUpdates({
			store,
			logger,
			clock: Date.now,
			lease: adaptiveLease,
		});
		// Each game's daily digest, checked every minute; deliveries run in the background.
		// Its guardrail section: regressions of each game's running experiments, computed in the results worker.
		const alerts = digestAlertSource({ store, analyzer: sharedResultsAnalyzer, clock: Date.now });
		// Its anomaly section: the KPIs the daily prediction run judged anomalous that day (server/predict).
		digests = startDigests({
			store,
			logger,
			clock: Date.now,
			kpis: digestKpis,
			alerts,
			anomalies: digestAnomalySource(store),
		});
		// Churn, purchase, LTV, recommendations and KPI anomalies: every game with events trained once a day.
		predictions = startPredictionJob({ store, logger, clock: Date.now, lease: predictionLease, playerKeys });
		// The batches idempotency table keeps a batchId as long as a resend could still be accepted; the scale path's
		// batch ledger (PostgreSQL), a day: its ingest dedups by event id beyond that (batch-pruning.ts).
		batchPruning = startBatchPruning({
			store,
			logger,
			clock: Date.now,
			lease: pruningLease,
			keepMs: batchIdempotencyMs(config),
		});
		const resumed = await erasure.jobs.resume();
		if (resumed > 0) logger.info("erasure jobs resumed", { jobs: resumed });
		// A job whose instance died while running it is taken over once its lease expires (privacy/erasure.ts).
		stopErasureSweeps = erasure.jobs.resumeEvery(ERASURE_LEASE_TTL_MS);
	} catch (error) {
		await jobLeases.stop();
		await sharedRedis?.close();
		await store.close();
		await vault.close();
		throw error;
	}

	const address = server.address() as AddressInfo;
	const url = `http://${urlHost(address.address)}:${address.port}`;
	logger.info("listening", { url, host: address.address, port: address.port, dataDir: config.dataDir, instanceId });
	const unregister = registerRunningServer(
		{ dataDir: config.dataDir, url, port: address.port },
		options.runDir === undefined ? {} : { runDir: options.runDir },
	);

	let closing: Promise<void> | undefined;
	const close = (): Promise<void> => {
		closing ??= (async () => {
			unregister();
			liveEvents.close();
			await stopServer(server, options.shutdownGraceMs ?? 10_000);
			await adaptive.stop();
			await predictions.stop();
			await digests.stop();
			await batchPruning.stop();
			// Released only once the jobs have stopped, so another instance takes them over without overlap.
			await jobLeases.stop();
			await sharedRedis?.close();
			// A running erasure finishes (or fails and is resumed next start) before the store closes under it.
			stopErasureSweeps();
			await erasure.jobs.idle();
			await store.close();
			await vault.close();
			logger.info("stopped", { url });
		})();
		return closing;
	};
	return { url, port: address.port, close, trainDuePredictions: () => predictions.runOnce() };
}

function stopServer(server: Server, graceMs: number): Promise<void> {
	return new Promise((resolve, reject) => {
		const force = setTimeout(() => server.closeAllConnections(), graceMs);
		force.unref();
		server.close((error) => {
			clearTimeout(force);
			if (error) reject(error);
			else resolve();
		});
		// Keep-alive sockets with no request in flight would otherwise hold close() open until they time out.
		server.closeIdleConnections();
	});
}

// A wildcard bind is reachable on loopback; IPv6 literals need brackets in URLs.
function urlHost(address: string): string {
	if (address === "0.0.0.0") return "127.0.0.1";
	if (address === "::") return "[::1]";
	return address.includes(":") ? `[${address}]` : address;
}
