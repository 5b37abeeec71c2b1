import { hash, verify } from "@node-rs/argon2";

// `Algorithm.Argon2id` is an ambient const enum, which verbatimModuleSyntax cannot inline; its value is 2.
const ARGON2ID = 2;

/** Passwords shorter than this are refused when a user is created. */
export const MIN_PASSWORD_LENGTH = 12;
/** Longer inputs are refused before hashing: argon2 cost does not grow with length, but parsing and logs do. */
export const MAX_PASSWORD_LENGTH = 1024;

/**
 * argon2id with OWASP's minimum parameters (19 MiB, 2 iterations, 1 lane): ~20 ms here, which bounds the
 * damage of a login flood together with the per-IP rate limit.
 */
export interface PasswordHashOptions {
	/** @default 19456 (KiB) */
	memoryCost?: number;
	/** @default 2 */
	timeCost?: number;
}

/**
 * Hashes a password into a self-describing PHC string (`$argon2id$v=19$m=…`).
 *
 * @example
 * const stored = await hashPassword("correct horse battery staple");
 */
export function hashPassword(password: string, options: PasswordHashOptions = {}): Promise<string> {
	return hash(password, {
		algorithm: ARGON2ID,
		memoryCost: options.memoryCost ?? 19_456,
		timeCost: options.timeCost ?? 2,
		parallelism: 1,
	});
}

/** Checks a password against a stored PHC string; false (never a throw) for a malformed hash. */
export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
	try {
		return await verify(storedHash, password);
	} catch {
		return false;
	}
}

// Verified against when the email is unknown, so a login for an unknown user costs the same time as a wrong password.
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
	dummyHash ??= hashPassword("vantage-dummy-password");
	return dummyHash;
}
