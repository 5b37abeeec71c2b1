// Live: the game's events as ingest stores them, through one server-sent-events stream (EventSource to the same origin,
// which the CSP's connect-src 'self' allows; the session cookie authenticates it). A rolling list of the newest events,
// pause and resume, a filter by type and name (the server filters, so a quiet event is not drowned by busy ones) and
// the events received per second over the last minute.
import { useEffect, useMemo, useState } from "preact/hooks";
import { getJson } from "../api.js";
import type { PageProps } from "./index.js";
import {
	EVENT_TYPES,
	MAX_ROWS,
	RATE_SECONDS,
	addEvents,
	formatClock,
	keyProps,
	liveUrl,
	parseLiveMessage,
	playerLabel,
	rateSeries,
	rateSummary,
	recordArrivals,
	sparklinePoints,
	type ApiEvent,
	type LiveFilter,
} from "./live-data.js";
import { usePageParams } from "./page-params.js";

type Connection =
	{ state: "connecting" } | { state: "live" } | { state: "reconnecting" } | { state: "ended"; message: string };

const FILTER_DEFAULTS = { type: "", name: "" };

export function LivePage({ state }: PageProps) {
	const game = state.game;
	const [filter, setFilter] = usePageParams<LiveFilter>(FILTER_DEFAULTS);
	const [connection, setConnection] = useState<Connection>({ state: "connecting" });
	const [events, setEvents] = useState<ApiEvent[]>([]);
	const [received, setReceived] = useState(0);
	const [counts, setCounts] = useState<ReadonlyMap<number, number>>(new Map());
	const [now, setNow] = useState(Date.now());
	const [paused, setPaused] = useState<{ rows: ApiEvent[]; at: number } | undefined>(undefined);
	const [attempt, setAttempt] = useState(0);

	// One stream per game and filter; a new filter starts a fresh list and rate.
	const url = liveUrl(game, filter);
	useEffect(() => {
		setEvents([]);
		setReceived(0);
		setCounts(new Map());
		setConnection({ state: "connecting" });
		const source = new EventSource(url);
		source.addEventListener("ready", () => setConnection({ state: "live" }));
		source.addEventListener("events", (e) => {
			const message = parseLiveMessage((e as MessageEvent<string>).data);
			if (!message) return;
			const arrived = message.events.length + message.dropped;
			setEvents((list) => addEvents(list, message.events));
			setReceived((n) => n + arrived);
			setCounts((c) => recordArrivals(c, Date.now(), arrived));
		});
		source.addEventListener("end", () => {
			// The server ended it (session over, shutdown): EventSource would reconnect; a refused one stops it.
			setConnection({ state: "reconnecting" });
		});
		source.onerror = () => {
			if (source.readyState === EventSource.CONNECTING) {
				setConnection({ state: "reconnecting" });
				return;
			}
			// Closed for good: the connection was refused (signed out, role, too many streams). A plain request tells
			// which, and sends a signed-out user to the login form.
			setConnection({ state: "ended", message: "The live stream was refused." });
			getJson("/v1/admin/me").then(
				() =>
					setConnection({
						state: "ended",
						message: "The server refused the live stream (too many open streams, or your role changed).",
					}),
				() => undefined,
			);
		};
		return () => source.close();
	}, [url, attempt]);

	// The sparkline moves on every second even when nothing arrives.
	useEffect(() => {
		const timer = setInterval(() => setNow(Date.now()), 1000);
		return () => clearInterval(timer);
	}, []);

	const series = useMemo(() => rateSeries(counts, now), [counts, now]);
	const rows = paused ? paused.rows : events;
	const heldBack = paused ? received - paused.at : 0;

	return (
		<div class="admin-page live-page">
			<header class="page-head">
				<h1>Live events</h1>
				<p class="muted">
					Events of game {game} as the backend stores them: the newest {MAX_ROWS}, newest first. Times are on your
					clock.
				</p>
			</header>
			<section class="panel live-controls" aria-label="Stream controls">
				<ConnectionStatus connection={connection} onRetry={() => setAttempt((n) => n + 1)} />
				<FilterForm filter={filter} onApply={(next) => setFilter(next)} />
				<button
					type="button"
					aria-pressed={paused !== undefined}
					onClick={() => setPaused(paused ? undefined : { rows: events, at: received })}
				>
					{paused ? "Resume" : "Pause"}
				</button>
				{paused ? (
					<p class="muted small live-held" role="status">
						Paused: {heldBack} new event{heldBack === 1 ? "" : "s"} since.
					</p>
				) : null}
			</section>
			<section class="panel live-rate" aria-labelledby="live-rate-title">
				<h2 id="live-rate-title">Events received per second, last {RATE_SECONDS} s</h2>
				<Sparkline series={series} />
				<p class="muted small">{rateSummary(series)}</p>
			</section>
			<section class="panel" aria-labelledby="live-list-title">
				<h2 id="live-list-title">
					Newest events{filter.type || filter.name ? " (filtered)" : ""}{" "}
					<span class="muted small">{received} received since the stream opened</span>
				</h2>
				{rows.length === 0 ? (
					<p class="muted live-empty">
						{connection.state === "live"
							? "Waiting for events: they appear here within seconds of the game sending them."
							: "No events yet."}
					</p>
				) : (
					<div class="table-scroll">
						<table class="data-table live-table">
							<thead>
								<tr>
									<th scope="col">Time</th>
									<th scope="col">Type</th>
									<th scope="col">Name</th>
									<th scope="col">Player</th>
									<th scope="col">Key props</th>
								</tr>
							</thead>
							<tbody>
								{rows.map((e) => (
									<tr key={e.id} data-event-id={e.id}>
										<td class="nowrap">
											<time dateTime={new Date(e.time).toISOString()}>{formatClock(e.time)}</time>
										</td>
										<td>{e.type}</td>
										<td class="break">{e.name}</td>
										<td>{e.userId === 0 ? playerLabel(0) : <PlayerLink game={game} userId={e.userId} />}</td>
										<td class="break mono small">{keyProps(e.props)}</td>
									</tr>
								))}
							</tbody>
						</table>
					</div>
				)}
			</section>
		</div>
	);
}

function ConnectionStatus(props: { connection: Connection; onRetry: () => void }) {
	const { connection } = props;
	const text =
		connection.state === "live"
			? "Live"
			: connection.state === "connecting"
				? "Connecting…"
				: connection.state === "reconnecting"
					? "Reconnecting…"
					: connection.message;
	return (
		<div class="live-status">
			<p role="status" class={`live-dot live-${connection.state}`}>
				{text}
			</p>
			{connection.state === "ended" ? (
				<button type="button" onClick={props.onRetry}>
					Reconnect
				</button>
			) : null}
		</div>
	);
}

function FilterForm(props: { filter: LiveFilter; onApply: (filter: LiveFilter) => void }) {
	const [type, setType] = useState(props.filter.type);
	const [name, setName] = useState(props.filter.name);
	// Back and Forward may bring another filter.
	useEffect(() => {
		setType(props.filter.type);
		setName(props.filter.name);
	}, [props.filter.type, props.filter.name]);
	return (
		<form
			class="live-filter"
			aria-label="Filter the stream"
			onSubmit={(e) => {
				e.preventDefault();
				props.onApply({ type, name: name.trim() });
			}}
		>
			<div class="field">
				<label for="live-type">Type</label>
				<select id="live-type" value={type} onChange={(e) => setType(e.currentTarget.value)}>
					<option value="">All types</option>
					{EVENT_TYPES.map((t) => (
						<option key={t} value={t}>
							{t}
						</option>
					))}
				</select>
			</div>
			<div class="field">
				<label for="live-name">Name (exact)</label>
				<input
					id="live-name"
					value={name}
					maxLength={128}
					placeholder="any"
					size={14}
					onInput={(e) => setName(e.currentTarget.value)}
				/>
			</div>
			<button type="submit">Apply filter</button>
			{props.filter.type || props.filter.name ? (
				<button type="button" onClick={() => props.onApply({ type: "", name: "" })}>
					Clear filter
				</button>
			) : null}
		</form>
	);
}

const SPARK_WIDTH = 600;
const SPARK_HEIGHT = 48;

/** An SVG sparkline: no canvas and no inline style, so it needs nothing from the CSP; named in words. */
function Sparkline(props: { series: number[] }) {
	const points = sparklinePoints(props.series, SPARK_WIDTH, SPARK_HEIGHT);
	return (
		<svg
			class="live-spark"
			viewBox={`0 -2 ${SPARK_WIDTH} ${SPARK_HEIGHT + 4}`}
			preserveAspectRatio="none"
			role="img"
			aria-label={`Events received per second: ${rateSummary(props.series)}`}
		>
			<polyline points={points} />
		</svg>
	);
}

/** The player's lookup, as a link (opens in a new tab too); a plain click switches page without a reload. */
export function PlayerLink(props: { game: string; userId: number }) {
	const href = `/?page=players&game=${encodeURIComponent(props.game)}&user=${props.userId}`;
	return (
		<a
			href={href}
			aria-label={`Look up player ${props.userId}`}
			onClick={(e) => {
				if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
				e.preventDefault();
				history.pushState(null, "", href);
				// The shell follows the URL on popstate, as for Back and Forward.
				dispatchEvent(new PopStateEvent("popstate"));
			}}
		>
			{props.userId}
		</a>
	);
}
