// Shop recommendations in the game: the model from /v1/config, what players acquired on this server, consent.
import { describe, expect, it } from "@rbxts/jest-globals";
import { parseRecommendations, productItem, Recommender } from "../../../src/server/recommendations";
import { parseConfig } from "../../../src/server/experiments/config";

const document = {
	neighbours: {
		"developer_product:1": [
			["developer_product:2", 0.5],
			["developer_product:3", 0.2],
		],
		"Weapons:Sword": [["developer_product:3", 0.4]],
	},
	popular: ["developer_product:9", "developer_product:1", "developer_product:2"],
};

function recommender(): Recommender {
	const r = new Recommender();
	r.setModel(parseRecommendations(document));
	return r;
}

describe("Recommender", () => {
	it("offers nothing before a model arrives", () => {
		expect(new Recommender().recommend(1, 3, ["developer_product:1"], true)).toEqual([]);
	});

	it("ranks the neighbours of what the player owns by summed similarity, then fills with popular items", () => {
		const items = recommender().recommend(1, 4, ["developer_product:1", "Weapons:Sword"], true);
		// product 3: 0.2 + 0.4 = 0.6 beats product 2's 0.5; then the most bought item not owned.
		expect(items).toEqual(["developer_product:3", "developer_product:2", "developer_product:9"]);
	});

	it("counts what the player acquired on this server, and forgets it when they leave", () => {
		const r = recommender();
		r.acquired(7, productItem(1));
		expect(r.recommend(7, 1, undefined, true)).toEqual(["developer_product:2"]);
		r.forget(7);
		expect(r.recommend(7, 1, undefined, true)).toEqual(["developer_product:9"]);
	});

	it("never offers an owned item and gives popular items only without personalization consent", () => {
		const items = recommender().recommend(1, 5, ["developer_product:1", "developer_product:9"], false);
		expect(items).toEqual(["developer_product:2"]);
	});

	it("keeps the previous model when a config has none", () => {
		const r = recommender();
		r.setModel(undefined);
		expect(r.recommend(1, 1, [], true)).toEqual(["developer_product:9"]);
	});
});

describe("the config's recommendations member", () => {
	it("is parsed with the rest of the config, and a malformed one is skipped by name", () => {
		const good = parseConfig({ gameId: "g", experiments: [], flags: [], recommendations: document });
		expect(good?.recommendations?.popular).toEqual(document.popular);
		const bad = parseConfig({ gameId: "g", experiments: [], flags: [], recommendations: { neighbours: 5 } });
		expect(bad?.recommendations).toBeUndefined();
		expect(bad?.skipped).toEqual(["recommendations"]);
	});
});
