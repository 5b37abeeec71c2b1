/** Skew at or below this is treated as noise (network latency, queueing) and left alone. */
export const CLOCK_SKEW_TOLERANCE_MS = 5_000;

/**
 * Moves an event's time onto the server's clock when the sending game server's clock is off.
 *
 * Game servers stamp `sentAt` just before the request and each event's `time` when it happened, both on their own
 * clock. `receivedAt - sentAt` estimates that clock's offset (plus the transit time, which is why small values are
 * ignored). Past the tolerance the whole offset is applied, so the event keeps its distance from `sentAt`.
 * Deliberately simple: no per-server drift model, and a batch that spent minutes in a retry queue is still fine
 * because `sentAt` is set per attempt.
 *
 * @example
 * correctClockSkew(1_000, 2_000, 62_000); // → 61_000 (the sender was 60 s behind)
 */
export function correctClockSkew(time: number, sentAt: number, receivedAt: number): number {
	const skew = receivedAt - sentAt;
	if (Math.abs(skew) <= CLOCK_SKEW_TOLERANCE_MS) return time;
	return Math.max(0, time + skew);
}
