// Overview: the headline KPIs of the range against the period before (DAU, new players, revenue, ARPDAU, session
// length, concurrent players), each with its sparkline, and daily active players as the main chart, which follows
// the breakdown and segment filters (the headline numbers are always the whole game's, as the overview metric is).
import { useMemo } from "preact/hooks";
import { metricPath } from "../api.js";
import type { ActiveUsers, GamesAnswer, GameSdk, Overview, Revenue, Sessions } from "../api-types.js";
import { Chart } from "../components/chart.js";
import { KpiCard } from "../components/kpi-card.js";
import { Empty, Failed, Loading } from "../components/states.js";
import { previousRange, rangeLength } from "../dates.js";
import { formatDate, formatValue } from "../format.js";
import { useApi } from "../use-api.js";
import type { PageProps } from "./index.js";
import { hasPlayers, mainChart, overviewCards, sessionsWithin } from "./overview-data.js";
import { alertText } from "./experiments-results-data.js";
import type { ExperimentAlerts } from "./experiments-types.js";

const formatPlayers = (value: number) => formatValue(value, "players");

export function OverviewPage({ state, range }: PageProps) {
	const game = state.game;
	const previous = previousRange(range);
	const segmented = state.breakdown !== undefined || state.filters.length > 0;
	const segment = { breakdown: state.breakdown, filter: state.filters };
	// Sessions of this and the previous period in one request (split below): one query fewer per page load.
	const cards = useApi<[Overview, ActiveUsers, Revenue, Sessions]>([
		metricPath(game, "overview", range),
		metricPath(game, "active-users", range),
		metricPath(game, "revenue", range),
		metricPath(game, "sessions", { from: previous.from, to: range.to }),
	]);
	// With a breakdown or filters the main chart needs its own request; without, it reuses the cards' active users.
	const segmentedUsers = useApi<[ActiveUsers]>(
		segmented ? [metricPath(game, "active-users", { ...range, ...segment })] : null,
	);

	// The games list says which SDK versions the game's servers run: an outdated one gets a notice above the numbers.
	const games = useApi<[GamesAnswer]>(["/v1/admin/games"]);
	const sdk = games.status === "done" ? games.data[0].games.find((g) => g.id === game)?.sdk : undefined;

	const data = cards.status === "done" ? cards.data : undefined;
	const kpiCards = useMemo(
		() =>
			data &&
			overviewCards({
				overview: data[0],
				activeUsers: data[1],
				revenue: data[2],
				sessions: sessionsWithin(data[3], range),
				previousSessions: sessionsWithin(data[3], previous),
			}),
		[data],
	);
	const mainUsers = segmented ? (segmentedUsers.status === "done" ? segmentedUsers.data[0] : undefined) : data?.[1];
	const main = useMemo(() => mainUsers && mainChart(mainUsers), [mainUsers]);

	const days = rangeLength(range);
	const comparedWith = `the previous ${days} day${days === 1 ? "" : "s"}`;
	const csv = (metric: string, extra: Record<string, string | string[] | undefined> = {}) =>
		metricPath(game, metric, { ...range, ...extra, format: "csv" });

	return (
		<>
			<header class="page-head">
				<h1>Overview</h1>
				<p class="muted">
					{formatDate(range.from)} – {formatDate(range.to)}, compared with {formatDate(previous.from)} –{" "}
					{formatDate(previous.to)}.{" "}
					<a href={csv("overview")} download>
						Headline numbers as CSV
					</a>
				</p>
			</header>
			{sdk?.outdated ? <OutdatedSdk sdk={sdk} /> : null}
			<GuardrailNotice game={game} />
			{cards.status === "loading" ? <Loading label="Loading the headline numbers…" /> : null}
			{cards.status === "failed" ? <Failed what="the overview" error={cards.error} onRetry={cards.retry} /> : null}
			{data && kpiCards && !hasPlayers(data[0]) ? <NoPlayers game={game} /> : null}
			{data && kpiCards && hasPlayers(data[0]) ? (
				<>
					<section class="kpis" aria-label="Headline numbers (whole game)">
						{kpiCards.map((card) => (
							<KpiCard key={card.key} card={card} comparedWith={comparedWith} csvHref={csv(card.csvMetric)} />
						))}
					</section>
					<section class="panel" aria-labelledby="main-chart-title">
						<div class="panel-head">
							<h2 id="main-chart-title">Daily active players{state.breakdown ? ` by ${state.breakdown}` : ""}</h2>
							<a
								href={csv("active-users", segment)}
								download
								aria-label="Download the data of the daily active players chart as CSV"
							>
								CSV
							</a>
						</div>
						{segmented ? (
							<p class="muted small">
								Breakdown and filters apply to this chart; the numbers above are for the whole game.
							</p>
						) : null}
						{segmentedUsers.status === "failed" ? (
							<Failed what="the breakdown" error={segmentedUsers.error} onRetry={segmentedUsers.retry} />
						) : main ? (
							<>
								<Chart label="Daily active players" data={main} format={formatPlayers} />
								{main.hidden > 0 ? (
									<p class="muted small">
										{main.hidden} smaller segment{main.hidden === 1 ? "" : "s"} not drawn: the CSV has them all.
									</p>
								) : null}
							</>
						) : (
							<Loading label="Loading the chart…" />
						)}
					</section>
				</>
			) : null}
		</>
	);
}

/** Some of the game's servers send batches from an SDK older than the backend's: say which and what to do. */
function OutdatedSdk(props: { sdk: GameSdk }) {
	const old = props.sdk.versions.filter((v) => v.outdated).map((v) => v.version);
	return (
		<section class="sdk-notice" role="status" aria-label="SDK update">
			<h2>Update the Vantage SDK</h2>
			<p>
				Some of this game's servers run SDK {old.join(", ")}; the latest is {props.sdk.latest}. Update the SDK in the
				game and publish it: new servers start with the new version, and this notice goes once no server has sent the
				old one for a day. The changelog lists what changed.
			</p>
		</section>
	);
}

/**
 * Running experiments that harm a guardrail metric (a significant always-valid change in its bad direction): each
 * said in words with a link to its results. Nothing when there is none, or when the alerts cannot be read.
 */
function GuardrailNotice(props: { game: string }) {
	const answer = useApi<[ExperimentAlerts]>([`/v1/admin/games/${encodeURIComponent(props.game)}/experiment-alerts`]);
	if (answer.status !== "done" || answer.data[0].alerts.length === 0) return null;
	const alerts = answer.data[0].alerts;
	return (
		<section class="guardrail-notice" role="alert" aria-labelledby="guardrail-notice-title">
			<h2 id="guardrail-notice-title">Guardrail regression{alerts.length === 1 ? "" : "s"} in running experiments</h2>
			<ul>
				{alerts.map((a) => (
					<li key={`${a.experiment}-${a.metric}-${a.variation}`} data-experiment={a.experiment}>
						<a
							href={`/?page=experiments&game=${encodeURIComponent(props.game)}&experiment=${encodeURIComponent(a.experiment)}`}
						>
							{a.experiment}
						</a>
						: {alertText(a)}
					</li>
				))}
			</ul>
		</section>
	);
}

/** What to do when the range has no player: usually the SDK is not sending yet. */
function NoPlayers(props: { game: string }) {
	return (
		<Empty title="No players in this date range">
			<p>
				No sessions yet for game {props.game}: call <code>Vantage.start</code> in a server Script and play the game.
			</p>
			<ol>
				<li>
					Start the SDK from a server Script: <code>Vantage.start({`{ endpoint: "${location.origin}" }`})</code>.
				</li>
				<li>
					Store the game key as the experience secret <code>vantage_game_key</code> (an owner creates one with{" "}
					<code>npm run vantage -- keys create --game {props.game}</code>).
				</li>
				<li>Allow HTTP requests (Game Settings → Security) and play: events show here within seconds.</li>
			</ol>
			<p>Or pick a longer date range above.</p>
		</Empty>
	);
}
