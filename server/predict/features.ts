// Per-player features for the predictive models, computed from raw event rows as of a cut-off time. Pure functions
// over plain rows, so the SQLite store, ClickHouse or a simulator can feed them the same way.
//
// What the caller must filter before calling (this module cannot know, and must not guess):
// - consent: only players whose latest consent allows the category the model serves (analytics for churn/LTV,
//   personalization for recommendations), and only their events sent while consent held;
// - erasure: no events of erased players (an erased player's rows are gone from the store, but a cached or
//   exported copy must not be fed here);
// - the game: one game's events per call (user ids are only unique within a game).
// Events at or after the cut-off are ignored here, so a caller may pass a longer history without leaking the future.
// Spend, purchases and cohort age are lifetime facts: pass each player's whole history before the cut-off, or expect
// them to cover only what was passed (a caller reading only the look-back window should take the first-seen time
// from the warehouse's wh_players.first_time and lifetime spend from wh_user_days instead).

/** The columns of an event the features read: a subset of `StoredEvent`, so stored rows pass as they are. */
export interface FeatureEvent {
	userId: number;
	sessionId: string;
	type: string;
	name: string;
	/** Unix ms (the event's corrected time). */
	time: number;
	props: Readonly<Record<string, string | number | boolean | null>>;
}

/** Device classes the SDK reports in `session_start` props.device; anything else counts as "unknown". */
export const PLATFORMS = ["desktop", "phone", "tablet", "console", "vr"] as const;
export type Platform = (typeof PLATFORMS)[number] | "unknown";

/** One player's behaviour up to the cut-off. Times are in days and minutes so coefficients read naturally. */
export interface PlayerFeatures {
	userId: number;
	/** Days from the last event before the cut-off to the cut-off (recency). */
	daysSinceLast: number;
	/** Days from the first event ever seen to the cut-off (cohort age). */
	cohortAgeDays: number;
	/** Distinct UTC days with an event within the look-back window (frequency). */
	activeDays: number;
	/** Events within the look-back window. */
	events: number;
	/** Sessions started within the look-back window. */
	sessions: number;
	/** Mean session length (minutes) within the look-back window, from `session_end` props.duration; 0 if none. */
	meanSessionMinutes: number;
	/**
	 * Session-length trend: mean minutes of the last 3 sessions minus the mean of the sessions before them in the
	 * window; 0 with fewer than 4 sessions (too few to tell a trend from noise).
	 */
	sessionTrendMinutes: number;
	/** Progression `complete` events within the look-back window. */
	completions: number;
	/** Robux spent (purchase props.robux) over the player's whole history before the cut-off. */
	spendRobux: number;
	/** Purchases over the player's whole history before the cut-off. */
	purchases: number;
	/** The device of the player's latest `session_start` before the cut-off. */
	platform: Platform;
}

export interface FeatureOptions {
	/** Days before the cut-off that frequency, sessions and progression count. @default 28 */
	lookbackDays?: number;
}

const DAY_MS = 86_400_000;
const TREND_RECENT = 3;

/**
 * Groups events by player (skipping userId 0, a game server's own events). Order within a player is kept.
 *
 * @example
 * groupByPlayer([{ userId: 7, sessionId: "s", type: "custom", name: "x", time: 1, props: {} }]).get(7)?.length; // 1
 */
export function groupByPlayer<E extends FeatureEvent>(events: Iterable<E>): Map<number, E[]> {
	const players = new Map<number, E[]>();
	for (const e of events) {
		if (e.userId === 0) continue;
		const list = players.get(e.userId);
		if (list) list.push(e);
		else players.set(e.userId, [e]);
	}
	return players;
}

/**
 * One player's features as of `cutoff` (unix ms, exclusive) from that player's events, in any order; undefined when
 * the player has no event before the cut-off (nothing to predict from).
 *
 * @example
 * const day = 86_400_000;
 * playerFeatures(7, [
 * 	{ userId: 7, sessionId: "a", type: "session_start", name: "player", time: 0, props: { device: "phone" } },
 * 	{ userId: 7, sessionId: "a", type: "session_end", name: "player", time: 600_000, props: { duration: 600 } },
 * ], 2 * day)?.meanSessionMinutes; // 10
 */
export function playerFeatures(
	userId: number,
	events: readonly FeatureEvent[],
	cutoff: number,
	options: FeatureOptions = {},
): PlayerFeatures | undefined {
	const windowStart = cutoff - (options.lookbackDays ?? 28) * DAY_MS;
	let first = Infinity;
	let last = -Infinity;
	let count = 0;
	let completions = 0;
	let spendRobux = 0;
	let purchases = 0;
	let platformTime = -Infinity;
	let platform: Platform = "unknown";
	const days = new Set<number>();
	const sessionIds = new Set<string>();
	// Durations keyed by time so the trend uses session order even when rows arrive unordered.
	const durations: { time: number; minutes: number }[] = [];
	for (const e of events) {
		// 1. The future is invisible: anything at or after the cut-off would leak the label.
		if (e.time >= cutoff) continue;
		if (e.time < first) first = e.time;
		if (e.time > last) last = e.time;
		// 2. Lifetime facts: spend and the latest device.
		if (e.type === "purchase") {
			purchases += 1;
			const robux = e.props.robux;
			if (typeof robux === "number" && Number.isFinite(robux) && robux > 0) spendRobux += robux;
		} else if (e.type === "session_start" && e.time > platformTime) {
			platformTime = e.time;
			const device = e.props.device;
			platform = (PLATFORMS as readonly unknown[]).includes(device) ? (device as Platform) : "unknown";
		}
		// 3. Window facts: frequency, sessions, progression.
		if (e.time < windowStart) continue;
		count += 1;
		days.add(Math.floor(e.time / DAY_MS));
		if (e.type === "session_start" && e.sessionId !== "") sessionIds.add(e.sessionId);
		else if (e.type === "session_end") {
			const duration = e.props.duration;
			if (typeof duration === "number" && Number.isFinite(duration) && duration >= 0) {
				durations.push({ time: e.time, minutes: duration / 60 });
			}
		} else if (e.type === "progression" && e.props.status === "complete") completions += 1;
	}
	if (first === Infinity) return undefined;
	durations.sort((a, b) => a.time - b.time);
	return {
		userId,
		daysSinceLast: (cutoff - last) / DAY_MS,
		cohortAgeDays: (cutoff - first) / DAY_MS,
		activeDays: days.size,
		events: count,
		sessions: sessionIds.size,
		meanSessionMinutes: mean(durations.map((d) => d.minutes)),
		sessionTrendMinutes: sessionTrend(durations.map((d) => d.minutes)),
		completions,
		spendRobux,
		purchases,
		platform,
	};
}

/**
 * Features of every player with an event before `cutoff`, from one game's events in any order.
 *
 * @example
 * allPlayerFeatures(events, Date.UTC(2026, 1, 1)); // [{ userId, daysSinceLast, … }, …] in first-seen order
 */
export function allPlayerFeatures(
	events: Iterable<FeatureEvent>,
	cutoff: number,
	options: FeatureOptions = {},
): PlayerFeatures[] {
	const out: PlayerFeatures[] = [];
	for (const [userId, list] of groupByPlayer(events)) {
		const features = playerFeatures(userId, list, cutoff, options);
		if (features) out.push(features);
	}
	return out;
}

/**
 * Names of the model inputs, in the order of {@link featureVector}. Counts and amounts enter as log1p: their
 * effect on churn is closer to multiplicative (the 1st session matters more than the 41st), and the log keeps one
 * whale from dominating the standardization.
 */
export const FEATURE_NAMES = [
	"log_days_since_last",
	"log_cohort_age_days",
	"log_active_days",
	"log_events",
	"log_sessions",
	"log_mean_session_minutes",
	"session_trend_minutes",
	"log_completions",
	"log_spend_robux",
	"payer",
	...PLATFORMS.map((p) => `platform_${p}`),
] as const;

/**
 * The numeric model input of one player's features (see {@link FEATURE_NAMES}); platform is one-hot with
 * "unknown" as the reference level.
 *
 * @example
 * featureVector(features).length === FEATURE_NAMES.length; // true
 */
export function featureVector(f: PlayerFeatures): number[] {
	return [
		Math.log1p(f.daysSinceLast),
		Math.log1p(f.cohortAgeDays),
		Math.log1p(f.activeDays),
		Math.log1p(f.events),
		Math.log1p(f.sessions),
		Math.log1p(f.meanSessionMinutes),
		f.sessionTrendMinutes,
		Math.log1p(f.completions),
		Math.log1p(f.spendRobux),
		f.purchases > 0 ? 1 : 0,
		...PLATFORMS.map((p) => (f.platform === p ? 1 : 0)),
	];
}

function mean(values: readonly number[]): number {
	if (values.length === 0) return 0;
	let sum = 0;
	for (const v of values) sum += v;
	return sum / values.length;
}

function sessionTrend(minutes: readonly number[]): number {
	if (minutes.length <= TREND_RECENT) return 0;
	const split = minutes.length - TREND_RECENT;
	return mean(minutes.slice(split)) - mean(minutes.slice(0, split));
}
