// Funnels: how many players go through ordered steps — a funnel the game tracks with Vantage.funnelStep, or steps
// built here from any events — within a conversion window. Players per step as bars, then the step table: players,
// conversion, drop-off and median time to convert.
import { useEffect, useMemo, useState } from "preact/hooks";
import { metricPath } from "../api.js";
import type { EventNamesAnswer, Funnel } from "../analytics-types.js";
import { Plot, type PlotAxis } from "../components/plot.js";
import { Empty, Failed, Loading } from "../components/states.js";
import { formatDuration, formatValue } from "../format.js";
import { useApi, type Loaded } from "../use-api.js";
import {
	csvPath,
	DataTable,
	HiddenNote,
	jsonPath,
	Panel,
	SegmentChooser,
	Stats,
	usesNewVsReturning,
} from "./analytics-parts.js";
import {
	DEFAULT_WINDOW,
	FUNNEL_COLUMNS,
	funnelChart,
	funnelChoice,
	funnelQuery,
	funnelRows,
	hasEntries,
	MAX_STEPS,
	MIN_STEPS,
	stepOptions,
	WINDOW_MAX,
	WINDOW_MIN,
	type FunnelChoice,
} from "./funnels-data.js";
import type { PageProps } from "./index.js";
import { usePageParams } from "./page-params.js";
import { pickSegment } from "./segments-data.js";

const formatPlayers = (value: number) => formatValue(value, "players");
const DEFAULTS: { source: string; funnel: string; steps: readonly string[]; window: string; segment: string } = {
	source: "tracked",
	funnel: "",
	steps: [],
	window: DEFAULT_WINDOW,
	segment: "",
};

export function FunnelsPage({ state, range }: PageProps) {
	const [params, setParams] = usePageParams(DEFAULTS);
	// The pickers offer every event kind the game ever sent.
	const names = useApi<[EventNamesAnswer]>([metricPath(state.game, "event-names", {})]);
	const list = names.status === "done" ? names.data[0] : undefined;
	const choice = list ? funnelChoice(params, list) : undefined;
	const query = choice ? funnelQuery(choice, params.window) : {};
	const unsupported = usesNewVsReturning(state) && choice?.kind === "funnel";
	const ready = choice !== undefined && choice.kind !== "none" && !unsupported;
	const answer = useApi<[Funnel]>(ready ? [jsonPath(state, range, "funnel", query)] : null);

	return (
		<div class="analytics">
			<header class="page-head">
				<h1>Funnels</h1>
				<p class="muted">
					Players who did step 1 in the range, and how many went on to each next step, in order, within the conversion
					window.
				</p>
			</header>
			{names.status === "loading" ? <Loading label="Loading the game's events…" /> : null}
			{names.status === "failed" ? <Failed what="the game's events" error={names.error} onRetry={names.retry} /> : null}
			{list && choice ? (
				<>
					<FunnelForm
						list={list}
						source={params.source === "events" ? "events" : "tracked"}
						funnel={choice.kind === "funnel" ? choice.funnel : ""}
						steps={params.steps}
						window={String(query.window ?? params.window)}
						onChange={setParams}
					/>
					{unsupported ? (
						<Empty title="Tracked funnels have no new vs returning split">
							<p>
								A funnel follows each player from their first step, so it cannot be split by new vs returning. Pick
								another breakdown or remove that filter.
							</p>
						</Empty>
					) : (
						<FunnelResult
							state={state}
							range={range}
							choice={choice}
							answer={answer}
							query={query}
							params={params}
							setParams={setParams}
						/>
					)}
				</>
			) : null}
		</div>
	);
}

function FunnelResult(
	props: Pick<PageProps, "state" | "range"> & {
		choice: FunnelChoice;
		answer: Loaded<[Funnel]>;
		query: Record<string, string>;
		params: { segment: string };
		setParams: (changes: { segment: string }) => void;
	},
) {
	const { state, range, choice, answer, query } = props;
	const data = answer.status === "done" ? answer.data[0] : undefined;
	const chart = useMemo(() => data && funnelChart(data), [data]);
	const axis = useMemo<PlotAxis>(() => ({ kind: "category", title: "Step", labels: chart?.labels ?? [] }), [chart]);
	const shown = data && pickSegment(data.segments, props.params.segment, (s) => s.entered);

	if (choice.kind === "none") {
		return choice.reason === "no-funnels" ? (
			<Empty title="No funnels yet">
				<p>
					No funnel step has arrived: call <code>Vantage.funnelStep(player, "onboarding", 1, "spawned")</code> at each
					step of a funnel (step numbers in order, from 1), or choose “Events in order” above and build one from the
					events the game already sends.
				</p>
			</Empty>
		) : (
			<Empty title="Choose the funnel's steps">
				<p>Pick at least two events above, in the order players do them, then Show funnel.</p>
			</Empty>
		);
	}
	if (answer.status === "loading") return <Loading label="Loading the funnel…" />;
	if (answer.status === "failed") return <Failed what="the funnel" error={answer.error} onRetry={answer.retry} />;
	if (!data || !chart || !shown) return null;
	if (!hasEntries(data)) {
		return (
			<Empty title="No player entered this funnel in the date range">
				<p>
					Nobody did step 1 between these dates
					{choice.kind === "funnel" ? (
						<>
							: check that <code>Vantage.funnelStep(player, "{choice.funnel}", 1, …)</code> runs
						</>
					) : null}
					, or pick a longer date range above.
				</p>
			</Empty>
		);
	}
	const title = choice.kind === "funnel" ? `Funnel “${choice.funnel}”` : "Funnel of events";
	return (
		<>
			<Stats
				label={`${title}${shown.segment ? `, ${shown.segment}` : ""}`}
				items={[
					{
						label: "Entered",
						value: formatValue(shown.entered, "players"),
						help: "Players who did step 1 in the range.",
					},
					{
						label: "Completed",
						value: formatValue(shown.completed, "players"),
						help: "Players who reached the last step.",
					},
					{ label: "Conversion", value: formatValue(shown.conversionRate, "ratio"), help: "Completed ÷ entered." },
					{
						label: "Median time to convert",
						value: shown.medianSecondsToConvert === null ? "—" : formatDuration(shown.medianSecondsToConvert),
						help: "From step 1 to the last step.",
					},
				]}
			/>
			<Panel
				id="funnel-chart"
				title={`Players per step${state.breakdown ? ` by ${state.breakdown}` : ""}`}
				csv={{ href: csvPath(state, range, "funnel", query), what: "funnel chart and table" }}
			>
				<Plot label={`${title}: players per step`} data={chart} x={axis} format={formatPlayers} />
				<HiddenNote hidden={chart.hidden} />
			</Panel>
			<Panel id="funnel-steps" title="Steps">
				{state.breakdown ? (
					<SegmentChooser
						id="funnel-segment"
						dimension={state.breakdown}
						segments={data.segments.map((s) => s.segment)}
						value={shown.segment}
						onChange={(segment) => props.setParams({ segment })}
					/>
				) : null}
				<DataTable caption={`${title}: conversion per step`} columns={FUNNEL_COLUMNS} rows={funnelRows(shown)} />
			</Panel>
		</>
	);
}

/** A tracked funnel by name, or up to ten events in order; and the conversion window. */
function FunnelForm(props: {
	list: EventNamesAnswer;
	source: "tracked" | "events";
	funnel: string;
	steps: readonly string[];
	window: string;
	onChange: (changes: { source?: string; funnel?: string; steps?: readonly string[]; window?: string }) => void;
}) {
	const options = stepOptions(props.list);
	const [source, setSource] = useState(props.source);
	const [draft, setDraft] = useState<string[]>(() => fill(props.steps));
	const [window, setWindow] = useState(props.window);
	useEffect(() => setSource(props.source), [props.source]);
	useEffect(() => setDraft(fill(props.steps)), [props.steps.join("\n")]);
	useEffect(() => setWindow(props.window), [props.window]);
	const setStep = (i: number, value: string) => setDraft(draft.map((s, j) => (j === i ? value : s)));
	const funnels = props.list.funnels;

	return (
		<form
			class="options"
			aria-label="Funnel options"
			onSubmit={(e) => {
				e.preventDefault();
				if (source === "events") props.onChange({ source, steps: draft.filter((s) => s !== ""), window });
				else props.onChange({ source, window });
			}}
		>
			<fieldset class="radio-group">
				<legend>Funnel from</legend>
				<label>
					<input
						type="radio"
						name="funnel-source"
						value="tracked"
						checked={source === "tracked"}
						onChange={() => {
							setSource("tracked");
							props.onChange({ source: "tracked" });
						}}
					/>{" "}
					A tracked funnel (Vantage.funnelStep)
				</label>
				<label>
					<input
						type="radio"
						name="funnel-source"
						value="events"
						checked={source === "events"}
						onChange={() => setSource("events")}
					/>{" "}
					Events in order
				</label>
			</fieldset>
			{source === "tracked" ? (
				funnels.length > 0 ? (
					<div class="field">
						<label for="funnel-name">Funnel</label>
						<select
							id="funnel-name"
							value={props.funnel}
							onChange={(e) => props.onChange({ source: "tracked", funnel: e.currentTarget.value })}
						>
							{funnels.some((f) => f.name === props.funnel) || props.funnel === "" ? null : (
								<option value={props.funnel}>{props.funnel}</option>
							)}
							{funnels.map((f) => (
								<option key={f.name} value={f.name}>
									{f.name}
								</option>
							))}
						</select>
					</div>
				) : null
			) : (
				<ol class="step-list" aria-label="Steps, in order">
					{draft.map((step, i) => (
						<li key={i} class="step-item">
							<label for={`funnel-step-${i + 1}`}>Step {i + 1}</label>
							<select id={`funnel-step-${i + 1}`} value={step} onChange={(e) => setStep(i, e.currentTarget.value)}>
								<option value="">Choose an event…</option>
								{step !== "" && !options.some((o) => o.value === step) ? <option value={step}>{step}</option> : null}
								{options.map((o) => (
									<option key={o.value} value={o.value}>
										{o.label}
									</option>
								))}
							</select>
							{draft.length > MIN_STEPS ? (
								<button
									type="button"
									aria-label={`Remove step ${i + 1}`}
									onClick={() => setDraft(draft.filter((_, j) => j !== i))}
								>
									Remove
								</button>
							) : null}
						</li>
					))}
					{draft.length < MAX_STEPS ? (
						<li>
							<button type="button" onClick={() => setDraft([...draft, ""])}>
								Add a step
							</button>
						</li>
					) : null}
				</ol>
			)}
			<div class="field">
				<label for="funnel-window">Window (days)</label>
				<input
					id="funnel-window"
					type="number"
					min={WINDOW_MIN}
					max={WINDOW_MAX}
					step={1}
					value={window}
					onInput={(e) => setWindow(e.currentTarget.value)}
				/>
			</div>
			<button type="submit">Show funnel</button>
		</form>
	);
}

/** The builder starts with at least two (empty) steps. */
function fill(steps: readonly string[]): string[] {
	const out = [...steps];
	while (out.length < MIN_STEPS) out.push("");
	return out;
}
