import { describe, expect, it } from "@rbxts/jest-globals";
import { balancedChoice, StratifiedAllocator, stratumOf } from "../../../../src/shared/stratify";
import { fakePlayer } from "../tracking/fakes";
import { experiment, fakeExperiments, MemoryPersistence, parsed, seededRandom } from "./helpers";

const DEVICES = ["desktop", "phone", "tablet", "console"];
const COUNTRIES = ["US", "BR", "DE", "PH", "GB"];

/** Largest |share − weight| over the variations of every stratum, from per-stratum counts. */
function worstImbalance(counts: Map<string, number[]>, weights: number[]): number {
	let worst = 0;
	for (const [, c] of counts) {
		let total = 0;
		for (const n of c) total += n;
		c.forEach((n, i) => (worst = math.max(worst, math.abs(n / total - weights[i]))));
	}
	return worst;
}

describe("stratified assignment", () => {
	it("keeps every stratum within 1% of the weights across servers, as plain random draws do not", () => {
		// 12000 players over 4 devices × 5 countries × new/returning (40 strata, ~300 each), joining 4 servers.
		const persistence = new MemoryPersistence();
		const shop = experiment("shop", {
			assignment: { mode: "stratified", strata: ["device", "country", "firstVisit"] },
		});
		const config = parsed([shop]);
		const servers = [1, 2, 3, 4].map((seed) => fakeExperiments(config, { persistence, random: seededRandom(seed) }));
		const pick = seededRandom(99);
		const stratified = new Map<string, number[]>();
		const random = new Map<string, number[]>();
		for (let id = 1; id <= 12000; id++) {
			const attributes = {
				device: DEVICES[math.floor(pick() * DEVICES.size())],
				country: COUNTRIES[math.floor(pick() * COUNTRIES.size())],
				firstVisit: pick() < 0.3,
			};
			const server = servers[math.floor(pick() * servers.size())];
			const player = fakePlayer(id);
			server.experiments.playerJoined(player);
			server.experiments.setAttributes(player, attributes);
			const variant = server.experiments.getVariant(player, "shop");
			expect(variant.reason).toBe("assigned");
			const stratum = stratumOf(["device", "country", "firstVisit"], attributes);
			const s = stratified.get(stratum) ?? [0, 0];
			s[variant.index] += 1;
			stratified.set(stratum, s);
			const r = random.get(stratum) ?? [0, 0];
			r[pick() < 0.5 ? 0 : 1] += 1;
			random.set(stratum, r);
		}
		expect(stratified.size()).toBe(40);
		expect(worstImbalance(stratified, [0.5, 0.5]) <= 0.01).toBe(true);
		// The same players drawn at random: some stratum ends up well off 50/50 (the test can tell the difference).
		expect(worstImbalance(random, [0.5, 0.5]) > 0.03).toBe(true);
	}, 120_000);

	it("logs the stratum with the exposure and keeps the player's variation once assigned", () => {
		const persistence = new MemoryPersistence();
		const shop = experiment("shop", { assignment: { mode: "stratified", strata: ["device", "country"] } });
		const { experiments, exposures } = fakeExperiments(parsed([shop]), { persistence });
		const ada = fakePlayer(1001);
		experiments.playerJoined(ada);
		experiments.setAttributes(ada, { device: "phone" });
		const first = experiments.getVariant(ada, "shop");
		expect(exposures[0].props).toEqual({
			variation: first.key!,
			mode: "stratified",
			stratum: "device=phone|country=?",
			"attr.device": "phone",
		});
		experiments.setAttributes(ada, { device: "desktop", country: "US" });
		expect(experiments.getVariant(ada, "shop")).toMatchObject({ key: first.key!, reason: "stored" });
		experiments.playerLeft(1001);
		experiments.playerJoined(ada);
		expect(experiments.getVariant(ada, "shop")).toMatchObject({ key: first.key!, reason: "stored" });
	});

	it("balances unequal weights: no variation is ever k − 1 units or more off its share", () => {
		const weights = [0.2, 0.3, 0.5];
		const allocator = new StratifiedAllocator();
		const random = seededRandom(5);
		for (let n = 1; n <= 2000; n++) {
			allocator.choose("s", weights, random());
			const counts = allocator.countsOf("s", 3);
			counts.forEach((c, i) => {
				expect(c - weights[i] * n < 1).toBe(true);
				expect(weights[i] * n - c < 2).toBe(true);
			});
		}
	});

	it("only owes units to variations below their share, drawing among them by what they are owed", () => {
		expect(balancedChoice([0, 0], [0.5, 0.5], 0.2)).toBe(0);
		expect(balancedChoice([0, 0], [0.5, 0.5], 0.7)).toBe(1);
		expect(balancedChoice([1, 0], [0.5, 0.5], 0.01)).toBe(1);
		expect(balancedChoice([3, 1, 0], [0.6, 0.2, 0.2], 0.99)).toBe(2);
		expect(balancedChoice([0, 5], [1, 0], 0.99)).toBe(0);
		expect(balancedChoice([0, 0], [0, 0], 0.99)).toBe(1);
	});
});
