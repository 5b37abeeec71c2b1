// The dashboard's shell: top bar (game, theme, account), navigation, the shared pickers and the current page. The view
// state is the URL query; links are real links (open in a new tab, copy, share) that navigate without a reload.
import { useEffect, useState } from "preact/hooks";
import type { GameSettingsAnswer, GamesAnswer } from "./api-types.js";
import { GamePicker, RangePicker, SegmentPicker, ThemePicker } from "./components/controls.js";
import { Empty, Failed, Loading } from "./components/states.js";
import { todayIn } from "./dates.js";
import { PAGES } from "./pages/index.js";
import { GamesSection } from "./pages/settings.js";
import { roleAllows, type PageSession } from "./session.js";
import { formatViewState, parseViewState, resolveRange, type ViewState } from "./url-state.js";
import { useApi } from "./use-api.js";

function useViewState(): [ViewState, (next: ViewState, options?: { replace?: boolean }) => void] {
	const [state, setState] = useState(() => parseViewState(location.search));
	useEffect(() => {
		const onPop = () => setState(parseViewState(location.search));
		addEventListener("popstate", onPop);
		return () => removeEventListener("popstate", onPop);
	}, []);
	const navigate = (next: ViewState, options: { replace?: boolean } = {}) => {
		const url = `/${formatViewState(next)}`;
		if (options.replace) history.replaceState(null, "", url);
		else history.pushState(null, "", url);
		setState(parseViewState(formatViewState(next)));
	};
	return [state, navigate];
}

export function App(props: { session: PageSession }) {
	const [state, navigate] = useViewState();
	const games = useApi<[GamesAnswer]>(["/v1/admin/games"]);
	const gameList = games.status === "done" ? games.data[0].games : undefined;
	// No game in the URL (or one that is gone, or not shared with this user): the first game, without a history entry.
	const game = gameList?.some((g) => g.id === state.game) ? state.game : gameList?.[0]?.id;
	// Roles are per game: the pages see the role on the game shown now.
	const session = { ...props.session, role: gameList?.find((g) => g.id === game)?.role ?? props.session.role };
	useEffect(() => {
		if (game !== undefined && game !== state.game) navigate({ ...state, game }, { replace: true });
	});
	const settings = useApi<[GameSettingsAnswer]>(game ? [`/v1/admin/games/${encodeURIComponent(game)}/settings`] : null);
	const pages = PAGES.filter((p) => roleAllows(session.role, p.role ?? "viewer"));
	const page = pages.find((p) => p.id === state.page);
	const today = settings.status === "done" ? todayIn(settings.data[0].timeZone) : undefined;
	useEffect(() => {
		document.title = `${page?.label ?? "Not found"} · Vantage`;
	}, [page]);

	const link = (next: ViewState) => ({
		href: `/${formatViewState(next)}`,
		onClick: (e: MouseEvent) => {
			// Let the browser handle new-tab and new-window clicks.
			if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
			e.preventDefault();
			navigate(next);
		},
	});

	let body;
	if (games.status === "loading") body = <Loading label="Loading your games…" />;
	else if (games.status === "failed") body = <Failed what="the games" error={games.error} onRetry={games.retry} />;
	else if (!game) body = <NoGames owner={session.admin} />;
	else if (!page) body = <Empty title="No such page">{<p>Pick a page from the navigation.</p>}</Empty>;
	else if (settings.status === "failed")
		body = <Failed what="the game's settings" error={settings.error} onRetry={settings.retry} />;
	else if (!today) body = <Loading label="Loading the game…" />;
	else {
		const Page = page.component;
		body = <Page state={{ ...state, game }} range={resolveRange(state, today)} navigate={navigate} session={session} />;
	}

	return (
		<div class="app">
			<a class="skip-link" href="#main">
				Skip to content
			</a>
			<header class="topbar">
				<a class="brand" {...link({ ...state, page: "overview" })}>
					Vantage
				</a>
				{gameList && game ? <GamePicker games={gameList} state={{ ...state, game }} onChange={navigate} /> : null}
				<div class="topbar-end">
					<ThemePicker />
					<span class="user" title={session.email}>
						{session.email} <span class="role">{session.admin ? "admin" : session.role}</span>
					</span>
					<form method="post" action="/logout">
						<input type="hidden" name="csrf" value={session.csrfToken} />
						<button type="submit">Sign out</button>
					</form>
				</div>
			</header>
			<nav class="nav" aria-label="Pages">
				<ul>
					{pages.map((p) => (
						<li key={p.id}>
							<a {...link({ ...state, page: p.id })} aria-current={p.id === page?.id ? "page" : undefined}>
								{p.label}
							</a>
						</li>
					))}
				</ul>
			</nav>
			{page?.analytics && today && game ? (
				<div class="toolbar" role="group" aria-label="Date range and segments">
					<RangePicker state={state} today={today} onChange={navigate} />
					<SegmentPicker state={{ ...state, game }} onChange={navigate} />
				</div>
			) : null}
			<main id="main" tabIndex={-1}>
				{body}
			</main>
		</div>
	);
}

function NoGames(props: { owner: boolean }) {
	return (
		<>
			<Empty title="No games yet">
				{props.owner ? (
					<p>
						A game appears here once it exists: add it below, then create its key in its settings, or on the backend
						machine run <code>npm run vantage -- keys create --game &lt;universeId&gt;</code>. Then add the SDK to the
						game.
					</p>
				) : (
					<p>
						You have no role on any game yet: an admin, or the owner of a game, adds you to it (Settings, Members), or
						on the backend machine runs{" "}
						<code>npm run vantage -- users grant --email &lt;you&gt; --game &lt;id&gt; --role viewer</code>.
					</p>
				)}
			</Empty>
			{props.owner ? <GamesSection owner current="" /> : null}
		</>
	);
}
