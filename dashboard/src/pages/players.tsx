// Players: look one player up by Roblox user id and read their timeline: when they were first and last seen, where and
// on what they play, what they bought, which experiment variants they got, and every session with its events in
// order. Read from the raw events API (page by page), which only analysts and owners may read; a viewer is told so.
import { useEffect, useState } from "preact/hooks";
import { getJson } from "../api.js";
import { Empty, Failed, Loading } from "../components/states.js";
import { formatDuration } from "../format.js";
import { roleAllows } from "../session.js";
import type { PageProps } from "./index.js";
import { formatClock, keyProps, type ApiEvent } from "./live-data.js";
import { usePageParams } from "./page-params.js";
import {
	DEFAULT_WINDOW,
	MAX_PAGES,
	WINDOWS,
	buildTimeline,
	formatWhen,
	isLookupWindow,
	parseUserId,
	playerEventsUrl,
	type LookupWindow,
	type PlayerSession,
	type PlayerTimeline,
} from "./players-data.js";

/** The page's own URL parameters: the player searched for and the period read. */
const PARAM_DEFAULTS: { user: string; period: string } = { user: "", period: DEFAULT_WINDOW };

/** Events shown per session before "show all" (a long session can hold thousands). */
const SESSION_ROWS = 200;

type Lookup =
	| { status: "idle" }
	| { status: "loading"; loaded: number }
	| { status: "failed"; error: unknown }
	| { status: "done"; timeline: PlayerTimeline; truncated: boolean };

export function PlayersPage({ state, session }: PageProps) {
	return (
		<div class="admin-page players-page">
			{roleAllows(session.role, "analyst") ? <PlayerLookup game={state.game} /> : <NotAllowed />}
		</div>
	);
}

function NotAllowed() {
	return (
		<>
			<header class="page-head">
				<h1>Players</h1>
			</header>
			<Empty title="Player lookup needs the analyst role">
				<p>
					A player's timeline is read from the raw events the game sent, which only analysts and owners may see. Your
					account is a viewer: it sees the dashboards' totals, never one player's events.
				</p>
				<p>Ask an owner of this Vantage to give you the analyst role if your work needs it.</p>
			</Empty>
		</>
	);
}

function PlayerLookup(props: { game: string }) {
	const { game } = props;
	const [params, setParams] = usePageParams(PARAM_DEFAULTS);
	const period: LookupWindow = isLookupWindow(params.period) ? params.period : DEFAULT_WINDOW;
	const parsed = params.user ? parseUserId(params.user) : undefined;
	const userId = parsed && "userId" in parsed ? parsed.userId : undefined;
	const [lookup, setLookup] = useState<Lookup>({ status: "idle" });
	const [attempt, setAttempt] = useState(0);

	// Every page of the player's events in the window (up to MAX_PAGES), then the timeline.
	useEffect(() => {
		if (userId === undefined) {
			setLookup({ status: "idle" });
			return;
		}
		const abort = new AbortController();
		const now = Date.now();
		setLookup({ status: "loading", loaded: 0 });
		(async () => {
			const events: ApiEvent[] = [];
			let after: string | undefined;
			let pages = 0;
			let truncated = false;
			for (;;) {
				const page = await getJson<{ events: ApiEvent[]; next: string | null }>(
					playerEventsUrl(game, userId, period, now, after),
					abort.signal,
				);
				events.push(...page.events);
				pages += 1;
				if (abort.signal.aborted) return;
				setLookup({ status: "loading", loaded: events.length });
				if (page.next === null) break;
				if (pages >= MAX_PAGES) {
					truncated = true;
					break;
				}
				after = page.next;
			}
			setLookup({ status: "done", timeline: buildTimeline(userId, events), truncated });
		})().catch((error: unknown) => {
			if (!abort.signal.aborted) setLookup({ status: "failed", error });
		});
		return () => abort.abort();
	}, [game, userId, period, attempt]);

	const windowLabel = WINDOWS.find((w) => w.value === period)?.label.toLowerCase() ?? "";
	return (
		<>
			<header class="page-head">
				<h1>Players</h1>
				<p class="muted">One player's sessions, purchases and experiment variants, from the events the game sent.</p>
			</header>
			<SearchForm
				user={params.user}
				period={period}
				onSearch={(user, nextPeriod) => setParams({ user, period: nextPeriod })}
			/>
			{parsed && "error" in parsed ? (
				<p class="state state-error" role="alert">
					{parsed.error}
				</p>
			) : null}
			{lookup.status === "loading" ? (
				<Loading
					label={`Reading player ${userId}'s events… ${lookup.loaded > 0 ? `${lookup.loaded} so far` : ""}`.trim()}
				/>
			) : null}
			{lookup.status === "failed" ? (
				<Failed what="the player's events" error={lookup.error} onRetry={() => setAttempt((n) => n + 1)} />
			) : null}
			{lookup.status === "done" && lookup.timeline.eventCount === 0 ? (
				<Empty title={`No events of player ${lookup.timeline.userId}`}>
					<p>
						Game {game} stored no event of this player in the {windowLabel}. Check the user id, or pick a longer period.
					</p>
				</Empty>
			) : null}
			{lookup.status === "done" && lookup.timeline.eventCount > 0 ? (
				<Timeline timeline={lookup.timeline} truncated={lookup.truncated} windowLabel={windowLabel} />
			) : null}
		</>
	);
}

function SearchForm(props: {
	user: string;
	period: LookupWindow;
	onSearch: (user: string, period: LookupWindow) => void;
}) {
	const [user, setUser] = useState(props.user);
	const [period, setPeriod] = useState<LookupWindow>(props.period);
	useEffect(() => {
		setUser(props.user);
		setPeriod(props.period);
	}, [props.user, props.period]);
	return (
		<form
			class="panel player-search"
			role="search"
			aria-label="Look up a player"
			onSubmit={(e) => {
				e.preventDefault();
				props.onSearch(user.trim(), period);
			}}
		>
			<div class="field">
				<label for="player-id">Roblox user id</label>
				<input
					id="player-id"
					value={user}
					inputMode="numeric"
					autoComplete="off"
					maxLength={16}
					placeholder="e.g. 1818"
					onInput={(e) => setUser(e.currentTarget.value)}
				/>
			</div>
			<div class="field">
				<label for="player-window">Period</label>
				<select
					id="player-window"
					value={period}
					onChange={(e) => {
						const value = e.currentTarget.value;
						if (isLookupWindow(value)) setPeriod(value);
					}}
				>
					{WINDOWS.map((w) => (
						<option key={w.value} value={w.value}>
							{w.label}
						</option>
					))}
				</select>
			</div>
			<button type="submit">Look up</button>
		</form>
	);
}

function Timeline(props: { timeline: PlayerTimeline; truncated: boolean; windowLabel: string }) {
	const { timeline: t } = props;
	const facts: [string, string][] = [
		["First seen", t.firstSeen === null ? "—" : formatWhen(t.firstSeen)],
		["Last seen", t.lastSeen === null ? "—" : formatWhen(t.lastSeen)],
		["Sessions", String(t.sessions.filter((s) => s.id !== "").length)],
		["Events", String(t.eventCount)],
		["Country", t.country ?? "unknown"],
		["Platform", t.platform ?? "unknown"],
		["Locale", t.locale ?? "unknown"],
		["Premium", t.premium === undefined ? "unknown" : t.premium ? "yes" : "no"],
		["Robux spent", `R$ ${t.robuxSpent}`],
	];
	return (
		<>
			<section class="panel player-summary" aria-labelledby="player-title">
				<h2 id="player-title">Player {t.userId}</h2>
				<p class="muted small">
					In the {props.windowLabel}; times on your clock.
					{props.truncated
						? ` Only the first ${t.eventCount} events were read: pick a shorter period to see the latest.`
						: ""}
				</p>
				<dl class="facts">
					{facts.map(([term, value]) => (
						<div key={term}>
							<dt>{term}</dt>
							<dd>{value}</dd>
						</div>
					))}
				</dl>
			</section>
			<div class="player-columns">
				<section class="panel" aria-labelledby="player-variants">
					<h2 id="player-variants">Experiment variants</h2>
					{t.variants.length === 0 ? (
						<p class="muted">Not in any experiment in this period.</p>
					) : (
						<ul class="plain-list">
							{t.variants.map((v) => (
								<li key={v.experiment}>
									<strong>{v.experiment}</strong>: {v.variations.join(", then ")}{" "}
									<span class="muted small">(first {formatWhen(v.firstExposed)})</span>
								</li>
							))}
						</ul>
					)}
				</section>
				<section class="panel" aria-labelledby="player-purchases">
					<h2 id="player-purchases">Purchases</h2>
					{t.purchases.length === 0 ? (
						<p class="muted">No purchase in this period.</p>
					) : (
						<div class="table-scroll">
							<table class="data-table">
								<thead>
									<tr>
										<th scope="col">When</th>
										<th scope="col">What</th>
										<th scope="col">Product</th>
										<th scope="col" class="num">
											Robux
										</th>
									</tr>
								</thead>
								<tbody>
									{t.purchases.map((p) => (
										<tr key={p.id}>
											<td class="nowrap">{formatWhen(p.time)}</td>
											<td>{p.name}</td>
											<td>{p.productId ?? "—"}</td>
											<td class="num">{p.robux ?? "—"}</td>
										</tr>
									))}
								</tbody>
							</table>
						</div>
					)}
				</section>
			</div>
			<section aria-labelledby="player-sessions">
				<h2 id="player-sessions" class="section-title">
					Sessions, newest first
				</h2>
				{t.sessions.map((s, i) => (
					<SessionCard key={s.id || "none"} session={s} open={i === 0} />
				))}
			</section>
		</>
	);
}

function SessionCard(props: { session: PlayerSession; open: boolean }) {
	const { session: s } = props;
	const [all, setAll] = useState(false);
	const rows = all ? s.events : s.events.slice(0, SESSION_ROWS);
	const length = s.seconds === null ? "length unknown" : formatDuration(s.seconds);
	const title =
		s.id === ""
			? "Outside a session"
			: `${formatWhen(s.start)} · ${length}${s.ended ? "" : " (no session end yet)"}${s.platform ? ` · ${s.platform}` : ""}`;
	return (
		<details class="panel session" open={props.open} data-session-id={s.id}>
			<summary>
				<span class="session-title">{title}</span>{" "}
				<span class="muted small">
					{s.events.length} event{s.events.length === 1 ? "" : "s"}
				</span>
			</summary>
			<div class="table-scroll">
				<table class="data-table">
					<thead>
						<tr>
							<th scope="col">Time</th>
							<th scope="col">Type</th>
							<th scope="col">Name</th>
							<th scope="col">Props</th>
						</tr>
					</thead>
					<tbody>
						{rows.map((e) => (
							<tr key={e.id}>
								<td class="nowrap">
									<time dateTime={new Date(e.time).toISOString()}>{formatClock(e.time)}</time>
								</td>
								<td>{e.type}</td>
								<td class="break">{e.name}</td>
								<td class="break mono small">{keyProps(e.props, 6)}</td>
							</tr>
						))}
					</tbody>
				</table>
			</div>
			{rows.length < s.events.length ? (
				<button type="button" onClick={() => setAll(true)}>
					Show all {s.events.length} events
				</button>
			) : null}
		</details>
	);
}
