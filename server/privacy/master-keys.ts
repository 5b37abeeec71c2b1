// Envelope encryption of the backend's own secrets at rest (token-signing private keys, TOTP secrets, digest webhook
// URLs): each secret is
// sealed (AES-256-GCM) under a fresh 32-byte data key, and the data key is wrapped (AES-256-GCM) by the master key
// VANTAGE_MASTER_KEY — the same master key that wraps the per-player keys (player-keys.ts). A copy of vantage.db alone
// therefore holds no usable secret: whoever has it cannot sign a token or compute a second factor.
//
// Rotation without losing data: the server is given the new key as VANTAGE_MASTER_KEY and the old one as
// VANTAGE_MASTER_KEY_PREVIOUS. It opens what either key wrapped, seals new secrets with the new one, and rewraps
// everything the old one wrapped (only the data keys change, the sealed bytes stay): at start, before it listens
// (secrets-at-rest.ts), or on demand with `npm run vantage -- keys rotate-master`.
import { randomBytes } from "node:crypto";
import type { Logger } from "../logger.js";
import { MasterKeyError, SealedValueError, loadMasterKey, masterKeyId, seal, unseal } from "./player-keys.js";

/** First part of every sealed secret; a value without it was stored before secrets were sealed (plain text). */
export const SEALED_SECRET_PREFIX = "vsec1";
const DATA_KEY_BYTES = 32;

const dataKeyAad = (aad: string) => `vantage secret data key\0${aad}`;
const valueAad = (aad: string) => `vantage secret\0${aad}`;

/** The parts of a sealed secret: `vsec1.<master key id>.<wrapped data key>.<sealed value>` (base64url). */
interface SealedParts {
	masterKeyId: string;
	wrappedKey: Buffer;
	sealed: Buffer;
}

function parse(value: string): SealedParts | undefined {
	const parts = value.split(".");
	if (parts.length !== 4 || parts[0] !== SEALED_SECRET_PREFIX) return undefined;
	const [, id, wrapped, sealed] = parts as [string, string, string, string];
	if (!/^[0-9a-f]{16}$/.test(id)) return undefined;
	return { masterKeyId: id, wrappedKey: Buffer.from(wrapped, "base64url"), sealed: Buffer.from(sealed, "base64url") };
}

function format(parts: SealedParts): string {
	return [
		SEALED_SECRET_PREFIX,
		parts.masterKeyId,
		parts.wrappedKey.toString("base64url"),
		parts.sealed.toString("base64url"),
	].join(".");
}

/**
 * The configured master key and, during a rotation, the previous one. Seals with the current key; opens and rewraps
 * what either wrapped. Throws {@link MasterKeyError} naming the fingerprints when a value was wrapped by neither.
 *
 * @example
 * const keys = new MasterKeys(current, previous);
 * const stored = keys.seal(privateJwk, `signing key ${kid}`);
 * keys.open(stored, `signing key ${kid}`); // privateJwk
 */
export class MasterKeys {
	readonly current: Buffer;
	readonly previous: Buffer | undefined;
	/** {@link masterKeyId} of the current key. */
	readonly currentId: string;
	readonly previousId: string | undefined;

	constructor(current: Buffer, previous?: Buffer) {
		if (current.length !== DATA_KEY_BYTES) throw new MasterKeyError(`The master key must be ${DATA_KEY_BYTES} bytes.`);
		if (previous && previous.length !== DATA_KEY_BYTES) {
			throw new MasterKeyError(`The previous master key must be ${DATA_KEY_BYTES} bytes.`);
		}
		this.current = current;
		this.currentId = masterKeyId(current);
		const distinct = previous && masterKeyId(previous) !== this.currentId ? previous : undefined;
		this.previous = distinct;
		this.previousId = distinct && masterKeyId(distinct);
	}

	/** The key with this fingerprint, if it is the current or the previous one. */
	keyFor(id: string): Buffer | undefined {
		if (id === this.currentId) return this.current;
		if (id === this.previousId) return this.previous;
		return undefined;
	}

	/** Fingerprints of the keys this process holds, for error messages. */
	describe(): string {
		return this.previousId ? `${this.currentId} (previous: ${this.previousId})` : this.currentId;
	}

	/** Seals `plaintext` under a fresh data key wrapped by the current master key; `aad` names where it belongs. */
	seal(plaintext: string, aad: string): string {
		const dataKey = randomBytes(DATA_KEY_BYTES);
		return format({
			masterKeyId: this.currentId,
			wrappedKey: seal(this.current, dataKey, dataKeyAad(aad)),
			sealed: seal(dataKey, Buffer.from(plaintext, "utf8"), valueAad(aad)),
		});
	}

	/**
	 * The plaintext of a sealed secret.
	 * 1. not a sealed secret → {@link SealedValueError};
	 * 2. wrapped by a master key this process does not hold → {@link MasterKeyError} naming both fingerprints;
	 * 3. does not authenticate (altered, or bound to another `aad`) → {@link SealedValueError}.
	 */
	open(value: string, aad: string): string {
		const parts = parse(value);
		if (!parts) throw new SealedValueError("The secret is not sealed (plain text, or damaged).");
		const masterKey = this.keyFor(parts.masterKeyId);
		if (!masterKey) {
			throw new MasterKeyError(
				`A secret was sealed by master key ${parts.masterKeyId}, but the configured master key is ` +
					`${this.describe()}: set VANTAGE_MASTER_KEY to the key this data directory was written with ` +
					"(or, while rotating, that key as VANTAGE_MASTER_KEY_PREVIOUS).",
			);
		}
		const dataKey = unseal(masterKey, parts.wrappedKey, dataKeyAad(aad));
		return unseal(dataKey, parts.sealed, valueAad(aad)).toString("utf8");
	}

	/** Whether `value` is a sealed secret (of any master key). */
	isSealed(value: string): boolean {
		return parse(value) !== undefined;
	}

	/** Whether `value` is sealed but not by the current key (a rotation left it for {@link rewrap}). */
	needsRewrap(value: string): boolean {
		const parts = parse(value);
		return parts !== undefined && parts.masterKeyId !== this.currentId;
	}

	/**
	 * The same secret with its data key wrapped by the current master key (the sealed bytes are unchanged); a value
	 * already under the current key is returned as is. Throws as {@link open} does.
	 */
	rewrap(value: string, aad: string): string {
		const parts = parse(value);
		if (!parts) throw new SealedValueError("The secret is not sealed (plain text, or damaged).");
		if (parts.masterKeyId === this.currentId) return value;
		// Opening first proves the value authenticates before the old wrapping is thrown away.
		this.open(value, aad);
		const masterKey = this.keyFor(parts.masterKeyId)!;
		const dataKey = unseal(masterKey, parts.wrappedKey, dataKeyAad(aad));
		return format({
			masterKeyId: this.currentId,
			wrappedKey: seal(this.current, dataKey, dataKeyAad(aad)),
			sealed: parts.sealed,
		});
	}
}

/** The configuration this module reads. */
export interface MasterKeyConfig {
	masterKey: Buffer | undefined;
	previousMasterKey: Buffer | undefined;
	dataDir: string;
	/** NODE_ENV=production: a master key generated into the data directory is refused. */
	production: boolean;
}

/**
 * The master keys of this process:
 * 1. production (NODE_ENV=production) without VANTAGE_MASTER_KEY → {@link MasterKeyError}: a key generated beside the
 *    data protects nothing once the directory is copied, so a production server does not start without one;
 * 2. otherwise VANTAGE_MASTER_KEY, or the development key in `master.key` ({@link loadMasterKey}, which warns);
 * 3. with VANTAGE_MASTER_KEY_PREVIOUS, the previous key too (a rotation in progress).
 *
 * @example
 * const masterKeys = loadMasterKeys(config, logger);
 */
export function loadMasterKeys(config: MasterKeyConfig, logger: Logger): MasterKeys {
	if (config.production && !config.masterKey) {
		throw new MasterKeyError(
			"VANTAGE_MASTER_KEY is not set, and NODE_ENV is production: set it (base64 of 32 random bytes, " +
				"openssl rand -base64 32) from a secret store. Without it the server would keep its key beside the data.",
		);
	}
	if (config.previousMasterKey && !config.masterKey) {
		throw new MasterKeyError("VANTAGE_MASTER_KEY_PREVIOUS is set without VANTAGE_MASTER_KEY: set the new key too.");
	}
	const current = loadMasterKey({ configured: config.masterKey, dataDir: config.dataDir, logger });
	return new MasterKeys(current, config.previousMasterKey);
}
