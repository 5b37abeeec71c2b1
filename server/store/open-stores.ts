// The one place that opens the app's Store, for every caller (the server, `npm start`'s demo seeding, the CLI): the
// embedded SQLite database by default, or PostgreSQL (metadata) + ClickHouse (events) when both URLs are configured.
import { join } from "node:path";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { ConsentSealer } from "../domain/consent.js";
import { NO_PLAYER_VAULT, type AsyncPlayerPseudonyms, type PlayerPseudonyms } from "../domain/players.js";
import type { SecretSealer } from "../domain/security.js";
import { composeStore } from "./composed-store.js";
import type { EventStore } from "./contracts.js";
import { openSqliteStore, type SqliteStoreOptions } from "./sqlite/sqlite-store.js";
import type { Store } from "./types.js";

/** The SQLite database file in VANTAGE_DATA_DIR. */
export const DATABASE_FILE = "vantage.db";

/** The configuration openStores reads (a {@link Config} has it). */
export type StoresConfig = Pick<Config, "dataDir" | "metadataUrl" | "eventsUrl" | "masterKey">;

/** What the engines are opened with, beside the configuration. */
export interface OpenStoresDeps {
	/**
	 * The player vault mapping UserIds to the pseudonyms stores hold: the SQLite keyring (answers at once) for the
	 * embedded store, PostgreSQL's (answers with Promises) on the scale path (server/player-vault.ts).
	 * @default none: player ids are refused
	 */
	players?: PlayerPseudonyms | AsyncPlayerPseudonyms;
	/** Seals consent events for their records. @default none: consent events are refused */
	consentSealer?: ConsentSealer;
	/** Seals the secrets stores keep in their tables (the master keys). @default none: stored as given */
	secrets?: SecretSealer;
	logger?: Logger;
	/**
	 * The warehouse: where SQLite's runs (worker or inline), whether the rollup job folds by itself (`autoFold`, also
	 * ClickHouse's) and who hears of its failures (`onWarehouseError`, also ClickHouse's).
	 */
	sqlite?: Pick<SqliteStoreOptions, "warehouse" | "autoFold" | "onWarehouseError">;
}

/** A configured engine could not be reached (or refused the connection) at start. */
export class StoreUnreachableError extends Error {
	override readonly name = "StoreUnreachableError";
}

/** The engine configuration is not one Vantage runs on; the message says what to change. */
export class StoreConfigError extends Error {
	override readonly name = "StoreConfigError";
}

/**
 * Opens the Store the configuration names:
 * 1. neither VANTAGE_METADATA_URL nor VANTAGE_EVENTS_URL → SQLite in `config.dataDir` (the embedded default);
 * 2. only one of them → refused: mixing SQLite with a server engine is not a deployment Vantage supports;
 * 3. both, without VANTAGE_MASTER_KEY → refused: every instance must seal and open with the same master key;
 * 4. both → PostgreSQL (metadata) and ClickHouse (events), each pinged at once: an engine that cannot be reached stops
 *    the start with its variable, host and cause (StoreUnreachableError).
 *
 * @example
 * const store = await openStores(config, { players: playerKeys, consentSealer: consentSealer(playerKeys), logger });
 */
export async function openStores(config: StoresConfig, deps: OpenStoresDeps = {}): Promise<Store> {
	const { metadataUrl, eventsUrl } = config;
	if (metadataUrl === undefined && eventsUrl === undefined) return openSqlite(config, deps);
	if (metadataUrl === undefined || eventsUrl === undefined) {
		const [set, unset] =
			metadataUrl === undefined
				? ["VANTAGE_EVENTS_URL", "VANTAGE_METADATA_URL"]
				: ["VANTAGE_METADATA_URL", "VANTAGE_EVENTS_URL"];
		throw new StoreConfigError(
			`${set} is set but ${unset} is not: set both (PostgreSQL for metadata, ClickHouse for events) or neither ` +
				`(SQLite in VANTAGE_DATA_DIR).`,
		);
	}
	if (config.masterKey === undefined) {
		throw new StoreConfigError(
			"VANTAGE_METADATA_URL and VANTAGE_EVENTS_URL need VANTAGE_MASTER_KEY: every instance must share the master key " +
				"(openssl rand -base64 32), or one instance could not open what another sealed.",
		);
	}
	schemeOf("VANTAGE_METADATA_URL", metadataUrl, ["postgres", "postgresql"]);
	schemeOf("VANTAGE_EVENTS_URL", eventsUrl, ["clickhouse"]);

	// Loaded first and outside `reach`: a missing engine module is a broken install, not an unreachable server.
	// Loaded only here: an embedded deployment never loads pg or @clickhouse/client.
	const { openPostgresMetadata } = await import("./postgres/index.js");
	const { openClickHouseEvents } = await import("./clickhouse/index.js");
	const { clickHouseWarehouse } = await import("./clickhouse/warehouse.js");
	const players = deps.players ?? NO_PLAYER_VAULT;
	const metadata = await reach("VANTAGE_METADATA_URL", metadataUrl, "PostgreSQL", () =>
		openPostgresMetadata({
			url: metadataUrl,
			players,
			...(deps.secrets ? { secrets: deps.secrets } : {}),
			...(deps.logger ? { logger: deps.logger } : {}),
		}),
	);
	try {
		const events: EventStore = await reach("VANTAGE_EVENTS_URL", eventsUrl, "ClickHouse", () =>
			openClickHouseEvents({
				url: eventsUrl,
				players,
				consent: deps.consentSealer && {
					sealer: deps.consentSealer,
					appendRecords: (records) => metadata.consent.appendRecords(records),
				},
				settings: (gameId) => metadata.getGameSettings(gameId),
				listSettings: () => metadata.listGameSettings(),
				// A batch is stored by one instance at a time, and answered from the ledger when resent (exactly-once).
				batches: metadata.batches,
				// Rollups, metrics and experiment units on the shards; the fold job runs on the instance holding its lease.
				warehouse: clickHouseWarehouse({
					autoFold: deps.sqlite?.autoFold !== false,
					leases: metadata.leases,
					onError: deps.sqlite?.onWarehouseError,
				}),
				...(deps.logger ? { logger: deps.logger } : {}),
			}),
		);
		return composeStore({
			metadata,
			events,
			...(deps.consentSealer ? { consentSealer: deps.consentSealer } : {}),
		});
	} catch (error) {
		await metadata.close().catch(() => {});
		throw error;
	}
}

/** The lease an instance holds while it stores a batch. */

/** Today's embedded store: one SQLite database holding both halves. */
function openSqlite(config: StoresConfig, deps: OpenStoresDeps): Store {
	const options: SqliteStoreOptions = { path: join(config.dataDir, DATABASE_FILE), ...deps.sqlite };
	// The embedded store maps players inside its write transaction, so its vault must answer at once (the SQLite keyring
	// does; server/player-vault.ts opens that one whenever the engines are SQLite).
	if (deps.players) options.players = deps.players as PlayerPseudonyms;
	if (deps.consentSealer) options.consentSealer = deps.consentSealer;
	if (deps.secrets) options.secrets = deps.secrets;
	if (deps.logger) options.logger = deps.logger;
	return openSqliteStore(options);
}

/** The scheme of an engine URL, checked (the config checked it too; this keeps openStores safe on its own). */
function schemeOf(variable: string, url: string, schemes: readonly string[]): string {
	const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
	if (scheme === undefined || !schemes.includes(scheme)) {
		throw new StoreConfigError(
			`${variable}: unknown scheme "${scheme ?? ""}": use ${schemes.map((s) => `${s}://`).join(" or ")}.`,
		);
	}
	return scheme;
}

/**
 * The hosts of an engine URL as `host:port`, without user or password (it goes into error messages and logs).
 *
 * @example
 * urlHosts("clickhouse://u:p@ch1:8123,ch2:8123/db"); // "ch1:8123,ch2:8123"
 */
export function urlHosts(url: string): string {
	const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url)?.[1] ?? "";
	return authority.slice(authority.lastIndexOf("@") + 1);
}

/** Opens an engine and pings it; any failure becomes a StoreUnreachableError naming the variable, host and cause. */
async function reach<T extends { ping(): Promise<void>; close(): Promise<void> }>(
	variable: string,
	url: string,
	engine: string,
	open: () => Promise<T>,
): Promise<T> {
	let opened: T | undefined;
	try {
		opened = await open();
		await opened.ping();
		return opened;
	} catch (error) {
		await opened?.close().catch(() => {});
		const cause = error instanceof Error ? error.message : String(error);
		// The engines' own errors may say so already ("cannot reach PostgreSQL at db:5432: …"): not twice.
		const detail = cause.startsWith(`cannot reach ${engine} at `)
			? cause
			: `cannot reach ${engine} at ${urlHosts(url)}: ${cause}`;
		throw new StoreUnreachableError(`${variable}: ${detail}`, {
			cause: error,
		});
	}
}
