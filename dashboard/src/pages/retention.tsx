// Retention: of the players who first played on a day (an install cohort), how many came back on day N after it —
// classic (on day N exactly) or rolling (on day N or any later day). The average curve by day N, then the cohort ×
// day heatmap as a table; with a breakdown, one curve per segment and the heatmap of the segment chosen.
import { useEffect, useMemo, useState } from "preact/hooks";
import type { Retention } from "../analytics-types.js";
import { Empty, Failed, Loading } from "../components/states.js";
import { HeatTable } from "../components/heat-table.js";
import { Plot, type PlotAxis } from "../components/plot.js";
import { formatValue } from "../format.js";
import { useApi } from "../use-api.js";
import { csvPath, HiddenNote, jsonPath, Panel, SegmentChooser, usesNewVsReturning } from "./analytics-parts.js";
import type { PageProps } from "./index.js";
import { usePageParams } from "./page-params.js";
import {
	answerDays,
	DAY_PRESETS,
	DEFAULT_DAYS,
	dayColumns,
	formatDaySet,
	hasCohorts,
	parseDaySet,
	retentionCurve,
	retentionRows,
} from "./retention-data.js";
import { pickSegment } from "./segments-data.js";

const formatRate = (value: number) => formatValue(value, "ratio");
const DAY_AXIS: PlotAxis = { kind: "number", title: "Days after install", format: (d) => `day ${d}` };
const DEFAULTS = { mode: "classic", days: DEFAULT_DAYS, segment: "" };

export function RetentionPage({ state, range }: PageProps) {
	const [params, setParams] = usePageParams(DEFAULTS);
	const mode = params.mode === "rolling" ? "rolling" : "classic";
	const parsed = parseDaySet(params.days);
	const days = typeof parsed === "string" ? DEFAULT_DAYS : formatDaySet(parsed);
	const unsupported = usesNewVsReturning(state);
	const query = { mode, days };
	const answer = useApi<[Retention]>(unsupported ? null : [jsonPath(state, range, "retention", query)]);
	const data = answer.status === "done" ? answer.data[0] : undefined;
	const curve = useMemo(() => data && retentionCurve(data), [data]);
	const shown = data && pickSegment(data.segments, params.segment, (s) => s.players);
	const rows = useMemo(() => shown && retentionRows(shown), [shown]);
	const modeText = mode === "classic" ? "active on day N" : "active on day N or later";

	return (
		<div class="analytics">
			<header class="page-head">
				<h1>Retention</h1>
				<p class="muted">
					Of the players whose first day falls in the range (an install cohort), the share {modeText}.
				</p>
			</header>
			<RetentionOptions
				mode={mode}
				days={days}
				onMode={(next) => setParams({ mode: next })}
				onDays={(next) => setParams({ days: next })}
			/>
			{unsupported ? (
				<Empty title="Retention has no new vs returning split">
					<p>
						Every player is new on the day of their first event, so install cohorts cannot be split by new vs returning.
						Pick another breakdown or remove that filter.
					</p>
				</Empty>
			) : answer.status === "loading" ? (
				<Loading label="Loading retention…" />
			) : answer.status === "failed" ? (
				<Failed what="retention" error={answer.error} onRetry={answer.retry} />
			) : data && !hasCohorts(data) ? (
				<Empty title="No new players in this date range">
					<p>
						Retention follows players from the day of their first event. None started in these dates: call{" "}
						<code>Vantage.start</code> in a server Script so players' sessions are tracked, or pick a longer date range
						above.
					</p>
				</Empty>
			) : data && curve && shown && rows ? (
				<>
					<Panel
						id="retention-curve"
						title={`Average retention by day N${state.breakdown ? ` by ${state.breakdown}` : ""}`}
						csv={{ href: csvPath(state, range, "retention", { ...query, table: "average" }), what: "retention curve" }}
					>
						<Plot
							label={`Average ${mode} retention by day after install`}
							data={curve}
							x={DAY_AXIS}
							format={formatRate}
							yFormat={formatRate}
						/>
						<HiddenNote hidden={curve.hidden} />
					</Panel>
					<Panel
						id="retention-cohorts"
						title="Retention by install cohort"
						csv={{ href: csvPath(state, range, "retention", query), what: "cohort retention table" }}
					>
						{state.breakdown ? (
							<SegmentChooser
								id="retention-segment"
								dimension={state.breakdown}
								segments={data.segments.map((s) => s.segment)}
								value={shown.segment}
								onChange={(segment) => setParams({ segment })}
							/>
						) : null}
						<p class="muted small">
							Each row is the players who first played that day; each cell the share {modeText}. A dash: that day has
							not ended yet.
						</p>
						<HeatTable
							caption={`${mode === "classic" ? "Classic" : "Rolling"} retention by install cohort and day after install`}
							labelHeader="Cohort"
							detailHeader="Players"
							columns={dayColumns(answerDays(data))}
							rows={rows}
						/>
					</Panel>
				</>
			) : null}
		</div>
	);
}

/** Classic or rolling, and the day numbers: a radio pair and a text field with the usual sets suggested. */
function RetentionOptions(props: {
	mode: "classic" | "rolling";
	days: string;
	onMode: (mode: "classic" | "rolling") => void;
	onDays: (days: string) => void;
}) {
	const [draft, setDraft] = useState(props.days);
	const [error, setError] = useState<string | undefined>();
	useEffect(() => {
		setDraft(props.days);
		setError(undefined);
	}, [props.days]);
	return (
		<form
			class="options"
			aria-label="Retention options"
			onSubmit={(e) => {
				e.preventDefault();
				const parsed = parseDaySet(draft);
				if (typeof parsed === "string") setError(parsed);
				else props.onDays(formatDaySet(parsed));
			}}
		>
			<fieldset class="radio-group">
				<legend>Count a player on day N when</legend>
				<label>
					<input
						type="radio"
						name="retention-mode"
						value="classic"
						checked={props.mode === "classic"}
						onChange={() => props.onMode("classic")}
					/>{" "}
					active that day (classic)
				</label>
				<label>
					<input
						type="radio"
						name="retention-mode"
						value="rolling"
						checked={props.mode === "rolling"}
						onChange={() => props.onMode("rolling")}
					/>{" "}
					active that day or later (rolling)
				</label>
			</fieldset>
			<div class="field">
				<label for="retention-days">Days after install</label>
				<input
					id="retention-days"
					value={draft}
					list="retention-day-sets"
					size={14}
					aria-invalid={error ? "true" : undefined}
					aria-describedby="retention-days-help"
					onInput={(e) => setDraft(e.currentTarget.value)}
				/>
				<datalist id="retention-day-sets">
					{DAY_PRESETS.map((p) => (
						<option key={p.value} value={p.value}>
							{p.label}
						</option>
					))}
				</datalist>
			</div>
			<button type="submit">Apply</button>
			<p
				id="retention-days-help"
				class={error ? "field-error small" : "muted small"}
				role={error ? "alert" : undefined}
			>
				{error ?? "A list and/or ranges, e.g. 1,7,30 or 0-30."}
			</p>
		</form>
	);
}
