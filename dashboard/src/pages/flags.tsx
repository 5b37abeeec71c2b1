// Feature flags: every flag of the game with its state, values and targeting; analysts and owners switch a flag on
// or off, edit who gets which value (coverage, targeting rules, values and their split) and create flags. The game
// reads them with Vantage.isOn / Vantage.getFeatureValue; a change reaches game servers at their next config poll.
import { useState } from "preact/hooks";
import { Empty, Failed, Loading } from "../components/states.js";
import { roleAllows } from "../session.js";
import { useApi } from "../use-api.js";
import type { PageProps } from "./index.js";
import { WriteError, failureText, flagsPath, writeJson } from "./experiments-api.js";
import type { FieldIssue } from "./experiments-form-data.js";
import { Field, FieldMessage, TargetingEditor, invalidProps, issueOf } from "./experiments-fields.js";
import type { Flag, FlagList } from "./experiments-types.js";
import {
	flagDraftFrom,
	flagFieldOfPath,
	flagPatch,
	flagRows,
	newFlagBody,
	type FlagDraft,
	type FlagRow,
} from "./flags-data.js";

interface FlagsContext {
	game: string;
	canWrite: boolean;
	csrfToken: string;
}

export function FlagsPage({ state, session }: PageProps) {
	const ctx: FlagsContext = {
		game: state.game,
		canWrite: roleAllows(session.role, "analyst"),
		csrfToken: session.csrfToken,
	};
	// A new flag reloads the list: a new key mounts it afresh.
	const [version, setVersion] = useState(0);
	return (
		<div class="flags">
			<FlagsContent key={`${state.game}-${version}`} ctx={ctx} reload={() => setVersion((n) => n + 1)} />
		</div>
	);
}

function FlagsContent({ ctx, reload }: { ctx: FlagsContext; reload: () => void }) {
	const list = useApi<[FlagList]>([flagsPath(ctx.game)]);
	// Flags changed here, by key, so a toggle shows at once without reloading the list.
	const [changed, setChanged] = useState<Record<string, Flag>>({});
	const [creating, setCreating] = useState(false);
	const flags = list.status === "done" ? list.data[0].flags.map((f) => changed[f.key] ?? f) : undefined;
	const rows = flags ? flagRows(flags) : undefined;
	const update = (flag: Flag) => setChanged((c) => ({ ...c, [flag.key]: flag }));

	return (
		<>
			<header class="page-head page-head-actions">
				<div>
					<h1 tabIndex={-1}>Feature flags</h1>
					<p class="muted">
						Values the game reads with <code>Vantage.isOn(player, key)</code> or{" "}
						<code>Vantage.getFeatureValue(player, key)</code>; game servers pick up a change at their next config poll.
						{ctx.canWrite ? "" : " Your role can read them; an analyst or owner can change them."}
					</p>
				</div>
				{ctx.canWrite && !creating ? (
					<button type="button" class="primary" onClick={() => setCreating(true)}>
						New flag
					</button>
				) : null}
			</header>
			{creating ? (
				<NewFlag
					ctx={ctx}
					onCancel={() => setCreating(false)}
					onCreated={() => {
						setCreating(false);
						reload();
					}}
				/>
			) : null}
			{list.status === "loading" ? <Loading label="Loading the flags…" /> : null}
			{list.status === "failed" ? <Failed what="the flags" error={list.error} onRetry={list.retry} /> : null}
			{rows && rows.length === 0 ? (
				<Empty title="No flags yet">
					<p>A flag turns a feature on for some players without shipping a new version of the game.</p>
					{ctx.canWrite ? <p>Create one with New flag.</p> : null}
				</Empty>
			) : null}
			{rows && flags && rows.length > 0 ? (
				<ul class="flag-list">
					{rows.map((row) => (
						<FlagItem key={row.key} row={row} flag={flags.find((f) => f.key === row.key)!} ctx={ctx} onSaved={update} />
					))}
				</ul>
			) : null}
		</>
	);
}

function FlagItem(props: { row: FlagRow; flag: Flag; ctx: FlagsContext; onSaved: (flag: Flag) => void }) {
	const { row, flag, ctx } = props;
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<string | null>(null);
	const [editing, setEditing] = useState(false);

	const toggle = async () => {
		setBusy(true);
		setError(null);
		try {
			props.onSaved(
				await writeJson<Flag>("PATCH", flagsPath(ctx.game, flag.key), { enabled: !flag.enabled }, ctx.csrfToken),
			);
		} catch (e) {
			setError(failureText(e));
		} finally {
			setBusy(false);
		}
	};

	const titleId = `flag-${row.key}-title`;
	return (
		<li class="panel flag" aria-labelledby={titleId} data-flag={row.key}>
			<div class="flag-head">
				<div>
					<h2 id={titleId}>{row.name}</h2>
					{row.name !== row.key ? <p class="muted small">{row.key}</p> : null}
					{flag.description ? <p class="small">{flag.description}</p> : null}
				</div>
				{ctx.canWrite ? (
					<button
						type="button"
						role="switch"
						class={`switch ${row.enabled ? "on" : "off"}`}
						aria-checked={row.enabled}
						aria-label={`${row.key} is ${row.enabled ? "on" : "off"}`}
						disabled={busy}
						onClick={() => void toggle()}
					>
						<span class="switch-track" aria-hidden="true">
							<span class="switch-thumb" />
						</span>
						{row.enabled ? "On" : "Off"}
					</button>
				) : (
					<span class={`badge ${row.enabled ? "badge-running" : "badge-stopped"}`}>{row.enabled ? "On" : "Off"}</span>
				)}
			</div>
			<dl class="flag-facts">
				<div>
					<dt>State</dt>
					<dd class="flag-state">{row.state}</dd>
				</div>
				<div>
					<dt>Values</dt>
					<dd>{row.variations}</dd>
				</div>
				<div>
					<dt>Otherwise</dt>
					<dd>{row.defaultValue}</dd>
				</div>
				<div>
					<dt>Targeting</dt>
					<dd class="flag-targeting">{row.targeting}</dd>
				</div>
			</dl>
			{error ? (
				<p class="form-error" role="alert">
					{error}
				</p>
			) : null}
			{ctx.canWrite && !editing ? (
				<button type="button" onClick={() => setEditing(true)} aria-label={`Edit targeting and values of ${row.key}`}>
					Edit targeting and values
				</button>
			) : null}
			{editing ? (
				<FlagEditor
					ctx={ctx}
					flag={flag}
					onCancel={() => setEditing(false)}
					onSaved={(saved) => {
						setEditing(false);
						props.onSaved(saved);
					}}
				/>
			) : null}
		</li>
	);
}

function FlagEditor(props: { ctx: FlagsContext; flag: Flag; onCancel: () => void; onSaved: (flag: Flag) => void }) {
	const { ctx, flag } = props;
	const [draft, setDraft] = useState<FlagDraft>(() => flagDraftFrom(flag));
	const [issues, setIssues] = useState<FieldIssue[]>([]);
	const [formError, setFormError] = useState<string | null>(null);
	const [busy, setBusy] = useState(false);
	const set = (change: Partial<FlagDraft>) => setDraft((d) => ({ ...d, ...change }));
	const msg = (field: string) => issueOf(issues, field);
	// The targeting editor names its rows' fields without the form's prefix.
	const targetingIssues = issues
		.filter((i) => i.field.startsWith("flag-rule-") || i.field === "flag-condition")
		.map((i) => ({ ...i, field: i.field.replace(/^flag-/, "") }));

	const save = async (e: Event) => {
		e.preventDefault();
		const { body, issues: found } = flagPatch(draft);
		setIssues(found);
		setFormError(found.length > 0 ? "Fix the fields marked below." : null);
		if (found.length > 0) return;
		setBusy(true);
		try {
			props.onSaved(await writeJson<Flag>("PATCH", flagsPath(ctx.game, flag.key), body, ctx.csrfToken));
		} catch (error) {
			if (error instanceof WriteError && error.errors.length > 0) {
				setIssues(error.errors.map((x) => ({ field: flagFieldOfPath(x.path), message: x.message })));
			}
			setFormError(failureText(error));
		} finally {
			setBusy(false);
		}
	};

	return (
		<form class="flag-editor" onSubmit={(e) => void save(e)} noValidate aria-label={`Edit ${flag.key}`}>
			{formError ? (
				<p class="form-error" role="alert">
					{formError}
				</p>
			) : null}
			<div class="form-grid">
				<Field id="flag-name" label="Name" message={msg("flag-name")}>
					<input
						{...invalidProps("flag-name", msg("flag-name"))}
						value={draft.name}
						onInput={(e) => set({ name: e.currentTarget.value })}
					/>
				</Field>
				<Field id="flag-description" label="Description" message={msg("flag-description")}>
					<input
						{...invalidProps("flag-description", msg("flag-description"))}
						value={draft.description}
						onInput={(e) => set({ description: e.currentTarget.value })}
					/>
				</Field>
				<Field
					id="flag-coverage"
					label="Rollout (%)"
					message={msg("flag-coverage")}
					hint="Share of matching players who get a value below; raising it keeps those who had it."
				>
					<input
						{...invalidProps("flag-coverage", msg("flag-coverage"), "flag-coverage-hint")}
						inputMode="decimal"
						value={draft.coverage}
						onInput={(e) => set({ coverage: e.currentTarget.value })}
					/>
				</Field>
				<Field
					id="flag-defaultValue"
					label="Otherwise (JSON)"
					message={msg("flag-defaultValue")}
					hint="Served when the flag is off, or to players outside the rollout or the targeting."
				>
					<input
						{...invalidProps("flag-defaultValue", msg("flag-defaultValue"), "flag-defaultValue-hint")}
						value={draft.defaultValue}
						spellcheck={false}
						onInput={(e) => set({ defaultValue: e.currentTarget.value })}
					/>
				</Field>
			</div>
			<TargetingEditor
				idPrefix="flag-"
				value={{ mode: draft.targeting, rules: draft.rules, json: draft.conditionJson }}
				onChange={(t) => set({ targeting: t.mode, rules: t.rules, conditionJson: t.json })}
				issues={targetingIssues}
			/>
			<fieldset>
				<legend>Values and their split</legend>
				<ul class="variations">
					{draft.variations.map((v, i) => {
						const update = (change: Partial<typeof v>) =>
							set({ variations: draft.variations.map((x, j) => (j === i ? { ...x, ...change } : x)) });
						return (
							<li key={i} class="variation-row">
								<Field id={`flag-variation-${i}-key`} label="Key" message={msg(`flag-variation-${i}-key`)}>
									<input
										{...invalidProps(`flag-variation-${i}-key`, msg(`flag-variation-${i}-key`))}
										value={v.key}
										onInput={(e) => update({ key: e.currentTarget.value })}
									/>
								</Field>
								<Field id={`flag-variation-${i}-value`} label="Value (JSON)" message={msg(`flag-variation-${i}-value`)}>
									<input
										{...invalidProps(`flag-variation-${i}-value`, msg(`flag-variation-${i}-value`))}
										value={v.value}
										spellcheck={false}
										onInput={(e) => update({ value: e.currentTarget.value })}
									/>
								</Field>
								<Field
									id={`flag-variation-${i}-weight`}
									label="Share (%)"
									class="narrow"
									message={msg(`flag-variation-${i}-weight`)}
								>
									<input
										{...invalidProps(`flag-variation-${i}-weight`, msg(`flag-variation-${i}-weight`))}
										inputMode="decimal"
										value={v.weight}
										onInput={(e) => update({ weight: e.currentTarget.value })}
									/>
								</Field>
								{draft.variations.length > 1 ? (
									<button
										type="button"
										class="quiet"
										aria-label={`Remove value ${v.key || i + 1}`}
										onClick={() => set({ variations: draft.variations.filter((_, j) => j !== i) })}
									>
										Remove
									</button>
								) : null}
							</li>
						);
					})}
				</ul>
				<FieldMessage id="flag-variations" message={msg("flag-variations")} />
				<button
					type="button"
					disabled={draft.variations.length >= 20}
					onClick={() =>
						set({
							variations: [
								...draft.variations,
								{ key: `value_${draft.variations.length + 1}`, value: "true", weight: "0" },
							],
						})
					}
				>
					Add a value
				</button>
			</fieldset>
			<div class="form-actions">
				<button type="submit" class="primary" disabled={busy}>
					Save flag
				</button>
				<button type="button" onClick={props.onCancel}>
					Cancel
				</button>
			</div>
		</form>
	);
}

function NewFlag(props: { ctx: FlagsContext; onCancel: () => void; onCreated: () => void }) {
	const { ctx } = props;
	const [input, setInput] = useState({ key: "", name: "", description: "" });
	const [issues, setIssues] = useState<FieldIssue[]>([]);
	const [error, setError] = useState<string | null>(null);
	const [busy, setBusy] = useState(false);
	const msg = (field: string) => issueOf(issues, field);

	const create = async (e: Event) => {
		e.preventDefault();
		const { body, issues: found } = newFlagBody(input);
		setIssues(found);
		setError(null);
		if (found.length > 0) return;
		setBusy(true);
		try {
			await writeJson("POST", flagsPath(ctx.game), body, ctx.csrfToken);
			props.onCreated();
		} catch (err) {
			if (err instanceof WriteError && err.errors.length > 0) {
				setIssues(err.errors.map((x) => ({ field: flagFieldOfPath(x.path), message: x.message })));
			}
			setError(failureText(err));
		} finally {
			setBusy(false);
		}
	};

	return (
		<form class="panel new-flag" onSubmit={(e) => void create(e)} noValidate aria-label="New flag">
			<h2>New flag</h2>
			<p class="hint">Created off: everyone gets false until you switch it on; then matching players get true.</p>
			{error ? (
				<p class="form-error" role="alert">
					{error}
				</p>
			) : null}
			<div class="form-grid">
				<Field
					id="new-flag-key"
					label="Key"
					message={msg("new-flag-key")}
					hint="What the game asks for; cannot change."
				>
					<input
						{...invalidProps("new-flag-key", msg("new-flag-key"), "new-flag-key-hint")}
						value={input.key}
						spellcheck={false}
						autoComplete="off"
						onInput={(e) => setInput({ ...input, key: e.currentTarget.value })}
					/>
				</Field>
				<Field id="new-flag-name" label="Name">
					<input
						id="new-flag-name"
						value={input.name}
						onInput={(e) => setInput({ ...input, name: e.currentTarget.value })}
					/>
				</Field>
				<Field id="new-flag-description" label="Description">
					<input
						id="new-flag-description"
						value={input.description}
						onInput={(e) => setInput({ ...input, description: e.currentTarget.value })}
					/>
				</Field>
			</div>
			<div class="form-actions">
				<button type="submit" class="primary" disabled={busy}>
					Create flag
				</button>
				<button type="button" onClick={props.onCancel}>
					Cancel
				</button>
			</div>
		</form>
	);
}
