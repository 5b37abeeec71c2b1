// A page's own options (a funnel's steps, retention's day set, …) kept in the URL beside the shell's view state, so a
// link shares them too. The shell rebuilds the URL from its own state on every navigation and drops what it does not
// know, so the hook writes its parameters back after each render; Back and Forward bring earlier values back.
import { useEffect, useState } from "preact/hooks";

/** A parameter's value: one text, or a list (a repeated query parameter). */
export type ParamValue = string | readonly string[];

/** The shell's own query parameters (url-state.ts): a page never uses these names. */
const SHELL_PARAMS = new Set(["page", "game", "range", "from", "to", "breakdown", "filter"]);

function same(a: ParamValue, b: ParamValue): boolean {
	if (typeof a === "string" || typeof b === "string") return a === b;
	return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Reads the parameters from a query string; a missing one takes its default. */
export function readParams<T extends Record<string, ParamValue>>(search: string, defaults: T): T {
	const query = new URLSearchParams(search);
	const out: Record<string, ParamValue> = {};
	for (const [name, fallback] of Object.entries(defaults)) {
		if (typeof fallback === "string") out[name] = query.get(name) ?? fallback;
		else out[name] = query.has(name) ? query.getAll(name).filter((v) => v !== "") : fallback;
	}
	return out as T;
}

/**
 * The query string with the parameters written in (those at their default left out, so links stay short), starting
 * with `?` or empty. Other parameters are kept as they are.
 */
export function writeParams<T extends Record<string, ParamValue>>(search: string, values: T, defaults: T): string {
	const query = new URLSearchParams(search);
	for (const [name, value] of Object.entries(values)) {
		if (SHELL_PARAMS.has(name)) throw new Error(`"${name}" is the shell's parameter`);
		query.delete(name);
		if (same(value, defaults[name]!)) continue;
		// An empty list that is not the default is written as one empty value, so it reads back as empty.
		if (typeof value === "string") query.set(name, value);
		else if (value.length === 0) query.set(name, "");
		else for (const v of value) query.append(name, v);
	}
	const text = query.toString();
	return text ? `?${text}` : "";
}

/**
 * The page's options and a setter: a change is a new history entry, like the shell's pickers.
 *
 * @example
 * const [params, setParams] = usePageParams({ mode: "classic", days: "0,1,3,7,14,30" });
 * setParams({ mode: "rolling" });
 */
export function usePageParams<T extends Record<string, ParamValue>>(defaults: T): [T, (changes: Partial<T>) => void] {
	const [values, setValues] = useState<T>(() => readParams(location.search, defaults));
	useEffect(() => {
		const onPop = () => setValues(readParams(location.search, defaults));
		addEventListener("popstate", onPop);
		return () => removeEventListener("popstate", onPop);
		// The defaults are constants of the page.
	}, []);
	// After every render: the shell may have just rewritten the URL without them.
	useEffect(() => {
		const search = writeParams(location.search, values, defaults);
		if (search !== location.search) history.replaceState(history.state, "", `${location.pathname}${search}`);
	});
	const set = (changes: Partial<T>) => {
		const next = { ...values, ...changes };
		history.pushState(history.state, "", `${location.pathname}${writeParams(location.search, next, defaults)}`);
		setValues(next);
	};
	return [values, set];
}
