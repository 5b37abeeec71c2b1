// Segments: how a metric is broken down (one dimension) and filtered (any number of dimension = value).
// A dimension is a property of the player (taken from their first session), their variation in an experiment, or
// whether the player is new on the day in question. The types are domain types (server/domain/metrics.ts).
import type { Dimension, SegmentFilter, SegmentSpec } from "../domain/metrics.js";

export type { Dimension, SegmentFilter, SegmentSpec } from "../domain/metrics.js";

/** Segment value of players without the attribute. */
export const NO_VALUE = "(none)";
/** Segment value of players never exposed to the experiment, and of those exposed to several variations. */
export const NOT_EXPOSED = "(not exposed)";
export const MULTIPLE_VARIATIONS = "(multiple)";

/** Short names for the attributes of the SDK's session profile. */
const ALIASES: Record<string, string> = {
	platform: "device",
	device: "device",
	country: "country",
	locale: "locale",
	premium: "premium",
};

const ATTR_NAME = /^[A-Za-z0-9_]{1,64}$/;
const EXPERIMENT_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * Parses a dimension name:
 * - `platform` (the device class: desktop, phone, tablet, console, vr), `country`, `locale`, `premium`;
 * - `new_vs_returning` (new on the day of their first event, returning after);
 * - `variant:<experimentKey>` (the variation of the player's first exposure);
 * - `attr:<name>` (any prop of the player's first `session_start`, e.g. `attr:serverType`).
 * Returns an error message for anything else.
 */
export function parseDimension(text: string): Dimension | string {
	if (text === "new_vs_returning") return { kind: "newVsReturning", label: text };
	const alias = ALIASES[text];
	if (alias !== undefined) return { kind: "attr", name: alias, label: text };
	if (text.startsWith("attr:")) {
		const name = text.slice(5);
		if (!ATTR_NAME.test(name)) return `attribute names are 1-64 of A-Z a-z 0-9 _ (got "${name}")`;
		return { kind: "attr", name, label: text };
	}
	if (text.startsWith("variant:")) {
		const experiment = text.slice(8);
		if (!EXPERIMENT_KEY.test(experiment)) return `"${experiment}" is not an experiment key`;
		return { kind: "variant", experiment, label: text };
	}
	return `unknown dimension "${text}": use platform, country, locale, premium, new_vs_returning, variant:<experiment> or attr:<name>`;
}

/** Parses `dimension:value` filters (the value may contain ":"; `variant:exp:1` filters experiment exp on "1"). */
export function parseFilter(text: string): SegmentFilter | string {
	const parts = text.split(":");
	const dimensionLength = parts[0] === "variant" || parts[0] === "attr" ? 2 : 1;
	if (parts.length <= dimensionLength) return `filter "${text}" must be dimension:value`;
	const dimension = parseDimension(parts.slice(0, dimensionLength).join(":"));
	if (typeof dimension === "string") return dimension;
	return { dimension, value: parts.slice(dimensionLength).join(":") };
}

/** Whether a spec needs player-level data (anything but the whole game). */
export function isSegmented(spec: SegmentSpec): boolean {
	return spec.breakdown !== undefined || spec.filters.length > 0;
}

/** The value of a dimension for one player (and day), from the same facts the warehouse keeps. */
export function segmentValue(
	dimension: Dimension,
	player: { attrs: Record<string, unknown> | null; firstDay: number; exposures?: ReadonlyMap<string, string[]> },
	day?: number,
): string {
	switch (dimension.kind) {
		case "newVsReturning":
			return day === player.firstDay ? "new" : "returning";
		case "attr": {
			const value = player.attrs?.[dimension.name];
			return value === undefined || value === null ? NO_VALUE : String(value);
		}
		case "variant": {
			const variations = player.exposures?.get(dimension.experiment);
			if (!variations || variations.length === 0) return NOT_EXPOSED;
			return variations.length > 1 ? MULTIPLE_VARIATIONS : variations[0]!;
		}
	}
}
