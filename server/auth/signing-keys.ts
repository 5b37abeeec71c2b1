import {
	calculateJwkThumbprint,
	exportJWK,
	generateKeyPair,
	importJWK,
	type CryptoKey,
	type JWK,
	type JWTHeaderParameters,
} from "jose";
import type { Config } from "../config.js";
import type { MasterKeys } from "../privacy/master-keys.js";
import type { SigningKeyRecord, Store } from "../store/types.js";

/** The one algorithm tokens are signed and verified with: Ed25519 (RFC 8037). Nothing else is accepted. */
export const SIGNING_ALG = "EdDSA";

export interface SigningKeyRingOptions {
	store: Store;
	/**
	 * The master keys that seal each private key in the store (envelope encryption, privacy/master-keys.ts): a copy
	 * of the database alone cannot sign a token.
	 */
	secrets: MasterKeys;
	/** Unix ms. */
	clock: () => number;
	/** Age after which a fresh key takes over signing. */
	rotateAfterMs: number;
	/** How long a retired key still verifies: at least the longest token lifetime plus the clock tolerance. */
	retainMs: number;
	/** How often the ring re-reads the store, picking up keys rotated by the CLI or another process. @default 60000 */
	refreshMs?: number;
	/** Least time between two store reads caused by tokens with an unknown `kid`. @default 5000 */
	unknownKidRefreshMs?: number;
}

interface LoadedKey {
	kid: string;
	createdAt: number;
	retiredAt: number | null;
	publicJwk: JWK;
	publicKey: CryptoKey;
}

interface ActiveKey {
	kid: string;
	createdAt: number;
	privateKey: CryptoKey;
}

/** Thrown by {@link SigningKeyRing.verificationKey}; jose turns it into a failed verification. */
export class UnknownSigningKeyError extends Error {
	override readonly name = "UnknownSigningKeyError";
}

/**
 * The backend's token-signing keys, persisted in the store (so in VANTAGE_DATA_DIR).
 * - The first start generates an Ed25519 key pair; `kid` is its RFC 7638 thumbprint. The private key is stored sealed
 *   by the master keys ({@link signingKeyAad}); only the active one is opened, in memory.
 * - Rotation adds a new active key and retires the old one, which keeps verifying (and stays in the JWKS) for
 *   `retainMs`, so tokens signed just before a rotation stay valid until they expire.
 * - A key older than `rotateAfterMs` is rotated automatically on the next refresh; the store's transaction makes
 *   several processes on one data directory add a single key between them.
 *
 * @example
 * const keys = await SigningKeyRing.open({ store, secrets, clock: Date.now, rotateAfterMs: 30 * DAY, retainMs: 2 * HOUR });
 * const { kid, privateKey } = await keys.signingKey();
 */
export class SigningKeyRing {
	readonly #options: Required<SigningKeyRingOptions>;
	#keys: LoadedKey[] = [];
	#active: ActiveKey | undefined;
	#loadedAt = Number.NEGATIVE_INFINITY;
	#unknownKidLoadAt = Number.NEGATIVE_INFINITY;
	#loading: Promise<void> | undefined;

	private constructor(options: SigningKeyRingOptions) {
		this.#options = { refreshMs: 60_000, unknownKidRefreshMs: 5_000, ...options };
	}

	/** Loads the keys, creating the first one if the store has none. */
	static async open(options: SigningKeyRingOptions): Promise<SigningKeyRing> {
		const ring = new SigningKeyRing(options);
		await ring.#addKey({ unlessActiveNewerThan: Number.NEGATIVE_INFINITY });
		await ring.#reload();
		return ring;
	}

	/** The active key to sign with (refreshing from the store, and rotating, when due). */
	async signingKey(): Promise<{ kid: string; privateKey: CryptoKey }> {
		const now = this.#options.clock();
		if (now - this.#loadedAt >= this.#options.refreshMs) {
			if (this.#active && now - this.#active.createdAt >= this.#options.rotateAfterMs) {
				await this.#addKey({ unlessActiveNewerThan: now - this.#options.rotateAfterMs });
			}
			await this.#reload();
		}
		if (!this.#active) throw new Error("no active signing key");
		return { kid: this.#active.kid, privateKey: this.#active.privateKey };
	}

	/**
	 * The public key for a token's header: `kid` must name a key still within its retention, and `alg` must be
	 * the signing algorithm (jose also enforces its own allow-list; this is the second lock).
	 */
	async verificationKey(header: Pick<JWTHeaderParameters, "kid" | "alg">): Promise<CryptoKey> {
		if (header.alg !== SIGNING_ALG || typeof header.kid !== "string") {
			throw new UnknownSigningKeyError("token header has no usable kid/alg");
		}
		let key = this.#find(header.kid);
		const now = this.#options.clock();
		if (!key && now - this.#unknownKidLoadAt >= this.#options.unknownKidRefreshMs) {
			// A kid minted by another process since the last read; look once, then stop asking for a while.
			this.#unknownKidLoadAt = now;
			await this.#reload();
			key = this.#find(header.kid);
		}
		if (!key) throw new UnknownSigningKeyError("unknown kid");
		return key.publicKey;
	}

	/** The JSON Web Key Set (RFC 7517) of every key that still verifies: public parts only. */
	async jwks(): Promise<{ keys: JWK[] }> {
		if (this.#options.clock() - this.#loadedAt >= this.#options.refreshMs) await this.#reload();
		return { keys: this.#keys.filter((k) => this.#usable(k)).map((k) => ({ ...k.publicJwk })) };
	}

	/** The master keys the private keys are sealed with (the same that seal the backend's other secrets). */
	get secrets(): MasterKeys {
		return this.#options.secrets;
	}

	/** Makes a new key active now; returns its kid. */
	async rotate(): Promise<string> {
		const kid = await this.#addKey({});
		await this.#reload();
		return kid;
	}

	#find(kid: string): LoadedKey | undefined {
		return this.#keys.find((k) => k.kid === kid && this.#usable(k));
	}

	#usable(key: LoadedKey): boolean {
		return key.retiredAt === null || this.#options.clock() - key.retiredAt < this.#options.retainMs;
	}

	async #addKey(options: { unlessActiveNewerThan?: number }): Promise<string> {
		const record = await createSigningKey(this.#options.clock());
		const privateJwk = this.#options.secrets.seal(record.privateJwk, signingKeyAad(record.kid));
		await this.#options.store.addSigningKey({ ...record, privateJwk }, options);
		return record.kid;
	}

	#reload(): Promise<void> {
		this.#loading ??= (async () => {
			try {
				const records = await this.#options.store.listSigningKeys();
				const keys: LoadedKey[] = [];
				let active: ActiveKey | undefined;
				for (const record of records) {
					const publicJwk = JSON.parse(record.publicJwk) as JWK;
					keys.push({
						kid: record.kid,
						createdAt: record.createdAt,
						retiredAt: record.retiredAt,
						publicJwk,
						publicKey: (await importJWK(publicJwk, SIGNING_ALG)) as CryptoKey,
					});
					if (record.retiredAt === null && !active) {
						// Sealed by the start step (auth/secrets-at-rest.ts) if it was stored before keys were sealed.
						const privateJwk = this.#options.secrets.open(record.privateJwk, signingKeyAad(record.kid));
						const privateKey = (await importJWK(JSON.parse(privateJwk) as JWK, SIGNING_ALG)) as CryptoKey;
						active = { kid: record.kid, createdAt: record.createdAt, privateKey };
					}
				}
				this.#keys = keys;
				this.#active = active;
				this.#loadedAt = this.#options.clock();
			} finally {
				this.#loading = undefined;
			}
		})();
		return this.#loading;
	}
}

/** What a signing key's sealed private JWK is bound to (AES-GCM additional data): its own row. */
export const signingKeyAad = (kid: string) => `vantage signing key\0${kid}`;

/** Generates an Ed25519 key pair as a store record (private JWK in plain text: the ring seals it before storing); `kid` is the public key's RFC 7638 thumbprint. */
export async function createSigningKey(now: number): Promise<SigningKeyRecord> {
	const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { crv: "Ed25519", extractable: true });
	const publicJwk = await exportJWK(publicKey);
	const kid = await calculateJwkThumbprint(publicJwk);
	const privateJwk = await exportJWK(privateKey);
	const published = { ...publicJwk, kid, alg: SIGNING_ALG, use: "sig" };
	return {
		kid,
		alg: SIGNING_ALG,
		privateJwk: JSON.stringify({ ...privateJwk, kid, alg: SIGNING_ALG }),
		publicJwk: JSON.stringify(published),
		createdAt: now,
		retiredAt: null,
	};
}

const DAY_MS = 86_400_000;

/**
 * Ring options from the configuration: rotate after the configured days; keep a retired key verifying for the
 * longest token lifetime plus the clock tolerance and a minute of margin.
 */
export function signingKeyRingOptions(
	config: Pick<Config, "signingKeyRotationDays" | "tokenTtlSeconds" | "adminTokenTtlSeconds" | "clockToleranceSeconds">,
): Pick<SigningKeyRingOptions, "rotateAfterMs" | "retainMs"> {
	const longestTtl = Math.max(config.tokenTtlSeconds, config.adminTokenTtlSeconds);
	return {
		rotateAfterMs: config.signingKeyRotationDays * DAY_MS,
		retainMs: (longestTtl + config.clockToleranceSeconds + 60) * 1000,
	};
}
