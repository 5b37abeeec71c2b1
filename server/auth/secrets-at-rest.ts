// The start step that keeps the backend's secrets sealed by the master keys (privacy/master-keys.ts), run after the
// store is opened (and migrated) and before anything uses a secret:
// - a token-signing private key or digest webhook URL stored in plain text (databases written before schema version
//   12) is sealed, once;
// - a secret wrapped by VANTAGE_MASTER_KEY_PREVIOUS (a rotation in progress) is rewrapped under VANTAGE_MASTER_KEY;
// - a secret wrapped by neither key stops the start with a MasterKeyError naming the fingerprints: the wrong master
//   key is configured, and starting would only fail later (or, for signing keys, mint a fresh key and strand tokens).
import BetterSqlite3 from "better-sqlite3";
import { existsSync } from "node:fs";
import type { Logger } from "../logger.js";
import type { MasterKeys } from "../privacy/master-keys.js";
import { MasterKeyError, SealedValueError, seal, unseal, wrapAad } from "../privacy/player-keys.js";
import type { Store } from "../store/types.js";
import { digestWebhookAad } from "./security-store.js";
import { signingKeyAad } from "./signing-keys.js";
import { totpSecretAad } from "./totp.js";

/** What {@link sealSecretsAtRest} changed. */
export interface SecretsAtRestOutcome {
	/** Secrets found in plain text and sealed now. */
	sealed: number;
	/** Secrets moved from the previous master key to the current one. */
	rewrapped: number;
}

/**
 * Seals plain-text secrets, rewraps those of the previous master key, and checks every other one opens.
 * 1. a secret wrapped by a key this process does not hold → {@link MasterKeyError} (nothing is changed);
 * 2. a sealed secret that does not authenticate (altered) → {@link MasterKeyError} naming it;
 * 3. otherwise the changes are written and counted.
 *
 * @example
 * await sealSecretsAtRest(store, masterKeys, logger); // before SigningKeyRing.open
 */
export async function sealSecretsAtRest(
	store: Store,
	keys: MasterKeys,
	logger?: Logger,
): Promise<SecretsAtRestOutcome> {
	const outcome: SecretsAtRestOutcome = { sealed: 0, rewrapped: 0 };
	const plan: { what: string; write: () => Promise<unknown> }[] = [];
	const visit = (what: string, value: string, aad: string, write: (value: string) => Promise<unknown>) => {
		// 1. plain text (before schema version 12) → seal it;
		if (!keys.isSealed(value)) {
			const sealed = keys.seal(value, aad);
			plan.push({ what, write: () => write(sealed) });
			outcome.sealed++;
			return;
		}
		// 2. sealed: it must open with a key we hold (this also catches an altered row); rewrap the previous key's.
		try {
			if (keys.needsRewrap(value)) {
				const rewrapped = keys.rewrap(value, aad);
				plan.push({ what, write: () => write(rewrapped) });
				outcome.rewrapped++;
			} else keys.open(value, aad);
		} catch (error) {
			if (error instanceof MasterKeyError) throw new MasterKeyError(`${what}: ${error.message}`);
			if (error instanceof SealedValueError) {
				throw new MasterKeyError(
					`${what} does not open with the configured master key ${keys.describe()}: the row was altered, or it ` +
						"was sealed by a master key with the same fingerprint (impossible) — restore it from a backup.",
				);
			}
			throw error;
		}
	};

	for (const key of await store.listSigningKeys()) {
		visit(`The token-signing key ${key.kid}`, key.privateJwk, signingKeyAad(key.kid), (value) =>
			store.security.setSigningKeyPrivateJwk(key.kid, value),
		);
	}
	for (const totp of await store.security.listTotp()) {
		visit(`The TOTP secret of user ${totp.userId}`, totp.secret, totpSecretAad(totp.userId), (value) =>
			store.security.setTotpSecret(totp.userId, value),
		);
	}
	for (const { gameId, value } of await store.security.listStoredDigestWebhookUrls()) {
		visit(`The digest webhook URL of game ${gameId}`, value, digestWebhookAad(gameId), (sealed) =>
			store.security.setStoredDigestWebhookUrl(gameId, sealed),
		);
	}
	// Every secret was checked before the first write: a wrong key changes nothing.
	for (const step of plan) await step.write();
	if (outcome.sealed + outcome.rewrapped > 0) {
		logger?.info("secrets at rest sealed", { ...outcome, masterKeyId: keys.currentId });
	}
	return outcome;
}

/**
 * Rewraps the per-player keys of player-keys.db that the previous master key wrapped, under the current one, in
 * transactions of `batchSize` rows (the data keys themselves, and so everything they sealed, do not change). Runs
 * before the keyring is opened, which refuses keys of any other master key. Returns how many were rewrapped; a file
 * that does not exist yet has none.
 *
 * @example
 * rewrapPlayerKeyVault(join(dataDir, PLAYER_KEYS_FILE), masterKeys);
 */
export function rewrapPlayerKeyVault(path: string, keys: MasterKeys, batchSize = 1000): number {
	if (!keys.previous || !keys.previousId || (path !== ":memory:" && !existsSync(path))) return 0;
	const previous = keys.previous;
	const db = new BetterSqlite3(path);
	try {
		db.pragma("busy_timeout = 5000");
		const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'player_keys'").get();
		if (!table) return 0;
		const select = db.prepare<[string, number], { game_id: string; user_id: number; wrapped: Buffer }>(
			"SELECT game_id, user_id, wrapped FROM player_keys WHERE master_key_id = ? LIMIT ?",
		);
		const update = db.prepare<[string, Buffer, string, number, string]>(
			"UPDATE player_keys SET master_key_id = ?, wrapped = ? WHERE game_id = ? AND user_id = ? AND master_key_id = ?",
		);
		let total = 0;
		const step = db.transaction((): number => {
			const rows = select.all(keys.previousId!, batchSize);
			for (const row of rows) {
				const aad = wrapAad(row.game_id, row.user_id);
				let dataKey: Buffer;
				try {
					dataKey = unseal(previous, row.wrapped, aad);
				} catch {
					throw new MasterKeyError(
						`The key of player ${row.user_id} in game "${row.game_id}" does not unwrap with the previous master ` +
							`key ${keys.previousId} (altered row).`,
					);
				}
				update.run(keys.currentId, seal(keys.current, dataKey, aad), row.game_id, row.user_id, keys.previousId!);
			}
			return rows.length;
		});
		for (;;) {
			const n = step.immediate();
			total += n;
			if (n < batchSize) return total;
		}
	} finally {
		db.close();
	}
}
