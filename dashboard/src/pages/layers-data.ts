// The Layers & holdout page's model: a layer's bar (each draft or running experiment's slice and the free ranges, in
// order) and the forms' text turned into the admin API's bodies, each problem tied to its field. Pure functions,
// tested on their own.
import type { HoldoutResponse } from "../../../server/experiments/holdout.js";
import type { LayerResponse } from "../../../server/experiments/layers.js";
import type { FieldIssue } from "./experiments-form-data.js";

export type Layer = LayerResponse;
export type Holdout = HoldoutResponse;
export interface LayerList {
	layers: Layer[];
}

const percent = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 2 });

/** One piece of a layer's bar: an experiment's slice or a free range, as shares of the layer's units. */
export interface BarSegment {
	kind: "experiment" | "free";
	/** The experiment's key; empty for a free range. */
	key: string;
	/** What a person reads: the experiment's name and status, or "Free". */
	label: string;
	start: number;
	end: number;
	/** "12.5%": the segment's share of the layer. */
	share: string;
	/** "0–12.5%": where it lies in the layer. */
	range: string;
}

/**
 * The bar of a layer, left to right: its experiments' slices and the free ranges between them.
 *
 * @example
 * layerBar(layer); // [{ kind: "experiment", key: "shop", label: "Shop (running)", start: 0, end: 0.5, … }, { kind: "free", … }]
 */
export function layerBar(layer: Pick<Layer, "slices" | "free">): BarSegment[] {
	const segments: Omit<BarSegment, "share" | "range">[] = [
		...layer.slices.map((s) => ({
			kind: "experiment" as const,
			key: s.experiment,
			label: `${s.name} (${s.status})`,
			start: s.start,
			end: s.end,
		})),
		...layer.free.map((f) => ({ kind: "free" as const, key: "", label: "Free", start: f.start, end: f.end })),
	];
	return segments
		.sort((a, b) => a.start - b.start || (a.kind === b.kind ? 0 : a.kind === "experiment" ? -1 : 1))
		.map((s) => ({
			...s,
			share: percent.format(s.end - s.start),
			range: `${trimPercent(s.start)}–${trimPercent(s.end)}`,
		}));
}

/** A share as a percentage without the sign's spacing ("12.5%"). */
function trimPercent(share: number): string {
	return percent.format(share);
}

/** What a layer's bar says to a screen reader. */
export function layerSummary(layer: Pick<Layer, "slices" | "freeShare">): string {
	const used = layer.slices.length;
	const free = percent.format(layer.freeShare);
	if (used === 0) return `No experiments; ${free} free`;
	return `${used} experiment${used === 1 ? "" : "s"}; ${free} free`;
}

/** The create-layer form's text. */
export interface LayerInput {
	id: string;
	name: string;
	description: string;
}

/** The POST body of a new layer, or the problems of the form's fields (`new-layer-id`). */
export function newLayerBody(input: LayerInput): { body: Record<string, string>; issues: FieldIssue[] } {
	const id = input.id.trim();
	const issues: FieldIssue[] = [];
	if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(id)) {
		issues.push({
			field: "new-layer-id",
			message: "1 to 64 letters, digits, _ . or -, starting with a letter or digit",
		});
	}
	const body: Record<string, string> = { id };
	if (input.name.trim()) body.name = input.name.trim();
	if (input.description.trim()) body.description = input.description.trim();
	return { body, issues };
}

/** The holdout form's percent: a number from 0 to 50 in steps of 0.01, or why not. */
export function parseHoldoutPercent(text: string): { percent: number } | { error: string } {
	const trimmed = text.trim().replace(/%$/, "").trim();
	const value = Number(trimmed);
	if (trimmed === "" || !Number.isFinite(value)) return { error: "Enter a percentage, e.g. 5" };
	if (value < 0 || value > 50) return { error: "Between 0 and 50%" };
	if (Math.abs(Math.round(value * 100) - value * 100) > 1e-9) return { error: "At most two decimals" };
	return { percent: Math.round(value * 100) / 100 };
}

/** What the confirmation says a holdout change does. */
export function holdoutChangeText(current: Pick<Holdout, "percent">, next: number): string {
	if (next === current.percent) return `The holdout stays at ${next}%.`;
	if (next === 0) return "No player will be held out any more: everyone can enter experiments again.";
	return (
		`${next}% of players (by UserId, the same on every server) will be kept out of every experiment and get ` +
		"control; each player's $holdout marker lets you compare them with everyone else."
	);
}

/** The API paths of a game's layers and holdout. */
export function layersPath(game: string, ...rest: string[]): string {
	return [`/v1/admin/games/${encodeURIComponent(game)}/layers`, ...rest.map(encodeURIComponent)].join("/");
}

export function holdoutPath(game: string): string {
	return `/v1/admin/games/${encodeURIComponent(game)}/holdout`;
}
