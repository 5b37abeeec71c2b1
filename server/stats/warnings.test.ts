import { describe, expect, it } from "vitest";
import { achievedPower, contextWarnings } from "./warnings.js";

const facts = { units: [5000, 5000], stdError: 0.01, alpha: 0.05, sequential: false };

describe("contextWarnings", () => {
	it("is quiet for a well-run experiment read once", () => {
		expect(contextWarnings({ srmPValue: 0.4, looks: 1, targetEffect: 0.05 }, facts)).toEqual([]);
	});

	it("flags SRM only below p = 0.001", () => {
		expect(contextWarnings({ srmPValue: 0.0009 }, facts).map((w) => w.code)).toEqual(["srm"]);
		expect(contextWarnings({ srmPValue: 0.001 }, facts)).toEqual([]);
	});

	it("flags peeking only without sequential testing", () => {
		expect(contextWarnings({ looks: 2 }, facts).map((w) => w.code)).toEqual(["peeking"]);
		expect(contextWarnings({ looks: 20 }, { ...facts, sequential: true })).toEqual([]);
	});

	it("flags too few units with a configurable minimum", () => {
		expect(contextWarnings({}, { ...facts, units: [99, 5000] }).map((w) => w.code)).toEqual(["too-few-units"]);
		expect(contextWarnings({ minUnitsPerArm: 10_000 }, facts).map((w) => w.code)).toEqual(["too-few-units"]);
	});

	it("flags a result underpowered for its target effect", () => {
		// Power for 0.02 at se 0.01 is 51.6%.
		expect(contextWarnings({ targetEffect: 0.02 }, facts).map((w) => w.code)).toEqual(["underpowered"]);
		expect(contextWarnings({ targetEffect: 0.02, targetPower: 0.5 }, facts)).toEqual([]);
	});
});

describe("achievedPower", () => {
	it("is 80% at (z₀.₉₇₅ + z₀.₈)·se and alpha with no effect", () => {
		expect(achievedPower((1.959963984540054 + 0.8416212335729143) * 0.01, 0.01, 0.05)).toBeCloseTo(0.8, 3);
		expect(achievedPower(0, 0.01, 0.05)).toBeCloseTo(0.05, 12);
	});
});
