import { t } from "@rbxts/t";
import { MAX_NAME_LENGTH, MAX_PROPS } from "./protocol";

const isPropKey = (key: unknown): key is string => typeIs(key, "string") && key.size() > 0 && key.size() <= 128;
// JSON cannot carry NaN or infinities, and the backend would reject the whole event.
const isFiniteNumber = (value: unknown): value is number =>
	typeIs(value, "number") && value === value && value !== math.huge && value !== -math.huge;
const isPropValue = t.union(t.string, t.boolean, isFiniteNumber);
const isPropsShape = t.map(isPropKey, isPropValue);

/** Checks an event name; returns why it is unusable, or undefined. */
export function checkName(name: unknown): string | undefined {
	if (!typeIs(name, "string")) return `event name must be a string, got ${typeOf(name)}`;
	if (name.size() === 0 || name.size() > MAX_NAME_LENGTH) {
		return `event name must have 1 to ${MAX_NAME_LENGTH} characters`;
	}
	return undefined;
}

/** Checks event properties; returns why they are unusable, or undefined. */
export function checkProps(props: unknown): string | undefined {
	if (props === undefined) return undefined;
	if (!isPropsShape(props)) {
		return "props must be a table of string keys (1-128 characters) to strings, finite numbers or booleans";
	}
	let count = 0;
	for (const [_] of pairs(props as object)) count += 1;
	if (count > MAX_PROPS) return `props may have at most ${MAX_PROPS} keys, got ${count}`;
	return undefined;
}
