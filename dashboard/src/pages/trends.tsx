// Trends & KPIs: any events per day (how many, or how many players), and a custom KPI built without SQL — the count,
// players, sum or mean of one event's prop, only where its props match, split by a prop's value.
import { useEffect, useMemo, useState } from "preact/hooks";
import { metricPath } from "../api.js";
import type { EventNamesAnswer, Kpi, Trends } from "../analytics-types.js";
import { Chart } from "../components/chart.js";
import { Empty, Failed, Loading } from "../components/states.js";
import { formatValue } from "../format.js";
import { useApi } from "../use-api.js";
import { csvPath, DataTable, HiddenNote, jsonPath, Panel } from "./analytics-parts.js";
import type { PageProps } from "./index.js";
import { usePageParams } from "./page-params.js";
import {
	checkWhere,
	formatKpi,
	KPI_MEASURES,
	kpiChart,
	kpiQuery,
	kpiTotals,
	MAX_EVENTS,
	trendEvents,
	trendsChart,
	type KpiParams,
} from "./trends-data.js";

const formatCount = (value: number) => formatValue(value, "count");
const formatPlayers = (value: number) => formatValue(value, "players");
const DEFAULTS: KpiParams & { events: readonly string[]; measure: string } = {
	events: [],
	measure: "count",
	kpiEvent: "",
	kpiMeasure: "count",
	property: "",
	where: [],
	groupBy: "",
};

export function TrendsPage({ state, range }: PageProps) {
	const [params, setParams] = usePageParams(DEFAULTS);
	const names = useApi<[EventNamesAnswer]>([metricPath(state.game, "event-names", {})]);
	const list = names.status === "done" ? names.data[0] : undefined;

	return (
		<div class="analytics">
			<header class="page-head">
				<h1>Trends &amp; KPIs</h1>
				<p class="muted">Any event the game sends, per day; and a KPI of your own, built from one event's props.</p>
			</header>
			{names.status === "loading" ? <Loading label="Loading the game's events…" /> : null}
			{names.status === "failed" ? <Failed what="the game's events" error={names.error} onRetry={names.retry} /> : null}
			{list && list.events.length === 0 ? (
				<Empty title="No events yet">
					<p>
						Nothing has arrived from this game: call <code>Vantage.start</code> in a server Script, then{" "}
						<code>Vantage.track(player, "quest_done", {'{ quest = "tutorial" }'})</code> wherever something worth
						counting happens.
					</p>
				</Empty>
			) : null}
			{list && list.events.length > 0 ? (
				<>
					<TrendsPanel
						state={state}
						range={range}
						list={list}
						events={trendEvents(params.events, list)}
						measure={params.measure === "users" ? "users" : "count"}
						onChange={setParams}
					/>
					<KpiPanel state={state} range={range} list={list} params={params} onChange={setParams} />
				</>
			) : null}
		</div>
	);
}

function eventOptions(list: EventNamesAnswer, current: readonly string[]) {
	const known = new Set(list.events.map((e) => e.event));
	return [
		...current.filter((e) => !known.has(e)).map((e) => ({ value: e, label: e })),
		...list.events.map((e) => ({ value: e.event, label: `${e.event} (${formatValue(e.events, "count")})` })),
	];
}

function TrendsPanel(
	props: Pick<PageProps, "state" | "range"> & {
		list: EventNamesAnswer;
		events: string[];
		measure: "count" | "users";
		onChange: (changes: { events?: readonly string[]; measure?: string }) => void;
	},
) {
	const { state, range, events, measure } = props;
	const query = { events: events.join(","), measure };
	const answer = useApi<[Trends]>(events.length > 0 ? [jsonPath(state, range, "trends", query)] : null);
	const data = answer.status === "done" ? answer.data[0] : undefined;
	const chart = useMemo(() => data && trendsChart(data), [data]);
	const options = eventOptions(props.list, []).filter((o) => !events.includes(o.value));
	const [adding, setAdding] = useState("");
	const pick = adding !== "" && options.some((o) => o.value === adding) ? adding : (options[0]?.value ?? "");

	return (
		<Panel
			id="trends"
			title={`${measure === "users" ? "Players" : "Events"} per day${state.breakdown ? ` by ${state.breakdown}` : ""}`}
			csv={events.length > 0 ? { href: csvPath(state, range, "trends", query), what: "trends chart" } : undefined}
		>
			<div class="options">
				<fieldset class="radio-group">
					<legend>Count</legend>
					<label>
						<input
							type="radio"
							name="trends-measure"
							value="count"
							checked={measure === "count"}
							onChange={() => props.onChange({ measure: "count" })}
						/>{" "}
						events
					</label>
					<label>
						<input
							type="radio"
							name="trends-measure"
							value="users"
							checked={measure === "users"}
							onChange={() => props.onChange({ measure: "users" })}
						/>{" "}
						players
					</label>
				</fieldset>
				<form
					class="add-event"
					aria-label="Add an event to the chart"
					onSubmit={(e) => {
						e.preventDefault();
						if (pick !== "" && events.length < MAX_EVENTS) props.onChange({ events: [...events, pick] });
					}}
				>
					<div class="field">
						<label for="trends-add">Event to add</label>
						<select id="trends-add" value={pick} onChange={(e) => setAdding(e.currentTarget.value)}>
							{options.map((o) => (
								<option key={o.value} value={o.value}>
									{o.label}
								</option>
							))}
						</select>
					</div>
					<button type="submit" disabled={events.length >= MAX_EVENTS || pick === ""}>
						Add to chart
					</button>
				</form>
			</div>
			{events.length > 0 ? (
				<ul class="chips" aria-label="Events on the chart">
					{events.map((e) => (
						<li key={e} class="chip">
							{e}
							<button
								type="button"
								aria-label={`Remove ${e} from the chart`}
								onClick={() => props.onChange({ events: events.filter((x) => x !== e) })}
							>
								×
							</button>
						</li>
					))}
				</ul>
			) : null}
			{events.length === 0 ? (
				<p class="muted">Add an event to see it per day.</p>
			) : answer.status === "loading" ? (
				<Loading label="Loading the trends…" />
			) : answer.status === "failed" ? (
				<Failed what="the trends" error={answer.error} onRetry={answer.retry} />
			) : chart ? (
				<>
					<Chart
						label={`${measure === "users" ? "Players" : "Events"} per day`}
						data={chart}
						format={measure === "users" ? formatPlayers : formatCount}
					/>
					<HiddenNote hidden={chart.hidden} />
				</>
			) : null}
		</Panel>
	);
}

function KpiPanel(
	props: Pick<PageProps, "state" | "range"> & {
		list: EventNamesAnswer;
		params: KpiParams;
		onChange: (changes: Partial<KpiParams>) => void;
	},
) {
	const { state, range, params } = props;
	const built = kpiQuery(params);
	const query = "params" in built ? built.params : undefined;
	const answer = useApi<[Kpi]>(query ? [jsonPath(state, range, "kpi", query)] : null);
	const data = answer.status === "done" ? answer.data[0] : undefined;
	const chart = useMemo(() => data && kpiChart(data, params.kpiEvent), [data, params.kpiEvent]);
	const format = useMemo(() => formatKpi(params.kpiMeasure), [params.kpiMeasure]);
	const measureLabel = KPI_MEASURES.find((m) => m.value === params.kpiMeasure)?.label ?? params.kpiMeasure;

	return (
		<Panel
			id="kpi"
			title="Custom KPI"
			csv={query ? { href: csvPath(state, range, "kpi", query), what: "custom KPI chart" } : undefined}
		>
			<KpiForm list={props.list} params={params} onChange={props.onChange} />
			{!query ? (
				<p class="muted">
					{params.kpiEvent === ""
						? "Choose an event and what to measure, then Show KPI."
						: "problem" in built
							? built.problem
							: ""}
				</p>
			) : answer.status === "loading" ? (
				<Loading label="Loading the KPI…" />
			) : answer.status === "failed" ? (
				<Failed what="the KPI" error={answer.error} onRetry={answer.retry} />
			) : data && chart ? (
				<>
					<Chart label={`${measureLabel} of ${params.kpiEvent} per day`} data={chart} format={format} />
					<HiddenNote hidden={chart.hidden} />
					<DataTable
						caption="The KPI over the whole range"
						columns={[
							{ label: params.groupBy.trim() ? `Group (${params.groupBy})` : "Series" },
							{ label: "Total", numeric: true },
						]}
						rows={kpiTotals(data, params.kpiEvent)}
					/>
				</>
			) : null}
		</Panel>
	);
}

/** The KPI builder: event, measure, prop, where filters and groupBy; applied with Show KPI. */
function KpiForm(props: {
	list: EventNamesAnswer;
	params: KpiParams;
	onChange: (changes: Partial<KpiParams>) => void;
}) {
	const [draft, setDraft] = useState<KpiParams>(props.params);
	const [filter, setFilter] = useState("");
	const [error, setError] = useState<string | undefined>();
	const key = JSON.stringify(props.params);
	useEffect(() => setDraft(props.params), [key]);
	const needsProp = draft.kpiMeasure === "sum" || draft.kpiMeasure === "mean";
	const set = (changes: Partial<KpiParams>) => setDraft({ ...draft, ...changes });

	return (
		<form
			class="options kpi-form"
			aria-label="KPI builder"
			onSubmit={(e) => {
				e.preventDefault();
				const built = kpiQuery(draft);
				if ("problem" in built) setError(built.problem);
				else {
					setError(undefined);
					props.onChange(draft);
				}
			}}
		>
			<div class="field">
				<label for="kpi-event">Event</label>
				<select id="kpi-event" value={draft.kpiEvent} onChange={(e) => set({ kpiEvent: e.currentTarget.value })}>
					<option value="">Choose an event…</option>
					{eventOptions(props.list, draft.kpiEvent ? [draft.kpiEvent] : []).map((o) => (
						<option key={o.value} value={o.value}>
							{o.label}
						</option>
					))}
				</select>
			</div>
			<div class="field">
				<label for="kpi-measure">Measure</label>
				<select id="kpi-measure" value={draft.kpiMeasure} onChange={(e) => set({ kpiMeasure: e.currentTarget.value })}>
					{KPI_MEASURES.map((m) => (
						<option key={m.value} value={m.value}>
							{m.label}
						</option>
					))}
				</select>
			</div>
			<div class="field">
				<label for="kpi-property">Prop{needsProp ? "" : " (for sum and mean)"}</label>
				<input
					id="kpi-property"
					value={draft.property}
					size={12}
					placeholder="e.g. robux"
					disabled={!needsProp}
					aria-required={needsProp}
					onInput={(e) => set({ property: e.currentTarget.value })}
				/>
			</div>
			<div class="field">
				<label for="kpi-group">Group by prop</label>
				<input
					id="kpi-group"
					value={draft.groupBy}
					size={12}
					placeholder="optional"
					onInput={(e) => set({ groupBy: e.currentTarget.value })}
				/>
			</div>
			<div class="field">
				<label for="kpi-where">Only where</label>
				<input
					id="kpi-where"
					value={filter}
					size={14}
					placeholder="e.g. level>3"
					aria-describedby="kpi-help"
					onInput={(e) => setFilter(e.currentTarget.value)}
					onKeyDown={(e) => {
						if (e.key !== "Enter") return;
						e.preventDefault();
						addFilter();
					}}
				/>
			</div>
			<button type="button" onClick={() => addFilter()}>
				Add condition
			</button>
			<button type="submit">Show KPI</button>
			{draft.where.length > 0 ? (
				<ul class="chips" aria-label="Conditions">
					{draft.where.map((w) => (
						<li key={w} class="chip">
							{w}
							<button
								type="button"
								aria-label={`Remove the condition ${w}`}
								onClick={() => set({ where: draft.where.filter((x) => x !== w) })}
							>
								×
							</button>
						</li>
					))}
				</ul>
			) : null}
			<p id="kpi-help" class={error ? "field-error small" : "muted small"} role={error ? "alert" : undefined}>
				{error ?? "Conditions: prop=value, prop!=value, prop>n, prop>=n, prop<n or prop<=n; all must hold."}
			</p>
		</form>
	);

	function addFilter(): void {
		const text = filter.trim();
		if (text === "") return;
		const problem = checkWhere(text);
		if (problem) {
			setError(problem);
			return;
		}
		setError(undefined);
		if (!draft.where.includes(text)) set({ where: [...draft.where, text] });
		setFilter("");
	}
}
