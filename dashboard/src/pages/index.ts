// The dashboard's pages. The navigation lists exactly these (those the signed-in role may see), in this order.
// Adding one: a component taking PageProps in pages/<id>.tsx, then an entry below.
import type { FunctionComponent } from "preact";
import type { DateRange } from "../dates.js";
import type { PageSession, Role } from "../session.js";
import type { ViewState } from "../url-state.js";
import { OverviewPage } from "./overview.js";
import { EconomyPage } from "./economy.js";
import { FunnelsPage } from "./funnels.js";
import { ProgressionPage } from "./progression.js";
import { RetentionPage } from "./retention.js";
import { RevenuePage } from "./revenue.js";
import { TrendsPage } from "./trends.js";
import { ExperimentsPage } from "./experiments.js";
import { FlagsPage } from "./flags.js";
import { LayersPage } from "./layers.js";
import { MetricLibraryPage } from "./metric-library.js";
import { PredictionsPage } from "./predictions.js";
import { LivePage } from "./live.js";
import { PlayersPage } from "./players.js";
import { SettingsPage } from "./settings.js";

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
	{ id: "retention", label: "Retention", analytics: true, component: RetentionPage },
	{ id: "funnels", label: "Funnels", analytics: true, component: FunnelsPage },
	{ id: "revenue", label: "Revenue", analytics: true, component: RevenuePage },
	{ id: "economy", label: "Economy", analytics: true, component: EconomyPage },
	{ id: "progression", label: "Progression", analytics: true, component: ProgressionPage },
	{ id: "trends", label: "Trends & KPIs", analytics: true, component: TrendsPage },
	// Live reads raw events: analysts and owners. Players is listed for viewers too, and tells them why it is not theirs.
	{ id: "live", label: "Live", analytics: false, role: "analyst", component: LivePage },
	{ id: "players", label: "Players", analytics: false, component: PlayersPage },
	// Viewers read experiments and flags; the pages offer writes to analysts and owners only, as the API allows.
	{ id: "experiments", label: "Experiments", analytics: false, component: ExperimentsPage },
	{ id: "flags", label: "Flags", analytics: false, component: FlagsPage },
	{ id: "layers", label: "Layers & holdout", analytics: false, component: LayersPage },
	{ id: "metric-library", label: "Metric library", analytics: false, component: MetricLibraryPage },
	{ id: "predictions", label: "Predictions", analytics: false, component: PredictionsPage },
	{ id: "settings", label: "Settings", analytics: false, component: SettingsPage },
];
