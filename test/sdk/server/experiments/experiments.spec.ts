import { describe, expect, it } from "@rbxts/jest-globals";
import { RELOAD_AFTER_SECONDS } from "../../../../src/server/experiments/experiments";
import { assign } from "../../../../src/shared/assignment";
import { fakePlayer } from "../tracking/fakes";
import { experiment, fakeExperiments, flag, MemoryPersistence, parsed, seededRandom } from "./helpers";

describe("getVariant", () => {
	it("answers undefined with a reason before the first config, and for unknown experiments", () => {
		const { experiments, setConfig, exposures } = fakeExperiments(undefined);
		const ada = fakePlayer(1001);
		expect(experiments.getVariant(ada, "shop")).toEqual({ index: 0, inExperiment: false, reason: "noConfig" });
		setConfig(parsed([experiment("shop")]));
		expect(experiments.getVariant(ada, "nope")).toEqual({
			index: 0,
			inExperiment: false,
			reason: "unknownExperiment",
		});
		expect(exposures.size()).toBe(0);
	});

	it("assigns deterministic experiments by the GrowthBook hash of the UserId", () => {
		const shop = experiment("shop", { variations: [{ key: "a" }, { key: "b" }, { key: "c" }] });
		const { experiments } = fakeExperiments(parsed([shop]));
		for (let id = 1; id <= 60; id++) {
			const expected = assign(shop, { id });
			const variant = experiments.getVariant(fakePlayer(id), "shop");
			expect(variant.index).toBe(expected.variationIndex);
			expect(variant.key).toBe(shop.variations[expected.variationIndex].key);
			expect(variant.inExperiment).toBe(true);
		}
	});

	it("logs one exposure per player, experiment and session", () => {
		const { experiments, exposures } = fakeExperiments(parsed([experiment("shop"), experiment("hud")]));
		const ada = fakePlayer(1001);
		const bob = fakePlayer(1002);
		for (let i = 0; i < 5; i++) {
			experiments.getVariant(ada, "shop");
			experiments.getVariant(ada, "hud");
			experiments.getVariant(bob, "shop");
		}
		const summary = exposures.map((e) => `${e.userId}:${e.experiment}:${e.props.mode}`);
		expect(summary).toEqual(["1001:shop:deterministic", "1001:hud:deterministic", "1002:shop:deterministic"]);
		expect(exposures[0].props.variation).toBe(experiments.getVariant(ada, "shop").key);
		// A new session (the player left and came back): logged again, once.
		experiments.playerLeft(1001);
		experiments.getVariant(ada, "shop");
		experiments.getVariant(ada, "shop");
		expect(exposures.size()).toBe(4);
	});

	it("logs again when a player's variation changes within the session, so results can leave them out", () => {
		const { experiments, exposures, setConfig } = fakeExperiments(parsed([experiment("shop")]));
		const ada = fakePlayer(1001);
		const first = experiments.getVariant(ada, "shop");
		experiments.getVariant(ada, "shop");
		// A seed under which the hash puts the player in the other variation.
		let n = 0;
		while (assign(experiment("shop", { seed: `s${n}` }), { id: 1001 }).variationIndex === first.index) n += 1;
		setConfig(parsed([experiment("shop", { seed: `s${n}` })]));
		const second = experiments.getVariant(ada, "shop");
		experiments.getVariant(ada, "shop");
		expect(second.index).never.toBe(first.index);
		expect(exposures.map((e) => e.props.variation)).toEqual([first.key!, second.key!]);
	});

	it("serves forced QA variations in any status, without exposures", () => {
		const draft = experiment("shop", { status: "draft", forcedVariations: { "1001": 1 } });
		const { experiments, exposures } = fakeExperiments(parsed([draft]));
		expect(experiments.getVariant(fakePlayer(1001), "shop")).toEqual({
			key: "treatment",
			index: 1,
			inExperiment: true,
			reason: "forced",
		});
		expect(experiments.getVariant(fakePlayer(1002), "shop")).toMatchObject({
			key: "control",
			inExperiment: false,
			reason: "notRunning",
		});
		expect(exposures.size()).toBe(0);
	});

	it("targets by condition over built-in, learned and game-set attributes", () => {
		const targeted = experiment("shop", {
			coverage: 1,
			condition: { country: { $in: ["US", "CA"] }, accountAge: { $gte: 30 }, vipTier: { $ne: 0 } },
		});
		const { experiments, attributes, exposures } = fakeExperiments(parsed([targeted]));
		const ada = fakePlayer(1001, { AccountAge: 45 });
		attributes.join(ada);
		expect(experiments.getVariant(ada, "shop")).toMatchObject({ key: "control", reason: "conditionFailed" });
		attributes.learn(1001, "country", "CA");
		expect(experiments.getVariant(ada, "shop").inExperiment).toBe(true);
		expect(experiments.setAttributes(ada, { vipTier: 0 })).toBe(true);
		expect(experiments.getVariant(ada, "shop").reason).toBe("conditionFailed");
		const young = fakePlayer(1002, { AccountAge: 3 });
		experiments.setAttributes(young, { country: "US" });
		expect(experiments.getVariant(young, "shop").reason).toBe("conditionFailed");
		expect(exposures.size()).toBe(1);
	});

	it("follows the player's consent: control without exposure until they agree to experiments; no targeting on their data without personalization", () => {
		const allowed = new Map<string, boolean>();
		const consent = {
			allows(userId: number, category: string) {
				return allowed.get(`${userId} ${category}`) === true;
			},
		};
		const targeted = experiment("shop", { coverage: 1, condition: { country: "CA" } });
		const { experiments, attributes, exposures } = fakeExperiments(parsed([experiment("hud"), targeted]), {
			consent,
		});
		const ada = fakePlayer(1001);
		attributes.join(ada);
		attributes.learn(1001, "country", "CA");
		expect(experiments.getVariant(ada, "hud")).toMatchObject({
			key: "control",
			inExperiment: false,
			reason: "consent",
		});
		expect(exposures.size()).toBe(0);
		allowed.set("1001 experiments", true);
		expect(experiments.getVariant(ada, "hud").inExperiment).toBe(true);
		// Without personalization, the country is not read: the condition fails.
		expect(experiments.getVariant(ada, "shop").reason).toBe("conditionFailed");
		allowed.set("1001 personalization", true);
		expect(experiments.getVariant(ada, "shop").inExperiment).toBe(true);
		expect(exposures.map((e) => e.experiment)).toEqual(["hud", "shop"]);
	});

	it("puts the game's attributes on the exposure as attr.<name> (for breakdowns), only with personalization consent", () => {
		const allowed = new Map<string, boolean>([
			["1001 experiments", true],
			["1001 personalization", true],
			["1002 experiments", true],
		]);
		const consent = {
			allows(userId: number, category: string) {
				return allowed.get(`${userId} ${category}`) === true;
			},
		};
		const { experiments, exposures } = fakeExperiments(parsed([experiment("hud")]), { consent });
		const ada = fakePlayer(1001);
		const bob = fakePlayer(1002);
		experiments.setAttributes(ada, { vipTier: 2, guild: "red" });
		experiments.setAttributes(bob, { vipTier: 1 });
		experiments.getVariant(ada, "hud");
		experiments.getVariant(bob, "hud");
		expect(exposures.size()).toBe(2);
		expect(exposures[0].props["attr.vipTier"]).toBe(2);
		expect(exposures[0].props["attr.guild"]).toBe("red");
		expect(exposures[0].props["attr.id"]).toBe(undefined);
		expect(exposures[1].props["attr.vipTier"]).toBe(undefined);
	});

	it("leaves units outside the coverage on control, with the hash's reason", () => {
		const { experiments } = fakeExperiments(parsed([experiment("shop", { coverage: 0.3 })]));
		let covered = 0;
		for (let id = 1; id <= 1000; id++) {
			const v = experiments.getVariant(fakePlayer(id), "shop");
			if (v.inExperiment) covered += 1;
			else expect(v).toMatchObject({ key: "control", index: 0, reason: "notCovered" });
		}
		expect(covered > 250 && covered < 350).toBe(true);
	});

	it("refuses calls without a player or a key, never throwing", () => {
		const { experiments, refused } = fakeExperiments(parsed([experiment("shop")]));
		expect(experiments.getVariant("Ada", "shop").reason).toBe("invalidCall");
		expect(experiments.getVariant(fakePlayer(1), 5).reason).toBe("invalidCall");
		expect(experiments.setAttributes(fakePlayer(1), { id: 5 })).toBe(false);
		expect(experiments.setAttributes(fakePlayer(1), { $x: 5 })).toBe(false);
		expect(refused).toEqual([
			"getVariant: the first argument must be a Player",
			"getVariant: the experiment key must be a string",
			"setAttributes: the `id` attribute is always the UserId",
			"setAttributes: attribute names cannot start with $",
		]);
	});
});

describe("isOn and getFeatureValue", () => {
	it("follow the backend's flag steps: disabled, condition, rollout by hash", () => {
		const flags = [
			flag("snow"),
			flag("off", { enabled: false }),
			flag("off-text", { enabled: false, defaultValue: "plain" }),
			flag("us-only", { condition: { country: "US" } }),
			flag("half", { coverage: 0.5 }),
			flag("pets", { defaultValue: 3, variations: [{ key: "more", value: 5, weight: 1 }] }),
			flag("zero", { variations: [{ key: "zero", value: 0, weight: 1 }] }),
		];
		const { experiments, setConfig } = fakeExperiments(undefined);
		const ada = fakePlayer(1001);
		expect(experiments.isOn(ada, "snow")).toBe(false);
		expect(experiments.getFeatureValue(ada, "pets", 1)).toBe(1);
		setConfig(parsed([], flags));
		expect(experiments.isOn(ada, "snow")).toBe(true);
		expect(experiments.isOn(ada, "off")).toBe(false);
		expect(experiments.getFeatureValue(ada, "off-text")).toBe("plain");
		expect(experiments.isOn(ada, "us-only")).toBe(false);
		experiments.setAttributes(ada, { country: "US" });
		expect(experiments.isOn(ada, "us-only")).toBe(true);
		expect(experiments.getFeatureValue(ada, "pets", 1)).toBe(5);
		expect(experiments.isOn(ada, "zero")).toBe(false);
		expect(experiments.isOn(ada, "unknown")).toBe(false);
		let on = 0;
		for (let id = 1; id <= 1000; id++) if (experiments.isOn(fakePlayer(id), "half")) on += 1;
		expect(on > 450 && on < 550).toBe(true);
	});
});

describe("random, stratified and adaptive modes", () => {
	const randomShop = () => experiment("shop", { assignment: { mode: "random" } });

	it("answer with the hash while kept assignments load, without exposure; then draw once and keep it", () => {
		const persistence = new MemoryPersistence();
		persistence.latency = 0.5;
		const shop = randomShop();
		const { experiments, exposures } = fakeExperiments(parsed([shop]), { persistence, random: seededRandom(7) });
		const ada = fakePlayer(1001);
		experiments.playerJoined(ada);
		const early = experiments.getVariant(ada, "shop");
		expect(early).toMatchObject({ inExperiment: false, reason: "loading" });
		expect(early.index).toBe(assign(shop, { id: 1001 }).variationIndex);
		expect(exposures.size()).toBe(0);
		task.wait(0.6);
		const drawn = experiments.getVariant(ada, "shop");
		expect(drawn).toMatchObject({ inExperiment: true, reason: "assigned" });
		expect(exposures).toEqual([{ userId: 1001, experiment: "shop", props: { variation: drawn.key!, mode: "random" } }]);
		task.wait(0.6);
		expect(persistence.kept.get(1001)?.shop).toMatchObject({ k: drawn.key!, s: "shop" });
		expect(experiments.getVariant(ada, "shop")).toMatchObject({ key: drawn.key!, reason: "stored" });
		expect(persistence.loads).toBe(1);
		expect(persistence.saves).toBe(1);
	}, 10_000);

	it("keep a player's drawn variation on every server and session", () => {
		const persistence = new MemoryPersistence();
		const config = parsed([randomShop()]);
		const servers = [1, 2, 3].map((seed) => fakeExperiments(config, { persistence, random: seededRandom(seed) }));
		const keys = new Array<string>();
		for (let id = 1; id <= 40; id++) {
			const player = fakePlayer(id);
			for (const server of servers) {
				server.experiments.playerJoined(player);
				keys.push(`${id}:${server.experiments.getVariant(player, "shop").key}`);
				server.experiments.playerLeft(id);
			}
		}
		for (let i = 0; i < keys.size(); i += 3) {
			expect(keys[i + 1]).toBe(keys[i]);
			expect(keys[i + 2]).toBe(keys[i]);
		}
		// The draws are random, not the hash: some players differ from what deterministic mode would give.
		let differs = 0;
		for (let id = 1; id <= 40; id++) {
			const kept = persistence.kept.get(id)!.shop.k;
			if (kept !== randomShop().variations[assign(randomShop(), { id }).variationIndex].key) differs += 1;
		}
		expect(differs > 5).toBe(true);
	});

	it("fall back to the hash while DataStore fails, and try again a minute later", () => {
		const persistence = new MemoryPersistence();
		persistence.failLoads = 1;
		const { experiments, exposures, warnings } = fakeExperiments(parsed([randomShop()]), { persistence });
		const ada = fakePlayer(1001);
		experiments.playerJoined(ada);
		expect(experiments.getVariant(ada, "shop").reason).toBe("storeUnavailable");
		expect(warnings.messages.size()).toBe(1);
		task.wait(RELOAD_AFTER_SECONDS / 2);
		expect(experiments.getVariant(ada, "shop").reason).toBe("storeUnavailable");
		expect(persistence.loads).toBe(1);
		task.wait(RELOAD_AFTER_SECONDS / 2 + 1);
		expect(experiments.getVariant(ada, "shop")).toMatchObject({ inExperiment: true, reason: "assigned" });
		expect(persistence.loads).toBe(2);
		expect(exposures.size()).toBe(1);
	}, 200_000);

	it("write a draw again after a failed save, at the latest when the player leaves", () => {
		const persistence = new MemoryPersistence();
		persistence.failSaves = 1;
		const { experiments } = fakeExperiments(parsed([randomShop()]), { persistence });
		const ada = fakePlayer(1001);
		experiments.playerJoined(ada);
		const drawn = experiments.getVariant(ada, "shop");
		expect(persistence.kept.get(1001)).toBeUndefined();
		experiments.playerLeft(1001);
		expect(persistence.kept.get(1001)?.shop.k).toBe(drawn.key);
	});

	it("assign by hash when kept assignments are off", () => {
		const shop = randomShop();
		const { experiments, exposures } = fakeExperiments(parsed([shop]));
		const v = experiments.getVariant(fakePlayer(1001), "shop");
		expect(v).toMatchObject({ index: assign(shop, { id: 1001 }).variationIndex, reason: "assigned" });
		expect(exposures[0].props.mode).toBe("deterministic");
	});

	it("draw adaptive experiments with the served weights, keeping players as the weights move", () => {
		const persistence = new MemoryPersistence();
		const bandit = (weights: number[]) =>
			experiment("bandit", {
				assignment: { mode: "adaptive" },
				variations: weights.map((weight, i) => ({ key: `arm${i}`, weight })),
			});
		const { experiments, setConfig } = fakeExperiments(parsed([bandit([0.8, 0.1, 0.1])]), {
			persistence,
			random: seededRandom(11),
		});
		const counts = [0, 0, 0];
		for (let id = 1; id <= 1000; id++) {
			const player = fakePlayer(id);
			experiments.playerJoined(player);
			counts[experiments.getVariant(player, "bandit").index] += 1;
		}
		expect(math.abs(counts[0] / 1000 - 0.8) < 0.04).toBe(true);
		expect(math.abs(counts[1] / 1000 - 0.1) < 0.03).toBe(true);
		// New weights: players already assigned keep their arm, new ones follow the new weights.
		setConfig(parsed([bandit([0.05, 0.05, 0.9])]));
		const before = experiments.getVariant(fakePlayer(1), "bandit").key;
		expect(experiments.getVariant(fakePlayer(1), "bandit")).toMatchObject({ key: before, reason: "stored" });
		let third = 0;
		for (let id = 1001; id <= 2000; id++) {
			const player = fakePlayer(id);
			experiments.playerJoined(player);
			if (experiments.getVariant(player, "bandit").index === 2) third += 1;
		}
		expect(third > 850).toBe(true);
	});
});
