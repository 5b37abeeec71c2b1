// One experiment's results: what it is and how many players it has seen, then per metric (primary first) the effect
// of each variation against control with its confidence interval (plotted and tabled), p-values, Bayesian chance to
// win and risk, the always-valid sequential verdict, warnings in plain words (sample-ratio mismatch first) and the
// metric's daily trend per variation. Every number comes from GET …/experiments/{key}/results.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { Chart } from "../components/chart.js";
import { Empty, Failed, Loading } from "../components/states.js";
import { formatDate } from "../format.js";
import { useApi } from "../use-api.js";
import { ViewHeading, ViewLink, type ExperimentsPageContext } from "./experiments-view.js";
import { experimentsPath } from "./experiments-api.js";
import {
	STATUS_LABELS,
	ciPlot,
	experimentMetrics,
	isBinary,
	metricLabel,
	plainWarnings,
	resultRows,
	resultUnits,
	trendFormat,
	trendSeries,
	type CiPlot,
} from "./experiments-data.js";
import {
	BREAKDOWN_DIMENSIONS,
	alertText,
	breakdownNote,
	breakdownRows,
	cupedText,
	decisionView,
	effectsRows,
	planText,
	type EffectText,
	type RelativeEffectText,
} from "./experiments-results-data.js";
import type {
	BreakdownResults,
	Experiment,
	ExperimentResults,
	Exposures,
	MetricDefinition,
} from "./experiments-types.js";

const integer = new Intl.NumberFormat("en-US");
const percent = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 1 });

type Difference = "relative" | "absolute";
type Correction = "holm" | "bh" | "none";

export function ExperimentResultsView({ ctx, experimentKey }: { ctx: ExperimentsPageContext; experimentKey: string }) {
	const loaded = useApi<[Experiment]>([experimentsPath(ctx.game, experimentKey)]);
	const [difference, setDifference] = useState<Difference>("relative");
	const [correction, setCorrection] = useState<Correction>("holm");
	const [cuped, setCuped] = useState(true);
	// The primary metric's results carry the recommendation and the guardrail alerts shown at the top.
	const [primary, setPrimary] = useState<ExperimentResults | null>(null);
	if (loaded.status === "loading") return <Loading label="Loading the experiment…" />;
	if (loaded.status === "failed") return <Failed what="the experiment" error={loaded.error} onRetry={loaded.retry} />;
	const e = loaded.data[0];
	const metrics = experimentMetrics(e);
	return (
		<>
			<header class="page-head page-head-actions">
				<div>
					<ViewHeading ctx={ctx}>
						{e.name} <span class={`badge badge-${e.status}`}>{STATUS_LABELS[e.status]}</span>
					</ViewHeading>
					<p class="muted">
						<code>{e.key}</code> · {e.variations.map((v) => `${v.key} ${percent.format(v.weight)}`).join(" · ")} ·{" "}
						{scheduleText(e)}
						{e.description ? ` · ${e.description}` : ""}
					</p>
					<p class="muted small">
						<ViewLink ctx={ctx} view={{ view: "list" }}>
							All experiments
						</ViewLink>
						{ctx.canWrite && e.status !== "stopped" ? (
							<>
								{" · "}
								<ViewLink ctx={ctx} view={{ view: "edit", key: e.key }}>
									Edit
								</ViewLink>
							</>
						) : null}
					</p>
				</div>
			</header>
			{e.status === "draft" ? (
				<p class="note">This experiment is a draft: nobody is assigned until it starts, so there are no results yet.</p>
			) : (
				<ExposuresLine ctx={ctx} experiment={e} />
			)}
			{metrics.length === 0 ? (
				<Empty title="No metric to compare">
					<p>Results compare the variations on the experiment's metrics; this one has none.</p>
					{ctx.canWrite ? <p>Edit it to add a primary metric.</p> : null}
				</Empty>
			) : (
				<>
					{primary ? <DecisionPanel results={primary} /> : null}
					<div class="toolbar results-options" role="group" aria-label="How results are shown">
						<div class="field">
							<label for="results-difference">Effect as</label>
							<select
								id="results-difference"
								value={difference}
								onChange={(ev) => setDifference(ev.currentTarget.value as Difference)}
							>
								<option value="relative">Relative change (%)</option>
								<option value="absolute">Absolute difference</option>
							</select>
						</div>
						<div class="field field-check">
							<input
								id="results-cuped"
								type="checkbox"
								checked={cuped}
								onChange={(ev) => {
									setPrimary(null);
									setCuped(ev.currentTarget.checked);
								}}
							/>
							<label for="results-cuped">CUPED: adjust for each player's behaviour before exposure</label>
						</div>
						{e.variations.length > 2 ? (
							<div class="field">
								<label for="results-correction">Several treatments</label>
								<select
									id="results-correction"
									value={correction}
									onChange={(ev) => setCorrection(ev.currentTarget.value as Correction)}
								>
									<option value="holm">Holm correction</option>
									<option value="bh">Benjamini–Hochberg</option>
									<option value="none">No correction</option>
								</select>
							</div>
						) : null}
					</div>
					{metrics.map((m, i) => (
						<MetricResults
							key={`${m.key}-${difference}-${correction}-${cuped}`}
							ctx={ctx}
							experiment={e}
							metric={m}
							primary={i === 0 && e.primaryMetric !== null}
							difference={difference}
							correction={correction}
							cuped={cuped}
							onPrimary={setPrimary}
						/>
					))}
					<BreakdownPanel ctx={ctx} experiment={e} metrics={metrics} difference={difference} cuped={cuped} />
				</>
			)}
		</>
	);
}

function scheduleText(e: Experiment): string {
	const date = (iso: string) => formatDate(iso.slice(0, 10));
	if (!e.startAt) return "not started";
	return e.endAt ? `${date(e.startAt)} – ${date(e.endAt)}` : `since ${date(e.startAt)}`;
}

function ExposuresLine({ ctx, experiment }: { ctx: ExperimentsPageContext; experiment: Experiment }) {
	const exposures = useApi<[Exposures]>([experimentsPath(ctx.game, experiment.key, "exposures")]);
	if (exposures.status !== "done") return null;
	const x = exposures.data[0];
	return (
		<p class="exposures-line">
			<strong>{integer.format(x.units)}</strong> players exposed so far:{" "}
			{x.variations.map((v) => `${v.key} ${integer.format(v.units)}`).join(", ")}.
			{x.excluded.multipleVariations > 0
				? ` ${integer.format(x.excluded.multipleVariations)} saw several variations and are left out.`
				: ""}
		</p>
	);
}

function MetricResults(props: {
	ctx: ExperimentsPageContext;
	experiment: Experiment;
	metric: MetricDefinition;
	primary: boolean;
	difference: Difference;
	correction: Correction;
	cuped: boolean;
	onPrimary: (results: ExperimentResults) => void;
}) {
	const { ctx, experiment, metric } = props;
	const query = new URLSearchParams({
		metric: metric.key,
		difference: props.difference,
		correction: props.correction,
		cuped: String(props.cuped),
	});
	const results = useApi<[ExperimentResults]>([`${experimentsPath(ctx.game, experiment.key, "results")}?${query}`]);
	const id = `metric-${metric.key}`;
	const data = results.status === "done" ? results.data[0] : undefined;
	const view = useMemo(() => {
		if (!data) return undefined;
		return {
			rows: resultRows(data),
			plot: ciPlot(data),
			warnings: plainWarnings(data),
			trend: trendSeries(data),
			units: resultUnits(data),
			effects: effectsRows(data),
			cuped: cupedText(data),
			plan: planText(data),
		};
	}, [data]);
	const { primary, onPrimary } = props;
	useEffect(() => {
		if (primary && data) onPrimary(data);
	}, [primary, data, onPrimary]);
	const binary = isBinary(metric);
	const format = useMemo(() => trendFormat(binary), [binary]);

	return (
		<section class="panel metric-results" aria-labelledby={`${id}-title`} data-metric={metric.key}>
			<div class="panel-head">
				<h2 id={`${id}-title`}>
					{metric.key} <span class="muted small">{props.primary ? "primary metric" : "guardrail"}</span>
				</h2>
			</div>
			<p class="muted small">
				{metricLabel(metric)}
				{metric.direction === "lower" ? " · lower is better" : ""}
			</p>
			{results.status === "loading" ? <Loading label={`Computing ${metric.key}…`} /> : null}
			{results.status === "failed" ? (
				<Failed what={`the results of ${metric.key}`} error={results.error} onRetry={results.retry} />
			) : null}
			{data && view ? (
				<>
					<div class="warnings" role="region" aria-label={`Warnings for ${metric.key}`}>
						<h3>Checks and warnings</h3>
						{view.warnings.length === 0 ? <p class="muted small">No warnings.</p> : null}
						<ul>
							{view.warnings.map((w) => (
								<li key={w.code} class={`note ${w.level}`} data-code={w.code}>
									{w.text}
								</li>
							))}
						</ul>
					</div>
					{view.units === 0 ? (
						<p>
							No players counted yet
							{metric.type === "retention" ? ` (a player counts once their day ${metric.day} has passed)` : ""}.
						</p>
					) : (
						<>
							{view.plot ? (
								<CiPlotSvg plot={view.plot} label={`Effect on ${metric.key} against ${data.variations[0]?.key}`} />
							) : null}
							<div class="table-wrap" tabIndex={0} role="region" aria-label={`Results table of ${metric.key}`}>
								<table class="data-table results-table">
									<caption class="visually-hidden">Results of {metric.key} by variation</caption>
									<thead>
										<tr>
											<th scope="col">Variation</th>
											<th scope="col" class="num">
												Players
											</th>
											<th scope="col" class="num">
												{binary ? "Rate" : "Mean"}
											</th>
											<th scope="col" class="num">
												Effect
											</th>
											<th scope="col">95% CI</th>
											<th scope="col" class="num">
												p-value
											</th>
											<th scope="col" class="num">
												Chance to win
											</th>
											<th scope="col" class="num">
												Risk
											</th>
											<th scope="col">Sequential (always valid)</th>
										</tr>
									</thead>
									<tbody>
										{view.rows.map((r) => (
											<tr key={r.key} class={`verdict-${r.verdict}`}>
												<th scope="row">{r.key}</th>
												<td class="num">{r.units}</td>
												<td class="num">{r.mean}</td>
												<td class="num">{r.effect}</td>
												<td>{r.ci}</td>
												<td class="num">{r.pValue}</td>
												<td class="num">{r.chanceToWin}</td>
												<td class="num">{r.risk}</td>
												<td>
													{r.sequentialCi ? (
														<>
															{r.sequentialCi}
															<span class="block small">{r.sequential}</span>
														</>
													) : null}
												</td>
											</tr>
										))}
									</tbody>
								</table>
							</div>
							<EffectsTable metric={metric} control={data.variations[0]?.key ?? "control"} rows={view.effects} />
							<p class="muted small cuped-note" data-cuped={data.cuped.applied ? "applied" : "off"}>
								{view.cuped}
							</p>
							{view.plan ? <p class="muted small plan-note">{view.plan}</p> : null}
							<p class="hint">
								Effect: {props.difference === "relative" ? "change relative to" : "difference from"}{" "}
								{data.variations[0]?.key}.
								{data.correction
									? ` p-values adjusted for ${data.comparisons.length} comparisons (${correctionName(data.correction.name)}).`
									: ""}{" "}
								Sequential: an always-valid interval, safe to read every day. Chance to win and risk (the expected loss
								of shipping the variation if it is worse) are Bayesian.
							</p>
							{view.trend.x.length > 0 ? (
								<div class="trend">
									<h3>Daily trend</h3>
									<p class="muted small">
										{binary ? "Rate" : "Mean"} of the players first exposed up to each day (UTC), per variation.
									</p>
									<Chart label={`${metric.key} per variation by day`} data={view.trend} format={format} />
								</div>
							) : null}
						</>
					)}
				</>
			) : null}
		</section>
	);
}

function correctionName(name: string): string {
	return name === "holm" ? "Holm" : name === "bh" ? "Benjamini–Hochberg" : name;
}

/**
 * Each treatment's effect (dot) with its 95% confidence interval (thick bar) and always-valid interval (thin bar),
 * against no effect (the 0 line). SVG drawn at the container's width, coloured by class (no inline styles: the CSP).
 */
function CiPlotSvg({ plot, label }: { plot: CiPlot; label: string }) {
	const host = useRef<HTMLElement>(null);
	const [width, setWidth] = useState(640);
	useEffect(() => {
		const el = host.current;
		if (!el) return;
		const measure = () => setWidth(Math.max(280, Math.floor(el.clientWidth)));
		measure();
		const observer = new ResizeObserver(measure);
		observer.observe(el);
		return () => observer.disconnect();
	}, []);
	const rowHeight = 36;
	const top = 8;
	const axis = 26;
	const left = Math.min(170, Math.floor(width * 0.3));
	const right = 28;
	const height = top + plot.rows.length * rowHeight + axis;
	const [d0, d1] = plot.domain;
	const x = (v: number) => left + ((v - d0) / (d1 - d0)) * (width - left - right);
	// Labels at least ~52 px apart: on a phone every other tick (0 always) is labelled.
	const labelEvery = Math.max(1, Math.ceil((plot.ticks.length * 52) / (width - left - right)));
	const titleId = `ci-${label.replace(/\W+/g, "-")}`;
	return (
		<figure class="ci-figure" ref={host}>
			<svg
				class="ci-plot"
				width={width}
				height={height}
				viewBox={`0 0 ${width} ${height}`}
				role="img"
				aria-labelledby={`${titleId}-title ${titleId}-desc`}
			>
				<title id={`${titleId}-title`}>{label}</title>
				<desc id={`${titleId}-desc`}>{plot.rows.map((r) => r.text).join("; ")}</desc>
				{plot.ticks.map((t, i) => (
					<g key={t.value} class="ci-tick">
						<line
							x1={x(t.value)}
							x2={x(t.value)}
							y1={top}
							y2={height - axis}
							class={t.value === 0 ? "ci-zero" : "ci-grid"}
						/>
						{t.value === 0 || i % labelEvery === 0 ? (
							<text x={x(t.value)} y={height - 8} text-anchor="middle" class="ci-axis-label">
								{t.label}
							</text>
						) : null}
					</g>
				))}
				{plot.rows.map((r, i) => {
					const y = top + i * rowHeight + rowHeight / 2;
					return (
						<g key={r.label} class={`ci-row ci-${r.verdict}`} data-variation={r.label}>
							<text x={left - 10} y={y + 4} text-anchor="end" class="ci-label">
								{r.label}
							</text>
							{r.seqLower !== null && r.seqUpper !== null ? (
								<line x1={x(r.seqLower)} x2={x(r.seqUpper)} y1={y} y2={y} class="ci-seq" />
							) : null}
							<line x1={x(r.lower)} x2={x(r.upper)} y1={y} y2={y} class="ci-bar" />
							<line x1={x(r.lower)} x2={x(r.lower)} y1={y - 7} y2={y + 7} class="ci-cap" />
							<line x1={x(r.upper)} x2={x(r.upper)} y1={y - 7} y2={y + 7} class="ci-cap" />
							<circle cx={x(r.effect)} cy={y} r={5} class="ci-point" />
						</g>
					);
				})}
			</svg>
			<figcaption class="muted small">
				Dot: the effect; thick bar: 95% confidence interval; thin bar: always-valid interval. Right of the 0 line means
				higher than control.
			</figcaption>
		</figure>
	);
}

/** The recommendation in plain words, with the guardrail regressions behind it highlighted. */
function DecisionPanel({ results }: { results: ExperimentResults }) {
	const decision = decisionView(results);
	if (!decision) return null;
	const metricOf = (key: string) => results.guardrails.find((g) => g.metric.key === key)?.metric;
	return (
		<section
			class={`decision decision-${decision.tone}`}
			role="status"
			aria-labelledby="decision-title"
			data-action={decision.action}
		>
			<h2 id="decision-title">Recommendation: {decision.headline}</h2>
			<p>{decision.message}</p>
			{results.alerts.length > 0 ? (
				<div class="guardrail-alerts" role="alert">
					<h3>Guardrail regressions</h3>
					<ul>
						{results.alerts.map((a) => (
							<li key={`${a.metric}-${a.variation}`} data-metric={a.metric}>
								{alertText(a, metricOf(a.metric))}
							</li>
						))}
					</ul>
				</div>
			) : results.guardrails.length > 0 ? (
				<p class="muted small">
					Guardrails checked ({results.guardrails.map((g) => g.metric.key).join(", ")}): no significant harm.
				</p>
			) : null}
		</section>
	);
}

function EffectCell({ e }: { e: EffectText }) {
	return (
		<>
			<span class={e.significant ? "strong" : undefined}>{e.effect}</span>
			<span class="block small">{e.ci}</span>
		</>
	);
}

function RelativeCell({ e }: { e: RelativeEffectText }) {
	return (
		<>
			<span class={e.significant ? "strong" : undefined}>{e.effect}</span>
			{e.reliable ? (
				<span class="block small">{e.ci}</span>
			) : (
				<span class="block small relative-unreliable">
					Delta-method interval unreliable. {e.robust ? `Use ${e.robust}.` : "No interval holds yet."}
				</span>
			)}
		</>
	);
}

/** Absolute and relative effects side by side; with CUPED, the unadjusted comparison on a row of its own. */
function EffectsTable(props: { metric: MetricDefinition; control: string; rows: ReturnType<typeof effectsRows> }) {
	const { metric, rows } = props;
	if (rows.length === 0) return null;
	const notes = rows.filter((r) => !r.relative.reliable).map((r) => `${r.variation}: ${r.relative.note}`);
	return (
		<div class="table-wrap" tabIndex={0} role="region" aria-label={`Absolute and relative effects on ${metric.key}`}>
			<table class="data-table effects-table">
				<caption class="visually-hidden">
					Effects on {metric.key} against {props.control}, absolute and relative
				</caption>
				<thead>
					<tr>
						<th scope="col">Against {props.control}</th>
						<th scope="col">Absolute effect (95% CI)</th>
						<th scope="col">Relative effect (95% CI)</th>
						<th scope="col" class="num">
							p-value
						</th>
					</tr>
				</thead>
				<tbody>
					{rows.flatMap((r) => [
						<tr key={r.variation} data-variation={r.variation} class={r.regression ? "regression" : undefined}>
							<th scope="row">
								{r.variation}
								{r.unadjusted ? <span class="block small muted">with CUPED</span> : null}
								{r.regression ? <span class="block small badge-regression">harms this metric</span> : null}
							</th>
							<td>
								<EffectCell e={r.absolute} />
							</td>
							<td>
								<RelativeCell e={r.relative} />
							</td>
							<td class="num">{r.absolute.pValue}</td>
						</tr>,
						r.unadjusted ? (
							<tr key={`${r.variation}-raw`} data-variation={r.variation} data-unadjusted="">
								<th scope="row">
									{r.variation}
									<span class="block small muted">without CUPED</span>
								</th>
								<td>
									<EffectCell e={r.unadjusted.absolute} />
								</td>
								<td>
									<RelativeCell e={r.unadjusted.relative} />
								</td>
								<td class="num">{r.unadjusted.absolute.pValue}</td>
							</tr>
						) : null,
					])}
				</tbody>
			</table>
			{notes.length > 0 ? (
				<ul class="note caution relative-notes">
					{notes.map((n) => (
						<li key={n}>{n}</li>
					))}
				</ul>
			) : null}
		</div>
	);
}

/** Results of one metric by a dimension: a table of cells with corrected p-values and small-cell warnings. */
function BreakdownPanel(props: {
	ctx: ExperimentsPageContext;
	experiment: Experiment;
	metrics: MetricDefinition[];
	difference: Difference;
	cuped: boolean;
}) {
	const [metric, setMetric] = useState(props.metrics[0]?.key ?? "");
	const [dimension, setDimension] = useState("");
	const [attribute, setAttribute] = useState("");
	const dim = dimension === "attr" ? (/^[A-Za-z0-9_]{1,64}$/.test(attribute) ? `attr:${attribute}` : "") : dimension;
	const query = new URLSearchParams({
		metric,
		dimension: dim,
		difference: props.difference,
		cuped: String(props.cuped),
	});
	const answer = useApi<[BreakdownResults]>(
		dim && metric ? [`${experimentsPath(props.ctx.game, props.experiment.key, "breakdown")}?${query}`] : null,
	);
	const data = answer.status === "done" && dim ? answer.data[0] : undefined;
	const rows = useMemo(() => (data ? breakdownRows(data) : []), [data]);
	return (
		<section class="panel breakdown" aria-labelledby="breakdown-title">
			<div class="panel-head">
				<h2 id="breakdown-title">Breakdown</h2>
			</div>
			<p class="muted small">
				The effect within each group of players. Many groups mean many tests: p-values are corrected across them.
			</p>
			<div class="toolbar" role="group" aria-label="Breakdown options">
				<div class="field">
					<label for="breakdown-metric">Metric</label>
					<select id="breakdown-metric" value={metric} onChange={(ev) => setMetric(ev.currentTarget.value)}>
						{props.metrics.map((m) => (
							<option key={m.key} value={m.key}>
								{m.key}
							</option>
						))}
					</select>
				</div>
				<div class="field">
					<label for="breakdown-dimension">Break down by</label>
					<select id="breakdown-dimension" value={dimension} onChange={(ev) => setDimension(ev.currentTarget.value)}>
						<option value="">Choose…</option>
						{BREAKDOWN_DIMENSIONS.map((d) => (
							<option key={d.value} value={d.value}>
								{d.label}
							</option>
						))}
						<option value="attr">A player attribute…</option>
					</select>
				</div>
				{dimension === "attr" ? (
					<div class="field">
						<label for="breakdown-attribute">Attribute</label>
						<input
							id="breakdown-attribute"
							value={attribute}
							placeholder="e.g. premium"
							onChange={(ev) => setAttribute(ev.currentTarget.value.trim())}
						/>
					</div>
				) : null}
			</div>
			{answer.status === "loading" && dim ? <Loading label="Breaking the results down…" /> : null}
			{answer.status === "failed" ? <Failed what="the breakdown" error={answer.error} onRetry={answer.retry} /> : null}
			{data ? (
				rows.length === 0 ? (
					<p>No players to break down yet.</p>
				) : (
					<>
						<div class="table-wrap" tabIndex={0} role="region" aria-label={`Breakdown of ${data.metric.key}`}>
							<table class="data-table breakdown-table">
								<caption class="visually-hidden">
									{data.metric.key} by {data.dimension}
								</caption>
								<thead>
									<tr>
										<th scope="col">Group</th>
										<th scope="col" class="num">
											Players
										</th>
										<th scope="col">Variation</th>
										<th scope="col">Absolute effect (95% CI)</th>
										<th scope="col" class="num">
											Relative effect
										</th>
										<th scope="col" class="num">
											Adjusted p-value
										</th>
										<th scope="col">Warnings</th>
									</tr>
								</thead>
								<tbody>
									{rows.map((r) => (
										<tr
											key={`${r.label}-${r.variation}`}
											data-cell={r.label}
											class={r.warnings.length > 0 ? "small-cell" : undefined}
										>
											<th scope="row">{r.label}</th>
											<td class="num">{r.units}</td>
											<td>{r.variation}</td>
											<td>
												<span class={r.significant ? "strong" : undefined}>{r.absolute}</span>
												<span class="block small">{r.absoluteCi}</span>
											</td>
											<td class="num">{r.relative}</td>
											<td class="num">{r.adjustedPValue}</td>
											<td class="small">{r.warnings.join(" ")}</td>
										</tr>
									))}
								</tbody>
							</table>
						</div>
						<p class="hint">
							{breakdownNote(data)} {cupedText(data)}
						</p>
					</>
				)
			) : null}
		</section>
	);
}
