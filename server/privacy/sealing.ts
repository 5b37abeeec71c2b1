// Sealing with AES-256-GCM, the one format of every value Vantage seals at rest (player data keys wrapped by the
// master key, consent details, the backend's own secrets): pure functions over buffers, shared by the SQLite keyring
// (player-keys.ts), the PostgreSQL player vault (server/store/postgres/player-vault.ts) and the master keys
// (master-keys.ts). The same bytes open in every engine, so a key moved from one vault to another opens the same values.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/** Bytes of a master key and of a data key. */
export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** First byte of every sealed value: the format (AES-256-GCM, 12-byte IV, 16-byte tag). Lets a later format coexist. */
const FORMAT_AES_256_GCM = 1;

/** The master key cannot open what it should: it is not the key this data was written with, or the data is damaged. */
export class MasterKeyError extends Error {
	override readonly name = "MasterKeyError";
}

/** A sealed value failed authentication: wrong player key, tampered or truncated bytes, or bound to another record. */
export class SealedValueError extends Error {
	override readonly name = "SealedValueError";
}

/**
 * A public fingerprint of a master key (16 hex digits of a domain-separated SHA-256): stored beside each wrapped key
 * so a wrong VANTAGE_MASTER_KEY is named as such instead of surfacing as a decryption failure.
 *
 * @example
 * masterKeyId(Buffer.alloc(32)); // "…16 hex digits…"
 */
export function masterKeyId(masterKey: Buffer): string {
	return createHash("sha256").update("vantage master key id\0").update(masterKey).digest("hex").slice(0, 16);
}

/** AES-256-GCM: format byte, IV, ciphertext, tag. `aad` binds the value to where it belongs. */
export function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
	const iv = randomBytes(IV_BYTES);
	const cipher = createCipheriv("aes-256-gcm", key, iv);
	cipher.setAAD(Buffer.from(aad, "utf8"));
	const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
	return Buffer.concat([Buffer.of(FORMAT_AES_256_GCM), iv, body, cipher.getAuthTag()]);
}

/** The inverse of {@link seal}; throws {@link SealedValueError} when the value does not authenticate. */
export function unseal(key: Buffer, sealed: Uint8Array, aad: string): Buffer {
	const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
	if (bytes.length < 1 + IV_BYTES + TAG_BYTES || bytes[0] !== FORMAT_AES_256_GCM) {
		throw new SealedValueError("The sealed value is truncated or of an unknown format.");
	}
	const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(1, 1 + IV_BYTES));
	decipher.setAAD(Buffer.from(aad, "utf8"));
	decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
	try {
		return Buffer.concat([decipher.update(bytes.subarray(1 + IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
	} catch {
		throw new SealedValueError("The sealed value does not authenticate with this key (wrong key or altered data).");
	}
}

export const wrapAad = (gameId: string, userId: number) => `vantage player key\0${gameId}\0${userId}`;
