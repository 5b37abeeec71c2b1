// The experiment config a game server gets from `GET /v1/config` (server/experiments/sdk-config.ts builds it), checked
// once when it arrives and turned into lookups by key. A malformed experiment or flag is left out (and named) instead
// of rejecting the whole document, so one bad entry cannot take the others down.
import { ConsentConfig, parseConsentConfig } from "../consent/rules";
import { t } from "@rbxts/t";
import { ExperimentConfig, HoldoutConfig } from "../../shared/assignment";
import { Condition } from "../../shared/conditions";
import { getBucketRanges } from "../../shared/hash";
import { parseRecommendations, RecommendationModel } from "../recommendations";

/**
 * How units are assigned (the backend's `assignment`):
 * - `deterministic`: the GrowthBook hash of the hash attribute;
 * - `random`: drawn once per player and kept in DataStore;
 * - `stratified`: balanced within each combination of the `strata` attributes (e.g. device, country), kept in
 *   DataStore;
 * - `adaptive`: drawn with the weights the backend's bandit last computed, kept in DataStore.
 */
export type AssignmentMode =
	{ mode: "deterministic" } | { mode: "random" } | { mode: "stratified"; strata: string[] } | { mode: "adaptive" };

export type ModeName = AssignmentMode["mode"];

/** An experiment as /v1/config serves it: the shape `assign` takes, plus targeting and the assignment mode. */
export interface SdkExperiment extends ExperimentConfig {
	/** Only units whose attributes match take part. */
	condition?: Condition;
	/** @default { mode: "deterministic" } */
	assignment?: AssignmentMode;
}

/** A feature flag as /v1/config serves it. */
export interface SdkFlag {
	key: string;
	enabled: boolean;
	/** Served when the flag is off, the condition fails or the unit is not covered (JSON null arrives as nil). */
	defaultValue?: unknown;
	variations: { key: string; value?: unknown; weight: number }[];
	coverage: number;
	hashAttribute: string;
	seed: string;
	hashVersion: number;
	condition?: Condition;
}

/** A served experiment, ready to assign with. */
export interface ExperimentEntry {
	config: SdkExperiment;
	mode: AssignmentMode;
	/**
	 * Modes whose choice is kept per player (random, stratified, adaptive). Whether such a unit takes part (coverage)
	 * is decided by the hash over equal weights (`eligibility`), so moving adaptive weights never move a player in
	 * or out of the experiment.
	 */
	sticky: boolean;
	eligibility: ExperimentConfig;
	/** The variations' weights (equal shares when missing or not summing to 1 ± 0.01). */
	weights: number[];
}

/** A checked config document. */
export interface ParsedConfig {
	gameId: string;
	experiments: ReadonlyMap<string, ExperimentEntry>;
	flags: ReadonlyMap<string, SdkFlag>;
	/** Entries left out because they were malformed, e.g. `experiment "shop"`. */
	skipped: string[];
	/** The game's consent rules; undefined when the document has none or a malformed one (the rules stay as they were). */
	consent?: ConsentConfig;
	/** The game's global holdout; undefined when it is off (or malformed: then nobody is held out, and it is skipped). */
	holdout?: HoldoutConfig;
	/** The shop's item-to-item model (Vantage.recommend); undefined before the backend trained one (or malformed). */
	recommendations?: RecommendationModel;
}

const isStrata = t.array(t.string);
const isMode = t.union(
	t.interface({ mode: t.literal("deterministic") }),
	t.interface({ mode: t.literal("random") }),
	t.interface({ mode: t.literal("stratified"), strata: isStrata }),
	t.interface({ mode: t.literal("adaptive") }),
);

// The hashing fields are checked again by `assign` (which never trusts its input); these add what it does not know.
const isExperiment = t.interface({
	key: t.string,
	status: t.literal("draft", "running", "stopped"),
	variations: t.array(t.interface({ key: t.string, weight: t.optional(t.number) })),
	condition: t.optional(t.table),
	assignment: t.optional(isMode),
});

const isFlag = t.interface({
	key: t.string,
	enabled: t.boolean,
	variations: t.array(t.interface({ key: t.string, weight: t.number })),
	coverage: t.number,
	hashAttribute: t.string,
	seed: t.string,
	hashVersion: t.number,
	condition: t.optional(t.table),
});

const isHoldout = t.interface({ seed: t.string, percent: t.numberConstrained(0, 100) });

const isDocument = t.interface({
	gameId: t.optional(t.string),
	experiments: t.table,
	flags: t.optional(t.table),
});

/** The variations' weights as the hash uses them: given and summing to 1 ± 0.01, else equal shares. */
function weightsOf(variations: ReadonlyArray<{ weight?: number }>): number[] {
	const given = variations.every((v) => v.weight !== undefined) ? variations.map((v) => v.weight!) : undefined;
	// With coverage 1 each range is exactly the weight getBucketRanges settled on.
	return getBucketRanges(variations.size(), 1, given).map(([from, to]) => to - from);
}

function entryOf(config: SdkExperiment): ExperimentEntry {
	const mode: AssignmentMode = config.assignment ?? { mode: "deterministic" };
	const sticky = mode.mode !== "deterministic";
	const equal = config.variations.map((v) => ({ key: v.key }));
	return {
		config,
		mode,
		sticky,
		eligibility: sticky ? { ...config, variations: equal } : config,
		weights: weightsOf(config.variations),
	};
}

/** The values of a JSON array or object (JSONDecode gives both as tables). */
function itemsOf(value: unknown): defined[] {
	const items: defined[] = [];
	if (typeIs(value, "table")) for (const [, item] of pairs(value as Record<string, defined>)) items.push(item);
	return items;
}

/**
 * Checks a decoded /v1/config body. Returns undefined when the document itself is malformed (keep the last good
 * one); malformed experiments and flags are left out and listed in `skipped`.
 *
 * @example
 * const parsed = parseConfig(HttpService.JSONDecode(response.Body));
 * const shop = parsed?.experiments.get("shop-layout");
 */
export function parseConfig(body: unknown): ParsedConfig | undefined {
	if (!isDocument(body)) return undefined;
	const experiments = new Map<string, ExperimentEntry>();
	const flags = new Map<string, SdkFlag>();
	const skipped: string[] = [];
	for (const item of itemsOf(body.experiments)) {
		if (isExperiment(item)) experiments.set(item.key, entryOf(item as unknown as SdkExperiment));
		else skipped.push(`experiment ${describe(item)}`);
	}
	for (const item of itemsOf(body.flags)) {
		if (isFlag(item)) flags.set(item.key, item as unknown as SdkFlag);
		else skipped.push(`flag ${describe(item)}`);
	}
	const consent = parseConsentConfig((body as { consent?: unknown }).consent);
	if (consent === undefined && (body as { consent?: unknown }).consent !== undefined) skipped.push("consent");
	const rawHoldout = (body as { holdout?: unknown }).holdout;
	const holdout = isHoldout(rawHoldout) ? rawHoldout : undefined;
	if (rawHoldout !== undefined && holdout === undefined) skipped.push("holdout");
	const rawRecommendations = (body as { recommendations?: unknown }).recommendations;
	const recommendations = parseRecommendations(rawRecommendations);
	if (rawRecommendations !== undefined && recommendations === undefined) skipped.push("recommendations");
	return { gameId: body.gameId ?? "", experiments, flags, skipped, consent, holdout, recommendations };
}

function describe(item: unknown): string {
	const key = typeIs(item, "table") ? (item as { key?: unknown }).key : undefined;
	return typeIs(key, "string") ? `"${key}"` : "(no key)";
}
