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
import type { Experiment, ExperimentResults, Exposures, MetricDefinition } from "./experiments-types.js";

const integer = new Intl.NumberFormat("en-US");
const percent = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 1 });

type Difference = "relative" | "absolute";
type Correction = "holm" | "bh" | "none";

export function ExperimentResultsView({ ctx, experimentKey }: { ctx: ExperimentsPageContext; experimentKey: string }) {
	const loaded = useApi<[Experiment]>([experimentsPath(ctx.game, experimentKey)]);
	const [difference, setDifference] = useState<Difference>("relative");
	const [correction, setCorrection] = useState<Correction>("holm");
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
							key={`${m.key}-${difference}-${correction}`}
							ctx={ctx}
							experiment={e}
							metric={m}
							primary={i === 0 && e.primaryMetric !== null}
							difference={difference}
							correction={correction}
						/>
					))}
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
}) {
	const { ctx, experiment, metric } = props;
	const query = new URLSearchParams({ metric: metric.key, difference: props.difference, correction: props.correction });
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
		};
	}, [data]);
	const binary = isBinary(metric);
	const format = useMemo(() => trendFormat(binary), [binary]);

	return (
		<section class="panel metric-results" aria-labelledby={`${id}-title`} data-metric={metric.key}>
			<div class="panel-head">
				<h2 id={`${id}-title`}>
					{metric.key} <span class="muted small">{props.primary ? "primary metric" : "guardrail"}</span>
				</h2>
			</div>
			<p class="muted small">{metricLabel(metric)}</p>
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
