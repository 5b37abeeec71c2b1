// Experiments: the list (status, variations, start, exposed players; start and stop), the create and edit form with
// its power calculator and assignment preview, and each experiment's results. Which of them shows lives in the URL's
// query (experiment=<key>, action=new|edit), so each is a link and Back returns to the last one. Viewers see
// everything read-only; analysts and owners also write, as the API allows (server/experiments/admin-routes.ts).
import { useEffect, useRef, useState } from "preact/hooks";
import { todayIn } from "../dates.js";
import { roleAllows } from "../session.js";
import type { PageProps } from "./index.js";
import { experimentsViewSearch, parseExperimentsView, type ExperimentsView } from "./experiments-data.js";
import { ExperimentForm } from "./experiments-form.js";
import type { ExperimentsPageContext } from "./experiments-view.js";
import { ExperimentList } from "./experiments-list.js";
import { ExperimentResultsView } from "./experiments-results.js";

/** The view in the query, kept in step with Back/Forward and with the shell's links (which leave it out). */
function useExperimentsView(): [ExperimentsView, (next: ExperimentsView) => void] {
	const [, setTick] = useState(0);
	useEffect(() => {
		const update = () => setTick((n) => n + 1);
		addEventListener("popstate", update);
		return () => removeEventListener("popstate", update);
	}, []);
	// Read on every render: the shell's own navigation (pushState) changes the URL too.
	const view = parseExperimentsView(location.search);
	const go = (next: ExperimentsView) => {
		history.pushState(null, "", `${location.pathname}${experimentsViewSearch(location.search, next)}`);
		setTick((n) => n + 1);
	};
	return [view, go];
}

export function ExperimentsPage({ state, session, range }: PageProps) {
	const [view, go] = useExperimentsView();
	const ctx: ExperimentsPageContext = {
		game: state.game,
		canWrite: roleAllows(session.role, "analyst"),
		csrfToken: session.csrfToken,
		go,
		href: (next) => `${location.pathname}${experimentsViewSearch(location.search, next)}`,
		moved: false,
		// A preset range ends on the game's today; a custom one may not.
		today: state.custom ? todayIn("UTC") : range.to,
	};
	// After a move between views (not on the page's first view), the new view's heading takes the focus.
	const viewKey = experimentsViewSearch("", view);
	const firstView = useRef(viewKey);
	if (viewKey !== firstView.current) ctx.moved = true;

	let body;
	if (view.view === "results") body = <ExperimentResultsView ctx={ctx} experimentKey={view.key} />;
	else if (view.view === "new" && ctx.canWrite) body = <ExperimentForm ctx={ctx} />;
	else if (view.view === "edit" && ctx.canWrite) body = <ExperimentForm ctx={ctx} experimentKey={view.key} />;
	else body = <ExperimentList ctx={ctx} />;
	return (
		<div class="experiments" key={`${state.game}${viewKey}`}>
			{body}
		</div>
	);
}
