// The clock of per-event timestamps. DateTime.now() builds an object on every call; os.clock() is one native read of
// a monotonic high-resolution timer. Events read os.clock() plus an offset to unix time, taken from DateTime.now()
// when the clock is made and again once `reanchorSeconds` have passed (so a system clock correction is followed
// within a second), never per event.

/** Unix time in milliseconds from DateTime; follows the harness's virtual clock. */
export function nowMs(): number {
	return DateTime.now().UnixTimestampMillis;
}

/**
 * A cheap unix-milliseconds clock: `unixMs()` read at an anchor, plus the whole milliseconds `seconds()` counted
 * since. Re-anchors at most once per `reanchorSeconds`, and whenever `seconds()` goes backwards.
 *
 * @example
 * ```ts
 * const now = anchoredClock();
 * const eventTime = now();
 * ```
 */
export function anchoredClock(
	unixMs: () => number = nowMs,
	seconds: () => number = os.clock,
	reanchorSeconds = 1,
): () => number {
	let anchoredAt = seconds();
	let base = unixMs();
	return () => {
		const s = seconds();
		if (s - anchoredAt >= reanchorSeconds || s < anchoredAt) {
			anchoredAt = s;
			base = unixMs();
			return base;
		}
		const elapsed = (s - anchoredAt) * 1000;
		return base + elapsed - (elapsed % 1);
	};
}
