// A seeded generator of shop purchases with planted structure, for measuring the recommender where the truth is known.
//
// Planted signals:
// - the catalogue is THEMES themes × ITEMS_PER_THEME items; each player has a favourite theme (themes are unequally
//   popular) and buys inside it with probability THEME_LOYALTY, otherwise an item drawn by global popularity (Zipf);
// - PAIRS items have a partner (a skin for a tool, a pass for a map): a player who buys one buys its partner next with
//   probability PAIR_PULL — the co-purchase pairs a recommender should find and popularity cannot.
// Purchases are `purchase` events of developer products (productId = the item number), as the SDK sends them.
import { mulberry32 } from "../stats/prng.js";
import type { ItemEvent } from "./recommend.js";

const THEMES = 12;
const ITEMS_PER_THEME = 6;
const ITEMS = THEMES * ITEMS_PER_THEME;
const THEME_LOYALTY = 0.65;
const PAIR_PULL = 0.6;
const DAY_MS = 86_400_000;

export interface SyntheticShopOptions {
	/** @default 100_000 */
	players?: number;
	/** @default 42 */
	seed?: number;
	/** Unix ms of the first purchase day. @default 2026-01-01 */
	start?: number;
}

export interface SyntheticShop {
	events: ItemEvent[];
	/** The planted partner of each paired item (both directions), by item key as `itemOf` names it. */
	partners: Map<string, string>;
	items: number;
}

/** The key `itemOf` gives the product with this number. */
export const shopItemKey = (item: number) => `developer_product:${1000 + item}`;

/**
 * Generates purchases. The same options give the same events on every machine.
 *
 * @example
 * const { events } = generateShop({ players: 1000 });
 */
export function generateShop(options: SyntheticShopOptions = {}): SyntheticShop {
	const count = options.players ?? 100_000;
	const start = options.start ?? Date.UTC(2026, 0, 1);
	const random = mulberry32(options.seed ?? 42);
	// Zipf(1) weights: item k of the global order has weight 1/(k+1); themes likewise.
	const zipf = (n: number) => {
		const w = Array.from({ length: n }, (_, k) => 1 / (k + 1));
		const total = w.reduce((a, b) => a + b, 0);
		let acc = 0;
		return w.map((x) => (acc += x / total));
	};
	const itemCdf = zipf(ITEMS);
	const themeCdf = zipf(THEMES);
	const draw = (cdf: number[]) => {
		const u = random();
		const i = cdf.findIndex((c) => u < c);
		return i < 0 ? cdf.length - 1 : i;
	};
	// Global popularity order is a fixed shuffle of the items, so popular items are spread across themes.
	const order = Array.from({ length: ITEMS }, (_, i) => i);
	for (let i = order.length - 1; i > 0; i--) {
		const j = Math.floor(random() * (i + 1));
		[order[i], order[j]] = [order[j]!, order[i]!];
	}
	// Pairs: item 0↔1, 2↔3 of each theme (two pairs per theme), plus the rest unpaired.
	const partner = new Map<number, number>();
	for (let t = 0; t < THEMES; t++) {
		const base = t * ITEMS_PER_THEME;
		partner.set(base, base + 1).set(base + 1, base);
		partner.set(base + 2, base + 3).set(base + 3, base + 2);
	}
	const events: ItemEvent[] = [];
	for (let p = 0; p < count; p++) {
		const userId = 1 + p;
		const theme = draw(themeCdf);
		// Purchases per player: 1 + Geometric(mean 2.5), capped so a few whales do not dominate.
		let purchases = 1;
		while (purchases < 12 && random() < 0.6) purchases++;
		const owned = new Set<number>();
		let time = start + Math.floor(random() * 28 * DAY_MS);
		let next: number | undefined;
		for (let k = 0; k < purchases && owned.size < ITEMS; k++) {
			let item: number;
			if (next !== undefined && !owned.has(next)) item = next;
			else if (random() < THEME_LOYALTY) item = theme * ITEMS_PER_THEME + Math.floor(random() * ITEMS_PER_THEME);
			else item = order[draw(itemCdf)]!;
			next = undefined;
			if (owned.has(item)) continue;
			owned.add(item);
			const mate = partner.get(item);
			if (mate !== undefined && random() < PAIR_PULL) next = mate;
			time += Math.floor((0.05 + random()) * DAY_MS);
			events.push({
				userId,
				type: "purchase",
				name: "developer_product",
				time,
				props: { productId: 1000 + item, robux: 25 + (item % 5) * 50 },
			});
		}
	}
	const partners = new Map<string, string>();
	for (const [a, b] of partner) partners.set(shopItemKey(a), shopItemKey(b));
	return { events, partners, items: ITEMS };
}
