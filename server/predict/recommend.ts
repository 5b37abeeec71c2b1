// Item-to-item recommendations for a game's shop: "players who bought this also bought …", from co-purchase (and
// co-use) counts. Pure functions over plain rows, like the other models: the caller filters by consent
// (personalization) and erasure, one game per call.
//
// Items are what players acquire: `purchase` events (the product: name and productId, as the warehouse keys them) and
// `economy` sinks that name an item (itemType:itemId, things bought with in-game currency). A player's basket is the set
// of distinct items they acquired. Similarity is the co-occurrence count shrunk toward zero for rare pairs,
//   sim(i, j) = c(i, j) / (sqrt(n_i · n_j) + λ),
// cosine with a shrinkage term λ (Koren 2008's shrunk neighbourhood similarity), so a pair seen twice among two
// buyers does not outrank one seen 300 times among 400. A player's candidates are scored by the sum of similarities to
// what they own; owned items are never recommended; when neighbours run out, popularity fills the list.
//
// Honest measurement (evaluateRecommendations): players are split by a hash of their id; the model is built from the
// training players' baskets only; for each held-out player with at least two items, the item acquired last is hidden
// and the model recommends n from the items before it. hit-rate@n is the share of players whose hidden item is in the
// list, compared with the popularity baseline (the n most bought items they do not own) on the same players.
import { productKey } from "../warehouse/fold.js";

/** The columns of an event the item extraction reads (a subset of a stored event). */
export interface ItemEvent {
	userId: number;
	type: string;
	name: string;
	time: number;
	props: Readonly<Record<string, string | number | boolean | null>>;
}

/** The item an event is an acquisition of, or undefined: purchases (by product) and item sinks of the economy. */
export function itemOf(event: ItemEvent): string | undefined {
	if (event.type === "purchase")
		return productKey(event.name, event.props as Record<string, string | number | boolean>);
	if (event.type === "economy" && event.props.flow === "sink") {
		const id = event.props.itemId;
		if (id === undefined || id === null || id === "") return undefined;
		const kind = event.props.itemType;
		return `${kind === undefined || kind === null ? "item" : String(kind)}:${String(id)}`;
	}
	return undefined;
}

/** Each player's items in the order first acquired (time, then as given). */
export function baskets(events: Iterable<ItemEvent>): Map<number, string[]> {
	const firsts = new Map<number, Map<string, number>>();
	for (const event of events) {
		if (event.userId <= 0) continue;
		const item = itemOf(event);
		if (item === undefined) continue;
		let owned = firsts.get(event.userId);
		if (!owned) firsts.set(event.userId, (owned = new Map()));
		const seen = owned.get(item);
		if (seen === undefined || event.time < seen) owned.set(item, event.time);
	}
	const out = new Map<number, string[]>();
	for (const [userId, owned] of firsts) {
		out.set(
			userId,
			[...owned].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([item]) => item),
		);
	}
	return out;
}

export interface RecommendationOptions {
	/** Shrinkage λ of the similarity. @default 10 */
	shrinkage?: number;
	/** Neighbours kept per item (the most similar). @default 50 */
	neighbours?: number;
	/** Pairs seen among fewer players than this are dropped. @default 2 */
	minSupport?: number;
}

/** A trained item-to-item model: each item's nearest neighbours and the popularity order. */
export interface ItemModel {
	/** item → [neighbour, similarity] most similar first. */
	neighbours: Map<string, [string, number][]>;
	/** Items by distinct buyers, most bought first (ties by name). */
	popular: { item: string; buyers: number }[];
	/** Players whose baskets built the model. */
	players: number;
	/** Distinct pairs counted. */
	pairs: number;
}

/**
 * Builds the model from baskets (each player's distinct items). Cost: Σ basket² pair updates, so baskets are capped
 * at their first 200 items (a collector's 10,000 items would dominate the counts and the time).
 *
 * @example
 * const model = trainItemModel(baskets(events));
 * recommend(model, ["developer_product:12"], 5);
 */
export function trainItemModel(
	playerBaskets: Iterable<readonly string[]>,
	options: RecommendationOptions = {},
): ItemModel {
	const shrinkage = options.shrinkage ?? 10;
	const keep = options.neighbours ?? 50;
	const minSupport = options.minSupport ?? 2;
	const index = new Map<string, number>();
	const names: string[] = [];
	const buyers: number[] = [];
	const pairs = new Map<number, number>();
	let players = 0;
	for (const basket of playerBaskets) {
		players++;
		const ids: number[] = [];
		for (const item of basket.slice(0, 200)) {
			let id = index.get(item);
			if (id === undefined) {
				id = names.length;
				index.set(item, id);
				names.push(item);
				buyers.push(0);
			}
			buyers[id]!++;
			ids.push(id);
		}
		for (let a = 0; a < ids.length; a++) {
			for (let b = a + 1; b < ids.length; b++) {
				const i = Math.min(ids[a]!, ids[b]!);
				const j = Math.max(ids[a]!, ids[b]!);
				// Items are < 2^26 in any real shop: the pair fits one safe integer key.
				const key = i * 67_108_864 + j;
				pairs.set(key, (pairs.get(key) ?? 0) + 1);
			}
		}
	}
	const lists = names.map(() => [] as [number, number][]);
	for (const [key, count] of pairs) {
		if (count < minSupport) continue;
		const i = Math.floor(key / 67_108_864);
		const j = key - i * 67_108_864;
		const sim = count / (Math.sqrt(buyers[i]! * buyers[j]!) + shrinkage);
		lists[i]!.push([j, sim]);
		lists[j]!.push([i, sim]);
	}
	const neighbours = new Map<string, [string, number][]>();
	lists.forEach((list, i) => {
		list.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
		neighbours.set(
			names[i]!,
			list.slice(0, keep).map(([j, sim]) => [names[j]!, sim]),
		);
	});
	const popular = names
		.map((item, i) => ({ item, buyers: buyers[i]! }))
		.sort((a, b) => b.buyers - a.buyers || (a.item < b.item ? -1 : a.item > b.item ? 1 : 0));
	return { neighbours, popular, players, pairs: pairs.size };
}

/** One recommended item, with why: the similarity score, or popularity when no owned item has it as a neighbour. */
export interface Recommendation {
	item: string;
	score: number;
	reason: "co-purchase" | "popular";
}

/**
 * The n items a player who owns `owned` is most likely to want next: neighbours of what they own by summed
 * similarity, then the most popular items they do not own. Never an owned item; never a duplicate.
 *
 * @example
 * recommend(model, ["sword:1"], 5).map((r) => r.item);
 */
export function recommend(model: ItemModel, owned: readonly string[], n: number): Recommendation[] {
	const have = new Set(owned);
	const scores = new Map<string, number>();
	for (const item of have) {
		for (const [other, sim] of model.neighbours.get(item) ?? []) {
			if (!have.has(other)) scores.set(other, (scores.get(other) ?? 0) + sim);
		}
	}
	const out: Recommendation[] = [...scores]
		.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
		.slice(0, n)
		.map(([item, score]) => ({ item, score, reason: "co-purchase" }));
	const chosen = new Set(out.map((r) => r.item));
	for (const { item, buyers } of model.popular) {
		if (out.length >= n) break;
		if (have.has(item) || chosen.has(item)) continue;
		out.push({ item, score: buyers / Math.max(1, model.players), reason: "popular" });
		chosen.add(item);
	}
	return out;
}

/** The popularity baseline: the n most bought items the player does not own. */
export function recommendPopular(model: ItemModel, owned: readonly string[], n: number): string[] {
	const have = new Set(owned);
	const out: string[] = [];
	for (const { item } of model.popular) {
		if (out.length >= n) break;
		if (!have.has(item)) out.push(item);
	}
	return out;
}

/** Whether a player is held out of training (30% by a hash of the id, the same split as the other models). */
export function heldOutPlayer(userId: number): boolean {
	// Knuth's multiplicative hash spreads consecutive ids; the top bits decide.
	return (Math.imul(userId >>> 0, 2654435761) >>> 0) / 4294967296 < 0.3;
}

export interface RecommendationEvaluation {
	n: number;
	/** Held-out players with ≥ 2 items (each contributes one hidden item). */
	players: number;
	hitRate: number;
	baselineHitRate: number;
	/** Training players and the catalogue size seen in training. */
	trainingPlayers: number;
	items: number;
}

/**
 * Leave-last-out evaluation on held-out players (see the file comment). The model never sees a held-out basket.
 *
 * @example
 * const e = evaluateRecommendations(baskets(events), 5);
 * e.hitRate > e.baselineHitRate;
 */
export function evaluateRecommendations(
	playerBaskets: ReadonlyMap<number, readonly string[]>,
	n = 5,
	options: RecommendationOptions = {},
): RecommendationEvaluation & { model: ItemModel } {
	const train: (readonly string[])[] = [];
	const test: (readonly string[])[] = [];
	for (const [userId, basket] of playerBaskets) (heldOutPlayer(userId) ? test : train).push(basket);
	const model = trainItemModel(train, options);
	let players = 0;
	let hits = 0;
	let baselineHits = 0;
	for (const basket of test) {
		if (basket.length < 2) continue;
		players++;
		const hidden = basket[basket.length - 1]!;
		const before = basket.slice(0, -1);
		if (recommend(model, before, n).some((r) => r.item === hidden)) hits++;
		if (recommendPopular(model, before, n).includes(hidden)) baselineHits++;
	}
	return {
		n,
		players,
		hitRate: players ? hits / players : 0,
		baselineHitRate: players ? baselineHits / players : 0,
		trainingPlayers: model.players,
		items: model.popular.length,
		model,
	};
}
