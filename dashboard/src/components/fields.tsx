// A labelled text input of the settings forms: one place for the label/input pairing, the value binding and the
// read-only "select all on focus" of values the user copies (a setup link, a key).
import type { JSX } from "preact";

export interface TextFieldProps {
	id: string;
	label: string;
	value: string;
	/** Called with the new text on each input; without it the field is read-only and selects its text on focus. */
	onValue?: (value: string) => void;
	type?: "text" | "password";
	autocomplete?: string;
	inputmode?: JSX.HTMLAttributes<HTMLInputElement>["inputMode"];
	required?: boolean;
	minLength?: number;
	maxLength?: number;
	/** Monospace (keys, links). */
	mono?: boolean;
	/** Spans the form's width. */
	wide?: boolean;
}

/**
 * @example
 * <TextField id="password-current" label="Current password" type="password" autocomplete="current-password"
 *   required value={current} onValue={setCurrent} />
 */
export function TextField(props: TextFieldProps) {
	const { onValue } = props;
	return (
		<div class={props.wide ? "field field-wide" : "field"}>
			<label for={props.id}>{props.label}</label>
			<input
				id={props.id}
				class={props.mono ? "mono" : undefined}
				type={props.type ?? "text"}
				autocomplete={props.autocomplete}
				inputMode={props.inputmode}
				required={props.required}
				minLength={props.minLength}
				maxLength={props.maxLength}
				value={props.value}
				readOnly={onValue === undefined}
				onInput={onValue ? (e) => onValue(e.currentTarget.value) : undefined}
				onFocus={onValue ? undefined : (e) => e.currentTarget.select()}
			/>
		</div>
	);
}
