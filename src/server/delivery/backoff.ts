// Retry timing, as pure functions.

/**
 * Capped exponential backoff with full jitter ("Exponential Backoff And Jitter", AWS Architecture Blog): after the
 * n-th consecutive failure, wait a uniformly random time in [0, min(cap, base × 2^(n-1))]. The randomness spreads
 * the retries of many servers that failed together, so a recovering backend is not hit by all of them at once.
 *
 * @param failures - consecutive failures so far (1 after the first)
 * @param random - uniform in [0, 1)
 * @example
 * backoffSeconds(3, 2, 300, () => 0.5); // → 4 (half of 2 × 2²)
 */
export function backoffSeconds(
	failures: number,
	baseSeconds: number,
	capSeconds: number,
	random: () => number,
): number {
	const exponent = math.max(0, failures - 1);
	// 2^exponent grows past any cap quickly; clamp the exponent so the product stays finite.
	const ceiling = math.min(capSeconds, baseSeconds * 2 ** math.min(exponent, 30));
	return ceiling * random();
}

/**
 * Seconds from a `Retry-After` header (RFC 9110 §10.2.3), delta-seconds form only, capped at `maxSeconds`.
 * The HTTP-date form, negative or unreadable values give undefined (the caller falls back to backoff).
 *
 * @example
 * parseRetryAfter("30", 600); // → 30
 */
export function parseRetryAfter(value: unknown, maxSeconds: number): number | undefined {
	if (!typeIs(value, "string")) return undefined;
	const [digits] = value.match("^%s*(%d+)%s*$");
	if (digits === undefined) return undefined;
	const seconds = tonumber(digits);
	if (seconds === undefined) return undefined;
	return math.min(seconds, maxSeconds);
}

/** A header's value by name, ignoring case (Roblox returns response header names as the server sent them). */
export function headerValue(headers: unknown, name: string): string | undefined {
	if (!typeIs(headers, "table")) return undefined;
	const wanted = name.lower();
	for (const [key, value] of pairs(headers as Record<string, unknown>)) {
		if (typeIs(key, "string") && key.lower() === wanted && typeIs(value, "string")) return value;
	}
	return undefined;
}
