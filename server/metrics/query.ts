// Parsing the metrics API's query string into a MetricRequest: every parameter checked, unknown ones refused.
import { ValidationError, type ValidationIssue } from "../errors.js";
import { EVENT_TYPES } from "../ingest/schema.js";
import { dateToDay, dayToDate } from "../warehouse/time-zone.js";
import type { MetricName, MetricRequest, PropFilter } from "./engine.js";
import type { EventRef } from "./reader.js";
import { parseDimension, parseFilter, type SegmentSpec } from "./segments.js";

/** Longest date range of one request, in days. */
export const MAX_RANGE_DAYS = 731;
/** Default range: the 30 days ending today. */
export const DEFAULT_RANGE_DAYS = 30;
/** Largest day N of retention and LTV. */
export const MAX_DAY_N = 365;
/** Default USD per Robux of the DevEx estimate (the DevEx rate for Robux earned; override per request). */
export const DEFAULT_USD_PER_ROBUX = 0.0038;
/** Default share of a purchase's Robux the game earns (developer products and passes: 70%). */
export const DEFAULT_DEVELOPER_SHARE = 0.7;

const COMMON = ["from", "to", "breakdown", "filter", "format"];
/** The parameters each metric accepts beyond the common ones. */
export const METRIC_PARAMS: Record<MetricName, string[]> = {
	"active-users": [],
	sessions: [],
	retention: ["mode", "days", "table"],
	funnel: ["funnel", "steps", "window"],
	revenue: ["usdPerRobux", "developerShare", "ltvDays", "table"],
	economy: ["table"],
	progression: [],
	kpi: ["event", "measure", "property", "where", "groupBy"],
	trends: ["events", "measure", "interval"],
	overview: [],
};

/**
 * The tables a metric's CSV can hold (`table=`), the default first: an answer with nested parts (retention's average
 * curve, revenue's LTV and products, economy's items) flattens into one table per part.
 */
export const CSV_TABLES = {
	retention: ["cohorts", "average"],
	revenue: ["days", "ltv", "products"],
	economy: ["days", "items"],
} as const satisfies Partial<Record<MetricName, readonly string[]>>;
export type CsvTable = (typeof CSV_TABLES)[keyof typeof CSV_TABLES][number];

type Query = Record<string, string[]>;

class Issues {
	readonly list: ValidationIssue[] = [];
	add(path: string, message: string): undefined {
		this.list.push({ path, message });
		return undefined;
	}
}

function one(query: Query, name: string, issues: Issues): string | undefined {
	const values = query[name];
	if (!values || values.length === 0) return undefined;
	if (values.length > 1) return issues.add(name, "give this parameter once");
	return values[0];
}

function number(query: Query, name: string, issues: Issues, min: number, max: number): number | undefined {
	const text = one(query, name, issues);
	if (text === undefined) return undefined;
	const value = Number(text);
	if (text.trim() === "" || !Number.isFinite(value) || value < min || value > max) {
		return issues.add(name, `must be a number from ${min} to ${max}`);
	}
	return value;
}

/**
 * A local day from `YYYY-MM-DD`, or from a time (ISO 8601 with a zone, or unix milliseconds): the game's local day
 * that time falls in.
 */
export function parseDay(text: string, dayOf: (time: number) => number): number | undefined {
	const date = dateToDay(text);
	if (date !== undefined) return date;
	if (/^\d{1,15}$/.test(text)) return dayOf(Number(text));
	if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
		const time = Date.parse(text);
		return Number.isFinite(time) ? dayOf(time) : undefined;
	}
	return undefined;
}

/** "1,7,30" or "0-30" (or both: "0-7,14,30"): distinct whole days, sorted. */
export function parseDayList(text: string): number[] | string {
	const days = new Set<number>();
	for (const part of text.split(",")) {
		const range = /^(\d+)-(\d+)$/.exec(part.trim());
		if (range) {
			const a = Number(range[1]);
			const b = Number(range[2]);
			if (a > b || b > MAX_DAY_N) return `"${part}": a range a-b with a ≤ b ≤ ${MAX_DAY_N}`;
			for (let d = a; d <= b; d++) days.add(d);
		} else if (/^\d+$/.test(part.trim()) && Number(part) <= MAX_DAY_N) days.add(Number(part));
		else return `"${part}" is not a day from 0 to ${MAX_DAY_N}`;
	}
	if (days.size > 120) return "at most 120 days";
	return [...days].sort((a, b) => a - b);
}

const EVENT_TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);

/** `type:name` when the part before the first ":" is an event type, else the whole text is the name. */
export function parseEventRef(text: string): EventRef | string {
	if (text.length === 0 || text.length > 160) return "an event is 1-128 characters: name or type:name";
	const colon = text.indexOf(":");
	if (colon > 0 && EVENT_TYPE_SET.has(text.slice(0, colon))) {
		const name = text.slice(colon + 1);
		if (name.length === 0) return `"${text}" has no event name after the type`;
		return { type: text.slice(0, colon), name };
	}
	return { name: text };
}

const PROP_NAME = /^[A-Za-z0-9_]{1,128}$/;

/** `prop=value`, `prop!=value`, `prop>3`, `prop>=3`, `prop<3`, `prop<=3`. */
export function parsePropFilter(text: string): PropFilter | string {
	const match = /^([A-Za-z0-9_]{1,128})(!=|>=|<=|=|>|<)(.*)$/.exec(text);
	if (!match) return `"${text}" must be prop=value, prop!=value, prop>n, prop>=n, prop<n or prop<=n`;
	const op = match[2] as PropFilter["op"];
	const value = match[3]!;
	if (op !== "=" && op !== "!=" && (value.trim() === "" || !Number.isFinite(Number(value)))) {
		return `"${text}": ${op} compares with a number`;
	}
	return { prop: match[1]!, op, value };
}

/**
 * The request a query asks for. `today` (local day of the game) sets the default range: the 30 days ending today.
 * Throws a ValidationError listing every problem.
 */
export function parseMetricQuery(
	metric: MetricName,
	query: Query,
	today: number,
	/** The game's local day of a unix-ms time (for from/to given as times). @default UTC days */
	dayOf: (time: number) => number = (time) => Math.floor(time / 86_400_000),
): { request: MetricRequest; format: "json" | "csv"; table?: CsvTable } {
	const issues = new Issues();
	const allowed = new Set([...COMMON, ...METRIC_PARAMS[metric]]);
	for (const name of Object.keys(query)) {
		if (!allowed.has(name)) issues.add(name, `unknown parameter for ${metric}; allowed: ${[...allowed].join(", ")}`);
	}

	const date = (name: string): number | undefined => {
		const text = one(query, name, issues);
		if (text === undefined) return undefined;
		const day = parseDay(text, dayOf);
		return day === undefined
			? issues.add(name, "must be a date YYYY-MM-DD (or an ISO 8601 time or unix milliseconds: its local day)")
			: day;
	};
	const to = date("to") ?? today;
	const from = date("from") ?? to - (DEFAULT_RANGE_DAYS - 1);
	if (from > to) issues.add("from", `must not be after to (${dayToDate(to)})`);
	if (to - from + 1 > MAX_RANGE_DAYS) issues.add("from", `a range is at most ${MAX_RANGE_DAYS} days`);

	const spec: SegmentSpec = { filters: [] };
	const breakdown = one(query, "breakdown", issues);
	if (breakdown !== undefined) {
		const parsed = parseDimension(breakdown);
		if (typeof parsed === "string") issues.add("breakdown", parsed);
		else spec.breakdown = parsed;
	}
	for (const text of query.filter ?? []) {
		const parsed = parseFilter(text);
		if (typeof parsed === "string") issues.add("filter", parsed);
		else spec.filters.push(parsed);
	}
	const formatText = one(query, "format", issues) ?? "json";
	if (formatText !== "json" && formatText !== "csv") issues.add("format", "must be json or csv");
	const format = formatText === "csv" ? "csv" : "json";
	const tables: readonly string[] = (CSV_TABLES as Partial<Record<MetricName, readonly string[]>>)[metric] ?? [];
	const table = one(query, "table", issues);
	if (table !== undefined && !tables.includes(table)) issues.add("table", `must be one of ${tables.join(", ")}`);
	if (table !== undefined && format !== "csv") issues.add("table", "applies to format=csv");

	const range = { from, to };
	const request = parseSpecific(metric, query, issues, range, spec);
	if (issues.list.length > 0 || !request) throw new ValidationError("The metric query is invalid.", issues.list);
	return { request, format, ...(table !== undefined && { table: table as CsvTable }) };
}

function parseSpecific(
	metric: MetricName,
	query: Query,
	issues: Issues,
	range: { from: number; to: number },
	spec: SegmentSpec,
): MetricRequest | undefined {
	const common = { range, spec };
	const days = (name: string, fallback: number[]): number[] => {
		const text = one(query, name, issues);
		if (text === undefined) return fallback;
		const parsed = parseDayList(text);
		if (typeof parsed === "string") {
			issues.add(name, parsed);
			return fallback;
		}
		return parsed;
	};
	switch (metric) {
		case "retention": {
			const mode = one(query, "mode", issues) ?? "classic";
			if (mode !== "classic" && mode !== "rolling") issues.add("mode", "must be classic or rolling");
			return {
				metric,
				...common,
				mode: mode === "rolling" ? "rolling" : "classic",
				days: days("days", [0, 1, 3, 7, 14, 30]),
			};
		}
		case "funnel": {
			const funnel = one(query, "funnel", issues);
			const stepsText = one(query, "steps", issues);
			const windowDays = number(query, "window", issues, 1, 90) ?? 14;
			if ((funnel === undefined) === (stepsText === undefined)) {
				issues.add("funnel", "give either funnel (a funnelStep funnel's name) or steps (2-10 comma-separated events)");
				return undefined;
			}
			if (funnel !== undefined) {
				if (funnel.length < 1 || funnel.length > 128) issues.add("funnel", "a funnel name is 1-128 characters");
				return { metric, ...common, funnel, windowDays };
			}
			const steps: EventRef[] = [];
			for (const part of stepsText!.split(",")) {
				const ref = parseEventRef(part.trim());
				if (typeof ref === "string") issues.add("steps", ref);
				else steps.push(ref);
			}
			if (steps.length < 2 || steps.length > 10) issues.add("steps", "a funnel has 2 to 10 steps");
			return { metric, ...common, steps, windowDays };
		}
		case "revenue":
			return {
				metric,
				...common,
				usdPerRobux: number(query, "usdPerRobux", issues, 0, 1) ?? DEFAULT_USD_PER_ROBUX,
				developerShare: number(query, "developerShare", issues, 0, 1) ?? DEFAULT_DEVELOPER_SHARE,
				ltvDays: days("ltvDays", [0, 1, 3, 7, 14, 30, 60, 90]),
			};
		case "kpi": {
			const eventText = one(query, "event", issues);
			if (eventText === undefined) return issues.add("event", "required: the event (name or type:name)");
			const event = parseEventRef(eventText);
			if (typeof event === "string") return issues.add("event", event);
			const measure = one(query, "measure", issues) ?? "count";
			if (!["count", "users", "sum", "mean"].includes(measure))
				issues.add("measure", "must be count, users, sum or mean");
			const property = one(query, "property", issues);
			if (property !== undefined && !PROP_NAME.test(property))
				issues.add("property", "a prop name: 1-128 of A-Z a-z 0-9 _");
			if ((measure === "sum" || measure === "mean") && property === undefined) {
				issues.add("property", `required with measure=${measure}: the numeric prop to add up`);
			}
			const where: PropFilter[] = [];
			for (const text of query.where ?? []) {
				const f = parsePropFilter(text);
				if (typeof f === "string") issues.add("where", f);
				else where.push(f);
			}
			const groupBy = one(query, "groupBy", issues);
			if (groupBy !== undefined && !PROP_NAME.test(groupBy))
				issues.add("groupBy", "a prop name: 1-128 of A-Z a-z 0-9 _");
			return {
				metric,
				...common,
				event,
				measure: measure as "count",
				...(property !== undefined && { property }),
				where,
				...(groupBy !== undefined && { groupBy }),
			};
		}
		case "trends": {
			const text = one(query, "events", issues);
			if (text === undefined) return issues.add("events", "required: 1-10 comma-separated events (name or type:name)");
			const events: EventRef[] = [];
			for (const part of text.split(",")) {
				const ref = parseEventRef(part.trim());
				if (typeof ref === "string") issues.add("events", ref);
				else events.push(ref);
			}
			if (events.length > 10) issues.add("events", "at most 10 events");
			const measure = one(query, "measure", issues) ?? "count";
			if (measure !== "count" && measure !== "users") issues.add("measure", "must be count or users");
			const interval = one(query, "interval", issues) ?? "day";
			if (interval !== "day" && interval !== "hour") issues.add("interval", "must be day or hour");
			if (interval === "hour" && range.to - range.from > 30)
				issues.add("interval", "hourly trends cover at most 31 days");
			return {
				metric,
				...common,
				events,
				measure: measure === "users" ? "users" : "count",
				interval: interval === "hour" ? "hour" : "day",
			};
		}
		default:
			return { metric, ...common } as MetricRequest;
	}
}
