// Beside the experiment form: who the draft would assign where (the game's recent players or synthetic UserIds,
// through the SDK's own hash on the server), and the power calculator — how many players and how many days the test
// needs at the game's traffic for the smallest change worth finding. Both only read; nothing is saved.
import { useState } from "preact/hooks";
import type { ExperimentsPageContext } from "./experiments-view.js";
import { experimentsPath, failureText, WriteError, writeJson } from "./experiments-api.js";
import { getJson, metricPath } from "../api.js";
import { addDays } from "../dates.js";
import {
	baselineSource,
	conversionBaseline,
	defaultPowerInputs,
	issuesByField,
	planBody,
	planSentences,
	previewBody,
	rateInput,
	settleDaysOf,
	type ExperimentDraft,
	type FieldIssue,
	type PowerInputs,
} from "./experiments-form-data.js";
import { Field, invalidProps, issueOf } from "./experiments-fields.js";
import type { PlanResult, Preview } from "./experiments-types.js";

const integer = new Intl.NumberFormat("en-US");

/** The fields of the metrics API's answers the estimate reads. */
interface KpiUsers {
	segments: { groups: { total: number | null }[] }[];
}
interface ActivePlayers {
	segments: { players: number }[];
}
interface Retention {
	segments: { average: { day: number; rate: number | null }[] }[];
}
const percent = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 1 });

export function PlanningPanel({ ctx, draft }: { ctx: ExperimentsPageContext; draft: ExperimentDraft }) {
	const [previewed, setPreviewed] = useState<{ preview: Preview; request: string } | null>(null);
	// A preview of an earlier state of the form says nothing about this one.
	const current = JSON.stringify(previewBody(draft, { source: "recent" }).body);
	const stale = previewed !== null && previewed.request !== current;
	const preview = previewed?.preview ?? null;
	// Only a preview of real players says what share the targeting lets in; synthetic ones have no attributes.
	const measured = preview?.source === "recent" && !stale ? preview : null;
	const coverage = Number(draft.coverage) / 100;
	const eligibleShare = measured
		? measured.eligibleShare
		: Number.isFinite(coverage)
			? Math.min(1, Math.max(0, coverage))
			: 1;
	return (
		<aside class="planning" aria-label="Planning">
			<PowerCalculator ctx={ctx} draft={draft} eligibleShare={eligibleShare} measured={measured !== null} />
			<AssignmentPreview
				ctx={ctx}
				draft={draft}
				preview={preview}
				stale={stale}
				onPreview={(p) => setPreviewed(p ? { preview: p, request: current } : null)}
			/>
		</aside>
	);
}

function PowerCalculator(props: {
	ctx: ExperimentsPageContext;
	draft: ExperimentDraft;
	eligibleShare: number;
	measured: boolean;
}) {
	const { ctx, draft } = props;
	const [inputs, setInputs] = useState<PowerInputs>(() => defaultPowerInputs(draft.primaryMetric));
	const [plan, setPlan] = useState<PlanResult | null>(null);
	const [issues, setIssues] = useState<FieldIssue[]>([]);
	const [error, setError] = useState<string | null>(null);
	const [busy, setBusy] = useState(false);
	const set = (change: Partial<PowerInputs>) => setInputs((x) => ({ ...x, ...change }));
	const msg = (field: string) => issueOf(issues, field);
	const settle = settleDaysOf(draft.primaryMetric);

	const calculate = async () => {
		const { body, issues: found } = planBody(inputs, draft, props.eligibleShare);
		setIssues(found);
		setError(null);
		if (!body) return;
		setBusy(true);
		try {
			setPlan(await writeJson<PlanResult>("POST", experimentsPath(ctx.game, "plan"), body, ctx.csrfToken));
		} catch (e) {
			setPlan(null);
			if (e instanceof WriteError && e.errors.length > 0) {
				// The server's paths (baseline.rate, mde, weights) name the calculator's fields.
				setIssues(
					issuesByField(e.errors).map((issue, i) => ({
						field: `power-${powerField(e.errors[i]!.path)}`,
						message: issue.message,
					})),
				);
			} else setError(failureText(e));
		} finally {
			setBusy(false);
		}
	};

	// Today's rate of the primary metric, estimated from the game's last 28 complete days.
	const source = baselineSource(draft.primaryMetric);
	const [estimate, setEstimate] = useState<string | null>(null);
	const estimateBaseline = async () => {
		if (!source) return;
		const to = addDays(ctx.today, -1);
		const from = addDays(ctx.today, -28);
		setEstimate("Reading the game's last 28 days…");
		try {
			if (source.kind === "conversion") {
				const [kpi, active] = await Promise.all([
					getJson<KpiUsers>(metricPath(ctx.game, "kpi", { from, to, event: source.event, measure: "users" })),
					getJson<ActivePlayers>(metricPath(ctx.game, "active-users", { from, to })),
				]);
				const found = conversionBaseline(kpi.segments[0]?.groups[0]?.total ?? 0, active.segments[0]?.players ?? 0);
				if (!found) return setEstimate("No players in the last 28 days to estimate from.");
				set({ kind: "proportion", rate: rateInput(found.rate) });
				setEstimate(`Last 28 days: ${found.text}. An estimate: the test counts players from their first exposure.`);
				return;
			}
			// Install cohorts whose day N has ended inside the window.
			const retention = await getJson<Retention>(
				metricPath(ctx.game, "retention", { from: addDays(from, -source.day), to, days: String(source.day) }),
			);
			const cell = retention.segments[0]?.average.find((c) => c.day === source.day);
			if (!cell || cell.rate === null) return setEstimate(`No install cohort has reached day ${source.day} yet.`);
			set({ kind: "proportion", rate: rateInput(cell.rate) });
			setEstimate(
				`New players of the last 28 days: ${(cell.rate * 100).toFixed(1)}% came back on day ${source.day}. ` +
					"Returning players usually come back more often.",
			);
		} catch (e) {
			setEstimate(`Could not estimate it: ${failureText(e)}`);
		}
	};

	const sentences = plan ? planSentences(plan) : null;
	return (
		<section class="panel power" aria-labelledby="power-title">
			<h2 id="power-title">Power calculator</h2>
			<p class="hint">How many players and days this test needs to find the smallest change worth finding.</p>
			<div class="form-grid">
				<Field id="power-kind" label="The metric is">
					<select
						id="power-kind"
						value={inputs.kind}
						onChange={(e) => set({ kind: e.currentTarget.value as PowerInputs["kind"] })}
					>
						<option value="proportion">A rate (conversion, retention)</option>
						<option value="mean">A mean per player (count, Robux)</option>
					</select>
				</Field>
				{inputs.kind === "proportion" ? (
					<Field id="power-rate" label="Today's rate (%)" message={msg("power-rate")}>
						<input
							{...invalidProps("power-rate", msg("power-rate"))}
							inputMode="decimal"
							value={inputs.rate}
							onInput={(e) => set({ rate: e.currentTarget.value })}
						/>
					</Field>
				) : (
					<>
						<Field id="power-mean" label="Today's mean" message={msg("power-mean")}>
							<input
								{...invalidProps("power-mean", msg("power-mean"))}
								inputMode="decimal"
								value={inputs.mean}
								onInput={(e) => set({ mean: e.currentTarget.value })}
							/>
						</Field>
						<Field id="power-stdDev" label="Standard deviation" message={msg("power-stdDev")}>
							<input
								{...invalidProps("power-stdDev", msg("power-stdDev"))}
								inputMode="decimal"
								value={inputs.stdDev}
								onInput={(e) => set({ stdDev: e.currentTarget.value })}
							/>
						</Field>
					</>
				)}
				<Field id="power-mde" label="Smallest change to find (%)" message={msg("power-mde")} hint={mdeHint(inputs)}>
					<input
						{...invalidProps("power-mde", msg("power-mde"), "power-mde-hint")}
						inputMode="decimal"
						value={inputs.mde}
						onInput={(e) => set({ mde: e.currentTarget.value })}
					/>
				</Field>
				<Field id="power-alpha" label="Significance (alpha)">
					<select id="power-alpha" value={inputs.alpha} onChange={(e) => set({ alpha: e.currentTarget.value })}>
						<option value="0.01">0.01</option>
						<option value="0.05">0.05</option>
						<option value="0.1">0.10</option>
					</select>
				</Field>
				<Field id="power-power" label="Power">
					<select id="power-power" value={inputs.power} onChange={(e) => set({ power: e.currentTarget.value })}>
						<option value="0.8">80%</option>
						<option value="0.9">90%</option>
						<option value="0.95">95%</option>
					</select>
				</Field>
			</div>
			{inputs.kind === "proportion" && source ? (
				<div class="row-buttons">
					<button type="button" onClick={() => void estimateBaseline()}>
						Estimate today's rate from the game
					</button>
				</div>
			) : null}
			{estimate ? (
				<p class="hint" role="status">
					{estimate}
				</p>
			) : null}
			<p class="hint" id="power-split">
				Split: {draft.variations.map((v) => `${v.key || "?"} ${v.weight || "?"}%`).join(" / ")} (from the variations).
				Taking part: {percent.format(props.eligibleShare)} of players (
				{props.measured
					? "coverage and targeting, measured by the preview"
					: "coverage; preview to count the targeting"}
				).{settle > 0 ? ` Plus ${settle} days for day-${settle - 1} retention to settle.` : ""}
			</p>
			{msg("power-split") ? (
				<p class="field-error" id="power-split-error">
					{msg("power-split")}
				</p>
			) : null}
			<button type="button" onClick={() => void calculate()} disabled={busy}>
				Calculate
			</button>
			<div class="plan-result" aria-live="polite">
				{error ? (
					<p class="form-error" role="alert">
						{error}
					</p>
				) : null}
				{plan && sentences ? (
					<>
						<p class="plan-players">
							<strong>{sentences.players}</strong>
						</p>
						<p class="plan-days">
							<strong>{sentences.days}</strong>
						</p>
						{plan.forecast.length > 0 ? (
							<table class="data-table compact">
								<caption>Players and power by test length</caption>
								<thead>
									<tr>
										<th scope="col">After</th>
										<th scope="col" class="num">
											Players taking part
										</th>
										<th scope="col" class="num">
											Power
										</th>
									</tr>
								</thead>
								<tbody>
									{plan.forecast.map((f) => (
										<tr key={f.days}>
											<th scope="row">{f.days} days</th>
											<td class="num">{integer.format(f.units)}</td>
											<td class="num">{percent.format(f.power)}</td>
										</tr>
									))}
								</tbody>
							</table>
						) : null}
						{plan.warnings.map((w) => (
							<p key={w.code} class="note caution">
								{w.message}
							</p>
						))}
						<p class="hint">{plan.method}.</p>
					</>
				) : null}
			</div>
		</section>
	);
}

/** What the relative change means for today's rate: "Relative: 10 means 20% → 22%." */
function mdeHint(inputs: PowerInputs): string {
	const mde = Number(inputs.mde);
	const base = Number(inputs.kind === "proportion" ? inputs.rate : inputs.mean);
	if (!Number.isFinite(mde) || !Number.isFinite(base) || inputs.mde.trim() === "") return "Relative to today's value.";
	const unit = inputs.kind === "proportion" ? "%" : "";
	const after = Math.round(base * (1 + mde / 100) * 100) / 100;
	return `Relative: ${mde} means ${base}${unit} → ${after}${unit}.`;
}

function powerField(path: string): string {
	if (path.startsWith("baseline.rate")) return "rate";
	if (path.startsWith("baseline.mean")) return "mean";
	if (path.startsWith("baseline.stdDev")) return "stdDev";
	if (path.startsWith("mde")) return "mde";
	return "split";
}

const REASONS: Record<keyof Preview["excluded"], string> = {
	conditionFailed: "do not match the targeting",
	noHashValue: "have no value for the hash attribute",
	notInNamespace: "are outside the namespace slice",
	notCovered: "are outside the coverage",
};

function AssignmentPreview(props: {
	ctx: ExperimentsPageContext;
	draft: ExperimentDraft;
	preview: Preview | null;
	/** The form changed since the preview. */
	stale: boolean;
	onPreview: (p: Preview | null) => void;
}) {
	const { ctx, draft, preview } = props;
	const [source, setSource] = useState<"recent" | "synthetic">("recent");
	const [error, setError] = useState<string | null>(null);
	const [busy, setBusy] = useState(false);

	const run = async () => {
		const { body, issues } = previewBody(
			draft,
			source === "recent" ? { source } : { source: "synthetic", players: 10_000 },
		);
		if (!body) {
			setError(`Fix the form first: ${issues.map((i) => i.message).join(" ")}`);
			return;
		}
		setBusy(true);
		setError(null);
		try {
			props.onPreview(await writeJson<Preview>("POST", experimentsPath(ctx.game, "preview"), body, ctx.csrfToken));
		} catch (e) {
			props.onPreview(null);
			setError(
				e instanceof WriteError && e.errors.length > 0
					? issuesByField(e.errors)
							.map((i) => i.message)
							.join(" ")
					: failureText(e),
			);
		} finally {
			setBusy(false);
		}
	};

	const judged = preview ? preview.players - preview.forced : 0;
	return (
		<section class="panel preview" aria-labelledby="preview-title">
			<h2 id="preview-title">Who would be assigned where</h2>
			<p class="hint">
				The draft's split, targeting and coverage applied with the same hash the game uses. Nothing is saved.
			</p>
			<div class="row-buttons">
				<Field id="preview-source" label="Players">
					<select
						id="preview-source"
						value={source}
						onChange={(e) => setSource(e.currentTarget.value as "recent" | "synthetic")}
					>
						<option value="recent">The game's recent players (7 days)</option>
						<option value="synthetic">10,000 synthetic UserIds</option>
					</select>
				</Field>
				<button type="button" onClick={() => void run()} disabled={busy}>
					Preview assignment
				</button>
			</div>
			<div class="preview-result" aria-live="polite">
				{error ? (
					<p class="form-error" role="alert">
						{error}
					</p>
				) : null}
				{preview && props.stale ? (
					<p class="note caution">The form changed since this preview: preview again to see the new split.</p>
				) : null}
				{preview && preview.players === 0 ? <p>No player in the last 7 days: try synthetic UserIds.</p> : null}
				{preview && preview.players > 0 ? (
					<>
						<p>
							Of {integer.format(judged)} {preview.source === "recent" ? "recent" : "synthetic"} players,{" "}
							<strong>
								{integer.format(preview.inExperiment)} ({percent.format(preview.eligibleShare)})
							</strong>{" "}
							would take part
							{preview.forced > 0 ? `, plus ${preview.forced} forced QA players` : ""}.
						</p>
						<table class="data-table compact">
							<caption>Players per variation</caption>
							<thead>
								<tr>
									<th scope="col">Variation</th>
									<th scope="col" class="num">
										Players
									</th>
									<th scope="col" class="num">
										Share
									</th>
									<th scope="col" class="num">
										Expected
									</th>
								</tr>
							</thead>
							<tbody>
								{preview.variations.map((v) => (
									<tr key={v.key}>
										<th scope="row">{v.key}</th>
										<td class="num">{v.players === null ? "drawn in game" : integer.format(v.players)}</td>
										<td class="num">
											{v.players === null || preview.inExperiment === 0
												? "—"
												: percent.format(v.players / preview.inExperiment)}
										</td>
										<td class="num">
											{integer.format(Math.round(v.expected))} ({percent.format(v.weight)})
										</td>
									</tr>
								))}
							</tbody>
						</table>
						{preview.splitPValue !== null ? (
							<p class="hint">
								{preview.splitPValue >= 0.001
									? "The split fits the weights."
									: "The split is far from the weights: check the hash settings."}{" "}
								(chi-square p = {preview.splitPValue < 0.001 ? "< 0.001" : preview.splitPValue.toFixed(3)})
							</p>
						) : (
							<p class="hint">In this mode the game draws each player's variation; the hash decides who takes part.</p>
						)}
						<ul class="plain-list">
							{(Object.keys(REASONS) as (keyof Preview["excluded"])[])
								.filter((reason) => preview.excluded[reason] > 0)
								.map((reason) => (
									<li key={reason}>
										{integer.format(preview.excluded[reason])} players {REASONS[reason]}.
									</li>
								))}
						</ul>
						{preview.missingAttributes.length > 0 ? (
							<p class="note caution">
								No previewed player has {preview.missingAttributes.join(", ")}: the targeting fails for all of them
								here. If the game sets it with Vantage.setAttributes, real players may still match.
							</p>
						) : null}
						<p class="hint">{preview.attributes}</p>
					</>
				) : null}
			</div>
		</section>
	);
}
