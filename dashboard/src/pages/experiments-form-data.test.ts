import { describe, expect, it } from "vitest";
import {
	conditionToRules,
	draftFromExperiment,
	draftToBody,
	draftToPatch,
	emptyDraft,
	emptyMetric,
	evenWeights,
	fieldOfPath,
	issuesByField,
	localInputToIso,
	isoToLocalInput,
	parseScalar,
	baselineSource,
	conversionBaseline,
	planBody,
	planSentences,
	rateInput,
	previewBody,
	rulesToCondition,
	scalarText,
	settleDaysOf,
	type ExperimentDraft,
} from "./experiments-form-data.js";
import type { Experiment, PlanResult } from "./experiments-types.js";

const draft = (change: Partial<ExperimentDraft> = {}): ExperimentDraft => ({
	...emptyDraft(),
	key: "shop_test",
	primaryMetric: { ...emptyMetric("conversion", "opened"), event: "shop_opened", eventType: "custom" },
	...change,
});

const OBBY: Experiment = {
	gameId: "1818",
	key: "obby",
	status: "running",
	name: "Obby difficulty",
	description: "",
	variations: [
		{ key: "classic", name: "classic", weight: 0.5 },
		{ key: "hard", name: "hard", weight: 0.5 },
	],
	coverage: 1,
	hashAttribute: "id",
	seed: "obby",
	hashVersion: 2,
	namespace: null,
	condition: { country: { $in: ["US", "CA"] }, premium: true },
	assignment: { mode: "deterministic" },
	startAt: "2025-01-01T10:00:30.123Z",
	endAt: null,
	primaryMetric: { key: "reached", type: "conversion", event: "World1:Level3", eventType: "progression" },
	guardrailMetrics: [{ key: "d1", type: "retention", day: 1 }],
	forcedVariations: { "42": "hard" },
	adaptive: null,
	targetEffect: null,
	plannedDays: null,
	plannedEnd: null,
	createdAt: "2025-01-01T00:00:00.000Z",
	updatedAt: "2025-01-01T00:00:00.000Z",
};

describe("targeting rules", () => {
	it("types values as the condition language compares them", () => {
		expect([
			parseScalar("42"),
			parseScalar('"42"'),
			parseScalar("true"),
			parseScalar("US"),
			parseScalar(" -1.5 "),
		]).toEqual([42, "42", true, "US", -1.5]);
		for (const value of [42, "42", true, "true", "US", " padded"]) expect(parseScalar(scalarText(value))).toBe(value);
	});

	it("builds a condition from rules, short for a lone equality", () => {
		expect(
			rulesToCondition([
				{ attribute: "country", op: "in", value: "US, CA" },
				{ attribute: "accountAge", op: "gte", value: "30" },
				{ attribute: "accountAge", op: "lt", value: "365" },
				{ attribute: "premium", op: "eq", value: "true" },
				{ attribute: "vip", op: "missing", value: "" },
			]),
		).toEqual({
			condition: {
				country: { $in: ["US", "CA"] },
				accountAge: { $gte: 30, $lt: 365 },
				premium: true,
				vip: { $exists: false },
			},
			issues: [],
		});
		expect(rulesToCondition([])).toEqual({ condition: null, issues: [] });
	});

	it("says what is wrong with a rule, next to it", () => {
		expect(
			rulesToCondition([
				{ attribute: "", op: "eq", value: "x" },
				{ attribute: "age", op: "gt", value: "old" },
				{ attribute: "country", op: "eq", value: "" },
				{ attribute: "age", op: "gt", value: "3" },
				{ attribute: "age", op: "gt", value: "4" },
			]).issues,
		).toEqual([
			{ field: "rule-0-attribute", message: "Name the attribute this rule tests." },
			{ field: "rule-1-value", message: "Compare with a number, such as 30." },
			{ field: "rule-2-value", message: "Give the value to compare with." },
			{ field: "rule-4-value", message: "Another rule already tests age this way: keep one." },
		]);
	});

	it("reads a flat condition back as rules, and leaves $or to JSON", () => {
		const condition = { country: { $in: ["US", "CA"] }, premium: true, level: { $gte: 3, $exists: true } };
		const rules = conditionToRules(condition)!;
		expect(rules).toEqual([
			{ attribute: "country", op: "in", value: "US, CA" },
			{ attribute: "premium", op: "eq", value: "true" },
			{ attribute: "level", op: "gte", value: "3" },
			{ attribute: "level", op: "exists", value: "" },
		]);
		expect(rulesToCondition(rules).condition).toEqual(condition);
		expect(conditionToRules({ $or: [{ a: 1 }, { b: 2 }] })).toBeNull();
	});
});

describe("draftToBody", () => {
	it("sends what the form holds, leaving empty optional fields to the server's defaults", () => {
		const { body, issues } = draftToBody(
			draft({ rules: [{ attribute: "premium", op: "eq", value: "false" }], coverage: "80" }),
		);
		expect(issues).toEqual([]);
		expect(body).toEqual({
			key: "shop_test",
			variations: [
				{ key: "control", weight: 0.5 },
				{ key: "treatment", weight: 0.5 },
			],
			coverage: 0.8,
			condition: { premium: false },
			assignment: { mode: "deterministic" },
			primaryMetric: { key: "opened", type: "conversion", event: "shop_opened", eventType: "custom" },
		});
	});

	it("ties every problem to its field, in plain words", () => {
		const { issues } = draftToBody(
			draft({
				key: "bad key!",
				variations: [
					{ key: "a", name: "", weight: "60" },
					{ key: "a", name: "", weight: "30" },
				],
				coverage: "150",
				primaryMetric: { ...emptyMetric("conversion", "opened") },
				guardrails: [{ ...emptyMetric("retention", "opened"), day: "0" }],
				startAt: "2025-02-01T10:00",
				endAt: "2025-01-01T10:00",
				forced: "12=zzz\nnonsense",
			}),
		);
		expect(issues).toEqual([
			{ field: "key", message: expect.stringMatching(/^Use 1 to 100 letters/) },
			{ field: "variation-1-key", message: "Another variation is already called a." },
			{ field: "variations", message: "The shares add up to 90%; they must add up to 100%." },
			{ field: "coverage", message: "A share from 0 to 100 (%)." },
			{ field: "primary-event", message: "Name the event that counts as a conversion." },
			{ field: "guardrail-0-day", message: "A whole day from 1 to 90." },
			{ field: "guardrail-0-key", message: "Another metric already has this key." },
			{ field: "endAt", message: "The end must come after the start." },
			{ field: "forced", message: "Line 1: there is no variation called zzz." },
			{ field: "forced", message: "Line 2: write UserId=variation, such as 12345=treatment." },
		]);
	});

	it("needs a primary metric for adaptive assignment and strata for stratified", () => {
		expect(draftToBody(draft({ assignment: "adaptive", primaryMetric: null })).issues.map((i) => i.field)).toEqual([
			"assignment",
		]);
		expect(draftToBody(draft({ assignment: "stratified", strata: " " })).issues.map((i) => i.field)).toEqual([
			"strata",
		]);
		expect(draftToBody(draft({ assignment: "stratified", strata: "platform, country" })).body.assignment).toEqual({
			mode: "stratified",
			strata: ["platform", "country"],
		});
	});

	it("splits evenly into shares that add up to exactly 100", () => {
		expect(evenWeights(3)).toEqual(["33.33", "33.33", "33.34"]);
		expect(
			draftToBody(draft({ variations: evenWeights(3).map((weight, i) => ({ key: `v${i}`, name: "", weight })) }))
				.issues,
		).toEqual([]);
	});
});

describe("editing", () => {
	it("opens an experiment in the form and sends back nothing when nothing changed", () => {
		const d = draftFromExperiment(OBBY);
		expect(d).toMatchObject({
			key: "obby",
			name: "Obby difficulty",
			variations: [
				{ key: "classic", name: "", weight: "50" },
				{ key: "hard", name: "", weight: "50" },
			],
			coverage: "100",
			targeting: "rules",
			rules: [
				{ attribute: "country", op: "in", value: "US, CA" },
				{ attribute: "premium", op: "eq", value: "true" },
			],
			seed: "",
			forced: "42=hard",
		});
		// The start time has seconds the minute-precision input cannot hold: untouched, it is not sent.
		expect(draftToPatch(OBBY, d)).toEqual({ body: {}, issues: [] });
	});

	it("sends only what changed, null for what was cleared, and nothing frozen once started", () => {
		const d = draftFromExperiment(OBBY);
		const edited = {
			...d,
			name: "Obby difficulty v2",
			rules: [],
			guardrails: [],
			variations: [
				{ ...d.variations[0]!, weight: "10" },
				{ ...d.variations[1]!, weight: "90" },
			],
		};
		expect(draftToPatch(OBBY, edited).body).toEqual({
			name: "Obby difficulty v2",
			condition: null,
			guardrailMetrics: [],
		});
		// A draft may still change its variations.
		expect(draftToPatch({ ...OBBY, status: "draft" }, edited).body.variations).toEqual([
			{ key: "classic", weight: 0.1 },
			{ key: "hard", weight: 0.9 },
		]);
	});

	it("sends an adaptive experiment's update interval, and lets it change once started", () => {
		expect(draftToBody(draft({ assignment: "adaptive", updateInterval: "15" })).body.assignment).toEqual({
			mode: "adaptive",
			updateIntervalMinutes: 15,
		});
		expect(draftToBody(draft({ assignment: "adaptive" })).body.assignment).toEqual({ mode: "adaptive" });
		for (const bad of ["4", "10081", "7.5", "x"]) {
			const { issues } = draftToBody(draft({ assignment: "adaptive", updateInterval: bad }));
			expect(
				issues.map((i) => i.field),
				bad,
			).toEqual(["update-interval"]);
		}
		const bandit: Experiment = { ...OBBY, assignment: { mode: "adaptive", updateIntervalMinutes: 30 } };
		const d = draftFromExperiment(bandit);
		expect(d.updateInterval).toBe("30");
		expect(draftToPatch(bandit, { ...d, updateInterval: "120" }).body).toEqual({
			assignment: { mode: "adaptive", updateIntervalMinutes: 120 },
		});
		// Any other change of the assignment stays frozen once started.
		expect(draftToPatch(bandit, { ...d, assignment: "random" }).body).toEqual({});
		expect(fieldOfPath("assignment.updateIntervalMinutes")).toBe("update-interval");
	});

	it("converts datetime-local values to ISO and back", () => {
		const iso = localInputToIso("2025-03-04T05:06")!;
		expect(isoToLocalInput(iso)).toBe("2025-03-04T05:06");
		expect(localInputToIso("yesterday")).toBeUndefined();
	});
});

describe("server errors", () => {
	it("go to the field they name, in plain words", () => {
		expect(
			issuesByField([
				{ path: "variations.1.key", message: "1-64 of A-Z a-z 0-9 _ . - starting with a letter or digit" },
				{ path: "primaryMetric.event", message: "Invalid input: expected string, received undefined" },
				{ path: "guardrailMetrics.0.day", message: "Too small: expected number to be >=1" },
				{ path: "endAt", message: "must be in the future to start the experiment" },
				{ path: "variations", message: "Too small: expected array to have >=2 items" },
				{ path: "", message: 'Unrecognized key: "colour"' },
			]),
		).toEqual([
			{ field: "variation-1-key", message: "1-64 of A-Z a-z 0-9 _ . - starting with a letter or digit." },
			{ field: "primary-event", message: "This is required." },
			{ field: "guardrail-0-day", message: "Must be at least 1." },
			{ field: "endAt", message: "Must be in the future to start the experiment." },
			{ field: "variations", message: "Needs at least 2 entries." },
			{ field: "form", message: "The server does not know this field." },
		]);
		expect(fieldOfPath("condition.$or.0.country")).toBe("condition");
		expect(fieldOfPath("assignment.strata")).toBe("strata");
	});
});

describe("planning requests", () => {
	it("asks the plan with the draft's split, the share taking part and the settle days", () => {
		const d = draft({ primaryMetric: { ...emptyMetric("retention", "d7"), day: "7" } });
		expect(settleDaysOf(d.primaryMetric)).toBe(8);
		const inputs = {
			kind: "proportion" as const,
			rate: "30",
			mean: "",
			stdDev: "",
			mde: "5",
			alpha: "0.05",
			power: "0.8",
		};
		expect(planBody(inputs, d, 0.4)).toEqual({
			body: {
				baseline: { kind: "proportion", rate: 0.3 },
				mde: 0.05,
				relativeMde: true,
				alpha: 0.05,
				power: 0.8,
				weights: [0.5, 0.5],
				eligibleShare: 0.4,
				settleDays: 8,
			},
			issues: [],
		});
		expect(planBody({ ...inputs, kind: "mean", mean: "3", stdDev: "0" }, d, 1).issues).toEqual([
			{ field: "power-stdDev", message: "How much players differ: a number above 0." },
		]);
		expect(planBody({ ...inputs, rate: "100" }, d, 1).body).toBeNull();
	});

	it("says the plan in sentences", () => {
		const plan = {
			variations: [
				{ index: 0, weight: 0.5, units: 1030 },
				{ index: 1, weight: 0.5, units: 1030 },
			],
			totalUnits: 2060,
			eligibleShare: 0.5,
			playersToReach: 4120,
			traffic: { dailyActive: 166.2, dailyNew: 93 },
			days: 31,
			settleDays: 2,
		} as unknown as PlanResult;
		expect(planSentences(plan)).toEqual({
			players: "2,060 players in the test (1,030 per variation), so 4,120 players must visit.",
			days: "About 31 days at today's traffic (166.2 players a day, 93 of them new), including 2 days for the metric to settle.",
		});
		expect(planSentences({ ...plan, traffic: null }).days).toMatch(/no players lately/);
		expect(planSentences({ ...plan, days: null }).days).toMatch(/^More than a year/);
	});

	it("previews the draft's assignment fields only, with its key as the seed", () => {
		const { body, issues } = previewBody(draft({ coverage: "50" }), { source: "synthetic", players: 10000 });
		expect(issues).toEqual([]);
		expect(body).toEqual({
			seed: "shop_test",
			sample: { source: "synthetic", players: 10000 },
			variations: [
				{ key: "control", weight: 0.5 },
				{ key: "treatment", weight: 0.5 },
			],
			coverage: 0.5,
			assignment: { mode: "deterministic" },
		});
		// A missing metric event does not stop a preview; a broken split does.
		expect(previewBody(draft({ primaryMetric: emptyMetric() }), { source: "recent" }).issues).toEqual([]);
		expect(
			previewBody(
				draft({
					variations: [
						{ key: "a", name: "", weight: "70" },
						{ key: "b", name: "", weight: "70" },
					],
				}),
				{
					source: "recent",
				},
			).issues.map((i) => i.field),
		).toEqual(["variations"]);
	});
});

describe("today's rate from the game's data", () => {
	it("comes from a conversion's event or day-N retention; counts and revenue have no rate", () => {
		expect(baselineSource({ ...emptyMetric("conversion", "c"), event: "shop_opened", eventType: "custom" })).toEqual({
			kind: "conversion",
			event: "custom:shop_opened",
		});
		expect(baselineSource({ ...emptyMetric("conversion", "c"), event: "World1:Level3" })).toEqual({
			kind: "conversion",
			event: "World1:Level3",
		});
		expect(baselineSource({ ...emptyMetric("retention", "r"), day: "7" })).toEqual({ kind: "retention", day: 7 });
		expect(baselineSource({ ...emptyMetric("conversion", "c"), event: " " })).toBeNull();
		expect(baselineSource({ ...emptyMetric("revenue", "r") })).toBeNull();
		expect(baselineSource(null)).toBeNull();
	});

	it("is the share of active players who sent the event, kept inside the calculator's bounds", () => {
		expect(conversionBaseline(120, 600)).toEqual({ rate: 0.2, text: "120 of 600 players sent it: 20.0%" });
		expect(conversionBaseline(null, 600)!.rate).toBe(0);
		expect(conversionBaseline(5, 0)).toBeNull();
		expect([rateInput(0.2), rateInput(0.123456), rateInput(0), rateInput(1)]).toEqual(["20", "12.35", "0.01", "99.99"]);
	});
});

describe("the newer metric types in the form", () => {
	it("round-trips sum, ratio and quantile metrics with their cap and direction", () => {
		const metrics = [
			{
				key: "coins",
				type: "sum",
				event: "source:Coins",
				eventType: "economy",
				valueProp: "amount",
				cap: { percentile: 0.99 },
			},
			{
				key: "robux_per_session",
				type: "ratio",
				numerator: { eventType: "purchase", valueProp: "robux" },
				denominator: { event: "session_start", eventType: "session_start" },
				cap: { value: 5000 },
				windowHours: 72,
			},
			{
				key: "median_session",
				type: "quantile",
				event: "session_end",
				valueProp: "duration",
				quantile: 0.9,
				aggregate: "max",
				direction: "lower",
			},
		] as const;
		const experiment = { ...OBBY, primaryMetric: metrics[0], guardrailMetrics: [metrics[1], metrics[2]] } as Experiment;
		const draft = draftFromExperiment(experiment);
		expect(draft.guardrails[1]).toMatchObject({ quantile: "90", aggregate: "max", direction: "lower" });
		const { body, issues } = draftToBody(draft);
		expect(issues).toEqual([]);
		expect(body.primaryMetric).toEqual(metrics[0]);
		expect(body.guardrailMetrics).toEqual([metrics[1], metrics[2]]);
		// Nothing changed, nothing to send.
		expect(draftToPatch(experiment, draft).body).toEqual({});
	});

	it("says what is missing from a ratio's sides and a cap", () => {
		const ratio = { ...emptyMetric("ratio", "r"), capKind: "percentile" as const, cap: "40" };
		const { issues } = draftToBody(draft({ primaryMetric: ratio }));
		expect(issues.map((i) => i.field)).toEqual(
			expect.arrayContaining(["primary-numerator-event", "primary-denominator-event", "primary-cap"]),
		);
	});
});
