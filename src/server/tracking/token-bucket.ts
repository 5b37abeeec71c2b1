/**
 * A token bucket: up to `capacity` actions at once, refilled continuously at `perSecond`. Pure apart from the clock
 * it is given, so specs drive it with any time they like.
 */
export class TokenBucket {
	private tokens: number;
	private last: number;

	constructor(
		private readonly capacity: number,
		private readonly perSecond: number,
		private readonly now: () => number,
	) {
		this.tokens = capacity;
		this.last = now();
	}

	/** Spends one token if there is one; returns whether the action may go ahead. */
	take(): boolean {
		const t = this.now();
		this.tokens = math.min(this.capacity, this.tokens + math.max(0, t - this.last) * this.perSecond);
		this.last = t;
		if (this.tokens < 1) return false;
		this.tokens -= 1;
		return true;
	}
}
