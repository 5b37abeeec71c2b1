// The dashboard's pages. The navigation lists exactly these, so a page appears once it works; issue 11 still plans
// Retention, Funnels, Revenue, Economy, Progression, Trends, Live, Players, Experiments, Flags and Settings.
// Adding one: a component taking PageProps in pages/<id>.tsx, then an entry below.
import type { FunctionComponent } from "preact";
import type { DateRange } from "../dates.js";
import type { PageSession, Role } from "../session.js";
import type { ViewState } from "../url-state.js";
import { OverviewPage } from "./overview.js";

export interface PageProps {
	/** The whole view (URL state); `state.game` is set. */
	state: ViewState & { game: string };
	/** The dates the view covers, resolved in the game's time zone. */
	range: DateRange;
	/** Changes the view (and the URL). */
	navigate: (next: ViewState) => void;
	session: PageSession;
}

export interface PageDef {
	id: string;
	/** Navigation label and page title. */
	label: string;
	/** Whether the date range and segment pickers apply (analytics pages). */
	analytics: boolean;
	/** Least role that sees the page (the API enforces the same). @default "viewer" */
	role?: Role;
	component: FunctionComponent<PageProps>;
}

export const PAGES: readonly PageDef[] = [
	{ id: "overview", label: "Overview", analytics: true, component: OverviewPage },
];
