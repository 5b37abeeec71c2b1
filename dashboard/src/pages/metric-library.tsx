// The metric library: the game's reusable metric definitions, which experiments pick as their primary or guardrail
// metrics. Everyone with the game reads them; analysts and owners create them, edit them (each save is a new version;
// running experiments keep the version they started with), read their history and archive them.
import { useState } from "preact/hooks";
import { Empty, Failed, Loading } from "../components/states.js";
import { roleAllows } from "../session.js";
import { useApi } from "../use-api.js";
import type { PageProps } from "./index.js";
import { WriteError, failureText, writeJson } from "./experiments-api.js";
import type { FieldIssue } from "./experiments-form-data.js";
import { EventTypeField, Field, issueOf, invalidProps } from "./experiments-fields.js";
import {
	LIBRARY_METRIC_TYPES,
	draftFromLibraryMetric,
	draftToDefinition,
	emptyLibraryDraft,
	fieldsOf,
	libraryIssues,
	libraryRows,
	measuresText,
	metricLibraryPath,
	type LibraryDraft,
	type LibraryMetric,
	type LibraryMetricList,
	type LibraryMetricType,
	type LibraryMetricVersions,
	type LibraryRow,
	type PartDraft,
} from "./metric-library-data.js";

interface LibraryContext {
	game: string;
	canWrite: boolean;
	csrfToken: string;
}

export function MetricLibraryPage({ state, session }: PageProps) {
	const ctx: LibraryContext = {
		game: state.game,
		canWrite: roleAllows(session.role, "analyst"),
		csrfToken: session.csrfToken,
	};
	// A save reloads the list: a new key mounts it afresh.
	const [version, setVersion] = useState(0);
	return (
		<div class="flags metric-library">
			<LibraryContent key={`${state.game}-${version}`} ctx={ctx} reload={() => setVersion((n) => n + 1)} />
		</div>
	);
}

/** What the panel under the header shows. */
type Panel = { kind: "new" } | { kind: "edit"; key: string } | { kind: "history"; key: string } | null;

function LibraryContent({ ctx, reload }: { ctx: LibraryContext; reload: () => void }) {
	const list = useApi<[LibraryMetricList]>([`${metricLibraryPath(ctx.game)}?archived=true`]);
	const [showArchived, setShowArchived] = useState(false);
	const [panel, setPanel] = useState<Panel>(null);
	const metrics = list.status === "done" ? list.data[0].metrics : undefined;
	const rows = metrics ? libraryRows(metrics, showArchived) : undefined;
	const editing = panel?.kind === "edit" ? metrics?.find((m) => m.key === panel.key) : undefined;

	return (
		<>
			<header class="page-head page-head-actions">
				<div>
					<h1 tabIndex={-1}>Metric library</h1>
					<p class="muted">
						Metrics defined once and picked by experiments as their primary or guardrail metric. Each save is a new
						version: a running experiment keeps the version it started with, and its results name it.
						{ctx.canWrite ? "" : " Your role can read them; an analyst or owner can change them."}
					</p>
				</div>
				{ctx.canWrite && panel?.kind !== "new" ? (
					<button type="button" class="primary" onClick={() => setPanel({ kind: "new" })}>
						New metric
					</button>
				) : null}
			</header>
			{panel?.kind === "new" ? (
				<MetricForm
					ctx={ctx}
					onCancel={() => setPanel(null)}
					onSaved={() => {
						setPanel(null);
						reload();
					}}
				/>
			) : null}
			{editing ? (
				<MetricForm
					ctx={ctx}
					original={editing}
					onCancel={() => setPanel(null)}
					onSaved={() => {
						setPanel(null);
						reload();
					}}
				/>
			) : null}
			{panel?.kind === "history" ? <History ctx={ctx} metricKey={panel.key} onClose={() => setPanel(null)} /> : null}
			{list.status === "loading" ? <Loading label="Loading the metric library…" /> : null}
			{list.status === "failed" ? <Failed what="the metric library" error={list.error} onRetry={list.retry} /> : null}
			{metrics ? (
				<p class="block">
					<label class="show-archived">
						<input type="checkbox" checked={showArchived} onChange={(e) => setShowArchived(e.currentTarget.checked)} />{" "}
						Show archived metrics ({metrics.filter((m) => m.archivedAt !== null).length})
					</label>
				</p>
			) : null}
			{rows && rows.length === 0 ? (
				<Empty title="No metrics in the library yet">
					<p>
						A library metric is defined once (what to count, its window, its cap, which way is good) and picked by any
						experiment.
					</p>
					{ctx.canWrite ? <p>Create one with New metric.</p> : null}
				</Empty>
			) : null}
			{rows && rows.length > 0 ? (
				<div class="table-wrap" tabIndex={0} role="region" aria-label="Metric library table">
					<table class="data-table metric-library-table">
						<caption class="visually-hidden">Metrics of this game's library</caption>
						<thead>
							<tr>
								<th scope="col">Metric</th>
								<th scope="col">Type</th>
								<th scope="col">Measures</th>
								<th scope="col">Role</th>
								<th scope="col" class="num">
									Version
								</th>
								<th scope="col">Updated</th>
								<th scope="col">
									<span class="visually-hidden">Actions</span>
								</th>
							</tr>
						</thead>
						<tbody>
							{rows.map((row) => (
								<Row key={row.key} row={row} ctx={ctx} onPanel={setPanel} onChanged={reload} />
							))}
						</tbody>
					</table>
				</div>
			) : null}
		</>
	);
}

function Row(props: { row: LibraryRow; ctx: LibraryContext; onPanel: (p: Panel) => void; onChanged: () => void }) {
	const { row, ctx } = props;
	const [confirming, setConfirming] = useState(false);
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<string | null>(null);

	const archive = async () => {
		setBusy(true);
		setError(null);
		try {
			await writeJson("POST", metricLibraryPath(ctx.game, row.key, "archive"), undefined, ctx.csrfToken);
			props.onChanged();
		} catch (e) {
			setError(failureText(e));
			setBusy(false);
		}
	};

	return (
		<>
			<tr data-metric={row.key}>
				<th scope="row">
					{row.name}
					{row.name !== row.key ? <span class="muted small block">{row.key}</span> : null}
					{row.archived ? <span class="badge badge-stopped">Archived</span> : null}
				</th>
				<td>{row.type}</td>
				<td>
					{row.measures}
					<span class="muted small block">{row.direction}</span>
				</td>
				<td>{row.role === "goal" ? "Goal" : "Guardrail"}</td>
				<td class="num">v{row.version}</td>
				<td>{new Date(row.updatedAt).toLocaleString()}</td>
				<td class="actions">
					<button
						type="button"
						onClick={() => props.onPanel({ kind: "history", key: row.key })}
						aria-label={`History of ${row.key}`}
					>
						History
					</button>
					{ctx.canWrite && !row.archived ? (
						<>
							<button
								type="button"
								onClick={() => props.onPanel({ kind: "edit", key: row.key })}
								aria-label={`Edit ${row.key}`}
							>
								Edit
							</button>
							<button type="button" onClick={() => setConfirming(true)} aria-label={`Archive ${row.key}`}>
								Archive
							</button>
						</>
					) : null}
				</td>
			</tr>
			{confirming || error ? (
				<tr class="confirm-row">
					<td colSpan={7}>
						{error ? (
							<p class="form-error" role="alert">
								{error}
							</p>
						) : null}
						{confirming ? (
							<div class="confirm" role="group" aria-label={`Archive ${row.key}?`}>
								<p>
									Archive {row.key}? New experiments can no longer pick it; experiments using it keep their version, and
									every version stays readable.
								</p>
								<button type="button" class="primary" disabled={busy} onClick={() => void archive()}>
									Archive metric
								</button>
								<button type="button" onClick={() => setConfirming(false)}>
									Cancel
								</button>
							</div>
						) : null}
					</td>
				</tr>
			) : null}
		</>
	);
}

function History(props: { ctx: LibraryContext; metricKey: string; onClose: () => void }) {
	const { ctx, metricKey } = props;
	const loaded = useApi<[LibraryMetricVersions]>([metricLibraryPath(ctx.game, metricKey, "versions")]);
	return (
		<section class="panel metric-history" aria-labelledby="metric-history-title">
			<h2 id="metric-history-title">History of {metricKey}</h2>
			{loaded.status === "loading" ? <Loading label="Loading the versions…" /> : null}
			{loaded.status === "failed" ? <Failed what="the versions" error={loaded.error} onRetry={loaded.retry} /> : null}
			{loaded.status === "done" ? (
				<ul class="metric-versions" aria-label={`Versions of ${metricKey}, newest first`}>
					{[...loaded.data[0].versions].reverse().map((v) => (
						<li key={v.version} data-version={v.version}>
							<p>
								<strong>Version {v.version}</strong> · {new Date(v.createdAt).toLocaleString()}
								{v.createdBy ? ` · by ${v.createdBy}` : ""} · {v.role}
							</p>
							<p class="small">{measuresText(v.definition)}</p>
							<details>
								<summary>Definition (JSON)</summary>
								<pre>{JSON.stringify(v.definition, null, 2)}</pre>
							</details>
						</li>
					))}
				</ul>
			) : null}
			<button type="button" onClick={props.onClose}>
				Close history
			</button>
		</section>
	);
}

function MetricForm(props: {
	ctx: LibraryContext;
	original?: LibraryMetric;
	onCancel: () => void;
	onSaved: () => void;
}) {
	const { ctx, original } = props;
	const [draft, setDraft] = useState<LibraryDraft>(() =>
		original ? draftFromLibraryMetric(original) : emptyLibraryDraft(),
	);
	const [issues, setIssues] = useState<FieldIssue[]>([]);
	const [formError, setFormError] = useState<string | null>(null);
	const [busy, setBusy] = useState(false);
	const set = (change: Partial<LibraryDraft>) => setDraft((d) => ({ ...d, ...change }));
	const msg = (field: string) => issueOf(issues, `ml-${field}`);
	const show = fieldsOf(draft.type);
	const title = original ? `Edit ${original.key} (now v${original.version})` : "New metric";

	const save = async (e: Event) => {
		e.preventDefault();
		const { definition, issues: found } = draftToDefinition(draft);
		setIssues(found);
		setFormError(found.length > 0 ? "Fix the fields marked below." : null);
		if (found.length > 0) return;
		setBusy(true);
		try {
			if (original) {
				const body = { definition, role: draft.role, baseVersion: original.version };
				await writeJson("PATCH", metricLibraryPath(ctx.game, original.key), body, ctx.csrfToken);
			} else {
				await writeJson("POST", metricLibraryPath(ctx.game), { definition, role: draft.role }, ctx.csrfToken);
			}
			props.onSaved();
		} catch (error) {
			if (error instanceof WriteError && error.errors.length > 0) setIssues(libraryIssues(error.errors));
			else if (!original && error instanceof WriteError && error.status === 409) {
				setIssues([{ field: "ml-key", message: "Another metric of this game has this key (perhaps archived)." }]);
			}
			setFormError(failureText(error));
		} finally {
			setBusy(false);
		}
	};

	const text = (
		field: keyof LibraryDraft & string,
		label: string,
		options: { hint?: string; numeric?: boolean } = {},
	) => (
		<Field id={`ml-${field}`} label={label} message={msg(field)} hint={options.hint}>
			<input
				{...invalidProps(`ml-${field}`, msg(field), options.hint ? `ml-${field}-hint` : undefined)}
				value={draft[field] as string}
				spellcheck={false}
				inputMode={options.numeric ? "decimal" : undefined}
				onInput={(e) => set({ [field]: e.currentTarget.value })}
			/>
		</Field>
	);

	return (
		<form class="panel metric-form" onSubmit={(e) => void save(e)} noValidate aria-label={title}>
			<h2>{title}</h2>
			{original ? (
				<p class="hint">Saving makes version {original.version + 1}; experiments already running keep their version.</p>
			) : null}
			{formError ? (
				<p class="form-error" role="alert">
					{formError}
				</p>
			) : null}
			<div class="form-grid">
				<Field id="ml-key" label="Key" message={msg("key")} hint="How experiments and results name it; cannot change.">
					<input
						{...invalidProps("ml-key", msg("key"), "ml-key-hint")}
						value={draft.key}
						disabled={original !== undefined}
						spellcheck={false}
						autoComplete="off"
						onInput={(e) => set({ key: e.currentTarget.value })}
					/>
				</Field>
				{text("name", "Name")}
				{text("description", "Description")}
				<Field id="ml-type" label="Measures" message={msg("type")}>
					<select
						{...invalidProps("ml-type", msg("type"))}
						value={draft.type}
						onChange={(e) => set({ type: e.currentTarget.value as LibraryMetricType })}
					>
						{LIBRARY_METRIC_TYPES.map((t) => (
							<option key={t.type} value={t.type}>
								{t.label}
							</option>
						))}
					</select>
				</Field>
				<Field id="ml-role" label="Role" message={msg("role")} hint="What an experiment picks it as by default.">
					<select
						{...invalidProps("ml-role", msg("role"), "ml-role-hint")}
						value={draft.role}
						onChange={(e) => set({ role: e.currentTarget.value as LibraryDraft["role"] })}
					>
						<option value="goal">Goal (judged on)</option>
						<option value="guardrail">Guardrail (watched for harm)</option>
					</select>
				</Field>
				<Field id="ml-direction" label="Better when" message={msg("direction")}>
					<select
						{...invalidProps("ml-direction", msg("direction"))}
						value={draft.direction}
						onChange={(e) => set({ direction: e.currentTarget.value as LibraryDraft["direction"] })}
					>
						<option value="higher">Higher</option>
						<option value="lower">Lower (errors, load time)</option>
					</select>
				</Field>
				{show.event
					? text("event", draft.type === "revenue" ? "Product (optional)" : "Event name", {
							...(draft.type === "revenue" ? { hint: "Only purchases with this name; empty for all." } : {}),
						})
					: null}
				{show.eventType ? (
					<EventTypeField id="ml-eventType" value={draft.eventType} onValue={(eventType) => set({ eventType })} />
				) : null}
				{show.valueProp ? text("valueProp", draft.type === "revenue" ? "Amount prop" : "Number prop") : null}
				{show.day ? text("day", "Day N", { hint: "1 = the day after first seeing the test.", numeric: true }) : null}
				{show.quantile
					? text("quantile", "Percentile", { hint: "50 = median, 90 = 90th percentile.", numeric: true })
					: null}
				{show.quantile ? (
					<Field id="ml-aggregate" label="Per player" message={msg("aggregate")}>
						<select
							{...invalidProps("ml-aggregate", msg("aggregate"))}
							value={draft.aggregate}
							onChange={(e) => set({ aggregate: e.currentTarget.value as LibraryDraft["aggregate"] })}
						>
							<option value="mean">Mean of their events</option>
							<option value="sum">Sum of their events</option>
							<option value="max">Largest of their events</option>
						</select>
					</Field>
				) : null}
				{show.windowHours
					? text("windowHours", "Window (hours)", {
							hint: "After first seeing the test; empty for no limit.",
							numeric: true,
						})
					: null}
				{show.cap ? (
					<Field id="ml-capMode" label="Cap (winsorize)" message={msg("capMode")}>
						<select
							{...invalidProps("ml-capMode", msg("capMode"))}
							value={draft.capMode}
							onChange={(e) => set({ capMode: e.currentTarget.value as LibraryDraft["capMode"] })}
						>
							<option value="none">No cap</option>
							<option value="value">At a value</option>
							<option value="percentile">At a percentile of all players</option>
						</select>
					</Field>
				) : null}
				{show.cap && draft.capMode !== "none"
					? text("cap", draft.capMode === "value" ? "Cap value" : "Cap percentile", { numeric: true })
					: null}
			</div>
			{show.parts ? (
				<>
					<PartFields side="numerator" legend="Numerator (above the line)" draft={draft} issues={issues} set={set} />
					<PartFields
						side="denominator"
						legend="Denominator (below the line)"
						draft={draft}
						issues={issues}
						set={set}
					/>
				</>
			) : null}
			<div class="form-actions">
				<button type="submit" class="primary" disabled={busy}>
					{original ? "Save as a new version" : "Create metric"}
				</button>
				<button type="button" onClick={props.onCancel}>
					Cancel
				</button>
			</div>
		</form>
	);
}

function PartFields(props: {
	side: "numerator" | "denominator";
	legend: string;
	draft: LibraryDraft;
	issues: readonly FieldIssue[];
	set: (change: Partial<LibraryDraft>) => void;
}) {
	const { side } = props;
	const part = props.draft[side];
	const update = (change: Partial<PartDraft>) => props.set({ [side]: { ...part, ...change } });
	const msg = (field: string) => issueOf(props.issues, `ml-${side}-${field}`);
	return (
		<fieldset>
			<legend>{props.legend}</legend>
			<div class="form-grid">
				<Field id={`ml-${side}-event`} label="Event name (optional)" message={msg("event")}>
					<input
						{...invalidProps(`ml-${side}-event`, msg("event"))}
						value={part.event}
						spellcheck={false}
						onInput={(e) => update({ event: e.currentTarget.value })}
					/>
				</Field>
				<EventTypeField
					id={`ml-${side}-eventType`}
					value={part.eventType}
					onValue={(eventType) => update({ eventType })}
				/>
				<Field
					id={`ml-${side}-valueProp`}
					label="Sum of prop (optional)"
					message={msg("valueProp")}
					hint="Empty: count the events."
				>
					<input
						{...invalidProps(`ml-${side}-valueProp`, msg("valueProp"), `ml-${side}-valueProp-hint`)}
						value={part.valueProp}
						spellcheck={false}
						onInput={(e) => update({ valueProp: e.currentTarget.value })}
					/>
				</Field>
			</div>
		</fieldset>
	);
}
