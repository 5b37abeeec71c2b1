import { randomUUID } from "node:crypto";
import { SignJWT, jwtVerify, type JWTPayload } from "jose";
import { z } from "zod";
import type { AdminUser, ApiKeyRecord } from "../store/types.js";
import { GAME_SCOPES, type GameScope } from "./roles.js";
import { SIGNING_ALG, type SigningKeyRing } from "./signing-keys.js";

/** Verified tokens remembered at most (one per game server and admin session is the usual load). */
const MAX_VERIFIED_TOKENS = 10_000;

/** `aud` of tokens for game servers (ingest, config). */
export const GAME_AUDIENCE = "vantage-api";
/** `aud` of tokens for dashboard/admin users: a game token can never pass as an admin token or the reverse. */
export const ADMIN_AUDIENCE = "vantage-admin";
/** JWT `typ` of access tokens (RFC 9068 §2.1), checked on verify so no other kind of JWT passes. */
export const ACCESS_TOKEN_TYPE = "at+jwt";

export interface TokenServiceOptions {
	keys: SigningKeyRing;
	issuer: string;
	/** Unix ms. */
	clock: () => number;
	gameTtlSeconds: number;
	adminTtlSeconds: number;
	/** At most 30. */
	clockToleranceSeconds: number;
}

export interface IssuedToken {
	token: string;
	expiresIn: number;
}

/** What a verified game token says. */
export interface GameTokenClaims {
	gameId: string;
	keyId: string;
	scopes: GameScope[];
	tokenId: string;
}

/** What a verified admin token says: who. What they may do is read from the store by the middleware per request. */
export interface AdminTokenClaims {
	userId: string;
	tokenId: string;
	/** The login session the token belongs to (admin_sessions): the token is refused once the session is revoked. */
	sessionId: string;
}

/** The token failed verification; `reason` is for logs only, never for the client. */
export class InvalidTokenError extends Error {
	override readonly name = "InvalidTokenError";
	constructor(readonly reason: string) {
		super(`invalid token: ${reason}`);
	}
}

const scopeClaim = z
	.string()
	.max(256)
	.transform((value) => value.split(" ").filter(Boolean))
	.pipe(z.array(z.enum(GAME_SCOPES)));

const gameClaims = z.object({
	sub: z.string().min(1).max(64),
	client_id: z.string().min(1).max(64),
	scope: scopeClaim,
	jti: z.string().min(1).max(64),
});

const adminClaims = z.object({
	sub: z.string().min(1).max(64),
	jti: z.string().min(1).max(64),
	sid: z.string().min(1).max(128),
});

/**
 * Signs and verifies access tokens (RFC 9068 profile): `iss`, `aud`, `sub`, `iat`, `exp`, `jti`, header
 * `typ: at+jwt`, `kid` and `alg: EdDSA`. Verification allows only EdDSA, requires every registered claim, and
 * tolerates at most 30 s of clock skew.
 *
 * @example
 * const { token } = await tokens.issueGameToken(keyRecord, ["ingest"]);
 * const claims = await tokens.verifyGameToken(token);
 */
export class TokenService {
	readonly #options: TokenServiceOptions;
	/**
	 * Tokens whose signature and claims were verified, with the time (unix ms) until which they stay valid. A game
	 * server sends the same token with every batch for its whole lifetime; checking an Ed25519 signature once per
	 * token instead of once per request saves a few percent of ingest CPU. Revocation is not cached: the middleware
	 * re-reads the key (or user) on every request.
	 */
	readonly #verified = new Map<string, { payload: JWTPayload; validUntil: number }>();

	constructor(options: TokenServiceOptions) {
		if (options.clockToleranceSeconds > 30) throw new Error("clock tolerance above 30 s");
		this.#options = options;
	}

	issueGameToken(key: ApiKeyRecord, scopes: readonly GameScope[]): Promise<IssuedToken> {
		return this.#sign(
			{ client_id: key.id, scope: scopes.join(" ") },
			key.gameId,
			GAME_AUDIENCE,
			this.#options.gameTtlSeconds,
		);
	}

	/** An admin token of the login session `sessionId` (stored by the caller; see auth/sessions-routes.ts). */
	issueAdminToken(user: AdminUser, sessionId: string): Promise<IssuedToken> {
		return this.#sign({ sid: sessionId }, user.id, ADMIN_AUDIENCE, this.#options.adminTtlSeconds);
	}

	/** Seconds an admin token lives (its session row expires with it). */
	get adminTtlSeconds(): number {
		return this.#options.adminTtlSeconds;
	}

	async verifyGameToken(token: string): Promise<GameTokenClaims> {
		const payload = await this.#verify(token, GAME_AUDIENCE, this.#options.gameTtlSeconds);
		const claims = gameClaims.safeParse(payload);
		if (!claims.success) throw new InvalidTokenError("malformed game claims");
		const { sub, client_id, scope, jti } = claims.data;
		return { gameId: sub, keyId: client_id, scopes: scope, tokenId: jti };
	}

	async verifyAdminToken(token: string): Promise<AdminTokenClaims> {
		const payload = await this.#verify(token, ADMIN_AUDIENCE, this.#options.adminTtlSeconds);
		const claims = adminClaims.safeParse(payload);
		if (!claims.success) throw new InvalidTokenError("malformed admin claims");
		return { userId: claims.data.sub, tokenId: claims.data.jti, sessionId: claims.data.sid };
	}

	async #sign(claims: JWTPayload, subject: string, audience: string, ttlSeconds: number): Promise<IssuedToken> {
		const { kid, privateKey } = await this.#options.keys.signingKey();
		const now = Math.floor(this.#options.clock() / 1000);
		const token = await new SignJWT(claims)
			.setProtectedHeader({ alg: SIGNING_ALG, kid, typ: ACCESS_TOKEN_TYPE })
			.setIssuer(this.#options.issuer)
			.setAudience(audience)
			.setSubject(subject)
			.setIssuedAt(now)
			.setExpirationTime(now + ttlSeconds)
			.setJti(randomUUID())
			.sign(privateKey);
		return { token, expiresIn: ttlSeconds };
	}

	async #verify(token: string, audience: string, ttlSeconds: number): Promise<JWTPayload> {
		const now = this.#options.clock();
		const cacheKey = `${audience} ${token}`;
		const cached = this.#verified.get(cacheKey);
		if (cached && now < cached.validUntil) return cached.payload;
		if (cached) this.#verified.delete(cacheKey);
		const payload = await this.#verifySignatureAndClaims(token, audience, ttlSeconds);
		// Valid until the earlier of exp and iat + lifetime (both required and checked above), with the tolerance.
		const expiresAt = Math.min(payload.exp ?? 0, (payload.iat ?? 0) + ttlSeconds);
		const validUntil = (expiresAt + this.#options.clockToleranceSeconds) * 1000;
		if (this.#verified.size >= MAX_VERIFIED_TOKENS) {
			// Oldest first (Map keeps insertion order); a dropped token is just verified again.
			const oldest = this.#verified.keys().next();
			if (!oldest.done) this.#verified.delete(oldest.value);
		}
		this.#verified.set(cacheKey, { payload, validUntil });
		return payload;
	}

	async #verifySignatureAndClaims(token: string, audience: string, ttlSeconds: number): Promise<JWTPayload> {
		try {
			const { payload } = await jwtVerify(token, (header) => this.#options.keys.verificationKey(header), {
				algorithms: [SIGNING_ALG],
				issuer: this.#options.issuer,
				audience,
				typ: ACCESS_TOKEN_TYPE,
				requiredClaims: ["iss", "aud", "sub", "exp", "iat", "jti"],
				clockTolerance: this.#options.clockToleranceSeconds,
				// Bounds `iat` both ways: no token older than its lifetime, none issued in the future.
				maxTokenAge: ttlSeconds,
				currentDate: new Date(this.#options.clock()),
			});
			return payload;
		} catch (error) {
			throw new InvalidTokenError(error instanceof Error ? `${error.name}: ${error.message}` : "unknown");
		}
	}
}
