import { describe, expect, it } from "@rbxts/jest-globals";
import {
	ALL,
	ConsentConfig,
	decide,
	DEFAULT_OPT_IN_REGIONS,
	defaultConsentConfig,
	NONE,
	parseChoices,
	parseConsentConfig,
	requiresOptIn,
	withdraws,
} from "../../../../src/server/consent/rules";
import { storedConsentOf } from "../../../../src/server/consent/consent-store";

const optOut = (policyVersion?: string): ConsentConfig => ({
	policyVersion,
	optInRegions: new Set(DEFAULT_OPT_IN_REGIONS),
	defaultMode: "opt-out",
});
const answer = (policyVersion: string, analytics = true) => ({
	policyVersion,
	choices: { analytics, experiments: true, personalization: false },
	answeredAt: 1,
});

describe("consent rules", () => {
	it("requires opt-in in the EEA, the UK and Switzerland, for unknown countries, and elsewhere when the game says so", () => {
		for (const region of ["DE", "FR", "NO", "GB", "CH", "ZZ"]) expect(requiresOptIn(region, optOut("1"))).toBe(true);
		expect(requiresOptIn(undefined, optOut("1"))).toBe(true);
		for (const region of ["US", "BR", "JP"]) expect(requiresOptIn(region, optOut("1"))).toBe(false);
		expect(requiresOptIn("US", defaultConsentConfig())).toBe(true);
	});

	it("applies an answer to the current policy version, and asks again after a new one", () => {
		expect(decide(answer("2"), "DE", optOut("2"))).toEqual({
			status: "answered",
			choices: answer("2").choices,
			ask: false,
		});
		// Opt-in: an answer to an older version no longer counts; nothing is tracked until the player answers again.
		expect(decide(answer("1"), "DE", optOut("2"))).toEqual({ status: "asking", choices: NONE, ask: true });
		// Opt-out: the older answer keeps applying meanwhile (a refusal stays a refusal), and the player is asked.
		expect(decide(answer("1", false), "US", optOut("2"))).toEqual({
			status: "default",
			choices: answer("1", false).choices,
			ask: true,
		});
	});

	it("tracks opt-out players without asking, and asks nobody while the game has no policy", () => {
		expect(decide(undefined, "US", optOut("1"))).toEqual({ status: "default", choices: ALL, ask: false });
		expect(decide(undefined, "DE", optOut(undefined))).toEqual({ status: "asking", choices: NONE, ask: false });
	});

	it("tells a withdrawal from a grant", () => {
		expect(withdraws(ALL, { ...ALL, personalization: false })).toBe(true);
		expect(withdraws(NONE, ALL)).toBe(false);
		expect(withdraws(ALL, ALL)).toBe(false);
	});

	it("reads choices and the config block strictly", () => {
		expect(parseChoices({ analytics: true, experiments: false, personalization: true })).toEqual({
			analytics: true,
			experiments: false,
			personalization: true,
		});
		expect(parseChoices({ analytics: true, experiments: false })).toBe(undefined);
		expect(parseChoices({ analytics: 1, experiments: false, personalization: true })).toBe(undefined);
		const parsed = parseConsentConfig({ policyVersion: "2025-01", optInRegions: ["DE", "GB"], defaultMode: "opt-out" });
		expect(parsed?.policyVersion).toBe("2025-01");
		expect(parsed?.optInRegions.has("GB")).toBe(true);
		expect(parsed?.defaultMode).toBe("opt-out");
		expect(parseConsentConfig({ optInRegions: [], defaultMode: "opt-in" })?.policyVersion).toBe(undefined);
		expect(parseConsentConfig({ policyVersion: "bad version!", optInRegions: [], defaultMode: "opt-in" })).toBe(
			undefined,
		);
		expect(parseConsentConfig({ policyVersion: "1", optInRegions: [], defaultMode: "maybe" })).toBe(undefined);
		expect(parseConsentConfig({ policyVersion: "1", optInRegions: [3], defaultMode: "opt-in" })).toBe(undefined);
	});

	it("reads kept answers and ignores malformed ones", () => {
		expect(storedConsentOf({ v: 1, p: "3", c: { a: true, e: false, p: true }, t: 10 })).toEqual({
			policyVersion: "3",
			choices: { analytics: true, experiments: false, personalization: true },
			answeredAt: 10,
		});
		expect(storedConsentOf({ v: 1, p: "3", c: { a: true, e: false }, t: 10 })).toBe(undefined);
		expect(storedConsentOf("yes")).toBe(undefined);
	});
});
