// Time-ordered ids (ULID-like): 10 characters of millisecond time in Crockford base32, then a per-server prefix and
// a counter. Ids sort by creation time, so the backend's primary-key inserts stay append-only and fast, and they are
// unique across servers because each server draws its own random prefix.
//
// Every tracked event gets one, so the generator keeps the text that changes rarely (time, prefix and the counter's
// high digits) and builds each id with one concatenation and one table lookup.

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** Crockford base32 digits by value. */
const DIGITS = new Array<string>();
for (let i = 1; i <= 32; i++) DIGITS.push(ALPHABET.sub(i, i));
/** Two base32 digits for each value below 1024. */
const PAIRS = new Array<string>();
for (const high of DIGITS) for (const low of DIGITS) PAIRS.push(high + low);

/** Counters per millisecond: five base32 digits. */
const COUNTER_LIMIT = 32 ** 5;

/** Encodes a non-negative integer below 2^53 in Crockford base32, left-padded to `width` characters. */
export function encodeBase32(value: number, width: number): string {
	// n % 1024 and (n - n % 1024) / 1024 are exact for integers below 2^53.
	let n = value - (value % 1);
	let out = "";
	let left = width;
	for (; left >= 2; left -= 2) {
		const pair = n % 1024;
		out = PAIRS[pair] + out;
		n = (n - pair) / 1024;
	}
	if (left === 1) out = DIGITS[n % 32] + out;
	return out;
}

/** Generates ids that are unique within one server and ordered by time. */
export class IdGenerator {
	private counter = 0;
	private lastMs = -1;
	/** The first 8 time digits (they change every 1024 ms), and the milliseconds they encode, divided by 1024. */
	private slowDigits = "";
	private slowMs = -1;
	/** Time and prefix of `lastMs`. */
	private timeHead = "";
	/** `timeHead` plus the counter's first three digits. */
	private head = "";

	/**
	 * @param prefix - random per-server text (e.g. from HttpService:GenerateGUID), at least 8 characters of entropy
	 * @param now - clock in unix milliseconds
	 */
	constructor(
		private readonly prefix: string,
		private readonly now: () => number,
	) {}

	next(): string {
		return this.nextAt(this.now());
	}

	/** The next id for something that happened at `time` (unix milliseconds, from the caller's clock). */
	nextAt(time: number): string {
		const ms = time - (time % 1);
		// Never go backwards, even if the clock does: ids must stay ordered.
		if (ms > this.lastMs) return this.restart(ms);
		const counter = this.counter + 1;
		if (counter % 1024 === 0) {
			// More ids in one millisecond than five digits count: borrow the next millisecond.
			if (counter >= COUNTER_LIMIT) return this.restart(this.lastMs + 1);
			this.head = this.timeHead + encodeBase32(counter / 1024, 3);
		}
		this.counter = counter;
		return this.head + PAIRS[counter % 1024];
	}

	private restart(ms: number): string {
		this.lastMs = ms;
		this.counter = 0;
		const fast = ms % 1024;
		const slow = (ms - fast) / 1024;
		if (slow !== this.slowMs) {
			this.slowMs = slow;
			this.slowDigits = encodeBase32(slow, 8);
		}
		this.timeHead = this.slowDigits + PAIRS[fast] + this.prefix;
		this.head = this.timeHead + "000";
		return this.head + "00";
	}
}

/** 8 base32 characters from a GUID string (hex digits), used as a server's id prefix. */
export function prefixFromGuid(guid: string): string {
	const [hex] = guid.gsub("[^%x]", "");
	const a = tonumber(hex.sub(1, 10), 16) ?? 0;
	return encodeBase32(a, 8);
}
