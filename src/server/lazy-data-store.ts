import { DataStoreService } from "@rbxts/services";

/**
 * A DataStore opened on first use. If opening fails (e.g. Studio without API access), asking again will not help:
 * it stays unavailable and says so once through `log`.
 */
export class LazyDataStore {
	private store?: DataStore;
	private unavailable = false;

	constructor(
		private readonly name: string,
		private readonly log: (message: string) => void,
	) {}

	/** The DataStore, or undefined when it cannot be opened. Never throws. */
	get(): DataStore | undefined {
		if (this.unavailable) return undefined;
		if (!this.store) {
			const [ok, store] = pcall(() => DataStoreService.GetDataStore(this.name));
			if (!ok) {
				this.unavailable = true;
				this.log(`DataStore unavailable (${store})`);
				return undefined;
			}
			this.store = store as DataStore;
		}
		return this.store;
	}
}

/** What a retried DataStore request gave: its value, or why it did not run or failed (the last reason). */
export type RetriedResult<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * Runs one DataStore request for the SDK, leaving the game its share of the server's budget: it is only made while at
 * least `reserve` requests of its type are left, and it is tried up to `attempts` times, waiting `retrySeconds` ×
 * the attempt number between tries. A DataStore that cannot be opened is not retried. Yields; never throws.
 */
export function withDataStoreRetries<T>(
	store: LazyDataStore,
	requestType: Enum.DataStoreRequestType,
	limits: { reserve: number; attempts: number; retrySeconds: number; backoff?: boolean },
	run: (store: DataStore) => T,
	onFailure?: (message: string) => void,
): RetriedResult<T> {
	let message = "no attempt made";
	for (let attempt = 1; attempt <= limits.attempts; attempt++) {
		if (attempt > 1) task.wait(limits.retrySeconds * (limits.backoff ? attempt - 1 : 1));
		const opened = store.get();
		if (!opened) return { ok: false, message: "DataStore unavailable" };
		const [budgetOk, budget] = pcall(() => DataStoreService.GetRequestBudgetForRequestType(requestType));
		if (!budgetOk || !typeIs(budget, "number") || budget < limits.reserve) {
			message = "DataStore budget low";
			continue;
		}
		const [ok, value] = pcall(() => run(opened));
		if (ok) return { ok: true, value: value as T };
		message = tostring(value);
		onFailure?.(message);
	}
	return { ok: false, message };
}

/**
 * A DataStore with one key per player (`u<UserId>`) that the SDK reads and writes through
 * {@link withDataStoreRetries}, printing what fails when debugging. Subclasses add the load and save of their value.
 */
export abstract class PlayerDataStore {
	protected readonly dataStore: LazyDataStore;

	/**
	 * @param storeName - the DataStore holding one key per player
	 * @param label - what the debug lines are about, e.g. "assignments"
	 * @param limits - requests of each type always left to the game (`reserve`), tries per request, the wait between
	 *   tries (`backoff`: the wait grows with each try)
	 */
	constructor(
		storeName: string,
		private readonly label: string,
		private readonly debug: boolean,
		private readonly limits: { reserve: number; attempts: number; retrySeconds: number; backoff?: boolean },
	) {
		this.dataStore = new LazyDataStore(storeName, (message) => this.log(message));
	}

	/** One request, within the budget and retried (see {@link withDataStoreRetries}). Yields; never throws. */
	protected request<T>(
		what: string,
		requestType: Enum.DataStoreRequestType,
		run: (store: DataStore) => T,
	): RetriedResult<T> {
		return withDataStoreRetries(this.dataStore, requestType, this.limits, run, (m) =>
			this.log(`${what} failed (${m})`),
		);
	}

	protected log(message: string): void {
		if (this.debug) print(`[Vantage] ${this.label}: ${message}`);
	}
}
