// How numbers read on the dashboard. One place, so a KPI card, an axis and a tooltip agree.
import type { KpiUnit } from "./api-types.js";

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
const twoDecimals = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const upToTwoDecimals = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 1 });
const dayLabel = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
const longDay = new Intl.DateTimeFormat("en-US", { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });

/** A duration in seconds as `42 s`, `4 min 12 s` or `1 h 5 min`. */
export function formatDuration(seconds: number): string {
	const s = Math.round(seconds);
	if (s < 60) return `${s} s`;
	if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
	return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/** A value in its unit; null (nothing to divide by, no data) reads as an em dash. */
export function formatValue(value: number | null | undefined, unit: KpiUnit): string {
	if (value === null || value === undefined || !Number.isFinite(value)) return "—";
	switch (unit) {
		case "robux":
			return `R$ ${Math.abs(value) >= 100 ? integer.format(value) : twoDecimals.format(value)}`;
		case "seconds":
			return formatDuration(value);
		case "ratio":
			return percent.format(value);
		case "players":
		case "count":
			// Averages below one (concurrent players of a small game) keep two decimals rather than read as 0.
			if (Math.abs(value) < 1) return upToTwoDecimals.format(value);
			return Math.abs(value) >= 100 ? integer.format(value) : oneDecimal.format(value);
	}
}

/** A short number for axes: 950, 1.2K, 3.4M. */
export function formatCompact(value: number): string {
	return compact.format(value);
}

/** A relative change as `+12.3%` / `−4%` (a real minus sign); null as an em dash. */
export function formatChange(change: number | null | undefined): string {
	if (change === null || change === undefined || !Number.isFinite(change)) return "—";
	if (change === 0) return "0%";
	const text = percent.format(Math.abs(change));
	return change > 0 ? `+${text}` : `−${text}`;
}

/** An axis label of a daily chart: `Jan 5` (x values are UTC midnights in seconds). */
export function formatDayTick(seconds: number): string {
	return dayLabel.format(new Date(seconds * 1000));
}

/** A date for text: `Jan 5, 2025`. */
export function formatDate(date: string): string {
	return longDay.format(new Date(`${date}T00:00:00Z`));
}
