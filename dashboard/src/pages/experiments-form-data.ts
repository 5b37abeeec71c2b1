// The experiment form's model: what the inputs hold (text, as typed), how it becomes the admin API's request body,
// the checks that run before sending (each tied to its field and said in plain words), and where the server's own
// validation errors go. Also the targeting rule builder, the power calculator's and the preview's request bodies.
// Pure functions, tested on their own.
import type { Condition, Experiment, MetricDefinition, PlanBody, PlanResult } from "./experiments-types.js";

/** A problem tied to a form field (its input's id); `form` for the form as a whole. */
export interface FieldIssue {
	field: string;
	message: string;
}

// ---- targeting rules ----

export type RuleOp = "eq" | "ne" | "in" | "nin" | "gt" | "gte" | "lt" | "lte" | "exists" | "missing";

export const RULE_OPS: readonly { op: RuleOp; label: string }[] = [
	{ op: "eq", label: "is" },
	{ op: "ne", label: "is not" },
	{ op: "in", label: "is one of" },
	{ op: "nin", label: "is none of" },
	{ op: "gt", label: "is more than" },
	{ op: "gte", label: "is at least" },
	{ op: "lt", label: "is less than" },
	{ op: "lte", label: "is at most" },
	{ op: "exists", label: "is set" },
	{ op: "missing", label: "is not set" },
];

/** One row of the rule builder: `country is one of US, CA`. Every row must hold (AND). */
export interface Rule {
	attribute: string;
	op: RuleOp;
	value: string;
}

/** Attributes the SDK knows without the game's help (src/server/experiments/attributes.ts). */
export const KNOWN_ATTRIBUTES = ["id", "accountAge", "premium", "locale", "country", "firstVisit"] as const;

type Scalar = string | number | boolean;

/**
 * A typed value as the condition language compares it (strictly: "1" is not 1): `true`/`false` are booleans, plain
 * numbers are numbers, text in double quotes is that text, anything else is text.
 *
 * @example
 * parseScalar("42"); // 42
 * parseScalar('"42"'); // "42"
 */
export function parseScalar(text: string): Scalar {
	const t = text.trim();
	if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return t.slice(1, -1);
	if (t === "true") return true;
	if (t === "false") return false;
	if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
	return t;
}

/** The text {@link parseScalar} reads back as `value`. */
export function scalarText(value: Scalar): string {
	if (typeof value !== "string") return String(value);
	return value === "true" || value === "false" || /^-?\d+(\.\d+)?$/.test(value.trim()) || value !== value.trim()
		? `"${value}"`
		: value;
}

const OPERATOR: Record<Exclude<RuleOp, "eq" | "missing">, string> = {
	ne: "$ne",
	in: "$in",
	nin: "$nin",
	gt: "$gt",
	gte: "$gte",
	lt: "$lt",
	lte: "$lte",
	exists: "$exists",
};

/**
 * The condition the rules make (every rule must hold), or null without rules; each unusable rule is an issue on its
 * field (`rule-<i>-attribute`, `rule-<i>-value`).
 *
 * @example
 * rulesToCondition([{ attribute: "country", op: "in", value: "US, CA" }]).condition; // { country: { $in: ["US", "CA"] } }
 */
export function rulesToCondition(rules: readonly Rule[]): { condition: Condition | null; issues: FieldIssue[] } {
	const issues: FieldIssue[] = [];
	const tests = new Map<string, Record<string, unknown>>();
	rules.forEach((rule, i) => {
		const attribute = rule.attribute.trim();
		const issue = (part: "attribute" | "value", message: string) =>
			issues.push({ field: `rule-${i}-${part}`, message });
		if (!attribute) return issue("attribute", "Name the attribute this rule tests.");
		if (attribute.startsWith("$")) return issue("attribute", "Attribute names cannot start with $.");
		const ops = tests.get(attribute) ?? {};
		tests.set(attribute, ops);
		const put = (operator: string, value: unknown) => {
			if (operator in ops) issue("value", `Another rule already tests ${attribute} this way: keep one.`);
			else ops[operator] = value;
		};
		if (rule.op === "exists" || rule.op === "missing") return put("$exists", rule.op === "exists");
		const text = rule.value.trim();
		if (!text) return issue("value", "Give the value to compare with.");
		if (rule.op === "in" || rule.op === "nin") {
			const list = text
				.split(",")
				.map((part) => part.trim())
				.filter((part) => part !== "")
				.map(parseScalar);
			return put(OPERATOR[rule.op], list);
		}
		const value = parseScalar(text);
		if (rule.op === "gt" || rule.op === "gte" || rule.op === "lt" || rule.op === "lte") {
			if (typeof value !== "number") return issue("value", "Compare with a number, such as 30.");
			return put(OPERATOR[rule.op], value);
		}
		put(rule.op === "eq" ? "$eq" : "$ne", value);
	});
	if (tests.size === 0 || issues.length > 0) return { condition: null, issues };
	const condition: Record<string, unknown> = {};
	for (const [attribute, ops] of tests) {
		const keys = Object.keys(ops);
		// A lone equality reads best in its short form: { country: "US" }.
		condition[attribute] = keys.length === 1 && keys[0] === "$eq" ? ops.$eq : ops;
	}
	return { condition: condition as Condition, issues };
}

/**
 * The rules a condition reads as, or null when it needs more than the builder offers ($and, $or, $not): the form
 * then shows it as JSON.
 */
export function conditionToRules(condition: Condition | null): Rule[] | null {
	if (!condition) return [];
	const rules: Rule[] = [];
	for (const [attribute, test] of Object.entries(condition)) {
		if (test === undefined) continue;
		if (attribute.startsWith("$")) return null;
		if (typeof test !== "object" || test === null) {
			rules.push({ attribute, op: "eq", value: scalarText(test as Scalar) });
			continue;
		}
		if (Array.isArray(test)) return null;
		for (const [operator, value] of Object.entries(test)) {
			if (operator === "$exists") rules.push({ attribute, op: value ? "exists" : "missing", value: "" });
			else if (operator === "$in" || operator === "$nin") {
				rules.push({
					attribute,
					op: operator === "$in" ? "in" : "nin",
					value: (value as Scalar[]).map(scalarText).join(", "),
				});
			} else {
				const op = (Object.entries(OPERATOR).find(([, o]) => o === operator)?.[0] ??
					(operator === "$eq" ? "eq" : undefined)) as RuleOp | undefined;
				if (!op) return null;
				rules.push({ attribute, op, value: scalarText(value as Scalar) });
			}
		}
	}
	return rules;
}

// ---- the experiment draft ----

export type MetricType = MetricDefinition["type"];
export type AssignmentModeName = Experiment["assignment"]["mode"];

export interface MetricDraft {
	key: string;
	type: MetricType;
	event: string;
	/** "" = any type. */
	eventType: string;
	valueProp: string;
	/** Hours, "" = until the analysis ends. */
	windowHours: string;
	/** Retention: day N. */
	day: string;
	/** "" = higher is better (the default), or "higher" / "lower" said out loud. */
	direction: "" | "higher" | "lower";
	/** Winsorization (count, sum, revenue, ratio): none, a fixed cap, or a pooled percentile. */
	capKind: "" | "value" | "percentile";
	/** The cap: a number, or a percentile in percent (99 = the 99th). */
	cap: string;
	/** Quantile metrics: which quantile in percent (50 = median), and how a player's events make one value. */
	quantile: string;
	aggregate: "mean" | "sum" | "max";
	/** Ratio metrics: each side's event, event type ("" any) and summed prop ("" counts the events). */
	numerator: RatioPartDraft;
	denominator: RatioPartDraft;
	/**
	 * The key of a metric of the game's library, "" for a metric written here: a library metric is sent as
	 * `{ library: key }` (a draft follows its latest version; starting pins it) and the fields above are not used.
	 */
	library: string;
}

export interface VariationDraft {
	key: string;
	name: string;
	/** Percent of the covered players. */
	weight: string;
}

/** Every input of the experiment form, as typed. */
export interface ExperimentDraft {
	key: string;
	name: string;
	description: string;
	variations: VariationDraft[];
	/** Percent. */
	coverage: string;
	/** Rule builder, or JSON for conditions it cannot show. */
	targeting: "rules" | "json";
	rules: Rule[];
	conditionJson: string;
	assignment: AssignmentModeName;
	/** Stratified: comma-separated attributes. */
	strata: string;
	/** Adaptive: minutes between weight updates; "" for the default (60). */
	updateInterval: string;
	primaryMetric: MetricDraft | null;
	guardrails: MetricDraft[];
	/** `datetime-local` values (the browser's zone); "" for none. */
	startAt: string;
	endAt: string;
	hashAttribute: string;
	seed: string;
	hashVersion: "1" | "2";
	namespaceId: string;
	/** Percent. */
	namespaceStart: string;
	namespaceEnd: string;
	/** QA overrides, one `UserId=variation` a line. */
	forced: string;
}

/** One side of a ratio metric as typed. */
export interface RatioPartDraft {
	event: string;
	eventType: string;
	valueProp: string;
}

export function emptyMetric(type: MetricType = "conversion", key = ""): MetricDraft {
	const part = { event: "", eventType: "", valueProp: "" };
	return {
		key,
		type,
		event: "",
		eventType: "",
		valueProp: type === "revenue" ? "robux" : "",
		windowHours: "",
		day: "1",
		library: "",
		direction: "",
		capKind: "",
		cap: "",
		quantile: "50",
		aggregate: "mean",
		numerator: { ...part },
		denominator: { ...part },
	};
}

/** A new experiment: two variations split evenly, everyone covered, no targeting, a conversion metric to fill in. */
export function emptyDraft(): ExperimentDraft {
	return {
		key: "",
		name: "",
		description: "",
		variations: [
			{ key: "control", name: "", weight: "50" },
			{ key: "treatment", name: "", weight: "50" },
		],
		coverage: "100",
		targeting: "rules",
		rules: [],
		conditionJson: "",
		assignment: "deterministic",
		strata: "",
		updateInterval: "",
		primaryMetric: emptyMetric("conversion", "converted"),
		guardrails: [],
		startAt: "",
		endAt: "",
		hashAttribute: "id",
		seed: "",
		hashVersion: "2",
		namespaceId: "",
		namespaceStart: "0",
		namespaceEnd: "100",
		forced: "",
	};
}

/** Shares summing to exactly 100 with two decimals (the last takes the rounding). */
export function evenWeights(n: number): string[] {
	const share = Math.floor(10000 / n) / 100;
	const last = Math.round((100 - share * (n - 1)) * 100) / 100;
	return Array.from({ length: n }, (_, i) => String(i === n - 1 ? last : share));
}

const percentText = (fraction: number) => String(Math.round(fraction * 10000) / 100);

/** The form as it opens for an existing experiment. */
export function draftFromExperiment(e: Experiment): ExperimentDraft {
	const rules = conditionToRules(e.condition);
	return {
		key: e.key,
		name: e.name === e.key ? "" : e.name,
		description: e.description,
		variations: e.variations.map((v) => ({
			key: v.key,
			name: v.name === v.key ? "" : v.name,
			weight: percentText(v.weight),
		})),
		coverage: percentText(e.coverage),
		targeting: rules ? "rules" : "json",
		rules: rules ?? [],
		conditionJson: e.condition ? JSON.stringify(e.condition, null, 2) : "",
		assignment: e.assignment.mode,
		strata: e.assignment.mode === "stratified" ? e.assignment.strata.join(", ") : "",
		updateInterval:
			e.assignment.mode === "adaptive" && e.assignment.updateIntervalMinutes !== undefined
				? String(e.assignment.updateIntervalMinutes)
				: "",
		primaryMetric: e.primaryMetric ? metricDraft(e.primaryMetric) : null,
		guardrails: e.guardrailMetrics.map(metricDraft),
		startAt: isoToLocalInput(e.startAt),
		endAt: isoToLocalInput(e.endAt),
		hashAttribute: e.hashAttribute,
		seed: e.seed === e.key ? "" : e.seed,
		hashVersion: e.hashVersion === 1 ? "1" : "2",
		namespaceId: e.namespace?.id ?? "",
		namespaceStart: e.namespace ? percentText(e.namespace.start) : "0",
		namespaceEnd: e.namespace ? percentText(e.namespace.end) : "100",
		forced: Object.entries(e.forcedVariations)
			.map(([user, key]) => `${user}=${key}`)
			.join("\n"),
	};
}

function metricDraft(m: MetricDefinition & { library?: { key: string } | undefined }): MetricDraft {
	const base: MetricDraft = {
		...emptyMetric(m.type, m.key),
		library: m.library?.key ?? "",
		direction: m.direction ?? "",
	};
	if (m.type === "retention") return { ...base, day: String(m.day) };
	const windowHours = m.windowHours === undefined ? "" : String(m.windowHours);
	const cap =
		"cap" in m && m.cap
			? "value" in m.cap
				? { capKind: "value" as const, cap: String(m.cap.value) }
				: { capKind: "percentile" as const, cap: String(Math.round(m.cap.percentile * 10000) / 100) }
			: {};
	if (m.type === "revenue") return { ...base, ...cap, event: m.event ?? "", valueProp: m.valueProp, windowHours };
	if (m.type === "ratio") {
		const part = (x: typeof m.numerator) => ({
			event: x.event ?? "",
			eventType: x.eventType ?? "",
			valueProp: x.valueProp ?? "",
		});
		return { ...base, ...cap, numerator: part(m.numerator), denominator: part(m.denominator), windowHours };
	}
	const event = { ...base, ...cap, event: m.event, eventType: m.eventType ?? "", windowHours };
	if (m.type === "sum") return { ...event, valueProp: m.valueProp };
	if (m.type === "quantile") {
		const quantile = String(Math.round(m.quantile * 10000) / 100);
		return { ...event, valueProp: m.valueProp, quantile, aggregate: m.aggregate };
	}
	return event;
}

/** A `datetime-local` value (local time, minutes) of an ISO time; "" for none. */
export function isoToLocalInput(iso: string | null): string {
	if (!iso) return "";
	const d = new Date(iso);
	const pad = (n: number) => String(n).padStart(2, "0");
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The ISO time of a `datetime-local` value; undefined when it is not one. */
export function localInputToIso(text: string): string | undefined {
	if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(text)) return undefined;
	const time = new Date(text).getTime();
	return Number.isFinite(time) ? new Date(time).toISOString() : undefined;
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const SHORT_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const PROP = /^[A-Za-z0-9_]{1,64}$/;

/** A number typed into a field, or undefined when the text is not one. */
function numberOf(text: string): number | undefined {
	const t = text.trim();
	if (t === "") return undefined;
	const n = Number(t);
	return Number.isFinite(n) ? n : undefined;
}

/** The create request body (every member the form sets) and the problems found before sending. */
export interface DraftBody {
	body: Record<string, unknown>;
	issues: FieldIssue[];
}

/**
 * The draft as a create request:
 * 1. key, variations (keys unique, shares summing to 100%), coverage;
 * 2. targeting from the rules or the JSON;
 * 3. assignment, metrics (keys unique; events, days and windows where their type needs them), schedule;
 * 4. advanced: hash attribute, seed, hash version, namespace, forced users.
 * Empty optional inputs are left out, so the server's defaults apply.
 */
export function draftToBody(draft: ExperimentDraft): DraftBody {
	const issues: FieldIssue[] = [];
	const issue = (field: string, message: string) => issues.push({ field, message });
	const body: Record<string, unknown> = {};

	// 1. Identity and split.
	const key = draft.key.trim();
	if (!KEY.test(key)) {
		issue("key", "Use 1 to 100 letters, digits, _ . or -, starting with a letter or digit (e.g. shop_layout).");
	}
	body.key = key;
	if (draft.name.trim()) body.name = draft.name.trim();
	if (draft.description.trim()) body.description = draft.description.trim();
	if (draft.variations.length < 2) issue("variations", "An experiment needs at least two variations.");
	const seen = new Set<string>();
	let total = 0;
	let weightsOk = true;
	body.variations = draft.variations.map((v, i) => {
		const vKey = v.key.trim();
		if (!SHORT_KEY.test(vKey)) {
			issue(`variation-${i}-key`, "Use 1 to 64 letters, digits, _ . or -, starting with a letter or digit.");
		} else if (seen.has(vKey)) issue(`variation-${i}-key`, `Another variation is already called ${vKey}.`);
		seen.add(vKey);
		const weight = numberOf(v.weight);
		if (weight === undefined || weight < 0 || weight > 100) {
			issue(`variation-${i}-weight`, "A share from 0 to 100 (%).");
			weightsOk = false;
		} else total += weight;
		return { key: vKey, ...(v.name.trim() ? { name: v.name.trim() } : {}), weight: (weight ?? 0) / 100 };
	});
	if (weightsOk && Math.abs(total - 100) > 0.1) {
		issue("variations", `The shares add up to ${Math.round(total * 100) / 100}%; they must add up to 100%.`);
	}
	const coverage = numberOf(draft.coverage);
	if (coverage === undefined || coverage < 0 || coverage > 100) issue("coverage", "A share from 0 to 100 (%).");
	else body.coverage = coverage / 100;

	// 2. Targeting.
	const condition = draftCondition(draft);
	issues.push(...condition.issues);
	if (condition.condition) body.condition = condition.condition;

	// 3. Assignment, metrics, schedule.
	if (draft.assignment === "stratified") {
		const strata = draft.strata
			.split(",")
			.map((s) => s.trim())
			.filter(Boolean);
		if (strata.length < 1 || strata.length > 4) issue("strata", "Name 1 to 4 attributes to balance, such as platform.");
		body.assignment = { mode: "stratified", strata };
	} else if (draft.assignment === "adaptive" && draft.updateInterval.trim() !== "") {
		const minutes = Number(draft.updateInterval.trim());
		if (!Number.isInteger(minutes) || minutes < 5 || minutes > 10_080) {
			issue("update-interval", "Whole minutes from 5 to 10080 (7 days).");
		}
		body.assignment = { mode: "adaptive", updateIntervalMinutes: minutes };
	} else body.assignment = { mode: draft.assignment };
	const metricKeys = new Set<string>();
	const metric = (m: MetricDraft, prefix: string) => {
		const out = metricBody(m, prefix, issue);
		if (metricKeys.has(m.key.trim())) issue(`${prefix}-key`, "Another metric already has this key.");
		metricKeys.add(m.key.trim());
		return out;
	};
	if (draft.primaryMetric) body.primaryMetric = metric(draft.primaryMetric, "primary");
	else if (draft.assignment === "adaptive") {
		issue("assignment", "Adaptive assignment needs a primary metric: it moves players towards its best variation.");
	}
	if (draft.guardrails.length > 0) body.guardrailMetrics = draft.guardrails.map((m, i) => metric(m, `guardrail-${i}`));
	const startAt = draft.startAt ? localInputToIso(draft.startAt) : null;
	const endAt = draft.endAt ? localInputToIso(draft.endAt) : null;
	if (startAt === undefined) issue("startAt", "Pick a date and time, or leave it empty to start when you press Start.");
	else if (startAt) body.startAt = startAt;
	if (endAt === undefined) issue("endAt", "Pick a date and time, or leave it empty to run until you stop it.");
	else if (endAt) body.endAt = endAt;
	if (startAt && endAt && endAt <= startAt) issue("endAt", "The end must come after the start.");

	// 4. Advanced.
	const hashAttribute = draft.hashAttribute.trim();
	if (!hashAttribute || hashAttribute.startsWith("$")) {
		issue("hashAttribute", "Name the attribute to hash: id (the UserId) unless players share a unit.");
	} else if (hashAttribute !== "id") body.hashAttribute = hashAttribute;
	if (draft.seed.trim()) body.seed = draft.seed.trim();
	if (draft.hashVersion === "1") body.hashVersion = 1;
	if (draft.namespaceId.trim()) {
		const start = numberOf(draft.namespaceStart);
		const end = numberOf(draft.namespaceEnd);
		if (start === undefined || end === undefined || start < 0 || end > 100 || start >= end) {
			issue("namespace", "Give a slice from start to end (%), start below end, within 0 to 100.");
		} else body.namespace = { id: draft.namespaceId.trim(), start: start / 100, end: end / 100 };
	}
	const forced: Record<string, string> = {};
	for (const [i, line] of draft.forced.split("\n").entries()) {
		if (!line.trim()) continue;
		const match = /^\s*([1-9][0-9]{0,15})\s*=\s*(\S+)\s*$/.exec(line);
		if (!match) issue("forced", `Line ${i + 1}: write UserId=variation, such as 12345=treatment.`);
		else if (!seen.has(match[2]!)) issue("forced", `Line ${i + 1}: there is no variation called ${match[2]}.`);
		else forced[match[1]!] = match[2]!;
	}
	if (Object.keys(forced).length > 0) body.forcedVariations = forced;
	return { body, issues };
}

/** The targeting condition of the draft, from the rules or the JSON text. */
export function draftCondition(draft: ExperimentDraft): { condition: Condition | null; issues: FieldIssue[] } {
	if (draft.targeting === "rules") return rulesToCondition(draft.rules);
	const text = draft.conditionJson.trim();
	if (!text) return { condition: null, issues: [] };
	try {
		const value = JSON.parse(text) as unknown;
		if (typeof value !== "object" || value === null || Array.isArray(value)) {
			return { condition: null, issues: [{ field: "condition", message: "A condition is a JSON object." }] };
		}
		return { condition: Object.keys(value).length > 0 ? (value as Condition) : null, issues: [] };
	} catch {
		return { condition: null, issues: [{ field: "condition", message: "This is not valid JSON." }] };
	}
}

function metricBody(m: MetricDraft, prefix: string, issue: (field: string, message: string) => void): unknown {
	// The library holds the definition (metric-library.ts); the server resolves the reference.
	if (m.library) return { library: m.library };
	const key = m.key.trim();
	if (!SHORT_KEY.test(key)) {
		issue(`${prefix}-key`, "Name the metric: 1 to 64 letters, digits, _ . or - (e.g. bought_pass).");
	}
	if (m.type === "retention") {
		const day = numberOf(m.day);
		if (day === undefined || !Number.isInteger(day) || day < 1 || day > 90) {
			issue(`${prefix}-day`, "A whole day from 1 to 90.");
		}
		return { key, type: "retention", day: day ?? 1, ...(m.direction ? { direction: m.direction } : {}) };
	}
	const out: Record<string, unknown> = { key, type: m.type };
	if (m.direction) out.direction = m.direction;
	if (m.type === "ratio") {
		out.numerator = ratioPartBody(m.numerator, `${prefix}-numerator`, issue);
		out.denominator = ratioPartBody(m.denominator, `${prefix}-denominator`, issue);
	}
	const event = m.event.trim();
	if (m.type !== "revenue" && m.type !== "ratio" && !event) {
		issue(
			`${prefix}-event`,
			m.type === "conversion" ? "Name the event that counts as a conversion." : "Name the event to count.",
		);
	}
	if (event) out.event = event;
	if (m.eventType && m.type !== "revenue") out.eventType = m.eventType;
	if (m.type === "revenue" || m.type === "sum" || m.type === "quantile") {
		if (!PROP.test(m.valueProp.trim())) issue(`${prefix}-valueProp`, "A prop name of letters, digits and _.");
		out.valueProp = m.valueProp.trim();
	}
	if (m.type === "quantile") {
		const q = numberOf(m.quantile);
		if (q === undefined || q <= 0 || q >= 100) issue(`${prefix}-quantile`, "A percentile between 0 and 100, e.g. 50.");
		else out.quantile = q / 100;
		out.aggregate = m.aggregate;
	}
	if (m.capKind && (m.type === "count" || m.type === "sum" || m.type === "revenue" || m.type === "ratio")) {
		const cap = numberOf(m.cap);
		if (m.capKind === "value") {
			if (cap === undefined || cap <= 0) issue(`${prefix}-cap`, "A cap above 0.");
			else out.cap = { value: cap };
		} else if (cap === undefined || cap <= 50 || cap >= 100) {
			issue(`${prefix}-cap`, "A percentile above 50 and below 100, e.g. 99.");
		} else out.cap = { percentile: cap / 100 };
	}
	if (m.windowHours.trim()) {
		const hours = numberOf(m.windowHours);
		if (hours === undefined || hours <= 0 || hours > 24 * 365) {
			issue(`${prefix}-windowHours`, "Hours above 0 (at most a year), or empty for no window.");
		} else out.windowHours = hours;
	}
	return out;
}

/** One side of a ratio metric's body: an event, an event type or both; a prop summed, or the events counted. */
function ratioPartBody(
	part: RatioPartDraft,
	prefix: string,
	issue: (field: string, message: string) => void,
): Record<string, string> {
	const out: Record<string, string> = {};
	const event = part.event.trim();
	if (event) out.event = event;
	if (part.eventType) out.eventType = part.eventType;
	if (!event && !part.eventType) issue(`${prefix}-event`, "Name the event, or pick an event type.");
	const prop = part.valueProp.trim();
	if (prop) {
		if (!PROP.test(prop)) issue(`${prefix}-valueProp`, "A prop name of letters, digits and _, or empty to count.");
		out.valueProp = prop;
	}
	return out;
}

/** Members a PATCH may clear with null. */
const NULLABLE = new Set(["description", "namespace", "condition", "startAt", "endAt", "primaryMetric"]);
/** Members that cannot change once the experiment has started (server/experiments/experiment.ts). */
export const FROZEN_AFTER_START = ["variations", "hashAttribute", "seed", "hashVersion", "namespace", "assignment"];

/**
 * The PATCH for an edit: only the members whose value changed from what the experiment has (so an untouched start
 * time is never rewritten at minute precision), null for cleared ones; frozen members are left out once started.
 */
export function draftToPatch(original: Experiment, draft: ExperimentDraft): DraftBody {
	const next = draftToBody(draft);
	const before = draftToBody(draftFromExperiment(original)).body;
	const patch: Record<string, unknown> = {};
	const started = original.status !== "draft";
	const members = new Set([...Object.keys(before), ...Object.keys(next.body)]);
	const intervalOnly = (member: string) => intervalChangeOnly(member, before[member], next.body[member]);
	for (const member of members) {
		if (member === "key" || (started && FROZEN_AFTER_START.includes(member) && !intervalOnly(member))) continue;
		const value = next.body[member];
		if (JSON.stringify(value) === JSON.stringify(before[member])) continue;
		if (value !== undefined) patch[member] = value;
		else if (NULLABLE.has(member)) patch[member] = null;
		// A default left empty again: say the default out loud.
		else patch[member] = DEFAULTS[member];
	}
	return { body: patch, issues: next.issues };
}

/**
 * Whether a frozen member changed only in what may change after the start: an adaptive experiment's update interval
 * (it moves no player).
 */
function intervalChangeOnly(member: string, before: unknown, after: unknown): boolean {
	if (member !== "assignment") return false;
	const strip = (a: unknown) => {
		const { updateIntervalMinutes: _, ...rest } = (a ?? {}) as Record<string, unknown>;
		return JSON.stringify(rest);
	};
	return (before as { mode?: string } | undefined)?.mode === "adaptive" && strip(before) === strip(after);
}

const DEFAULTS: Record<string, unknown> = {
	coverage: 1,
	hashAttribute: "id",
	hashVersion: 2,
	guardrailMetrics: [],
	forcedVariations: {},
};

/**
 * The form field a server validation path belongs to (`variations.1.key` → `variation-1-key`), `form` when none.
 *
 * @example
 * fieldOfPath("primaryMetric.event"); // "primary-event"
 */
export function fieldOfPath(path: string): string {
	const parts = path.split(".");
	const [head, second, third] = parts;
	switch (head) {
		case "key":
		case "name":
		case "description":
		case "coverage":
		case "startAt":
		case "endAt":
		case "hashAttribute":
		case "seed":
		case "hashVersion":
			return head;
		case "variations":
			return second !== undefined && third !== undefined ? `variation-${second}-${third}` : "variations";
		case "condition":
			return "condition";
		case "assignment":
			return second === "strata" ? "strata" : second === "updateIntervalMinutes" ? "update-interval" : "assignment";
		case "primaryMetric":
			return second ? `primary-${second}` : "primary-key";
		case "guardrailMetrics":
			return second !== undefined && third ? `guardrail-${second}-${third}` : "guardrails";
		case "namespace":
			return "namespace";
		case "forcedVariations":
			return "forced";
		default:
			return "form";
	}
}

/**
 * A server validation message in plain words: zod's "Invalid input: expected string, received undefined" and its
 * kin become what to do; the server's own messages ("must be after startAt") get a capital and a full stop.
 */
export function plainMessage(message: string): string {
	if (/received undefined/.test(message)) return "This is required.";
	const small = /^Too small: expected (?:array|string) to have >=?(\d+) (items|characters)/.exec(message);
	if (small) return `Needs at least ${small[1]} ${small[2] === "items" ? "entries" : "characters"}.`;
	const big = /^Too big: expected (?:array|string) to have <=?(\d+) (items|characters)/.exec(message);
	if (big) return `At most ${big[1]} ${big[2] === "items" ? "entries" : "characters"}.`;
	const number = /^Too (small|big): expected number to be ([<>]=?)(-?[\d.]+)/.exec(message);
	if (number) return `Must be ${number[2]!.startsWith(">") ? "at least" : "at most"} ${number[3]}.`;
	if (/^Unrecognized key/.test(message)) return "The server does not know this field.";
	const text = message.charAt(0).toUpperCase() + message.slice(1);
	return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** Server validation errors by field, in plain words (several on one field joined). */
export function issuesByField(errors: readonly { path: string; message: string }[]): FieldIssue[] {
	return errors.map((e) => ({ field: fieldOfPath(e.path), message: plainMessage(e.message) }));
}

// ---- power calculator and preview ----

/** The calculator's inputs, as typed (percentages as percent). */
export interface PowerInputs {
	kind: "proportion" | "mean";
	/** Baseline rate, percent. */
	rate: string;
	mean: string;
	stdDev: string;
	/** Minimum detectable effect, percent relative to the baseline. */
	mde: string;
	alpha: string;
	power: string;
}

export function defaultPowerInputs(metric: MetricDraft | null): PowerInputs {
	return {
		kind: metric && (metric.type === "count" || metric.type === "revenue") ? "mean" : "proportion",
		rate: "20",
		mean: "",
		stdDev: "",
		mde: "10",
		alpha: "0.05",
		power: "0.8",
	};
}

/** Days a metric needs after the last player joins: day-N retention waits N + 1 days. */
export function settleDaysOf(metric: MetricDraft | null): number {
	if (!metric || metric.type !== "retention") return 0;
	const day = numberOf(metric.day);
	return day !== undefined && Number.isInteger(day) && day >= 1 ? day + 1 : 0;
}

/**
 * The plan request of the calculator: its inputs, the draft's split, and the share of players taking part (coverage ×
 * the targeting's matching share when a preview measured it).
 */
export function planBody(
	inputs: PowerInputs,
	draft: ExperimentDraft,
	eligibleShare: number,
): { body: PlanBody | null; issues: FieldIssue[] } {
	const issues: FieldIssue[] = [];
	const issue = (field: string, message: string) => issues.push({ field, message });
	let baseline: PlanBody["baseline"] | undefined;
	if (inputs.kind === "proportion") {
		const rate = numberOf(inputs.rate);
		if (rate === undefined || rate <= 0 || rate >= 100) issue("power-rate", "A rate between 0 and 100 (%).");
		else baseline = { kind: "proportion", rate: rate / 100 };
	} else {
		const mean = numberOf(inputs.mean);
		const stdDev = numberOf(inputs.stdDev);
		if (mean === undefined) issue("power-mean", "The metric's mean per player today.");
		if (stdDev === undefined || stdDev <= 0) issue("power-stdDev", "How much players differ: a number above 0.");
		if (mean !== undefined && stdDev !== undefined && stdDev > 0) baseline = { kind: "mean", mean, stdDev };
	}
	const mde = numberOf(inputs.mde);
	if (mde === undefined || mde <= 0) issue("power-mde", "The smallest change worth finding, in % (e.g. 5).");
	const weights = draft.variations.map((v) => (numberOf(v.weight) ?? Number.NaN) / 100);
	if (weights.some((w) => !Number.isFinite(w))) issue("power-split", "Fix the variations' shares first.");
	if (!baseline || mde === undefined || mde <= 0 || issues.length > 0) return { body: null, issues };
	return {
		body: {
			baseline,
			mde: mde / 100,
			relativeMde: true,
			alpha: Number(inputs.alpha),
			power: Number(inputs.power),
			weights,
			eligibleShare: Math.min(1, Math.max(eligibleShare, 1e-6)),
			settleDays: settleDaysOf(draft.primaryMetric),
		},
		issues,
	};
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

/** The plan in sentences: players needed, then how long at the game's traffic (or why that is unknown). */
export function planSentences(plan: PlanResult): { players: string; days: string } {
	const per = plan.variations.map((v) => integer.format(v.units));
	const even = per.every((p) => p === per[0]);
	const players =
		`${integer.format(plan.totalUnits)} players in the test (` +
		(even ? `${per[0]} per variation` : per.join(" / ")) +
		")" +
		(plan.eligibleShare < 1 ? `, so ${integer.format(plan.playersToReach)} players must visit` : "") +
		".";
	const t = plan.traffic;
	if (!t) return { players, days: "The game has had no players lately, so the length cannot be estimated yet." };
	const traffic = `${oneDecimal.format(t.dailyActive)} players a day, ${oneDecimal.format(t.dailyNew)} of them new`;
	if (plan.days === null) return { players, days: `More than a year at today's traffic (${traffic}).` };
	const settle = plan.settleDays > 0 ? `, including ${plan.settleDays} days for the metric to settle` : "";
	return {
		players,
		days: `About ${plan.days} day${plan.days === 1 ? "" : "s"} at today's traffic (${traffic})${settle}.`,
	};
}

/** The preview request of the draft's assignment fields with a sample of players. */
export function previewBody(
	draft: ExperimentDraft,
	sample: { source: "recent" } | { source: "synthetic"; players: number },
): { body: Record<string, unknown> | null; issues: FieldIssue[] } {
	const { body, issues } = draftToBody(draft);
	const relevant = issues.filter(
		(i) =>
			i.field.startsWith("variation") ||
			i.field.startsWith("rule-") ||
			["coverage", "condition", "hashAttribute", "namespace", "forced", "strata"].includes(i.field),
	);
	if (relevant.length > 0) return { body: null, issues: relevant };
	const out: Record<string, unknown> = {
		seed: (body.seed as string | undefined) ?? (draft.key.trim() || "preview"),
		sample: sample.source === "recent" ? { source: "recent" } : { source: "synthetic", players: sample.players },
	};
	for (const member of [
		"variations",
		"coverage",
		"hashAttribute",
		"hashVersion",
		"namespace",
		"condition",
		"assignment",
		"forcedVariations",
	]) {
		if (body[member] !== undefined) out[member] = body[member];
	}
	// Names are for people; the preview needs only keys and weights.
	out.variations = (body.variations as { key: string; weight: number }[]).map((v) => ({
		key: v.key,
		weight: v.weight,
	}));
	return { body: out, issues: [] };
}

/** Where today's value of the primary metric can be read from the metrics API: a conversion's event, or day-N retention. */
export type BaselineSource = { kind: "conversion"; event: string } | { kind: "retention"; day: number };

/** The baseline the game's data can estimate for a metric; null for counts and revenue (their spread is unknown). */
export function baselineSource(metric: MetricDraft | null): BaselineSource | null {
	if (!metric) return null;
	if (metric.type === "retention") {
		const day = numberOf(metric.day);
		return day !== undefined && Number.isInteger(day) && day >= 1 && day <= 90 ? { kind: "retention", day } : null;
	}
	const event = metric.event.trim();
	if (metric.type !== "conversion" || !event) return null;
	return { kind: "conversion", event: metric.eventType ? `${metric.eventType}:${event}` : event };
}

/**
 * Today's rate of a conversion metric, estimated from the game's recent days: the distinct players who sent the event
 * over the active players (both distinct over the same days). Null without active players.
 *
 * @example
 * conversionBaseline(120, 600); // { rate: 0.2, text: "120 of 600 players sent it: 20%" }
 */
export function conversionBaseline(
	eventPlayers: number | null,
	activePlayers: number,
): { rate: number; text: string } | null {
	if (activePlayers <= 0) return null;
	const players = eventPlayers ?? 0;
	const rate = players / activePlayers;
	return {
		rate,
		text: `${integer.format(players)} of ${integer.format(activePlayers)} players sent it: ${(rate * 100).toFixed(1)}%`,
	};
}

/** The rate in the calculator's input: percent with at most two decimals, within (0, 100). */
export function rateInput(rate: number): string {
	const percent = Math.min(99.99, Math.max(0.01, Math.round(rate * 10000) / 100));
	return String(percent);
}
