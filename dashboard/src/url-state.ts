// The dashboard's view state lives in the URL query, so every view is a link that can be shared, bookmarked and
// navigated with Back and Forward: `/?page=overview&game=1818&range=7d&breakdown=platform&filter=country:DE`.
import { addDays, isDate, type DateRange } from "./dates.js";

/** Range presets: the last N days ending today (the game's today). */
export const RANGE_PRESETS = ["7d", "14d", "30d", "90d"] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];
/** The metrics API's own default is the 30 days ending today. */
export const DEFAULT_RANGE: RangePreset = "30d";
export const DEFAULT_PAGE = "overview";

export interface ViewState {
	/** Page id (see pages/index.ts). */
	page: string;
	/** Game id; undefined until the games are loaded (then the first game). */
	game: string | undefined;
	/** A preset, or a custom range when `custom` is set. */
	range: RangePreset;
	custom: DateRange | undefined;
	/** One breakdown dimension (`platform`, `variant:exp`, …) or none. */
	breakdown: string | undefined;
	/** Segment filters `dimension:value`. */
	filters: string[];
}

const PAGE_ID = /^[a-z][a-z-]{0,31}$/;
const GAME_ID = /^[A-Za-z0-9_-]{1,64}$/;
const DIMENSION = /^[A-Za-z0-9_:.-]{1,80}$/;

/**
 * Reads the view from a query string; anything malformed falls back to its default rather than failing:
 * 1. `page` a page id, else overview;
 * 2. `from` and `to` both real dates in order → a custom range; else `range` a preset, else 30 days;
 * 3. `breakdown` a dimension name, `filter` (repeatable) `dimension:value`.
 */
export function parseViewState(search: string): ViewState {
	const query = new URLSearchParams(search);
	const page = query.get("page") ?? "";
	const game = query.get("game") ?? "";
	const from = query.get("from");
	const to = query.get("to");
	const range = query.get("range") ?? "";
	const breakdown = query.get("breakdown") ?? "";
	return {
		page: PAGE_ID.test(page) ? page : DEFAULT_PAGE,
		game: GAME_ID.test(game) ? game : undefined,
		range: (RANGE_PRESETS as readonly string[]).includes(range) ? (range as RangePreset) : DEFAULT_RANGE,
		custom: isDate(from) && isDate(to) && from <= to ? { from, to } : undefined,
		breakdown: DIMENSION.test(breakdown) ? breakdown : undefined,
		filters: query
			.getAll("filter")
			.filter((f) => f.length <= 200 && f.includes(":"))
			.slice(0, 10),
	};
}

/** The query string of a view (defaults left out, so links stay short), starting with `?` or empty. */
export function formatViewState(state: ViewState): string {
	const query = new URLSearchParams();
	if (state.page !== DEFAULT_PAGE) query.set("page", state.page);
	if (state.game) query.set("game", state.game);
	if (state.custom) {
		query.set("from", state.custom.from);
		query.set("to", state.custom.to);
	} else if (state.range !== DEFAULT_RANGE) query.set("range", state.range);
	if (state.breakdown) query.set("breakdown", state.breakdown);
	for (const filter of state.filters) query.append("filter", filter);
	const text = query.toString();
	return text ? `?${text}` : "";
}

/** The dates a view covers, given the game's today. */
export function resolveRange(state: Pick<ViewState, "range" | "custom">, today: string): DateRange {
	if (state.custom) return state.custom;
	const days = Number.parseInt(state.range, 10);
	return { from: addDays(today, -(days - 1)), to: today };
}
