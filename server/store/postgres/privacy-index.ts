// What the PostgreSQL metadata engine (openPostgresMetadata) and the composition need of the privacy half: its schema,
// its two sub-stores built on the engine's pool, and the player vault.
import type pg from "pg";
import type { AsyncPlayerPseudonyms } from "../../domain/players.js";
import { runMigrations, type PgMigrationOutcome } from "./migrations.js";
import { PostgresConsentStore } from "./consent-store.js";
import { PRIVACY_COMPONENT, PRIVACY_MIGRATIONS } from "./privacy-migrations.js";
import { PostgresPrivacyMetadataStore, type PrivacyVault } from "./privacy-store.js";

export { PostgresConsentStore } from "./consent-store.js";
export { PostgresPrivacyMetadataStore, type PrivacyVault } from "./privacy-store.js";
export {
	PLAYER_VAULT_COMPONENT,
	PLAYER_VAULT_MIGRATIONS,
	PRIVACY_COMPONENT,
	PRIVACY_MIGRATIONS,
} from "./privacy-migrations.js";
export {
	PlayerKeyNotLoadedError,
	PostgresPlayerVault,
	openPostgresPlayerVault,
	rewrapPostgresPlayerVault,
	type PostgresPlayerVaultOptions,
} from "./player-vault.js";

/**
 * Creates or upgrades the privacy half's tables (component "privacy"). Run it after the metadata core's migrations:
 * its tables refer to `games`, and erasures rewrite `experiments`.
 *
 * @example
 * await runMigrations(pool, "metadata", METADATA_MIGRATIONS);
 * await migratePrivacy(pool);
 */
export async function migratePrivacy(pool: pg.Pool): Promise<PgMigrationOutcome> {
	return await runMigrations(pool, PRIVACY_COMPONENT, PRIVACY_MIGRATIONS);
}

/**
 * The metadata store's `consent` and `privacy` members on the engine's pool. `players` maps UserIds to the pseudonyms
 * the rows hold: the PostgreSQL vault (openPostgresPlayerVault), a SQLite keyring, or NO_PLAYER_VAULT for a store
 * that must not map players (a CLI command). A vault with `secret` keeps the privacy secrets; else they live in
 * privacy_secrets.
 *
 * @example
 * const vault = await openPostgresPlayerVault({ pool, masterKey: masterKeys });
 * const { consent, privacy } = openPostgresPrivacy(pool, vault);
 */
export function openPostgresPrivacy(
	pool: pg.Pool,
	players: AsyncPlayerPseudonyms | PrivacyVault,
): { consent: PostgresConsentStore; privacy: PostgresPrivacyMetadataStore } {
	return { consent: new PostgresConsentStore(pool, players), privacy: new PostgresPrivacyMetadataStore(pool, players) };
}
