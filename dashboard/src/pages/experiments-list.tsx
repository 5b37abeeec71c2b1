// The experiments of the game: status, variations and their split, start, players exposed so far and the primary
// metric, with links to results and, for analysts and owners, edit, start, stop and delete (each asking first).
import { useMemo, useState } from "preact/hooks";
import { Empty, Failed, Loading } from "../components/states.js";
import { useApi } from "../use-api.js";
import { ViewHeading, ViewLink, type ExperimentsPageContext } from "./experiments-view.js";
import { experimentsPath, failureText, writeJson } from "./experiments-api.js";
import { experimentRows, type ExperimentRow } from "./experiments-data.js";
import type { Experiment, ExperimentList as ListAnswer, Exposures } from "./experiments-types.js";

const integer = new Intl.NumberFormat("en-US");

export function ExperimentList({ ctx }: { ctx: ExperimentsPageContext }) {
	// A change (start, stop, delete) reloads the list: a new key mounts it afresh.
	const [version, setVersion] = useState(0);
	return <ListContent key={version} ctx={ctx} reload={() => setVersion((n) => n + 1)} />;
}

function ListContent({ ctx, reload }: { ctx: ExperimentsPageContext; reload: () => void }) {
	const list = useApi<[ListAnswer]>([experimentsPath(ctx.game)]);
	const experiments = list.status === "done" ? list.data[0].experiments : undefined;
	// Exposed players of every started experiment, asked apart so one slow count never holds the list.
	const started = experiments?.filter((e) => e.status !== "draft") ?? [];
	const exposures = useApi<Exposures[]>(
		experiments ? started.map((e) => experimentsPath(ctx.game, e.key, "exposures")) : null,
	);
	const rows = useMemo(() => {
		if (!experiments) return undefined;
		const byKey: Record<string, Exposures | undefined> = {};
		if (exposures.status === "done") for (const x of exposures.data) byKey[x.experiment] = x;
		return experimentRows(experiments, byKey, Date.now());
	}, [experiments, exposures]);

	return (
		<>
			<header class="page-head page-head-actions">
				<div>
					<ViewHeading ctx={ctx}>Experiments</ViewHeading>
					<p class="muted">
						A/B tests of this game: who sees which variation, and what it does to the metrics.
						{ctx.canWrite ? "" : " Your role can read them; an analyst or owner can change them."}
					</p>
				</div>
				{ctx.canWrite ? (
					<ViewLink ctx={ctx} class="button primary" view={{ view: "new" }}>
						New experiment
					</ViewLink>
				) : null}
			</header>
			{list.status === "loading" ? <Loading label="Loading the experiments…" /> : null}
			{list.status === "failed" ? <Failed what="the experiments" error={list.error} onRetry={list.retry} /> : null}
			{exposures.status === "failed" ? (
				<p class="muted small" role="status">
					Exposed players could not be counted just now; the rest of the list is current.
				</p>
			) : null}
			{rows && rows.length === 0 ? (
				<Empty title="No experiments yet">
					<p>
						An experiment shows each player one variation, chosen by a hash of their UserId, so they always see the same
						one. In the game, ask for it with <code>Vantage.getVariant(player, "key")</code>.
					</p>
					{ctx.canWrite ? <p>Create one with New experiment.</p> : null}
				</Empty>
			) : null}
			{rows && experiments && rows.length > 0 ? (
				// Focusable, so a keyboard can scroll the table sideways on a narrow screen.
				<div class="table-wrap" tabIndex={0} role="region" aria-label="Experiments table">
					<table class="data-table experiments-table">
						<caption class="visually-hidden">Experiments of this game</caption>
						<thead>
							<tr>
								<th scope="col">Experiment</th>
								<th scope="col">Status</th>
								<th scope="col">Variations</th>
								<th scope="col">Started</th>
								<th scope="col" class="num">
									Exposed players
								</th>
								<th scope="col">Primary metric</th>
								<th scope="col">
									<span class="visually-hidden">Actions</span>
								</th>
							</tr>
						</thead>
						<tbody>
							{rows.map((row) => (
								<Row
									key={row.key}
									row={row}
									experiment={experiments.find((e) => e.key === row.key)!}
									ctx={ctx}
									loadingExposures={exposures.status === "loading"}
									onChanged={reload}
								/>
							))}
						</tbody>
					</table>
				</div>
			) : null}
		</>
	);
}

type Pending = "start" | "stop" | "delete";

const CONFIRM: Record<Pending, { ask: (key: string) => string; button: string }> = {
	start: {
		ask: (key) =>
			`Start ${key}? Players are assigned from now on, and its variations, split and hashing can no longer change.`,
		button: "Start experiment",
	},
	stop: {
		ask: (key) => `Stop ${key}? Everyone gets the control variation again; a stopped experiment cannot restart.`,
		button: "Stop experiment",
	},
	delete: {
		ask: (key) => `Delete ${key}? Its definition goes; the events players sent stay.`,
		button: "Delete experiment",
	},
};

function Row(props: {
	row: ExperimentRow;
	experiment: Experiment;
	ctx: ExperimentsPageContext;
	loadingExposures: boolean;
	onChanged: () => void;
}) {
	const { row, ctx } = props;
	const [pending, setPending] = useState<Pending | null>(null);
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<string | null>(null);

	const act = async (what: Pending) => {
		setBusy(true);
		setError(null);
		try {
			const path = experimentsPath(ctx.game, row.key);
			if (what === "delete") await writeJson("DELETE", path, undefined, ctx.csrfToken);
			else await writeJson("PATCH", path, { status: what === "start" ? "running" : "stopped" }, ctx.csrfToken);
			setPending(null);
			props.onChanged();
		} catch (e) {
			setError(failureText(e));
		} finally {
			setBusy(false);
		}
	};

	const exposures =
		row.exposures !== null
			? integer.format(row.exposures)
			: row.status === "draft"
				? "—"
				: props.loadingExposures
					? "…"
					: "—";
	return (
		<>
			<tr data-experiment={row.key}>
				<th scope="row">
					<ViewLink ctx={ctx} view={{ view: "results", key: row.key }}>
						{row.name}
					</ViewLink>
					{row.name !== row.key ? <span class="muted small block">{row.key}</span> : null}
				</th>
				<td>
					<span class={`badge badge-${row.status}`}>{row.statusLabel}</span>
				</td>
				<td>{row.variations}</td>
				<td>{row.started}</td>
				<td class="num" title={row.exposuresByVariation?.map((v) => `${v.key}: ${v.units}`).join(", ")}>
					{exposures}
				</td>
				<td class="small">{row.metric}</td>
				<td>
					<div class="actions">
						<ViewLink ctx={ctx} view={{ view: "results", key: row.key }} aria-label={`Results of ${row.key}`}>
							Results
						</ViewLink>
						{ctx.canWrite && row.status !== "stopped" ? (
							<ViewLink ctx={ctx} view={{ view: "edit", key: row.key }} aria-label={`Edit ${row.key}`}>
								Edit
							</ViewLink>
						) : null}
						{ctx.canWrite && row.status === "draft" ? (
							<button type="button" onClick={() => setPending("start")} aria-label={`Start ${row.key}`}>
								Start
							</button>
						) : null}
						{ctx.canWrite && row.status === "running" ? (
							<button type="button" onClick={() => setPending("stop")} aria-label={`Stop ${row.key}`}>
								Stop
							</button>
						) : null}
						{ctx.canWrite && row.status !== "running" ? (
							<button type="button" class="quiet" onClick={() => setPending("delete")} aria-label={`Delete ${row.key}`}>
								Delete
							</button>
						) : null}
					</div>
				</td>
			</tr>
			{pending || error ? (
				<tr class="confirm-row">
					<td colSpan={7}>
						{pending ? (
							<div class="confirm" role="group" aria-label={CONFIRM[pending].button}>
								<p>{CONFIRM[pending].ask(row.key)}</p>
								<button type="button" class="primary" disabled={busy} onClick={() => void act(pending)}>
									{CONFIRM[pending].button}
								</button>
								<button type="button" disabled={busy} onClick={() => setPending(null)}>
									Cancel
								</button>
							</div>
						) : null}
						{error ? (
							<p class="form-error" role="alert">
								{error}
							</p>
						) : null}
					</td>
				</tr>
			) : null}
		</>
	);
}
