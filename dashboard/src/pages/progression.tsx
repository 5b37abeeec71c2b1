// Progression: how players get through the game's levels, from Vantage.progression's start, complete and fail
// events — attempts per level, the completion and fail rates, attempts and time to complete.
import { useMemo } from "preact/hooks";
import type { Progression } from "../analytics-types.js";
import { Plot, type PlotAxis } from "../components/plot.js";
import { Empty, Failed, Loading } from "../components/states.js";
import { formatValue } from "../format.js";
import { useApi } from "../use-api.js";
import { csvPath, DataTable, jsonPath, Panel, SegmentChooser } from "./analytics-parts.js";
import type { PageProps } from "./index.js";
import { usePageParams } from "./page-params.js";
import {
	countsChart,
	hasLevels,
	LEVEL_COLUMNS,
	levelRows,
	MAX_LEVELS,
	progressionSize,
	ratesChart,
} from "./progression-data.js";
import { pickSegment, segmentLabel } from "./segments-data.js";

const formatCount = (value: number) => formatValue(value, "count");
const formatRate = (value: number) => formatValue(value, "ratio");
const DEFAULTS = { segment: "" };

export function ProgressionPage({ state, range }: PageProps) {
	const [params, setParams] = usePageParams(DEFAULTS);
	const answer = useApi<[Progression]>([jsonPath(state, range, "progression")]);
	const data = answer.status === "done" ? answer.data[0] : undefined;
	const shown = data && pickSegment(data.segments, params.segment, progressionSize);
	const counts = useMemo(() => shown && countsChart(shown), [shown]);
	const rates = useMemo(() => shown && ratesChart(shown), [shown]);
	const axis = useMemo<PlotAxis>(() => ({ kind: "category", title: "Level", labels: counts?.labels ?? [] }), [counts]);
	const of = shown?.segment ? `, ${segmentLabel(shown.segment)}` : "";
	const csv = (what: string) => ({ href: csvPath(state, range, "progression"), what });

	return (
		<div class="analytics">
			<header class="page-head">
				<h1>Progression</h1>
				<p class="muted">Level attempts started, completed and failed, recorded by Vantage.progression.</p>
			</header>
			{answer.status === "loading" ? <Loading label="Loading progression…" /> : null}
			{answer.status === "failed" ? <Failed what="progression" error={answer.error} onRetry={answer.retry} /> : null}
			{data && !hasLevels(data) ? (
				<Empty title="No progression events in this date range">
					<p>
						No level has been played yet: call{" "}
						<code>Vantage.progression(player, "start", {'{ "World1", "Level1" }'})</code> when a level starts, and the
						same with <code>"complete"</code> or <code>"fail"</code> when it ends. Or pick a longer date range above.
					</p>
				</Empty>
			) : null}
			{data && hasLevels(data) && shown && counts && rates ? (
				<>
					{state.breakdown ? (
						<SegmentChooser
							id="progression-segment"
							dimension={state.breakdown}
							segments={data.segments.map((s) => s.segment)}
							value={shown.segment}
							onChange={(segment) => setParams({ segment })}
						/>
					) : null}
					<Panel id="progression-counts" title={`Attempts per level${of}`} csv={csv("attempts per level chart")}>
						<Plot label="Starts, completes and fails per level" data={counts} x={axis} format={formatCount} />
						{counts.hidden > 0 ? (
							<p class="muted small">
								The first {MAX_LEVELS} levels are drawn; the table and the CSV have all {MAX_LEVELS + counts.hidden}.
							</p>
						) : null}
					</Panel>
					<Panel id="progression-rates" title={`Completion and fail rates${of}`} csv={csv("rates per level chart")}>
						<p class="muted small">Completes and fails as a share of the level's starts.</p>
						<Plot
							label="Completion and fail rate per level"
							data={rates}
							x={axis}
							format={formatRate}
							yFormat={formatRate}
						/>
					</Panel>
					<Panel id="progression-levels" title={`Levels${of}`} csv={csv("level table")}>
						<DataTable caption="Progression per level" columns={LEVEL_COLUMNS} rows={levelRows(shown)} />
					</Panel>
				</>
			) : null}
		</div>
	);
}
