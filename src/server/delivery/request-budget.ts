/**
 * At most `limit` requests in any `windowSeconds` (a sliding window over the times requests were sent), so Vantage
 * keeps well inside Roblox's HttpService budget of 500 requests per minute per server, which the game shares.
 *
 * @example
 * const budget = new RequestBudget(30);
 * if (budget.waitSeconds() === 0) { budget.spend(); HttpService.RequestAsync(request); }
 */
export class RequestBudget {
	/** Send times (os.clock) of the requests still inside the window, oldest first, in times[head..]. */
	private times = new Array<number>();
	private head = 0;

	constructor(
		readonly limit: number,
		private readonly windowSeconds = 60,
		private readonly clock: () => number = os.clock,
	) {}

	private trim(now: number): void {
		// The same sum as waitSeconds: with `now - window` instead, a request sent exactly one window earlier could be
		// kept by one test and let through by the other (rounding of doubles), and the budget would open wide.
		while (this.head < this.times.size() && this.times[this.head] + this.windowSeconds <= now) this.head += 1;
		// Compact now and then so the array does not grow for the life of the server.
		if (this.head > 64 && this.head * 2 > this.times.size()) {
			const kept = new Array<number>();
			for (let i = this.head; i < this.times.size(); i++) kept.push(this.times[i]);
			this.times = kept;
			this.head = 0;
		}
	}

	/** Requests sent in the last window. */
	used(): number {
		this.trim(this.clock());
		return this.times.size() - this.head;
	}

	/** Seconds until one more request fits the budget (0: now). */
	waitSeconds(): number {
		const now = this.clock();
		this.trim(now);
		if (this.times.size() - this.head < this.limit) return 0;
		// The oldest request in the window leaves it at times[head] + window.
		return math.max(0, this.times[this.head] + this.windowSeconds - now);
	}

	/** Records a request sent now. Call only after {@link waitSeconds} returned 0. */
	spend(): void {
		this.times.push(this.clock());
	}
}
