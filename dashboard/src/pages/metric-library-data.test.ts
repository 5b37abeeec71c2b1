import { describe, expect, it } from "vitest";
import { metricSchema } from "../../../server/experiments/metric.js";
import {
	draftFromLibraryMetric,
	draftToDefinition,
	emptyLibraryDraft,
	libraryChoices,
	libraryFieldOfPath,
	libraryRows,
	measuresText,
	type LibraryMetric,
} from "./metric-library-data.js";
import type { MetricDefinition } from "./experiments-types.js";

function libraryMetric(definition: MetricDefinition, overrides: Partial<LibraryMetric> = {}): LibraryMetric {
	return {
		gameId: "1818",
		key: definition.key,
		version: 1,
		latestVersion: 1,
		role: "goal",
		definition,
		createdAt: "2025-01-01T00:00:00.000Z",
		createdBy: "admin:u1",
		archivedAt: null,
		...overrides,
	};
}

/** One definition of every type, with the optional members the form edits. */
const EVERY_TYPE: MetricDefinition[] = [
	{
		key: "bought",
		type: "conversion",
		event: "shop_purchase",
		eventType: "custom",
		windowHours: 72,
		direction: "higher",
	},
	{ key: "deaths", type: "count", event: "death", direction: "lower", cap: { value: 50 } },
	{ key: "coins", type: "sum", event: "coin", valueProp: "amount", cap: { percentile: 0.99 } },
	{ key: "spend", type: "revenue", valueProp: "robux", name: "Robux spent", description: "All purchases." },
	{ key: "d7", type: "retention", day: 7 },
	{
		key: "rps",
		type: "ratio",
		numerator: { eventType: "purchase", valueProp: "robux" },
		denominator: { event: "start", eventType: "session_start" },
		windowHours: 24,
	},
	{ key: "p90", type: "quantile", event: "session", valueProp: "seconds", quantile: 0.9, aggregate: "max" },
];

describe("the metric library form", () => {
	it("gives back every type's definition unchanged, valid for the server", () => {
		for (const definition of EVERY_TYPE) {
			const { definition: out, issues } = draftToDefinition(draftFromLibraryMetric(libraryMetric(definition)));
			expect(issues, definition.key).toEqual([]);
			expect(out, definition.key).toEqual(definition);
			expect(metricSchema.safeParse(out).success, definition.key).toBe(true);
		}
	});

	it("ties each problem to its field before sending", () => {
		const draft = { ...emptyLibraryDraft(), key: "-bad", type: "ratio" as const, capMode: "percentile" as const };
		draft.denominator = { event: "", eventType: "", valueProp: "" };
		draft.cap = "40";
		expect(draftToDefinition(draft).issues.map((i) => i.field)).toEqual(["ml-key", "ml-cap", "ml-denominator-event"]);
		const retention = { ...emptyLibraryDraft(), key: "d0", type: "retention" as const, day: "0" };
		expect(draftToDefinition(retention).issues).toEqual([{ field: "ml-day", message: "A whole day from 1 to 90." }]);
	});

	it("maps the server's paths to the form's fields", () => {
		expect(libraryFieldOfPath("definition.day")).toBe("ml-day");
		expect(libraryFieldOfPath("definition.numerator.valueProp")).toBe("ml-numerator-valueProp");
		expect(libraryFieldOfPath("definition.denominator")).toBe("ml-denominator-event");
		expect(libraryFieldOfPath("definition.cap.percentile")).toBe("ml-cap");
		expect(libraryFieldOfPath("role")).toBe("ml-role");
		expect(libraryFieldOfPath("baseVersion")).toBe("form");
	});
});

describe("the library table and pickers", () => {
	const metrics = [
		libraryMetric(EVERY_TYPE[4]!, { role: "guardrail", version: 3 }),
		libraryMetric(EVERY_TYPE[0]!),
		libraryMetric(EVERY_TYPE[1]!, { role: "guardrail", archivedAt: "2025-02-01T00:00:00.000Z" }),
	];

	it("lists by key, archived ones only when asked, with what each measures", () => {
		expect(libraryRows(metrics, false).map((r) => [r.key, r.type, r.version])).toEqual([
			["bought", "Conversion", 1],
			["d7", "Retention", 3],
		]);
		expect(libraryRows(metrics, true).map((r) => r.key)).toEqual(["bought", "d7", "deaths"]);
		expect(measuresText(EVERY_TYPE[0]!)).toBe("Players who sent shop_purchase, within 72 h");
		expect(measuresText(EVERY_TYPE[5]!)).toBe("Σ robux of purchase / # session_start start, within 24 h");
	});

	it("offers the metrics of the slot's role first, never archived ones", () => {
		expect(libraryChoices(metrics, "guardrail").map((m) => m.key)).toEqual(["d7", "bought"]);
		expect(libraryChoices(metrics, "goal").map((m) => m.key)).toEqual(["bought", "d7"]);
	});
});
