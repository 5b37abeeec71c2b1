// Layers & holdout: the game's layers (namespaces of mutually exclusive experiments), each with a bar of its
// experiments' slices and free space, and the global holdout (players kept out of every experiment). Analysts and
// owners create layers, put a draft experiment in a layer's first free slice, and set the holdout after a
// confirmation; viewers read. The server enforces the rules (no overlapping slices, no holdout change while
// experiments run) and the page shows its answer.
import { useState } from "preact/hooks";
import { TextField } from "../components/fields.js";
import { Empty, Failed, Loading } from "../components/states.js";
import { OKABE_ITO } from "../palette.js";
import { roleAllows } from "../session.js";
import { useApi } from "../use-api.js";
import type { PageProps } from "./index.js";
import { WriteError, failureText, writeJson } from "./experiments-api.js";
import type { FieldIssue } from "./experiments-form-data.js";
import { FieldMessage, issueOf } from "./experiments-fields.js";
import {
	holdoutChangeText,
	holdoutPath,
	layerBar,
	layerSummary,
	layersPath,
	newLayerBody,
	parseHoldoutPercent,
	type Holdout,
	type Layer,
	type LayerList,
} from "./layers-data.js";

/** Slice colours, in order (Okabe–Ito; free space is a hatched neutral). */
const SLICE_COLOURS = [
	OKABE_ITO.blue,
	OKABE_ITO.orange,
	OKABE_ITO.bluishGreen,
	OKABE_ITO.reddishPurple,
	OKABE_ITO.vermillion,
];

interface LayersContext {
	game: string;
	canWrite: boolean;
	csrfToken: string;
}

export function LayersPage({ state, session }: PageProps) {
	const ctx: LayersContext = {
		game: state.game,
		canWrite: roleAllows(session.role, "analyst"),
		csrfToken: session.csrfToken,
	};
	const [version, setVersion] = useState(0);
	return (
		<div class="layers">
			<header class="page-head">
				<h1 tabIndex={-1}>Layers & holdout</h1>
				<p class="muted">
					Experiments in one layer take disjoint slices of its players, so no player is in two of them. The holdout
					keeps a share of players out of every experiment, to measure what they add up to.
					{ctx.canWrite ? "" : " Your role can read them; an analyst or owner can change them."}
				</p>
			</header>
			<LayersContent key={`${state.game}-${version}`} ctx={ctx} reload={() => setVersion((n) => n + 1)} />
		</div>
	);
}

function LayersContent({ ctx, reload }: { ctx: LayersContext; reload: () => void }) {
	const loaded = useApi<[LayerList, Holdout]>([layersPath(ctx.game), holdoutPath(ctx.game)]);
	if (loaded.status === "loading") return <Loading label="Loading the layers and the holdout…" />;
	if (loaded.status === "failed") return <Failed what="the layers" error={loaded.error} onRetry={loaded.retry} />;
	const [{ layers }, holdout] = loaded.data;
	return (
		<>
			<HoldoutPanel ctx={ctx} holdout={holdout} onSaved={reload} />
			<section class="layer-section" aria-labelledby="layers-title">
				<h2 id="layers-title">Layers</h2>
				{layers.length === 0 ? (
					<Empty title="No layers yet">
						<p>
							A layer makes experiments mutually exclusive: each takes a slice of the layer's players (its namespace).
						</p>
						{ctx.canWrite ? <p>Create one below.</p> : null}
					</Empty>
				) : (
					<ul class="layer-list">
						{layers.map((layer) => (
							<LayerItem key={layer.id} layer={layer} ctx={ctx} onPlaced={reload} />
						))}
					</ul>
				)}
				{ctx.canWrite ? <NewLayer ctx={ctx} onCreated={reload} /> : null}
			</section>
		</>
	);
}

function LayerItem({ layer, ctx, onPlaced }: { layer: Layer; ctx: LayersContext; onPlaced: () => void }) {
	const segments = layerBar(layer);
	const titleId = `layer-${layer.id}-title`;
	let colour = 0;
	return (
		<li class="panel layer" aria-labelledby={titleId} data-layer={layer.id}>
			<h3 id={titleId}>{layer.name}</h3>
			{layer.name !== layer.id ? <p class="muted small">Namespace id: {layer.id}</p> : null}
			{layer.description ? <p class="small">{layer.description}</p> : null}
			<div class="layer-bar" role="img" aria-label={`${layer.name}: ${layerSummary(layer)}`}>
				{segments.map((s) => (
					<span
						key={`${s.kind}-${s.start}`}
						class={`layer-segment layer-${s.kind}`}
						data-segment={s.key || "free"}
						title={`${s.label}: ${s.range}`}
						style={{
							left: `${s.start * 100}%`,
							width: `${(s.end - s.start) * 100}%`,
							...(s.kind === "experiment" ? { background: SLICE_COLOURS[colour++ % SLICE_COLOURS.length] } : {}),
						}}
					/>
				))}
			</div>
			<table class="layer-table">
				<caption class="visually-hidden">Slices of {layer.name}</caption>
				<thead>
					<tr>
						<th scope="col">Slice</th>
						<th scope="col">Range</th>
						<th scope="col">Share</th>
					</tr>
				</thead>
				<tbody>
					{segments.map((s) => (
						<tr key={`${s.kind}-${s.start}`} data-slice={s.key || "free"}>
							<td>{s.label}</td>
							<td>{s.range}</td>
							<td>{s.share}</td>
						</tr>
					))}
				</tbody>
			</table>
			{ctx.canWrite ? <PlaceForm layer={layer} ctx={ctx} onPlaced={onPlaced} /> : null}
		</li>
	);
}

function PlaceForm({ layer, ctx, onPlaced }: { layer: Layer; ctx: LayersContext; onPlaced: () => void }) {
	const [experiment, setExperiment] = useState("");
	const [size, setSize] = useState("");
	const [error, setError] = useState<string | null>(null);
	const [busy, setBusy] = useState(false);
	const prefix = `place-${layer.id}`;

	const place = async (e: Event) => {
		e.preventDefault();
		const share = Number(size.trim().replace(/%$/, "")) / 100;
		if (!experiment.trim() || !(share > 0 && share <= 1)) {
			setError("Name a draft experiment and a share above 0 up to 100%.");
			return;
		}
		setBusy(true);
		setError(null);
		try {
			await writeJson(
				"POST",
				layersPath(ctx.game, layer.id, "place"),
				{ experiment: experiment.trim(), size: share },
				ctx.csrfToken,
			);
			onPlaced();
		} catch (err) {
			setError(failureText(err));
		} finally {
			setBusy(false);
		}
	};

	return (
		<form
			class="place-form"
			onSubmit={(e) => void place(e)}
			noValidate
			aria-label={`Place an experiment in ${layer.name}`}
		>
			<TextField
				id={`${prefix}-experiment`}
				label="Draft experiment key"
				value={experiment}
				onValue={setExperiment}
				mono
			/>
			<TextField
				id={`${prefix}-size`}
				label="Share of the layer (%)"
				value={size}
				onValue={setSize}
				inputmode="decimal"
			/>
			<button type="submit" disabled={busy}>
				Place in the first free slice
			</button>
			{error ? (
				<p class="form-error" role="alert">
					{error}
				</p>
			) : null}
		</form>
	);
}

function NewLayer({ ctx, onCreated }: { ctx: LayersContext; onCreated: () => void }) {
	const [input, setInput] = useState({ id: "", name: "", description: "" });
	const [issues, setIssues] = useState<FieldIssue[]>([]);
	const [error, setError] = useState<string | null>(null);
	const [busy, setBusy] = useState(false);

	const create = async (e: Event) => {
		e.preventDefault();
		const { body, issues: found } = newLayerBody(input);
		setIssues(found);
		setError(null);
		if (found.length > 0) return;
		setBusy(true);
		try {
			await writeJson("POST", layersPath(ctx.game), body, ctx.csrfToken);
			onCreated();
		} catch (err) {
			if (err instanceof WriteError && err.errors.some((x) => x.path === "id")) {
				setIssues([{ field: "new-layer-id", message: err.errors.find((x) => x.path === "id")!.message }]);
			}
			setError(failureText(err));
		} finally {
			setBusy(false);
		}
	};

	return (
		<form class="panel new-layer" onSubmit={(e) => void create(e)} noValidate aria-label="New layer">
			<h3>New layer</h3>
			{error ? (
				<p class="form-error" role="alert">
					{error}
				</p>
			) : null}
			<div class="settings-form">
				<TextField
					id="new-layer-id"
					label="Id (the namespace id experiments name)"
					value={input.id}
					onValue={(id) => setInput({ ...input, id })}
					mono
				/>
				<FieldMessage id="new-layer-id" message={issueOf(issues, "new-layer-id")} />
				<TextField
					id="new-layer-name"
					label="Name"
					value={input.name}
					onValue={(name) => setInput({ ...input, name })}
				/>
				<TextField
					id="new-layer-description"
					label="Description"
					value={input.description}
					onValue={(description) => setInput({ ...input, description })}
					wide
				/>
			</div>
			<div class="form-actions">
				<button type="submit" class="primary" disabled={busy}>
					Create layer
				</button>
			</div>
		</form>
	);
}

function HoldoutPanel({ ctx, holdout, onSaved }: { ctx: LayersContext; holdout: Holdout; onSaved: () => void }) {
	const [text, setText] = useState(String(holdout.percent));
	const [confirming, setConfirming] = useState<number | null>(null);
	const [error, setError] = useState<string | null>(null);
	const [busy, setBusy] = useState(false);
	const running = holdout.runningExperiments;

	const review = (e: Event) => {
		e.preventDefault();
		const parsed = parseHoldoutPercent(text);
		if ("error" in parsed) {
			setError(parsed.error);
			return;
		}
		setError(null);
		setConfirming(parsed.percent);
	};

	const save = async (percent: number) => {
		setBusy(true);
		setError(null);
		try {
			await writeJson("PUT", holdoutPath(ctx.game), { percent }, ctx.csrfToken);
			setConfirming(null);
			onSaved();
		} catch (err) {
			setError(failureText(err));
		} finally {
			setBusy(false);
		}
	};

	return (
		<section class="panel holdout" aria-labelledby="holdout-title">
			<h2 id="holdout-title">Global holdout</h2>
			<p class="holdout-state">
				{holdout.enabled
					? `${holdout.percent}% of players are held out of every experiment.`
					: "Off: every player can enter experiments."}
			</p>
			{holdout.seed ? <p class="muted small">Seed: {holdout.seed}</p> : null}
			{running.length > 0 ? (
				<p class="hint">
					The holdout cannot change while experiments run ({running.join(", ")}): it would move their players.
				</p>
			) : null}
			{ctx.canWrite ? (
				<form class="holdout-form" onSubmit={review} noValidate aria-label="Set the holdout">
					<TextField
						id="holdout-percent"
						label="Held-out players (%)"
						value={text}
						onValue={setText}
						inputmode="decimal"
					/>
					<button type="submit" disabled={busy || running.length > 0}>
						Set holdout
					</button>
				</form>
			) : null}
			{confirming !== null ? (
				<div class="confirm" role="group" aria-label="Confirm the holdout change">
					<p>{holdoutChangeText(holdout, confirming)}</p>
					<button type="button" class="primary" disabled={busy} onClick={() => void save(confirming)}>
						Confirm holdout of {confirming}%
					</button>
					<button type="button" onClick={() => setConfirming(null)}>
						Cancel
					</button>
				</div>
			) : null}
			{error ? (
				<p class="form-error" role="alert">
					{error}
				</p>
			) : null}
		</section>
	);
}
