// The security hardening's persistence contract as plain data (secrets at rest, login throttling, second factors,
// session listing, idempotency pruning), implemented by every metadata engine (server/store). The policies live in
// server/auth and server/ingest.

/**
 * A dashboard login session (server side; the browser holds only the secret in an HttpOnly cookie). The secret is
 * never stored: `id` is its SHA-256, so a copy of the database cannot be turned into a logged-in browser.
 */
export interface AdminSessionRecord {
	/** Hex SHA-256 of the cookie's secret. */
	id: string;
	userId: string;
	/** Sent back by the page in `X-CSRF-Token` with every state change made with the cookie. */
	csrfToken: string;
	createdAt: number;
	/** Unix ms of the last request seen (updated at most once a minute); the idle timeout counts from here. */
	lastSeenAt: number;
	/** Unix ms after which the session is over however active it is (the absolute timeout). */
	expiresAt: number;
}

/** Failed logins of one account (the lower-cased email as typed, whether or not such a user exists). */
export interface LoginThrottleRecord {
	account: string;
	/** Failures since the last success (or since the record was forgotten after a quiet period). */
	failures: number;
	/** Unix ms of the last failure. */
	lastFailureAt: number;
	/** Unix ms until which the account is locked; null when it is not. */
	lockedUntil: number | null;
}

/** A user's TOTP second factor. `secret` is sealed by the master keys (privacy/master-keys.ts), never plain. */
export interface TotpRecord {
	userId: string;
	secret: string;
	/** Unix ms when the user proved the authenticator works with a first code; null while enrolment is pending. */
	confirmedAt: number | null;
	/** The last 30-second step whose code was accepted: a code is never accepted twice (RFC 6238 §5.2). */
	lastStep: number;
	createdAt: number;
}

/** How a session was started: the dashboard's cookie, or an admin token from POST /v1/admin/login. */
export type AdminSessionKind = "dashboard" | "token";

/** A session as listed for its user or an owner. */
export interface AdminSessionListing extends AdminSessionRecord {
	kind: AdminSessionKind;
}

/** Seals and opens a secret kept in a table (privacy/master-keys.ts's MasterKeys is one). */
export interface SecretSealer {
	seal(plaintext: string, aad: string): string;
	/** Throws when the value does not open; a plain (never sealed) value is not accepted here. */
	open(sealed: string, aad: string): string;
	isSealed(value: string): boolean;
}

/** What a game's sealed digest webhook URL is bound to (AES-GCM additional data): its game's settings row. */
export const digestWebhookAad = (gameId: string) => `vantage digest webhook\0${gameId}`;

export interface SecurityStore {
	/** Replaces a signing key's stored private JWK (sealing a plain one, or rewrapping); false if no such key. */
	setSigningKeyPrivateJwk(kid: string, privateJwk: string): Promise<boolean>;

	getLoginThrottle(account: string): Promise<LoginThrottleRecord | undefined>;
	/** Stores an account's failures; also forgets accounts whose last failure is before `forgetBefore`. */
	putLoginThrottle(record: LoginThrottleRecord, forgetBefore: number): Promise<void>;
	/** After a successful login. */
	clearLoginThrottle(account: string): Promise<void>;

	getTotp(userId: string): Promise<TotpRecord | undefined>;
	/** Starts (or restarts) an enrolment: replaces any record of the user with this unconfirmed one. */
	putPendingTotp(record: TotpRecord): Promise<void>;
	/**
	 * Accepts the code of `step` for the user: true (and remembered, and the enrolment confirmed at `at` if pending)
	 * only if `step` is after the last accepted one, so a code is used once even by two requests at the same time.
	 */
	useTotpStep(userId: string, step: number, at: number): Promise<boolean>;
	deleteTotp(userId: string): Promise<boolean>;
	/** Every TOTP record (for sealing and rewrapping secrets at start). */
	listTotp(): Promise<TotpRecord[]>;
	setTotpSecret(userId: string, secret: string): Promise<boolean>;

	/** Records the session of an admin token (its id is the token's `sid`); the token is refused once it is gone. */
	insertTokenSession(session: { id: string; userId: string; createdAt: number; expiresAt: number }): Promise<void>;
	/** A user's live sessions (not past `now`), newest first. */
	listAdminSessions(userId: string, now: number): Promise<AdminSessionListing[]>;
	/** Ends one session of a user; false if the user has no such session. */
	deleteAdminSessionOfUser(userId: string, id: string): Promise<boolean>;
	/** Ends every session of a user but `exceptId`; returns how many. */
	deleteAdminSessionsOfUser(userId: string, exceptId?: string): Promise<number>;

	/** Every game's stored digest webhook URL as it is in the table (sealed, or plain from before sealing). */
	listStoredDigestWebhookUrls(): Promise<{ gameId: string; value: string }[]>;
	/** Replaces a game's stored digest webhook URL as is (sealing a plain one, or rewrapping); false if none is set. */
	setStoredDigestWebhookUrl(gameId: string, value: string): Promise<boolean>;

	/** Replaces a user's password hash (a PHC string); false if no such user. */
	setAdminPasswordHash(userId: string, passwordHash: string): Promise<boolean>;

	/** Deletes up to `limit` idempotency rows of batches received before `receivedBefore`; returns how many. */
	pruneBatches(receivedBefore: number, limit: number): Promise<number>;
}
