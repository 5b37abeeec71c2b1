// The Flags page's rows and its edit form's model: a flag in words (on or off, who gets which value), and the form's
// text turned into the admin API's PATCH, each problem tied to its field. Pure functions, tested on their own.
import {
	RULE_OPS,
	conditionToRules,
	draftCondition,
	emptyDraft,
	type FieldIssue,
	type Rule,
} from "./experiments-form-data.js";
import type { Condition, Flag, FlagValue } from "./experiments-types.js";

const percent = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 1 });

/** A flag value as compact JSON, shortened past `max` characters. */
export function valueText(value: FlagValue, max = 40): string {
	const text = JSON.stringify(value) ?? "null";
	return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * A targeting condition in words ("country is one of US, CA and premium is true"); "Everyone" without one, "A custom
 * condition" when rules cannot say it.
 */
export function conditionText(condition: Condition | null): string {
	const rules = conditionToRules(condition);
	if (!rules) return "A custom condition (JSON)";
	if (rules.length === 0) return "Everyone";
	return rules
		.map((r) => {
			const label = RULE_OPS.find((o) => o.op === r.op)!.label;
			return r.op === "exists" || r.op === "missing" ? `${r.attribute} ${label}` : `${r.attribute} ${label} ${r.value}`;
		})
		.join(" and ");
}

export interface FlagRow {
	key: string;
	name: string;
	enabled: boolean;
	/** "On for 25% of matching players" / "Off: everyone gets false". */
	state: string;
	variations: string;
	defaultValue: string;
	targeting: string;
	updatedAt: string;
}

/** One row per flag, by key. */
export function flagRows(flags: readonly Flag[]): FlagRow[] {
	return [...flags]
		.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
		.map((f) => ({
			key: f.key,
			name: f.name,
			enabled: f.enabled,
			state: f.enabled
				? `On for ${percent.format(f.coverage)} of ${f.condition ? "matching" : "all"} players`
				: `Off: everyone gets ${valueText(f.defaultValue)}`,
			variations: f.variations.map((v) => `${valueText(v.value, 24)} (${percent.format(v.weight)})`).join(", "),
			defaultValue: valueText(f.defaultValue),
			targeting: conditionText(f.condition),
			updatedAt: f.updatedAt,
		}));
}

/** The edit form of a flag, as typed. */
export interface FlagDraft {
	name: string;
	description: string;
	/** Percent. */
	coverage: string;
	targeting: "rules" | "json";
	rules: Rule[];
	conditionJson: string;
	/** JSON. */
	defaultValue: string;
	variations: { key: string; value: string; weight: string }[];
}

export function flagDraftFrom(flag: Flag): FlagDraft {
	const rules = conditionToRules(flag.condition);
	return {
		name: flag.name === flag.key ? "" : flag.name,
		description: flag.description,
		coverage: String(Math.round(flag.coverage * 10000) / 100),
		targeting: rules ? "rules" : "json",
		rules: rules ?? [],
		conditionJson: flag.condition ? JSON.stringify(flag.condition, null, 2) : "",
		defaultValue: JSON.stringify(flag.defaultValue),
		variations: flag.variations.map((v) => ({
			key: v.key,
			value: JSON.stringify(v.value),
			weight: String(Math.round(v.weight * 10000) / 100),
		})),
	};
}

/** JSON text as a value, or undefined when it does not parse. */
export function parseJsonText(text: string): FlagValue | undefined {
	try {
		return JSON.parse(text) as FlagValue;
	} catch {
		return undefined;
	}
}

const VARIATION_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * The PATCH of an edited flag: every member the form shows (name and description, coverage, condition, default
 * value, variations), the condition as null for everyone. Problems name their field (`flag-coverage`,
 * `flag-variation-<i>-value`, …).
 */
export function flagPatch(draft: FlagDraft): { body: Record<string, unknown>; issues: FieldIssue[] } {
	const issues: FieldIssue[] = [];
	const issue = (field: string, message: string) => issues.push({ field: `flag-${field}`, message });
	const body: Record<string, unknown> = {};
	if (draft.name.trim()) body.name = draft.name.trim();
	body.description = draft.description.trim() || null;
	const coverage = Number(draft.coverage);
	if (draft.coverage.trim() === "" || !Number.isFinite(coverage) || coverage < 0 || coverage > 100) {
		issue("coverage", "A share from 0 to 100 (%).");
	} else body.coverage = coverage / 100;
	const condition = draftCondition({
		...emptyDraft(),
		targeting: draft.targeting,
		rules: draft.rules,
		conditionJson: draft.conditionJson,
	});
	for (const i of condition.issues) issue(i.field, i.message);
	body.condition = condition.condition;
	const defaultValue = parseJsonText(draft.defaultValue);
	if (defaultValue === undefined) {
		issue("defaultValue", 'Write JSON: false, 10, "blue" (text in quotes) or {"speed": 2}.');
	} else body.defaultValue = defaultValue;
	let total = 0;
	const keys = new Set<string>();
	body.variations = draft.variations.map((v, i) => {
		const key = v.key.trim();
		if (!VARIATION_KEY.test(key)) issue(`variation-${i}-key`, "1 to 64 letters, digits, _ . or -.");
		else if (keys.has(key)) issue(`variation-${i}-key`, `Another variation is already called ${key}.`);
		keys.add(key);
		const value = parseJsonText(v.value);
		if (value === undefined) issue(`variation-${i}-value`, 'Write JSON: true, 10, "blue" (text in quotes).');
		const weight = Number(v.weight);
		if (v.weight.trim() === "" || !Number.isFinite(weight) || weight < 0 || weight > 100) {
			issue(`variation-${i}-weight`, "A share from 0 to 100 (%).");
		} else total += weight;
		return { key, value: value ?? null, weight: weight / 100 };
	});
	if (draft.variations.length === 0) issue("variations", "A flag needs at least one value to serve.");
	else if (Math.abs(total - 100) > 0.1 && !issues.some((i) => i.field.endsWith("-weight"))) {
		issue("variations", `The shares add up to ${Math.round(total * 100) / 100}%; they must add up to 100%.`);
	}
	return { body, issues };
}

/**
 * The field of a server validation path of a flag request (`variations.0.value` → `flag-variation-0-value`).
 *
 * @example
 * flagFieldOfPath("coverage"); // "flag-coverage"
 */
export function flagFieldOfPath(path: string): string {
	const [head, index, part] = path.split(".");
	if (head === "variations") return index !== undefined && part ? `flag-variation-${index}-${part}` : "flag-variations";
	if (head === "key") return "new-flag-key";
	if (head && ["name", "description", "coverage", "condition", "defaultValue"].includes(head)) return `flag-${head}`;
	return "flag-form";
}

const FLAG_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/** A new flag (off, serving false, `on` = true for everyone once switched on) from its key, name and description. */
export function newFlagBody(input: { key: string; name: string; description: string }): {
	body: Record<string, unknown>;
	issues: FieldIssue[];
} {
	const key = input.key.trim();
	const issues: FieldIssue[] = FLAG_KEY.test(key)
		? []
		: [{ field: "new-flag-key", message: "Use 1 to 100 letters, digits, _ . or -, starting with a letter or digit." }];
	return {
		body: {
			key,
			...(input.name.trim() ? { name: input.name.trim() } : {}),
			...(input.description.trim() ? { description: input.description.trim() } : {}),
		},
		issues,
	};
}
