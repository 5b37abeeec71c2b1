import { randomBytes } from "node:crypto";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * A time-ordered id (ULID layout: 10 characters of millisecond time, 16 random, Crockford base32), optionally
 * prefixed (`vk_`, `usr_`). Ids created later sort later, so primary-key inserts append instead of splitting pages.
 *
 * @example
 * newId("vk_", Date.now()); // "vk_01JH3Q8Z6K4M2V9T7RXC5B1N0P"
 */
export function newId(prefix: string, now: number): string {
	let time = "";
	let ms = Math.max(0, Math.floor(now));
	for (let i = 0; i < 10; i++) {
		time = CROCKFORD.charAt(ms % 32) + time;
		ms = Math.floor(ms / 32);
	}
	let random = "";
	// 16 characters × 5 bits = 80 bits; each byte's low 5 bits are uniform because 256 is a multiple of 32.
	for (const byte of randomBytes(16)) random += CROCKFORD.charAt(byte % 32);
	return prefix + time + random;
}
