import { describe, expect, it } from "vitest";
import {
	holdoutChangeText,
	layerBar,
	layerSummary,
	layersPath,
	newLayerBody,
	parseHoldoutPercent,
} from "./layers-data.js";

describe("layerBar", () => {
	it("lists slices and free ranges left to right, with shares and ranges in words", () => {
		const bar = layerBar({
			slices: [
				{ experiment: "hud", name: "HUD", status: "draft", start: 0.5, end: 0.75 },
				{ experiment: "shop", name: "Shop", status: "running", start: 0, end: 0.3 },
			],
			free: [
				{ start: 0.3, end: 0.5 },
				{ start: 0.75, end: 1 },
			],
		});
		expect(bar.map((s) => [s.kind, s.key, s.label, s.share, s.range])).toEqual([
			["experiment", "shop", "Shop (running)", "30%", "0%–30%"],
			["free", "", "Free", "20%", "30%–50%"],
			["experiment", "hud", "HUD (draft)", "25%", "50%–75%"],
			["free", "", "Free", "25%", "75%–100%"],
		]);
	});

	it("summarizes a layer for screen readers", () => {
		expect(layerSummary({ slices: [], freeShare: 1 })).toBe("No experiments; 100% free");
		expect(
			layerSummary({ slices: [{ experiment: "a", name: "a", status: "running", start: 0, end: 0.4 }], freeShare: 0.6 }),
		).toBe("1 experiment; 60% free");
	});
});

describe("the forms", () => {
	it("builds a new layer's body, naming a bad id", () => {
		expect(newLayerBody({ id: " ui ", name: "UI", description: "" })).toEqual({
			body: { id: "ui", name: "UI" },
			issues: [],
		});
		expect(newLayerBody({ id: "bad id", name: "", description: "" }).issues.map((i) => i.field)).toEqual([
			"new-layer-id",
		]);
	});

	it("reads the holdout percent, 0 to 50 with at most two decimals", () => {
		expect(parseHoldoutPercent("5")).toEqual({ percent: 5 });
		expect(parseHoldoutPercent(" 2.5 % ")).toEqual({ percent: 2.5 });
		expect(parseHoldoutPercent("0")).toEqual({ percent: 0 });
		for (const bad of ["", "abc", "51", "-1", "1.234"]) expect(parseHoldoutPercent(bad)).toHaveProperty("error");
	});

	it("says what a holdout change does", () => {
		expect(holdoutChangeText({ percent: 5 }, 5)).toBe("The holdout stays at 5%.");
		expect(holdoutChangeText({ percent: 5 }, 0)).toContain("No player will be held out");
		expect(holdoutChangeText({ percent: 0 }, 10)).toContain("10% of players");
		expect(layersPath("g 1", "ui")).toBe("/v1/admin/games/g%201/layers/ui");
	});
});
