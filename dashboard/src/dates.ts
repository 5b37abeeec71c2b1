// Local days as the metrics API speaks them: `YYYY-MM-DD` in the game's time zone. Arithmetic goes through UTC
// midnights, where every day has 24 hours, so it never trips over daylight saving.

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `text` is a real calendar date `YYYY-MM-DD`. */
export function isDate(text: string | null | undefined): text is string {
	if (!text) return false;
	const match = DATE.exec(text);
	if (!match) return false;
	const time = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
	return new Date(time).toISOString().slice(0, 10) === text;
}

/** Days since the Unix epoch of a `YYYY-MM-DD` date. */
export function dateToDay(date: string): number {
	return Math.round(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}

export function dayToDate(day: number): string {
	return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** `date` moved by `days` (negative: back). */
export function addDays(date: string, days: number): string {
	return dayToDate(dateToDay(date) + days);
}

/** Days in an inclusive range. */
export function rangeLength(range: DateRange): number {
	return dateToDay(range.to) - dateToDay(range.from) + 1;
}

// A type, not an interface: it passes as query parameters (an index-signature record) as it is.
export type DateRange = {
	/** First day, inclusive. */
	from: string;
	/** Last day, inclusive. */
	to: string;
};

/** The equally long range just before `range` (what the overview compares with). */
export function previousRange(range: DateRange): DateRange {
	const length = rangeLength(range);
	return { from: addDays(range.from, -length), to: addDays(range.from, -1) };
}

/** Today's date in an IANA time zone (the game's, so "last 7 days" means the game's days). */
export function todayIn(timeZone: string, now: Date = new Date()): string {
	try {
		const parts = new Intl.DateTimeFormat("en-US", {
			timeZone,
			year: "numeric",
			month: "2-digit",
			day: "2-digit",
		}).formatToParts(now);
		const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
		return `${part("year")}-${part("month")}-${part("day")}`;
	} catch {
		// An unknown zone (should not happen: the server validates it) falls back to UTC.
		return now.toISOString().slice(0, 10);
	}
}

/** Unix seconds of a date's UTC midnight: the x values of daily charts (uPlot's time scale counts seconds). */
export function dateToSeconds(date: string): number {
	return dateToDay(date) * 86_400;
}
