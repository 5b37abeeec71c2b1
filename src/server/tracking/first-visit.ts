// First visits, from one DataStore key per player. Budget first: the game's own saves matter more than analytics, so
// a join costs exactly one read (GetAsync), plus one write only on a player's very first visit, and the lookup is
// skipped while the server's budget is low.
// DataStore limits (shared/ROBLOX-LIMITS.md): StandardRead/StandardWrite 60 + 40 × players per minute per server,
// shared with the game; keys ≤ 50 characters. Requests yield and can fail (Studio without API access, throttling).
import { LazyDataStore } from "../lazy-data-store";
import { DataStoreService } from "@rbxts/services";
import { FirstVisit } from "./sessions";

/** Requests of each kind left for the game: below this, the lookup is skipped. */
const BUDGET_RESERVE = 10;

interface StoredVisit {
	/** Unix seconds of the first visit. */
	first: number;
}

export class FirstVisitStore {
	private readonly dataStore: LazyDataStore;

	/** @param storeName - the DataStore holding one key per player (`u<UserId>`) */
	constructor(
		storeName: string,
		private readonly debug: boolean,
	) {
		this.dataStore = new LazyDataStore(storeName, (message) => this.log(message));
	}

	private budget(requestType: Enum.DataStoreRequestType): number {
		const [ok, budget] = pcall(() => DataStoreService.GetRequestBudgetForRequestType(requestType));
		return ok && typeIs(budget, "number") ? budget : 0;
	}

	private log(message: string): void {
		if (this.debug) print(`[Vantage] first visit: ${message}`);
	}

	/** The player's first visit; undefined when unknown (no budget, DataStore unavailable or failing). Yields. */
	lookup(userId: number): FirstVisit | undefined {
		// 1. DataStore unusable (e.g. Studio without API access) → unknown, without asking again.
		const store = this.dataStore.get();
		if (!store) return undefined;
		// 2. Not enough read budget left for the game → unknown.
		if (this.budget(Enum.DataStoreRequestType.GetAsync) < BUDGET_RESERVE) {
			this.log("skipped: read budget low");
			return undefined;
		}
		// 3. One read.
		const key = `u${userId}`;
		const [ok, value] = pcall(() => store.GetAsync<StoredVisit>(key)[0]);
		if (!ok) {
			this.log(`read failed (${value})`);
			return undefined;
		}
		if (typeIs(value, "table") && typeIs((value as StoredVisit).first, "number")) {
			return { firstVisit: false, firstSeen: (value as StoredVisit).first };
		}
		// 4. Never seen: remember the visit (tagged with the UserId for Roblox's erasure tooling), if budget allows.
		const now = DateTime.now().UnixTimestamp;
		if (this.budget(Enum.DataStoreRequestType.SetIncrementAsync) >= BUDGET_RESERVE) {
			const [written, err] = pcall(() => store.SetAsync(key, { first: now } satisfies StoredVisit, [userId]));
			if (!written) this.log(`write failed (${err})`);
		}
		return { firstVisit: true, firstSeen: now };
	}
}
