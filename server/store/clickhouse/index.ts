// The ClickHouse event engine (VANTAGE_EVENTS_URL=clickhouse://…): what openStores (server/store/open-stores.ts), the
// migration tool and the benchmarks load. Loaded only on the scale path, so an embedded deployment never loads the
// ClickHouse client.
import type { Logger } from "../../logger.js";
import type { AsyncPlayerPseudonyms } from "../../domain/players.js";
import type { BatchLedger } from "../contracts.js";
import type { GameSettings } from "../types.js";
import { checkClusterLayout, closeShards, openShardClients, pingShards, type ShardClientOptions } from "./client.js";
import {
	ClickHouseEventStore,
	type ClickHouseConsent,
	type ClickHouseContext,
	type ClickHouseTestHooks,
	type ClickHouseWarehouseParts,
} from "./events-store.js";
import { migrateClickHouse, type ClickHouseMigration } from "./schema.js";
import { parseClickHouseUrl } from "./url.js";

export {
	ClickHouseEventStore,
	EventsUnavailableError,
	NoWarehouseError,
	type ClickHouseConsent,
	type ClickHouseContext,
	type ClickHouseTestHooks,
	type ClickHouseWarehouseParts,
} from "./events-store.js";
export { ClickHouseUnreachableError, type ClickHouseShard } from "./client.js";
export { ClickHouseWarehouse, clickHouseWarehouse, type ClickHouseWarehouseOptions } from "./warehouse.js";
export {
	ClickHouseSchemaError,
	EVENT_MIGRATIONS,
	migrateClickHouse,
	tableNames,
	type ClickHouseMigration,
	type SchemaContext,
	type TableNames,
} from "./schema.js";
export { ClickHouseUrlError, parseClickHouseUrl, redactClickHouseUrl, type ClickHouseTarget } from "./url.js";

export interface OpenClickHouseEventsOptions {
	/** VANTAGE_EVENTS_URL: `clickhouse://host:port[,host:port…]/database?cluster=<name>[&user=&password=]`. */
	url: string;
	/** The player vault (pseudonyms); shared by every instance on the scale path (the PostgreSQL vault). */
	players: AsyncPlayerPseudonyms;
	/** Seals consent events and appends their records to the metadata store. @default none: consent events refused */
	consent?: ClickHouseConsent | undefined;
	/** A game's settings (time zone, retention), from the metadata store. */
	settings: (gameId: string) => Promise<GameSettings>;
	/** Every game's stored settings, from the metadata store. */
	listSettings: () => Promise<GameSettings[]>;
	/**
	 * The claims and answers of batches, shared by every instance: the metadata store's ledger (PostgreSQL's
	 * `metadata.batches`). A batch is stored by one instance at a time, and a resent batchId gets its first answer.
	 */
	batches: BatchLedger;
	/**
	 * Makes the warehouse (rollups, metric queries, experiment units) on the same shards, with its migrations (run with
	 * the events core's): `clickHouseWarehouse({ autoFold: true, leases })` (warehouse.ts). @default none: warehouse
	 * calls are refused (NoWarehouseError), for tools that only move raw events
	 */
	warehouse?:
		| {
				migrations: readonly ClickHouseMigration[];
				open: (context: ClickHouseContext) => ClickHouseWarehouseParts;
		  }
		| undefined;
	/** Per-shard HTTP client settings. @default request timeout 20 s, 16 sockets per shard */
	client?: ShardClientOptions | undefined;
	/** This instance's name in batch claims. @default a random UUID */
	instanceId?: string | undefined;
	/** How long a batch another instance is storing is waited for before answering 503. @default 2000 */
	claimWaitMs?: number | undefined;
	/** How long a batch claim holds (an instance that dies holding one delays that batch this long). @default 60000 */
	claimTtlMs?: number | undefined;
	logger?: Logger | undefined;
	/** Fault injection (tests only). */
	testHooks?: ClickHouseTestHooks | undefined;
}

/**
 * Opens the ClickHouse event store:
 * 1. parses the URL (a bad one throws a ClickHouseUrlError saying what is wrong);
 * 2. pings every shard: an unreachable one rejects with a ClickHouseUnreachableError naming its host:port and the
 *    cause (nothing is left open);
 * 3. with a cluster, checks the hosts are listed in the cluster's shard order;
 * 4. creates the database and tables on every shard (versioned, idempotent: schema.ts), the warehouse's included.
 *
 * @example
 * const events = await openClickHouseEvents({
 * 	url: process.env.VANTAGE_EVENTS_URL!,
 * 	players: vault,
 * 	consent: { sealer, appendRecords: (records) => metadata.consent.appendRecords(records) },
 * 	settings: (gameId) => metadata.getGameSettings(gameId),
 * 	listSettings: () => metadata.listGameSettings(),
 * 	batches: metadata.batches,
 * 	warehouse: clickHouseWarehouse({ autoFold: true, leases: metadata.leases }),
 * });
 */
export async function openClickHouseEvents(options: OpenClickHouseEventsOptions): Promise<ClickHouseEventStore> {
	const target = parseClickHouseUrl(options.url);
	const shards = openShardClients(target, options.client);
	try {
		await pingShards(shards);
		if (target.cluster !== undefined) await checkClusterLayout(shards, target.cluster);
		const ran = await migrateClickHouse(shards, target, options.warehouse?.migrations ?? []);
		if (ran.some((versions) => versions.length > 0)) {
			options.logger?.info("clickhouse schema migrated", { database: target.database, versions: ran });
		}
		return new ClickHouseEventStore({
			target,
			shards,
			players: options.players,
			consent: options.consent,
			settings: options.settings,
			listSettings: options.listSettings,
			batches: options.batches,
			warehouse: options.warehouse?.open,
			instanceId: options.instanceId,
			claimWaitMs: options.claimWaitMs,
			claimTtlMs: options.claimTtlMs,
			logger: options.logger,
			testHooks: options.testHooks,
		});
	} catch (error) {
		await closeShards(shards);
		throw error;
	}
}
