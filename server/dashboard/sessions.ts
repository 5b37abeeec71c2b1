import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { AdminSessionRecord, AdminUser, Store } from "../store/types.js";

/** Name of the dashboard's session cookie. */
export const SESSION_COOKIE = "vantage_session";
/** Header in which the dashboard page sends its session's CSRF token with every state change. */
export const CSRF_HEADER = "X-CSRF-Token";

/**
 * Activity is written back to the store at most this often, so a page firing a dozen metric requests costs one write,
 * not twelve. The idle timeout can therefore end a session up to this much early.
 */
const TOUCH_INTERVAL_MS = 60_000;

// 32 random bytes, base64url: the cookie's secret and the CSRF token.
const SECRET = /^[A-Za-z0-9_-]{43}$/;

export interface DashboardSessionsOptions {
	store: Store;
	/** Unix ms. */
	clock: () => number;
	/** A session unused this long ends (VANTAGE_SESSION_IDLE_MINUTES). */
	idleTimeoutMs: number;
	/** A session ends this long after login however active (VANTAGE_SESSION_MAX_HOURS). */
	absoluteTimeoutMs: number;
}

/** A live session and its user, as stored now (role and disabled state re-read on every request). */
export interface ResolvedSession {
	session: AdminSessionRecord;
	user: AdminUser;
}

/**
 * Server-side login sessions of the dashboard. The browser holds a random secret in an HttpOnly cookie; the store
 * holds only its SHA-256, the user, a CSRF token and the timestamps, so logout and expiry end a session for good and
 * a stolen database holds no usable cookie.
 *
 * @example
 * const { secret, session } = await sessions.create(user);
 * const resolved = await sessions.resolve(secret); // undefined once expired, logged out or the user is disabled
 */
export class DashboardSessions {
	readonly #options: DashboardSessionsOptions;

	constructor(options: DashboardSessionsOptions) {
		this.#options = options;
	}

	/** How long the browser should keep the cookie, in seconds (the absolute timeout: it is never valid longer). */
	get cookieMaxAgeSeconds(): number {
		return Math.floor(this.#options.absoluteTimeoutMs / 1000);
	}

	/** Starts a session for a user whose password was just checked; stale sessions of anyone are deleted first. */
	async create(user: AdminUser): Promise<{ secret: string; session: AdminSessionRecord }> {
		const { store, clock, idleTimeoutMs, absoluteTimeoutMs } = this.#options;
		const now = clock();
		// Login is rare, so it is where expired sessions are swept; no timer is needed.
		await store.deleteStaleAdminSessions(now, now - idleTimeoutMs);
		const secret = randomSecret();
		const session: AdminSessionRecord = {
			id: sessionId(secret),
			userId: user.id,
			csrfToken: randomSecret(),
			createdAt: now,
			lastSeenAt: now,
			expiresAt: now + absoluteTimeoutMs,
		};
		await store.insertAdminSession(session);
		return { secret, session };
	}

	/**
	 * The session a cookie's secret opens, or undefined:
	 * 1. not shaped like a secret, or no such session → undefined;
	 * 2. past its absolute expiry, or idle longer than the idle timeout → deleted, undefined;
	 * 3. its user is gone or disabled → undefined;
	 * 4. otherwise the session, its activity recorded (at most once a minute).
	 */
	async resolve(secret: string | undefined): Promise<ResolvedSession | undefined> {
		const { store, clock, idleTimeoutMs } = this.#options;
		if (secret === undefined || !SECRET.test(secret)) return undefined;
		const session = await store.getAdminSession(sessionId(secret));
		if (!session) return undefined;
		const now = clock();
		if (now >= session.expiresAt || now - session.lastSeenAt >= idleTimeoutMs) {
			await store.deleteAdminSession(session.id);
			return undefined;
		}
		const user = await store.getAdminUser(session.userId);
		if (!user || user.disabledAt !== null) return undefined;
		if (now - session.lastSeenAt >= TOUCH_INTERVAL_MS) {
			await store.touchAdminSession(session.id, now);
			session.lastSeenAt = now;
		}
		return { session, user };
	}

	/** Ends the session a cookie's secret opens (logout); nothing happens for an unknown secret. */
	async end(secret: string | undefined): Promise<void> {
		if (secret === undefined || !SECRET.test(secret)) return;
		await this.#options.store.deleteAdminSession(sessionId(secret));
	}
}

/** Whether `sent` is the session's CSRF token, compared in constant time. */
export function csrfTokenMatches(session: AdminSessionRecord, sent: string | undefined | null): boolean {
	if (typeof sent !== "string" || sent.length === 0) return false;
	// Digests have one length, so timingSafeEqual never throws and the comparison leaks no length either.
	return timingSafeEqual(digest(sent), digest(session.csrfToken));
}

function randomSecret(): string {
	return randomBytes(32).toString("base64url");
}

function sessionId(secret: string): string {
	return digest(secret).toString("hex");
}

function digest(text: string): Buffer {
	return createHash("sha256").update(text).digest();
}
