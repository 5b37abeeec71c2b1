// Per-account login throttling: the per-IP limit alone lets an attacker spread guesses for one account over many
// addresses (a botnet, or the shared outbound addresses of a cloud). Each account's failures grow the wait before the
// next attempt is even checked, and enough of them lock the account for a while — for every address at once.
// Unknown emails are throttled the same way, so the answers do not tell which accounts exist.
import type { LoginThrottleRecord } from "./security-store.js";

/** The policy; see {@link loginGate}. */
export const LOGIN_THROTTLE = Object.freeze({
	/** Failures answered at once; the delays start after these. */
	freeFailures: 3,
	/** The wait after the first failure past the free ones; doubled by each further failure. */
	baseDelayMs: 1_000,
	/** The longest wait between attempts before the lock. */
	maxDelayMs: 60_000,
	/** Failures that lock the account. */
	lockAfterFailures: 10,
	/** How long a lock lasts; a failure after it locks again at once (one guess per lock period). */
	lockMs: 15 * 60_000,
	/** An account with no failure for this long starts again from zero. */
	forgetAfterMs: 24 * 3_600_000,
});

/** Whether a login of the account may be checked now. */
export type LoginGate = { allowed: true } | { allowed: false; locked: boolean; retryAfterMs: number };

/**
 * 1. no failures, or none for {@link LOGIN_THROTTLE.forgetAfterMs} → allowed;
 * 2. locked until later → refused (locked);
 * 3. past the free failures, within the growing delay since the last failure → refused (wait);
 * 4. otherwise allowed.
 *
 * @example
 * loginGate({ account: "a@b.c", failures: 5, lastFailureAt: now - 1000, lockedUntil: null }, now);
 * // { allowed: false, locked: false, retryAfterMs: 1000 } (5 failures: a 2 s wait)
 */
export function loginGate(record: LoginThrottleRecord | undefined, now: number): LoginGate {
	if (!record || now - record.lastFailureAt >= LOGIN_THROTTLE.forgetAfterMs) return { allowed: true };
	if (record.lockedUntil !== null && now < record.lockedUntil) {
		return { allowed: false, locked: true, retryAfterMs: record.lockedUntil - now };
	}
	const delay = failureDelayMs(record.failures);
	if (delay > 0 && now < record.lastFailureAt + delay) {
		return { allowed: false, locked: false, retryAfterMs: record.lastFailureAt + delay - now };
	}
	return { allowed: true };
}

/** The wait after `failures` failures: 0 for the free ones, then 1 s, 2 s, 4 s … up to the maximum. */
export function failureDelayMs(failures: number): number {
	if (failures <= LOGIN_THROTTLE.freeFailures) return 0;
	return Math.min(
		LOGIN_THROTTLE.baseDelayMs * 2 ** (failures - LOGIN_THROTTLE.freeFailures - 1),
		LOGIN_THROTTLE.maxDelayMs,
	);
}

/** The account's record after one more failure at `now` (a forgotten record starts again from zero). */
export function afterLoginFailure(
	record: LoginThrottleRecord | undefined,
	account: string,
	now: number,
): LoginThrottleRecord {
	const fresh = !record || now - record.lastFailureAt >= LOGIN_THROTTLE.forgetAfterMs;
	const failures = (fresh ? 0 : record.failures) + 1;
	return {
		account,
		failures,
		lastFailureAt: now,
		lockedUntil: failures >= LOGIN_THROTTLE.lockAfterFailures ? now + LOGIN_THROTTLE.lockMs : null,
	};
}
