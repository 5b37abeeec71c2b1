// The Players page's data: one player's timeline (sessions with their events, first and last seen, country and
// platform, purchases, experiment variants) shaped from the events API's pages. Pure functions, tested on their own.
import type { ApiEvent, PropValue } from "./live-data.js";

/** Events per request: the events API's largest page. */
export const PAGE_SIZE = 1000;
/** Pages read at most for one lookup (20,000 events), so a bot-like account cannot make the page read forever. */
export const MAX_PAGES = 20;

export const WINDOWS = [
	{ value: "7", label: "Last 7 days" },
	{ value: "30", label: "Last 30 days" },
	{ value: "90", label: "Last 90 days" },
	{ value: "all", label: "All time" },
] as const;
export type LookupWindow = (typeof WINDOWS)[number]["value"];
export const DEFAULT_WINDOW: LookupWindow = "30";

const DAY_MS = 86_400_000;

/** A user id typed into the search box: digits of a Roblox UserId, or why not. */
export function parseUserId(text: string): { userId: number } | { error: string } {
	const trimmed = text.trim();
	if (trimmed === "") return { error: "Enter a Roblox user id (the digits in the player's profile URL)." };
	if (!/^\d{1,16}$/.test(trimmed)) return { error: "A Roblox user id is digits only, such as 1818." };
	const userId = Number(trimmed);
	if (!Number.isSafeInteger(userId)) return { error: "That number is too large to be a Roblox user id." };
	if (userId === 0) return { error: "0 stands for the game server's own events, not a player." };
	return { userId };
}

/** Whether `value` is one of {@link WINDOWS}. */
export function isLookupWindow(value: string): value is LookupWindow {
	return WINDOWS.some((w) => w.value === value);
}

/**
 * One page of a player's events from the events API: their events of the window, in id (≈ time) order.
 *
 * @example
 * playerEventsUrl("1818", 42, "30", Date.now()); // "/v1/games/1818/events?userId=42&limit=1000&from=…"
 */
export function playerEventsUrl(
	game: string,
	userId: number,
	window: LookupWindow,
	nowMs: number,
	after?: string,
): string {
	const query = new URLSearchParams({ userId: String(userId), limit: String(PAGE_SIZE) });
	if (window !== "all") query.set("from", String(nowMs - Number(window) * DAY_MS));
	if (after) query.set("after", after);
	return `/v1/games/${encodeURIComponent(game)}/events?${query.toString()}`;
}

export interface PlayerSession {
	/** The SDK's session id; "" gathers events sent outside any session. */
	id: string;
	/** Time of its first and last event (unix ms). */
	start: number;
	end: number;
	/** Length in seconds: `duration` of its session_end when sent, else first to last event; null while unknown. */
	seconds: number | null;
	/** Whether its session_end arrived. */
	ended: boolean;
	platform: string | undefined;
	/** Its events in time order. */
	events: ApiEvent[];
}

export interface PlayerPurchase {
	id: string;
	time: number;
	name: string;
	productId: string | undefined;
	robux: number | null;
}

export interface PlayerVariant {
	/** The experiment's key (the exposure's name). */
	experiment: string;
	/** Variations the player was shown, first first (more than one means the assignment changed). */
	variations: string[];
	firstExposed: number;
}

export interface PlayerTimeline {
	userId: number;
	eventCount: number;
	firstSeen: number | null;
	lastSeen: number | null;
	/** From the player's latest session that said (session_start and session_end carry the profile). */
	country: string | undefined;
	platform: string | undefined;
	locale: string | undefined;
	premium: boolean | undefined;
	/** Newest first. */
	sessions: PlayerSession[];
	/** Oldest first. */
	purchases: PlayerPurchase[];
	robuxSpent: number;
	/** By experiment key. */
	variants: PlayerVariant[];
}

function text(value: PropValue | undefined): string | undefined {
	return value === undefined || value === null || value === "" ? undefined : String(value);
}

const byTime = (a: ApiEvent, b: ApiEvent) => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * A player's timeline from their events (any order):
 * 1. events sorted by time, then id;
 * 2. grouped by session id; a session's length is its session_end's `duration` when sent, else its span;
 * 3. the profile (country, platform = the `device` prop, locale, premium) from the latest session event carrying it;
 * 4. purchases (type purchase; `robux` spent) and experiment variants (type exposure: name = key, prop `variation`).
 */
export function buildTimeline(userId: number, events: readonly ApiEvent[]): PlayerTimeline {
	const sorted = [...events].sort(byTime);
	const sessions = new Map<string, PlayerSession>();
	const purchases: PlayerPurchase[] = [];
	const variants = new Map<string, PlayerVariant>();
	const profile: Pick<PlayerTimeline, "country" | "platform" | "locale" | "premium"> = {
		country: undefined,
		platform: undefined,
		locale: undefined,
		premium: undefined,
	};
	for (const event of sorted) {
		let session = sessions.get(event.sessionId);
		if (!session) {
			session = {
				id: event.sessionId,
				start: event.time,
				end: event.time,
				seconds: null,
				ended: false,
				platform: undefined,
				events: [],
			};
			sessions.set(event.sessionId, session);
		}
		session.events.push(event);
		session.end = event.time;
		const props = event.props;
		if (event.type === "session_start" || event.type === "session_end") {
			// Later events overwrite: the newest profile wins.
			profile.country = text(props.country) ?? profile.country;
			profile.platform = text(props.device) ?? profile.platform;
			profile.locale = text(props.locale) ?? profile.locale;
			if (typeof props.premium === "boolean") profile.premium = props.premium;
			session.platform = text(props.device) ?? session.platform;
		}
		if (event.type === "session_end") {
			session.ended = true;
			if (typeof props.duration === "number") session.seconds = props.duration;
		}
		if (event.type === "purchase") {
			purchases.push({
				id: event.id,
				time: event.time,
				name: event.name,
				productId: text(props.productId),
				robux: typeof props.robux === "number" ? props.robux : null,
			});
		}
		if (event.type === "exposure") {
			const variation = text(props.variation) ?? "?";
			const known = variants.get(event.name);
			if (!known)
				variants.set(event.name, { experiment: event.name, variations: [variation], firstExposed: event.time });
			else if (!known.variations.includes(variation)) known.variations.push(variation);
		}
	}
	for (const session of sessions.values()) {
		if (session.seconds === null && session.events.length > 1) session.seconds = (session.end - session.start) / 1000;
	}
	return {
		userId,
		eventCount: sorted.length,
		firstSeen: sorted[0]?.time ?? null,
		lastSeen: sorted[sorted.length - 1]?.time ?? null,
		...profile,
		sessions: [...sessions.values()].sort((a, b) => b.start - a.start),
		purchases,
		robuxSpent: purchases.reduce((sum, p) => sum + (p.robux ?? 0), 0),
		variants: [...variants.values()].sort((a, b) => (a.experiment < b.experiment ? -1 : 1)),
	};
}

const when = new Intl.DateTimeFormat("en-US", {
	year: "numeric",
	month: "short",
	day: "numeric",
	hour: "2-digit",
	minute: "2-digit",
	hour12: false,
});

/** A moment for text, on the viewer's clock: `Jan 5, 2025, 14:03`. */
export function formatWhen(ms: number, format: Intl.DateTimeFormat = when): string {
	return format.format(new Date(ms));
}
