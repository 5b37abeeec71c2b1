// Form pieces the experiment and flag forms share: a field's problem said next to it (and tied to the input for
// screen readers), and the targeting editor (rule builder, or JSON for conditions it cannot show).
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import {
	KNOWN_ATTRIBUTES,
	RULE_OPS,
	conditionToRules,
	rulesToCondition,
	type FieldIssue,
	type Rule,
	type RuleOp,
} from "./experiments-form-data.js";
import { EVENT_TYPE_NAMES, type Condition } from "./experiments-types.js";

/** The message of a field, or undefined. */
export function issueOf(issues: readonly FieldIssue[], field: string): string | undefined {
	const found = issues.filter((i) => i.field === field).map((i) => i.message);
	return found.length > 0 ? found.join(" ") : undefined;
}

/** Attributes an input with a possible problem needs: aria-invalid and the message as its description. */
export function invalidProps(id: string, message: string | undefined, hintId?: string) {
	const describedBy = [message ? `${id}-error` : undefined, hintId].filter(Boolean).join(" ");
	return {
		id,
		"aria-invalid": message ? ("true" as const) : undefined,
		"aria-describedby": describedBy || undefined,
	};
}

/** The problem of field `id`, right under it. */
export function FieldMessage(props: { id: string; message: string | undefined }) {
	if (!props.message) return null;
	return (
		<p id={`${props.id}-error`} class="field-error">
			{props.message}
		</p>
	);
}

/** A labelled input (or any control) with its hint and its problem. */
export function Field(props: {
	id: string;
	label: string;
	message?: string | undefined;
	hint?: ComponentChildren;
	class?: string;
	children: ComponentChildren;
}) {
	return (
		<div class={`form-field ${props.class ?? ""}`}>
			<label for={props.id}>{props.label}</label>
			{props.children}
			{props.hint ? (
				<p id={`${props.id}-hint`} class="hint">
					{props.hint}
				</p>
			) : null}
			<FieldMessage id={props.id} message={props.message} />
		</div>
	);
}

/**
 * A labelled text input with its hint and its problem: {@link Field} around an input that names them for assistive
 * technology.
 *
 * @example
 * <InputField id="coverage" label="Coverage (%)" message={msg("coverage")} hint="Share of the matching players."
 *   inputMode="decimal" value={draft.coverage} onValue={(text) => set({ coverage: text })} />
 */
export function InputField(props: {
	id: string;
	label: string;
	message?: string | undefined;
	hint?: ComponentChildren;
	class?: string;
	value: string;
	onValue: (text: string) => void;
	type?: "text" | "datetime-local";
	inputMode?: "decimal" | "numeric" | "text";
	placeholder?: string;
	spellcheck?: boolean;
}) {
	const { id, message, hint } = props;
	return (
		<Field id={id} label={props.label} class={props.class} message={message} hint={hint}>
			<input
				{...invalidProps(id, message, hint ? `${id}-hint` : undefined)}
				type={props.type}
				inputMode={props.inputMode}
				placeholder={props.placeholder}
				spellcheck={props.spellcheck}
				value={props.value}
				onInput={(e) => props.onValue(e.currentTarget.value)}
			/>
		</Field>
	);
}

/** A labelled choice of event type (or any), with its problem. */
export function EventTypeField(props: {
	id: string;
	value: string;
	onValue: (value: string) => void;
	message?: string;
}) {
	return (
		<Field id={props.id} label="Event type" message={props.message}>
			<select
				{...invalidProps(props.id, props.message)}
				value={props.value}
				onChange={(e) => props.onValue(e.currentTarget.value)}
			>
				<option value="">Any</option>
				{EVENT_TYPE_NAMES.map((t) => (
					<option key={t} value={t}>
						{t}
					</option>
				))}
			</select>
		</Field>
	);
}

export interface TargetingValue {
	mode: "rules" | "json";
	rules: Rule[];
	json: string;
}

/**
 * Who takes part: rows of `attribute operator value`, all of which must hold, or the condition as JSON (GrowthBook's
 * language: $and, $or, $not …) for what rows cannot say.
 */
export function TargetingEditor(props: {
	/** Prefix of the inputs' ids, unique on the page. */
	idPrefix: string;
	value: TargetingValue;
	onChange: (next: TargetingValue) => void;
	issues: readonly FieldIssue[];
	disabled?: boolean;
}) {
	const { value, onChange, idPrefix: p } = props;
	const [note, setNote] = useState<string | null>(null);
	const setRule = (i: number, change: Partial<Rule>) =>
		onChange({ ...value, rules: value.rules.map((r, j) => (j === i ? { ...r, ...change } : r)) });
	const conditionError = issueOf(props.issues, "condition");

	const toJson = () => {
		const { condition } = rulesToCondition(value.rules);
		onChange({ mode: "json", rules: value.rules, json: condition ? JSON.stringify(condition, null, 2) : "" });
		setNote(null);
	};
	const toRules = () => {
		let condition: Condition | null = null;
		try {
			condition = value.json.trim() ? (JSON.parse(value.json) as Condition) : null;
		} catch {
			setNote("Fix the JSON first: it does not parse.");
			return;
		}
		const rules = conditionToRules(condition);
		if (!rules) {
			setNote("This condition uses $and, $or or $not, which rules cannot show: it stays JSON.");
			return;
		}
		onChange({ mode: "rules", rules, json: value.json });
		setNote(null);
	};

	return (
		<fieldset class="targeting" disabled={props.disabled}>
			<legend>Targeting</legend>
			{value.mode === "rules" ? (
				<>
					<p class="hint" id={`${p}targeting-hint`}>
						{value.rules.length === 0
							? "Everyone takes part. Add a rule to limit who does; every rule must hold."
							: 'Every rule must hold. Numbers and true/false compare as such; put text in quotes ("42") to compare it as text; separate list values with commas.'}
					</p>
					<ul class="rules">
						{value.rules.map((rule, i) => {
							const attributeId = `${p}rule-${i}-attribute`;
							const valueId = `${p}rule-${i}-value`;
							const attributeIssue = issueOf(props.issues, `rule-${i}-attribute`);
							const valueIssue = issueOf(props.issues, `rule-${i}-value`);
							const needsValue = rule.op !== "exists" && rule.op !== "missing";
							return (
								<li key={i} class="rule">
									<div class="form-field">
										<label for={attributeId}>Attribute</label>
										<input
											{...invalidProps(attributeId, attributeIssue)}
											list={`${p}attributes`}
											value={rule.attribute}
											placeholder="country"
											onInput={(e) => setRule(i, { attribute: e.currentTarget.value })}
										/>
										<FieldMessage id={attributeId} message={attributeIssue} />
									</div>
									<div class="form-field">
										<label for={`${p}rule-${i}-op`}>Test</label>
										<select
											id={`${p}rule-${i}-op`}
											value={rule.op}
											onChange={(e) => setRule(i, { op: e.currentTarget.value as RuleOp })}
										>
											{RULE_OPS.map((o) => (
												<option key={o.op} value={o.op}>
													{o.label}
												</option>
											))}
										</select>
									</div>
									{needsValue ? (
										<div class="form-field">
											<label for={valueId}>Value</label>
											<input
												{...invalidProps(valueId, valueIssue)}
												value={rule.value}
												placeholder={rule.op === "in" || rule.op === "nin" ? "US, CA" : "US"}
												onInput={(e) => setRule(i, { value: e.currentTarget.value })}
											/>
											<FieldMessage id={valueId} message={valueIssue} />
										</div>
									) : null}
									<button
										type="button"
										class="quiet"
										aria-label={`Remove rule ${i + 1}`}
										onClick={() => onChange({ ...value, rules: value.rules.filter((_, j) => j !== i) })}
									>
										Remove
									</button>
								</li>
							);
						})}
					</ul>
					<datalist id={`${p}attributes`}>
						{KNOWN_ATTRIBUTES.map((a) => (
							<option key={a} value={a} />
						))}
					</datalist>
					<div class="row-buttons">
						<button
							type="button"
							onClick={() => onChange({ ...value, rules: [...value.rules, { attribute: "", op: "eq", value: "" }] })}
						>
							Add a rule
						</button>
						<button type="button" class="quiet" onClick={toJson}>
							Edit as JSON
						</button>
					</div>
				</>
			) : (
				<>
					<Field
						id={`${p}condition`}
						label="Condition (JSON)"
						message={conditionError}
						hint={
							<>
								Attribute tests (<code>{'{"country": {"$in": ["US", "CA"]}}'}</code>) with <code>$and</code>,{" "}
								<code>$or</code> and <code>$not</code>; empty for everyone.
							</>
						}
					>
						<textarea
							{...invalidProps(`${p}condition`, conditionError, `${p}condition-hint`)}
							rows={5}
							value={value.json}
							onInput={(e) => onChange({ ...value, json: e.currentTarget.value })}
						/>
					</Field>
					<div class="row-buttons">
						<button type="button" class="quiet" onClick={toRules}>
							Edit as rules
						</button>
					</div>
				</>
			)}
			{note ? (
				<p class="hint" role="status">
					{note}
				</p>
			) : null}
			{value.mode === "rules" && conditionError ? <FieldMessage id={`${p}condition`} message={conditionError} /> : null}
		</fieldset>
	);
}
