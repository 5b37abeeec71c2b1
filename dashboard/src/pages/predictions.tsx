// Predictions: how good each model is on players it never saw (next to its baseline), the players most at risk of
// churning with the features behind each score, likely buyers and top LTV, the shop's most recommended items, and
// KPI anomalies against their seasonal baselines. Everyone with the game reads the model cards and anomalies;
// player rankings and "Train now" are for analysts and owners, as the API allows.
import { useState } from "preact/hooks";
import { ApiError } from "../api.js";
import { Empty, Failed, Loading } from "../components/states.js";
import { roleAllows } from "../session.js";
import { useApi } from "../use-api.js";
import type { PageProps } from "./index.js";
import { failureText, writeJson } from "./experiments-api.js";
import {
	KPI_LABELS,
	MODEL_LABELS,
	driverText,
	kpiValue,
	predictionsPath,
	qualityRows,
	trainingText,
	type AnomaliesAnswer,
	type ModelCardView,
	type PredictionSummary,
	type RankedPlayer,
} from "./predictions-data.js";

export function PredictionsPage({ state, session }: PageProps) {
	const [version, setVersion] = useState(0);
	const analyst = roleAllows(session.role, "analyst");
	return (
		<div class="predictions">
			<PredictionsContent
				key={`${state.game}-${version}`}
				game={state.game}
				analyst={analyst}
				csrfToken={session.csrfToken}
				reload={() => setVersion((n) => n + 1)}
			/>
		</div>
	);
}

function PredictionsContent(props: { game: string; analyst: boolean; csrfToken: string; reload: () => void }) {
	const summary = useApi<[PredictionSummary]>([predictionsPath(props.game)]);
	const [training, setTraining] = useState<"idle" | "running" | string>("idle");
	const train = async () => {
		setTraining("running");
		try {
			await writeJson("POST", predictionsPath(props.game, "train"), undefined, props.csrfToken);
			props.reload();
		} catch (error) {
			setTraining(failureText(error));
		}
	};
	const head = (
		<header class="page-head page-head-actions">
			<div>
				<h1 tabIndex={-1}>Predictions</h1>
				<p class="muted">
					Churn, purchase propensity, lifetime value, shop recommendations and KPI anomalies, trained daily on this
					game's events. Every model is measured on players it was not trained on, next to a naive baseline.
				</p>
			</div>
			{props.analyst ? (
				<button type="button" class="primary" disabled={training === "running"} onClick={() => void train()}>
					{training === "running" ? "Training…" : "Train now"}
				</button>
			) : null}
		</header>
	);
	const trainError = training !== "idle" && training !== "running" ? <p role="alert">{training}</p> : null;
	if (summary.status === "loading") return <Loading label="Loading predictions" />;
	if (summary.status === "failed") {
		if (summary.error instanceof ApiError && summary.error.status === 404) {
			return (
				<>
					{head}
					{trainError}
					<Empty title="No predictions yet">
						Models are trained once a day for games with events.{" "}
						{props.analyst ? "Train now to see them at once." : "An analyst or owner can train them now."}
					</Empty>
				</>
			);
		}
		return <Failed what="the predictions" error={summary.error} onRetry={summary.retry} />;
	}
	const [doc] = summary.data;
	return (
		<>
			{head}
			{trainError}
			<p class="muted">
				Trained {new Date(doc.trainedAt).toLocaleString()} on {doc.data.events.toLocaleString("en-US")} events of{" "}
				{doc.data.players.toLocaleString("en-US")} players ({doc.data.from.slice(0, 10)} to {doc.data.to.slice(0, 10)})
				{doc.data.truncated ? "; more events exist than one run reads" : ""}.
			</p>
			<Quality doc={doc} />
			<Anomalies game={props.game} />
			{props.analyst ? (
				<>
					<Ranking game={props.game} list="churn" title="Players most at risk of churning" unit="probability" />
					<Ranking game={props.game} list="purchase" title="Players most likely to buy" unit="probability" />
					<Ranking game={props.game} list="ltv" title="Highest expected spend" unit="robux" />
				</>
			) : (
				<p class="muted">Player rankings are shown to analysts and owners.</p>
			)}
			<Recommendations game={props.game} doc={doc} />
			<ModelCards doc={doc} />
		</>
	);
}

function Quality({ doc }: { doc: PredictionSummary }) {
	const rows = qualityRows(doc);
	const missing = (Object.keys(doc.models) as (keyof PredictionSummary["models"])[]).filter(
		(k) => doc.models[k].status !== "trained",
	);
	return (
		<section aria-labelledby="pred-quality">
			<h2 id="pred-quality">Model quality on held-out players</h2>
			<table class="data">
				<thead>
					<tr>
						<th scope="col">Model</th>
						<th scope="col">Measure</th>
						<th scope="col">Model</th>
						<th scope="col">Baseline</th>
						<th scope="col">Beats baseline</th>
						<th scope="col">Held-out players</th>
					</tr>
				</thead>
				<tbody>
					{rows.map((r) => (
						<tr key={r.model}>
							<th scope="row">{r.model}</th>
							<td>{r.measure}</td>
							<td>{r.value}</td>
							<td title={r.baselineName}>{r.baseline}</td>
							<td>{r.better ? "yes" : "no"}</td>
							<td>{r.heldOutPlayers.toLocaleString("en-US")}</td>
						</tr>
					))}
				</tbody>
			</table>
			{missing.map((k) => (
				<p key={k} class="muted">
					{MODEL_LABELS[k]}: not trained — {doc.models[k].reason}
				</p>
			))}
		</section>
	);
}

function Anomalies({ game }: { game: string }) {
	const answer = useApi<[AnomaliesAnswer]>([`/v1/admin/games/${encodeURIComponent(game)}/anomalies`]);
	if (answer.status === "loading") return <Loading label="Loading KPI anomalies" />;
	if (answer.status === "failed")
		return <Failed what="the KPI anomalies" error={answer.error} onRetry={answer.retry} />;
	const a = answer.data[0].anomalies;
	return (
		<section aria-labelledby="pred-anomalies">
			<h2 id="pred-anomalies">KPI anomalies</h2>
			{a.status !== "trained" ? (
				<p class="muted">Not judged yet: {a.reason}</p>
			) : (
				<>
					{(a.alerts ?? []).length === 0 ? (
						<p>No anomaly in the last 7 days.</p>
					) : (
						<ul class="alerts">
							{(a.alerts ?? []).map((x) => (
								<li key={`${x.kpi}-${x.date}`}>
									⚠ {KPI_LABELS[x.kpi] ?? x.kpi} on {x.date}: {kpiValue(x.kpi, x.value)}, expected about{" "}
									{kpiValue(x.kpi, x.expected)} ({x.direction === "up" ? "unusually high" : "unusually low"})
								</li>
							))}
						</ul>
					)}
					<table class="data">
						<caption>The last 14 days against each KPI's baseline (weekday-seasonal, robust)</caption>
						<thead>
							<tr>
								<th scope="col">Day</th>
								{(a.kpis ?? []).map((k) => (
									<th scope="col" key={k.kpi}>
										{KPI_LABELS[k.kpi] ?? k.kpi}
									</th>
								))}
							</tr>
						</thead>
						<tbody>
							{lastDays(a.kpis ?? [], 14).map((date) => (
								<tr key={date}>
									<th scope="row">{date}</th>
									{(a.kpis ?? []).map((k) => {
										const d = k.days.find((x) => x.date === date);
										if (!d) return <td key={k.kpi}>–</td>;
										return (
											<td key={k.kpi} class={d.anomaly ? "anomaly" : undefined}>
												{kpiValue(k.kpi, d.value)}
												<span class="muted">
													{" "}
													(band {kpiValue(k.kpi, d.lower)}–{kpiValue(k.kpi, d.upper)})
												</span>
												{d.anomaly ? " ⚠" : ""}
											</td>
										);
									})}
								</tr>
							))}
						</tbody>
					</table>
				</>
			)}
		</section>
	);
}

function lastDays(kpis: { days: { date: string }[] }[], n: number): string[] {
	const dates = new Set<string>();
	for (const k of kpis) for (const d of k.days) dates.add(d.date);
	return [...dates].sort().slice(-n).reverse();
}

function Ranking(props: {
	game: string;
	list: "churn" | "purchase" | "ltv";
	title: string;
	unit: "probability" | "robux";
}) {
	const answer = useApi<[{ players: RankedPlayer[] }]>([
		`${predictionsPath(props.game, "players")}?list=${props.list}&limit=25`,
	]);
	const id = `pred-${props.list}`;
	return (
		<section aria-labelledby={id}>
			<h2 id={id}>{props.title}</h2>
			{answer.status === "loading" ? (
				<Loading label={`Loading ${props.title.toLowerCase()}`} />
			) : answer.status === "failed" ? (
				<p class="muted">{failureText(answer.error)}</p>
			) : answer.data[0].players.length === 0 ? (
				<p class="muted">No player scored.</p>
			) : (
				<table class="data">
					<thead>
						<tr>
							<th scope="col">#</th>
							<th scope="col">UserId</th>
							<th scope="col">{props.unit === "probability" ? "Probability" : "Expected Robux (30 d)"}</th>
							<th scope="col">{props.unit === "probability" ? "What drives it" : "Expected Robux (90 d)"}</th>
						</tr>
					</thead>
					<tbody>
						{answer.data[0].players.map((p) => (
							<tr key={p.userId}>
								<td>{p.rank}</td>
								<td>{p.userId}</td>
								<td>{props.unit === "probability" ? `${(100 * p.score).toFixed(1)}%` : p.score.toFixed(0)}</td>
								<td>
									{props.unit === "probability"
										? (p.drivers ?? []).map(driverText).join(", ")
										: p.ltv90 === null || p.ltv90 === undefined
											? "–"
											: p.ltv90.toFixed(0)}
								</td>
							</tr>
						))}
					</tbody>
				</table>
			)}
		</section>
	);
}

function Recommendations({ game, doc }: { game: string; doc: PredictionSummary }) {
	const trained = doc.models.recommendations.status === "trained";
	const answer = useApi<[{ items: { item: string; reason: string }[] }]>(
		trained ? [`/v1/admin/games/${encodeURIComponent(game)}/recommendations?n=10`] : null,
	);
	if (!trained) return null;
	return (
		<section aria-labelledby="pred-recs">
			<h2 id="pred-recs">Shop recommendations</h2>
			<p class="muted">
				What a player with nothing yet is offered (the most bought items). Players who own items get their co-purchases
				first in the game, through Vantage.recommend.
			</p>
			{answer.status === "done" ? (
				<ol>
					{answer.data[0].items.map((r) => (
						<li key={r.item}>{r.item}</li>
					))}
				</ol>
			) : answer.status === "failed" ? (
				<p class="muted">{failureText(answer.error)}</p>
			) : (
				<Loading label="Loading recommendations" />
			)}
		</section>
	);
}

function ModelCards({ doc }: { doc: PredictionSummary }) {
	const cards: ModelCardView[] = [];
	for (const m of Object.values(doc.models)) {
		if (m.card) cards.push(m.card);
		for (const c of m.cards ?? []) cards.push(c);
	}
	return (
		<section aria-labelledby="pred-cards">
			<h2 id="pred-cards">Model cards</h2>
			{cards.map((card) => (
				<details key={`${card.model}-${card.horizonDays ?? ""}`}>
					<summary>
						{MODEL_LABELS[card.model === "purchase_propensity" ? "purchase" : card.model] ?? card.model}
						{card.horizonDays ? ` — ${card.horizonDays} days` : ""}
					</summary>
					<dl>
						<dt>Method</dt>
						<dd>{card.method}</dd>
						<dt>Training</dt>
						<dd>{trainingText(card)}</dd>
						<dt>Held out</dt>
						<dd>
							{card.heldOut.cutoff ? `cut-off ${card.heldOut.cutoff.slice(0, 10)}, ` : ""}
							{card.heldOut.players.toLocaleString("en-US")} players
						</dd>
						<dt>Baseline</dt>
						<dd>{card.baseline.name}</dd>
						<dt>Trained</dt>
						<dd>{new Date(card.trainedAt).toLocaleString()}</dd>
					</dl>
					{card.features ? (
						<table class="data">
							<caption>Features (per standard deviation)</caption>
							<thead>
								<tr>
									<th scope="col">Feature</th>
									<th scope="col">Coefficient</th>
								</tr>
							</thead>
							<tbody>
								{card.features.map((f) => (
									<tr key={f.name}>
										<th scope="row">{f.name.replace(/_/g, " ")}</th>
										<td>
											{f.coefficient !== undefined
												? f.coefficient.toFixed(3)
												: `buy ${f.buyCoefficient?.toFixed(3)}, spend ${f.spendCoefficient?.toFixed(2)}`}
										</td>
									</tr>
								))}
							</tbody>
						</table>
					) : null}
				</details>
			))}
		</section>
	);
}
