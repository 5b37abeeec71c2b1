// The pickers every analytics page shares: game, date range, breakdown and segment filters, and the theme. Each
// writes the URL (through `onChange`), so the view they make is a link.
import { useEffect, useState } from "preact/hooks";
import type { ExperimentsAnswer, GamesAnswer } from "../api-types.js";
import { isDate } from "../dates.js";
import { setThemeChoice, themeChoice, type ThemeChoice } from "../theme.js";
import { RANGE_PRESETS, type ViewState } from "../url-state.js";
import { useApi } from "../use-api.js";

type OnChange = (next: ViewState) => void;

export function GamePicker(props: { games: GamesAnswer["games"]; state: ViewState; onChange: OnChange }) {
	return (
		<div class="field">
			<label for="pick-game">Game</label>
			<select
				id="pick-game"
				value={props.state.game}
				onChange={(e) =>
					props.onChange({ ...props.state, game: e.currentTarget.value, breakdown: undefined, filters: [] })
				}
			>
				{props.games.map((g) => (
					<option key={g.id} value={g.id}>
						{g.name === g.id ? g.id : `${g.name} (${g.id})`}
					</option>
				))}
			</select>
		</div>
	);
}

const PRESET_LABELS: Record<(typeof RANGE_PRESETS)[number], string> = {
	"7d": "Last 7 days",
	"14d": "Last 14 days",
	"30d": "Last 30 days",
	"90d": "Last 90 days",
};

/** A preset (the game's last N days) or a custom range of two dates. */
export function RangePicker(props: { state: ViewState; today: string; onChange: OnChange }) {
	const { state, today, onChange } = props;
	const [customOpen, setCustomOpen] = useState(state.custom !== undefined);
	// Back and Forward can bring a custom range into view.
	useEffect(() => {
		if (state.custom) setCustomOpen(true);
	}, [state.custom]);
	const custom = state.custom ?? { from: today, to: today };
	const setCustom = (from: string, to: string) => {
		if (isDate(from) && isDate(to) && from <= to) onChange({ ...state, custom: { from, to } });
	};
	return (
		<div class="range">
			<div class="field">
				<label for="pick-range">Dates</label>
				<select
					id="pick-range"
					value={customOpen ? "custom" : state.range}
					onChange={(e) => {
						const value = e.currentTarget.value;
						if (value === "custom") {
							setCustomOpen(true);
							return;
						}
						setCustomOpen(false);
						onChange({ ...state, range: value as ViewState["range"], custom: undefined });
					}}
				>
					{RANGE_PRESETS.map((p) => (
						<option key={p} value={p}>
							{PRESET_LABELS[p]}
						</option>
					))}
					<option value="custom">Custom…</option>
				</select>
			</div>
			{customOpen ? (
				<>
					<div class="field">
						<label for="pick-from">From</label>
						<input
							id="pick-from"
							type="date"
							value={custom.from}
							max={today}
							onChange={(e) => setCustom(e.currentTarget.value, custom.to)}
						/>
					</div>
					<div class="field">
						<label for="pick-to">To</label>
						<input
							id="pick-to"
							type="date"
							value={custom.to}
							max={today}
							onChange={(e) => setCustom(custom.from, e.currentTarget.value)}
						/>
					</div>
				</>
			) : null}
		</div>
	);
}

interface Dimension {
	/** As the metrics API names it (`breakdown=`, `filter=<id>:<value>`). */
	id: string;
	label: string;
	/** Values the SDK sends, where they are a fixed set (suggested in the filter's value box). */
	values?: string[];
}

/** The metrics API's dimensions (README: "Dimensions"). */
const DIMENSIONS: Dimension[] = [
	{ id: "platform", label: "Platform", values: ["desktop", "phone", "tablet", "console", "vr"] },
	{ id: "country", label: "Country" },
	{ id: "locale", label: "Locale" },
	{ id: "premium", label: "Premium", values: ["true", "false"] },
	{ id: "new_vs_returning", label: "New vs returning", values: ["new", "returning"] },
];

function useDimensions(game: string | undefined): Dimension[] {
	const experiments = useApi<[ExperimentsAnswer]>(
		game ? [`/v1/admin/games/${encodeURIComponent(game)}/experiments`] : null,
	);
	const variants =
		experiments.status === "done"
			? experiments.data[0].experiments.map((e) => ({ id: `variant:${e.key}`, label: `Variant of ${e.key}` }))
			: [];
	return [...DIMENSIONS, ...variants];
}

/** One breakdown dimension (a series per value) and any number of segment filters (`dimension:value`). */
export function SegmentPicker(props: { state: ViewState; onChange: OnChange }) {
	const { state, onChange } = props;
	const dimensions = useDimensions(state.game);
	const [dimension, setDimension] = useState("platform");
	const [value, setValue] = useState("");
	const known = dimensions.find((d) => d.id === dimension);
	const hasBreakdown = state.breakdown === undefined || dimensions.some((d) => d.id === state.breakdown);
	return (
		<div class="segments">
			<div class="field">
				<label for="pick-breakdown">Breakdown</label>
				<select
					id="pick-breakdown"
					value={state.breakdown ?? ""}
					onChange={(e) => onChange({ ...state, breakdown: e.currentTarget.value || undefined })}
				>
					<option value="">None</option>
					{dimensions.map((d) => (
						<option key={d.id} value={d.id}>
							{d.label}
						</option>
					))}
					{hasBreakdown ? null : <option value={state.breakdown}>{state.breakdown}</option>}
				</select>
			</div>
			<form
				class="filter-form"
				aria-label="Add a segment filter"
				onSubmit={(e) => {
					e.preventDefault();
					const text = `${dimension}:${value.trim()}`;
					if (value.trim() && !state.filters.includes(text)) onChange({ ...state, filters: [...state.filters, text] });
					setValue("");
				}}
			>
				<div class="field">
					<label for="pick-filter-dimension">Filter</label>
					<select id="pick-filter-dimension" value={dimension} onChange={(e) => setDimension(e.currentTarget.value)}>
						{dimensions.map((d) => (
							<option key={d.id} value={d.id}>
								{d.label}
							</option>
						))}
					</select>
				</div>
				<div class="field">
					<label for="pick-filter-value">equals</label>
					<input
						id="pick-filter-value"
						value={value}
						list={known?.values ? `values-${dimension}` : undefined}
						placeholder={known?.values?.[0] ?? "value"}
						size={10}
						onInput={(e) => setValue(e.currentTarget.value)}
					/>
				</div>
				{known?.values ? (
					<datalist id={`values-${dimension}`}>
						{known.values.map((v) => (
							<option key={v} value={v} />
						))}
					</datalist>
				) : null}
				<button type="submit">Add filter</button>
			</form>
			{state.filters.length > 0 ? (
				<ul class="chips" aria-label="Segment filters">
					{state.filters.map((f) => (
						<li key={f} class="chip">
							{f}
							<button
								type="button"
								aria-label={`Remove the filter ${f}`}
								onClick={() => onChange({ ...state, filters: state.filters.filter((x) => x !== f) })}
							>
								×
							</button>
						</li>
					))}
				</ul>
			) : null}
		</div>
	);
}

export function ThemePicker() {
	const [choice, setChoice] = useState<ThemeChoice>(themeChoice);
	return (
		<div class="field">
			<label for="pick-theme">Theme</label>
			<select
				id="pick-theme"
				value={choice}
				onChange={(e) => {
					const next = e.currentTarget.value as ThemeChoice;
					setChoice(next);
					setThemeChoice(next);
				}}
			>
				<option value="system">System</option>
				<option value="light">Light</option>
				<option value="dark">Dark</option>
			</select>
		</div>
	);
}
