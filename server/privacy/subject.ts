// A player's pseudonym: what the audit log and the erasure tombstones store instead of a Roblox UserId.
import { createHmac, randomBytes } from "node:crypto";
import type { Store } from "../store/types.js";

/** Name of the pseudonym key in privacy_secrets. */
const SUBJECT_SECRET = "player-subject-key";

/**
 * HMAC-SHA256(key, gameId NUL userId) in hex. Keyed, so a copy of the tables cannot be matched against UserIds by
 * hashing candidates without the key; per game, so one player's pseudonyms in two games do not link them.
 *
 * @example
 * playerSubject(key, "1234", 42); // "9f2c…" (64 hex digits)
 */
export function playerSubject(key: string, gameId: string, userId: number): string {
	return createHmac("sha256", key).update(`${gameId}\u0000${userId}`).digest("hex");
}

/**
 * The pseudonym key of this data directory, created on first use (32 random bytes) and cached per store.
 * The store keeps it in the player vault (player-keys.db, beside the players' pseudonyms and keys), not in vantage.db:
 * a copy of vantage.db alone cannot test guessed UserIds against the audit log's subjects or the tombstones. (A store
 * opened without the vault keeps it in privacy_secrets until the first start with the vault moves it.)
 */
export function subjectKey(store: Pick<Store, "privacy">): Promise<string> {
	let cached = KEYS.get(store);
	if (!cached) {
		cached = store.privacy.secret(SUBJECT_SECRET, () => randomBytes(32).toString("base64url"));
		// A failed read is not cached: the next call tries again.
		cached.catch(() => KEYS.delete(store));
		KEYS.set(store, cached);
	}
	return cached;
}

const KEYS = new WeakMap<object, Promise<string>>();

/** The pseudonym of a player of a game, with this store's key. */
export async function subjectOf(store: Pick<Store, "privacy">, gameId: string, userId: number): Promise<string> {
	return playerSubject(await subjectKey(store), gameId, userId);
}
