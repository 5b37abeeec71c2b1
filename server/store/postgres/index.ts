// The PostgreSQL metadata engine (VANTAGE_METADATA_URL=postgres://…): what openStores (server/store/open-stores.ts)
// and the migration tool load. Loaded only on the scale path, so an embedded deployment never loads pg.
import type { SecretSealer } from "../../domain/security.js";
import type { Logger } from "../../logger.js";
import { NO_PLAYER_VAULT, type AsyncPlayerPseudonyms } from "../../domain/players.js";
import { METADATA_MIGRATIONS } from "./metadata-migrations.js";
import { PostgresMetadataStore } from "./metadata-store.js";
import { runMigrations } from "./migrations.js";
import { PREDICTION_COMPONENT, PREDICTION_MIGRATIONS, PostgresPredictionStore } from "./prediction-store.js";
import { openPool, ping, postgresTarget } from "./pool.js";
import { PRIVACY_COMPONENT, PRIVACY_MIGRATIONS } from "./privacy-migrations.js";
import { openPostgresPrivacy, type PrivacyVault } from "./privacy-index.js";

export { PostgresMetadataStore } from "./metadata-store.js";
export { METADATA_MIGRATIONS } from "./metadata-migrations.js";
export { runMigrations, PgSchemaTooNewError, PgMigrationMismatchError, type PgMigration } from "./migrations.js";
export { openPool, ping, transaction, postgresTarget, type PgPoolOptions } from "./pool.js";
// The privacy half's pieces (helper C's), so openStores and the migration tool load one module.
export {
	migratePrivacy,
	openPostgresPlayerVault,
	openPostgresPrivacy,
	PostgresPlayerVault,
	type PostgresPlayerVaultOptions,
	type PrivacyVault,
} from "./privacy-index.js";

/** The component name of the metadata core's migrations in schema_versions. */
export const METADATA_COMPONENT = "metadata";

export interface OpenPostgresMetadataOptions {
	/** `postgres://user:password@host:port/database` (VANTAGE_METADATA_URL). */
	url: string;
	/** Seals the secrets the store keeps in its tables (the master keys). @default none: stored as given (tests) */
	secrets?: SecretSealer;
	/** Told of migrations applied and of dropped idle connections. @default none */
	logger?: Logger;
	/** Connections of this instance's pool. @default 10 */
	poolSize?: number;
	/**
	 * The player vault mapping UserIds to the pseudonyms consent records and erasure jobs hold (a PostgreSQL vault on
	 * the scale path: openPostgresPlayerVault). @default none: calls naming a player are refused (NoPlayerVaultError)
	 */
	players?: AsyncPlayerPseudonyms | PrivacyVault;
}

/** PostgreSQL could not be reached (or refused us) at start; the message names host:port and the cause. */
export class PostgresUnreachableError extends Error {
	override readonly name = "PostgresUnreachableError";
}

/**
 * Opens the metadata store on PostgreSQL:
 * 1. opens a pool and pings the server: an unreachable server rejects with a {@link PostgresUnreachableError} naming
 *    host:port and the cause (and nothing is left open);
 * 2. migrates the metadata core ("metadata"), then the privacy half ("privacy", whose tables refer to the core's),
 *    each step once however many instances start at once;
 * 3. returns the store; `close()` ends the pool.
 *
 * @example
 * const metadata = await openPostgresMetadata({ url: process.env.VANTAGE_METADATA_URL!, secrets: masterKeys });
 */
export async function openPostgresMetadata(options: OpenPostgresMetadataOptions): Promise<PostgresMetadataStore> {
	const target = postgresTarget(options.url);
	const logger = options.logger?.child({ engine: "postgres", target });
	const pool = openPool({
		url: options.url,
		...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
		onIdleError: (error) => logger?.warn("postgres connection lost", { error: error.message }),
	});
	try {
		try {
			await ping(pool);
		} catch (error) {
			throw new PostgresUnreachableError(`cannot reach PostgreSQL at ${target}: ${causeOf(error)}`, { cause: error });
		}
		for (const [component, migrations] of [
			[METADATA_COMPONENT, METADATA_MIGRATIONS],
			[PRIVACY_COMPONENT, PRIVACY_MIGRATIONS],
			[PREDICTION_COMPONENT, PREDICTION_MIGRATIONS],
		] as const) {
			const outcome = await runMigrations(pool, component, migrations);
			if (outcome.applied.length > 0) logger?.info("postgres schema migrated", { component, ...outcome });
		}
		const players = options.players ?? NO_PLAYER_VAULT;
		return new PostgresMetadataStore(
			pool,
			{ ...openPostgresPrivacy(pool, players), predictions: new PostgresPredictionStore(pool, players) },
			options.secrets ? { secrets: options.secrets } : {},
		);
	} catch (error) {
		await pool.end().catch(() => {});
		throw error;
	}
}

/**
 * A connection error's cause in words. Node reports a refused connection to a name with several addresses (localhost:
 * ::1 and 127.0.0.1) as an AggregateError whose own message is empty: its parts say what happened.
 */
function causeOf(error: unknown): string {
	if (error instanceof AggregateError && error.errors.length > 0) {
		return error.errors.map((part: unknown) => causeOf(part)).join("; ");
	}
	if (error instanceof Error) {
		if (error.message) return error.message;
		const code = (error as { code?: unknown }).code;
		if (typeof code === "string") return code;
	}
	return String(error);
}
