// Days and hours on a game's wall clock. A game's "yesterday" is a day of its own time zone, so a studio in Tokyo
// gets its digest for the Tokyo day, posted at the Tokyo hour it chose.

/** A moment on a time zone's wall clock: the day as YYYY-MM-DD and the hour, 0–23. */
export interface LocalClock {
	day: string;
	hour: number;
}

/** One formatter per zone: building one costs far more than formatting with it, and there are ~420 zones. */
const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * The wall clock of `at` (unix ms) in `timeZone`. Throws RangeError for a zone Intl does not know.
 *
 * @example
 * localClock(Date.UTC(2025, 0, 1, 23, 30), "Europe/Berlin"); // { day: "2025-01-02", hour: 0 }
 */
export function localClock(at: number, timeZone: string): LocalClock {
	let format = formatters.get(timeZone);
	if (!format) {
		format = new Intl.DateTimeFormat("en-US", {
			timeZone,
			year: "numeric",
			month: "2-digit",
			day: "2-digit",
			hour: "2-digit",
			hourCycle: "h23",
		});
		formatters.set(timeZone, format);
	}
	const parts: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
	for (const part of format.formatToParts(at)) parts[part.type] = part.value;
	return { day: `${parts.year}-${parts.month}-${parts.day}`, hour: Number(parts.hour) };
}

/**
 * The calendar day before `day` (YYYY-MM-DD). Calendar arithmetic, so DST changes never skip or repeat a day.
 *
 * @example
 * previousDay("2024-03-01"); // "2024-02-29"
 */
export function previousDay(day: string): string {
	const [year, month, date] = day.split("-").map(Number) as [number, number, number];
	return new Date(Date.UTC(year, month - 1, date - 1)).toISOString().slice(0, 10);
}

/**
 * The local day before the one `at` falls on in `timeZone`.
 *
 * @example
 * yesterdayIn(Date.UTC(2025, 0, 2, 3), "America/Los_Angeles"); // "2024-12-31" (it is still Jan 1 there)
 */
export function yesterdayIn(at: number, timeZone: string): string {
	return previousDay(localClock(at, timeZone).day);
}

export interface DigestDueInput {
	/** Unix ms. */
	now: number;
	timeZone: string;
	/** Local hour from which yesterday's digest is posted. */
	digestHour: number;
	/** The last day delivered or given up (YYYY-MM-DD), or null. */
	lastDay: string | null;
}

/**
 * The day whose digest is due now, or null.
 * 1. the local hour is before `digestHour` → null (yesterday's digest waits for its hour);
 * 2. yesterday (local) is `lastDay` or earlier → null (done; a time-zone change never reposts a day);
 * 3. otherwise yesterday. Days missed while the server was down are not caught up: only yesterday is ever posted.
 *
 * @example
 * dueDigestDay({ now: Date.UTC(2025, 0, 2, 9), timeZone: "UTC", digestHour: 9, lastDay: "2024-12-31" }); // "2025-01-01"
 */
export function dueDigestDay(input: DigestDueInput): string | null {
	const { day, hour } = localClock(input.now, input.timeZone);
	if (hour < input.digestHour) return null;
	const yesterday = previousDay(day);
	if (input.lastDay !== null && yesterday <= input.lastDay) return null;
	return yesterday;
}
