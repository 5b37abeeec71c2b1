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
