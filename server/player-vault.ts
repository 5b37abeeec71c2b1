// The player vault of a deployment (privacy/pseudonyms.ts): where UserIds map to the pseudonyms the stores hold and
// where each player's data key lives. The embedded deployment keeps it in player-keys.db beside vantage.db; the scale
// path keeps it in PostgreSQL (store/postgres/player-vault.ts), so every instance gives a player the same pseudonym,
// seals with the same key and sees a shredded key gone. Opened before the stores, which map players through it.
import { join } from "node:path";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";
import type { AsyncPlayerPseudonyms, PlayerPseudonyms } from "./privacy/pseudonyms.js";
import type { ConsentSealer } from "./privacy/consent-store.js";
import { consentSealer, consentSealerAsync, type ConsentKeys } from "./privacy/consent-records.js";
import type { MasterKeys } from "./privacy/master-keys.js";
import { PLAYER_KEYS_FILE, PlayerKeyring } from "./privacy/player-keys.js";
import { rewrapPlayerKeyVault } from "./auth/secrets-at-rest.js";

/** What the server needs of its vault. */
export interface DeploymentVault {
	/** For the stores: UserId ↔ pseudonym (the SQLite keyring answers at once, PostgreSQL's with Promises). */
	players: PlayerPseudonyms | AsyncPlayerPseudonyms;
	/** Seals consent events for their records with the players' keys. */
	consentSealer: ConsentSealer;
	/** For the consent and export routes (open records) and erasure (shred the key). */
	keys: ConsentKeys & { shred(gameId: string, userId: number): boolean | Promise<boolean> };
	close(): Promise<void>;
}

/**
 * Opens the deployment's vault: PostgreSQL's when VANTAGE_METADATA_URL is set, else player-keys.db in the data
 * directory. With VANTAGE_MASTER_KEY_PREVIOUS (a rotation) the keys the old master key wrapped are rewrapped first; a
 * vault written under another master key stops the start here, before anything is written.
 *
 * @example
 * const vault = await openDeploymentVault(config, masterKeys, logger);
 * const store = await openStores(config, { players: vault.players, consentSealer: vault.consentSealer });
 */
export async function openDeploymentVault(
	config: Pick<Config, "dataDir" | "metadataUrl">,
	masterKeys: MasterKeys,
	logger: Logger,
): Promise<DeploymentVault> {
	if (config.metadataUrl !== undefined) {
		// Loaded only here: an embedded deployment never loads pg.
		const { openPostgresPlayerVault } = await import("./store/postgres/player-vault.js");
		const vault = await openPostgresPlayerVault({ url: config.metadataUrl, masterKey: masterKeys });
		return {
			players: vault,
			consentSealer: consentSealerAsync(vault),
			keys: vault,
			close: () => vault.close(),
		};
	}
	const path = join(config.dataDir, PLAYER_KEYS_FILE);
	const rewrapped = rewrapPlayerKeyVault(path, masterKeys);
	if (rewrapped > 0) logger.info("player keys rewrapped under the new master key", { keys: rewrapped });
	const keyring = PlayerKeyring.open({ path, masterKey: masterKeys.current });
	return {
		players: keyring,
		consentSealer: consentSealer(keyring),
		keys: keyring,
		close: async () => keyring.close(),
	};
}
