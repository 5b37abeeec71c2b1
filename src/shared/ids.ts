// Time-ordered ids (ULID-like): 10 characters of millisecond time in Crockford base32, then a per-server prefix and
// a counter. Ids sort by creation time, so the backend's primary-key inserts stay append-only and fast, and they are
// unique across servers because each server draws its own random prefix.

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** Encodes a non-negative integer below 2^53 in Crockford base32, left-padded to `width` characters. */
export function encodeBase32(value: number, width: number): string {
	let n = math.floor(value);
	let out = "";
	for (let i = 0; i < width; i++) {
		const digit = n % 32;
		out = ALPHABET.sub(digit + 1, digit + 1) + out;
		n = math.floor(n / 32);
	}
	return out;
}

/** Generates ids that are unique within one server and ordered by time. */
export class IdGenerator {
	private counter = 0;
	private lastMs = -1;

	/**
	 * @param prefix - random per-server text (e.g. from HttpService:GenerateGUID), at least 8 characters of entropy
	 * @param now - clock in unix milliseconds
	 */
	constructor(
		private readonly prefix: string,
		private readonly now: () => number,
	) {}

	next(): string {
		let ms = this.now();
		// Never go backwards, even if the clock does: ids must stay ordered.
		if (ms < this.lastMs) ms = this.lastMs;
		if (ms === this.lastMs) {
			this.counter += 1;
		} else {
			this.counter = 0;
			this.lastMs = ms;
		}
		return encodeBase32(ms, 10) + this.prefix + encodeBase32(this.counter, 5);
	}
}

/** 8 base32 characters from a GUID string (hex digits), used as a server's id prefix. */
export function prefixFromGuid(guid: string): string {
	const [hex] = guid.gsub("[^%x]", "");
	const a = tonumber(hex.sub(1, 10), 16) ?? 0;
	return encodeBase32(a, 8);
}
