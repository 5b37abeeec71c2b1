// The daily digest as a Discord-compatible webhook message (Slack-style tools that accept Discord payloads read it
// too). Pure: the KPIs come in, the JSON goes out, every Discord limit is respected here so delivery never gets a
// 400 for size.

/** One KPI of a game for one local day, with the same KPI the day before. */
export interface DigestKpi {
	/** Stable id ("dau", "revenue"). */
	key: string;
	/** What people read ("Daily active players"). */
	label: string;
	/** Null: no data for the day. */
	value: number | null;
	/** The same KPI the day before; null: no data then. */
	previous: number | null;
	/** players/count: a number of things; robux: Robux; seconds: a duration; ratio: a fraction (0.25 = 25%). */
	unit: "players" | "robux" | "seconds" | "ratio" | "count";
}

/** Yesterday's KPIs of a game: `day` is a local day (YYYY-MM-DD) of the game's time zone. */
export type DigestKpiSource = (gameId: string, day: string) => Promise<DigestKpi[]>;

/**
 * The source used while no metrics engine supplies KPIs: none, so the digest says so instead of showing numbers.
 *
 * @example
 * startDigests({ store, logger, clock: Date.now, kpis: NO_DIGEST_KPIS });
 */
export const NO_DIGEST_KPIS: DigestKpiSource = async () => [];

/** A guardrail regression of a running experiment, as the digest lists it (experiments/alerts.ts makes them). */
export interface DigestAlert {
	experiment: string;
	/** The guardrail metric's name. */
	metric: string;
	variation: string;
	/** One line for people: what is harmed, by how much, with the always-valid p-value. */
	message: string;
}

/** A game's current guardrail regressions. */
export type DigestAlertSource = (gameId: string) => Promise<DigestAlert[]>;

/** No alerts source: the digest has no guardrail section. */
export const NO_DIGEST_ALERTS: DigestAlertSource = async () => [];

/** A KPI anomaly of the digest's day (server/predict: the KPI against its weekday-seasonal robust baseline). */
export interface DigestAnomaly {
	/** The KPI's label for people ("Daily active players"). */
	kpi: string;
	/** One line for people: the value, what was expected, which way. */
	message: string;
}

/** A game's KPI anomalies of one local day (YYYY-MM-DD). */
export type DigestAnomalySource = (gameId: string, day: string) => Promise<DigestAnomaly[]>;

/** Discord's documented limits of a webhook message (characters; Discord counts code points, `.length` is ≥ that). */
export const DISCORD_LIMITS = {
	content: 2000,
	title: 256,
	description: 4096,
	fields: 25,
	fieldName: 256,
	fieldValue: 1024,
	footer: 2048,
	/** title + description + field names and values + footer + author name, over all embeds. */
	embedTotal: 6000,
} as const;

export interface DiscordEmbedField {
	name: string;
	value: string;
	/** KPIs sit side by side; the guardrail section spans the embed. */
	inline: boolean;
}

export interface DiscordEmbed {
	title: string;
	description?: string;
	fields: DiscordEmbedField[];
	/** ISO 8601. */
	timestamp: string;
	/** 0xRRGGBB. */
	color: number;
	footer: { text: string };
}

export interface DiscordWebhookPayload {
	username: "Vantage";
	content: string;
	embeds: [DiscordEmbed];
	/** No @everyone, role or user pings, whatever a game name or KPI label contains. */
	allowed_mentions: { parse: [] };
}

export interface DigestInput {
	gameId: string;
	gameName: string;
	/** The local day the KPIs are of (YYYY-MM-DD). */
	day: string;
	timeZone: string;
	kpis: readonly DigestKpi[];
	/** When the digest is sent (unix ms): the embed's timestamp. */
	at: number;
	/** A test sent from the admin API: said in the title and the summary. */
	test?: boolean;
	/**
	 * Guardrail regressions of the game's running experiments: a section before the KPIs. Null: they could not be
	 * computed (in time); the section says so. @default [] (no section)
	 */
	alerts?: readonly DigestAlert[] | null;
	/** KPI anomalies of the day: a section before the KPIs. @default [] (no section) */
	anomalies?: readonly DigestAnomaly[];
}

/** Vantage indigo. */
export const DIGEST_COLOR = 0x4f46e5;
/** KPIs named in the one-line summary. */
const SUMMARY_KPIS = 3;
/** Room kept in the embed's total for the "N more KPIs not shown" note. */
const NOTE_RESERVE = 64;

/**
 * The digest message of one game and day.
 * 1. the summary (`content`): the game, the day and the first three KPIs with their change, on one line, then the
 *    number of guardrail regressions if any;
 * 2. with guardrail regressions: a first, full-width field listing them, one line each (as many as fit in a field);
 * 3. one inline field per KPI (value, then change vs the day before), in the source's order, while Discord's field
 *    count and embed total allow; the description says how many did not fit;
 * 4. every text is cut to its limit (ending in "…").
 *
 * @example
 * buildDigestPayload({ gameId: "123", gameName: "Obby", day: "2025-01-01", timeZone: "UTC", at: Date.now(),
 *   kpis: [{ key: "dau", label: "Daily active players", value: 1200, previous: 1000, unit: "players" }] });
 * // { username: "Vantage", content: "**Obby** · 2025-01-01 · Daily active players 1,200 (+20.0%)", embeds: [ … ] }
 */
export function buildDigestPayload(input: DigestInput): DiscordWebhookPayload {
	const prefix = input.test ? "[Test] " : "";
	const title = clip(`${prefix}Daily digest · ${oneLine(input.gameName)}`, DISCORD_LIMITS.title);
	const footer = clip(`Vantage · game ${input.gameId} · days in ${input.timeZone}`, DISCORD_LIMITS.footer);
	const intro = `KPIs of ${input.day} (${input.timeZone}), compared with the day before.`;

	const fields: DiscordEmbedField[] = [];
	let total = title.length + footer.length + intro.length + NOTE_RESERVE;
	const alerts = alertsField(input.alerts === undefined ? [] : input.alerts);
	if (alerts) {
		fields.push(alerts);
		total += alerts.name.length + alerts.value.length;
	}
	const anomalies = anomaliesField(input.anomalies ?? []);
	if (anomalies) {
		fields.push(anomalies);
		total += anomalies.name.length + anomalies.value.length;
	}
	const kpiFields = fields.length;
	for (const kpi of input.kpis) {
		if (fields.length === DISCORD_LIMITS.fields) break;
		const field = kpiField(kpi);
		if (total + field.name.length + field.value.length > DISCORD_LIMITS.embedTotal) break;
		total += field.name.length + field.value.length;
		fields.push(field);
	}
	const left = input.kpis.length - (fields.length - kpiFields);
	const note =
		input.kpis.length === 0
			? "No KPIs are available for this day yet."
			: left > 0
				? `${left} more KPI${left === 1 ? "" : "s"} not shown.`
				: "";

	return {
		username: "Vantage",
		content: clip(
			summaryLine(input, prefix) + alertsSummary(input.alerts ?? []) + anomaliesSummary(input.anomalies ?? []),
			DISCORD_LIMITS.content,
		),
		embeds: [
			{
				title,
				description: clip(note ? `${intro}\n${note}` : intro, DISCORD_LIMITS.description),
				fields,
				timestamp: new Date(input.at).toISOString(),
				color: DIGEST_COLOR,
				footer: { text: footer },
			},
		],
		allowed_mentions: { parse: [] },
	};
}

/**
 * The guardrail section: one line per regression, as many as fit in a field; null when there is nothing to say.
 * Alerts that could not be computed (null) get a one-line field saying so, so a silent digest never means "all well"
 * by mistake.
 */
function alertsField(alerts: readonly DigestAlert[] | null): DiscordEmbedField | null {
	const name = "⚠ Guardrail regressions";
	if (alerts === null) {
		return { name, value: "Could not be checked in time; see the experiments page.", inline: false };
	}
	if (alerts.length === 0) return null;
	const lines: string[] = [];
	let length = 0;
	for (const [i, alert] of alerts.entries()) {
		const line = `• ${escapeMarkdown(oneLine(alert.message))}`;
		const more = `… and ${alerts.length - i} more`;
		if (length + line.length + 1 + more.length > DISCORD_LIMITS.fieldValue) {
			lines.push(more);
			break;
		}
		lines.push(line);
		length += line.length + 1;
	}
	return { name, value: clip(lines.join("\n"), DISCORD_LIMITS.fieldValue), inline: false };
}

/** The anomaly section: one line per anomalous KPI of the day; null when there is none. */
function anomaliesField(anomalies: readonly DigestAnomaly[]): DiscordEmbedField | null {
	if (anomalies.length === 0) return null;
	const value = anomalies.map((a) => `• ${escapeMarkdown(oneLine(a.message))}`).join("\n");
	return { name: "📈 KPI anomalies", value: clip(value, DISCORD_LIMITS.fieldValue), inline: false };
}

function anomaliesSummary(anomalies: readonly DigestAnomaly[]): string {
	if (anomalies.length === 0) return "";
	return ` · 📈 ${anomalies.length} KPI anomal${anomalies.length === 1 ? "y" : "ies"}`;
}

function alertsSummary(alerts: readonly DigestAlert[] | null): string {
	if (alerts === null || alerts.length === 0) return "";
	return ` · ⚠ ${alerts.length} guardrail regression${alerts.length === 1 ? "" : "s"}`;
}

function summaryLine(input: DigestInput, prefix: string): string {
	const head = `${prefix}**${escapeMarkdown(oneLine(input.gameName))}** · ${input.day}`;
	const shown = input.kpis.slice(0, SUMMARY_KPIS).map((kpi) => {
		const change = kpi.value === null ? null : percentChange(kpi.value, kpi.previous);
		const suffix = change === null ? "" : ` (${signed(change, 1)}%)`;
		return `${escapeMarkdown(oneLine(labelOf(kpi)))} ${formatKpiValue(kpi.value, kpi.unit)}${suffix}`;
	});
	return shown.length === 0 ? `${head} · no KPIs yet` : `${head} · ${shown.join(" · ")}`;
}

function kpiField(kpi: DigestKpi): DiscordEmbedField {
	const value = `${formatKpiValue(kpi.value, kpi.unit)}\n${formatChange(kpi.value, kpi.previous, kpi.unit)}`;
	return {
		name: clip(oneLine(labelOf(kpi)), DISCORD_LIMITS.fieldName),
		value: clip(value, DISCORD_LIMITS.fieldValue),
		inline: true,
	};
}

function labelOf(kpi: DigestKpi): string {
	return kpi.label.trim() || kpi.key || "KPI";
}

/**
 * Relative change from `previous` to `value`, in percent; null when it has no meaning (no previous value, or a
 * previous 0 with a value other than 0).
 *
 * @example
 * percentChange(120, 100); // 20
 * percentChange(0, 0); // 0
 * percentChange(5, 0); // null
 */
export function percentChange(value: number | null, previous: number | null): number | null {
	if (!isNumber(value) || !isNumber(previous)) return null;
	if (previous === 0) return value === 0 ? 0 : null;
	return ((value - previous) / Math.abs(previous)) * 100;
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

/**
 * A KPI value as people read it; "no data" for null (or a non-finite number).
 *
 * @example
 * formatKpiValue(12345, "players"); // "12,345"
 * formatKpiValue(0.256, "ratio"); // "25.6%"
 * formatKpiValue(3725, "seconds"); // "1 h 02 min"
 */
export function formatKpiValue(value: number | null, unit: DigestKpi["unit"]): string {
	if (!isNumber(value)) return "no data";
	switch (unit) {
		case "players":
			return integer.format(value);
		case "count":
			return decimal.format(value);
		case "robux":
			return `R$ ${decimal.format(value)}`;
		case "ratio":
			return `${(value * 100).toFixed(1)}%`;
		case "seconds":
			return formatDuration(value);
	}
}

/**
 * The second line of a KPI field: the change vs the day before and the value then. Ratios also show the change in
 * percentage points, which is what people usually mean for a rate.
 *
 * @example
 * formatChange(120, 100, "players"); // "▲ +20.0% vs 100"
 * formatChange(0.3, 0.25, "ratio"); // "▲ +20.0% (+5.0 pp) vs 25.0%"
 */
export function formatChange(value: number | null, previous: number | null, unit: DigestKpi["unit"]): string {
	if (!isNumber(value)) return "–";
	if (!isNumber(previous)) return "no data the day before";
	const before = `vs ${formatKpiValue(previous, unit)}`;
	const change = percentChange(value, previous);
	if (change === null) return `new · ${before}`;
	const arrow = change > 0 ? "▲" : change < 0 ? "▼" : "=";
	const points = unit === "ratio" ? ` (${signed((value - previous) * 100, 1)} pp)` : "";
	return `${arrow} ${signed(change, 1)}%${points} ${before}`;
}

function formatDuration(seconds: number): string {
	const total = Math.round(Math.abs(seconds));
	const sign = seconds < 0 ? "-" : "";
	const h = Math.floor(total / 3600);
	const m = Math.floor((total % 3600) / 60);
	const s = total % 60;
	if (h > 0) return `${sign}${integer.format(h)} h ${String(m).padStart(2, "0")} min`;
	if (m > 0) return `${sign}${m} min ${String(s).padStart(2, "0")} s`;
	return `${sign}${s} s`;
}

/** "+20.0", "−3.1" (a real minus sign), "0.0". */
function signed(n: number, digits: number): string {
	const text = Math.abs(n).toFixed(digits);
	if (Number(text) === 0) return (0).toFixed(digits);
	return `${n > 0 ? "+" : "−"}${text}`;
}

function isNumber(value: number | null): value is number {
	return typeof value === "number" && Number.isFinite(value);
}

function oneLine(text: string): string {
	return text.replace(/\s+/g, " ").trim();
}

/** Markdown in a game name would restyle the summary, hide it in a spoiler or turn it into a masked link. */
function escapeMarkdown(text: string): string {
	return text.replace(/[\\*_~`|>[\]]/g, "\\$&");
}

/** Cuts `text` to `max` UTF-16 units, ending in "…", without splitting a surrogate pair. */
export function clip(text: string, max: number): string {
	if (text.length <= max) return text;
	let end = max - 1;
	const last = text.charCodeAt(end - 1);
	if (last >= 0xd800 && last <= 0xdbff) end -= 1;
	return `${text.slice(0, end)}…`;
}
