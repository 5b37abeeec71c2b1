// Creating and editing an experiment: everything the admin API accepts (key, name, variations and their split,
// coverage, targeting, assignment mode, metrics, schedule, hashing, namespace, QA overrides), checked before it is
// sent and again by the server, each problem shown in plain words next to its field and listed at the top. The
// planning panel beside it previews who would land where and how many players and days the test needs.
import type { RefObject } from "preact";
import { useRef, useState } from "preact/hooks";
import { Failed, Loading } from "../components/states.js";
import { useApi } from "../use-api.js";
import { ViewHeading, ViewLink, type ExperimentsPageContext } from "./experiments-view.js";
import { WriteError, experimentsPath, failureText, writeJson } from "./experiments-api.js";
import {
	FROZEN_AFTER_START,
	draftFromExperiment,
	draftToBody,
	draftToPatch,
	emptyDraft,
	emptyMetric,
	evenWeights,
	issuesByField,
	type ExperimentDraft,
	type FieldIssue,
	type MetricDraft,
	type RatioPartDraft,
	type MetricType,
} from "./experiments-form-data.js";
import {
	EventTypeField,
	Field,
	FieldMessage,
	InputField,
	TargetingEditor,
	invalidProps,
	issueOf,
} from "./experiments-fields.js";
import { PlanningPanel } from "./experiments-planning.js";
import type { Experiment } from "./experiments-types.js";
import {
	libraryChoices,
	libraryOptionText,
	measuresText,
	metricLibraryPath,
	type LibraryMetric,
	type LibraryMetricList,
	type MetricRoleName,
} from "./metric-library-data.js";

/** The form: empty for a new experiment, or loaded from the API for `experimentKey`. */
export function ExperimentForm(props: { ctx: ExperimentsPageContext; experimentKey?: string }) {
	const { ctx, experimentKey } = props;
	const loaded = useApi<[Experiment]>(experimentKey ? [experimentsPath(ctx.game, experimentKey)] : null);
	if (!experimentKey) return <FormBody ctx={ctx} />;
	if (loaded.status === "loading") return <Loading label="Loading the experiment…" />;
	if (loaded.status === "failed") return <Failed what="the experiment" error={loaded.error} onRetry={loaded.retry} />;
	return <FormBody ctx={ctx} original={loaded.data[0]} />;
}

const MODE_HINTS: Record<ExperimentDraft["assignment"], string> = {
	deterministic: "A hash of the UserId picks the variation: the same player always sees the same one, on any server.",
	random: "Drawn once per player by the weights and kept in a DataStore.",
	stratified: "Balanced within each group of the attributes below (e.g. platform), kept in a DataStore.",
	adaptive: "A bandit moves players towards the variation that does best on the primary metric.",
};

function FormBody({ ctx, original }: { ctx: ExperimentsPageContext; original?: Experiment }) {
	const [draft, setDraft] = useState<ExperimentDraft>(() => (original ? draftFromExperiment(original) : emptyDraft()));
	const [issues, setIssues] = useState<FieldIssue[]>([]);
	const [formError, setFormError] = useState<string | null>(null);
	const [busy, setBusy] = useState(false);
	const summary = useRef<HTMLDivElement>(null);
	// The game's metric library, for the metric pickers; without it (failed) metrics are written here only.
	const libraryAnswer = useApi<[LibraryMetricList]>([metricLibraryPath(ctx.game)]);
	const library = libraryAnswer.status === "done" ? libraryAnswer.data[0].metrics : [];
	const started = original !== undefined && original.status !== "draft";
	const frozen = (member: string) => started && FROZEN_AFTER_START.includes(member);
	const set = (change: Partial<ExperimentDraft>) => {
		setDraft((d) => ({ ...d, ...change }));
		// An edited field's problem goes with the edit; the others stay until the next save.
		setIssues((found) => found.filter((i) => !(i.field in change)));
	};
	const msg = (field: string) => issueOf(issues, field);

	const showProblems = (found: FieldIssue[], detail: string | null) => {
		setIssues(found);
		setFormError(detail);
		// The summary is announced and focused; its links lead to each field.
		requestAnimationFrame(() => summary.current?.focus());
	};

	const submit = async (e: Event) => {
		e.preventDefault();
		const { body, issues: found } = original ? draftToPatch(original, draft) : draftToBody(draft);
		if (found.length > 0) return showProblems(found, null);
		if (original && Object.keys(body).length === 0) return showProblems([], "Nothing changed.");
		setBusy(true);
		try {
			if (original) await writeJson("PATCH", experimentsPath(ctx.game, original.key), body, ctx.csrfToken);
			else await writeJson("POST", experimentsPath(ctx.game), body, ctx.csrfToken);
			ctx.go({ view: "list" });
		} catch (error) {
			if (error instanceof WriteError && error.errors.length > 0) {
				showProblems(issuesByField(error.errors), error.message);
			} else if (!original && error instanceof WriteError && error.status === 409) {
				// A taken key is the key field's problem.
				showProblems([{ field: "key", message: `${error.message} Pick another key.` }], null);
			} else showProblems([], failureText(error));
		} finally {
			setBusy(false);
		}
	};

	const variationsIssue = msg("variations");
	const title = original ? `Edit ${original.name}` : "New experiment";
	return (
		<>
			<header class="page-head">
				<ViewHeading ctx={ctx}>{title}</ViewHeading>
				<p class="muted">
					{original
						? started
							? "Running: its variations, split, assignment and hashing are fixed so results stay comparable; the rest can change."
							: "A draft assigns nobody until you start it."
						: "Saved as a draft: nobody is assigned until you start it from the list."}{" "}
					<ViewLink ctx={ctx} view={{ view: "list" }}>
						Back to the experiments
					</ViewLink>
				</p>
			</header>
			<div class="experiment-editor">
				<form class="experiment-form" onSubmit={(e) => void submit(e)} noValidate aria-label={title}>
					<ErrorSummary boxRef={summary} issues={issues} detail={formError} />

					<fieldset>
						<legend>About</legend>
						<Field
							id="key"
							label="Key"
							message={msg("key")}
							hint="Used in the game: Vantage.getVariant(player, key). It cannot change later."
						>
							<input
								{...invalidProps("key", msg("key"), "key-hint")}
								value={draft.key}
								disabled={original !== undefined}
								autoComplete="off"
								spellcheck={false}
								onInput={(e) => set({ key: e.currentTarget.value })}
							/>
						</Field>
						<InputField
							id="name"
							label="Name"
							message={msg("name")}
							hint="For people; the key if empty."
							value={draft.name}
							onValue={(text) => set({ name: text })}
						/>
						<Field id="description" label="Hypothesis or description" message={msg("description")}>
							<textarea
								{...invalidProps("description", msg("description"))}
								rows={2}
								value={draft.description}
								onInput={(e) => set({ description: e.currentTarget.value })}
							/>
						</Field>
					</fieldset>

					<fieldset disabled={frozen("variations")} aria-describedby={variationsIssue ? "variations-error" : undefined}>
						<legend>Variations</legend>
						<p class="hint">The first is the control. Shares are of the players taking part and add up to 100%.</p>
						<ul class="variations">
							{draft.variations.map((v, i) => {
								const update = (change: Partial<typeof v>) =>
									set({ variations: draft.variations.map((x, j) => (j === i ? { ...x, ...change } : x)) });
								return (
									<li key={i} class="variation-row">
										<InputField
											id={`variation-${i}-key`}
											label={i === 0 ? "Key (control)" : "Key"}
											message={msg(`variation-${i}-key`)}
											value={v.key}
											spellcheck={false}
											onValue={(text) => update({ key: text })}
										/>
										<InputField
											id={`variation-${i}-name`}
											label="Name"
											message={msg(`variation-${i}-name`)}
											value={v.name}
											onValue={(text) => update({ name: text })}
										/>
										<InputField
											id={`variation-${i}-weight`}
											label="Share (%)"
											class="narrow"
											message={msg(`variation-${i}-weight`)}
											inputMode="decimal"
											value={v.weight}
											onValue={(text) => update({ weight: text })}
										/>
										{draft.variations.length > 2 ? (
											<button
												type="button"
												class="quiet"
												aria-label={`Remove variation ${v.key || i + 1}`}
												onClick={() => set({ variations: draft.variations.filter((_, j) => j !== i) })}
											>
												Remove
											</button>
										) : null}
									</li>
								);
							})}
						</ul>
						<FieldMessage id="variations" message={variationsIssue} />
						<div class="row-buttons">
							<button
								type="button"
								disabled={draft.variations.length >= 20}
								onClick={() =>
									set({
										variations: [
											...draft.variations,
											{ key: `variant_${draft.variations.length}`, name: "", weight: "0" },
										],
									})
								}
							>
								Add a variation
							</button>
							<button
								type="button"
								onClick={() => {
									const shares = evenWeights(draft.variations.length);
									set({ variations: draft.variations.map((v, i) => ({ ...v, weight: shares[i]! })) });
								}}
							>
								Split evenly
							</button>
						</div>
					</fieldset>

					<fieldset>
						<legend>Who takes part</legend>
						<InputField
							id="coverage"
							label="Coverage (%)"
							class="narrow"
							message={msg("coverage")}
							hint="Share of the matching players who enter; the others see the control and are not counted."
							inputMode="decimal"
							value={draft.coverage}
							onValue={(text) => set({ coverage: text })}
						/>
						<TargetingEditor
							idPrefix=""
							value={{ mode: draft.targeting, rules: draft.rules, json: draft.conditionJson }}
							onChange={(t) => set({ targeting: t.mode, rules: t.rules, conditionJson: t.json })}
							issues={issues}
						/>
						<Field id="assignment" label="Assignment" message={msg("assignment")} hint={MODE_HINTS[draft.assignment]}>
							<select
								{...invalidProps("assignment", msg("assignment"), "assignment-hint")}
								value={draft.assignment}
								disabled={frozen("assignment")}
								onChange={(e) => set({ assignment: e.currentTarget.value as ExperimentDraft["assignment"] })}
							>
								<option value="deterministic">Deterministic (hash)</option>
								<option value="random">Random, kept per player</option>
								<option value="stratified">Stratified</option>
								<option value="adaptive">Adaptive (bandit)</option>
							</select>
						</Field>
						{draft.assignment === "adaptive" ? (
							<InputField
								id="update-interval"
								label="Update the weights every (minutes)"
								message={msg("update-interval")}
								hint="5 to 10080 (7 days); default 60. May change while the experiment runs."
								inputMode="numeric"
								value={draft.updateInterval}
								placeholder="60"
								onValue={(text) => set({ updateInterval: text })}
							/>
						) : null}
						{draft.assignment === "stratified" ? (
							<Field id="strata" label="Balance within (attributes, comma-separated)" message={msg("strata")}>
								<input
									{...invalidProps("strata", msg("strata"))}
									value={draft.strata}
									disabled={frozen("assignment")}
									placeholder="platform, country"
									onInput={(e) => set({ strata: e.currentTarget.value })}
								/>
							</Field>
						) : null}
					</fieldset>

					<fieldset>
						<legend>Metrics</legend>
						{draft.primaryMetric ? (
							<MetricEditor
								prefix="primary"
								title="Primary metric"
								library={library}
								role="goal"
								metric={draft.primaryMetric}
								issues={issues}
								onChange={(m) => set({ primaryMetric: m })}
								onRemove={() => set({ primaryMetric: null })}
							/>
						) : (
							<p class="hint">
								No primary metric: results need one to compare the variations.{" "}
								<button type="button" onClick={() => set({ primaryMetric: emptyMetric("conversion", "converted") })}>
									Add a primary metric
								</button>
							</p>
						)}
						{draft.guardrails.map((m, i) => (
							<MetricEditor
								key={i}
								prefix={`guardrail-${i}`}
								title={`Guardrail ${i + 1}`}
								library={library}
								role="guardrail"
								metric={m}
								issues={issues}
								onChange={(next) => set({ guardrails: draft.guardrails.map((x, j) => (j === i ? next : x)) })}
								onRemove={() => set({ guardrails: draft.guardrails.filter((_, j) => j !== i) })}
							/>
						))}
						<FieldMessage id="guardrails" message={msg("guardrails")} />
						<div class="row-buttons">
							<button
								type="button"
								disabled={draft.guardrails.length >= 10}
								onClick={() =>
									set({
										guardrails: [
											...draft.guardrails,
											emptyMetric("retention", `guardrail_${draft.guardrails.length + 1}`),
										],
									})
								}
							>
								Add a guardrail metric
							</button>
						</div>
					</fieldset>

					<fieldset>
						<legend>Schedule</legend>
						<InputField
							id="startAt"
							label="Start (optional)"
							class="narrow"
							message={msg("startAt")}
							hint="Empty: when you press Start. Your browser's time zone."
							type="datetime-local"
							value={draft.startAt}
							onValue={(text) => set({ startAt: text })}
						/>
						<InputField
							id="endAt"
							label="End (optional)"
							class="narrow"
							message={msg("endAt")}
							hint="Empty: until you stop it."
							type="datetime-local"
							value={draft.endAt}
							onValue={(text) => set({ endAt: text })}
						/>
					</fieldset>

					<details class="advanced" open={["hashAttribute", "seed", "hashVersion", "namespace", "forced"].some(msg)}>
						<summary>Advanced: hashing, namespace, QA overrides</summary>
						<Field
							id="hashAttribute"
							label="Hash attribute"
							message={msg("hashAttribute")}
							hint="id is the UserId; another attribute buckets players who share it together."
						>
							<input
								{...invalidProps("hashAttribute", msg("hashAttribute"), "hashAttribute-hint")}
								value={draft.hashAttribute}
								disabled={frozen("hashAttribute")}
								onInput={(e) => set({ hashAttribute: e.currentTarget.value })}
							/>
						</Field>
						<Field id="seed" label="Seed" message={msg("seed")} hint="Empty: the key. A new seed reshuffles everyone.">
							<input
								{...invalidProps("seed", msg("seed"), "seed-hint")}
								value={draft.seed}
								disabled={frozen("seed")}
								onInput={(e) => set({ seed: e.currentTarget.value })}
							/>
						</Field>
						<Field id="hashVersion" label="Hash version" message={msg("hashVersion")}>
							<select
								{...invalidProps("hashVersion", msg("hashVersion"))}
								value={draft.hashVersion}
								disabled={frozen("hashVersion")}
								onChange={(e) => set({ hashVersion: e.currentTarget.value as "1" | "2" })}
							>
								<option value="2">2 (unbiased)</option>
								<option value="1">1 (GrowthBook imports)</option>
							</select>
						</Field>
						<fieldset class="inline" disabled={frozen("namespace")}>
							<legend>Namespace (mutually exclusive experiments)</legend>
							<InputField
								id="namespace"
								label="Id"
								message={msg("namespace")}
								hint="Empty: none."
								value={draft.namespaceId}
								onValue={(text) => set({ namespaceId: text })}
							/>
							<Field id="namespaceStart" label="From (%)" class="narrow">
								<input
									id="namespaceStart"
									inputMode="decimal"
									value={draft.namespaceStart}
									onInput={(e) => set({ namespaceStart: e.currentTarget.value })}
								/>
							</Field>
							<Field id="namespaceEnd" label="To (%)" class="narrow">
								<input
									id="namespaceEnd"
									inputMode="decimal"
									value={draft.namespaceEnd}
									onInput={(e) => set({ namespaceEnd: e.currentTarget.value })}
								/>
							</Field>
						</fieldset>
						<Field
							id="forced"
							label="QA overrides"
							message={msg("forced")}
							hint="One UserId=variation a line: these players always see it and are left out of the results."
						>
							<textarea
								{...invalidProps("forced", msg("forced"), "forced-hint")}
								rows={3}
								value={draft.forced}
								onInput={(e) => set({ forced: e.currentTarget.value })}
							/>
						</Field>
					</details>

					<div class="form-actions">
						<button type="submit" class="primary" disabled={busy}>
							{original ? "Save changes" : "Create draft"}
						</button>
						<ViewLink ctx={ctx} view={{ view: "list" }}>
							Cancel
						</ViewLink>
					</div>
				</form>
				<PlanningPanel ctx={ctx} draft={draft} />
			</div>
		</>
	);
}

/** What stops the form from being saved: the server's detail and every field's problem, each a link to its field. */
function ErrorSummary(props: {
	boxRef: RefObject<HTMLDivElement>;
	issues: readonly FieldIssue[];
	detail: string | null;
}) {
	const { issues, detail } = props;
	if (issues.length === 0 && !detail) return <div ref={props.boxRef} tabIndex={-1} />;
	return (
		<div ref={props.boxRef} class="error-summary" role="alert" tabIndex={-1}>
			{detail ? <p>{detail}</p> : null}
			{issues.length > 0 ? (
				<>
					<p>
						<strong>
							{issues.length === 1 ? "One thing to fix" : `${issues.length} things to fix`} before saving:
						</strong>
					</p>
					<ul>
						{issues.map((issue, i) => (
							<li key={i}>
								{issue.field === "form" ? (
									issue.message
								) : (
									<a
										href={`#${issue.field}`}
										onClick={(e) => {
											e.preventDefault();
											document.getElementById(issue.field)?.focus();
										}}
									>
										{issue.message}
									</a>
								)}
							</li>
						))}
					</ul>
				</>
			) : null}
		</div>
	);
}

const METRIC_TYPES: { type: MetricType; label: string }[] = [
	{ type: "conversion", label: "Conversion: share of players who sent an event" },
	{ type: "count", label: "Count: events per player" },
	{ type: "revenue", label: "Revenue: Robux per player" },
	{ type: "retention", label: "Retention: share back on day N" },
	{ type: "sum", label: "Sum: a number prop summed per player" },
	{ type: "ratio", label: "Ratio: one total per another (e.g. Robux per session)" },
	{ type: "quantile", label: "Quantile: e.g. the median player's session length" },
];

/**
 * Where a metric comes from: written here, or a metric of the game's library (those of the slot's role first). A
 * library metric in use that is no longer offered (archived) stays listed so the form shows what the experiment has.
 */
function LibraryPicker(props: {
	prefix: string;
	metric: MetricDraft;
	library: readonly LibraryMetric[];
	role: MetricRoleName;
	message: string | undefined;
	onChange: (m: MetricDraft) => void;
}) {
	const { prefix: p, metric: m } = props;
	const choices = libraryChoices(props.library, props.role);
	const chosen = props.library.find((x) => x.key === m.library);
	if (choices.length === 0 && !m.library) return null;
	return (
		<>
			<Field
				id={`${p}-library`}
				label="From the metric library"
				message={props.message}
				hint="A library metric follows its latest version until the experiment starts, then keeps that version."
			>
				<select
					{...invalidProps(`${p}-library`, props.message, `${p}-library-hint`)}
					value={m.library}
					onChange={(e) => {
						const key = e.currentTarget.value;
						props.onChange({ ...m, library: key, key: key || m.key });
					}}
				>
					<option value="">No: written here</option>
					{m.library && !choices.some((c) => c.key === m.library) ? (
						<option value={m.library}>{m.library}</option>
					) : null}
					{choices.map((c) => (
						<option key={c.key} value={c.key}>
							{libraryOptionText(c)}
						</option>
					))}
				</select>
			</Field>
			{chosen ? (
				<p class="hint metric-library-summary" data-library-metric={chosen.key}>
					{measuresText(chosen.definition)} (latest: version {chosen.version})
				</p>
			) : null}
		</>
	);
}

function MetricEditor(props: {
	prefix: string;
	title: string;
	metric: MetricDraft;
	library: readonly LibraryMetric[];
	role: MetricRoleName;
	issues: readonly FieldIssue[];
	onChange: (m: MetricDraft) => void;
	onRemove: () => void;
}) {
	const { prefix: p, metric: m } = props;
	const msg = (part: string) => issueOf(props.issues, `${p}-${part}`);
	const set = (change: Partial<MetricDraft>) => props.onChange({ ...m, ...change });
	const remove = (
		<button type="button" class="quiet" onClick={props.onRemove} aria-label={`Remove the ${props.title.toLowerCase()}`}>
			Remove
		</button>
	);
	const picker = (
		<LibraryPicker
			prefix={p}
			metric={m}
			library={props.library}
			role={props.role}
			message={msg("library") ?? msg("version")}
			onChange={props.onChange}
		/>
	);
	if (m.library) {
		return (
			<fieldset class="metric">
				<legend>{props.title}</legend>
				{picker}
				{remove}
			</fieldset>
		);
	}
	return (
		<fieldset class="metric">
			<legend>{props.title}</legend>
			{picker}
			<InputField
				id={`${p}-key`}
				label="Key"
				message={msg("key")}
				value={m.key}
				spellcheck={false}
				onValue={(text) => set({ key: text })}
			/>
			<Field id={`${p}-type`} label="Measures" message={msg("type")}>
				<select
					{...invalidProps(`${p}-type`, msg("type"))}
					value={m.type}
					onChange={(e) => set({ type: e.currentTarget.value as MetricType })}
				>
					{METRIC_TYPES.map((t) => (
						<option key={t.type} value={t.type}>
							{t.label}
						</option>
					))}
				</select>
			</Field>
			{m.type === "retention" ? (
				<InputField
					id={`${p}-day`}
					label="Day N"
					class="narrow"
					message={msg("day")}
					hint="1 = the day after joining."
					inputMode="numeric"
					value={m.day}
					onValue={(text) => set({ day: text })}
				/>
			) : (
				<>
					{m.type === "ratio" ? (
						<RatioParts prefix={p} metric={m} issues={props.issues} onChange={props.onChange} />
					) : (
						<>
							<InputField
								id={`${p}-event`}
								label={m.type === "revenue" ? "Product (optional)" : "Event name"}
								message={msg("event")}
								hint={m.type === "revenue" ? "Only purchases with this name; empty for all." : undefined}
								value={m.event}
								spellcheck={false}
								placeholder={m.type === "revenue" ? "" : "World1:Level3"}
								onValue={(text) => set({ event: text })}
							/>
							{m.type === "revenue" ? (
								<InputField
									id={`${p}-valueProp`}
									label="Amount prop"
									class="narrow"
									message={msg("valueProp")}
									value={m.valueProp}
									onValue={(text) => set({ valueProp: text })}
								/>
							) : (
								<EventTypeField
									id={`${p}-eventType`}
									message={msg("eventType")}
									value={m.eventType}
									onValue={(eventType) => set({ eventType })}
								/>
							)}
						</>
					)}
					<MetricExtras prefix={p} metric={m} issues={props.issues} onChange={props.onChange} />
					<InputField
						id={`${p}-windowHours`}
						label="Window (hours)"
						class="narrow"
						message={msg("windowHours")}
						hint="After first seeing the test; empty for no limit."
						inputMode="decimal"
						value={m.windowHours}
						onValue={(text) => set({ windowHours: text })}
					/>
				</>
			)}
			<button
				type="button"
				class="quiet"
				onClick={props.onRemove}
				aria-label={`Remove the ${props.title.toLowerCase()}`}
			>
				Remove
			</button>
		</fieldset>
	);
}

/** A ratio metric's two sides: each an event (and/or event type), counted or with a number prop summed. */
function RatioParts(props: {
	prefix: string;
	metric: MetricDraft;
	issues: readonly FieldIssue[];
	onChange: (m: MetricDraft) => void;
}) {
	const { prefix: p, metric: m } = props;
	const sides = [
		{ side: "numerator", label: "Above the line" },
		{ side: "denominator", label: "Below the line" },
	] as const;
	return (
		<>
			{sides.map(({ side, label }) => {
				const part = m[side];
				const id = `${p}-${side}`;
				const msg = (field: string) => issueOf(props.issues, `${id}-${field}`);
				const set = (change: Partial<RatioPartDraft>) => props.onChange({ ...m, [side]: { ...part, ...change } });
				return (
					<fieldset key={side} class="ratio-part">
						<legend>{label}</legend>
						<InputField
							id={`${id}-event`}
							label="Event name"
							message={msg("event")}
							value={part.event}
							spellcheck={false}
							onValue={(text) => set({ event: text })}
						/>
						<EventTypeField id={`${id}-eventType`} value={part.eventType} onValue={(eventType) => set({ eventType })} />
						<InputField
							id={`${id}-valueProp`}
							label="Sum of prop"
							class="narrow"
							message={msg("valueProp")}
							hint="Empty: count the events."
							value={part.valueProp}
							spellcheck={false}
							onValue={(text) => set({ valueProp: text })}
						/>
					</fieldset>
				);
			})}
		</>
	);
}

/**
 * What the newer metric types and every metric may add: the prop summed (sum, quantile), which quantile and how a
 * player's events make one value, winsorization (count, sum, revenue, ratio) and which way is better.
 */
function MetricExtras(props: {
	prefix: string;
	metric: MetricDraft;
	issues: readonly FieldIssue[];
	onChange: (m: MetricDraft) => void;
}) {
	const { prefix: p, metric: m } = props;
	const msg = (part: string) => issueOf(props.issues, `${p}-${part}`);
	const set = (change: Partial<MetricDraft>) => props.onChange({ ...m, ...change });
	const cappable = m.type === "count" || m.type === "sum" || m.type === "revenue" || m.type === "ratio";
	return (
		<>
			{m.type === "sum" || m.type === "quantile" ? (
				<InputField
					id={`${p}-valueProp`}
					label="Number prop"
					class="narrow"
					message={msg("valueProp")}
					value={m.valueProp}
					spellcheck={false}
					placeholder="duration"
					onValue={(text) => set({ valueProp: text })}
				/>
			) : null}
			{m.type === "quantile" ? (
				<>
					<InputField
						id={`${p}-quantile`}
						label="Percentile"
						class="narrow"
						message={msg("quantile")}
						hint="50 = the median."
						inputMode="decimal"
						value={m.quantile}
						onValue={(text) => set({ quantile: text })}
					/>
					<Field id={`${p}-aggregate`} label="Per player">
						<select
							{...invalidProps(`${p}-aggregate`, undefined)}
							value={m.aggregate}
							onChange={(e) => set({ aggregate: e.currentTarget.value as MetricDraft["aggregate"] })}
						>
							<option value="mean">Mean of their events</option>
							<option value="sum">Sum of their events</option>
							<option value="max">Largest of their events</option>
						</select>
					</Field>
				</>
			) : null}
			{cappable ? (
				<>
					<Field id={`${p}-capKind`} label="Cap per player" hint="Winsorization: one whale cannot decide the test.">
						<select
							{...invalidProps(`${p}-capKind`, undefined, `${p}-capKind-hint`)}
							value={m.capKind}
							onChange={(e) => set({ capKind: e.currentTarget.value as MetricDraft["capKind"] })}
						>
							<option value="">No cap</option>
							<option value="value">At a number</option>
							<option value="percentile">At a percentile of all players</option>
						</select>
					</Field>
					{m.capKind ? (
						<InputField
							id={`${p}-cap`}
							label={m.capKind === "value" ? "Cap" : "Cap percentile"}
							class="narrow"
							message={msg("cap")}
							inputMode="decimal"
							value={m.cap}
							placeholder={m.capKind === "value" ? "" : "99"}
							onValue={(text) => set({ cap: text })}
						/>
					) : null}
				</>
			) : null}
			<Field id={`${p}-direction`} label="Better when it">
				<select
					{...invalidProps(`${p}-direction`, undefined)}
					value={m.direction}
					onChange={(e) => set({ direction: e.currentTarget.value as MetricDraft["direction"] })}
				>
					<option value="">Goes up (default)</option>
					{m.direction === "higher" ? <option value="higher">Goes up</option> : null}
					<option value="lower">Goes down (errors, churn, load time)</option>
				</select>
			</Field>
		</>
	);
}
