import { mkdirSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
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
import { LiveEventHub } from "./live/event-hub.js";
import { createLogger, type Logger } from "./logger.js";
import { metricsDigestKpis } from "./metrics/digest-kpis.js";
import { createMetrics } from "./metrics/metrics.js";
import { createErasure } from "./privacy/erasure.js";
import { consentSealer } from "./privacy/consent-records.js";
import { PLAYER_KEYS_FILE, PlayerKeyring } from "./privacy/player-keys.js";
import { loadMasterKeys } from "./privacy/master-keys.js";
import { rewrapPlayerKeyVault, sealSecretsAtRest } from "./auth/secrets-at-rest.js";
import { startBatchPruning, type BatchPruning } from "./ingest/batch-pruning.js";
import { registerRunningServer } from "./running-servers.js";
import { openSqliteStore } from "./store/sqlite/sqlite-store.js";
import type { Store } from "./store/types.js";

export const DATABASE_FILE = "vantage.db";

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
	// Personal fields are sealed with per-player keys kept in their own file (see privacy/player-keys.ts), wrapped by
	// the master key; a wrong master key stops the start here, before anything is written. With
	// VANTAGE_MASTER_KEY_PREVIOUS (a rotation), the keys the old master key wrapped are rewrapped first.
	const masterKeys = loadMasterKeys(config, logger);
	const playerKeysPath = join(config.dataDir, PLAYER_KEYS_FILE);
	const rewrapped = rewrapPlayerKeyVault(playerKeysPath, masterKeys);
	if (rewrapped > 0) logger.info("player keys rewrapped under the new master key", { keys: rewrapped });
	const playerKeys = PlayerKeyring.open({ path: playerKeysPath, masterKey: masterKeys.current });
	let store: Store;
	try {
		store = openSqliteStore({
			path: join(config.dataDir, DATABASE_FILE),
			consentSealer: consentSealer(playerKeys),
			// vantage.db holds pseudonyms, the vault maps them to UserIds (privacy/pseudonyms.ts).
			players: playerKeys,
			// Secrets in its tables (digest webhook URLs) are sealed by the master keys, like the signing keys.
			secrets: masterKeys,
			logger,
			onWarehouseError: (error) => logger.error("warehouse job failed", { error }),
		});
	} catch (error) {
		playerKeys.close();
		throw error;
	}

	// createAdaptorServer + listen (rather than serve()) so a bind failure rejects here instead of crashing later.
	let server: Server;
	let adaptive: AdaptiveUpdates;
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
	});
	// The dashboard's bundle (built by npm ci / npm start); without it the API still serves and / says how to build.
	let dashboardAssets: DashboardAssets | undefined;
	try {
		dashboardAssets = loadDashboardAssets();
	} catch (error) {
		logger.warn("dashboard not built", { error });
	}
	let batchPruning: BatchPruning;
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
		});
		server = createAdaptorServer({ fetch: app.fetch }) as Server;
		await new Promise<void>((resolve, reject) => {
			server.once("error", reject);
			server.listen(config.port, config.host, () => {
				server.off("error", reject);
				resolve();
			});
		});
		// Adaptive experiments' weights are recomputed hourly; timers live here, never in createApp.
		adaptive = startAdaptiveUpdates({ store, logger, clock: Date.now });
		// Each game's daily digest, checked every minute; deliveries run in the background.
		// Its guardrail section: regressions of each game's running experiments, computed in the results worker.
		const alerts = digestAlertSource({ store, analyzer: sharedResultsAnalyzer, clock: Date.now });
		digests = startDigests({ store, logger, clock: Date.now, kpis: digestKpis, alerts });
		// The batches idempotency table keeps a batchId as long as a resend could still be accepted (batch-pruning.ts).
		batchPruning = startBatchPruning({ store, logger, clock: Date.now });
		const resumed = await erasure.jobs.resume();
		if (resumed > 0) logger.info("erasure jobs resumed", { jobs: resumed });
	} catch (error) {
		await store.close();
		playerKeys.close();
		throw error;
	}

	const address = server.address() as AddressInfo;
	const url = `http://${urlHost(address.address)}:${address.port}`;
	logger.info("listening", { url, host: address.address, port: address.port, dataDir: config.dataDir });
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
			await digests.stop();
			await batchPruning.stop();
			// A running erasure finishes (or fails and is resumed next start) before the store closes under it.
			await erasure.jobs.idle();
			await store.close();
			playerKeys.close();
			logger.info("stopped", { url });
		})();
		return closing;
	};
	return { url, port: address.port, close };
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
