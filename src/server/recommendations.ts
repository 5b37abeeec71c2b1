// Shop recommendations in the game: the item-to-item model the backend trains daily (co-purchases), served in
// /v1/config, and the items each player acquired on this server. `recommend` is a table lookup: it never yields and
// never makes a request.
//
// Item keys are the backend's: `developer_product:<ProductId>` for a purchase, `<itemType>:<itemId>` for an economy
// sink that names an item (what Vantage.purchase and Vantage.economy record).
import { t } from "@rbxts/t";

/** The model as /v1/config serves it. */
export interface RecommendationModel {
	/** item → its most similar items, best first. */
	neighbours: ReadonlyMap<string, ReadonlyArray<[string, number]>>;
	/** Items by buyers, most bought first. */
	popular: readonly string[];
}

const isNeighbour = t.strictArray(t.string, t.number);
const isDocument = t.interface({ neighbours: t.map(t.string, t.array(isNeighbour)), popular: t.array(t.string) });

/** Most items a player's acquired set keeps on this server (a collector's thousands would only cost memory). */
const MAX_OWNED = 200;

/**
 * Checks the `recommendations` member of a /v1/config body; undefined when missing or malformed.
 *
 * @example
 * parseRecommendations({ neighbours: { "developer_product:1": [["developer_product:2", 0.4]] }, popular: [] });
 */
export function parseRecommendations(raw: unknown): RecommendationModel | undefined {
	if (!isDocument(raw)) return undefined;
	const neighbours = new Map<string, ReadonlyArray<[string, number]>>();
	for (const [item, list] of pairs(raw.neighbours)) neighbours.set(item, list as [string, number][]);
	return { neighbours, popular: raw.popular };
}

/** The item a purchase of this developer product is. */
export const productItem = (productId: number) => `developer_product:${productId}`;

export class Recommender {
	private model?: RecommendationModel;
	private readonly owned = new Map<number, Set<string>>();

	/** The latest model from /v1/config (undefined keeps the previous one). */
	setModel(model: RecommendationModel | undefined): void {
		if (model) this.model = model;
	}

	/** Notes that a player acquired an item (a purchase, an economy sink of an item). */
	acquired(userId: number, item: string): void {
		let set = this.owned.get(userId);
		if (!set) this.owned.set(userId, (set = new Set()));
		if (set.size() < MAX_OWNED) set.add(item);
	}

	/** Forgets a player who left. */
	forget(userId: number): void {
		this.owned.delete(userId);
	}

	/**
	 * Up to `n` items for the player, best first: neighbours of what they own (the game's `owned` list and what they
	 * acquired on this server) when `personalize`, then the most bought items; never an owned item. Empty before
	 * the first model arrives.
	 */
	recommend(userId: number, n: number, owned: readonly string[] | undefined, personalize: boolean): string[] {
		const model = this.model;
		if (!model || n < 1) return [];
		const have = new Set<string>();
		for (const item of owned ?? []) have.add(item);
		const mine = this.owned.get(userId);
		if (mine) for (const item of mine) have.add(item);
		const out: string[] = [];
		const chosen = new Set<string>();
		if (personalize) {
			const scores = new Map<string, number>();
			for (const item of have) {
				for (const [other, score] of model.neighbours.get(item) ?? []) {
					if (!have.has(other)) scores.set(other, (scores.get(other) ?? 0) + score);
				}
			}
			const ranked: [string, number][] = [];
			for (const [item, score] of scores) ranked.push([item, score]);
			ranked.sort((a, b) => (a[1] !== b[1] ? a[1] > b[1] : a[0] < b[0]));
			for (const [item] of ranked) {
				if (out.size() >= n) break;
				out.push(item);
				chosen.add(item);
			}
		}
		for (const item of model.popular) {
			if (out.size() >= n) break;
			if (have.has(item) || chosen.has(item)) continue;
			out.push(item);
			chosen.add(item);
		}
		return out;
	}
}
