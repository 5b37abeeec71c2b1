import { describe, expect, it } from "@rbxts/jest-globals";
import { parseConfig } from "../../../../src/server/experiments/config";
import { HOLDOUT_EXPOSURE_KEY } from "../../../../src/server/experiments/experiments";
import { inHoldout } from "../../../../src/shared/assignment";
import { fakePlayer } from "../tracking/fakes";
import { configDocument, experiment, fakeExperiments, flag, MemoryPersistence } from "./helpers";

const HOLDOUT = { seed: "holdout-spec", percent: 10 };
/** The UserIds 1..200 the backend's isHeldOut (server/experiments/holdout.ts) holds out under HOLDOUT. */
const HELD_BY_BACKEND = [
	4, 9, 19, 25, 35, 40, 46, 72, 83, 84, 99, 119, 122, 143, 145, 156, 159, 163, 174, 175, 181, 185, 186,
];

/** The config with a holdout (HOLDOUT unless given; `false` for none). */
function withHoldout(holdout: unknown = HOLDOUT) {
	const document = {
		...configDocument(
			[experiment("shop"), experiment("hud"), experiment("bandit", { assignment: { mode: "random" } })],
			[flag("banner")],
		),
		...(holdout === false ? {} : { holdout }),
	};
	return parseConfig(document)!;
}

describe("the global holdout", () => {
	it("gives a held-out player control in every experiment, no experiment exposure, and one holdout marker", () => {
		const persistence = new MemoryPersistence();
		const { experiments, exposures } = fakeExperiments(withHoldout(), { persistence });
		const held = fakePlayer(4);
		for (let i = 0; i < 3; i++) {
			for (const key of ["shop", "hud", "bandit"]) {
				expect(experiments.getVariant(held, key)).toEqual({
					key: "control",
					index: 0,
					inExperiment: false,
					reason: "holdout",
				});
			}
		}
		expect(exposures.map((e) => `${e.experiment}:${e.props.variation}`)).toEqual([`${HOLDOUT_EXPOSURE_KEY}:holdout`]);
		// Nothing was drawn or kept for them.
		expect(persistence.saves).toBe(0);
		// Flags are not part of the holdout.
		expect(experiments.isOn(held, "banner")).toBe(true);
	});

	it("assigns everyone else as before, with the marker once as exposed", () => {
		const { experiments, exposures } = fakeExperiments(withHoldout());
		const ada = fakePlayer(5);
		experiments.getVariant(ada, "shop");
		experiments.getVariant(ada, "hud");
		experiments.getVariant(ada, "shop");
		expect(exposures.map((e) => `${e.experiment}:${e.props.variation === undefined ? "" : "v"}`)).toEqual([
			`${HOLDOUT_EXPOSURE_KEY}:v`,
			"shop:v",
			"hud:v",
		]);
		expect(exposures[0].props.variation).toBe("exposed");
		expect(experiments.getVariant(ada, "shop").inExperiment).toBe(true);
	});

	it("holds out the same players on every server, as the backend does", () => {
		const one = fakeExperiments(withHoldout());
		const two = fakeExperiments(withHoldout());
		const heldOnOne = new Array<number>();
		let held = 0;
		for (let id = 1; id <= 2000; id++) {
			const a = one.experiments.getVariant(fakePlayer(id), "shop");
			const b = two.experiments.getVariant(fakePlayer(id), "shop");
			expect(a).toEqual(b);
			expect(a.reason === "holdout").toBe(inHoldout(HOLDOUT, id));
			if (a.reason === "holdout") {
				held += 1;
				if (id <= 200) heldOnOne.push(id);
			}
		}
		expect(heldOnOne).toEqual(HELD_BY_BACKEND);
		// 10% of 2000, within sampling noise.
		expect(held > 160 && held < 240).toBe(true);
		const markers = one.exposures.filter((e) => e.experiment === HOLDOUT_EXPOSURE_KEY);
		expect(markers.size()).toBe(2000);
		expect(markers.filter((e) => e.props.variation === "holdout").size()).toBe(held);
		expect(one.exposures.filter((e) => e.experiment === "shop").size()).toBe(2000 - held);
	});

	it("lets a forced QA user through, logs no marker for drafts, and holds no one out without a holdout", () => {
		const document = {
			...configDocument([
				experiment("shop", { forcedVariations: { "4": 1 } }),
				experiment("next", { status: "draft", forcedVariations: { "9": 1 } }),
			]),
			holdout: HOLDOUT,
		};
		const { experiments, exposures } = fakeExperiments(parseConfig(document)!);
		expect(experiments.getVariant(fakePlayer(4), "shop").reason).toBe("forced");
		expect(experiments.getVariant(fakePlayer(9), "next").reason).toBe("forced");
		expect(exposures.map((e) => `${e.userId}:${e.experiment}`)).toEqual([`4:${HOLDOUT_EXPOSURE_KEY}`]);

		const off = fakeExperiments(withHoldout(false));
		expect(off.experiments.getVariant(fakePlayer(4), "shop").inExperiment).toBe(true);
		expect(off.exposures.map((e) => e.experiment)).toEqual(["shop"]);
	});

	it("skips a malformed holdout (nobody held out) and names it", () => {
		const parsed = withHoldout({ seed: 5, percent: "ten" });
		expect(parsed.holdout).toBeUndefined();
		expect(parsed.skipped).toEqual(["holdout"]);
		expect(inHoldout({ seed: "x", percent: 0 }, 4)).toBe(false);
		expect(inHoldout(HOLDOUT, 0)).toBe(false);
	});

	it("logs no marker for a player who has not agreed to experiments", () => {
		const consent = {
			allows(userId: number) {
				return userId !== 5;
			},
		};
		const { experiments, exposures } = fakeExperiments(withHoldout(), { consent });
		expect(experiments.getVariant(fakePlayer(5), "shop").reason).toBe("consent");
		expect(experiments.getVariant(fakePlayer(4), "shop").reason).toBe("holdout");
		expect(exposures.map((e) => `${e.userId}:${e.experiment}`)).toEqual([`4:${HOLDOUT_EXPOSURE_KEY}`]);
	});
});
