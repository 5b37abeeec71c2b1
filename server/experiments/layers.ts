// Layers: a game's namespaces of mutually exclusive experiments, as people manage them. An experiment takes a
// [start, end) slice of a layer (`namespace: { id, start, end }`); a unit's namespace hash falls in one slice at most,
// so experiments whose slices are disjoint never share a unit. Pure rules here (schemas, allocation, overlap, first
// free slice); layer-routes.ts wires them to the store.
import { z } from "zod";
import { ConflictError } from "../errors.js";
import type { ExperimentRecord, Store } from "../store/types.js";
import type { LayerRecord } from "./allocation-store.js";

/** Slices closer than this are treated as touching (weights and slices are decimals typed by people). */
const EPSILON = 1e-9;

export const layerIdSchema = z
	.string()
	.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "1-64 of A-Z a-z 0-9 _ . - starting with a letter or digit")
	.describe(
		"The layer's id: the namespace id its experiments name (`namespace.id`); unique in the game, never changes.",
	);

export const createLayerSchema = z.strictObject({
	id: layerIdSchema,
	name: z.string().min(1).max(128).optional().describe("Shown in the dashboard; default: the id."),
	description: z.string().max(2000).optional().describe("What the layer's experiments have in common, for people."),
});
export type CreateLayerRequest = z.output<typeof createLayerSchema>;

export const updateLayerSchema = z.strictObject({
	name: z.string().min(1).max(128).optional().describe("Shown in the dashboard."),
	description: z.string().max(2000).nullable().optional().describe("What the layer is for; null clears it."),
});
export type UpdateLayerRequest = z.output<typeof updateLayerSchema>;

export const placeRequestSchema = z.strictObject({
	experiment: z.string().min(1).max(100).describe("The key of a draft experiment to place in the layer."),
	size: z
		.number()
		.gt(0)
		.max(1)
		.describe("Share of the layer's units the experiment takes, above 0 up to 1: its slice is [start, start + size)."),
});
export type PlaceRequest = z.output<typeof placeRequestSchema>;

const rangeSchema = z.object({
	start: z.number().describe("Start of the range, 0 to 1 (inclusive)."),
	end: z.number().describe("End of the range, 0 to 1 (exclusive)."),
});

export const layerSliceSchema = rangeSchema.extend({
	experiment: z.string().describe("The experiment's key."),
	name: z.string().describe("The experiment's name."),
	status: z.enum(["draft", "running"]).describe("Its status: stopped experiments give their slice back."),
});
export type LayerSlice = z.infer<typeof layerSliceSchema>;

export const layerSchema = z.object({
	gameId: z.string().describe("The game's id."),
	id: z.string().describe("The layer's id: the namespace id its experiments name."),
	name: z.string().describe("Shown in the dashboard."),
	description: z.string().describe("What the layer is for; empty if none."),
	slices: z.array(layerSliceSchema).describe("The draft and running experiments' slices, by start."),
	free: z.array(rangeSchema).describe("The ranges no draft or running experiment holds, by start."),
	freeShare: z.number().describe("Sum of the free ranges' lengths, 0 to 1."),
	createdAt: z.string().describe("ISO 8601 creation time."),
	updatedAt: z.string().describe("ISO 8601 time of the last change."),
});
export type LayerResponse = z.input<typeof layerSchema>;

export interface Range {
	start: number;
	end: number;
}

/** Whether an experiment holds its slice: drafts reserve it, running ones use it, stopped ones give it back. */
function holdsSlice(record: ExperimentRecord): boolean {
	return record.status !== "stopped" && record.definition.namespace !== null;
}

/**
 * The slices of a layer's draft and running experiments (by start, then key) and the free ranges between them.
 *
 * @example
 * layerAllocation("store", experiments); // { slices: [{ experiment: "shop", start: 0, end: 0.5, … }], free: [{ start: 0.5, end: 1 }], freeShare: 0.5 }
 */
export function layerAllocation(
	layerId: string,
	experiments: readonly ExperimentRecord[],
): { slices: LayerSlice[]; free: Range[]; freeShare: number } {
	const slices: LayerSlice[] = [];
	for (const record of experiments) {
		const ns = record.definition.namespace;
		if (!holdsSlice(record) || ns?.id !== layerId) continue;
		slices.push({
			experiment: record.key,
			name: record.definition.name,
			status: record.status as "draft" | "running",
			start: ns.start,
			end: ns.end,
		});
	}
	slices.sort((a, b) => a.start - b.start || (a.experiment < b.experiment ? -1 : 1));
	const free = freeRanges(slices);
	return { slices, free, freeShare: free.reduce((s, r) => s + (r.end - r.start), 0) };
}

/** The parts of [0, 1) no range covers, by start (ranges may overlap, e.g. from before overlaps were checked). */
export function freeRanges(taken: readonly Range[]): Range[] {
	const sorted = [...taken].sort((a, b) => a.start - b.start);
	const free: Range[] = [];
	let cursor = 0;
	for (const r of sorted) {
		if (r.start > cursor + EPSILON) free.push({ start: cursor, end: r.start });
		cursor = Math.max(cursor, r.end);
	}
	if (cursor < 1 - EPSILON) free.push({ start: cursor, end: 1 });
	return free;
}

/**
 * The first free slice of `size` in a layer: the start of the first free range long enough, or undefined.
 *
 * @example
 * firstFreeSlice([{ start: 0, end: 0.3 }], 0.5); // { start: 0.3, end: 0.8 }
 */
export function firstFreeSlice(taken: readonly Range[], size: number): Range | undefined {
	const range = freeRanges(taken).find((r) => r.end - r.start >= size - EPSILON);
	if (!range) return undefined;
	return { start: range.start, end: Math.min(1, roundSlice(range.start + size)) };
}

/** Slice bounds rounded to 12 decimals, so 0.1 + 0.2 is stored as 0.3. */
function roundSlice(x: number): number {
	return Math.round(x * 1e12) / 1e12;
}

/**
 * The draft or running experiment (other than `record`) whose slice of the same namespace overlaps `record`'s, if
 * any. Slices are half-open, so [0, 0.5) and [0.5, 1) do not overlap.
 */
export function overlappingExperiment(
	record: ExperimentRecord,
	others: readonly ExperimentRecord[],
): ExperimentRecord | undefined {
	const ns = record.definition.namespace;
	if (!ns || record.status === "stopped") return undefined;
	return others.find((other) => {
		const o = other.definition.namespace;
		if (other.key === record.key || !holdsSlice(other) || o?.id !== ns.id) return false;
		return ns.start < o.end - EPSILON && o.start < ns.end - EPSILON;
	});
}

/**
 * Refuses (409 conflict naming the other experiment and the layer's free ranges) an experiment whose namespace slice
 * overlaps another draft or running experiment's in the same layer. Called when an experiment is created, when its
 * namespace changes and when it starts; a stopped experiment holds no slice.
 *
 * @example
 * await assertFreeSlice(store, newExperiment(gameId, body, now));
 */
export async function assertFreeSlice(store: Store, record: ExperimentRecord): Promise<void> {
	const ns = record.definition.namespace;
	if (!ns || record.status === "stopped") return;
	const others = await store.listExperiments({ gameId: record.gameId });
	const other = overlappingExperiment(record, others);
	if (!other) return;
	const o = other.definition.namespace!;
	const free = layerAllocation(
		ns.id,
		others.filter((e) => e.key !== record.key),
	)
		.free.map((r) => `[${r.start}, ${r.end})`)
		.join(", ");
	throw new ConflictError(
		`The slice [${ns.start}, ${ns.end}) of layer "${ns.id}" overlaps experiment "${other.key}" (${other.status}, ` +
			`[${o.start}, ${o.end})): experiments of one layer take disjoint slices. Free: ${free || "none"}.`,
	);
}

/** Whether an update needs the slice checked: the namespace changed, or the experiment is starting. */
export function sliceCheckNeeded(before: ExperimentRecord, after: ExperimentRecord): boolean {
	if (!after.definition.namespace) return false;
	const moved = JSON.stringify(before.definition.namespace) !== JSON.stringify(after.definition.namespace);
	return moved || (before.status !== "running" && after.status === "running");
}

/** A new layer from a validated create request. */
export function newLayer(gameId: string, input: CreateLayerRequest, now: number): LayerRecord {
	return {
		gameId,
		id: input.id,
		name: input.name ?? input.id,
		description: input.description ?? "",
		createdAt: now,
		updatedAt: now,
	};
}

/** The layer after a validated update request (merge patch: null clears the description). */
export function applyLayerUpdate(current: LayerRecord, patch: UpdateLayerRequest, now: number): LayerRecord {
	return {
		...current,
		name: patch.name ?? current.name,
		description: patch.description === null ? "" : (patch.description ?? current.description),
		updatedAt: now,
	};
}

/**
 * The namespace of `size` at the first free place of a layer for a draft experiment: 409 when the experiment is not
 * a draft (namespaces freeze once started) or no free range is long enough.
 */
export function placement(
	layerId: string,
	record: ExperimentRecord,
	experiments: readonly ExperimentRecord[],
	size: number,
): { id: string; start: number; end: number } {
	if (record.status !== "draft") {
		throw new ConflictError(`Experiment "${record.key}" has started: its namespace cannot change.`);
	}
	const { slices, free } = layerAllocation(
		layerId,
		experiments.filter((e) => e.key !== record.key),
	);
	const slice = firstFreeSlice(slices, size);
	if (!slice) {
		const longest = free.reduce((m, r) => Math.max(m, r.end - r.start), 0);
		throw new ConflictError(
			`Layer "${layerId}" has no free slice of ${size}: its longest free range is ${roundSlice(longest)}.`,
		);
	}
	return { id: layerId, ...slice };
}

/** The admin API's view of a layer with its allocation. */
export function layerResponse(layer: LayerRecord, experiments: readonly ExperimentRecord[]): LayerResponse {
	return {
		gameId: layer.gameId,
		id: layer.id,
		name: layer.name,
		description: layer.description,
		...layerAllocation(layer.id, experiments),
		createdAt: new Date(layer.createdAt).toISOString(),
		updatedAt: new Date(layer.updatedAt).toISOString(),
	};
}

/** 409 for deleting a layer that draft or running experiments still use. */
export function assertLayerUnused(layer: LayerRecord, experiments: readonly ExperimentRecord[]): void {
	const { slices } = layerAllocation(layer.id, experiments);
	if (slices.length === 0) return;
	throw new ConflictError(
		`Layer "${layer.id}" is used by ${slices.map((s) => `"${s.experiment}"`).join(", ")}: stop them or move them out first.`,
	);
}
