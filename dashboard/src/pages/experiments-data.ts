// The Experiments pages' numbers and words, worked out from the API's answers: the list's rows, the view in the URL's
// fragment, and each metric's results (table, confidence-interval plot, warnings in plain words, daily trend).
// Pure functions, tested on their own; the server computes every statistic, this only shapes and words them.
import { dateToSeconds } from "../dates.js";
import { formatDate } from "../format.js";
import type { DailySeries } from "./overview-data.js";
import type { Comparison, Experiment, ExperimentResults, Exposures, MetricDefinition } from "./experiments-types.js";

// ---- the view: list, new, edit or results of one experiment, in the URL's query ----

export type ExperimentsView =
	{ view: "list" } | { view: "new" } | { view: "edit"; key: string } | { view: "results"; key: string };

const KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/**
 * The view a query names: `experiment=<key>` its results, with `action=edit` its form, `action=new` the form for a
 * new one; anything else is the list. Beside the shell's own parameters (page, game), so a view is a link that
 * survives the login page.
 *
 * @example
 * parseExperimentsView("?page=experiments&experiment=obby_difficulty"); // { view: "results", key: "obby_difficulty" }
 */
export function parseExperimentsView(search: string): ExperimentsView {
	const query = new URLSearchParams(search);
	const action = query.get("action");
	const key = query.get("experiment") ?? "";
	if (action === "new") return { view: "new" };
	if (!KEY.test(key)) return { view: "list" };
	return action === "edit" ? { view: "edit", key } : { view: "results", key };
}

/** The query of `search` showing `view`: the shell's parameters kept, the page's own replaced. */
export function experimentsViewSearch(search: string, view: ExperimentsView): string {
	const query = new URLSearchParams(search);
	query.delete("experiment");
	query.delete("action");
	if (view.view === "new") query.set("action", "new");
	if (view.view === "edit" || view.view === "results") query.set("experiment", view.key);
	if (view.view === "edit") query.set("action", "edit");
	const text = query.toString();
	return text ? `?${text}` : "";
}

// ---- the list ----

export const STATUS_LABELS: Record<Experiment["status"], string> = {
	draft: "Draft",
	running: "Running",
	stopped: "Stopped",
};

export interface ExperimentRow {
	key: string;
	name: string;
	status: Experiment["status"];
	statusLabel: string;
	/** "classic 50% · hard 50%" */
	variations: string;
	/** The start as a date, "Not started" or "Starts …". */
	started: string;
	/** Exposed players; null while unknown (a draft, or not loaded). */
	exposures: number | null;
	/** Per variation, for the row's detail. */
	exposuresByVariation: { key: string; units: number }[] | null;
	metric: string;
}

const percent1 = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 1 });

/**
 * One row per experiment, running first, then drafts, then stopped ones, each newest first.
 *
 * @example
 * experimentRows(list.experiments, { obby: exposures }, Date.now());
 */
export function experimentRows(
	experiments: readonly Experiment[],
	exposures: Readonly<Record<string, Exposures | undefined>>,
	now: number,
): ExperimentRow[] {
	const order: Record<Experiment["status"], number> = { running: 0, draft: 1, stopped: 2 };
	return [...experiments]
		.sort((a, b) => order[a.status] - order[b.status] || (b.createdAt < a.createdAt ? -1 : 1))
		.map((e) => {
			const seen = exposures[e.key];
			return {
				key: e.key,
				name: e.name,
				status: e.status,
				statusLabel: STATUS_LABELS[e.status],
				variations: e.variations.map((v) => `${v.key} ${percent1.format(v.weight)}`).join(" · "),
				started: startedText(e, now),
				exposures: seen ? seen.units : null,
				exposuresByVariation: seen ? seen.variations : null,
				metric: e.primaryMetric ? metricLabel(e.primaryMetric) : "No primary metric",
			};
		});
}

function startedText(e: Experiment, now: number): string {
	if (e.startAt === null) return "Not started";
	const date = formatDate(e.startAt.slice(0, 10));
	if (Date.parse(e.startAt) > now) return `Starts ${date}`;
	return date;
}

/** A metric in words: "reached_level_3: conversion on progression World1:Level3". */
export function metricLabel(metric: MetricDefinition): string {
	switch (metric.type) {
		case "conversion":
		case "count": {
			const event = metric.eventType ? `${metric.eventType} ${metric.event}` : metric.event;
			return `${metric.key}: ${metric.type === "conversion" ? "players who sent" : "count of"} ${event}${windowText(metric.windowHours)}`;
		}
		case "revenue":
			return `${metric.key}: ${metric.valueProp} of ${metric.event ? `purchases of ${metric.event}` : "all purchases"}${windowText(metric.windowHours)}`;
		case "retention":
			return `${metric.key}: back on day ${metric.day}`;
		case "sum": {
			const event = metric.eventType ? `${metric.eventType} ${metric.event}` : metric.event;
			return `${metric.key}: sum of ${metric.valueProp} over ${event}${windowText(metric.windowHours)}`;
		}
		case "ratio":
			return `${metric.key}: ${ratioPartText(metric.numerator)} per ${ratioPartText(metric.denominator)}${windowText(metric.windowHours)}`;
		case "quantile": {
			const event = metric.eventType ? `${metric.eventType} ${metric.event}` : metric.event;
			const which = metric.quantile === 0.5 ? "median" : `${Math.round(metric.quantile * 100)}th percentile`;
			return `${metric.key}: ${which} of each player's ${metric.aggregate} ${metric.valueProp} over ${event}${windowText(metric.windowHours)}`;
		}
	}
}

/** One side of a ratio metric in words: "sum of robux over purchase events", "count of session_start". */
function ratioPartText(part: {
	event?: string | undefined;
	eventType?: string | undefined;
	valueProp?: string | undefined;
}): string {
	const event = [part.eventType, part.event].filter(Boolean).join(" ");
	return part.valueProp ? `${part.valueProp} of ${event}` : `count of ${event}`;
}

function windowText(hours: number | undefined): string {
	return hours === undefined ? "" : ` within ${hours} h`;
}

/** Whether the metric's per-player value is 0 or 1 (a rate), as the server analyses it. */
export function isBinary(metric: MetricDefinition): boolean {
	return metric.type === "conversion" || metric.type === "retention";
}

/** The experiment's metrics: the primary one first, then the guardrails. */
export function experimentMetrics(e: Experiment): MetricDefinition[] {
	return [...(e.primaryMetric ? [e.primaryMetric] : []), ...e.guardrailMetrics];
}

// ---- results ----

/** A number the server may have sent as null (non-finite). */
type Num = number | null | undefined;

function finite(x: Num): x is number {
	return typeof x === "number" && Number.isFinite(x);
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const decimals = new Intl.NumberFormat("en-US", { maximumFractionDigits: 3 });
const percentDetail = new Intl.NumberFormat("en-US", {
	style: "percent",
	minimumFractionDigits: 1,
	maximumFractionDigits: 1,
});

/** How a metric's values read: rates as percentages, means as numbers. */
export function formatMetricValue(value: Num, binary: boolean): string {
	if (!finite(value)) return "—";
	return binary ? percentDetail.format(value) : decimals.format(value);
}

/**
 * An effect as the results state it: relative as a signed percentage, absolute as signed percentage points for rates
 * or a signed number for means. A real minus sign.
 *
 * @example
 * formatEffect(-0.0123, "absolute", true); // "−1.2 pp"
 */
export function formatEffect(value: Num, difference: "relative" | "absolute", binary: boolean): string {
	if (!finite(value)) return "—";
	const sign = value > 0 ? "+" : value < 0 ? "−" : "";
	const size = Math.abs(value);
	if (difference === "relative") return `${sign}${percentDetail.format(size)}`;
	if (binary) return `${sign}${(size * 100).toFixed(1)} pp`;
	return `${sign}${decimals.format(size)}`;
}

/** A p-value: "< 0.001" below it, else three decimals. */
export function formatPValue(p: Num): string {
	if (!finite(p)) return "—";
	return p < 0.001 ? "< 0.001" : p.toFixed(3);
}

/** "p < 0.001" or "p = 0.412", for sentences. */
export function pText(p: Num): string {
	const text = formatPValue(p);
	return text.startsWith("<") ? `p ${text}` : `p = ${text}`;
}

/** A probability (chance to win) as a percentage. */
export function formatChance(p: Num): string {
	return finite(p) ? percentDetail.format(p) : "—";
}

export interface ResultRow {
	key: string;
	control: boolean;
	units: string;
	mean: string;
	effect: string;
	ci: string;
	pValue: string;
	chanceToWin: string;
	/** Expected loss of shipping this variation if it is in fact worse. */
	risk: string;
	sequentialCi: string;
	/** In words: what the always-valid test says now. */
	sequential: string;
	/** The verdict at the fixed horizon: better, worse or not significant. */
	verdict: "better" | "worse" | "unclear" | "control";
}

/** One row per variation: control first (no comparison), then each treatment against it. */
export function resultRows(results: ExperimentResults): ResultRow[] {
	const binary = isBinary(results.metric);
	const diff = results.difference;
	return results.variations.map((v, i) => {
		const base = {
			key: v.key,
			units: integer.format(v.n),
			mean: formatMetricValue(v.mean, binary),
		};
		const c = i === 0 ? undefined : results.comparisons.find((x) => x.variation === v.key);
		if (!c) {
			return {
				...base,
				control: i === 0,
				effect: i === 0 ? "Control" : "—",
				ci: "",
				pValue: "",
				chanceToWin: "",
				risk: "",
				sequentialCi: "",
				sequential: "",
				verdict: "control",
			};
		}
		const f = c.frequentist;
		const s = c.sequential;
		return {
			...base,
			control: false,
			effect: formatEffect(f.effect, diff, binary),
			ci: intervalText(f.ci, diff, binary),
			pValue: formatPValue(c.adjustedPValue),
			chanceToWin: formatChance(c.bayesian?.chanceToWin),
			risk: riskText(c, diff, binary),
			sequentialCi: intervalText(s.ci, diff, binary),
			sequential: sequentialText(c),
			verdict: verdict(c),
		};
	});
}

function intervalText(ci: { lower: Num; upper: Num }, diff: "relative" | "absolute", binary: boolean): string {
	if (!finite(ci.lower) || !finite(ci.upper)) return "—";
	return `${formatEffect(ci.lower, diff, binary)} to ${formatEffect(ci.upper, diff, binary)}`;
}

/**
 * The Bayesian risk of shipping the treatment: its expected loss. The Beta-binomial model states it in conversion-rate
 * units (percentage points); the Gaussian model on the effect's own scale.
 */
function riskText(c: Comparison, diff: "relative" | "absolute", binary: boolean): string {
	if (!c.bayesian) return "—";
	const loss = c.bayesian.expectedLoss?.treatment as Num;
	if (!finite(loss)) return "—";
	if ("difference" in c.bayesian) return formatEffect(loss, c.bayesian.difference, binary).replace(/^\+/, "");
	return binary ? `${(loss * 100).toFixed(2)} pp` : formatEffect(loss, diff, binary).replace(/^\+/, "");
}

function verdict(c: Comparison): ResultRow["verdict"] {
	const f = c.frequentist;
	if (!finite(c.adjustedPValue) || c.adjustedPValue >= f.alpha || !finite(f.effect)) return "unclear";
	return f.effect > 0 ? "better" : "worse";
}

/** What the always-valid (sequential) test says: conclusive now, or keep going. */
export function sequentialText(c: Comparison): string {
	const s = c.sequential;
	if (!finite(s.ci.lower) || !finite(s.ci.upper)) return "Not enough data yet";
	if (s.significant) {
		const direction = (s.effect ?? 0) > 0 ? "higher" : "lower";
		return `Conclusive: ${c.variation} is ${direction}; safe to stop`;
	}
	return "Not conclusive yet: keep running (safe to check any time)";
}

export interface CiPlotRow {
	label: string;
	effect: number;
	lower: number;
	upper: number;
	/** The always-valid interval, when finite. */
	seqLower: number | null;
	seqUpper: number | null;
	verdict: ResultRow["verdict"];
	/** The row in words, for screen readers. */
	text: string;
}

export interface CiPlot {
	rows: CiPlotRow[];
	/** The x range drawn: both intervals of every row and 0, with a margin. */
	domain: [number, number];
	ticks: { value: number; label: string }[];
}

/**
 * The confidence-interval plot of one metric: each treatment's effect with its interval (and the always-valid one)
 * against 0 (no effect). Treatments without a finite interval are left out; null when none is left.
 */
export function ciPlot(results: ExperimentResults): CiPlot | null {
	const binary = isBinary(results.metric);
	const diff = results.difference;
	const rows: CiPlotRow[] = [];
	for (const c of results.comparisons) {
		const f = c.frequentist;
		if (!finite(f.effect) || !finite(f.ci.lower) || !finite(f.ci.upper)) continue;
		const s = c.sequential.ci;
		const seq = finite(s.lower) && finite(s.upper);
		rows.push({
			label: `${c.variation} vs ${results.variations[0]?.key ?? "control"}`,
			effect: f.effect,
			lower: f.ci.lower,
			upper: f.ci.upper,
			seqLower: seq ? s.lower : null,
			seqUpper: seq ? s.upper : null,
			verdict: verdict(c),
			text: `${c.variation}: ${formatEffect(f.effect, diff, binary)} (95% CI ${intervalText(f.ci, diff, binary)})`,
		});
	}
	if (rows.length === 0) return null;
	let lo = 0;
	let hi = 0;
	for (const r of rows) {
		lo = Math.min(lo, r.lower, r.seqLower ?? r.lower);
		hi = Math.max(hi, r.upper, r.seqUpper ?? r.upper);
	}
	if (lo === hi) hi = lo + 1;
	const ticks = niceTicks(lo, hi, 5);
	const from = Math.min(lo, ticks[0]!);
	const to = Math.max(hi, ticks[ticks.length - 1]!);
	// A little room on both sides, so no whisker or label sits on the edge.
	const pad = (to - from) * 0.04;
	return {
		rows,
		domain: [from - pad, to + pad],
		ticks: ticks.map((value) => ({ value, label: tickLabel(value, diff, binary) })),
	};
}

/** An axis label: as {@link formatEffect}, without the trailing ".0". */
function tickLabel(value: number, diff: "relative" | "absolute", binary: boolean): string {
	return value === 0 ? "0" : formatEffect(value, diff, binary).replace(/\.0(?=\D*$)/, "");
}

/**
 * Round tick values covering [lo, hi]: steps of 1, 2 or 5 × 10^k, about `count` of them.
 *
 * @example
 * niceTicks(-0.07, 0.02, 5); // [-0.08, -0.06, -0.04, -0.02, 0, 0.02]
 */
export function niceTicks(lo: number, hi: number, count: number): number[] {
	const raw = (hi - lo) / Math.max(1, count);
	const power = 10 ** Math.floor(Math.log10(raw));
	const step = ([1, 2, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
	const first = Math.floor(lo / step);
	const last = Math.ceil(hi / step);
	const ticks: number[] = [];
	// Rounded to the step's decimals, so 0.1 + 0.2 reads 0.3.
	const digits = Math.max(0, -Math.floor(Math.log10(step)) + 1);
	for (let i = first; i <= last; i++) ticks.push(Number((i * step).toFixed(digits)) || 0);
	return ticks;
}

export interface PlainWarning {
	code: string;
	/** "serious": the results should not be trusted; "caution": read with care; "ok": a check passed. */
	level: "serious" | "caution" | "ok";
	text: string;
}

/**
 * Every warning of one metric's results in plain words, the most serious first: the sample-ratio check (a pass is
 * said too), then the server's warnings and the comparisons' own, each once.
 */
export function plainWarnings(results: ExperimentResults): PlainWarning[] {
	const out: PlainWarning[] = [];
	const srm = results.srm;
	const counts = results.variations.map((v) => `${v.key} ${integer.format(v.n)}`).join(", ");
	if (srm && srm.flagged) {
		const expected = (srm.expected ?? []).map((e, i) => `${results.variations[i]?.key} ${integer.format(e)}`);
		out.push({
			code: "srm",
			level: "serious",
			text:
				`Sample ratio mismatch: the variations got ${counts} players, where the split promised about ` +
				`${expected.join(", ")} (${pText(srm.pValue)}). Assignment or tracking is broken: do not trust ` +
				"these results until it is fixed.",
		});
	} else if (srm) {
		out.push({
			code: "srm-ok",
			level: "ok",
			text: `Sample ratio OK: ${counts} players fit the planned split (${pText(srm.pValue)}).`,
		});
	}
	const seen = new Set(out.map((w) => w.code));
	const add = (code: string, message: string) => {
		if (seen.has(code)) return;
		seen.add(code);
		out.push({ code, level: SERIOUS.has(code) ? "serious" : "caution", text: plainText(code, message) });
	};
	for (const w of results.warnings) add(w.code, w.message);
	for (const c of results.comparisons) {
		for (const w of [...c.frequentist.warnings, ...(c.bayesian?.warnings ?? []), ...c.sequential.warnings])
			add(w.code, w.message);
	}
	return out.sort((a, b) => LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level]);
}

const SERIOUS = new Set(["srm", "multiple-variations", "unknown-variation"]);
const LEVEL_ORDER: Record<PlainWarning["level"], number> = { serious: 0, caution: 1, ok: 2 };

function plainText(code: string, message: string): string {
	switch (code) {
		case "too-few-units":
			return `Too few players so far: ${message.replace(/^An arm has (\d+) units/, "a variation has $1 players")} Until then the numbers are mostly noise.`;
		case "zero-baseline":
			return `${message} Show the absolute difference instead (Effect as, above).`;
		case "peeking":
			return `${message} The sequential column stays valid however often you look.`;
		case "zero-variance":
			return `Every player has the same value in a variation, so the test cannot tell them apart yet. (${message})`;
		default:
			return message;
	}
}

/**
 * The daily trend of a metric per variation: the cumulative mean of the players first exposed up to each day, as the
 * results' time series has it. Rates are in percent (the chart's axis then reads 85, 90 rather than 0.9, 0.9).
 */
export function trendSeries(results: ExperimentResults): DailySeries {
	const points = results.timeSeries;
	const scale = isBinary(results.metric) ? 100 : 1;
	return {
		x: points.map((p) => dateToSeconds(p.date)),
		series: results.variations.map((v) => ({
			label: v.key,
			values: points.map((p) => {
				const arm = p.variations.find((x) => x.key === v.key);
				return arm && arm.units > 0 && finite(arm.mean) ? arm.mean * scale : null;
			}),
		})),
	};
}

/** How a trend value reads (rates arrive in percent from {@link trendSeries}). */
export function trendFormat(binary: boolean): (value: number) => string {
	return binary ? (value) => `${value.toFixed(1)}%` : (value) => decimals.format(value);
}

/** Players counted in the results (every variation). */
export function resultUnits(results: ExperimentResults): number {
	return results.variations.reduce((s, v) => s + v.n, 0);
}
