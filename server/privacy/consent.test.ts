import { describe, expect, it } from "vitest";
import { makeEvent } from "../testing/fixtures.js";
import { validateEvents } from "../ingest/schema.js";
import { OPT_IN_REGIONS, consentEventProblems, sdkConsentConfig } from "./consent.js";

const VALID = {
	policyVersion: "2025-01",
	analytics: true,
	experiments: false,
	personalization: true,
	uiVersion: "prompt-3",
	region: "FR",
	source: "prompt",
};

describe("consentEventProblems", () => {
	it("accepts a complete choice, and api/withdrawal choices without a UI version", () => {
		expect(consentEventProblems({ userId: 42, props: VALID })).toEqual([]);
		const { uiVersion: _, ...noUi } = VALID;
		expect(consentEventProblems({ userId: 42, props: { ...noUi, source: "api" } })).toEqual([]);
		expect(consentEventProblems({ userId: 42, props: { ...noUi, source: "withdrawal", analytics: false } })).toEqual(
			[],
		);
		expect(consentEventProblems({ userId: 42, props: { ...VALID, region: "ZZ" } })).toEqual([]);
	});

	const cases: [string, number, Record<string, unknown>, RegExp][] = [
		["a server-level event", 0, VALID, /^userId: a consent event belongs to a player/],
		[
			"a prompt answer without uiVersion",
			42,
			{ ...VALID, uiVersion: undefined },
			/^props\.uiVersion: required when source is prompt$/,
		],
		[
			"a withdrawal granting everything",
			42,
			{ ...VALID, experiments: true, source: "withdrawal" },
			/^props\.source: a withdrawal must refuse at least one category$/,
		],
		["an unknown member", 42, { ...VALID, ads: true }, /^props\.ads: unknown member$/],
		["a missing category", 42, { ...VALID, personalization: undefined }, /^props\.personalization: /],
		["a category as a string", 42, { ...VALID, analytics: "yes" }, /^props\.analytics: /],
		["a lower-case region", 42, { ...VALID, region: "fr" }, /^props\.region: an ISO 3166-1 alpha-2 country code/],
		["a numeric policy version", 42, { ...VALID, policyVersion: 3 }, /^props\.policyVersion: /],
		["an unknown source", 42, { ...VALID, source: "banner" }, /^props\.source: /],
	];
	it.each(cases)("refuses %s", (_, userId, props, message) => {
		const problems = consentEventProblems({ userId, props: JSON.parse(JSON.stringify(props)) as unknown });
		expect(problems.length).toBeGreaterThan(0);
		expect(problems.some((p) => message.test(p))).toBe(true);
	});
});

describe("validateEvents with consent events", () => {
	it("keeps valid consent events and refuses the others by index, with every problem named", () => {
		const result = validateEvents([
			makeEvent({ id: "ok", type: "consent", props: VALID }),
			makeEvent({ id: "bad", type: "consent", userId: 0, props: { ...VALID, region: "France" } }),
			makeEvent({ id: "plain", props: { region: "France" } }),
		]);
		expect(result.events.map((e) => e.id)).toEqual(["ok", "plain"]);
		expect(result.rejected).toEqual([
			{
				index: 1,
				code: "invalid_event",
				message: expect.stringMatching(/^userId: .+; props\.region: .+/) as unknown as string,
			},
		]);
	});
});

describe("sdkConsentConfig", () => {
	it("lists the EEA, the UK and Switzerland as opt-in regions, sorted", () => {
		const config = sdkConsentConfig("3", "opt-out");
		expect(config).toMatchObject({ policyVersion: "3", defaultMode: "opt-out" });
		expect(config.categories).toEqual(["analytics", "experiments", "personalization"]);
		expect(OPT_IN_REGIONS).toHaveLength(32);
		for (const country of ["DE", "FR", "IE", "IS", "LI", "NO", "GB", "CH"]) expect(OPT_IN_REGIONS).toContain(country);
		for (const country of ["US", "BR", "TR"]) expect(OPT_IN_REGIONS).not.toContain(country);
		expect([...OPT_IN_REGIONS].sort()).toEqual(OPT_IN_REGIONS);
	});
});
