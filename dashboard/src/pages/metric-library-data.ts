// The Metric library page's model: a library metric in words, its form as typed and the admin API body it becomes
// (each problem tied to its field), and where the server's validation errors go. Pure functions, tested on their own.
import type { z } from "zod";
import type { libraryMetricSchema } from "../../../server/experiments/metric-library.js";
import type { MetricDefinition } from "./experiments-types.js";
import type { FieldIssue } from "./experiments-form-data.js";
import { plainMessage } from "./experiments-form-data.js";

/** GET /v1/admin/games/{id}/metric-library/{key} */
export type LibraryMetric = z.output<typeof libraryMetricSchema>;
/** GET /v1/admin/games/{id}/metric-library */
export interface LibraryMetricList {
	metrics: LibraryMetric[];
}
/** GET /v1/admin/games/{id}/metric-library/{key}/versions */
export interface LibraryMetricVersions {
	versions: LibraryMetric[];
}

export type LibraryMetricType = MetricDefinition["type"];
export type MetricRoleName = LibraryMetric["role"];

/** The API path of a game's metric library (and of one metric, and below it). */
export function metricLibraryPath(game: string, ...rest: string[]): string {
	return [`/v1/admin/games/${encodeURIComponent(game)}/metric-library`, ...rest.map(encodeURIComponent)].join("/");
}

/** Every metric type, with what it measures in words. */
export const LIBRARY_METRIC_TYPES: readonly { type: LibraryMetricType; label: string }[] = [
	{ type: "conversion", label: "Conversion: share of players who sent an event" },
	{ type: "count", label: "Count: events per player" },
	{ type: "sum", label: "Sum: a number prop summed per player" },
	{ type: "revenue", label: "Revenue: Robux per player" },
	{ type: "retention", label: "Retention: share back on day N" },
	{ type: "ratio", label: "Ratio: one total over another (e.g. Robux per session)" },
	{ type: "quantile", label: "Quantile: e.g. the median session length" },
];

const TYPE_NAMES: Record<LibraryMetricType, string> = {
	conversion: "Conversion",
	count: "Count",
	sum: "Sum",
	revenue: "Revenue",
	retention: "Retention",
	ratio: "Ratio",
	quantile: "Quantile",
};

/** One row of the library table. */
export interface LibraryRow {
	key: string;
	name: string;
	type: string;
	/** What it measures, in words. */
	measures: string;
	role: MetricRoleName;
	direction: string;
	version: number;
	updatedAt: string;
	archived: boolean;
}

/** The rows of the table, by key; archived ones only when asked. */
export function libraryRows(metrics: readonly LibraryMetric[], showArchived: boolean): LibraryRow[] {
	return [...metrics]
		.filter((m) => showArchived || m.archivedAt === null)
		.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
		.map((m) => ({
			key: m.key,
			name: m.definition.name ?? m.key,
			type: TYPE_NAMES[m.definition.type],
			measures: measuresText(m.definition),
			role: m.role,
			direction: m.definition.direction === "lower" ? "Lower is better" : "Higher is better",
			version: m.version,
			updatedAt: m.createdAt,
			archived: m.archivedAt !== null,
		}));
}

const partText = (p: {
	event?: string | undefined;
	eventType?: string | undefined;
	valueProp?: string | undefined;
}) => {
	const events = [p.eventType, p.event].filter(Boolean).join(" ") || "events";
	return p.valueProp ? `Σ ${p.valueProp} of ${events}` : `# ${events}`;
};

/**
 * A definition in a few words, e.g. "Players who sent shop_purchase, within 72 h".
 *
 * @example
 * measuresText({ key: "d1", type: "retention", day: 1 }); // "Back on day 1"
 */
export function measuresText(d: MetricDefinition): string {
	const windowText = "windowHours" in d && d.windowHours !== undefined ? `, within ${d.windowHours} h` : "";
	const cap =
		"cap" in d && d.cap
			? "value" in d.cap
				? `, capped at ${d.cap.value}`
				: `, capped at p${d.cap.percentile * 100}`
			: "";
	switch (d.type) {
		case "conversion":
			return `Players who sent ${d.event}${windowText}`;
		case "count":
			return `${d.event} per player${windowText}${cap}`;
		case "sum":
			return `Σ ${d.valueProp} of ${d.event} per player${windowText}${cap}`;
		case "revenue":
			return `${d.valueProp} of ${d.event ?? "all purchases"} per player${windowText}${cap}`;
		case "retention":
			return `Back on day ${d.day}`;
		case "ratio":
			return `${partText(d.numerator)} / ${partText(d.denominator)}${windowText}${cap}`;
		case "quantile":
			return `p${Math.round(d.quantile * 100)} of each player's ${d.aggregate} ${d.valueProp} (${d.event})${windowText}`;
	}
}

/** One side of a ratio, as typed. */
export interface PartDraft {
	event: string;
	eventType: string;
	valueProp: string;
}

/** The create/edit form, as typed. */
export interface LibraryDraft {
	key: string;
	name: string;
	description: string;
	type: LibraryMetricType;
	role: MetricRoleName;
	direction: "higher" | "lower";
	/** The metric being edited says its direction (even "higher", the default): keep saying it, so no edit is invented. */
	directionExplicit: boolean;
	event: string;
	/** "" = any type. */
	eventType: string;
	valueProp: string;
	/** Hours, "" = no window. */
	windowHours: string;
	day: string;
	capMode: "none" | "value" | "percentile";
	/** The cap's value, or its percentile in percent (e.g. 99). */
	cap: string;
	/** Percent: 50 = median. */
	quantile: string;
	aggregate: "mean" | "sum" | "max";
	numerator: PartDraft;
	denominator: PartDraft;
}

export function emptyLibraryDraft(): LibraryDraft {
	return {
		key: "",
		name: "",
		description: "",
		type: "conversion",
		role: "goal",
		direction: "higher",
		directionExplicit: false,
		event: "",
		eventType: "",
		valueProp: "robux",
		windowHours: "",
		day: "1",
		capMode: "none",
		cap: "",
		quantile: "50",
		aggregate: "mean",
		numerator: { event: "", eventType: "purchase", valueProp: "robux" },
		denominator: { event: "", eventType: "session_start", valueProp: "" },
	};
}

/** The form as it opens for an existing metric's latest version. */
export function draftFromLibraryMetric(m: LibraryMetric): LibraryDraft {
	const d = m.definition;
	const base = emptyLibraryDraft();
	const out: LibraryDraft = {
		...base,
		key: m.key,
		name: d.name ?? "",
		description: d.description ?? "",
		type: d.type,
		role: m.role,
		direction: d.direction ?? "higher",
		directionExplicit: d.direction !== undefined,
	};
	if ("event" in d && d.event !== undefined) out.event = d.event;
	if ("eventType" in d && d.eventType !== undefined) out.eventType = d.eventType;
	if ("valueProp" in d && d.valueProp !== undefined) out.valueProp = d.valueProp;
	if ("windowHours" in d && d.windowHours !== undefined) out.windowHours = String(d.windowHours);
	if (d.type === "retention") out.day = String(d.day);
	if ("cap" in d && d.cap) {
		out.capMode = "value" in d.cap ? "value" : "percentile";
		out.cap = "value" in d.cap ? String(d.cap.value) : String(Math.round(d.cap.percentile * 10000) / 100);
	}
	if (d.type === "quantile") {
		out.quantile = String(Math.round(d.quantile * 10000) / 100);
		out.aggregate = d.aggregate;
	}
	if (d.type === "ratio") {
		const part = (p: typeof d.numerator): PartDraft => ({
			event: p.event ?? "",
			eventType: p.eventType ?? "",
			valueProp: p.valueProp ?? "",
		});
		out.numerator = part(d.numerator);
		out.denominator = part(d.denominator);
	}
	return out;
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const PROP = /^[A-Za-z0-9_]{1,64}$/;

function numberOf(text: string): number | undefined {
	const t = text.trim();
	if (t === "") return undefined;
	const n = Number(t);
	return Number.isFinite(n) ? n : undefined;
}

/** Which inputs a type shows. */
export function fieldsOf(type: LibraryMetricType) {
	return {
		event: type !== "retention" && type !== "ratio",
		eventType: type !== "retention" && type !== "ratio" && type !== "revenue",
		valueProp: type === "sum" || type === "revenue" || type === "quantile",
		windowHours: type !== "retention",
		day: type === "retention",
		cap: type === "count" || type === "sum" || type === "revenue" || type === "ratio",
		quantile: type === "quantile",
		parts: type === "ratio",
	};
}

/**
 * The metric definition the form describes and the problems found before sending, each on its input's id
 * (`ml-<field>`). The server checks everything again; its errors come back through {@link libraryFieldOfPath}.
 */
export function draftToDefinition(draft: LibraryDraft): { definition: Record<string, unknown>; issues: FieldIssue[] } {
	const issues: FieldIssue[] = [];
	const issue = (field: string, message: string) => issues.push({ field: `ml-${field}`, message });
	const show = fieldsOf(draft.type);
	const key = draft.key.trim();
	if (!KEY.test(key))
		issue("key", "1 to 64 letters, digits, _ . or -, starting with a letter or digit (e.g. d7_retention).");
	const d: Record<string, unknown> = { key, type: draft.type };
	if (draft.name.trim()) d.name = draft.name.trim();
	if (draft.description.trim()) d.description = draft.description.trim();
	if (draft.direction === "lower" || draft.directionExplicit) d.direction = draft.direction;
	const event = draft.event.trim();
	if (show.event) {
		if (event) d.event = event;
		else if (draft.type !== "revenue") issue("event", "Name the event (an event's name, e.g. shop_purchase).");
	}
	if (show.eventType && draft.eventType) d.eventType = draft.eventType;
	if (show.valueProp) {
		const prop = draft.valueProp.trim();
		if (!PROP.test(prop)) issue("valueProp", "A prop name of letters, digits and _ (e.g. robux).");
		d.valueProp = prop;
	}
	if (show.day) {
		const day = numberOf(draft.day);
		if (day === undefined || !Number.isInteger(day) || day < 1 || day > 90) issue("day", "A whole day from 1 to 90.");
		d.day = day ?? 1;
	}
	if (show.windowHours && draft.windowHours.trim()) {
		const hours = numberOf(draft.windowHours);
		if (hours === undefined || hours <= 0 || hours > 24 * 365) {
			issue("windowHours", "Hours above 0 (at most a year), or empty for no window.");
		} else d.windowHours = hours;
	}
	if (show.cap && draft.capMode !== "none") {
		const value = numberOf(draft.cap);
		if (draft.capMode === "value") {
			if (value === undefined || value <= 0) issue("cap", "A number above 0.");
			else d.cap = { value };
		} else if (value === undefined || value <= 50 || value >= 100) {
			issue("cap", "A percentile above 50 and below 100 (e.g. 99).");
		} else d.cap = { percentile: value / 100 };
	}
	if (show.quantile) {
		const q = numberOf(draft.quantile);
		if (q === undefined || q <= 0 || q >= 100) issue("quantile", "A percentile above 0 and below 100 (50 = median).");
		else d.quantile = q / 100;
		d.aggregate = draft.aggregate;
	}
	if (show.parts) {
		for (const side of ["numerator", "denominator"] as const) {
			const p = draft[side];
			const part: Record<string, string> = {};
			if (p.event.trim()) part.event = p.event.trim();
			if (p.eventType) part.eventType = p.eventType;
			if (p.valueProp.trim()) {
				if (!PROP.test(p.valueProp.trim()))
					issue(`${side}-valueProp`, "A prop name of letters, digits and _, or empty to count.");
				part.valueProp = p.valueProp.trim();
			}
			if (!part.event && !part.eventType) issue(`${side}-event`, "Name an event, pick an event type, or both.");
			d[side] = part;
		}
	}
	return { definition: d, issues };
}

/**
 * The form field of a server validation path (`definition.numerator.event` → `ml-numerator-event`), `form` when none.
 *
 * @example
 * libraryFieldOfPath("definition.day"); // "ml-day"
 */
export function libraryFieldOfPath(path: string): string {
	const [head, second, third] = path.split(".");
	if (head === "role") return "ml-role";
	if (head !== "definition" || !second) return "form";
	if (second === "numerator" || second === "denominator")
		return `ml-${second}-${third === "valueProp" ? "valueProp" : "event"}`;
	if (second === "cap") return "ml-cap";
	return `ml-${second}`;
}

/** Server validation errors by field, in plain words. */
export function libraryIssues(errors: readonly { path: string; message: string }[]): FieldIssue[] {
	return errors.map((e) => ({ field: libraryFieldOfPath(e.path), message: plainMessage(e.message) }));
}

/** A library metric as the experiment form offers it: "D7 retention (d7) · Retention · guardrail · v3". */
export function libraryOptionText(m: LibraryMetric): string {
	const name = m.definition.name && m.definition.name !== m.key ? `${m.definition.name} (${m.key})` : m.key;
	return `${name} · ${TYPE_NAMES[m.definition.type]} · ${m.role} · v${m.version}`;
}

/**
 * The metrics an experiment may pick (not archived), those of `role` first, each group by key: a primary metric is
 * usually a goal, a guardrail usually a guardrail.
 */
export function libraryChoices(metrics: readonly LibraryMetric[], role: MetricRoleName): LibraryMetric[] {
	return metrics
		.filter((m) => m.archivedAt === null)
		.sort(
			(a, b) => (a.role === role ? 0 : 1) - (b.role === role ? 0 : 1) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
		);
}
