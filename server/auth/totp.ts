// TOTP second factor (RFC 6238) with otpauth, a maintained library without dependencies: 6 digits, 30-second steps,
// SHA-1 (what every authenticator app supports), a code accepted one step either side of now to absorb clock drift
// and typing time. Each accepted step is remembered (admin_totp.last_step), so a code works once.
import { Secret, TOTP } from "otpauth";

/** Seconds per code. */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps either side of now whose code is accepted (±30 s). */
export const TOTP_WINDOW_STEPS = 1;

/** What a user's sealed TOTP secret is bound to (AES-GCM additional data): their own row. */
export const totpSecretAad = (userId: string) => `vantage totp secret\0${userId}`;

/** A new random secret (160 bits, RFC 4226 §4's recommendation), base32 as authenticator apps take it. */
export function newTotpSecret(): string {
	return new Secret({ size: 20 }).base32;
}

function totp(secret: string, label = "", issuer = ""): TOTP {
	return new TOTP({
		issuer,
		label,
		algorithm: "SHA1",
		digits: TOTP_DIGITS,
		period: TOTP_PERIOD_SECONDS,
		secret: Secret.fromBase32(secret),
	});
}

/**
 * The `otpauth://totp/...` URI an authenticator app reads (usually from a QR code of it).
 *
 * @example
 * totpUri(secret, "ana@studio.example", "Vantage"); // "otpauth://totp/Vantage:ana%40studio.example?issuer=Vantage&secret=…"
 */
export function totpUri(secret: string, account: string, issuer: string): string {
	return totp(secret, account, issuer).toString();
}

/**
 * The step (unix time / 30 s) whose code `code` is, within {@link TOTP_WINDOW_STEPS} of `now` (unix ms), or undefined.
 * Anything but 6 digits is no code.
 *
 * @example
 * const step = matchTotp(secret, "123456", Date.now()); // a number when valid now
 */
export function matchTotp(secret: string, code: string, now: number): number | undefined {
	const digits = code.replaceAll(" ", "");
	if (!/^\d{6}$/.test(digits)) return undefined;
	const generator = totp(secret);
	const delta = generator.validate({ token: digits, timestamp: now, window: TOTP_WINDOW_STEPS });
	if (delta === null) return undefined;
	return generator.counter({ timestamp: now }) + delta;
}

/** The code of the step at `now` (tests, and the CLI's check of a freshly enrolled secret). */
export function totpCode(secret: string, now: number): string {
	return totp(secret).generate({ timestamp: now });
}
