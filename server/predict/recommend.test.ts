import { describe, expect, it } from "vitest";
import { baskets, evaluateRecommendations, itemOf, recommend, recommendPopular, trainItemModel } from "./recommend.js";
import { generateShop, shopItemKey } from "./synthetic-shop.js";

describe("items and baskets", () => {
	it("names purchases by product and economy sinks by item, and ignores everything else", () => {
		expect(itemOf({ userId: 1, type: "purchase", name: "developer_product", time: 0, props: { productId: 12 } })).toBe(
			"developer_product:12",
		);
		expect(
			itemOf({
				userId: 1,
				type: "economy",
				name: "sink:Gems",
				time: 0,
				props: { flow: "sink", itemType: "weapon", itemId: "sword" },
			}),
		).toBe("weapon:sword");
		expect(
			itemOf({ userId: 1, type: "economy", name: "source:Gems", time: 0, props: { flow: "source", itemId: "x" } }),
		).toBeUndefined();
		expect(itemOf({ userId: 1, type: "custom", name: "buy", time: 0, props: {} })).toBeUndefined();
	});

	it("keeps each player's distinct items in the order first acquired, without server-level events", () => {
		const p = (userId: number, id: number, time: number) => ({
			userId,
			type: "purchase",
			name: "developer_product",
			time,
			props: { productId: id },
		});
		const b = baskets([p(1, 2, 50), p(1, 1, 10), p(1, 2, 5), p(0, 9, 1), p(2, 3, 1)]);
		expect(b.get(1)).toEqual(["developer_product:2", "developer_product:1"]);
		expect(b.get(2)).toEqual(["developer_product:3"]);
		expect(b.has(0)).toBe(false);
	});
});

describe("item-to-item model", () => {
	// a and b are bought together by 30 players; c is the most popular item but never with a.
	const data: string[][] = [
		...Array.from({ length: 30 }, () => ["a", "b"]),
		...Array.from({ length: 60 }, () => ["c", "d"]),
		...Array.from({ length: 5 }, () => ["a"]),
	];
	const model = trainItemModel(data);

	it("recommends the co-purchased item first and never one the player owns", () => {
		const recs = recommend(model, ["a"], 3);
		expect(recs[0]).toMatchObject({ item: "b", reason: "co-purchase" });
		expect(recs.map((r) => r.item)).not.toContain("a");
		expect(new Set(recs.map((r) => r.item)).size).toBe(recs.length);
	});

	it("fills with popular items when neighbours run out, and the popularity baseline ignores co-purchase", () => {
		const recs = recommend(model, ["a"], 3);
		expect(recs.slice(1).map((r) => r.reason)).toEqual(["popular", "popular"]);
		expect(recommendPopular(model, ["a"], 1)).toEqual(["c"]);
	});

	it("shrinks rare pairs: two co-buyers among two do not outrank thirty co-buyers of a best-seller", () => {
		// b is a best-seller (480 buyers), 30 of them with a; "rare" has 2 buyers, both with a. Plain cosine ranks rare
		// first (2/√(37·2) = 0.23 > 30/√(37·480) = 0.22); the shrunk similarity trusts the 30.
		const m = trainItemModel([...data, ...Array.from({ length: 450 }, () => ["b", "e"]), ["a", "rare"], ["a", "rare"]]);
		expect(recommend(m, ["a"], 2).map((r) => r.item)).toEqual(["b", "rare"]);
		expect(trainItemModel([...data, ["a", "rare"]]).neighbours.get("rare") ?? []).toEqual([]);
	});
});

describe("measured on the synthetic shop (planted co-purchase pairs and themes)", () => {
	it("hit-rate@5 on held-out players beats the popularity baseline clearly", () => {
		const shop = generateShop({ players: 20_000, seed: 3 });
		const e = evaluateRecommendations(baskets(shop.events), 5);
		expect(e.players).toBeGreaterThan(2000);
		expect(e.hitRate).toBeGreaterThan(e.baselineHitRate + 0.2);
		// The planted partner of a paired item is its top neighbour.
		const a = shopItemKey(0);
		expect(e.model.neighbours.get(a)?.[0]?.[0]).toBe(shop.partners.get(a));
	});
});
