import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { newId } from "../ids.js";
import type { ApiKeyRecord, Store } from "../store/types.js";
import type { GameScope } from "./roles.js";

/** Every game key starts with this, so secret scanners (and people) recognise a leaked one. */
export const API_KEY_PREFIX = "vk_";

// vk_ + 26 ULID characters, a dot, 43 base64url characters (32 random bytes).
const API_KEY_PATTERN = /^(vk_[0-9A-HJKMNP-TV-Z]{26})\.([A-Za-z0-9_-]{43})$/;
const KEY_ID_PATTERN = /^vk_[0-9A-HJKMNP-TV-Z]{26}$/;

/** A key as handed to its owner exactly once, with the record that is stored. */
export interface IssuedApiKey {
	/** The full key, `vk_<id>.<secret>`: shown once, never stored. */
	key: string;
	record: ApiKeyRecord;
}

/**
 * Creates a new key for a game. The secret has 256 random bits, so a fast hash (SHA-256) is the right storage:
 * a slow password KDF adds nothing against guessing a 256-bit value and would make every token request expensive.
 *
 * @example
 * const { key, record } = generateApiKey("g1", { name: "production", scopes: ["ingest", "config"], now: Date.now() });
 * await store.insertApiKey(record);
 */
export function generateApiKey(
	gameId: string,
	options: { name: string; scopes: readonly GameScope[]; now: number },
): IssuedApiKey {
	const id = newId(API_KEY_PREFIX, options.now);
	const secret = randomBytes(32).toString("base64url");
	return {
		key: `${id}.${secret}`,
		record: {
			id,
			gameId,
			name: options.name,
			secretHash: hashSecret(secret),
			scopes: [...options.scopes],
			createdAt: options.now,
			revokedAt: null,
		},
	};
}

/** Splits `vk_<id>.<secret>` into its parts, or undefined when it does not have that exact shape. */
export function parseApiKey(raw: string): { id: string; secret: string } | undefined {
	const match = API_KEY_PATTERN.exec(raw);
	if (!match?.[1] || !match[2]) return undefined;
	return { id: match[1], secret: match[2] };
}

/** Whether `raw` has the shape of a key id (`vk_` + 26 ULID characters). */
export function isApiKeyId(raw: string): boolean {
	return KEY_ID_PATTERN.test(raw);
}

export function hashSecret(secret: string): string {
	return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(secret: string, storedHash: string): boolean {
	const presented = Buffer.from(hashSecret(secret), "hex");
	const stored = Buffer.from(storedHash, "hex");
	return presented.length === stored.length && timingSafeEqual(presented, stored);
}

// Compared against when the key id is unknown, so that answer takes as long as a wrong secret.
const UNKNOWN_KEY_HASH = hashSecret("unknown-key");

/**
 * Checks a presented key id and secret.
 * 1. unknown id → undefined (after a comparison anyway, to keep timing flat);
 * 2. secret does not match → undefined;
 * 3. revoked → undefined;
 * 4. otherwise the key's record.
 */
export async function authenticateApiKey(store: Store, id: string, secret: string): Promise<ApiKeyRecord | undefined> {
	const record = await store.getApiKey(id);
	if (!record) {
		secretMatches(secret, UNKNOWN_KEY_HASH);
		return undefined;
	}
	if (!secretMatches(secret, record.secretHash)) return undefined;
	if (record.revokedAt !== null) return undefined;
	return record;
}
